package browsertest

import (
	"fmt"
	"os"
	"testing"

	"github.com/corscope/corscope/internal/browser"
)

// Require returns the path of browser k for a test that needs it. When
// k is not installed the test is skipped with what it waits for, or fails
// under CORSCOPE_REQUIRE_BROWSERS=1 (set by .ci/run), so CI cannot pass
// without running the real browsers. Every browser test goes through it.
func Require(tb testing.TB, k browser.Kind) string {
	tb.Helper()
	bin, err := browser.Find(k)
	if err == nil {
		return bin
	}
	msg, fail := Missing(err, os.Getenv)
	if fail {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// Missing words a missing browser for a skip and says whether the
// environment (CORSCOPE_REQUIRE_BROWSERS=1) makes it a failure instead.
func Missing(err error, getenv func(string) string) (msg string, fail bool) {
	msg = fmt.Sprintf("waits for %v: apt-get install --no-install-recommends chromium firefox-esr (.ci/run installs them and sets CORSCOPE_REQUIRE_BROWSERS=1, which makes this a failure)", err)
	return msg, getenv("CORSCOPE_REQUIRE_BROWSERS") == "1"
}
