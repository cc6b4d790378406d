package toolenv

import "testing"

func TestNames(t *testing.T) {
	tests := []struct{ tool, prefix string }{
		{"pipectl", "PIPECTL"},
		{"my-tool", "MY_TOOL"},
		{"a.b c9", "A_B_C9"},
		{"ünï", "__N__"}, // each byte of a non-ASCII letter, after upper-casing
	}
	for _, tc := range tests {
		if got := Prefix(tc.tool); got != tc.prefix {
			t.Errorf("Prefix(%q) = %q, want %q", tc.tool, got, tc.prefix)
		}
	}
	p := Prefix("my-tool")
	for got, want := range map[string]string{
		Disable("my-tool"):  p + "_DISABLE_TELEMETRY",
		Endpoint("my-tool"): p + "_TELEMETRY_ENDPOINT",
		Debug("my-tool"):    p + "_TELEMETRY_DEBUG",
		Upload("my-tool"):   p + "_TELEMETRY_UPLOAD",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
