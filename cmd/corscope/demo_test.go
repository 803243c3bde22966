package main

import (
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
)

func TestDemoCheckRunsEndToEnd(t *testing.T) {
	code, out, errs := runCLI(t, "", "demo", "--check", "--format", "json")
	if code != exitOK {
		t.Fatalf("demo --check: exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	if len(rep.Targets) < 8 || rep.Summary.Failed != 0 {
		t.Fatalf("demo report: %d targets, %d failed", len(rep.Targets), rep.Summary.Failed)
	}
	for _, tr := range rep.Targets {
		if !strings.HasPrefix(tr.URL, "http://127.0.0.1:") {
			t.Fatalf("demo must stay on loopback: %s", tr.URL)
		}
		if tr.Provider != cachemodel.ProviderCloudflare {
			t.Errorf("%s: provider %s, the demo CDN looks like Cloudflare", tr.URL, tr.Provider)
		}
	}
}
