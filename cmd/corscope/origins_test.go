package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Issue 11, item 8: origins typed in a form browsers normalise are sent the
// way browsers serialise them, and stderr says so in one line; a --resolve
// port with a leading zero pins the URL's port instead of silently falling
// back to DNS.
func TestTypedOriginsAndResolveAreNormalised(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		w.Header().Set("Vary", "Origin")
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	code, out, errs := runCLI(t, "", "check", "--mode", "observe", "--rounds", "1", "--format", "json",
		"-o", "https://app.example.com:0443", "-o", "http://0x7f.0.0.1",
		"--resolve", "corscope.test:0"+port+":127.0.0.1", "http://corscope.test:"+port+"/")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "--origin https://app.example.com:0443 → https://app.example.com") ||
		!strings.Contains(errs, "--origin http://0x7f.0.0.1 → http://127.0.0.1") {
		t.Errorf("stderr should say in one line how the origins were normalised: %q", errs)
	}
	rep := decodeReport(t, out)
	var sent []string
	for _, v := range rep.Targets[0].Variants {
		if v.Error != nil {
			t.Errorf("%s: %s (the --resolve pin was not used?)", v.Label, v.Error.Message)
		}
		if o, ok := v.Request.Headers.Get("Origin"); ok {
			sent = append(sent, o)
		}
		if !strings.Contains(v.Curl, "corscope.test:"+port+":127.0.0.1") {
			t.Errorf("curl reproducer does not pin what the probe pinned: %s", v.Curl)
		}
	}
	if got := strings.Join(sent, " "); got != "https://app.example.com http://127.0.0.1 http://corscope.test:"+port+" null" {
		t.Errorf("Origins sent: %s", got)
	}
}
