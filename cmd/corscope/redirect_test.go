package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Issue 11, items 8 and 9, end to end: two loopback servers on different
// ports (different origins). The target redirects to the other server
// without ACAO on its 302; the other server grants whatever Origin it
// gets. A browser sends Origin: null to the second server, drops
// Authorization and Cookie there, and, since the 302 itself fails the CORS
// check, never gets that far: the variant is blocked at the redirect.
// Before the fix corscope sent the original Origin and the credentials on,
// checked only the last answer and reported the variant allowed.
func TestFollowRedirectAsBrowsersDo(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]http.Header{}
	record := func(r *http.Request) {
		mu.Lock()
		seen[r.Host+r.URL.Path] = r.Header.Clone()
		mu.Unlock()
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		w.Header().Set("Vary", "Origin")
	}))
	defer other.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		if r.URL.Path == "/kept" {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			return
		}
		w.Header().Set("Location", other.URL+"/final")
		w.WriteHeader(http.StatusFound)
	}))
	defer target.Close()

	code, out, errs := runCLI(t, "", "check", "--mode", "observe", "--rounds", "1", "--follow", "3", "--format", "json",
		"--fail-on", "none", "-o", "https://app.example.com",
		"-H", "Authorization: Bearer s3cret", "-H", "Cookie: sid=abc", target.URL+"/start")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	found := false
	for _, v := range rep.Targets[0].Variants {
		if v.Label != "https://app.example.com" {
			continue
		}
		found = true
		r := v.Response
		if r == nil || len(r.Hops) != 1 || r.Sent == nil {
			t.Fatalf("response %+v", r)
		}
		if r.Sent.Origin == nil || *r.Sent.Origin != "null" {
			t.Errorf("report: final request's Origin %v, want null", r.Sent.Origin)
		}
		if strings.Join(r.Sent.DroppedHeaders, ",") != "Authorization,Cookie" {
			t.Errorf("report: dropped %v", r.Sent.DroppedHeaders)
		}
		if h := r.Hops[0]; h.Status != 302 || h.CORS == nil || h.CORS.Allowed || h.Request.Origin == nil || *h.Request.Origin != "https://app.example.com" {
			t.Errorf("report: hop %+v cors %+v", h, h.CORS)
		}
		if v.CORS.Allowed == nil || *v.CORS.Allowed || v.CORS.AllowedWithCredentials == nil || *v.CORS.AllowedWithCredentials {
			t.Errorf("the variant must be blocked at the redirect: %+v", v.CORS)
		}
		if !strings.Contains(v.CORS.Detail, "redirect 1") {
			t.Errorf("detail %q does not name the redirect", v.CORS.Detail)
		}
		if strings.Contains(out, "s3cret") {
			t.Errorf("the report holds the Authorization value")
		}
	}
	if !found {
		t.Fatal("no configured-origin variant")
	}
	mu.Lock()
	defer mu.Unlock()
	otherHost := strings.TrimPrefix(other.URL, "http://")
	targetHost := strings.TrimPrefix(target.URL, "http://")
	if h := seen[targetHost+"/start"]; h.Get("Authorization") != "Bearer s3cret" || h.Get("Cookie") != "sid=abc" {
		t.Errorf("the target must get the credentials: %v", h)
	}
	h := seen[otherHost+"/final"]
	if h == nil {
		t.Fatal("the redirect was not followed")
	}
	if h.Get("Authorization") != "" || h.Get("Cookie") != "" {
		t.Errorf("the other origin received credentials: %v", h)
	}
}
