package processor

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/anontel/anontel/internal/mask"
)

// minSecret is the shortest secret scrubbed as a substring; shorter ones
// would shred every string (they are still masked as whole tokens).
const minSecret = 3

// scrubber replaces secrets found as substrings by mask.Mask. It is immutable.
type scrubber struct {
	masker  *mask.Masker
	raw     []string // the secrets given
	secrets []string // what is scrubbed: raw and quoted forms; longest first; len >= minSecret; not allow-listed; not all '*'
}

// newScrubber keeps the raw secrets worth scrubbing, plus the forms they
// take when quoted with %q or %+q (pflag quotes values in its errors).
func newScrubber(m *mask.Masker, raws ...[]string) *scrubber {
	sc := &scrubber{masker: m}
	for _, list := range raws {
		sc.raw = append(sc.raw, list...)
	}
	seen := map[string]struct{}{}
	add := func(s string) {
		if len(s) < minSecret || onlyStars(s) || m.Allowed(s) {
			return
		}
		if _, dup := seen[s]; dup {
			return
		}
		seen[s] = struct{}{}
		sc.secrets = append(sc.secrets, s)
	}
	for _, s := range sc.raw {
		add(s)
		if len(s) < minSecret {
			continue
		}
		for _, q := range []string{strconv.Quote(s), strconv.QuoteToASCII(s)} {
			if inner := q[1 : len(q)-1]; inner != s {
				add(inner)
			}
		}
	}
	slices.SortStableFunc(sc.secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return sc
}

// with returns a scrubber with more secrets; sc itself when none of raw
// is worth scrubbing (the common case of already masked arguments).
func (sc *scrubber) with(raw []string) *scrubber {
	for _, s := range raw {
		if len(s) >= minSecret && !onlyStars(s) && !sc.masker.Allowed(s) {
			return newScrubber(sc.masker, sc.raw, raw)
		}
	}
	return sc
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

func (sc *scrubber) empty() bool { return sc == nil || len(sc.secrets) == 0 }

func (sc *scrubber) contains(s string) bool {
	for _, sec := range sc.secrets {
		if len(sec) <= len(s) && strings.Contains(s, sec) {
			return true
		}
	}
	return false
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

// replace marks all occurrences of all secrets and replaces each maximal
// marked run by one mask.Mask, so overlapping or nested secrets leave no tail.
func (sc *scrubber) replace(s string) string {
	covered := make([]bool, len(s))
	for _, sec := range sc.secrets {
		marked := 0 // covered[:marked] is done for this secret
		for from := 0; from+len(sec) <= len(s); {
			k := strings.Index(s[from:], sec)
			if k < 0 {
				break
			}
			start := from + k
			for j := max(start, marked); j < start+len(sec); j++ {
				covered[j] = true
			}
			marked = start + len(sec)
			from = start + 1
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !covered[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		for i < len(s) && covered[i] {
			i++
		}
		b.WriteString(mask.Mask)
	}
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
