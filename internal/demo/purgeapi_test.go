package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	testZone  = "0123456789abcdef0123456789abcdef"
	testToken = "test-token-0123456789abcdefghijklmnopqrs"
)

type purgeFixture struct {
	*cdnFixture
	api    *PurgeAPI
	apiURL string // http://127.0.0.1:port
}

func startPurge(t *testing.T) *purgeFixture {
	t.Helper()
	f := &purgeFixture{cdnFixture: startCDN(t, CDNOptions{}, nil)}
	f.api = NewPurgeAPI(f.cdn, testZone, testToken)
	srv := httptest.NewServer(f.api)
	t.Cleanup(srv.Close)
	f.apiURL = srv.URL
	return f
}

type purgeCall struct {
	method, path, auth, contentType, body string
	extra                                 map[string]string
}

// apiReply is the decoded envelope plus the raw body for exact checks.
type apiReply struct {
	status int
	raw    string
	env    struct {
		Success  bool              `json:"success"`
		Errors   []apiError        `json:"errors"`
		Messages []json.RawMessage `json:"messages"`
		Result   *purgeResult      `json:"result"`
	}
}

func (f *purgeFixture) call(t *testing.T, c purgeCall) apiReply {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = "/client/v4/zones/" + testZone + "/purge_cache"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, c.method, f.apiURL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	for k, v := range c.extra {
		req.Header.Set(k, v)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiReply{status: resp.StatusCode, raw: string(raw)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("reply Content-Type = %q", ct)
	}
	if err := json.Unmarshal(raw, &r.env); err != nil {
		t.Fatalf("reply is not JSON: %q", raw)
	}
	return r
}

// jsonCall is a well-formed, authenticated purge request with body.
func jsonCall(body string) purgeCall {
	return purgeCall{auth: "Bearer " + testToken, contentType: "application/json", body: body}
}

func manyFiles(n int) string {
	files := make([]string, n)
	for i := range files {
		files[i] = fmt.Sprintf("%q", fmt.Sprintf("http://127.0.0.1/f%d", i))
	}
	return `{"files":[` + strings.Join(files, ",") + `]}`
}

func manyStrings(key string, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`"h%d"`, i)
	}
	return `{"` + key + `":[` + strings.Join(items, ",") + `]}`
}

func TestPurgeAPIValidation(t *testing.T) {
	ok := jsonCall(`{"purge_everything":true}`)
	cases := []struct {
		name   string
		call   purgeCall
		status int
		codes  []int // nil = success expected
		chain  int   // expected error_chain code of the first error, 0 = none
	}{
		{"success", ok, 200, nil, 0},
		{"lower-case bearer", with(ok, func(c *purgeCall) { c.auth = "bearer " + testToken }), 200, nil, 0},
		{"json with charset", with(ok, func(c *purgeCall) { c.contentType = "application/json; charset=utf-8" }), 200, nil, 0},
		{"soft purge", with(ok, func(c *purgeCall) { c.path = "/client/v4/zones/" + testZone + "/invalidate_cache" }), 200, nil, 0},
		{"missing auth", with(ok, func(c *purgeCall) { c.auth = "" }), 401, []int{codeAuth}, 0},
		{"legacy key", with(ok, func(c *purgeCall) {
			c.auth = ""
			c.extra = map[string]string{"X-Auth-Key": "k", "X-Auth-Email": "a@example.com"}
		}), 403, []int{codeAuth}, 0},
		{"wrong token", with(ok, func(c *purgeCall) { c.auth = "Bearer nope" }), 403, []int{codeAuth}, 0},
		{"token prefix only", with(ok, func(c *purgeCall) { c.auth = "Bearer " + testToken[:10] }), 403, []int{codeAuth}, 0},
		{"basic auth", with(ok, func(c *purgeCall) { c.auth = "Basic " + testToken }), 400, []int{codeBadHeaders}, codeBadAuthFormat},
		{"bare token", with(ok, func(c *purgeCall) { c.auth = testToken }), 400, []int{codeBadHeaders}, codeBadAuthFormat},
		{"wrong zone", with(ok, func(c *purgeCall) { c.path = "/client/v4/zones/ffff/purge_cache" }), 404, []int{codeNoRoute}, 0},
		{"unknown action", with(ok, func(c *purgeCall) { c.path = "/client/v4/zones/" + testZone + "/purge" }), 404, []int{codeNoRoute}, 0},
		{"unknown path", with(ok, func(c *purgeCall) { c.path = "/zones/" + testZone + "/purge_cache" }), 404, []int{codeNoRoute}, 0},
		{"GET", with(ok, func(c *purgeCall) { c.method = http.MethodGet }), 405, []int{codeMethod}, 0},
		{"DELETE", with(ok, func(c *purgeCall) { c.method = http.MethodDelete }), 405, []int{codeMethod}, 0},
		{"no content type", with(ok, func(c *purgeCall) { c.contentType = "" }), 400, []int{codeBadHeaders}, codeBadContentType},
		{"form content type", with(ok, func(c *purgeCall) { c.contentType = "application/x-www-form-urlencoded" }), 400, []int{codeBadHeaders}, codeBadContentType},
		{"malformed JSON", jsonCall(`{"files":[`), 400, []int{codeBadJSON}, 0},
		{"JSON array body", jsonCall(`["http://a/"]`), 400, []int{codeBadJSON}, 0},
		{"JSON null body", jsonCall(`null`), 400, []int{codeBadJSON}, 0},
		{"trailing garbage", jsonCall(`{"purge_everything":true} x`), 400, []int{codeBadJSON}, 0},
		{"empty object", jsonCall(`{}`), 200, []int{codeSelector}, 0},
		{"unknown key only", jsonCall(`{"file":["http://a/"]}`), 200, []int{codeSelector}, 0},
		{"purge_everything false", jsonCall(`{"purge_everything":false}`), 200, []int{codeSelector}, 0},
		{"purge_everything string", jsonCall(`{"purge_everything":"yes"}`), 200, []int{codeNotArray}, 0},
		{"two selectors", jsonCall(`{"files":["http://a/"],"tags":["t"]}`), 200, []int{codeSelector}, 0},
		{"everything plus hosts", jsonCall(`{"purge_everything":true,"hosts":["a"]}`), 200, []int{codeSelector}, 0},
		{"files not an array", jsonCall(`{"files":"http://a/"}`), 200, []int{codeNotArray}, 0},
		{"files null", jsonCall(`{"files":null}`), 200, []int{codeNotArray}, 0},
		{"files empty", jsonCall(`{"files":[]}`), 200, []int{codeSelector}, 0},
		{"30 files", jsonCall(manyFiles(30)), 200, nil, 0},
		{"31 files", jsonCall(manyFiles(31)), 200, []int{codeTooMany}, 0},
		{"file number", jsonCall(`{"files":[42]}`), 200, []int{codeBadFile}, 0},
		{"file relative", jsonCall(`{"files":["/cors/vary.json"]}`), 200, []int{codeBadFile}, 0},
		{"file wildcard", jsonCall(`{"files":["http://a/*.js"]}`), 200, []int{codeBadFile}, 0},
		{"file object without url", jsonCall(`{"files":[{"headers":{"Origin":"https://a.example"}}]}`), 200, []int{codeBadFile}, 0},
		{"file header not a string", jsonCall(`{"files":[{"url":"http://a/","headers":{"Origin":5}}]}`), 200, []int{codeBadFile}, 0},
		{"origin with path", jsonCall(`{"files":[{"url":"http://a/","headers":{"Origin":"https://a.example/"}}]}`), 200, []int{codeBadFile}, 0},
		{"origin without scheme", jsonCall(`{"files":[{"url":"http://a/","headers":{"origin":"a.example"}}]}`), 200, []int{codeBadFile}, 0},
		{"two bad files, two errors", jsonCall(`{"files":["x","y"]}`), 200, []int{codeBadFile, codeBadFile}, 0},
		{"file object ok", jsonCall(`{"files":[{"url":"http://a/","headers":{"Origin":"https://a.example:8443","CF-IPCountry":"ES"}}]}`), 200, nil, 0},
		{"null origin ok", jsonCall(`{"files":[{"url":"http://a/","headers":{"Origin":"null"}}]}`), 200, nil, 0},
		{"100 hosts", jsonCall(manyStrings("hosts", 100)), 200, nil, 0},
		{"101 hosts", jsonCall(manyStrings("hosts", 101)), 200, []int{codeTooMany}, 0},
		{"host with scheme", jsonCall(`{"hosts":["http://a"]}`), 200, []int{codeBadHost}, 0},
		{"host not a string", jsonCall(`{"hosts":[1]}`), 200, []int{codeNotArray}, 0},
		{"prefix with scheme", jsonCall(`{"prefixes":["https://a/b"]}`), 200, []int{codeBadPrefix}, 0},
		{"prefix with query", jsonCall(`{"prefixes":["a/b?c=1"]}`), 200, []int{codeBadPrefix}, 0},
		{"prefix too deep", jsonCall(`{"prefixes":["a` + strings.Repeat("/x", 32) + `"]}`), 200, []int{codeBadPrefix}, 0},
		{"prefix ok", jsonCall(`{"prefixes":["a` + strings.Repeat("/x", 31) + `"]}`), 200, nil, 0},
		{"tag with space", jsonCall(`{"tags":["a b"]}`), 200, []int{codeTagChars}, 0},
		{"tag non-ASCII", jsonCall(`{"tags":["café"]}`), 200, []int{codeTagChars}, 0},
		{"tag too long", jsonCall(`{"tags":["` + strings.Repeat("t", 1025) + `"]}`), 200, []int{codeTagTooLong}, 0},
		{"tag 1024", jsonCall(`{"tags":["` + strings.Repeat("t", 1024) + `"]}`), 200, nil, 0},
		{"body too large", jsonCall(`{"tags":["` + strings.Repeat("t", 2<<20) + `"]}`), 413, []int{codeBodyTooLarge}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startPurge(t)
			r := f.call(t, tc.call)
			if r.status != tc.status {
				t.Errorf("HTTP status = %d, want %d (%s)", r.status, tc.status, clip(r.raw))
			}
			if r.env.Messages == nil || r.env.Errors == nil {
				t.Errorf("errors and messages must be arrays, never null: %s", clip(r.raw))
			}
			if tc.codes == nil {
				if !r.env.Success || len(r.env.Errors) != 0 || r.env.Result == nil {
					t.Fatalf("want success, got %s", clip(r.raw))
				}
				if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(r.env.Result.ID) {
					t.Errorf("result.id = %q, want 32 hex digits", r.env.Result.ID)
				}
				return
			}
			if r.env.Success || r.env.Result != nil || !strings.Contains(r.raw, `"result":null`) {
				t.Errorf("want success:false with result:null, got %s", clip(r.raw))
			}
			var codes []int
			for _, e := range r.env.Errors {
				codes = append(codes, e.Code)
				if e.Message == "" || strings.Contains(e.Message, "\n") {
					t.Errorf("error %d: message %q must be one non-empty line", e.Code, e.Message)
				}
			}
			if fmt.Sprint(codes) != fmt.Sprint(tc.codes) {
				t.Errorf("error codes = %v, want %v (%s)", codes, tc.codes, clip(r.raw))
			}
			gotChain := 0
			if len(r.env.Errors) > 0 && len(r.env.Errors[0].ErrorChain) > 0 {
				gotChain = r.env.Errors[0].ErrorChain[0].Code
			}
			if gotChain != tc.chain {
				t.Errorf("error_chain code = %d, want %d", gotChain, tc.chain)
			}
		})
	}
}

func TestPurgeAPISuccessEnvelopeIsExact(t *testing.T) {
	f := startPurge(t)
	r := f.call(t, jsonCall(`{"purge_everything":true}`))
	want := regexp.MustCompile(`^\{"success":true,"errors":\[\],"messages":\[\],"result":\{"id":"[0-9a-f]{32}"\}\}\n$`)
	if !want.MatchString(r.raw) {
		t.Errorf("success body = %q", r.raw)
	}
	second := f.call(t, jsonCall(`{"purge_everything":true}`))
	if second.env.Result.ID == r.env.Result.ID {
		t.Error("purge ids repeat")
	}
}

func TestPurgeAPIMaxFilesIsAField(t *testing.T) {
	f := startPurge(t)
	f.api.MaxFiles = 2
	if r := f.call(t, jsonCall(manyFiles(2))); !r.env.Success {
		t.Errorf("2 files with MaxFiles=2 refused: %s", r.raw)
	}
	r := f.call(t, jsonCall(manyFiles(3)))
	if r.env.Success || len(r.env.Errors) != 1 || r.env.Errors[0].Code != codeTooMany ||
		!strings.Contains(r.env.Errors[0].Message, "maximum of 2 files") {
		t.Errorf("3 files with MaxFiles=2: %s", r.raw)
	}
}

// fillKeyed caches keyed.json for app, admin and no Origin, and vary.json
// for app and admin.
func fillKeyed(t *testing.T, f *purgeFixture) {
	t.Helper()
	for _, o := range []string{appOrigin, adminOrigin, noOrigin} {
		fetch(t, f.client, http.MethodGet, f.url+"/cors/keyed.json", o)
	}
	for _, o := range []string{appOrigin, adminOrigin} {
		fetch(t, f.client, http.MethodGet, f.url+"/cors/vary.json", o)
	}
	if f.cdn.Len() != 5 {
		t.Fatalf("filled %d objects, want 5", f.cdn.Len())
	}
}

func (f *purgeFixture) statusOf(t *testing.T, path, origin string) string {
	t.Helper()
	resp, _ := fetch(t, f.client, http.MethodGet, f.url+path, origin)
	return resp.Header.Get("CF-Cache-Status")
}

func TestPurgeAPIPurgesTheCDN(t *testing.T) {
	type probe struct{ path, origin, status string }
	cases := []struct {
		name    string
		body    func(f *purgeFixture) string
		removed int
		after   []probe
	}{
		{"files entry with headers.Origin purges exactly that keyed copy",
			func(f *purgeFixture) string {
				return `{"files":[{"url":"` + f.url + `/cors/keyed.json","headers":{"Origin":"` + adminOrigin + `"}}]}`
			}, 1,
			[]probe{{"/cors/keyed.json", adminOrigin, StatusMiss}, {"/cors/keyed.json", appOrigin, StatusHit}, {"/cors/keyed.json", noOrigin, StatusHit}}},
		{"URL without Origin leaves Origin-keyed copies (like Cloudflare)",
			func(f *purgeFixture) string { return `{"files":["` + f.url + `/cors/keyed.json"]}` }, 1,
			[]probe{{"/cors/keyed.json", noOrigin, StatusMiss}, {"/cors/keyed.json", appOrigin, StatusHit}, {"/cors/keyed.json", adminOrigin, StatusHit}}},
		{"one entry per Origin clears every keyed copy",
			func(f *purgeFixture) string {
				u := f.url + "/cors/keyed.json"
				return `{"files":["` + u + `",{"url":"` + u + `","headers":{"Origin":"` + appOrigin + `"}},{"url":"` + u + `","headers":{"origin":"` + adminOrigin + `"}}]}`
			}, 3,
			[]probe{{"/cors/keyed.json", appOrigin, StatusMiss}, {"/cors/keyed.json", adminOrigin, StatusMiss}, {"/cors/vary.json", appOrigin, StatusHit}}},
		{"URL on a Vary path removes all Vary variants",
			func(f *purgeFixture) string { return `{"files":["` + f.url + `/cors/vary.json"]}` }, 2,
			[]probe{{"/cors/vary.json", appOrigin, StatusMiss}, {"/cors/vary.json", adminOrigin, StatusMiss}, {"/cors/keyed.json", appOrigin, StatusHit}}},
		{"purge everything", func(*purgeFixture) string { return `{"purge_everything":true}` }, 5,
			[]probe{{"/cors/keyed.json", appOrigin, StatusMiss}}},
		{"hosts", func(f *purgeFixture) string { return `{"hosts":["127.0.0.1"]}` }, 5, nil},
		{"prefixes", func(f *purgeFixture) string {
			return `{"prefixes":["` + strings.TrimPrefix(f.url, "http://") + `/cors/vary"]}`
		}, 2, []probe{{"/cors/keyed.json", noOrigin, StatusHit}}},
		{"tags", func(*purgeFixture) string { return `{"tags":["keyed"]}` }, 3, nil},
		{"URL not cached still succeeds", func(f *purgeFixture) string { return `{"files":["` + f.url + `/cors/wildcard.json"]}` }, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startPurge(t)
			fillKeyed(t, f)
			r := f.call(t, jsonCall(tc.body(f)))
			if r.status != 200 || !r.env.Success {
				t.Fatalf("purge refused: %d %s", r.status, r.raw)
			}
			log := f.api.Requests()
			if len(log) != 1 || log[0].Removed != tc.removed {
				t.Fatalf("log = %+v, want one request that removed %d", log, tc.removed)
			}
			if got := f.cdn.Len(); got != 5-tc.removed {
				t.Errorf("CDN holds %d objects, want %d", got, 5-tc.removed)
			}
			for _, p := range tc.after {
				if got := f.statusOf(t, p.path, p.origin); got != p.status {
					t.Errorf("%s with Origin %q after purge: %s, want %s", p.path, p.origin, got, p.status)
				}
			}
		})
	}
}

func TestPurgeAPIRefusedRequestPurgesNothing(t *testing.T) {
	f := startPurge(t)
	fillKeyed(t, f)
	calls := []purgeCall{
		with(jsonCall(`{"purge_everything":true}`), func(c *purgeCall) { c.auth = "Bearer wrong" }),
		jsonCall(`{"purge_everything":true,"tags":["keyed"]}`),
		jsonCall(`{"files":["` + f.url + `/cors/keyed.json", 7]}`), // one bad entry refuses the batch
	}
	for _, c := range calls {
		if r := f.call(t, c); r.env.Success {
			t.Errorf("accepted: %s", r.raw)
		}
	}
	if f.cdn.Len() != 5 {
		t.Errorf("refused requests removed objects: %d left, want 5", f.cdn.Len())
	}
}

// with returns a copy of c changed by mod.
func with(c purgeCall, mod func(*purgeCall)) purgeCall { mod(&c); return c }

func TestPurgeAPIRequestLog(t *testing.T) {
	f := startPurge(t)
	f.call(t, with(jsonCall(`{"tags":["x"]}`), func(c *purgeCall) { c.auth = "Bearer wrong-" + testToken }))
	f.call(t, with(jsonCall(`{"tags":["vary"]}`), func(c *purgeCall) {
		c.path = "/client/v4/zones/" + testZone + "/invalidate_cache"
	}))
	log := f.api.Requests()
	if len(log) != 2 {
		t.Fatalf("log has %d entries, want 2", len(log))
	}
	first, second := log[0], log[1]
	if first.Authorized || first.Status != 403 || first.Success || fmt.Sprint(first.ErrorCodes) != "[10000]" {
		t.Errorf("first entry = %+v", first)
	}
	if !second.Authorized || second.Status != 200 || !second.Success || second.Action != "invalidate_cache" ||
		second.ZoneID != testZone || second.Body != `{"tags":["vary"]}` || second.Method != "POST" ||
		second.ContentType != "application/json" || second.Time.IsZero() {
		t.Errorf("second entry = %+v", second)
	}
	if strings.Contains(fmt.Sprintf("%+v", log), testToken) {
		t.Error("the request log holds the token")
	}
	log[1].ErrorCodes = append(log[1].ErrorCodes, 1)
	if len(f.api.Requests()[1].ErrorCodes) != 0 {
		t.Error("Requests returns shared slices")
	}
}
