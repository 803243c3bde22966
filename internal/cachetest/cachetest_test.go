package cachetest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func origin(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "public, max-age=60")
		_, _ = io.WriteString(w, "hello")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func get(t *testing.T, url string, method string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestVarnishCachesAndPurges(t *testing.T) {
	srv, hits := origin(t)
	base := Varnish(t, Host(srv.URL))
	get(t, base+"/a", "GET")
	r := get(t, base+"/a", "GET")
	if hits.Load() != 1 {
		t.Fatalf("origin hit %d times; varnish did not cache", hits.Load())
	}
	if len(r.Header.Get("X-Varnish")) == 0 || r.Header.Get("Age") == "" {
		t.Fatalf("no X-Varnish/Age on a hit: %v", r.Header)
	}
	if p := get(t, base+"/a", "PURGE"); p.StatusCode != 200 {
		t.Fatalf("PURGE status %d", p.StatusCode)
	}
	get(t, base+"/a", "GET")
	if hits.Load() != 2 {
		t.Fatalf("after PURGE the origin should be hit again; hits=%d", hits.Load())
	}
}

func TestNginxCachesAndPurges(t *testing.T) {
	srv, hits := origin(t)
	base := Nginx(t, Host(srv.URL), NginxOptions{Purge: true})
	if r := get(t, base+"/a", "GET"); r.Header.Get("X-Cache-Status") != "MISS" {
		t.Fatalf("first request: X-Cache-Status %q", r.Header.Get("X-Cache-Status"))
	}
	if r := get(t, base+"/a", "GET"); r.Header.Get("X-Cache-Status") != "HIT" {
		t.Fatalf("second request: X-Cache-Status %q", r.Header.Get("X-Cache-Status"))
	}
	if p := get(t, base+"/purge/a", "GET"); p.StatusCode != 200 {
		t.Fatalf("purge status %d", p.StatusCode)
	}
	if r := get(t, base+"/a", "GET"); r.Header.Get("X-Cache-Status") != "MISS" {
		t.Fatalf("after purge: X-Cache-Status %q", r.Header.Get("X-Cache-Status"))
	}
	if hits.Load() != 2 {
		t.Fatalf("origin hits %d, want 2", hits.Load())
	}
}
