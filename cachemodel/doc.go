// Package cachemodel is corscope's pure domain logic: the data a probe
// produces (observations), the parsers for CORS and cache headers, the
// browser's CORS check, cache-status normalisation, diffs between Origin
// variants and the findings drawn from them.
//
// It performs no I/O and imports no network or terminal code, so every rule
// can be tested from hand-built observations and reused by the CLI, the TUI
// and saved reports alike.
package cachemodel
