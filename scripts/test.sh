#!/usr/bin/env bash
# The project's test command (README): vet, the race-enabled test suite, and
# a short run of every fuzz target so the fuzzers keep compiling and their
# seed corpora keep passing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 10m ./...

# Budgets the race detector distorts (allocation counts, peak RSS): the
# race suite skips or loosens them, so they run here in a normal build.
echo "== budgets without -race"
go test -count=1 -run 'Alloc|BytesPerRequest|HeaderBytesBounded' ./probe/ ./cachemodel/ ./internal/report/ ./internal/termsafe/

# Count-based budgets: a duration (-fuzztime 3s) races Go 1.26's fuzz
# coordinator at the deadline and fails with a bare "context deadline
# exceeded" and no input (golang/go#75804, fixed in Go 1.27).
echo "== fuzz smoke (${FUZZTIME:=10000x} each)"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for fz in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "-- $pkg $fz"
    go test -run '^$' -fuzz "^${fz}\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/corscope-fuzz.log 2>&1 || { cat /tmp/corscope-fuzz.log; exit 1; }
  done
done
echo "== all tests passed"
