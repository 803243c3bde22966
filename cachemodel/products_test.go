package cachemodel

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// providerFixture is one header block of testdata/providers: a comment
// header citing its source, the expected answers, then the headers.
type providerFixture struct {
	file                   string
	source                 string
	provider, status, edge string
	h                      Headers
}

func loadProviderFixtures(t *testing.T) []providerFixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "providers", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []providerFixture
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fx := providerFixture{file: filepath.Base(file)}
		seen := map[string]bool{}
		for line := range strings.SplitSeq(strings.TrimRight(string(data), "\n"), "\n") {
			if c, ok := strings.CutPrefix(line, "#"); ok {
				k, v, _ := strings.Cut(strings.TrimSpace(c), ":")
				v = strings.TrimSpace(v)
				switch k {
				case "source":
					fx.source = v
				case "expect provider":
					fx.provider = v
				case "expect status":
					fx.status = v
				case "expect edge":
					fx.edge = v
				default:
					continue
				}
				seen[k] = true
				continue
			}
			name, value, ok := strings.Cut(line, ": ")
			if !ok || name == "" {
				t.Fatalf("%s: bad header line %q", fx.file, line)
			}
			fx.h = append(fx.h, Header{Name: name, Value: value})
		}
		for _, k := range []string{"source", "expect provider", "expect status", "expect edge"} {
			if !seen[k] {
				t.Fatalf("%s: no %q line", fx.file, k)
			}
		}
		if fx.source == "" || len(fx.h) == 0 {
			t.Fatalf("%s: no source or no headers", fx.file)
		}
		for _, f := range fx.h {
			if headerNameIs(f.Name, "Set-Cookie") || headerNameIs(f.Name, "Cookie") || headerNameIs(f.Name, "Authorization") {
				t.Fatalf("%s: carries %s", fx.file, f.Name)
			}
		}
		out = append(out, fx)
	}
	return out
}

// TestProviderCorpus replays every fixture: the provider, the cache status
// and the edge must be the expected ones.
func TestProviderCorpus(t *testing.T) {
	fxs := loadProviderFixtures(t)
	if len(fxs) < 40 {
		t.Fatalf("corpus has %d blocks, want at least 40", len(fxs))
	}
	for _, fx := range fxs {
		t.Run(strings.TrimSuffix(fx.file, ".txt"), func(t *testing.T) {
			d := DetectProduct(fx.h)
			if string(d.Provider) != fx.provider {
				t.Errorf("provider = %s, want %s (evidence %q)", d.Provider, fx.provider, d.Evidence)
			}
			if d.Edge != fx.edge {
				t.Errorf("edge = %q, want %q", d.Edge, fx.edge)
			}
			if v := NormalizeCacheStatus(fx.h); string(v.Status) != fx.status {
				t.Errorf("status = %s (from %s %q), want %s", v.Status, v.Source, v.Raw, fx.status)
			}
			if d.Provider != ProviderUnknown && len(d.Evidence) == 0 {
				t.Errorf("named %s without evidence", d.Provider)
			}
		})
	}
}

// TestProviderCorpusCoversTable: every product of the table has a fixture
// that names it, so adding a product without a header block fails here.
func TestProviderCorpusCoversTable(t *testing.T) {
	named := map[string]bool{}
	for _, fx := range loadProviderFixtures(t) {
		named[fx.provider] = true
	}
	for _, p := range Products {
		if !named[string(p.Provider)] {
			t.Errorf("no fixture in testdata/providers expects %s", p.Provider)
		}
	}
}

// TestProductTable checks the table itself: unique providers, a name and a
// documentation link each, status headers that NormalizeCacheStatus reads,
// and purge providers corscope has.
func TestProductTable(t *testing.T) {
	seen := map[Provider]bool{}
	for _, p := range Products {
		if seen[p.Provider] || p.Provider == ProviderUnknown || p.Provider == "" {
			t.Errorf("provider %q twice or reserved", p.Provider)
		}
		seen[p.Provider] = true
		if p.Name == "" || !strings.HasPrefix(p.Doc, "https://") || len(p.Signals) == 0 {
			t.Errorf("%s: name %q doc %q signals %d", p.Provider, p.Name, p.Doc, len(p.Signals))
		}
		for _, s := range p.StatusHeaders {
			if !slices.ContainsFunc(statusSourceNames[:], func(n string) bool { return strings.EqualFold(n, s) }) {
				t.Errorf("%s: status header %s is not read by NormalizeCacheStatus", p.Provider, s)
			}
		}
		switch p.Purge {
		case "", "cloudflare", "fastly", "http":
		default:
			t.Errorf("%s: purge provider %q", p.Provider, p.Purge)
		}
		for _, sg := range p.Signals {
			if sg.What == "" {
				t.Errorf("%s: signal on %s says nothing for the evidence", p.Provider, sg.Header)
			}
		}
	}
}

// TestVelocixIsNotSquid is issue 18's false name, with the parts that
// decide: the Via host alone, the X-Cache host alone, and Squid's form
// without either still being Squid.
func TestVelocixIsNotSquid(t *testing.T) {
	cases := []struct {
		name string
		h    Headers
		want Provider
	}{
		{"both", hdrKV("X-Cache", "HIT from velocix.com", "Via", "1.1 velocix.com:80 (pcd/1)"), ProviderVelocix},
		{"x-cache host only", hdrKV("X-Cache", "MISS from velocix.com"), ProviderVelocix},
		{"via only", hdrKV("Via", "1.1 velocix.com:80 (pcd/1)", "X-Cache", "HIT"), ProviderVelocix},
		{"squid form elsewhere", hdrKV("X-Cache", "HIT from proxy.example.net"), ProviderSquid},
		{"velocix and a squid via", hdrKV("X-Cache", "HIT from velocix.com", "Via", "1.1 p (squid/6.6)"), ProviderVelocix},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DetectProvider(c.h); got != c.want {
				t.Errorf("DetectProvider = %s, want %s (evidence %q)", got, c.want, DetectProduct(c.h).Evidence)
			}
		})
	}
}

func TestProviderEvidence(t *testing.T) {
	d := DetectProduct(hdrKV("CF-Ray", "1-AMS", "X-Served-By", "cache-lhr1-LHR"))
	if d.Provider != ProviderUnknown || d.Edge != "" {
		t.Fatalf("conflict: %+v", d)
	}
	want := []string{"cloudflare: CF-Ray header", "fastly: X-Served-By cache-* node"}
	for _, w := range want {
		if !slices.Contains(d.Evidence, w) {
			t.Errorf("evidence %q lacks %q", d.Evidence, w)
		}
	}
	if last := d.Evidence[len(d.Evidence)-1]; !strings.HasPrefix(last, "conflict: cloudflare, fastly") {
		t.Errorf("last evidence %q", last)
	}
	d = DetectProduct(hdrKV("X-Varnish", "1 2", "X-Served-By", "cache-ams1-AMS"))
	if d.Provider != ProviderFastly || !slices.Contains(d.Evidence, "fastly: X-Varnish header") {
		t.Errorf("fastly absorbing varnish: %+v", d)
	}
	if d := DetectProduct(hdrKV("Content-Type", "text/html")); d.Provider != ProviderUnknown || d.Evidence != nil || d.Edge != "" {
		t.Errorf("nothing: %+v", d)
	}
}

func TestReadEdgeRejectsJunk(t *testing.T) {
	for _, v := range []string{"1-", "1-AM\x1bS", "1-" + strings.Repeat("A", 81), "1-A B"} {
		if d := DetectProduct(hdrKV("CF-Ray", v)); d.Edge != "" {
			t.Errorf("CF-Ray %q: edge %q", v, d.Edge)
		}
	}
	if d := DetectProduct(hdrKV("Server", "BunnyCDN-")); d.Edge != "" || d.Provider != ProviderBunny {
		t.Errorf("bare BunnyCDN-: %+v", d)
	}
}
