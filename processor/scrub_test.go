package processor

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/anontel/anontel/internal/mask"
)

func TestScrubber(t *testing.T) {
	m := mask.New(testTree())
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
		changed bool
	}{
		{"no secret", []string{"secret"}, "nothing here", "nothing here", false},
		{"plain", []string{"secret"}, "open secret: no such file", "open *****: no such file", true},
		{"every occurrence", []string{"abc"}, "abc-abc abc", "*****-***** *****", true},
		{"longest first, nested", []string{"ab3", "xab3x"}, "xab3x ab3", "***** *****", true},
		{"overlapping merge", []string{"abcd", "cdef"}, "abcdef!", "*****!", true},
		{"adjacent merge", []string{"abc", "def"}, "abcdef", "*****", true},
		{"short not scrubbed", []string{"ab", "x"}, "ab x", "ab x", false},
		{"allowed word not scrubbed", []string{"run", "parallel"}, "run parallel jobs", "run parallel jobs", false},
		{"only allowed words exempt", []string{"ipe"}, "pipectl run", "pipectl run", false},
		{"allowed words then other", []string{"ipe"}, "pipectl run: pipe", "p*****ctl run: p*****", true},
		{"mask-equal secret ignored", []string{mask.Placeholder, "***", "******"}, "x ***** y", "x ***** y", false},
		{"secret with stars", []string{"a**"}, "a** b", "***** b", true},
		// Replacing "zzz" forms "**ab", itself a secret: scrubbed again.
		{"star secret formed by replacement", []string{"**ab", "zzz"}, "zzzab", "********", true},
		{"unicode", []string{"pässwörd"}, "bad pässwörd!", "bad *****!", true},
		{"quoted form", []string{`a"b\c`}, fmt.Sprintf("invalid argument %q", `a"b\c`), `invalid argument "*****"`, true},
		{"ascii quoted form", []string{"日本語"}, fmt.Sprintf("value %+q", "日本語"), `value "*****"`, true},
		{"token with space", []string{"my secret"}, "got my secret", "got *****", true},
		{"any case", []string{"Alice Smith"}, "alice smith, ALICE SMITH, aLiCe sMiTh", "*****, *****, *****", true},
		{"unicode case", []string{"Pässwörd"}, "PÄSSWÖRD pässwörd", "***** *****", true},
		{"special case", []string{"İstanbul"}, "istanbul", "*****", true},
		{"folds too short", []string{"\u212a"}, "kkk", "kkk", false}, // a Kelvin sign folds to one byte
		{"folds too short, exact", []string{"\u212a"}, "1\u212a2", "1*****2", true},
		{"query escaped", []string{"a b&c"}, "?q=a+b%26c&x=1", "?q=*****&x=1", true},
		{"path escaped", []string{"a b/c"}, "/v1/a%20b%2Fc", "/v1/*****", true},
		{"base name", []string{"data/in.csv"}, "in.csv", "*****", true},
		{"cleaned", []string{"./data//in.csv"}, "data/in.csv", "*****", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := newScrubber(m, tt.secrets)
			got, changed := sc.scrub(tt.in)
			if got != tt.want || changed != tt.changed {
				t.Errorf("scrub(%q) = %q, %v; want %q, %v", tt.in, got, changed, tt.want, tt.changed)
			}
			for _, s := range sc.secrets {
				if strings.Contains(got, s) && !onlyAllowedWords(m, tt.in) {
					t.Errorf("secret %q left in %q", s, got)
				}
			}
		})
	}
}

func TestScrubberNoAllocWithoutSecret(t *testing.T) {
	sc := newScrubber(mask.New(testTree()), []string{"secret", "another"})
	in := strings.Repeat("harmless text ", 10)
	allocs := testing.AllocsPerRun(100, func() {
		if _, changed := sc.scrub(in); changed {
			t.Fatal("changed")
		}
	})
	if allocs != 0 {
		t.Errorf("scrub allocates %v times on a clean string", allocs)
	}
}

// TestScrubberChainIsBounded feeds a chain where every round forms a new
// occurrence of a secret holding '*': the result is masked whole, quickly.
func TestScrubberChainIsBounded(t *testing.T) {
	sc := newScrubber(mask.New(testTree()), []string{"xa ", "*a "})
	in := "xa " + strings.Repeat("a ", 5000)
	got, changed := sc.scrub(in)
	if !changed || got != mask.Placeholder {
		t.Errorf("scrub = %.40q…, %v; want %q", got, changed, mask.Placeholder)
	}
	if got, _ := sc.scrub("xa a b"); got != "*********b" {
		t.Errorf("short chain = %q", got)
	}
}

// naiveScrub is the scrub as it was before the matcher: every occurrence
// of every secret marked by strings.Index, marked runs replaced, in rounds.
// It costs secrets × text and is kept as the reference.
func naiveScrub(secrets []string, s string) string {
	contains := func(s string) bool {
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				return true
			}
		}
		return false
	}
	for round := 0; contains(s); round++ {
		if round == maxRounds {
			return mask.Placeholder
		}
		covered := make([]bool, len(s))
		for _, sec := range secrets {
			for from := 0; ; {
				k := strings.Index(s[from:], sec)
				if k < 0 {
					break
				}
				for j := from + k; j < from+k+len(sec); j++ {
					covered[j] = true
				}
				from += k + 1
			}
		}
		var b strings.Builder
		for i := 0; i < len(s); {
			if !covered[i] {
				b.WriteByte(s[i])
				i++
				continue
			}
			for i < len(s) && covered[i] {
				i++
			}
			b.WriteString(mask.Placeholder)
		}
		s = b.String()
	}
	return s
}

// TestScrubberMatchesNaive compares the scrub with the reference on
// random secrets and texts over a small alphabet, where secrets overlap,
// nest, repeat and hold '*'; also with secrets split between a scrubber
// and the child that with adds.
func TestScrubberMatchesNaive(t *testing.T) {
	m := mask.New(mask.Command{Name: "x"})
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab*c "[rng.IntN(5)]
		}
		return string(b)
	}
	for i := range 20000 {
		var secrets []string
		for range 1 + rng.IntN(6) {
			if s := word(3 + rng.IntN(4)); !onlyStars(s) {
				secrets = append(secrets, s)
			}
		}
		text := word(rng.IntN(40))
		if onlyAllowedWords(m, text) { // exempt, see scrub
			continue
		}
		want := naiveScrub(secrets, text)
		split := rng.IntN(len(secrets) + 1)
		for _, sc := range []*scrubber{newScrubber(m, secrets), newScrubber(m, secrets[:split]).with(secrets[split:])} {
			got, _ := sc.scrub(text)
			if got != want {
				t.Fatalf("case %d: secrets %q, split %d: scrub(%q) = %q, want %q", i, secrets, split, text, got, want)
			}
		}
	}
}

// TestScrubberWorkIsLinear counts the matcher's child lookups while a
// scrubber for n secrets is prepared and scrubs a text holding all of
// them: the work must grow like n (Aho–Corasick), not like n² as a
// search for each secret in the text did. Benchmarks give the times.
func TestScrubberWorkIsLinear(t *testing.T) {
	m := mask.New(testTree())
	work := func(n int) (lookups, size int) {
		secrets := make([]string, n)
		for i := range secrets {
			secrets[i] = fmt.Sprintf("data/raw/File_%05d.csv", i)
		}
		text := strings.ToLower(strings.Join(secrets, ","))
		onLookup = func() { lookups++ }
		defer func() { onLookup = nil }()
		got, _ := newScrubber(m, secrets).scrub(text)
		if want := strings.TrimSuffix(strings.Repeat(mask.Placeholder+",", n), ","); got != want {
			t.Fatalf("n=%d: scrub left %.80q…", n, got)
		}
		return lookups, len(text)
	}
	small, smallSize := work(1000)
	large, largeSize := work(16000)
	perByteSmall, perByteLarge := float64(small)/float64(smallSize), float64(large)/float64(largeSize)
	t.Logf("child lookups per byte of secrets: %.2f at 1,000 secrets, %.2f at 16,000", perByteSmall, perByteLarge)
	if perByteLarge > 1.5*perByteSmall || perByteLarge > 50 {
		t.Errorf("work per byte grows with the number of secrets: %.2f at 1,000, %.2f at 16,000", perByteSmall, perByteLarge)
	}
}
