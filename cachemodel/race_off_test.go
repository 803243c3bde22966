//go:build !race

package cachemodel

const raceEnabled = false
