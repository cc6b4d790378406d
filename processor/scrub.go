package processor

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/anontel/anontel/processor/mask"
)

// minSecret is the shortest secret scrubbed as a substring; shorter ones
// would shred every string (they are still masked as whole tokens).
const minSecret = 3

// scrubber replaces secrets found as substrings by mask.Mask. It is
// immutable; with adds secrets by chaining a child, so that the secrets of
// Config.Args are prepared once, not again for every span.
type scrubber struct {
	masker  *mask.Masker
	parent  *scrubber // its secrets are scrubbed too; nil: none
	raw     []string  // the secrets given
	secrets []string  // what is scrubbed: raw and quoted forms; len >= minSecret; not allow-listed; not all '*'
	match   *matcher  // finds secrets; nil when there are none

	rawOnce sync.Once
	rawSet  map[string]struct{} // raw as a set, made when with first needs it
}

// newScrubber keeps the raw secrets worth scrubbing, plus the forms they
// take when quoted with %q or %+q (pflag quotes values in its errors).
func newScrubber(m *mask.Masker, raws ...[]string) *scrubber {
	sc := &scrubber{masker: m}
	for _, list := range raws {
		sc.raw = append(sc.raw, list...)
	}
	size := 0
	for _, s := range sc.raw {
		size += len(s)
	}
	sc.match = newMatcher(false, size)
	add := func(s string) {
		if worthScrubbing(m, s) && sc.match.add(s) {
			sc.secrets = append(sc.secrets, s)
		}
	}
	for _, s := range sc.raw {
		add(s)
		if len(s) < minSecret || !needsQuote(s) {
			continue
		}
		for _, q := range []string{strconv.Quote(s), strconv.QuoteToASCII(s)} {
			if inner := q[1 : len(q)-1]; inner != s {
				add(inner)
			}
		}
	}
	if len(sc.secrets) == 0 {
		sc.match = nil
	} else {
		sc.match.build()
	}
	return sc
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
	child := newScrubber(sc.masker, fresh)
	if child.match == nil {
		return sc
	}
	child.parent = sc
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
// nothing but its length, and scrubbing it would never end (mask.Mask holds it).
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
		if x.match != nil {
			return false
		}
	}
	return true
}

func (sc *scrubber) contains(s string) bool {
	for x := sc; x != nil; x = x.parent {
		if x.match != nil && x.match.any(s) {
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
		if x.match != nil {
			if c := x.match.cover(s); len(c) > 0 {
				all = append(all, c...)
				levels++
			}
		}
	}
	if levels < 2 {
		return all
	}
	slices.SortFunc(all, func(a, b span) int { return cmp.Compare(a.from, b.from) })
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
	if sc.empty() || !sc.contains(s) || onlyAllowedWords(sc.masker, s) {
		return s, false
	}
	// Each round replaces every occurrence (overlapping ones merged) at
	// once. A replacement can form a new occurrence of a secret holding
	// '*' ("**ab" in "zzzab" once "zzz" is masked); a few rounds settle
	// real cases. Chains built to go on longer cost the whole string,
	// which keeps the time bounded and still leaks nothing.
	for round := 0; sc.contains(s); round++ {
		if round == maxRounds {
			return mask.Mask, true
		}
		s = sc.replace(s)
	}
	return s, true
}

// maxRounds bounds the replacement rounds of one scrub.
const maxRounds = 4

// replace replaces each maximal run of s covered by occurrences of
// secrets by one mask.Mask, so overlapping or nested secrets leave no tail.
func (sc *scrubber) replace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, r := range sc.cover(s) {
		b.WriteString(s[last:r.from])
		b.WriteString(mask.Mask)
		last = r.to
	}
	b.WriteString(s[last:])
	return b.String()
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
