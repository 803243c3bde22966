package cachetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TrafficServer starts Apache Traffic Server as a caching reverse proxy on
// 127.0.0.1 in front of backendAddr (host:port) and returns its base URL.
// Responses carry Server: ATS/<version>, a verbose Via with ATS's codes,
// and X-Cache-Lookup set by header_rewrite to ATS's own cache lookup result
// (miss, hit-fresh, ...): the setup issue 11 found reported as Squid.
//
// ATS refuses to serve as root; under root it runs as nobody, which must
// be able to write its cache, runtime and log directories.
func TrafficServer(t testing.TB, backendAddr string) string {
	t.Helper()
	return trafficServer(t, backendAddr, true)
}

// TrafficServerStock is TrafficServer without the header_rewrite plugin:
// responses carry only what a stock ATS sends, Server and the verbose Via
// with its codes.
func TrafficServerStock(t testing.TB, backendAddr string) string {
	t.Helper()
	return trafficServer(t, backendAddr, false)
}

func trafficServer(t testing.TB, backendAddr string, lookupHeader bool) string {
	t.Helper()
	bin := require(t, "traffic_server", "/usr/bin/traffic_server")
	if _, _, err := net.SplitHostPort(backendAddr); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "corscope-ats-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	etc, cache, run, logs := filepath.Join(dir, "etc"), filepath.Join(dir, "cache"), filepath.Join(dir, "run"), filepath.Join(dir, "log")
	for _, d := range []string{etc, cache, run, logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	runAs := ""
	if u, err := user.Current(); err == nil {
		runAs = u.Username
	}
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("traffic_server will not run as root and there is no user nobody: %v", err)
		}
		runAs = "nobody"
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{cache, run, logs} {
			if err := os.Chown(d, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	_, port, _ := net.SplitHostPort(addr)
	files := map[string]string{
		"runroot.yaml": fmt.Sprintf("prefix: /usr\nexec_prefix: /usr\nbindir: /usr/bin\nsbindir: /usr/sbin\nsysconfdir: %s\ndatadir: %s\nincludedir: /usr/include\nlibdir: /usr/lib/trafficserver\nlibexecdir: /usr/lib/trafficserver/modules\nlocalstatedir: %s\nruntimedir: %s\nlogdir: %s\ncachedir: %s\n",
			etc, cache, dir, run, logs, cache),
		"etc/records.config": strings.Join([]string{
			"CONFIG proxy.config.http.server_ports STRING " + port + ":ipv4:ip-in=127.0.0.1",
			"CONFIG proxy.config.http.cache.http INT 1",
			"CONFIG proxy.config.reverse_proxy.enabled INT 1",
			"CONFIG proxy.config.url_remap.remap_required INT 1",
			"CONFIG proxy.config.http.insert_response_via_str INT 3",
			"CONFIG proxy.config.proxy_name STRING ats-test",
			"CONFIG proxy.config.http.response_server_enabled INT 1",
			"CONFIG proxy.config.admin.user_id STRING " + runAs,
			"CONFIG proxy.config.http.cache.required_headers INT 0",
			"CONFIG proxy.config.http.wait_for_cache INT 1",
			"CONFIG proxy.config.hostdb.host_file.path STRING /etc/hosts",
			"",
		}, "\n"),
		"etc/remap.config":   fmt.Sprintf("map http://%s/ http://%s/\n", addr, backendAddr),
		"etc/storage.config": cache + " 64M\n",
		"etc/plugin.config":  "header_rewrite.so " + filepath.Join(etc, "lookup.conf") + "\n",
		"etc/lookup.conf":    "cond %{SEND_RESPONSE_HDR_HOOK}\nset-header X-Cache-Lookup %{CACHE}\n",
		"etc/ip_allow.yaml":  "ip_allow: [{apply: in, ip_addrs: 127.0.0.1, action: allow}, {apply: out, ip_addrs: 127.0.0.1, action: allow}]\n",
	}
	if !lookupHeader {
		files["etc/plugin.config"] = ""
		delete(files, "etc/lookup.conf")
	}
	for _, empty := range []string{"volume.config", "hosting.config", "cache.config", "parent.config", "splitdns.config",
		"socks.config", "logging.yaml", "sni.yaml", "strategies.yaml", "ssl_multicert.config"} {
		files["etc/"+empty] = ""
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(context.Background(), bin, "--run-root="+filepath.Join(dir, "runroot.yaml"))
	daemon(t, cmd, addr)
	return "http://" + addr
}
