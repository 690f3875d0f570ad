package iostreams

import "testing"

func TestColorAllowed(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	tests := []struct {
		name string
		tty  bool
		vars map[string]string
		want bool
	}{
		{"terminal", true, map[string]string{"TERM": "xterm-256color"}, true},
		{"pipe", false, map[string]string{"TERM": "xterm"}, false},
		{"NO_COLOR set", true, map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, false},
		{"NO_COLOR set but empty", true, map[string]string{"TERM": "xterm", "NO_COLOR": ""}, false},
		{"dumb terminal", true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := colorAllowed(tt.tty, env(tt.vars)); got != tt.want {
				t.Errorf("colorAllowed(%v, %v) = %v, want %v", tt.tty, tt.vars, got, tt.want)
			}
		})
	}
}
