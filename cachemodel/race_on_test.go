//go:build race

package cachemodel

// raceEnabled: the race detector's instrumentation moves some values the
// analysis keeps on the stack to the heap, so allocation budgets allow for
// it.
const raceEnabled = true
