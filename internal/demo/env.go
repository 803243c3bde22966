package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// DemoOrigins returns the demo's allow-list: the origins the origin trusts
// and the ones corscope sends.
func DemoOrigins() []string {
	return []string{"https://app.example.com", "https://admin.example.com"}
}

// shutdownTimeout bounds the graceful part of Close; anything still busy
// after it (a big.bin download, say) is cut off.
const shutdownTimeout = 3 * time.Second

// Env is a running demo: origin, CDN and purge API on 127.0.0.1 ephemeral
// ports. Its String and GoString methods leave the token out, so printing an
// Env with fmt never leaks it.
type Env struct {
	OriginURL    string   // the origin itself, bypassing the cache
	CDNURL       string   // the caching proxy in front of the origin
	PurgeAPIBase string   // Cloudflare-style API base ("http://127.0.0.1:N/client/v4")
	ZoneID       string   // random 32-hex zone id the purge API accepts
	Token        string   // random bearer token for the purge API; never printed by this package
	Targets      []string // CDN URLs of every path in Paths except BigPath, in Paths order
	Origins      []string // the allow-list (DemoOrigins)

	CDN      *CDN      // for inspection (Len) and direct purges
	PurgeAPI *PurgeAPI // for its request log

	state *envState
}

type envState struct {
	origin, front []*http.Server // front: CDN and purge API, stopped first
	serving       sync.WaitGroup
	mu            sync.Mutex
	stopWatch     func() bool // detaches the ctx watcher; guarded by mu
	once          sync.Once
	err           error
}

// Start runs the demo. Cancelling ctx later closes it too; Close remains
// safe to call. On error nothing is left running.
func Start(ctx context.Context) (*Env, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("demo: not started: %w", err)
	}
	var lns []net.Listener
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("demo: listening on 127.0.0.1: %w", err)
		}
		lns = append(lns, ln)
	}
	base := func(ln net.Listener) string { return "http://" + ln.Addr().String() }

	e := &Env{
		OriginURL:    base(lns[0]),
		CDNURL:       base(lns[1]),
		PurgeAPIBase: base(lns[2]) + "/client/v4",
		ZoneID:       randomHex(16),
		Token:        randomHex(20),
		Origins:      DemoOrigins(),
		state:        &envState{},
	}
	for _, p := range Paths {
		if p.Path != BigPath {
			e.Targets = append(e.Targets, e.CDNURL+p.Path)
		}
	}
	e.CDN = NewCDN(e.OriginURL, CDNOptions{})
	e.PurgeAPI = NewPurgeAPI(e.CDN, e.ZoneID, e.Token)

	originSrv := newServer(OriginHandler(e.Origins))
	cdnSrv := newServer(e.CDN)
	apiSrv := newServer(e.PurgeAPI)
	e.state.origin = []*http.Server{originSrv}
	e.state.front = []*http.Server{cdnSrv, apiSrv}
	for i, srv := range []*http.Server{originSrv, cdnSrv, apiSrv} {
		e.state.serving.Add(1)
		go func(srv *http.Server, ln net.Listener) {
			defer e.state.serving.Done()
			_ = srv.Serve(ln) // returns ErrServerClosed on Shutdown/Close
		}(srv, lns[i])
	}
	// The watcher may fire before AfterFunc returns (ctx cancelled just now),
	// hence the lock around stopWatch.
	e.state.mu.Lock()
	e.state.stopWatch = context.AfterFunc(ctx, func() { _ = e.Close() })
	e.state.mu.Unlock()
	return e, nil
}

func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       30 * time.Second,
		// net/http logs client hang-ups and the like to stderr, which would
		// scribble over the TUI.
		ErrorLog: log.New(io.Discard, "", 0),
	}
}

// Close stops the CDN and purge API, then the origin: each gracefully within
// a shared bounded timeout, then forcibly. It waits for the servers' accept
// loops and releases the CDN's upstream connections. Calling it again
// returns the first result.
func (e *Env) Close() error {
	s := e.state
	s.once.Do(func() {
		s.mu.Lock()
		s.stopWatch()
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		errFront := shutdownAll(ctx, s.front)
		e.CDN.CloseIdleConnections()
		errOrigin := shutdownAll(ctx, s.origin)
		s.serving.Wait()
		e.CDN.CloseIdleConnections() // connections that went idle during the origin's shutdown
		s.err = errors.Join(errFront, errOrigin)
	})
	return s.err
}

// shutdownAll shuts servers down in parallel; one still busy at the
// deadline is closed forcibly, which is expected, not an error.
func shutdownAll(ctx context.Context, servers []*http.Server) error {
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if srv.Shutdown(ctx) != nil {
				if err := srv.Close(); err != nil {
					errs[i] = fmt.Errorf("demo: closing server: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// String describes the environment without the token.
func (e Env) String() string {
	return fmt.Sprintf("demo env: origin %s, cdn %s, purge api %s (zone %s, token redacted), %d targets",
		e.OriginURL, e.CDNURL, e.PurgeAPIBase, e.ZoneID, len(e.Targets))
}

// GoString keeps %#v from printing the token.
func (e Env) GoString() string { return "demo.Env{" + e.String() + "}" }
