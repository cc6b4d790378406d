package mask

import (
	"strings"
)

// Placeholder replaces every argument value that the allow-list does not name.
const Placeholder = "*****"

// Result is a masked argument vector.
type Result struct {
	Args    []string // root name followed by the masked tokens: ["pipectl","run","--pipeline","*****"]
	Line    string   // strings.Join(Args, " ")
	Path    []string // the known command path, canonical names: ["pipectl","run"]
	Secrets []string // raw tokens, or raw token parts, that were masked; a split token (--flag=value, -fvalue) also adds the raw token itself
}

// Mask masks args (the arguments WITHOUT the program name, i.e. os.Args[1:]).
//
// The command path is resolved the way cobra resolves it: the first word
// that is not a flag, not a flag's value and not a subcommand ends the
// descent. The flags are then read with the flag set of the command found
// (its own flags, inherited persistent flags, --help/-h/--version). Kept
// are: command words of the path, known flag names, and values that their
// flag's allow-list names. Everything else becomes Mask.
func (m *Masker) Mask(args []string) Result {
	if m.singleDash {
		return m.maskSingleDash(args)
	}
	isCmd := make([]bool, len(args))
	n := m.root
	path := []string{m.root.name}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if a == Placeholder { // an already masked token: masking is idempotent
			continue
		}
		if len(a) > 1 && a[0] == '-' {
			if n.consumesNext(a) {
				i++
			}
			continue
		}
		child := n.children[a]
		if child == nil {
			break
		}
		isCmd[i] = true
		path = append(path, child.name)
		n = child
	}

	w := maskWriter{out: make([]string, 0, len(args)+2), hint: len(args)}
	if m.root.name != "" {
		w.out = append(w.out, m.root.name)
	}
	// rendered[i] is what token i becomes; a flag renders the value it
	// consumes. The value is the next token that is not a command word:
	// cobra removes command words before the flags are parsed.
	rendered := make([]piece, len(args))
	done := make([]bool, len(args))
	consume := func(i int, spec *flagSpec) {
		for j := i + 1; j < len(args); j++ {
			if !isCmd[j] {
				done[j] = true
				rendered[j] = one(w.value(spec, args[j]))
				return
			}
		}
	}
	afterDashes := false
	for i, a := range args {
		if done[i] {
			continue
		}
		done[i] = true
		switch {
		case afterDashes:
			rendered[i] = one(w.secret(a))
		case isCmd[i]:
			rendered[i] = one(a)
		case a == "--":
			rendered[i] = one("--")
			afterDashes = true
		case strings.HasPrefix(a, "--"):
			rendered[i] = w.long(n, a, func(spec *flagSpec) { consume(i, spec) })
		case len(a) > 1 && a[0] == '-':
			rendered[i] = w.short(n, a, func(spec *flagSpec) { consume(i, spec) })
		default:
			rendered[i] = one(w.secret(a))
		}
	}
	for _, r := range rendered {
		w.out = append(w.out, r.tok[:r.n]...)
	}
	return Result{Args: w.out, Line: strings.Join(w.out, " "), Path: path, Secrets: w.secrets}
}

// consumesNext reports whether flag token a takes the next token as its
// value during path resolution, following cobra's stripFlags: an unknown
// --flag or -f without "=" is assumed to take one.
func (n *node) consumesNext(a string) bool {
	if strings.Contains(a, "=") {
		return false
	}
	if strings.HasPrefix(a, "--") {
		spec := n.long[a[2:]]
		return spec == nil || spec.takesValue
	}
	if len(a) != 2 {
		return false
	}
	spec := n.short[a[1]]
	return spec == nil || spec.takesValue
}

// piece is what one input token becomes: no, one or two output tokens.
type piece struct {
	tok [2]string
	n   int
}

func one(a string) piece    { return piece{tok: [2]string{a}, n: 1} }
func two(a, b string) piece { return piece{tok: [2]string{a, b}, n: 2} }

// maskWriter collects the secrets while tokens are rendered.
type maskWriter struct {
	out     []string
	secrets []string
	seen    map[string]struct{} // the secrets, once there are many
	hint    int                 // how many tokens there are, to size seen
}

// secret records raw as masked and returns Mask.
func (w *maskWriter) secret(raw string) string {
	if w.seen == nil && len(w.secrets) < 16 {
		// A few: a scan costs less than a map.
		for _, s := range w.secrets {
			if s == raw {
				return Placeholder
			}
		}
		w.secrets = append(w.secrets, raw)
		return Placeholder
	}
	if w.seen == nil {
		w.seen = make(map[string]struct{}, max(2*len(w.secrets), w.hint))
		for _, s := range w.secrets {
			w.seen[s] = struct{}{}
		}
	}
	if _, dup := w.seen[raw]; !dup {
		w.seen[raw] = struct{}{}
		w.secrets = append(w.secrets, raw)
	}
	return Placeholder
}

// value renders the value of a value-taking flag.
func (w *maskWriter) value(spec *flagSpec, v string) string {
	if spec.list {
		elems := strings.Split(v, ",")
		masked := false
		for k, e := range elems {
			if _, ok := spec.allowed[e]; !ok {
				elems[k] = w.secret(e)
				masked = true
			}
		}
		if masked && len(elems) > 1 {
			w.secret(v)
		}
		return strings.Join(elems, ",")
	}
	if _, ok := spec.allowed[v]; ok {
		return v
	}
	return w.secret(v)
}

// boolValue reports whether v may pass as the =value of a boolean flag.
func boolValue(spec *flagSpec, v string) bool {
	if v == "true" || v == "false" {
		return true
	}
	_, ok := spec.allowed[v]
	return ok
}

// long renders a --flag token; consume is called when the flag takes the
// next token as its value.
func (w *maskWriter) long(n *node, a string, consume func(*flagSpec)) piece {
	name, v, hasValue := strings.Cut(a[2:], "=")
	spec := n.long[name]
	if spec == nil || name == "" {
		// Unknown: the flag name itself may be a secret (--sk-live-123).
		w.secret(a)
		if hasValue {
			w.secret("--" + name)
			w.secret(v)
		}
		if name != "" {
			w.secret(name)
		}
		return one(Placeholder)
	}
	switch {
	case !hasValue:
		if spec.takesValue {
			consume(spec)
		}
		return one(a)
	case spec.takesValue:
		r := w.value(spec, v)
		if r != v {
			w.secret(a)
		}
		return two("--"+name, r)
	case boolValue(spec, v):
		return one(a)
	default:
		w.secret(v)
		w.secret(a)
		return two("--"+name, Placeholder)
	}
}

// short renders a -f token in pflag's forms: -f, -abc (booleans), -fvalue,
// -f=value, -abfvalue.
func (w *maskWriter) short(n *node, a string, consume func(*flagSpec)) piece {
	s := a[1:]
	for j := 0; j < len(s); j++ {
		spec := n.short[s[j]]
		if spec == nil {
			w.secret(a)
			w.secret(s)
			if _, v, ok := strings.Cut(s, "="); ok {
				w.secret(v) // -x=value: the value alone may be echoed
			}
			return one(Placeholder)
		}
		if !spec.takesValue {
			if j+1 < len(s) && s[j+1] == '=' {
				v := s[j+2:]
				if boolValue(spec, v) {
					return one(a)
				}
				w.secret(v)
				w.secret(a)
				return two(a[:j+2], Placeholder)
			}
			continue
		}
		rest := s[j+1:]
		if rest == "" {
			consume(spec)
			return one(a)
		}
		rest = strings.TrimPrefix(rest, "=")
		r := w.value(spec, rest)
		if r != rest {
			w.secret(a)
		}
		return two(a[:j+2], r)
	}
	return one(a)
}

// MaskArgv masks a full argument vector as found in process.command_args:
// argv[0] is dropped when it is the program (its name or any path); a path
// is recorded as a secret since it may name the user.
func (m *Masker) MaskArgv(argv []string) Result {
	if len(argv) == 0 {
		return m.Mask(nil)
	}
	a0 := argv[0]
	if a0 == m.root.name {
		return m.Mask(argv[1:])
	}
	if strings.ContainsAny(a0, `/\`) || (m.root.name != "" && strings.TrimSuffix(a0, ".exe") == m.root.name) {
		res := m.Mask(argv[1:])
		res.Secrets = append(res.Secrets, a0)
		return res
	}
	return m.Mask(argv)
}

// maskSingleDash masks args of a tool that parses flags like Go's flag
// package: each -name token is read as --name, and rendered back with the
// single dash the user typed.
func (m *Masker) maskSingleDash(args []string) Result {
	norm := make([]string, len(args))
	single := make(map[string]string) // normalised token -> raw token
	for i, a := range args {
		norm[i] = a
		if len(a) > 1 && a[0] == '-' && !strings.HasPrefix(a, "--") {
			norm[i] = "-" + a
			single[norm[i]] = a
		}
	}
	m2 := *m
	m2.singleDash = false
	res := m2.Mask(norm)
	for i, tok := range res.Args {
		if i > 0 && strings.HasPrefix(tok, "--") && tok != "--" {
			if _, ok := single[tok]; ok || m.root.longFlag(tok) {
				res.Args[i] = tok[1:]
			}
		}
	}
	for _, s := range res.Secrets {
		if raw, ok := single[s]; ok {
			// Keep both: "--x" may also have been typed as such.
			res.Secrets = append(res.Secrets, raw)
		}
	}
	res.Line = strings.Join(res.Args, " ")
	return res
}

// longFlag reports whether tok ("--name") names a flag of n or of any
// command below it.
func (n *node) longFlag(tok string) bool {
	if _, ok := n.long[tok[2:]]; ok {
		return true
	}
	for _, c := range n.children {
		if c.longFlag(tok) {
			return true
		}
	}
	return false
}
