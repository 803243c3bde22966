package cachemodel

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func mustURLs(t *testing.T, raw ...string) []*url.URL {
	t.Helper()
	var out []*url.URL
	for _, r := range raw {
		u, err := ParseTargetURL(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func TestPurgeVariants(t *testing.T) {
	u := mustURLs(t, "https://cdn.example.com/app.js")[0]
	got := PurgeVariants(u, []string{"https://a.example", "null", "https://cdn.example.com", "https://a.example"})
	want := []Variant{
		{Kind: KindNoOrigin},
		{Kind: KindConfigured, Origin: "https://a.example"},
		{Kind: KindNull, Origin: "null"},
		{Kind: KindSameOrigin, Origin: "https://cdn.example.com"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := PurgeVariants(u, nil); len(got) != 1 || got[0].HasOrigin() {
		t.Errorf("no origins: want only the no-Origin variant, got %+v", got)
	}
}

func TestBuildPurgePlanURLs(t *testing.T) {
	urls := mustURLs(t, "https://CDN.example.com:443/a.js?v=1", "https://cdn.example.com/b.css", "https://cdn.example.com/a.js?v=1")
	p, err := BuildPurgePlan(PurgeURLs, nil, urls, []string{"https://a.example", "https://b.example"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 2 {
		t.Fatalf("duplicate URL not dropped: %+v", p.Targets)
	}
	if p.Targets[0].URL != "https://cdn.example.com/a.js?v=1" {
		t.Errorf("URL %q, want host lower-cased and the default port dropped", p.Targets[0].URL)
	}
	if p.Targets[0].Host != "cdn.example.com" {
		t.Errorf("host %q, want lower-case without port", p.Targets[0].Host)
	}
	if p.VariantCount() != 6 {
		t.Errorf("2 URLs × 3 variants: count %d", p.VariantCount())
	}
	for _, tg := range p.Targets {
		if tg.Variants[0].HasOrigin() || tg.Variants[1].Origin != "https://a.example" || tg.Variants[2].Origin != "https://b.example" {
			t.Errorf("%s variants %+v", tg.URL, tg.Variants)
		}
	}
}

func TestBuildPurgePlanErrors(t *testing.T) {
	urls := mustURLs(t, "https://cdn.example.com/a.js")
	cases := []struct {
		scope  PurgeScope
		values []string
		urls   []*url.URL
		want   string
	}{
		{PurgeURLs, nil, nil, "give one or more URLs"},
		{PurgeURLs, []string{"x"}, urls, "takes no host"},
		{PurgeEverything, []string{"x"}, nil, "takes no host"},
		{PurgeHosts, nil, nil, "needs at least one value"},
		{PurgeTags, []string{}, urls, "needs at least one value"},
		{"bogus", nil, urls, "unknown purge scope"},
		{PurgeHosts, []string{"https://www.example.com"}, nil, "bare host name"},
		{PurgeHosts, []string{"www.example.com/x"}, nil, "bare host name"},
		{PurgeHosts, []string{"-bad.example.com"}, nil, "bare host name"},
		{PurgeHosts, []string{"a.example:port"}, nil, "bare host name"},
		{PurgePrefixes, []string{"https://www.example.com/a"}, nil, "without the scheme"},
		{PurgePrefixes, []string{"www.example.com"}, nil, "want host/path"},
		{PurgePrefixes, []string{"www.example.com/a?x=1"}, nil, "no query"},
		{PurgePrefixes, []string{"www.example.com" + strings.Repeat("/a", 32)}, nil, "31 path separators"},
		{PurgeTags, []string{"has space"}, nil, "printable ASCII"},
		{PurgeTags, []string{"tab\there"}, nil, "printable ASCII"},
		{PurgeTags, []string{strings.Repeat("t", 1025)}, nil, "1 to 1024"},
	}
	for _, c := range cases {
		_, err := BuildPurgePlan(c.scope, c.values, c.urls, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s %q: err %v, want one line mentioning %q", c.scope, c.values, err, c.want)
		}
	}
}

func TestBuildPurgePlanValuesNormalised(t *testing.T) {
	p, err := BuildPurgePlan(PurgeHosts, []string{"WWW.Example.com.", "www.example.com", "127.0.0.1:8080"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Values, []string{"www.example.com", "127.0.0.1:8080"}) {
		t.Errorf("values %q", p.Values)
	}
	p, err = BuildPurgePlan(PurgePrefixes, []string{"WWW.example.com/Assets/"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Values[0] != "www.example.com/Assets/" {
		t.Errorf("prefix %q: host lower-cased, path case kept", p.Values[0])
	}
	if h := PurgeValueHost(PurgePrefixes, "127.0.0.1:9/x"); h != "127.0.0.1" {
		t.Errorf("prefix host %q", h)
	}
	if h := PurgeValueHost(PurgeTags, "t"); h != "" {
		t.Errorf("tag host %q", h)
	}
}

func TestPurgePlanFromReports(t *testing.T) {
	a, b, null := "https://a.example", "https://b.example", "null"
	rep := []TargetReport{
		{URL: "https://cdn.example.com/x.json", Variants: []VariantResult{
			{Kind: KindNoOrigin, Round: 1},
			{Kind: KindConfigured, Origin: &a, Round: 1},
			{Kind: KindNull, Origin: &null, Round: 1},
			{Kind: KindConfigured, Origin: &a, Round: 1, Preflight: true},
			{Kind: KindConfigured, Origin: &b, Round: 2},
			{Kind: KindConfigured, Origin: &a, Round: 2},
		}},
		{URL: "https://cdn.example.com/x.json"}, // duplicate: dropped
		{URL: "not a url"},
		{URL: "https://cdn.example.com/only-origin", Variants: []VariantResult{{Kind: KindConfigured, Origin: &b}}},
	}
	p, err := PurgePlanFromReports(rep)
	if err == nil || !strings.Contains(err.Error(), "not a url") {
		t.Errorf("err %v, want the bad URL named", err)
	}
	if p.Scope != PurgeURLs || len(p.Targets) != 2 {
		t.Fatalf("plan %+v", p)
	}
	want := []Variant{{Kind: KindNoOrigin}, {Kind: KindConfigured, Origin: a}, {Kind: KindNull, Origin: null}, {Kind: KindConfigured, Origin: b}}
	if !reflect.DeepEqual(p.Targets[0].Variants, want) {
		t.Errorf("variants %+v\nwant %+v", p.Targets[0].Variants, want)
	}
	// A report that never sent a no-Origin request still purges that copy:
	// it is the one plain page loads fill.
	if v := p.Targets[1].Variants; len(v) != 2 || v[0].HasOrigin() {
		t.Errorf("only-origin variants %+v", v)
	}
}

func TestGroupByProvider(t *testing.T) {
	urls := mustURLs(t, "https://a.example.com/1", "https://static.example.net/2", "https://b.example.com/3")
	choose := func(host string) (string, bool) {
		switch {
		case strings.HasSuffix(host, ".example.com"):
			return "cloudflare", true
		case host == "static.example.net":
			return "fastly", true
		}
		return "", false
	}
	p, _ := BuildPurgePlan(PurgeURLs, nil, urls, []string{"https://app.example"})
	groups, err := p.GroupByProvider(choose)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].Provider != "cloudflare" || len(groups[0].Targets) != 2 || groups[1].Provider != "fastly" || len(groups[1].Targets) != 1 {
		t.Fatalf("groups %+v", groups)
	}
	if groups[0].Targets[1].URL != "https://b.example.com/3" || len(groups[0].Targets[1].Variants) != 2 {
		t.Errorf("target %+v", groups[0].Targets[1])
	}

	// Hosts and prefixes route by their own host; unknown hosts are named.
	p, _ = BuildPurgePlan(PurgePrefixes, []string{"a.example.com/x/", "static.example.net/y"}, nil, nil)
	groups, err = p.GroupByProvider(choose)
	if err != nil || len(groups) != 2 || groups[0].Values[0] != "a.example.com/x/" || groups[1].Values[0] != "static.example.net/y" {
		t.Errorf("prefix groups %+v, %v", groups, err)
	}
	p, _ = BuildPurgePlan(PurgeHosts, []string{"a.example.com", "elsewhere.org", "other.org"}, mustURLs(t, "https://other.org/"), nil)
	if _, err = p.GroupByProvider(choose); err == nil || !strings.Contains(err.Error(), "elsewhere.org, other.org") {
		t.Errorf("unserved hosts: %v", err)
	}

	// Tags go to every provider the targets route to, or the default.
	p, _ = BuildPurgePlan(PurgeTags, []string{"t1", "t2"}, mustURLs(t, "https://a.example.com/1", "https://static.example.net/2"), nil)
	groups, err = p.GroupByProvider(choose)
	if err != nil || len(groups) != 2 || !reflect.DeepEqual(groups[1].Values, []string{"t1", "t2"}) {
		t.Errorf("tag groups %+v, %v", groups, err)
	}
	p, _ = BuildPurgePlan(PurgeEverything, nil, nil, nil)
	if _, err = p.GroupByProvider(choose); err == nil || !strings.Contains(err.Error(), "needs a provider") {
		t.Errorf("everything without a provider: %v", err)
	}
	only := func(string) (string, bool) { return "cloudflare", true }
	groups, err = p.GroupByProvider(only)
	if err != nil || len(groups) != 1 || groups[0].Provider != "cloudflare" || len(groups[0].Targets) != 0 {
		t.Errorf("everything with a default: %+v, %v", groups, err)
	}
}
