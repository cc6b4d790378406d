package processor

import (
	"hash/maphash"
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
// at most 16 strings of at most maxPhrase bytes (copies, so that no larger
// string is kept alive) and takes no lock. A slot keeps the first string
// that takes it: a string whose slot is taken is looked up as before, and
// costs nothing more, however the strings alternate.
type phraseMemo struct {
	seed  maphash.Seed
	slots [16]atomic.Pointer[string]
}

func newPhraseMemo() *phraseMemo { return &phraseMemo{seed: maphash.MakeSeed()} }

func (m *phraseMemo) slot(s string) *atomic.Pointer[string] {
	return &m.slots[maphash.String(m.seed, s)%uint64(len(m.slots))]
}

// has reports whether s is remembered.
func (m *phraseMemo) has(s string) bool {
	p := m.slot(s).Load()
	return p != nil && *p == s
}

// add remembers s if it is short enough and its slot is free.
func (m *phraseMemo) add(s string) {
	slot := m.slot(s)
	if len(s) > maxPhrase || slot.Load() != nil {
		return
	}
	c := strings.Clone(s)
	slot.CompareAndSwap(nil, &c)
}
