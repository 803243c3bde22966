package browserconfirm

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/browser"
	"github.com/corscope/corscope/internal/browsertest"
)

// needBrowser starts a Confirmer for k; a missing browser skips (naming
// what it waits for) or fails under CORSCOPE_REQUIRE_BROWSERS=1 (CI), as
// browsertest.Require decides.
func needBrowser(t *testing.T, k browser.Kind) *Confirmer {
	t.Helper()
	browsertest.Require(t, k)
	c, err := New(context.Background(), string(k))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func noBrowserLeft(t *testing.T) {
	t.Helper()
	if left := browser.Running(DirPrefix()); len(left) > 0 {
		t.Errorf("browser processes still running: %v", left)
	}
}

// report is a target with one configured variant per origin, as observe
// mode makes it, with corscope's verdict allowed.
func report(target string, origins ...string) cachemodel.TargetReport {
	tr := cachemodel.TargetReport{URL: target}
	yes := true
	for _, o := range origins {
		o := o
		tr.Variants = append(tr.Variants, cachemodel.VariantResult{Label: o, Kind: cachemodel.KindConfigured, Origin: &o, Round: 1,
			Method: "GET", Request: cachemodel.RequestInfo{URL: target}, Response: &cachemodel.ResponseInfo{Status: 200},
			CORS: cachemodel.CORSInfo{Applicable: true, Allowed: &yes, AllowedWithCredentials: &yes}})
	}
	return tr
}

func TestClassify(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		r         pageResult
		console   string
		reachable *bool
		want      string
	}{
		{pageResult{OK: true, Status: 204}, "", nil, cachemodel.BrowserAllowed},
		{pageResult{Error: "TypeError: Failed to fetch"}, "Access to fetch at 'x' from origin 'y' has been blocked by CORS policy: No 'Access-Control-Allow-Origin'", nil, cachemodel.BrowserBlocked},
		{pageResult{Error: "TypeError: NetworkError when attempting to fetch resource."}, "", &yes, cachemodel.BrowserBlocked},
		{pageResult{Error: "TypeError: Failed to fetch"}, "net::ERR_CONNECTION_REFUSED", &no, cachemodel.BrowserFailed},
		// Neither a console text nor a reachability answer: never guessed.
		{pageResult{Error: "TypeError: NetworkError when attempting to fetch resource."}, "", nil, cachemodel.BrowserUnknown},
		{pageResult{Error: "AbortError: The operation was aborted.", Aborted: true}, "", &yes, cachemodel.BrowserUnknown},
	} {
		if got := classify(c.r, c.console, c.reachable); got.Result != c.want {
			t.Errorf("classify(%+v, %q, %v) = %s, want %s", c.r, c.console, c.reachable, got.Words(), c.want)
		}
	}
}

func TestConsoleByFetch(t *testing.T) {
	log := strings.Join([]string{
		`[1:1:1206/1.1:INFO:CONSOLE(0)] "Access to fetch at 'a' blocked by CORS policy: before any marker", source: x (0)`,
		`[1:1:1206/1.2:INFO:CONSOLE:12] "corscope-confirm:begin:o0:omit", source: http://app.test/ (12)`,
		`[1:1:1206/1.3:INFO:CONSOLE(0)] "GET http://t/x net::ERR_FAILED 200 (OK)", source: http://app.test/ (0)`,
		`[1:1:1206/1.4:INFO:CONSOLE(0)] "Access to fetch at 'http://t/x' from origin 'http://app.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.", source: http://app.test/ (0)`,
		`[1:1:1206/1.5:INFO:CONSOLE:12] "corscope-confirm:begin:o0:include", source: http://app.test/ (12)`,
		`[1:1:1206/1.6:INFO:CONSOLE:3] "unrelated", source: http://app.test/ (3)`,
		`[1:1:1206/1.7:INFO:CONSOLE:12] "corscope-confirm:end:o0", source: http://app.test/ (12)`,
		`[1:1:1206/1.8:INFO:CONSOLE(0)] "Access to fetch at 'b' blocked by CORS policy: after the end", source: x (0)`,
	}, "\n")
	got := consoleByFetch(browser.Chromium, log)
	if !strings.HasPrefix(got["o0:omit"], "Access to fetch at 'http://t/x'") || !strings.HasSuffix(got["o0:omit"], "requested resource.") {
		t.Errorf("o0:omit = %q", got["o0:omit"])
	}
	if got["o0:include"] != "" || len(got) != 1 {
		t.Errorf("messages outside a fetch's markers were kept: %q", got)
	}
}

// A page cannot be served on a port browsers refuse: unknown at once, and
// no browser is started (the binary does not even exist).
func TestBadPortOriginIsUnknownWithoutBrowser(t *testing.T) {
	c := &Confirmer{Kind: browser.Chromium, Bin: "/nonexistent/chromium", Version: "0"}
	tr := report("http://127.0.0.1:9/x", "http://app.test:6667")
	start := time.Now()
	c.Confirm(&tr)
	bc := tr.Variants[0].BrowserConfirm
	if bc == nil || bc.Anonymous.Result != cachemodel.BrowserUnknown || !strings.Contains(bc.Anonymous.Error, "port 6667") || bc.Anonymous.Agrees != nil {
		t.Fatalf("bad-port origin: %+v", bc)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

// Only the pages' hosts are mapped; the certificate names the https
// pages' hosts and nothing else; Firefox's override covers exactly them.
func TestOnlyPageHostsMappedAndCertScoped(t *testing.T) {
	target := "https://cdn.example.net/app.js"
	s, err := newServer(target, "GET", []string{"https://app.example.com", "http://admin.example.com:8080", "https://127.0.0.1:8443"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	cert := s.cert.Leaf
	if !slices.Equal(cert.DNSNames, []string{"app.example.com"}) || len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("certificate names %v %v, want app.example.com and 127.0.0.1", cert.DNSNames, cert.IPAddresses)
	}
	if cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign != 0 {
		t.Errorf("the throwaway certificate can sign others")
	}
	co, _ := s.options(browser.Chromium, "/p/corscope.pac")
	args := strings.Join(co.ChromiumArgs, " ")
	for _, want := range []string{"MAP app.example.com:443 127.0.0.1:", "MAP admin.example.com:8080 127.0.0.1:", "MAP 127.0.0.1:8443 127.0.0.1:", "--ignore-certificate-errors-spki-list=" + s.spki} {
		if !strings.Contains(args, want) {
			t.Errorf("Chromium args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, "cdn.example.net") || strings.Contains(args, "--ignore-certificate-errors ") || strings.Count(args, "MAP ") != 3 {
		t.Errorf("Chromium args map more than the pages: %s", args)
	}
	fo, pacBytes := s.options(browser.Firefox, "/p/corscope.pac")
	pac := string(pacBytes)
	if !slices.Contains(fo.FirefoxPrefs, `user_pref("network.proxy.autoconfig_url", "file:///p/corscope.pac");`) {
		t.Errorf("Firefox prefs do not load the PAC: %v", fo.FirefoxPrefs)
	}
	if strings.Contains(pac, "cdn.example.net") || !strings.Contains(pac, `"https://app.example.com/"`) || !strings.Contains(pac, `return "DIRECT"`) {
		t.Errorf("PAC: %s", pac)
	}
	over := string(fo.ProfileFiles["cert_override.txt"])
	if !strings.Contains(over, "app.example.com:443:\tOID.2.16.840.1.101.3.4.2.1\t"+s.certFP) || !strings.Contains(over, "127.0.0.1:8443:\t") ||
		strings.Contains(over, "admin.example.com") || strings.Contains(over, "cdn.example.net") {
		t.Errorf("cert_override.txt:\n%s", over)
	}
}

// A target that never answers: the run is cut at the time bound, every
// answer is unknown (never allowed, never compared) and the browser is gone.
func TestTimeoutIsUnknownAndNoBrowserLeft(t *testing.T) {
	c := needBrowser(t, browser.Chromium)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered
		}
	}()
	c.Timeout = 4 * time.Second
	tr := report("http://"+ln.Addr().String()+"/slow", "http://app.test", "https://admin.test")
	start := time.Now()
	c.Confirm(&tr)
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("run took %s, bound is %s", d, c.Timeout)
	}
	noBrowserLeft(t)
	for _, v := range tr.Variants {
		bc := v.BrowserConfirm
		for _, f := range []cachemodel.BrowserFetch{bc.Anonymous, bc.Credentials} {
			if f.Result != cachemodel.BrowserUnknown || f.Agrees != nil || !strings.Contains(f.Error, "within 4s") {
				t.Errorf("%s: %s agrees=%v, want unknown within 4s, not compared", v.Label, f.Words(), f.Agrees)
			}
		}
	}
	if cachemodel.BrowserDisagreement(tr.Variants) != nil {
		t.Errorf("an unknown answer made a disagreement")
	}
}

// The certificate is accepted only for the pages: an https target with a
// certificate of its own (self-signed, another key) is refused by the
// browser, which is then a network failure, not a CORS answer.
func TestOtherCertificatesStillRefused(t *testing.T) {
	for _, k := range []browser.Kind{browser.Chromium, browser.Firefox} {
		t.Run(string(k), func(t *testing.T) {
			c := needBrowser(t, k)
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
			}))
			defer srv.Close()
			tr := report(srv.URL+"/x", "https://app.test")
			c.Confirm(&tr)
			noBrowserLeft(t)
			bc := tr.Variants[0].BrowserConfirm
			if bc.Anonymous.Result != cachemodel.BrowserFailed || bc.Credentials.Result != cachemodel.BrowserFailed {
				t.Errorf("%s with an untrusted target certificate: anonymous %s, credentials %s; want failed (refused)", k, bc.Anonymous.Words(), bc.Credentials.Words())
			}
			if bc.Anonymous.Agrees != nil {
				t.Errorf("a network failure was compared with corscope's verdict")
			}
		})
	}
}
