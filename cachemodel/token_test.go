package cachemodel

import (
	"testing"

	"golang.org/x/net/http/httpguts"
)

// cachemodel cannot import httpguts (it pulls in package net), so it keeps
// a small tchar test of its own; this pins it to the one the settings use
// (internal/settings.IsToken is httpguts.ValidHeaderFieldName), so the two
// cannot drift apart (issue 13, item 1).
func TestIsTokenAgreesWithHTTPGuts(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, s := range []string{string([]byte{byte(c)}), "a" + string([]byte{byte(c)}) + "b"} {
			if got, want := isToken(s), httpguts.ValidHeaderFieldName(s); got != want {
				t.Errorf("isToken(%q) = %v, httpguts says %v", s, got, want)
			}
		}
	}
	for _, s := range []string{"", "X-Requested-With", "a b", "é", "x\x00"} {
		if got, want := isToken(s), httpguts.ValidHeaderFieldName(s); got != want {
			t.Errorf("isToken(%q) = %v, httpguts says %v", s, got, want)
		}
	}
}
