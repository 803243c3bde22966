package purge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/corscope/corscope/cachemodel"
)

// cloudflareMaxItems is the per-request limit for hosts, prefixes and tags
// (100 on every plan since 2025); URL batches use the entry's batch_size.
const cloudflareMaxItems = 100

// cloudflareFile is a files[] entry that carries cache-key headers. The
// struct (not a map) pins the JSON names: "url", "headers" and "Origin",
// spelled as Cloudflare documents them.
type cloudflareFile struct {
	URL     string            `json:"url"`
	Headers cloudflareHeaders `json:"headers"`
}

type cloudflareHeaders struct {
	Origin string `json:"Origin"`
}

func buildCloudflare(b *Batch, e Settings, opt Options) error {
	if e.ZoneID == "" {
		return fmt.Errorf("purge[%d]: the cloudflare provider needs zone_id", b.Entry)
	}
	b.Account = e.ZoneID
	b.Soft = e.Soft
	env := e.TokenEnv
	if env == "" {
		env = DefaultCloudflareTokenEnv
	}
	b.token = readSecret(env, opt.Getenv)
	b.needToken = true
	b.interpret = interpretCloudflare
	action := "purge_cache"
	if e.Soft {
		action = "invalidate_cache"
		b.Notes = append(b.Notes, "soft purge (invalidate_cache): copies are marked stale and revalidated, not evicted")
	}
	endpoint := strings.TrimSuffix(e.APIBase, "/") + "/zones/" + e.ZoneID + "/" + action
	batch := e.BatchSize
	if batch <= 0 {
		batch = DefaultCloudflareBatch
	}
	newReq := func(body any) (*Request, error) {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		h := baseHeaders(opt.UserAgent)
		h = append(h, cachemodel.Header{Name: "Content-Type", Value: "application/json"})
		r := &Request{Method: http.MethodPost, URL: endpoint, Headers: h, Body: data,
			auth: &authHeader{name: "Authorization", scheme: "Bearer ", token: b.token}}
		b.Requests = append(b.Requests, r)
		return r, nil
	}

	switch b.Scope {
	case cachemodel.PurgeURLs:
		var files []any
		var covers []Item
		flush := func() error {
			if len(files) == 0 {
				return nil
			}
			r, err := newReq(map[string]any{"files": files})
			if err != nil {
				return err
			}
			r.Covers = covers
			files, covers = nil, nil
			return nil
		}
		for _, t := range b.Targets {
			for _, v := range t.Variants {
				it := Item{URL: t.URL, Variant: v}
				switch {
				case !v.HasOrigin():
					// The copy stored for requests without Origin: the plain URL.
					files = append(files, t.URL)
				case v.Origin == "null":
					// Cloudflare documents headers.Origin as scheme://host[:port];
					// one refused entry would fail the whole batch.
					b.Skipped = append(b.Skipped, Skip{Item: it, Reason: "Cloudflare's purge API takes Origin values of the form scheme://host, not \"null\"; clear this copy with --prefix or --host"})
					continue
				default:
					files = append(files, cloudflareFile{URL: t.URL, Headers: cloudflareHeaders{Origin: v.Origin}})
				}
				covers = append(covers, it)
				if len(files) == batch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		return flush()
	case cachemodel.PurgeEverything:
		b.Notes = append(b.Notes, "purge_everything removes every cached object of the zone")
		_, err := newReq(map[string]bool{"purge_everything": true})
		return err
	case cachemodel.PurgeHosts, cachemodel.PurgePrefixes, cachemodel.PurgeTags:
		key := string(b.Scope) // "hosts", "prefixes", "tags": the API's own names
		if b.Scope == cachemodel.PurgePrefixes {
			b.Notes = append(b.Notes, "a prefix purge removes every object below it, whatever its query string or Origin")
		}
		for start := 0; start < len(b.Values); start += cloudflareMaxItems {
			chunk := b.Values[start:min(start+cloudflareMaxItems, len(b.Values))]
			r, err := newReq(map[string][]string{key: chunk})
			if err != nil {
				return err
			}
			r.Values = chunk
		}
		return nil
	}
	return fmt.Errorf("the cloudflare provider cannot purge scope %q", b.Scope)
}

// cloudflareEnvelope is the v4 API's response wrapper.
type cloudflareEnvelope struct {
	Success *bool             `json:"success"`
	Errors  []cloudflareError `json:"errors"`
	Result  *struct {
		ID string `json:"id"`
	} `json:"result"`
}

type cloudflareError struct {
	Code       int               `json:"code"`
	Message    string            `json:"message"`
	ErrorChain []cloudflareError `json:"error_chain"`
}

func (e cloudflareError) String() string {
	s := fmt.Sprintf("code %d: %s", e.Code, e.Message)
	for _, c := range e.ErrorChain {
		s += " (" + c.String() + ")"
	}
	return s
}

// interpretCloudflare checks the envelope's success field, not just the
// status: some refusals come back as HTTP 200 with success:false.
func interpretCloudflare(status int, _ http.Header, body, shown []byte) reply {
	var env cloudflareEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.Success == nil {
		return reply{errText: fmt.Sprintf("malformed response from the Cloudflare API (HTTP %d, not its JSON envelope): %s", status, snippet(shown))}
	}
	if *env.Success && status >= 200 && status < 300 {
		r := reply{ok: true, message: "success"}
		if env.Result != nil && env.Result.ID != "" {
			r.ids = []string{env.Result.ID}
		}
		return r
	}
	var msgs []string
	for _, e := range env.Errors {
		msgs = append(msgs, e.String())
	}
	if len(msgs) == 0 {
		msgs = []string{"no errors[] given"}
	}
	return reply{errText: fmt.Sprintf("Cloudflare API refused the purge (HTTP %d, success:%v): %s", status, *env.Success, strings.Join(msgs, "; "))}
}
