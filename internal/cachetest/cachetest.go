// Package cachetest starts real caches (Debian's Varnish and nginx) on
// 127.0.0.1 in front of a test origin, for end-to-end tests. Each cache
// runs in its own temporary directory and is stopped by t.Cleanup.
//
// When a cache binary is missing the test is skipped with the reason,
// unless CORSCOPE_REQUIRE_CACHES=1 (set by .ci/run), which turns the skip
// into a failure so CI can never pass without exercising real caches.
package cachetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// require skips or fails when a binary is missing.
func require(t testing.TB, bin string, paths ...string) string {
	t.Helper()
	for _, p := range append([]string{bin}, paths...) {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("%s not installed (apt-get install varnish nginx-light libnginx-mod-http-cache-purge; .ci/run does this)", bin)
	if os.Getenv("CORSCOPE_REQUIRE_CACHES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freePort finds a free loopback port for a daemon that must be told its
// port up front.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitListening polls until addr accepts connections, or fails the test
// with the daemon's log.
func waitListening(t testing.TB, addr string, exited <-chan struct{}, logf func() string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("cache exited before listening on %s; log:\n%s", addr, logf())
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("cache did not start listening on %s; log:\n%s", addr, logf())
}

// daemon runs cmd in the foreground until the test ends.
func daemon(t testing.TB, cmd *exec.Cmd, addr string) {
	t.Helper()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so cleanup can stop its children too
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	waitListening(t, addr, exited, func() string { return out.String() })
}

// syncBuffer collects a daemon's output; the log is read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Varnish starts varnishd listening on 127.0.0.1 with backend at
// backendAddr (host:port) and returns its base URL. The VCL is the built-in
// one (caches GET, honours Vary) plus a PURGE handler for 127.0.0.1.
func Varnish(t testing.TB, backendAddr string) string {
	t.Helper()
	return varnish(t, backendAddr, "")
}

// VarnishKeyOnOrigin is Varnish with the Origin request header added to
// the cache key (vcl_hash), as a correctly configured edge does: a copy
// made for one Origin never reaches another, with or without Vary.
func VarnishKeyOnOrigin(t testing.TB, backendAddr string) string {
	t.Helper()
	return varnish(t, backendAddr, `
sub vcl_hash {
	hash_data(req.http.Origin);
}
`)
}

func varnish(t testing.TB, backendAddr, extraVCL string) string {
	t.Helper()
	bin := require(t, "varnishd", "/usr/sbin/varnishd")
	host, port, err := net.SplitHostPort(backendAddr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vcl := fmt.Sprintf(`vcl 4.1;
backend default { .host = %q; .port = %q; }
acl purgers { "127.0.0.1"; }
sub vcl_recv {
	if (req.method == "PURGE") {
		if (!client.ip ~ purgers) { return (synth(405, "Not allowed")); }
		return (purge);
	}
}
`, host, port) + extraVCL
	vclPath := filepath.Join(dir, "test.vcl")
	if err := os.WriteFile(vclPath, []byte(vcl), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.CommandContext(context.Background(), bin, "-F", "-j", "none", "-n", filepath.Join(dir, "work"),
		"-a", addr, "-T", "none", "-f", vclPath, "-s", "malloc,32m", "-p", "default_ttl=120")
	daemon(t, cmd, addr)
	return "http://" + addr
}

// NginxOptions shape the nginx cache.
type NginxOptions struct {
	// KeyOnOrigin adds $http_origin to proxy_cache_key (Origin in the key:
	// Vary is then unneeded).
	KeyOnOrigin bool
	// Purge adds a separate purge location, /purge/<path>, using
	// ngx_cache_purge (the same-location form crashes nginx 1.22's worker).
	Purge bool
	// StatusHeader names the header carrying $upstream_cache_status;
	// "" means X-Cache-Status.
	StatusHeader string
	// Bypass makes requests with an X-Bypass header skip the cache
	// (proxy_cache_bypass and proxy_no_cache): $upstream_cache_status BYPASS.
	Bypass bool
}

// Nginx starts nginx as a caching reverse proxy on 127.0.0.1 in front of
// backendAddr and returns its base URL. Responses carry X-Cache-Status.
func Nginx(t testing.TB, backendAddr string, opt NginxOptions) string {
	t.Helper()
	bin := require(t, "nginx", "/usr/sbin/nginx")
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	// The key names the backend literally: $proxy_host is empty in the purge
	// location, which has no proxy_pass.
	key := "${scheme}" + backendAddr + "$request_uri"
	if opt.KeyOnOrigin {
		key += "|$http_origin"
	}
	status := "X-Cache-Status"
	if opt.StatusHeader != "" {
		status = opt.StatusHeader
	}
	bypass := ""
	if opt.Bypass {
		bypass = "proxy_cache_bypass $http_x_bypass; proxy_no_cache $http_x_bypass;"
	}
	var load, purge string
	if opt.Purge {
		mod := "/usr/lib/nginx/modules/ngx_http_cache_purge_module.so"
		if _, err := os.Stat(mod); err != nil {
			require(t, "ngx_http_cache_purge_module.so (libnginx-mod-http-cache-purge)")
		}
		load = "load_module " + mod + ";"
		purgeKey := "${scheme}" + backendAddr + "$1$is_args$args"
		if opt.KeyOnOrigin {
			purgeKey += "|$http_origin"
		}
		purge = fmt.Sprintf(`
		location ~ ^/purge(/.*)$ {
			allow 127.0.0.1; deny all;
			proxy_cache_purge c %s;
		}`, purgeKey)
	}
	conf := fmt.Sprintf(`%s
daemon off;
master_process on;
worker_processes 1;
user root;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	proxy_cache_path %[2]s/cache levels=1:2 keys_zone=c:4m max_size=64m inactive=10m use_temp_path=off;
	server {
		listen %[3]s;
		location / {
			proxy_pass http://%[4]s;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_cache c;
			proxy_cache_key %[5]s;
			proxy_cache_valid 200 2m;
			proxy_buffering on;
			proxy_max_temp_file_size 0;
			add_header %[7]s $upstream_cache_status always;
			%[8]s
		}%[6]s
	}
}
`, load, dir, addr, backendAddr, key, purge, status, bypass)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	daemon(t, cmd, addr)
	return "http://" + addr
}

// Host returns host:port of a base URL made by this package.
func Host(base string) string { return strings.TrimPrefix(base, "http://") }
