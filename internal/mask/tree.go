package mask

import "strings"

// Flag describes one flag of a command.
type Flag struct {
	Name       string   // long name without dashes: "pipeline"
	Shorthand  string   // one ASCII letter without dash: "p"; "" none
	TakesValue bool     // false: boolean flag, consumes no value; --flag=value still masks value unless true/false or allowed
	Allowed    []string // values that may pass unmasked (enum allow-list); nil: every value masked
	List       bool     // value is a comma-separated list; each element checked against Allowed
	Persistent bool     // inherited by subcommands (cobra persistent flags)
}

// Command describes one command of the tool's command tree.
type Command struct {
	Name     string
	Aliases  []string
	Flags    []Flag
	Commands []Command
	// SingleDash, on the root, says the tool parses flags like Go's flag
	// package: -name and --name are the same long flag, and there are no
	// shorthands or shorthand groups.
	SingleDash bool
}

// Masker turns argument vectors into their masked form. It is built once
// from the command tree, is immutable and safe for concurrent use.
type Masker struct {
	root       *node
	allowed    map[string]struct{} // words that may appear unmasked anywhere
	singleDash bool
}

type flagSpec struct {
	takesValue bool
	list       bool
	allowed    map[string]struct{}
}

type node struct {
	name     string
	children map[string]*node // by name and alias
	long     map[string]*flagSpec
	short    map[byte]*flagSpec
}

// New builds a masker for the command tree rooted at root; root.Name
// is the program name. Cobra's implicit --help/-h and --version flags are
// known (as boolean flags) at every level unless the tree defines them.
func New(root Command) *Masker {
	m := &Masker{allowed: map[string]struct{}{}}
	for _, w := range []string{Placeholder, "--", "true", "false", "help", "--help", "h", "-h", "version", "--version"} {
		m.allowed[w] = struct{}{}
	}
	m.singleDash = root.SingleDash
	if m.singleDash {
		m.allow("-help")
		m.allow("-version")
	}
	m.root = m.build(root, nil)
	return m
}

func (m *Masker) allow(w string) {
	if w != "" {
		m.allowed[w] = struct{}{}
	}
}

// build makes the node for c; inherited are the persistent flags of its
// ancestors (a local flag of the same name wins).
func (m *Masker) build(c Command, inherited []Flag) *node {
	n := &node{
		name:     c.Name,
		children: map[string]*node{},
		long:     map[string]*flagSpec{},
		short:    map[byte]*flagSpec{},
	}
	m.allow(c.Name)
	for _, a := range c.Aliases {
		m.allow(a)
	}
	for _, fl := range append(append([]Flag(nil), inherited...), c.Flags...) {
		spec := &flagSpec{takesValue: fl.TakesValue, list: fl.List}
		if fl.Allowed != nil {
			spec.allowed = make(map[string]struct{}, len(fl.Allowed))
			for _, v := range fl.Allowed {
				spec.allowed[v] = struct{}{}
				m.allow(v)
			}
		}
		if fl.Name != "" && !strings.Contains(fl.Name, "=") {
			n.long[fl.Name] = spec
			m.allow(fl.Name)
			m.allow("--" + fl.Name)
			if m.singleDash {
				m.allow("-" + fl.Name)
			}
		}
		if len(fl.Shorthand) == 1 && fl.Shorthand != "-" && fl.Shorthand != "=" {
			n.short[fl.Shorthand[0]] = spec
			m.allow(fl.Shorthand)
			m.allow("-" + fl.Shorthand)
		}
	}
	// Cobra's implicit flags; they are boolean and never unmask anything.
	if _, ok := n.long["help"]; !ok {
		n.long["help"] = &flagSpec{}
	}
	if _, ok := n.short['h']; !ok {
		n.short['h'] = n.long["help"]
	}
	if _, ok := n.long["version"]; !ok {
		n.long["version"] = &flagSpec{}
	}

	persistent := inherited
	for _, fl := range c.Flags {
		if fl.Persistent {
			persistent = append(persistent[:len(persistent):len(persistent)], fl)
		}
	}
	for _, sub := range c.Commands {
		child := m.build(sub, persistent)
		for _, name := range append([]string{sub.Name}, sub.Aliases...) {
			if _, taken := n.children[name]; name != "" && !taken {
				n.children[name] = child
			}
		}
	}
	return n
}

// Allowed reports whether word is on the allow-list: the mask, a command
// name or alias, a flag name (bare, --long or -s form), an allowed flag
// value, "--", "true" or "false". Such a word may appear unmasked.
func (m *Masker) Allowed(word string) bool {
	_, ok := m.allowed[word]
	return ok
}
