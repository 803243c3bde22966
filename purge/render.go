package purge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/termsafe"
)

// DescribePlan summarises a job for a confirmation prompt or screen: what
// goes, through which provider, in how many requests, and what cannot be
// targeted. It never contains a credential. Lines end in "\n".
func DescribePlan(job *Job) string {
	var b strings.Builder
	p := job.Plan
	n := job.RequestCount()
	switch p.Scope {
	case cachemodel.PurgeURLs:
		skipped := 0
		for _, bt := range job.Batches {
			skipped += len(bt.Skipped)
		}
		copies := p.VariantCount() - skipped
		how := "each Origin variant separately"
		if allCloudFront(job) {
			how = "one invalidation path per URL removes every Origin variant"
		}
		fmt.Fprintf(&b, "Purge %d cached %s of %d %s (%s) with %d %s",
			copies, plural(copies, "copy", "copies"), len(p.Targets), plural(len(p.Targets), "URL", "URLs"), how, n, plural(n, "request", "requests"))
		if skipped > 0 {
			fmt.Fprintf(&b, "; %d more cannot be targeted by this provider (listed apart below)", skipped)
		}
		b.WriteString(":\n")
	case cachemodel.PurgeEverything:
		fmt.Fprintf(&b, "PURGE EVERYTHING: every cached object of %s, with %d %s:\n", batchLabels(job), n, plural(n, "request", "requests"))
	default:
		fmt.Fprintf(&b, "Purge by %s (%s) with %d %s:\n", strings.TrimSuffix(strings.TrimSuffix(string(p.Scope), "es"), "s"),
			safe(strings.Join(p.Values, ", ")), n, plural(n, "request", "requests"))
	}
	for _, bt := range job.Batches {
		fmt.Fprintf(&b, "  %s: %d %s\n", safe(bt.Label()), len(bt.Requests), plural(len(bt.Requests), "request", "requests"))
		if p.Scope == cachemodel.PurgeURLs {
			// The copies this batch purges; the ones the provider cannot
			// target are listed apart, never among them.
			skip := map[string]bool{}
			for _, s := range bt.Skipped {
				skip[s.URL+"\x00"+s.Variant.Label()] = true
			}
			for _, t := range bt.Targets {
				var labels []string
				for _, v := range t.Variants {
					if !skip[t.URL+"\x00"+v.Label()] {
						labels = append(labels, v.Label())
					}
				}
				if len(labels) > 0 {
					fmt.Fprintf(&b, "    %s  %s\n", safe(t.URL), safe(strings.Join(labels, ", ")))
				}
			}
		} else if len(bt.Values) > 0 && len(job.Batches) > 1 {
			fmt.Fprintf(&b, "    %s\n", safe(strings.Join(bt.Values, ", ")))
		}
		if len(bt.Skipped) > 0 {
			b.WriteString("    not purged (this provider cannot target them):\n")
		}
		for _, s := range bt.Skipped {
			fmt.Fprintf(&b, "      %s %s: %s\n", safe(s.URL), safe(s.Variant.Label()), s.Reason)
		}
		for _, note := range bt.Notes {
			fmt.Fprintf(&b, "    note: %s\n", note)
		}
		if p.Scope != cachemodel.PurgeURLs && len(bt.Targets) > 0 {
			fmt.Fprintf(&b, "    re-probed afterwards: %d %s\n", len(bt.Targets), plural(len(bt.Targets), "URL", "URLs"))
		}
	}
	return b.String()
}

// WriteDryRun prints every request the job would send: method, URL,
// headers (the credential as [REDACTED: $VAR]) and body.
func WriteDryRun(w io.Writer, job *Job) error {
	var b strings.Builder
	b.WriteString("# dry run: nothing is sent\n")
	b.WriteString(prefixLines(DescribePlan(job), "# "))
	total, i := job.RequestCount(), 0
	for _, bt := range job.Batches {
		for _, r := range bt.Requests {
			i++
			fmt.Fprintf(&b, "\n# request %d of %d (%s)%s\n", i, total, safe(bt.Label()), covers(r))
			fmt.Fprintf(&b, "%s %s\n", safe(r.Method), safe(r.URL))
			for _, h := range r.DisplayHeaders() {
				fmt.Fprintf(&b, "%s: %s\n", safe(h.Name), safe(h.Value))
			}
			if r.Body != nil {
				b.WriteString("\n")
				b.WriteString(prettyBody(r.Body))
				b.WriteString("\n")
			}
			if r.cf != nil {
				fmt.Fprintf(&b, "# then: GET %s/<invalidation Id> (signed the same way) until CloudFront reports Completed\n", safe(r.URL))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func allCloudFront(job *Job) bool {
	for _, b := range job.Batches {
		if b.cf == nil {
			return false
		}
	}
	return len(job.Batches) > 0
}

func covers(r *Request) string {
	switch {
	case len(r.Covers) == 1:
		return ": " + safe(r.Covers[0].Variant.Label())
	case len(r.Covers) > 1:
		return fmt.Sprintf(": %d copies", len(r.Covers))
	}
	return ""
}

func prettyBody(body []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, body, "", "  ") == nil {
		return out.String() // JSON escapes every control character
	}
	return termsafe.String(string(body))
}

func batchLabels(job *Job) string {
	labels := make([]string, len(job.Batches))
	for i, b := range job.Batches {
		labels[i] = safe(b.Label())
	}
	return strings.Join(labels, " and ")
}

func prefixLines(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// safe makes text terminal-safe; user input (URLs, values) passed
// validation, but costs nothing to escape.
func safe(s string) string { return termsafe.String(s) }
