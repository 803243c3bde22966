// Package browsertest is the differential suite (tests only): a grid of
// CORS cases served from loopback servers and fetch()ed by headless
// Chromium and Firefox ESR, compared with cachemodel's verdicts. The
// browsers are launched with internal/browser. Require is how every
// browser test (here, in internal/browserconfirm and in cmd/corscope)
// finds its browser, skips naming what it waits for, or fails in CI.
package browsertest
