package demo

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func startEnv(t *testing.T) *Env {
	t.Helper()
	e, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestStartServesEveryTargetThroughTheCDN(t *testing.T) {
	e := startEnv(t)
	client := newTestClient(t)

	if len(e.Targets) != len(Paths)-1 {
		t.Fatalf("Targets = %d, want every path but big.bin (%d)", len(e.Targets), len(Paths)-1)
	}
	for _, u := range []string{e.OriginURL, e.CDNURL, e.PurgeAPIBase} {
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("%s does not listen on 127.0.0.1", u)
		}
	}
	if !strings.HasSuffix(e.PurgeAPIBase, "/client/v4") {
		t.Errorf("PurgeAPIBase = %q, want the Cloudflare-style /client/v4 base", e.PurgeAPIBase)
	}
	if fmt.Sprint(e.Origins) != fmt.Sprint(DemoOrigins()) {
		t.Errorf("Origins = %v", e.Origins)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(e.ZoneID) || len(e.Token) < 32 {
		t.Errorf("zone %q / token length %d not random enough", e.ZoneID, len(e.Token))
	}
	for i, target := range e.Targets {
		if target != e.CDNURL+Paths[i].Path {
			t.Errorf("Targets[%d] = %s, want %s", i, target, e.CDNURL+Paths[i].Path)
		}
		resp, _ := fetch(t, client, http.MethodGet, target, DemoOrigins()[0])
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", target, resp.StatusCode)
		}
		if resp.Header.Get("CF-Cache-Status") == "" || resp.Header.Get("Server") != CDNServerName {
			t.Errorf("%s: not served by the demo CDN (%v)", target, resp.Header)
		}
	}
	// The origin answers directly too, without CDN headers.
	resp, _ := fetch(t, client, http.MethodGet, e.OriginURL+"/cors/vary.json", noOrigin)
	if resp.Header.Get("CF-Cache-Status") != "" || resp.Header.Get("X-Origin-Hits") != "2" {
		t.Errorf("origin direct: CF-Cache-Status %q hits %q", resp.Header.Get("CF-Cache-Status"), resp.Header.Get("X-Origin-Hits"))
	}
}

// The story `corscope demo` tells: a poisoned variant, a purge through the
// Cloudflare-shaped API, and a clean response afterwards.
func TestEnvPoisonPurgeVerify(t *testing.T) {
	e := startEnv(t)
	client := newTestClient(t)
	app, admin := e.Origins[0], e.Origins[1]
	target := e.CDNURL + "/cors/no-vary.json"

	fetch(t, client, http.MethodGet, target, app)
	resp, _ := fetch(t, client, http.MethodGet, target, admin)
	if resp.Header.Get("CF-Cache-Status") != StatusHit || resp.Header.Get("Access-Control-Allow-Origin") != app {
		t.Fatalf("no poisoning: %s ACAO %q", resp.Header.Get("CF-Cache-Status"), resp.Header.Get("Access-Control-Allow-Origin"))
	}

	body := `{"files":["` + target + `"]}`
	req, _ := http.NewRequest(http.MethodPost, e.PurgeAPIBase+"/zones/"+e.ZoneID+"/purge_cache", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.Token)
	req.Header.Set("Content-Type", "application/json")
	presp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(presp.Body)
	presp.Body.Close()
	if presp.StatusCode != 200 || !strings.Contains(string(raw), `"success":true`) {
		t.Fatalf("purge: %d %s", presp.StatusCode, raw)
	}

	resp, _ = fetch(t, client, http.MethodGet, target, admin)
	if resp.Header.Get("CF-Cache-Status") != StatusMiss || resp.Header.Get("Access-Control-Allow-Origin") != admin {
		t.Errorf("after purge: %s ACAO %q, want MISS %s", resp.Header.Get("CF-Cache-Status"), resp.Header.Get("Access-Control-Allow-Origin"), admin)
	}
	if log := e.PurgeAPI.Requests(); len(log) != 1 || log[0].Removed != 1 {
		t.Errorf("purge log = %+v", log)
	}
}

func TestEnvTokenIsRandomAndNeverPrinted(t *testing.T) {
	a, b := startEnv(t), startEnv(t)
	if a.Token == b.Token || a.ZoneID == b.ZoneID {
		t.Error("token or zone repeated across Start calls")
	}
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%v", *a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), fmt.Sprintf("%s", a)} {
		if strings.Contains(s, a.Token) {
			t.Errorf("token printed: %s", s)
		}
		if !strings.Contains(s, a.CDNURL) {
			t.Errorf("description lacks the CDN URL: %s", s)
		}
	}
}

func TestStartCloseLeavesNothingRunning(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	client := newTestClient(t)

	e, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fetch(t, client, http.MethodGet, e.Targets[0], e.Origins[0]) // leaves keep-alive conns on both hops
	// A big download in flight must not hold Close beyond its bound.
	resp, err := client.Get(e.CDNURL + BigPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, 64<<10); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	if err := e.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if took := time.Since(began); took > shutdownTimeout+2*time.Second {
		t.Errorf("Close took %v, bound is %v", took, shutdownTimeout)
	}
	resp.Body.Close()
	client.CloseIdleConnections()
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, u := range []string{e.OriginURL, e.CDNURL, e.PurgeAPIBase} {
		host := strings.TrimPrefix(strings.TrimSuffix(u, "/client/v4"), "http://")
		if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Close", host)
		}
	}
}

func TestCancellingStartContextCloses(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	e, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(e.CDNURL, "http://")
	cancel()
	waitFor(t, "the CDN to stop listening", func() bool {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if err := e.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
}

func TestStartWithCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if e, err := Start(ctx); err == nil {
		_ = e.Close()
		t.Fatal("Start succeeded on a cancelled context")
	}
}
