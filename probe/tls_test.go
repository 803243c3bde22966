package probe

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// hostEcho answers with the Host header it received.
var hostEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Host", r.Host)
})

// trustCA makes the engine trust ca instead of the system roots.
func trustCA(e *Engine, ca *testCA) { e.tlsBase.RootCAs = ca.pool }

// Resolve pins corscope.test to 127.0.0.1 while Host and SNI keep the name,
// and the certificate is checked against the name.
func TestTLSWithResolve(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	srv := newTLSServer(t, leaf(t, ca, []string{"corscope.test"}, now.Add(-time.Hour), now.Add(time.Hour)), hostEcho)
	hostport := "corscope.test:" + port(t, srv.Listener.Addr().String())
	e := newEngine(t, Config{Resolve: map[string]string{hostport: "127.0.0.1"}})
	trustCA(e, ca)
	obs, err := run(t, t.Context(), e, plan(0, get("https://"+hostport+"/a"), get("https://"+hostport+"/b")))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		r := mustResponse(t, o)
		if v, _ := r.Headers.Get("X-Host"); v != hostport {
			t.Errorf("server saw Host %q, want %q", v, hostport)
		}
		if r.RemoteAddr != srv.Listener.Addr().String() {
			t.Errorf("RemoteAddr %q, want the pinned %q", r.RemoteAddr, srv.Listener.Addr())
		}
	}
	if obs[1].Timing.Connect != 0 {
		t.Errorf("TLS connection not reused")
	}
	if sni := srv.serverNames(); len(sni) != 1 || sni[0] != "corscope.test" {
		t.Errorf("SNI seen by the server: %q, want one handshake for corscope.test", sni)
	}
}

func TestTLSByIPAddress(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	srv := newTLSServer(t, leaf(t, ca, []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour)), hostEcho)
	e := newEngine(t, Config{})
	trustCA(e, ca)
	r := mustResponse(t, runOne(t, e, get(srv.URL+"/")))
	if r.Status != 200 {
		t.Errorf("status %d", r.Status)
	}
}

func TestTLSErrors(t *testing.T) {
	ca := newTestCA(t)
	otherCA := newTestCA(t)
	now := time.Now()
	nb, na := now.Add(-time.Hour), now.Add(time.Hour)
	tests := []struct {
		name     string
		issuer   *testCA // nil: self-signed
		names    []string
		from, to time.Time
		insecure bool
		msg      string // "" = must succeed
	}{
		{"expired", ca, []string{"corscope.test"}, now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), false,
			"certificate has expired or is not yet valid (valid " + now.Add(-48*time.Hour).UTC().Format(time.DateOnly)},
		{"not yet valid", ca, []string{"corscope.test"}, now.Add(24 * time.Hour), now.Add(48 * time.Hour), false,
			"expired or is not yet valid"},
		{"self-signed", nil, []string{"corscope.test"}, nb, na, false, "unknown authority (self-signed)"},
		{"unknown CA", otherCA, []string{"corscope.test"}, nb, na, false, "certificate signed by unknown authority"},
		{"wrong host", ca, []string{"other.test", "*.else.test"}, nb, na, false,
			`wrong host: certificate is not valid for "corscope.test" (it covers "other.test", "*.else.test")`},
		{"insecure accepts self-signed", nil, []string{"whatever.test"}, nb, na, true, ""},
		{"insecure accepts expired", ca, []string{"corscope.test"}, now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTLSServer(t, leaf(t, tt.issuer, tt.names, tt.from, tt.to), hostEcho)
			hostport := "corscope.test:" + port(t, srv.Listener.Addr().String())
			e := newEngine(t, Config{Insecure: tt.insecure, Resolve: map[string]string{hostport: "127.0.0.1"}})
			trustCA(e, ca)
			o := runOne(t, e, get("https://"+hostport+"/"))
			if tt.msg == "" {
				mustResponse(t, o)
				return
			}
			wantErrKind(t, o, cachemodel.ErrTLS, tt.msg)
			if tt.issuer != nil && strings.Contains(o.Err.Message, "self-signed") {
				t.Errorf("CA-issued certificate called self-signed: %q", o.Err.Message)
			}
		})
	}
}

// https:// against a plain HTTP port says so instead of "protocol error".
func TestTLSAgainstPlainHTTP(t *testing.T) {
	srv, _ := countingServer(t, hostEcho) // answers the ClientHello with a 400
	e := newEngine(t, Config{Timeout: 2 * time.Second})
	o := runOne(t, e, get("https://"+srv.Listener.Addr().String()+"/"))
	wantErrKind(t, o, cachemodel.ErrTLS, `server did not answer with TLS (first bytes "HTTP/")`)
}
