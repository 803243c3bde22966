#!/usr/bin/env bash
# bench/isolate_rss.sh: peak RSS and wall time of `corscope check --mode
# isolate` over ISO_URLS URLs (default 100,000) on stdin, against the
# loopback bench origin, for this tree (AFTER) and for the commit BASE
# (BEFORE, default e164271: every plan built before probing), side by side
# in the same run. Issue 16 item 4 / issue 11 item 17: AFTER must peak
# under 300 MiB.
#
# Standalone, or called by bench/run.sh (scenario 8), which passes its
# origin and binary. Environment (defaults in brackets):
#   ISO_URLS [100000]    URLs in the input
#   ISO_ORIGINS [2]      --origin values per URL (0, 1 or 2): 2 gives 33
#                        requests per URL, 0 gives 15
#   ISO_TIMEOUT [1800]   seconds each run may take before it is killed
#   BASE [e164271]       the BEFORE commit; empty skips BEFORE
#   BEFORE_BIN           a prebuilt BEFORE binary (skips building BASE)
#   ORIGIN               host:port of a running bench origin (else one is started)
#   BIN                  the AFTER binary (else built from this tree)
# Output: one line per side, "side urls targets requests wall_s peak_MiB",
# then PASS/FAIL for AFTER < 300 MiB; the exit status is 0 only on PASS.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ISO_URLS=${ISO_URLS:-100000}
ISO_ORIGINS=${ISO_ORIGINS:-2}
ISO_TIMEOUT=${ISO_TIMEOUT:-1800}
BASE=${BASE-e164271}
LIMIT_MIB=300

W=$(mktemp -d /tmp/corscope-isorss.XXXXXX)
OPID=
cleanup() {
	if [ -n "$OPID" ]; then
		kill -TERM "$OPID" 2>/dev/null || true
		wait "$OPID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '# %s\n' "$*" >&2; }
die() { echo "isolate_rss: $*" >&2; exit 2; }

if [ -z "${BIN:-}" ]; then
	log "building corscope (AFTER) from $ROOT"
	(cd "$ROOT" && go build -o "$W/corscope" ./cmd/corscope)
	BIN=$W/corscope
fi
if [ -n "$BASE" ] && [ -z "${BEFORE_BIN:-}" ]; then
	log "building corscope (BEFORE) from $BASE via git archive"
	mkdir -p "$W/base"
	git -C "$ROOT" archive "$BASE" | tar -x -C "$W/base"
	(cd "$W/base" && go build -o "$W/corscope-before" ./cmd/corscope)
	BEFORE_BIN=$W/corscope-before
fi
if [ -z "${ORIGIN:-}" ]; then
	(cd "$ROOT" && go build -o "$W/origin" ./bench/origin)
	"$W/origin" >"$W/origin.addr" 2>"$W/origin.log" &
	OPID=$!
	for _ in $(seq 1 100); do
		[ -s "$W/origin.addr" ] && break
		sleep 0.05
	done
	ORIGIN=$(head -1 "$W/origin.addr")
	[ -n "$ORIGIN" ] || die "the bench origin did not start: $(cat "$W/origin.log")"
fi
case "$ORIGIN" in 127.0.0.1:* | localhost:*) ;; *) die "ORIGIN must be on loopback: $ORIGIN" ;; esac

awk -v o="$ORIGIN" -v n="$ISO_URLS" 'BEGIN {for (i = 0; i < n; i++) printf "http://%s/t/iso%d.js\n", o, i}' >"$W/urls.txt"
ORIGS=()
[ "$ISO_ORIGINS" -ge 1 ] && ORIGS+=(-o https://app.example.com)
[ "$ISO_ORIGINS" -ge 2 ] && ORIGS+=(-o https://admin.example.com)

# measure SIDE BINARY: one complete run; the report goes through tail so
# only its summary line is kept (the JSON of 100,000 targets is GBs).
measure() {
	local side=$1 bin=$2 s e wall rss sum
	s=$(date +%s%N)
	if ! timeout "$ISO_TIMEOUT" /usr/bin/time -f '%M' -o "$W/$side.rss" \
		"$bin" check --mode isolate --fail-on none --format json --concurrency 16 "${ORIGS[@]}" - \
		<"$W/urls.txt" 2>"$W/$side.err" | tail -c 400 >"$W/$side.tail"; then
		die "$side run failed: $(tail -3 "$W/$side.err")"
	fi
	e=$(date +%s%N)
	wall=$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.1f", (e - s) / 1e9}')
	rss=$(awk '{printf "%.1f", $1 / 1024}' <(tail -1 "$W/$side.rss"))
	sum=$(grep -o '"summary":{"targets":[0-9]*,"requests":[0-9]*,"failed":[0-9]*' "$W/$side.tail" || true)
	[ -n "$sum" ] || die "$side: no summary in the report: $(cat "$W/$side.tail")"
	local targets requests failed
	IFS=, read -r targets requests failed <<<"$(echo "$sum" | grep -o '[0-9]*' | paste -sd,)"
	[ "$targets" = "$ISO_URLS" ] || die "$side: $targets targets reported, want $ISO_URLS"
	[ "$failed" = 0 ] || die "$side: $failed requests failed"
	echo "$side $ISO_URLS $targets $requests $wall $rss"
}

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $ISO_URLS URLs, $ISO_ORIGINS origin(s), origin http://$ORIGIN"
fmt() { awk '{printf "%-7s %8s %8s %9s %8s %9s\n", $1, $2, $3, $4, $5, $6}' "$1"; }
printf '%-7s %8s %8s %9s %8s %9s\n' side urls targets requests wall_s peak_MiB
if [ -n "$BASE" ]; then
	measure before "$BEFORE_BIN" >"$W/before.line"
	fmt "$W/before.line"
fi
measure after "$BIN" >"$W/after.line"
fmt "$W/after.line"
AFTER_RSS=$(awk '{print $6}' "$W/after.line")
[ -n "$AFTER_RSS" ] || die "no AFTER figure"
if awk -v r="$AFTER_RSS" -v l="$LIMIT_MIB" 'BEGIN {exit !(r < l)}'; then
	echo "PASS: after peaks at $AFTER_RSS MiB (< $LIMIT_MIB MiB)"
else
	echo "FAIL: after peaks at $AFTER_RSS MiB (want < $LIMIT_MIB MiB)"
	exit 1
fi
