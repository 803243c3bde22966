//go:build race

package runner_test

import "time"

// firstRequestBound is TestFirstRequestSoonAfterFirstURL's bound under the
// race detector, which makes everything several times slower.
const firstRequestBound = 20 * time.Millisecond
