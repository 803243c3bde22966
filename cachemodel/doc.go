// Package cachemodel is corscope's pure domain logic: the data a probe
// produces (observations), the parsers for CORS and cache headers, the
// browser's CORS check, cache-status normalisation, diffs between Origin
// variants and the findings drawn from them.
//
// It performs no I/O and imports no network or terminal code, so every rule
// can be tested from hand-built observations and reused by the CLI, the TUI
// and saved reports alike.
//
// Files by concern (each named for what it holds):
//
//   - What a run asks and gets: variant.go (Origin variants), plan.go
//     (observe plans), isolate.go (isolate experiments and their guard),
//     generate.go (attacker-style origins), observation.go (steps, plans,
//     responses), started.go (the step-started signal), har.go (browser
//     captures as observations).
//   - Reading headers: headers.go (the header list), headervalue.go
//     (delta-seconds and ASCII helpers), cors_headers.go (ACAO, ACAC,
//     Max-Age), vary.go, lists.go (field lists), cachecontrol.go, facts.go
//     (each response's CORS and cache headers read once), origin.go, idn.go
//     and ipv4.go (origin and URL serialisation as browsers do it).
//   - The browser's side: cors.go (the Fetch CORS check, block reasons),
//     preflight.go (the preflight check), browsers.go (where browsers
//     deviate), confirm.go (a real browser's answer beside ours).
//   - The cache's side: cachestatus.go (statuses and their normalisation
//     from every CDN's headers), cachestatus_header.go (RFC 9211
//     Cache-Status), provider.go and products.go (which CDN or cache
//     answered, and its edge), cachekey.go (what the cache keys on, inferred),
//     edges.go (several edges of one CDN).
//   - Findings: finding.go (Finding and Severity), findings.go (the rule
//     driver and its evidence helpers), findings_cache.go, findings_headers.go,
//     findings_state.go, findings_trust.go (the rules by concern),
//     findings_fix.go (provider-specific fixes), poisoned.go (the ⚠ decision),
//     state.go (a target's state).
//   - The report: report.go (the report types), analyze.go (observations to
//     a target report), diff.go (headers that differ between variants and
//     the per-fetch counter rule), changes.go (run-to-run changes),
//     merge.go (reports from several vantage points), labels.go (the words
//     and classes every screen uses), curl.go and redact.go (reproducers
//     without secrets).
//   - Purging: purgeplan.go (which copies a purge must reach).
package cachemodel
