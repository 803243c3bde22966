package tui

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/corscope/corscope/cachemodel"
)

// fakePurger purges the fake CDN's copies of a URL and verifies by
// re-probing it, as the real purger does through the probe engine: one GET
// per variant, Origin variants first, the no-Origin copy last; the outcome
// lists them in the order of the report purged.
type fakePurger struct {
	eng             *fakeCDN // nil: Purge only returns a summary
	planned, purged int
	planErr         error
	purgeErr        error
	// keep lists the Origins ("" for no Origin) whose copies the purge
	// misses, as a URL purge misses Origin-keyed copies.
	keep    map[string]bool
	lastReq PurgeRequest
}

func (p *fakePurger) PurgePlan(_ context.Context, req PurgeRequest) (PurgePlan, error) {
	p.planned++
	if p.planErr != nil {
		return PurgePlan{}, p.planErr
	}
	if req.Everything {
		return PurgePlan{Lines: []string{"PURGE EVERYTHING: every cached object of cloudflare zone 0123abcd, with 1 request"},
			Confirm: "0123abcd", ConfirmWhat: "zone ID"}, nil
	}
	return PurgePlan{Lines: []string{"purge " + req.Report.URL + " for every Origin variant", "via the \x1b[31mfake API"}}, nil
}

func (p *fakePurger) Purge(_ context.Context, req PurgeRequest) (PurgeOutcome, error) {
	p.purged++
	p.lastReq = req
	if p.purgeErr != nil {
		return PurgeOutcome{Lines: []string{"✗ POST http://127.0.0.1:9/purge_cache → HTTP 403: \x1b]0;evil\x07denied"}}, p.purgeErr
	}
	if p.eng == nil {
		return PurgeOutcome{Summary: "purged 1 URL"}, nil
	}
	p.eng.mu.Lock()
	for k := range p.eng.cache {
		rest, ok := strings.CutPrefix(k, "GET "+req.Report.URL)
		if !ok {
			continue
		}
		if p.keep[strings.TrimPrefix(rest, " ")] {
			continue
		}
		delete(p.eng.cache, k)
		delete(p.eng.hits, k)
	}
	p.eng.mu.Unlock()

	var vs []cachemodel.Variant
	seen := map[string]bool{}
	for _, v := range req.Report.Variants {
		if v.Preflight || v.Experiment != "" || seen[v.Label] {
			continue
		}
		seen[v.Label] = true
		vv := cachemodel.Variant{Kind: v.Kind}
		if v.Origin != nil {
			vv.Origin = *v.Origin
		}
		vs = append(vs, vv)
	}
	var order []cachemodel.Variant
	for _, v := range vs {
		if v.HasOrigin() {
			order = append(order, v)
		}
	}
	for _, v := range vs {
		if !v.HasOrigin() {
			order = append(order, v)
		}
	}
	plan := cachemodel.TargetPlan{URL: req.Report.URL}
	for _, v := range order {
		plan.Steps = append(plan.Steps, cachemodel.SimpleStep(req.Report.URL, v, 1, cachemodel.PlanOptions{}))
	}
	obs := make([]cachemodel.Observation, len(plan.Steps))
	for i, st := range plan.Steps {
		obs[i] = cachemodel.Observation{Step: i, Response: p.eng.respond(st)}
	}
	after := cachemodel.Analyze(plan, obs, cachemodel.AnalyzeOptions{})
	out := PurgeOutcome{After: &after, Lines: []string{"✓ POST http://127.0.0.1:9/purge_cache [5 copies] → success"}}
	refilled := ""
	counts := map[PurgeVerdict]int{}
	for _, v := range after.Variants {
		c := PurgeCheck{Label: v.Label}
		switch {
		case v.Cache.Status == cachemodel.StatusMiss:
			c.Verdict = VerdictPurged
			if refilled == "" {
				refilled = v.Label
			}
		case refilled != "" && !p.eng.vary: // one copy for every Origin: may be our own refill
			c.Verdict, c.Reason = VerdictUnknown, "HIT right after the "+refilled+" re-probe stored a fresh copy"
		default:
			c.Verdict, c.Reason = VerdictStillCached, v.Label+" copy not included in the purge (Origin-keyed copy not covered by any request)"
		}
		counts[c.Verdict]++
		out.Checks = append(out.Checks, c)
	}
	// Back to the order of the report purged, as purge.Verify returns it.
	perm := make([]int, 0, len(vs))
	checks := make([]PurgeCheck, 0, len(vs))
	for _, v := range vs {
		perm = append(perm, slices.Index(order, v))
		checks = append(checks, out.Checks[perm[len(perm)-1]])
	}
	after = after.Reordered(perm)
	out.Checks = checks
	out.Summary = fmt.Sprintf("purged %s: %d purged, %d still cached, %d unknown", req.Report.URL,
		counts[VerdictPurged], counts[VerdictStillCached], counts[VerdictUnknown])
	return out, nil
}

// purgeModel is a probed model on eng with pg as its purger.
func purgeModel(t *testing.T, eng *fakeCDN, pg *fakePurger, w, h int) Model {
	t.Helper()
	opt := Options{Engine: eng, Plan: observePlan, Purger: pg, Origins: []string{appOrigin, adminOrigin}}
	opt.URLs = append(opt.URLs, mustURL(t, urlA), mustURL(t, urlB))
	return start(t, newTestModelOpt(t, opt, w, h))
}

func TestPurgeAsksFirst(t *testing.T) {
	pg := &fakePurger{}
	m := purgeModel(t, newFakeCDN(appOrigin), pg, 80, 24)
	m = keys(t, m, "p")
	if m.screen != screenConfirm || pg.planned != 1 || pg.purged != 0 {
		t.Fatalf("p should show the plan and send nothing: screen %v, planned %d, purged %d", m.screen, pg.planned, pg.purged)
	}
	out := m.View()
	for _, want := range []string{"y purges, n/esc cancels", `via the \x1b[31mfake API`, "Nothing is sent until you confirm"} {
		if !strings.Contains(out, want) {
			t.Errorf("confirmation screen lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[31m") {
		t.Error("plan text reached the terminal unescaped")
	}
	for _, k := range []string{"r", "p", "tab", "P", "x"} {
		m = keys(t, m, k) // none of these may act behind the prompt
	}
	if m.screen != screenConfirm || pg.purged != 0 || pg.planned != 1 {
		t.Fatalf("keys other than y/n acted on the confirmation: screen %v, purged %d, planned %d", m.screen, pg.purged, pg.planned)
	}
	m = keys(t, m, "n")
	if pg.purged != 0 || m.screen != screenMain || !strings.Contains(m.View(), "purge cancelled; nothing was sent") {
		t.Fatalf("n purged or did not return:\n%s", m.View())
	}
	m = keys(t, m, "p", "esc")
	if pg.purged != 0 || m.screen != screenMain {
		t.Fatal("esc purged or did not return")
	}
	m = keys(t, m, "p", "y")
	if pg.purged != 1 || m.screen != screenPurged || !strings.Contains(m.View(), "purged 1 URL") {
		t.Errorf("y did not purge (purged %d):\n%s", pg.purged, m.View())
	}
	if pg.lastReq.Everything || pg.lastReq.Report.URL != urlA {
		t.Errorf("purged %+v", pg.lastReq)
	}
}

// TestPurgeShowsBeforeAndAfter: the outcome screen lines the report before
// the purge up against the re-probe per variant, and the matrix then shows
// the re-probe diffed against the run before.
func TestPurgeShowsBeforeAndAfter(t *testing.T) {
	eng := poisonedCDN()
	pg := &fakePurger{eng: eng}
	m := purgeModel(t, eng, pg, 160, 48)
	before := m.s.targets[0].current
	m = keys(t, m, "p", "y")
	if m.screen != screenPurged {
		t.Fatalf("screen %v after the purge", m.screen)
	}
	out := ansi.Strip(m.View())
	for _, want := range []string{
		"Purged http://127.0.0.1:8080/a.json · before and after",
		"BEFORE the purge", "AFTER (re-probe)", "RESULT",
		"✓ purged", "? unknown",
		"HIT right after the https://app.example.com re-probe stored a fresh copy",
		"Requests", "[5 copies] → success",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("outcome screen lacks %q:\n%s", want, out)
		}
	}
	// One row per variant, before and after side by side.
	row := rowOf(out, "https://app.example.com")
	if !strings.Contains(row, "HIT→HIT") || !strings.Contains(row, "MISS") || !strings.Contains(row, "✓ purged") ||
		strings.Index(row, "HIT→HIT") > strings.Index(row, "MISS") {
		t.Errorf("app row is not before → after: %q", row)
	}
	if row := rowOf(out, "https://admin.example.com"); !strings.Contains(row, "⚠✗ wrong ACAO") || !strings.Contains(row, "? unknown") {
		t.Errorf("admin row should stay poisoned (refilled by the app re-probe) and unknown: %q", row)
	}

	tg := m.s.targets[0]
	if !reflect.DeepEqual(tg.previous, before) || tg.current == before || tg.current != tg.afterPurge || !m.diff {
		t.Fatalf("the re-probe is not current against the run before: prev %p (before %p), cur %p, after %p, diff %v",
			tg.previous, before, tg.current, tg.afterPurge, m.diff)
	}

	m = keys(t, m, "esc")
	main := ansi.Strip(m.View())
	if m.screen != screenMain || m.focus != paneMatrix {
		t.Fatalf("esc: screen %v focus %v", m.screen, m.focus)
	}
	for _, want := range []string{"after purge", "[diff]", glyphChanged + "MISS (was HIT→HIT)", "d: marks on/off"} {
		if !strings.Contains(main, want) {
			t.Errorf("matrix after the purge lacks %q:\n%s", want, main)
		}
	}
	m = keys(t, m, "d")
	if flipped := ansi.Strip(m.View()); m.diff || strings.Contains(flipped, "(was ") || !strings.Contains(flipped, "after purge") {
		t.Errorf("d should turn the marks off and keep the after state:\n%s", flipped)
	}
	// The key is free again for another purge.
	if !anyEnabledMatch(m, "p") {
		t.Error("p stays disabled after the purge finished")
	}
}

// rowOf is the line of the outcome table that starts with the variant
// label.
func rowOf(s, label string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, label+" ") {
			return l
		}
	}
	return ""
}

func TestPurgeStillCachedVariantIsNamed(t *testing.T) {
	eng := newFakeCDN(appOrigin, adminOrigin)
	eng.vary = true // one copy per Origin, like Cloudflare's default key
	pg := &fakePurger{eng: eng, keep: map[string]bool{adminOrigin: true}}
	m := purgeModel(t, eng, pg, 160, 48)
	m = keys(t, m, "p", "y")
	out := ansi.Strip(m.View())
	if row := rowOf(out, "https://admin.example.com"); !strings.Contains(row, "✗ still cached") {
		t.Errorf("admin row: %q\n%s", row, out)
	}
	if !strings.Contains(out, "https://admin.example.com copy not included in the purge (Origin-keyed copy not covered by any request)") {
		t.Errorf("the reason is not shown:\n%s", out)
	}
	if m.flash.level != flashWarn || !strings.Contains(m.flash.text, "1 still cached") {
		t.Errorf("flash %v %q", m.flash.level, m.flash.text)
	}
}

func TestPurgeErrors(t *testing.T) {
	t.Run("plan", func(t *testing.T) {
		pg := &fakePurger{planErr: errors.New("purge configuration: set $CLOUDFLARE_API_TOKEN (the API token; it is read only from the environment)")}
		m := purgeModel(t, newFakeCDN(appOrigin), pg, 80, 24)
		m = keys(t, m, "p")
		out := m.View()
		if m.screen != screenPurged || !strings.Contains(out, "Cannot purge http://127.0.0.1:8080/a.json") ||
			!strings.Contains(out, "it is read only") || !strings.Contains(out, "Nothing was sent") {
			t.Fatalf("a planning error is not shown in full:\n%s", out)
		}
		m = keys(t, m, "y")
		if pg.purged != 0 {
			t.Fatal("y after a planning error purged")
		}
		if m = keys(t, m, "esc"); m.screen != screenMain {
			t.Error("esc does not leave the error")
		}
	})
	t.Run("purge", func(t *testing.T) {
		pg := &fakePurger{purgeErr: errors.New("purge failed: 1 of 1 requests failed; first: HTTP 403")}
		m := purgeModel(t, newFakeCDN(appOrigin), pg, 80, 24)
		before := m.s.targets[0].current
		m = keys(t, m, "p", "y")
		out := m.View()
		if m.screen != screenPurged || !strings.Contains(out, "Purge of http://127.0.0.1:8080/a.json failed") ||
			!strings.Contains(out, "the purge failed: purge failed: 1 of 1 requests failed") || !strings.Contains(out, `\x1b]0;evil\x07denied`) {
			t.Fatalf("a failed purge is not shown with its requests:\n%s", out)
		}
		if m.flash.level != flashError || m.s.targets[0].current != before || m.purge.busy {
			t.Errorf("flash %v, report replaced %v, busy %v", m.flash.level, m.s.targets[0].current != before, m.purge.busy)
		}
	})
}

func TestPurgeEverythingNeedsTheTypedZone(t *testing.T) {
	pg := &fakePurger{}
	m := purgeModel(t, newFakeCDN(appOrigin), pg, 80, 24)
	m = keys(t, m, "P")
	if m.screen != screenConfirm || m.prompt != promptPurgeConfirm {
		t.Fatalf("P: screen %v prompt %v", m.screen, m.prompt)
	}
	out := m.View()
	if !strings.Contains(out, "PURGE EVERYTHING") || !strings.Contains(out, "type the zone ID: 0123abcd") || !strings.Contains(out, "type the zone ID to purge everything:") {
		t.Errorf("everything confirmation:\n%s", out)
	}
	m = keys(t, m, "y", "enter")
	if pg.purged != 0 || m.promptErr == "" || !strings.Contains(m.View(), "not the zone ID; nothing was sent") {
		t.Fatalf("y + enter must not confirm purging everything (purged %d):\n%s", pg.purged, m.View())
	}
	m = keys(t, m, "esc")
	if pg.purged != 0 || m.screen != screenMain || m.prompt != promptNone {
		t.Fatalf("esc: purged %d, screen %v, prompt %v", pg.purged, m.screen, m.prompt)
	}
	m = keys(t, m, "P")
	m = typeText(t, m, "0123abc")
	m = keys(t, m, "enter")
	if pg.purged != 0 {
		t.Fatal("a prefix of the zone ID confirmed")
	}
	m = keys(t, m, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
	m = typeText(t, m, "0123abcd")
	m = keys(t, m, "enter")
	if pg.purged != 1 || !pg.lastReq.Everything || m.screen != screenPurged {
		t.Fatalf("the typed zone ID did not purge everything: purged %d, req %+v, screen %v", pg.purged, pg.lastReq.Everything, m.screen)
	}
	if !strings.Contains(m.View(), "Purged everything") {
		t.Errorf("outcome title:\n%s", m.View())
	}
}

func TestPurgeIgnoresStaleAnswersAndBusyKeys(t *testing.T) {
	pg := &fakePurger{}
	m := purgeModel(t, newFakeCDN(appOrigin), pg, 80, 24)
	next, cmd := m.Update(keyMsg("p"))
	m = next.(Model)
	if !m.purge.busy || anyEnabledMatch(m, "p") || anyEnabledMatch(m, "P") {
		t.Fatal("p and P must be off while a plan is being worked out")
	}
	if cmd == nil {
		t.Fatal("p returned no command")
	}
	stale := purgeDoneMsg{Seq: m.purge.seq - 1, Target: 0, Outcome: PurgeOutcome{Summary: "old"}}
	m = update(t, m, stale)
	if m.screen != screenMain || !m.purge.busy {
		t.Fatal("a stale answer changed the state")
	}
	m = settle(t, m, cmd)
	if m.screen != screenConfirm {
		t.Fatalf("screen %v", m.screen)
	}
	m = update(t, m, purgePlanMsg{Seq: m.purge.seq - 1, Err: errors.New("stale")})
	if m.screen != screenConfirm {
		t.Fatal("a stale plan error replaced the confirmation")
	}
	// While the purge runs, the progress says so and p stays off.
	next, cmd = m.Update(keyMsg("y"))
	m = next.(Model)
	if !m.purge.running || anyEnabledMatch(m, "p") || !strings.Contains(m.View(), "purging…") {
		t.Fatalf("purge in flight not shown:\n%s", m.View())
	}
	m = settle(t, m, cmd)
	if m.purge.running || m.purge.busy || pg.purged != 1 {
		t.Fatalf("purging %v busy %v purged %d", m.purge.running, m.purge.busy, pg.purged)
	}
}

func TestPurgeKeysNeedAPurgerAndAResult(t *testing.T) {
	pg := &fakePurger{}
	opt := Options{Engine: newFakeCDN(appOrigin), Plan: observePlan, Purger: pg}
	opt.URLs = append(opt.URLs, mustURL(t, urlA))
	m := newTestModelOpt(t, opt, 80, 24)
	if anyEnabledMatch(m, "p") || anyEnabledMatch(m, "P") {
		t.Error("purge keys on before any result")
	}
	m = keys(t, m, "p", "P")
	if pg.planned != 0 {
		t.Error("a purge was planned without a result")
	}
	m = start(t, m)
	if !anyEnabledMatch(m, "p") || !anyEnabledMatch(m, "P") {
		t.Error("purge keys off with a result and a purger")
	}
	m = keys(t, m, "?")
	if help := m.View(); !strings.Contains(help, "P purge all") {
		t.Errorf("help lacks P:\n%s", help)
	}
}

// TestPurgeTableFitsEveryWidth: the before/after table never overflows,
// drops ACAO before anything else, and keeps the verdict readable.
func TestPurgeTableFitsEveryWidth(t *testing.T) {
	eng := poisonedCDN()
	pg := &fakePurger{eng: eng}
	before := reportFor(t, eng, urlA, 2, appOrigin, adminOrigin)
	out, err := pg.Purge(context.Background(), PurgeRequest{Report: before})
	if err != nil {
		t.Fatal(err)
	}
	st := New(Options{}).c.styles
	for _, w := range []int{80, 100, 120, 160, 200} {
		lines, matched := beforeAfterTable(st, &before, out, w)
		if !matched || len(lines) != 2+5 {
			t.Fatalf("w=%d: %d lines, matched %v", w, len(lines), matched)
		}
		for _, l := range lines {
			if lw := ansi.StringWidth(l); lw > w {
				t.Errorf("w=%d: line of %d columns: %q", w, lw, l)
			}
		}
		hasACAO := strings.Contains(lines[1], "ACAO")
		if want := w >= 140; hasACAO != want {
			t.Errorf("w=%d: ACAO shown %v, want %v", w, hasACAO, want)
		}
		for _, l := range lines[2:] {
			if !strings.Contains(l, "✓ purged") && !strings.Contains(l, "? unknown") {
				t.Errorf("w=%d: result cut: %q", w, l)
			}
		}
	}
}

// TestPurgeGolden pins the purge screens at 80×24 and 160×48.
func TestPurgeGolden(t *testing.T) {
	poisoned := func(t *testing.T, w, h int) (Model, *fakePurger) {
		eng := poisonedCDN()
		pg := &fakePurger{eng: eng}
		return purgeModel(t, eng, pg, w, h), pg
	}
	scenarios := []struct {
		name  string
		build func(t *testing.T, w, h int) Model
	}{
		{"confirm", func(t *testing.T, w, h int) Model {
			m, _ := poisoned(t, w, h)
			return keys(t, m, "p")
		}},
		{"outcome", func(t *testing.T, w, h int) Model {
			m, _ := poisoned(t, w, h)
			return keys(t, m, "p", "y")
		}},
		{"after-matrix", func(t *testing.T, w, h int) Model {
			m, _ := poisoned(t, w, h)
			return keys(t, m, "p", "y", "esc")
		}},
		{"still-cached", func(t *testing.T, w, h int) Model {
			eng := newFakeCDN(appOrigin, adminOrigin)
			eng.vary = true
			pg := &fakePurger{eng: eng, keep: map[string]bool{adminOrigin: true}}
			return keys(t, purgeModel(t, eng, pg, w, h), "p", "y")
		}},
		{"everything-prompt", func(t *testing.T, w, h int) Model {
			m, _ := poisoned(t, w, h)
			m = keys(t, m, "P")
			m = typeText(t, m, "nope")
			return keys(t, m, "enter")
		}},
		{"plan-error", func(t *testing.T, w, h int) Model {
			pg := &fakePurger{planErr: errors.New("purge configuration: no purge provider serves 127.0.0.1: add a [[purge]] entry whose hosts match")}
			return keys(t, purgeModel(t, newFakeCDN(appOrigin), pg, w, h), "p")
		}},
	}
	for _, s := range scenarios {
		for _, size := range goldenSizes {
			t.Run(fmt.Sprintf("%s-%dx%d", s.name, size[0], size[1]), func(t *testing.T) {
				v := s.build(t, size[0], size[1]).View()
				if h := strings.Count(v, "\n") + 1; h != size[1] {
					t.Errorf("frame is %d lines, want %d", h, size[1])
				}
				golden.RequireEqual(t, []byte(v))
			})
			t.Run(fmt.Sprintf("%s-colour-%dx%d", s.name, size[0], size[1]), func(t *testing.T) {
				colourGolden(t, func() Model { return s.build(t, size[0], size[1]) })
			})
		}
	}
}

// TestDiffKnowsHeadersThatStartedToDiffer: after a purge, X-Cache differs
// across variants (MISS, then HITs) where it did not before (all HIT).
// The diff must compare with the older run's real value, not "-".
func TestDiffKnowsHeadersThatStartedToDiffer(t *testing.T) {
	eng := poisonedCDN()
	prev := reportFor(t, eng, urlA, 2, appOrigin, adminOrigin) // every request a HIT
	eng.cache = map[string]cachemodel.Headers{}
	cur := reportFor(t, eng, urlA, 1, appOrigin, adminOrigin) // a MISS, then HITs
	g := buildGrid(&cur, &prev, gridOptions{diff: true})
	ri := -1
	for i, r := range g.rows {
		if r.name == "X-Cache" {
			ri = i
		}
	}
	if ri < 0 {
		t.Fatal("no X-Cache row: the test proves nothing")
	}
	if c := g.cells[ri][colIndex(t, g, "(no Origin)")]; c.text != "MISS (was HIT)" || c.mark != markChanged {
		t.Errorf("no Origin X-Cache: %q mark %v", c.text, c.mark)
	}
	if c := g.cells[ri][colIndex(t, g, appOrigin)]; c.text != "HIT" || c.mark == markChanged {
		t.Errorf("app X-Cache: %q mark %v, want an unchanged HIT", c.text, c.mark)
	}
	for _, ch := range cachemodel.Changes([]cachemodel.TargetReport{prev}, []cachemodel.TargetReport{cur}) {
		if ch.Field == "X-Cache" && (ch.Old != "HIT" || ch.New != "MISS") {
			t.Errorf("change %+v", ch)
		}
	}
}

// TestDetailEndShowsTheLastLine: end scrolls the outcome (and every
// document) to its last line, above the "lines a–b of n" footer.
func TestDetailEndShowsTheLastLine(t *testing.T) {
	eng := poisonedCDN()
	m := purgeModel(t, eng, &fakePurger{eng: eng}, 80, 24)
	m = keys(t, m, "p", "y", "end")
	out := ansi.Strip(m.View())
	n := len(m.purge.doc.lines)
	if n <= m.purge.doc.h {
		t.Fatalf("the outcome fits (%d lines in %d): the test proves nothing", n, m.purge.doc.h)
	}
	if !strings.Contains(out, fmt.Sprintf("of %d ▲▼", n)) || !strings.Contains(out, fmt.Sprintf("–%d of %d", n, n)) {
		t.Errorf("end does not reach line %d:\n%s", n, out)
	}
	if !strings.Contains(out, "and are marked Δ") {
		t.Errorf("the last lines are not shown:\n%s", out)
	}
}

// After a purge the matrix keeps the columns in the order the user knew
// (the verification re-probes no Origin last), and the headline and the
// status line give one verdict: "?" on both while a copy is unknown.
func TestPurgeKeepsVariantOrderAndOneVerdict(t *testing.T) {
	eng := poisonedCDN()
	pg := &fakePurger{eng: eng}
	m := purgeModel(t, eng, pg, 160, 48)
	var beforeLabels []string
	for _, v := range m.s.targets[0].current.Variants {
		beforeLabels = append(beforeLabels, v.Label)
	}
	m = keys(t, m, "p", "y")
	out := ansi.Strip(m.View())
	lines := strings.Split(out, "\n")
	status := lines[len(lines)-1]
	var headline string
	for _, l := range lines {
		if strings.Contains(l, "purged http://127.0.0.1:8080/a.json:") && !strings.Contains(l, "Purged") {
			headline = strings.TrimSpace(l)
			break
		}
	}
	if !strings.HasPrefix(headline, "? ") || !strings.Contains(status, "? purged") {
		t.Errorf("headline %q and status %q do not both say ? (a copy is unknown)", headline, status)
	}
	var afterLabels []string
	for _, v := range m.s.targets[0].current.Variants {
		if !slices.Contains(afterLabels, v.Label) {
			afterLabels = append(afterLabels, v.Label)
		}
	}
	var want []string
	for _, l := range beforeLabels {
		if slices.Contains(afterLabels, l) && !slices.Contains(want, l) {
			want = append(want, l)
		}
	}
	if strings.Join(afterLabels, ",") != strings.Join(want, ",") {
		t.Errorf("after the purge the variants read %v, want the order before it %v", afterLabels, want)
	}
}

// P purges far more than the selected URL: every other target's result is
// from before it, so they read stale until re-probed, and R is offered.
func TestPurgeEverythingMarksOtherTargetsStale(t *testing.T) {
	pg := &fakePurger{}
	m := purgeModel(t, newFakeCDN(appOrigin), pg, 120, 40)
	m = keys(t, m, "P")
	m = typeText(t, m, "0123abcd")
	m = keys(t, m, "enter")
	if pg.purged != 1 {
		t.Fatal("purge everything did not run")
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "1 other target now stale: R re-probes all") {
		t.Errorf("status does not offer R for the stale targets:\n%s", v)
	}
	if !m.s.targets[1].stale || m.s.targets[0].stale {
		t.Errorf("stale marks: selected %v, other %v", m.s.targets[0].stale, m.s.targets[1].stale)
	}
	m = keys(t, m, "esc")
	if v := ansi.Strip(m.View()); !strings.Contains(v, "◌ stale") {
		t.Errorf("the target list does not mark the other target stale:\n%s", v)
	}
	m = keys(t, m, "R")
	m = start(t, m)
	if m.s.targets[1].stale {
		t.Error("re-probing did not clear the stale mark")
	}
}

// TestPurgeProgressShowsInStatusBar: while a confirmed purge is in flight,
// the purger's progress lines (a CloudFront invalidation in progress)
// replace the status bar's "purging…"; a line from an older purge, or one
// arriving after the purge ended, is ignored.
func TestPurgeProgressShowsInStatusBar(t *testing.T) {
	pg := &fakePurger{}
	m := purgeModel(t, newFakeCDN(appOrigin), pg, 100, 24)
	m = keys(t, m, "p")
	next, _ := m.Update(keyMsg("y")) // confirmed; the purge command not run yet
	m = next.(Model)
	if !m.purge.running || m.purge.progress == nil {
		t.Fatal("no purge in flight after y")
	}
	line := "waiting for CloudFront invalidation I2J0I21PCUYOIK: InProgress (12 s)\x1b[31m"
	next, cmd := m.Update(purgeProgressMsg{Seq: m.purge.seq, Line: line})
	m = next.(Model)
	if cmd == nil {
		t.Error("no command to wait for the next progress line")
	}
	out := m.View()
	if !strings.Contains(out, "waiting for CloudFront invalidation I2J0I21PCUYOIK: InProgress (12 s)") || strings.Contains(out, "\x1b[31m") {
		t.Errorf("status bar lacks the progress line (escaped):\n%s", out)
	}
	next, _ = m.Update(purgeProgressMsg{Seq: m.purge.seq - 1, Line: "waiting for CloudFront invalidation OLD: InProgress (1 s)"})
	if strings.Contains(next.(Model).View(), "OLD") {
		t.Error("a stale progress line was shown")
	}

	// The channel side: report never blocks, next gives the latest line,
	// and nil once the purge has ended.
	pr := newPurgeProgress()
	pr.report("a")
	pr.report("b")
	if msg, ok := pr.next(7)().(purgeProgressMsg); !ok || msg.Line != "b" || msg.Seq != 7 {
		t.Errorf("next = %#v, want the latest line", msg)
	}
	pr.close()
	pr.close()
	if msg := pr.next(7)(); msg != nil {
		t.Errorf("after close next = %#v, want nil", msg)
	}
}
