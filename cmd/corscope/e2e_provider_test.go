package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/cachetest"
)

// TestRealNginxStatusHeaderNames (issue 18): nginx's $upstream_cache_status
// under its other common names is read, BYPASS included (it was UNKNOWN
// under X-Proxy-Cache), and the provider is nginx.
func TestRealNginxStatusHeaderNames(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		_, _ = w.Write([]byte("ok\n"))
	}))
	defer origin.Close()
	for _, name := range []string{"X-Proxy-Cache", "X-Nginx-Cache", "Nginx-Cache"} {
		t.Run(name, func(t *testing.T) {
			base := cachetest.Nginx(t, cachetest.Host(origin.URL), cachetest.NginxOptions{StatusHeader: name, Bypass: true})
			get := func(bypass bool) cachemodel.Headers {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, base+"/n.txt", nil)
				if bypass {
					req.Header.Set("X-Bypass", "1")
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				var h cachemodel.Headers
				for n, vals := range resp.Header {
					for _, v := range vals {
						h = append(h, cachemodel.Header{Name: n, Value: v})
					}
				}
				return h
			}
			for _, c := range []struct {
				bypass bool
				want   cachemodel.CacheStatus
			}{{false, cachemodel.StatusMiss}, {false, cachemodel.StatusHit}, {true, cachemodel.StatusBypass}} {
				h := get(c.bypass)
				v := cachemodel.NormalizeCacheStatus(h)
				if v.Status != c.want || !strings.EqualFold(v.Source, name) {
					t.Errorf("status %s from %q (raw %q), want %s from %s", v.Status, v.Source, v.Raw, c.want, name)
				}
				if d := cachemodel.DetectProduct(h); d.Provider != cachemodel.ProviderNginx {
					t.Errorf("provider %s (evidence %q)", d.Provider, d.Evidence)
				}
			}
		})
	}
}
