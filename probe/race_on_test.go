//go:build race

package probe

// raceEnabled: the race detector's shadow memory triples the footprint of
// big buffers, so memory bounds are only asserted without it.
const raceEnabled = true
