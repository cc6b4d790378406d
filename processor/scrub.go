package processor

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/anontel/anontel/internal/mask"
)

// minSecret is the shortest secret scrubbed as a substring; shorter ones
// would shred every string (they are still masked as whole tokens).
const minSecret = 3

// scrubber replaces secrets found as substrings by mask.Placeholder, ignoring
// case. It is immutable; with adds secrets by chaining a child, so that the
// secrets of Config.Args are prepared once, not again for every span.
// What it looks for is prepared when a string first needs it: a span whose
// strings are all allow-listed words, such as instrument's, never does.
type scrubber struct {
	masker *mask.Masker
	wd     string    // the working directory, for absolute forms; "" unknown
	dirs   []string  // wd as it stands before a path made absolute, see dirPrefixes
	parent *scrubber // its secrets are scrubbed too; nil: none
	raw    []string  // the secrets given
	any    bool      // some raw secret is long enough to have forms worth scrubbing

	once    sync.Once
	secrets []string // what is scrubbed: the forms of raw (see forms); len >= minSecret; not allow-listed; not all '*'
	match   *matcher // finds secrets, case folded; nil when there are none
	exact   *matcher // finds secrets that are not UTF-8 byte for byte; nil: none

	rawOnce sync.Once
	rawSet  map[string]struct{} // raw as a set, made when with first needs it

	phrases *phraseMemo // shared by the scrubbers of one Processor; nil: none
}

// newScrubber keeps the raw secrets worth scrubbing and the forms other
// code makes of them (see forms), relative to the working directory.
func newScrubber(m *mask.Masker, raws ...[]string) *scrubber {
	wd, err := os.Getwd()
	if err != nil {
		wd = ""
	}
	return newScrubberIn(m, wd, raws...)
}

func newScrubberIn(m *mask.Masker, wd string, raws ...[]string) *scrubber {
	sc := &scrubber{masker: m, wd: wd, dirs: dirPrefixes(wd)}
	for _, list := range raws {
		sc.raw = append(sc.raw, list...)
	}
	for _, s := range sc.raw {
		sc.any = sc.any || len(s) >= minSecret
	}
	return sc
}

// prepare builds the matchers, once.
func (sc *scrubber) prepare() {
	sc.once.Do(func() {
		m := sc.masker
		size := 0
		for _, s := range sc.raw {
			size += 3 * len(s)
		}
		sc.match = newMatcher(true, size)
		var exact []string // see below
		var seen []string  // the forms of one token so far
		for _, s := range sc.raw {
			if len(s) < minSecret {
				continue
			}
			seen = seen[:0]
			forms(s, sc.wd, func(f string) bool { return worthScrubbing(m, f) }, func(f string) {
				// Most forms of a token are the same string: one trie walk.
				if slices.Contains(seen, f) || !worthScrubbing(m, f) {
					return
				}
				seen = append(seen, f)
				// A secret that folds shorter than minSecret (a Kelvin
				// sign folds to K) would shred text: it is matched byte
				// for byte only. Folding reads bytes that are not UTF-8 as
				// they are, but such a secret can also start inside a rune
				// of the text: it is matched byte for byte too.
				short := sc.match.foldedLen(f) < minSecret
				if !short && sc.match.add(f) {
					sc.secrets = append(sc.secrets, f)
				}
				if short || !utf8.ValidString(f) {
					if short {
						sc.secrets = append(sc.secrets, f)
					}
					exact = append(exact, f)
				}
			})
		}
		if len(sc.match.nodes) > 1 {
			sc.match.build()
		} else {
			sc.match = nil
		}
		if len(exact) > 0 {
			sc.exact = newMatcher(false, 0)
			for _, f := range exact {
				sc.exact.add(f)
			}
			sc.exact.build()
		}
	})
}

// forms calls f with s and the forms that code commonly makes of an
// argument before it records it (f may see some twice):
//   - quoted with %q or %+q (pflag quotes values in its errors), the part
//     between the quotes;
//   - upper- and lower-cased (strings.ToUpper, strings.ToLower); the
//     matcher also ignores case, this catches the special cases of
//     Unicode where the two differ;
//   - as a path: cleaned (filepath.Clean) and its base name, each also
//     escaped for a URL query (url.QueryEscape, '+' for a space) and for a
//     URL path (url.PathEscape);
//   - made absolute against wd, as filepath.Abs does there, and escaped:
//     only when the cleaned path is not itself worth scrubbing or climbs
//     out of wd. Otherwise the absolute form is the cleaned one after wd,
//     and the scrubber extends any match over a wd before it (see
//     extendOverDir): that keeps a trie of many paths small.
func forms(s, wd string, worth func(string) bool, f func(string)) {
	f(s)
	if needsQuote(s) {
		for _, q := range []string{strconv.Quote(s), strconv.QuoteToASCII(s)} {
			f(q[1 : len(q)-1])
		}
	}
	if !isASCII(s) {
		f(strings.ToUpper(s))
		f(strings.ToLower(s))
	}
	clean := filepath.Clean(s)
	paths := [4]string{s, clean, filepath.Base(clean)}
	if wd != "" && !filepath.IsAbs(clean) && (!worth(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator))) {
		paths[3] = filepath.Join(wd, clean)
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		f(p)
		f(url.QueryEscape(p))
		f(url.PathEscape(p))
		f(urlPath(p))
	}
}

// urlPath is p escaped as the path of a URL, slashes kept: what a file URL
// or url.JoinPath makes of it.
func urlPath(p string) string { return (&url.URL{Path: p}).EscapedPath() }

// dirPrefixes returns what stands before a relative path made absolute
// against wd, as it is and escaped for a URL.
func dirPrefixes(wd string) []string {
	if wd == "" {
		return nil
	}
	dir := wd
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	list := []string{dir}
	for _, e := range []string{url.QueryEscape(dir), url.PathEscape(dir), urlPath(dir)} {
		if !slices.Contains(list, e) {
			list = append(list, e)
		}
	}
	return list
}

// extendOverDir extends each range of s that a directory prefix (see
// dirPrefixes) stands right before over that prefix, ignoring case, so that
// an absolute path made of a secret goes whole; spans stay merged.
func extendOverDir(spans []span, s string, prefixes []string) []span {
	if len(prefixes) == 0 {
		return spans
	}
	out := spans[:0]
	for _, r := range spans {
		for _, p := range prefixes {
			if r.from >= len(p) && strings.EqualFold(s[r.from-len(p):r.from], p) {
				r.from -= len(p)
				break
			}
		}
		for len(out) > 0 && r.from <= out[len(out)-1].to {
			r.from = min(r.from, out[len(out)-1].from)
			out = out[:len(out)-1]
		}
		out = append(out, r)
	}
	return out
}

// worthScrubbing reports whether s is a secret to look for in text.
func worthScrubbing(m *mask.Masker, s string) bool {
	return len(s) >= minSecret && !onlyStars(s) && !m.Allowed(s)
}

// needsQuote reports whether %q or %+q would change s between the quotes.
func needsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// with returns a scrubber with more secrets; sc itself when none of raw
// is worth scrubbing or new to it (the common cases of already masked
// arguments and of the process's own arguments).
func (sc *scrubber) with(raw []string) *scrubber {
	var fresh []string
	for _, s := range raw {
		if worthScrubbing(sc.masker, s) && !sc.has(s) {
			fresh = append(fresh, s)
		}
	}
	if len(fresh) == 0 {
		return sc
	}
	child := newScrubberIn(sc.masker, sc.wd, fresh)
	child.parent, child.phrases = sc, sc.phrases
	return child
}

// has reports whether raw secret s was given to sc or its parents.
func (sc *scrubber) has(s string) bool {
	for x := sc; x != nil; x = x.parent {
		x.rawOnce.Do(func() {
			x.rawSet = make(map[string]struct{}, len(x.raw))
			for _, r := range x.raw {
				x.rawSet[r] = struct{}{}
			}
		})
		if _, ok := x.rawSet[s]; ok {
			return true
		}
	}
	return false
}

// onlyStars reports whether s is made of '*' only: such a "secret" carries
// nothing but its length, and scrubbing it would never end (mask.Placeholder holds it).
func onlyStars(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '*' {
			return false
		}
	}
	return true
}

func (sc *scrubber) empty() bool {
	for x := sc; x != nil; x = x.parent {
		if x.any {
			return false
		}
	}
	return true
}

func (sc *scrubber) contains(s string) bool {
	for x := sc; x != nil; x = x.parent {
		if !x.any {
			continue
		}
		x.prepare()
		if x.match != nil && x.match.any(s) || x.exact != nil && x.exact.any(s) {
			return true
		}
	}
	return false
}

// cover returns the ranges of s covered by any secret of sc or its
// parents, merged, in order.
func (sc *scrubber) cover(s string) []span {
	var all []span
	levels := 0
	for x := sc; x != nil; x = x.parent {
		x.prepare()
		for _, m := range []*matcher{x.match, x.exact} {
			if m != nil {
				if c := m.cover(s); len(c) > 0 {
					all = append(all, c...)
					levels++
				}
			}
		}
	}
	if levels < 2 {
		return all
	}
	// sort.Slice, which the tool links anyway: a generic sort would add
	// its own instantiation to every tool's binary.
	sort.Slice(all, func(i, j int) bool { return all[i].from < all[j].from })
	out := all[:1]
	for _, r := range all[1:] {
		if last := &out[len(out)-1]; r.from <= last.to {
			last.to = max(last.to, r.to)
		} else {
			out = append(out, r)
		}
	}
	return out
}

// scrub returns s with every secret replaced; changed is false (and s
// returned untouched, without allocating) when no secret occurs in it, or
// when s consists only of allow-listed words, which can reveal nothing.
func (sc *scrubber) scrub(s string) (out string, changed bool) {
	if len(s) < minSecret || sc.empty() || sc.onlyAllowedWords(s) || !sc.contains(s) {
		return s, false
	}
	// Each round replaces every occurrence (overlapping ones merged) at
	// once. A replacement can form a new occurrence of a secret holding
	// '*' ("**ab" in "zzzab" once "zzz" is masked); a few rounds settle
	// real cases. Chains built to go on longer cost the whole string,
	// which keeps the time bounded and still leaks nothing.
	for round := 0; sc.contains(s); round++ {
		if round == maxRounds {
			return mask.Placeholder, true
		}
		s = sc.replace(s)
	}
	return s, true
}

// maxRounds bounds the replacement rounds of one scrub.
const maxRounds = 4

// replace replaces each maximal run of s covered by occurrences of
// secrets by one mask.Placeholder, so overlapping or nested secrets leave no tail.
func (sc *scrubber) replace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, r := range extendOverDir(sc.cover(s), s, sc.dirs) {
		b.WriteString(s[last:r.from])
		b.WriteString(mask.Placeholder)
		last = r.to
	}
	b.WriteString(s[last:])
	return b.String()
}

// onlyAllowedWords is onlyAllowedWords of sc's Masker, remembered in
// sc.phrases.
func (sc *scrubber) onlyAllowedWords(s string) bool {
	if sc.phrases != nil && sc.phrases.has(s) {
		return true
	}
	if !onlyAllowedWords(sc.masker, s) {
		return false
	}
	if sc.phrases != nil {
		sc.phrases.add(s)
	}
	return true
}

// onlyAllowedWords reports whether every whitespace-separated word of s is
// allow-listed, such as a span name "pipectl run".
func onlyAllowedWords(m *mask.Masker, s string) bool {
	words := 0
	for i := 0; i < len(s); {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		if j > i {
			if !m.Allowed(s[i:j]) {
				return false
			}
			words++
		}
		i = j
	}
	return words > 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
