package main

import "testing"

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"  padded \n", "padded"},
		{"a\nb\r\nc\rd", "a b c d"},
		{"file \x1b]0;owned\x07 is world-readable", `file \x1b]0;owned\x07 is world-readable`},
		{"tab\there", `tab\there`},
		{"", ""},
	} {
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
