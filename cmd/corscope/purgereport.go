package main

import (
	"fmt"
	"io"
	"net/http"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/config"
	"github.com/corscope/corscope/internal/termsafe"
	"github.com/corscope/corscope/purge"
)

// printPurgeFailure explains a purge that did not fully succeed: which
// credential an API refused and why (401: the token is wrong; 403: it
// lacks a permission), then exactly which cached copies were purged and
// which were not. Everything printed is terminal-safe; no credential is
// ever known here, only the names of the variables holding them.
func printPurgeFailure(w io.Writer, job *purge.Job, res purge.Result, entries []config.Purge, getenv func(string) string) {
	hinted := map[string]bool{}
	for _, r := range res.Requests {
		if r.OK {
			continue
		}
		b := job.Batches[r.Batch]
		if h := authHint(b, r.Status, entries, getenv); h != "" && !hinted[h] {
			hinted[h] = true
			fmt.Fprintln(w, termsafe.String(h))
		}
	}
	if job.Plan.Scope != cachemodel.PurgeURLs {
		return // the request lines above already name every host, prefix or tag
	}
	type outcome struct {
		item   purge.Item
		reason string // "" when purged
	}
	var done, failed, unknown []outcome
	for _, b := range job.Batches {
		for _, t := range b.Targets {
			for _, v := range t.Variants {
				it := purge.Item{URL: t.URL, Variant: v}
				if reason, skipped := skipReason(b, it); skipped {
					failed = append(failed, outcome{it, "cannot be targeted: " + reason})
					continue
				}
				switch cover := res.Covering(it); {
				case len(cover) == 0:
					failed = append(failed, outcome{it, "not sent: the purge stopped before this request"})
				case cover[len(cover)-1].Interrupted:
					unknown = append(unknown, outcome{it, cover[len(cover)-1].Message})
				case !cover[len(cover)-1].OK:
					failed = append(failed, outcome{it, cover[len(cover)-1].Message})
				default:
					done = append(done, outcome{it, ""})
				}
			}
		}
	}
	if len(failed) == 0 && len(unknown) == 0 {
		return
	}
	all := len(done) + len(failed) + len(unknown)
	fmt.Fprintf(w, "purged %d of %d cached %s", len(done), all, purgePlural(all, "copy", "copies"))
	if len(failed) > 0 {
		fmt.Fprintln(w, "; not purged:")
		for _, o := range failed {
			fmt.Fprintf(w, "  ✗ %s  %s: %s\n", termsafe.String(o.item.URL), termsafe.String(o.item.Variant.Label()), termsafe.Line(o.reason, 200))
		}
	} else {
		fmt.Fprintln(w)
	}
	if len(unknown) > 0 {
		fmt.Fprintln(w, "outcome unknown (the API may have acted on these):")
		for _, o := range unknown {
			fmt.Fprintf(w, "  ? %s  %s: %s\n", termsafe.String(o.item.URL), termsafe.String(o.item.Variant.Label()), termsafe.Line(o.reason, 200))
		}
	}
	if len(done) > 0 {
		fmt.Fprintln(w, "purged:")
		for _, o := range done {
			fmt.Fprintf(w, "  ✓ %s  %s\n", termsafe.String(o.item.URL), termsafe.String(o.item.Variant.Label()))
		}
	}
}

func skipReason(b *purge.Batch, it purge.Item) (string, bool) {
	for _, s := range b.Skipped {
		if s.Item == it {
			return s.Reason, true
		}
	}
	return "", false
}

// authHint says what a 401 or 403 from a provider's API means for the
// token, naming the variable it came from; "" for other statuses and for
// caches purged without a token.
func authHint(b *purge.Batch, status int, entries []config.Purge, getenv func(string) string) string {
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		return ""
	}
	env := tokenEnv(b, entries)
	if env == "" {
		return "" // the http provider without a token: its message names the cache's ACL
	}
	who := b.Label()
	if getenv(env) == "" {
		// Fastly URL purges go without a token unless the service demands one.
		return fmt.Sprintf("hint: %s answered %d: it wants a token, and $%s is not set", who, status, env)
	}
	if status == http.StatusUnauthorized {
		return fmt.Sprintf("hint: %s answered 401: the token in $%s is wrong (mistyped, expired or revoked); put a valid one there", who, env)
	}
	perm := "the permission to purge"
	switch b.Provider {
	case config.PurgeCloudflare:
		perm = "the Cache Purge permission on this zone (Zone > Cache Purge > Purge)"
	case config.PurgeFastly:
		perm = "the purge_select scope (purge_all for --everything) on this service"
	}
	return fmt.Sprintf("hint: %s answered 403: the token in $%s was recognised but lacks %s", who, env, perm)
}

// tokenEnv names the variable a batch's token is read from.
func tokenEnv(b *purge.Batch, entries []config.Purge) string {
	env := ""
	if b.Entry >= 0 && b.Entry < len(entries) {
		env = entries[b.Entry].TokenEnv
	}
	if env != "" {
		return env
	}
	switch b.Provider {
	case config.PurgeCloudflare:
		return purge.DefaultCloudflareTokenEnv
	case config.PurgeFastly:
		return purge.DefaultFastlyTokenEnv
	}
	return ""
}
