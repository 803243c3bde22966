//go:build !race

package runner_test

import "time"

// firstRequestBound is TestFirstRequestSoonAfterFirstURL's bound (#16 item
// 2: the first request within 2 ms of the first URL read).
const firstRequestBound = 2 * time.Millisecond
