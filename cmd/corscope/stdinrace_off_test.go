//go:build !race

package main

import "time"

// stdinFirstRequestBound is TestCheckStdinFirstRequestSoonAfterFirstURL's
// bound: the issue's "first request sent within 2 ms of the first URL
// read".
const stdinFirstRequestBound = 2 * time.Millisecond
