//go:build race

package main

import "time"

// stdinFirstRequestBound is TestCheckStdinFirstRequestSoonAfterFirstURL's
// bound under the race detector, which makes everything several times
// slower.
const stdinFirstRequestBound = 20 * time.Millisecond
