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
		Disable("my-tool"):        p + "_DISABLE_TELEMETRY",
		Endpoint("my-tool"):       p + "_TELEMETRY_ENDPOINT",
		Debug("my-tool"):          p + "_TELEMETRY_DEBUG",
		Upload("my-tool"):         p + "_TELEMETRY_UPLOAD",
		UploadInterval("my-tool"): p + "_TELEMETRY_UPLOAD_INTERVAL",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestOptOut(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"DO_NOT_TRACK": ""}, "DO_NOT_TRACK"},
		{map[string]string{"DO_NOT_TRACK": "0"}, "DO_NOT_TRACK"},
		{map[string]string{"MY_TOOL_DISABLE_TELEMETRY": "false"}, "MY_TOOL_DISABLE_TELEMETRY"},
		{map[string]string{"OTEL_SDK_DISABLED": "true"}, "OTEL_SDK_DISABLED"},
		{map[string]string{"OTEL_SDK_DISABLED": " TRUE "}, "OTEL_SDK_DISABLED"},
		{map[string]string{"OTEL_SDK_DISABLED": "false"}, ""},
		{map[string]string{"OTEL_SDK_DISABLED": "1"}, ""}, // the specification says "true"
		{map[string]string{"OTEL_SDK_DISABLED": ""}, ""},
	}
	for _, tc := range tests {
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		name, ok := OptOut("my-tool", lookup)
		if name != tc.want || ok != (tc.want != "") {
			t.Errorf("OptOut with %v = %q, %v; want %q", tc.env, name, ok, tc.want)
		}
	}
}
