package otlphttp

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/anontel/anontel/internal/toolenv"
)

// TracesPath is appended to the base URL, as OTLP/HTTP prescribes.
const TracesPath = "/v1/traces"

// ErrNoEndpoint is returned when neither the tool nor
// <TOOL>_TELEMETRY_ENDPOINT names a collector.
var ErrNoEndpoint = errors.New("no collector endpoint configured")

// Resolve returns the URL spans are POSTed to: <base>/v1/traces, where base
// is <TOOL>_TELEMETRY_ENDPOINT when set and not empty, otherwise base. See
// the package doc for the rules.
func Resolve(tool, base string, allowInsecure bool, lookupEnv func(string) (string, bool)) (string, error) {
	if tool == "" {
		return "", errors.New("endpoint: the tool has no name")
	}
	if v, ok := lookupEnv(toolenv.Endpoint(tool)); ok && strings.TrimSpace(v) != "" {
		base = strings.TrimSpace(v)
	}
	if base == "" {
		return "", ErrNoEndpoint
	}
	u, err := url.Parse(base)
	if err != nil {
		// The url error quotes the input, which may hold credentials.
		return "", errors.New("endpoint is not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("endpoint scheme %q: want https (or http for loopback)", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return "", errors.New("endpoint has no host")
	case u.Opaque != "" || u.Fragment != "":
		return "", errors.New("endpoint must be a plain base URL")
	case u.Scheme == "http" && !allowInsecure && !isLoopback(u.Hostname()):
		return "", fmt.Errorf("plain http to non-loopback host %q is not allowed (use https or set AllowInsecure)", u.Hostname())
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + TracesPath
	u.RawPath = ""
	return u.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Redact returns endpoint for logs and status: without its user info (a
// token may stand there without a password) and with its query, which may
// hold a key, replaced.
func Redact(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "(invalid)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	return u.String()
}
