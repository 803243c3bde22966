package demo

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind (servers,
// proxy connections, streaming handlers).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	appOrigin   = "https://app.example.com"
	adminOrigin = "https://admin.example.com"
	evilOrigin  = "https://evil.example"
)

var testAllowed = []string{appOrigin, adminOrigin}

// noOrigin is the "send no Origin header" marker for request helpers.
const noOrigin = "\x00none"

// fetch sends one request and returns the response with its body read and
// closed. origin == noOrigin sends no Origin header.
func fetch(t *testing.T, client *http.Client, method, url, origin string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if origin != noOrigin {
		req.Header.Set("Origin", origin)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, string(body)
}

// newTestClient returns a client that shows raw responses (no redirects
// followed) and whose idle connections are closed when the test ends, so
// goleak sees no keep-alive goroutines.
func newTestClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{Proxy: nil, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
