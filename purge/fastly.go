package purge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// fastlyMaxKeys is the limit of surrogate keys per bulk purge request.
const fastlyMaxKeys = 256

func buildFastly(b *Batch, e Settings, opt Options) error {
	b.Account = e.ServiceID
	b.Soft = e.Soft
	env := e.TokenEnv
	if env == "" {
		env = DefaultFastlyTokenEnv
	}
	b.token = readSecret(env, opt.Getenv)
	b.interpret = interpretFastly
	base := strings.TrimSuffix(e.APIBase, "/")
	if base == "" {
		base = DefaultFastlyAPI
	}
	newReq := func(path string, body []byte) *Request {
		h := baseHeaders(opt.UserAgent)
		if b.Soft {
			h = append(h, cachemodel.Header{Name: "Fastly-Soft-Purge", Value: "1"})
		}
		if body != nil {
			h = append(h, cachemodel.Header{Name: "Content-Type", Value: "application/json"})
		}
		r := &Request{Method: http.MethodPost, URL: base + path, Headers: h, Body: body}
		// URL purges need no credential unless the service asks for one
		// (Fastly-Purge-Requires-Auth); send the token whenever there is one.
		if b.token.present() || b.needToken {
			r.auth = &authHeader{name: "Fastly-Key", token: b.token}
		}
		b.Requests = append(b.Requests, r)
		return r
	}
	if b.Soft {
		b.Notes = append(b.Notes, "soft purge (Fastly-Soft-Purge): copies are marked stale, not evicted")
	}
	needService := func(what string) error {
		if e.ServiceID == "" {
			return fmt.Errorf("a fastly %s purge needs service_id in the [[purge]] entry", what)
		}
		b.needToken = true
		return nil
	}

	switch b.Scope {
	case cachemodel.PurgeURLs:
		b.Notes = append(b.Notes, "Fastly's URL purge removes every Vary variant of a URL, so one request per URL covers all its Origin variants")
		for _, t := range b.Targets {
			u, err := url.Parse(t.URL)
			if err != nil {
				return fmt.Errorf("bad URL %q: %v", t.URL, err)
			}
			// The API takes the cached URL without its scheme:
			// /purge/www.example.com/path?query.
			r := newReq("/purge/"+u.Host+u.RequestURI(), nil)
			for _, v := range t.Variants {
				r.Covers = append(r.Covers, Item{URL: t.URL, Variant: v})
			}
		}
		return nil
	case cachemodel.PurgeTags:
		if err := needService("surrogate-key"); err != nil {
			return err
		}
		svc := "/service/" + url.PathEscape(e.ServiceID)
		if len(b.Values) == 1 {
			r := newReq(svc+"/purge/"+url.PathEscape(b.Values[0]), nil)
			r.Values = b.Values
			return nil
		}
		for start := 0; start < len(b.Values); start += fastlyMaxKeys {
			chunk := b.Values[start:min(start+fastlyMaxKeys, len(b.Values))]
			body, err := json.Marshal(map[string][]string{"surrogate_keys": chunk})
			if err != nil {
				return err
			}
			r := newReq(svc+"/purge", body)
			r.Values = chunk
		}
		return nil
	case cachemodel.PurgeEverything:
		if err := needService("purge-all"); err != nil {
			return err
		}
		if b.Soft {
			return fmt.Errorf("fastly's purge_all cannot be soft; set soft = false for this entry, or soft-purge a surrogate key every object carries (--tag)")
		}
		b.Notes = append(b.Notes, "purge_all removes every cached object of the service")
		newReq("/service/"+url.PathEscape(e.ServiceID)+"/purge_all", nil)
		return nil
	}
	return fmt.Errorf("the fastly provider cannot purge by %s: use URLs, --tag (surrogate keys) or --everything", strings.TrimSuffix(string(b.Scope), "es"))
}

// interpretFastly reads {"status":"ok","id":"..."} (single purges) or a
// map of surrogate key to purge id (bulk), and {"msg":..,"detail":..} on
// errors.
func interpretFastly(status int, _ http.Header, body, shown []byte) reply {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return reply{errText: fmt.Sprintf("malformed response from the Fastly API (HTTP %d, not a JSON object): %s", status, snippet(shown))}
	}
	str := func(name string) string {
		var s string
		_ = json.Unmarshal(obj[name], &s)
		return s
	}
	if status < 200 || status > 299 {
		msg := str("msg")
		if d := str("detail"); d != "" {
			msg += ": " + d
		}
		if msg == "" {
			msg = snippet(shown)
		}
		return reply{errText: fmt.Sprintf("Fastly API refused the purge (HTTP %d): %s", status, msg)}
	}
	if _, single := obj["status"]; single {
		if st := str("status"); st != "ok" {
			return reply{errText: fmt.Sprintf("Fastly API answered status %q (HTTP %d)", st, status)}
		}
		r := reply{ok: true, message: "ok"}
		if id := str("id"); id != "" {
			r.ids = []string{id}
		}
		return r
	}
	// Bulk: every value is a purge id.
	if len(obj) == 0 {
		return reply{errText: fmt.Sprintf("Fastly API answered no purge id (HTTP %d)", status)}
	}
	r := reply{ok: true, message: "ok"}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var id string
		if err := json.Unmarshal(obj[k], &id); err != nil {
			what := "a value"
			if len(k) <= 64 { // quoted whole, so the redaction of the message sees all of it
				what = termsafe.String(k)
			}
			return reply{errText: fmt.Sprintf("malformed response from the Fastly API (HTTP %d): %s is not a purge id", status, what)}
		}
		r.ids = append(r.ids, id)
	}
	return r
}
