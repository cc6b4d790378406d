package processor

import (
	"strings"
	"sync/atomic"
)

// maxPhrase is the longest string a phraseMemo keeps.
const maxPhrase = 64

// phraseMemo remembers a few strings made only of allow-listed words (see
// onlyAllowedWords), such as the span names and values a tool writes again
// and again, so that they are not split and looked up word by word for
// every span. Whether a string is one depends on the Masker alone, which
// never changes, so one memo serves every scrubber of a Processor. It holds
// at most 8 strings of at most maxPhrase bytes (copies, so that no larger
// string is kept alive), takes no lock, and a string whose slot another
// takes is only looked up again.
type phraseMemo struct {
	slots [8]atomic.Pointer[string]
}

func (m *phraseMemo) slot(s string) *atomic.Pointer[string] {
	return &m.slots[(len(s)+int(s[len(s)-1]))%len(m.slots)]
}

// has reports whether s, not empty, is remembered.
func (m *phraseMemo) has(s string) bool {
	p := m.slot(s).Load()
	return p != nil && *p == s
}

// add remembers s, not empty, if it is short enough.
func (m *phraseMemo) add(s string) {
	if len(s) > maxPhrase {
		return
	}
	c := strings.Clone(s)
	m.slot(s).Store(&c)
}
