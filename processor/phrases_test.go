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
	sc.phrases = &phraseMemo{}
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
		for range 2 { // the second time from the memo, when remembered
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
	big := "pipectl run " + strings.Repeat("x", 1<<20)
	name := big[:len("pipectl run")]
	sc.onlyAllowedWords(name)
	if p := sc.phrases.slot(name).Load(); p == nil || *p != name || unsafe.StringData(*p) == unsafe.StringData(big) {
		t.Errorf("the memo does not hold a copy of %q", name)
	}
	// A child scrubber (a span's own secrets) shares the memo.
	if child := sc.with([]string{"other-secret"}); child.phrases != sc.phrases {
		t.Error("a child scrubber has a memo of its own")
	}
}
