package processor

import (
	"unicode"
	"unicode/utf8"
)

// matcher finds every occurrence of many patterns in one pass over a
// text (Aho–Corasick), so that scrubbing costs the length of the text plus
// that of the secrets, however many there are. With fold set, patterns and
// text are compared by Unicode simple case folding.
type matcher struct {
	fold  bool
	nodes []node // the trie; nodes[0] is the root
	root  [256]int32
}

// node is a node of the trie. Its children are a list: first child, then
// each child's next sibling (0: none; the root is nobody's child). The
// root's children are also in matcher.root, by byte.
type node struct {
	first, next, fail int32
	// out is the length, in (folded) bytes, of the longest pattern that
	// ends at the node, itself or through its failure links; 0: none.
	out   int32
	label byte
}

// newMatcher returns an empty matcher; size is the total length of the
// patterns to come, if known.
func newMatcher(fold bool, size int) *matcher {
	// Patterns share prefixes: the trie is smaller than their total.
	return &matcher{fold: fold, nodes: make([]node, 1, size/4+1)}
}

// add inserts a pattern and reports whether it is new; build must be
// called before the matcher is used.
func (m *matcher) add(p string) bool {
	st := int32(0)
	depth := int32(0)
	if isASCII(p) { // the common case, without a call per byte
		for i := 0; i < len(p); i++ {
			c := p[i]
			if m.fold {
				c = foldASCII(c)
			}
			st = m.child(st, c, true)
		}
		depth = int32(len(p))
	} else {
		m.each(p, func(c byte) {
			st = m.child(st, c, true)
			depth++
		})
	}
	if depth == 0 || m.nodes[st].out != 0 {
		return false
	}
	m.nodes[st].out = depth
	return true
}

// foldedLen returns the length of p as it is matched.
func (m *matcher) foldedLen(p string) int {
	if !m.fold || isASCII(p) {
		return len(p)
	}
	n := 0
	m.each(p, func(byte) { n++ })
	return n
}

// onLookup, when set (by tests), is called for every child lookup: the
// unit of the matcher's work.
var onLookup func()

// child returns the child of st labelled c, made if make is set; 0: none.
func (m *matcher) child(st int32, c byte, make bool) int32 {
	if onLookup != nil {
		onLookup()
	}
	if st == 0 {
		if ch := m.root[c]; ch != 0 || !make {
			return ch
		}
	} else {
		for ch := m.nodes[st].first; ch != 0; ch = m.nodes[ch].next {
			if m.nodes[ch].label == c {
				return ch
			}
		}
		if !make {
			return 0
		}
	}
	n := int32(len(m.nodes))
	if st == 0 {
		m.root[c] = n
		m.nodes = append(m.nodes, node{label: c})
	} else {
		m.nodes = append(m.nodes, node{label: c, next: m.nodes[st].first})
		m.nodes[st].first = n
	}
	return n
}

// build sets the failure links, breadth first.
func (m *matcher) build() {
	queue := make([]int32, 0, len(m.nodes))
	for _, ch := range m.root {
		if ch != 0 {
			queue = append(queue, ch)
		}
	}
	for i := 0; i < len(queue); i++ {
		u := queue[i]
		for v := m.nodes[u].first; v != 0; v = m.nodes[v].next {
			n := &m.nodes[v]
			n.fail = m.step(m.nodes[u].fail, n.label)
			if n.out == 0 {
				n.out = m.nodes[n.fail].out
			}
			queue = append(queue, v)
		}
	}
}

// step is the automaton's transition.
func (m *matcher) step(st int32, c byte) int32 {
	for st != 0 {
		if ch := m.child(st, c, false); ch != 0 {
			return ch
		}
		st = m.nodes[st].fail
	}
	return m.root[c]
}

// each calls f with the bytes of s as they are matched: s itself, or its
// case-folded form (each rune replaced by its key, see foldRune; bytes
// that are not UTF-8 are kept).
func (m *matcher) each(s string, f func(byte)) {
	if !m.fold {
		for i := 0; i < len(s); i++ {
			f(s[i])
		}
		return
	}
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			f(foldASCII(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			f(c)
			i++
			continue
		}
		n := utf8.EncodeRune(buf[:], foldRune(r))
		for _, b := range buf[:n] {
			f(b)
		}
		i += size
	}
}

func foldASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// foldRune returns the key of r for matching without case: the smallest
// rune of the simple folding orbit of its lower case. Runes that
// unicode.EqualFold or strings.ToLower make equal have the same key.
func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// any reports whether a pattern occurs in s; it does not allocate.
func (m *matcher) any(s string) bool {
	st := int32(0)
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		c := s[i]
		if !m.fold || c < utf8.RuneSelf {
			if m.fold {
				c = foldASCII(c)
			}
			if st = m.step(st, c); m.nodes[st].out != 0 {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n := 1
		if r == utf8.RuneError && size == 1 {
			buf[0] = c
		} else {
			n = utf8.EncodeRune(buf[:], foldRune(r))
		}
		for _, b := range buf[:n] {
			if st = m.step(st, b); m.nodes[st].out != 0 {
				return true
			}
		}
		i += size
	}
	return false
}

// span is a byte range [from, to) of a text.
type span struct{ from, to int }

// cover returns the byte ranges of s covered by occurrences of patterns,
// overlapping and adjacent ones merged, in order.
func (m *matcher) cover(s string) []span {
	// Offsets in the folded text map back to those of s: a folded byte
	// belongs to the rune of s at [start, end).
	var start, end []int32
	folded := s
	if m.fold && !isASCII(s) {
		b := make([]byte, 0, len(s))
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			before := len(b)
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[i])
			} else {
				b = utf8.AppendRune(b, foldRune(r))
			}
			for range len(b) - before {
				start, end = append(start, int32(i)), append(end, int32(i+size))
			}
			i += size
		}
		folded = string(b)
	}
	var spans []span
	st := int32(0)
	for j := 0; j < len(folded); j++ {
		c := folded[j]
		if m.fold && start == nil {
			c = foldASCII(c)
		}
		st = m.step(st, c)
		n := int(m.nodes[st].out)
		if n == 0 {
			continue
		}
		from, to := j+1-n, j+1
		if start != nil {
			from, to = int(start[from]), int(end[j])
		}
		// Merge with the ranges this one reaches; they all start before it ends.
		for len(spans) > 0 && from <= spans[len(spans)-1].to {
			from = min(from, spans[len(spans)-1].from)
			spans = spans[:len(spans)-1]
		}
		spans = append(spans, span{from, to})
	}
	return spans
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
