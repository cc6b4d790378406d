package otlphttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAttemptTimeout bounds one request unless the caller sets another
// bound: the uploader's and the direct exporter's default.
const DefaultAttemptTimeout = 5 * time.Second

// MaxRetryAfter caps how long a collector's Retry-After may silence
// uploads, so that a bad header cannot stop them for good.
const MaxRetryAfter = 6 * time.Hour

// Verdict is what a collector's answer means for the body sent.
type Verdict int

const (
	// Delivered: a 2xx answer; the body may be forgotten.
	Delivered Verdict = iota
	// Rejected: a 4xx other than 408 and 429; never acceptable, drop it.
	Rejected
	// Unavailable: try again later; the error may carry a Retry-After.
	Unavailable
)

// UnavailableError is the error of an Unavailable verdict.
type UnavailableError struct {
	Msg string
	// RetryAfter is the wait the collector asked for, 0 if none.
	RetryAfter time.Duration
}

func (e *UnavailableError) Error() string { return e.Msg }

// Post sends one OTLP/HTTP protobuf request body in one attempt bounded by
// timeout. The body is not compressed (OTLP's default): a minute of spans is
// a few kilobytes, no more than the TLS handshake that carries it, while a
// gzip writer cost the uploader 0.7 ms of CPU and 0.9 MB per upload, and
// every tool 41 KB of binary.
func Post(ctx context.Context, client *http.Client, endpoint string, timeout time.Duration, body []byte) (Verdict, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return Unavailable, &UnavailableError{Msg: "building the request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", "anontel-exporter")
	resp, err := client.Do(req)
	if err != nil {
		// The url.Error quotes the endpoint, which may hold credentials.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return Unavailable, &UnavailableError{Msg: fmt.Sprintf("sending to %s: %v", Redact(endpoint), err)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()

	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		if !otlpAnswer(resp.Header.Get("Content-Type")) {
			return Unavailable, &UnavailableError{Msg: fmt.Sprintf("the endpoint answered %s with %q, not an OTLP answer (a captive portal?)", resp.Status, resp.Header.Get("Content-Type"))}
		}
		return Delivered, nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusNotFound ||
		code == http.StatusProxyAuthRequired:
		// Not the collector refusing the data: a proxy, a portal or a
		// wrong address. Keep everything for when the way is clear.
		return Unavailable, &UnavailableError{Msg: fmt.Sprintf("collector answered %s", resp.Status)}
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return Unavailable, &UnavailableError{
			Msg:        fmt.Sprintf("collector answered %s", resp.Status),
			RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	case code >= 400:
		return Rejected, fmt.Errorf("collector answered %s", resp.Status)
	default:
		return Unavailable, &UnavailableError{Msg: fmt.Sprintf("collector answered %s", resp.Status)}
	}
}

// otlpAnswer reports whether a 2xx answer's Content-Type is one a
// collector gives: OTLP in protobuf or JSON, or none (an empty answer).
func otlpAnswer(contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-protobuf", "application/protobuf", "application/json":
		return true
	}
	return false
}

// ParseRetryAfter parses a Retry-After header (seconds or an HTTP date),
// capped at MaxRetryAfter.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// NewClient returns a client bounded by timeout at every step. It follows
// no redirect (a POST body to a moved URL is not ours to resend) and
// honours the standard proxy variables.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: timeout}).DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          2,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
