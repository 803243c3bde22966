package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/corscope/corscope/cachemodel"
)

// Issue 11 item 3: a target whose requests all failed, one that got 404
// everywhere and one without CORS must not read "ok" in the target list,
// and the findings pane says the state and the error.
const (
	urlFailed   = "http://127.0.0.1:8080/down.js"
	urlNotFound = "http://127.0.0.1:8080/missing.js"
	urlNoCORS   = "http://127.0.0.1:8080/nocors.js"
)

func statesCDN() *fakeCDN {
	cdn := newFakeCDN(appOrigin, adminOrigin)
	cdn.vary = true // every origin gets a fresh answer
	cdn.fail[urlFailed] = true
	cdn.status[urlNotFound] = 404
	cdn.noCORS[urlNoCORS] = true
	return cdn
}

func TestTargetListSaysTheState(t *testing.T) {
	m := start(t, newTestModel(t, statesCDN(), 100, 30, urlFailed, urlNotFound, urlNoCORS, urlA))
	view := m.View()
	rows := map[string]string{}
	for _, l := range strings.Split(view, "\n") {
		for _, u := range []string{urlFailed, urlNotFound, urlNoCORS, urlA} {
			// The list shows each URL without the directory all share.
			short := " " + u[strings.LastIndexByte(u, '/')+1:]
			if strings.Contains(l, short) && strings.Contains(l, "done") || strings.Contains(l, short) && strings.Contains(l, "error") {
				rows[u] = l
			}
		}
	}
	for u, want := range map[string]string{urlFailed: "failed", urlNotFound: "non-2xx", urlNoCORS: "no CORS", urlA: "ok"} {
		row, ok := rows[u]
		if !ok {
			t.Fatalf("no row for %s:\n%s", u, view)
		}
		if !strings.Contains(row, " "+want+" ") {
			t.Errorf("%s: row %q lacks %q", u, row, want)
		}
		if want != "ok" && strings.Contains(row, " ok ") {
			t.Errorf("%s: row %q says ok", u, row)
		}
	}
	// The failed target is selected first: its findings pane names the
	// state and the probe's error text.
	for _, want := range []string{"state failed", "connection refused", "no complete verdict"} {
		if !strings.Contains(view, want) {
			t.Errorf("findings pane lacks %q:\n%s", want, view)
		}
	}
	m = keys(t, m, "down")
	if v := m.View(); !strings.Contains(v, "state non-2xx") || !strings.Contains(v, "status 404") {
		t.Errorf("404 target's pane:\n%s", v)
	}
	m = keys(t, m, "down")
	if v := m.View(); !strings.Contains(v, "state cors-not-enabled") || !strings.Contains(v, "cors-not-enabled") {
		t.Errorf("no-CORS target's pane:\n%s", v)
	}
}

// The list drops the directory every target shares (named once in the
// title) and cuts long URLs in the middle, so targets that differ only at
// the end stay apart.
func TestTargetListKeepsWhatTellsTargetsApart(t *testing.T) {
	a := "http://127.0.0.1:8080/cors/assets/v2/very/long/path/to/the/resource/wildcard.json"
	b := "http://127.0.0.1:8080/cors/assets/v2/very/long/path/to/the/resource/wildcard-credentials.json"
	m := start(t, newTestModel(t, newFakeCDN(appOrigin), 80, 24, a, b))
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "under http://127.0.0.1:8080/cors/assets/v2/very/long/path/to/the/resource/") &&
		!strings.Contains(v, "under http://127.0.0.1:8080/cors/assets/") {
		t.Errorf("title does not name the shared directory:\n%s", v)
	}
	if !strings.Contains(v, " wildcard.json") || !strings.Contains(v, " wildcard-credentials.json") {
		t.Errorf("rows do not keep the ends that tell the targets apart:\n%s", v)
	}
	if got := midFit("http://cdn.example/a/b/c/wildcard-credentials.json", 20); ansi.StringWidth(got) != 20 || !strings.HasSuffix(got, "als.json") || !strings.HasPrefix(got, "http://") {
		t.Errorf("midFit = %q", got)
	}
	if got := sharedDir("https://a.example/x/1.js", "https://b.example/x/1.js"); got != "" {
		t.Errorf("different hosts share %q", got)
	}
}

// The layout's target width is kept as targets are added (not measured
// per update); it must equal the widest label the list shows, also after
// a target with another directory shortens the shared prefix.
func TestWidestShownLabelKeptAsTargetsAdded(t *testing.T) {
	s := newStore()
	for _, raw := range []string{
		"https://cdn.example/cors/a.json",
		"https://cdn.example/cors/wildcard-credentials.json",
		"https://cdn.example/other/b.js",
		"https://cdn.example/cors/\u00e9t\u00e9.json",
	} {
		u, err := cachemodel.ParseTargetURL(raw)
		if err != nil {
			t.Fatal(err)
		}
		s.add(raw, u)
		want := 0
		for _, tg := range s.targets {
			want = max(want, ansi.StringWidth(s.shownLabel(tg)))
		}
		if got := s.widestShown(); got != want {
			t.Errorf("after %s: widestShown %d, the widest shown label is %d", raw, got, want)
		}
	}
}
