package processor

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/anontel/anontel/internal/mask"
)

// TestPhraseMemo: only strings made of allow-listed words are remembered,
// as copies of at most maxPhrase bytes, and a remembered string answers
// only for itself.
func TestPhraseMemo(t *testing.T) {
	sc := newScrubber(mask.New(testTree()), []string{"s3cret"})
	sc.phrases = newPhraseMemo()
	long := strings.Repeat("run ", maxPhrase/4+1)
	tests := []struct {
		s        string
		allowed  bool
		remember bool
	}{
		{"pipectl run", true, true},
		{"pipectl run s3cret", false, false},
		{"pipectl runs", false, false},
		{"pipectl  run", true, true},
		{long, true, false},
	}
	for _, tc := range tests {
		// Each string finds its slot free; the second time, a remembered
		// one comes from the memo.
		sc.phrases = newPhraseMemo()
		for range 2 {
			if got := sc.onlyAllowedWords(tc.s); got != tc.allowed {
				t.Errorf("onlyAllowedWords(%q) = %v, want %v", tc.s, got, tc.allowed)
			}
		}
		if got := sc.phrases.has(tc.s); got != tc.remember {
			t.Errorf("remembered %q: %v, want %v", tc.s, got, tc.remember)
		}
	}
	// A substring of a larger string is kept as a copy, so that the larger
	// string is not kept alive.
	sc.phrases = newPhraseMemo()
	big := "pipectl run " + strings.Repeat("x", 1<<20)
	name := big[:len("pipectl run")]
	sc.onlyAllowedWords(name)
	if p := sc.phrases.slot(name).Load(); p == nil || *p != name || unsafe.StringData(*p) == unsafe.StringData(big) {
		t.Errorf("the memo does not hold a copy of %q", name)
	}
	// A slot keeps its first string: others that fall in it are looked up
	// each time, without allocating.
	var other string
	for _, s := range []string{"pipectl info", "run", "info", "pipectl", "pipectl run run", "info run", "run info", "pipectl pipectl"} {
		if s != name && sc.phrases.slot(s) == sc.phrases.slot(name) {
			other = s
			break
		}
	}
	if other == "" {
		other = name // no collision with this seed: the check below still holds
	}
	if allocs := testing.AllocsPerRun(100, func() {
		sc.onlyAllowedWords(name)
		sc.onlyAllowedWords(other)
	}); allocs != 0 {
		t.Errorf("alternating %q and %q: %v allocations per run, want 0", name, other, allocs)
	}
	if !sc.phrases.has(name) {
		t.Errorf("%q lost its slot", name)
	}
	if sc.phrases.has("") || sc.onlyAllowedWords("") {
		t.Error("the empty string is taken for allow-listed words")
	}
	// A child scrubber (a span's own secrets) shares the memo.
	if child := sc.with([]string{"other-secret"}); child.phrases != sc.phrases {
		t.Error("a child scrubber has a memo of its own")
	}
}
