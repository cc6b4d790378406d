package processor

import (
	"sync"
	"sync/atomic"
)

// Bounds of a cleanSet: what it can hold is fixed, whatever the spans.
const (
	maxCleanStrings = 256
	maxCleanLen     = 256
)

// cleanSet remembers strings that a long-lived scrubber (Config.Args', or a
// resource's) left unchanged, so that the span names and attribute values a
// tool writes again and again are scrubbed once. Readers take no lock: a
// set is never changed once published, only replaced by a larger copy, and
// it stops growing at maxCleanStrings.
type cleanSet struct {
	m  atomic.Pointer[map[string]struct{}]
	mu sync.Mutex // serialises add
}

func (c *cleanSet) has(s string) bool {
	m := c.m.Load()
	if m == nil {
		return false
	}
	_, ok := (*m)[s]
	return ok
}

func (c *cleanSet) add(s string) {
	if len(s) > maxCleanLen {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var next map[string]struct{}
	if old := c.m.Load(); old != nil {
		if len(*old) >= maxCleanStrings {
			return
		}
		if _, ok := (*old)[s]; ok {
			return
		}
		next = make(map[string]struct{}, len(*old)+1)
		for k := range *old {
			next[k] = struct{}{}
		}
	} else {
		next = make(map[string]struct{}, 1)
	}
	next[s] = struct{}{}
	c.m.Store(&next)
}
