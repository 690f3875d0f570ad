package buildinfo

import "testing"

func TestString(t *testing.T) {
	for _, tt := range []struct{ v, c, d, want string }{
		{"dev", "", "", "dev"},
		{"1.0.0", "abc1234", "", "1.0.0 (commit abc1234)"},
		{"1.0.0", "abc1234", "2026-12-01T10:00:00Z", "1.0.0 (commit abc1234, built 2026-12-01T10:00:00Z)"},
	} {
		if got := String(tt.v, tt.c, tt.d); got != tt.want {
			t.Errorf("String(%q, %q, %q) = %q, want %q", tt.v, tt.c, tt.d, got, tt.want)
		}
	}
}
