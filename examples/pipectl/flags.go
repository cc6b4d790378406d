package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

// yesNoValue is a flag taking yes|no|y|n in any case. set records whether
// the flag was given.
type yesNoValue struct {
	value bool
	set   bool
}

func (v *yesNoValue) String() string {
	if v.value {
		return "yes"
	}
	return "no"
}

func (v *yesNoValue) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y":
		v.value = true
	case "no", "n":
		v.value = false
	default:
		return fmt.Errorf("want yes or no")
	}
	v.set = true
	return nil
}

func (v *yesNoValue) Type() string { return "yes|no" }

// ptr returns the choice, or nil when the flag was not given.
func (v *yesNoValue) ptr() *bool {
	if !v.set {
		return nil
	}
	b := v.value
	return &b
}

// toolsValue is a flag taking a comma list of tools from project.AllTools.
type toolsValue struct{ tools []string }

func (v *toolsValue) String() string { return strings.Join(v.tools, ",") }

func (v *toolsValue) Set(s string) error {
	t, err := project.ParseTools(s)
	if err != nil {
		return err
	}
	v.tools = t
	return nil
}

func (v *toolsValue) Type() string { return "tools" }

// choiceValue is a flag taking one of a fixed set of words.
type choiceValue struct {
	value   string
	choices []string
}

func (v *choiceValue) String() string { return v.value }

func (v *choiceValue) Set(s string) error {
	s = strings.ToLower(strings.TrimSpace(s))
	if !slices.Contains(v.choices, s) {
		return fmt.Errorf("want one of %s", strings.Join(v.choices, ", "))
	}
	v.value = s
	return nil
}

func (v *choiceValue) Type() string { return strings.Join(v.choices, "|") }
