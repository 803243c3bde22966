#!/usr/bin/env bash
# bench/run.sh: corscope's benchmark suite (issue 7). Runs every scenario on
# 127.0.0.1 side by side with the tools people would use instead, prints a
# table of medians and ratios and PASS/FAIL per target. See bench/README.md.
#
# Environment knobs (defaults in brackets):
#   RUNS [5]          timed runs per corscope scenario (medians are printed)
#   WRK_RUNS [3]      wrk runs of WRK_SECONDS [5] each
#   CURL_RUNS [1]     runs of the xargs curl baseline (10,000 processes each)
#   LATENCY_RUNS [20] alternating runs per side in scenarios 2 and 3
#   MICRO [1]         0 skips the Go micro-benchmarks
#   VARNISH [1]       0 skips the Varnish scenario
#   RT [1]            0 skips scenario 9 (isolate round trips against a 50 ms
#                     origin, this tree and RT_BASE [974689e], RT_RUNS [5])
#   ISOLATE [1]       0 skips scenario 8 (100,000 URLs in isolate mode, twice:
#                     about 10 minutes on 2 cores); ISO_URLS, BASE: see
#                     bench/isolate_rss.sh
#   S1_BASE []        a git revision: scenario 1 also runs that revision's
#                     corscope, taking turns with this tree and wrk, and
#                     prints its req/s and CPU µs/request beside them
#   KEEP [0]          1 keeps the work directory (outputs, JSON, logs)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
WRK_RUNS=${WRK_RUNS:-3}
WRK_SECONDS=${WRK_SECONDS:-5}
CURL_RUNS=${CURL_RUNS:-1}
LATENCY_RUNS=${LATENCY_RUNS:-20}
MICRO=${MICRO:-1}
VARNISH=${VARNISH:-1}
ISOLATE=${ISOLATE:-1}
RT=${RT:-1}
RT_RUNS=${RT_RUNS:-5}
RT_BASE=${RT_BASE:-974689e}
KEEP=${KEEP:-0}
S1_BASE=${S1_BASE:-}

URLS=2000           # scenario 1: 2,000 URLs × 5 variants = 10,000 requests
SCALE_URLS=10000    # scenario 4: 10,000 URLs × 5 variants
CONC=64
ORIGIN_A=https://app.example.com
ORIGIN_B=https://admin.example.com

WORK=$(mktemp -d /tmp/corscope-bench.XXXXXX)
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		# Bounded wait, then force.
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ "$KEEP" = 1 ]; then
		echo "work directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '\033[2m# %s\033[0m\n' "$*" >&2; }
die() { echo "bench: $*" >&2; exit 2; }
now_ns() { date +%s%N; }
# median of the numbers on stdin, one per line
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) {print "nan"; exit} if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# calc EXPR [DECIMALS]
calc() { awk "BEGIN {printf \"%.${2:-2}f\", $1}"; }
# le A B: exit 0 when A <= B
le() { awk "BEGIN {exit !(($1) <= ($2))}"; }

# ---------------------------------------------------------------- tools
install_missing() {
	local want=() pkg bin
	for pair in wrk:wrk curl:curl hyperfine:hyperfine /usr/bin/time:time; do
		bin=${pair%%:*} pkg=${pair##*:}
		command -v "$bin" >/dev/null 2>&1 || want+=("$pkg")
	done
	if [ "$VARNISH" = 1 ] && ! command -v varnishd >/dev/null 2>&1 && [ ! -x /usr/sbin/varnishd ]; then
		if [ "$(id -u)" = 0 ]; then
			want+=(varnish)
		else
			log "varnishd missing and not root: skipping the Varnish scenario"
			VARNISH=0
		fi
	fi
	[ ${#want[@]} -eq 0 ] && return
	if [ "$(id -u)" != 0 ]; then
		die "missing ${want[*]}: run as root, or apt-get install ${want[*]}"
	fi
	log "installing ${want[*]} from Debian"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
}

# ---------------------------------------------------------------- results
ROWS=()    # scenario|measure|corscope|baseline|ratio|target|result
FAILS=0
row() { ROWS+=("$1|$2|$3|$4|$5|$6|$7"); }
# target_row SCENARIO MEASURE CORSCOPE BASELINE RATIO TARGET A B: PASS when
# A <= B (awk arithmetic).
target_row() {
	local res=PASS
	if ! le "$7" "$8"; then res=FAIL FAILS=$((FAILS + 1)); fi
	row "$1" "$2" "$3" "$4" "$5" "$6" "$res"
}

print_table() {
	printf '\n%-22s %-26s %14s %16s %9s %-22s %s\n' SCENARIO MEASURE CORSCOPE BASELINE RATIO TARGET RESULT
	printf '%.0s-' $(seq 1 122)
	printf '\n'
	local r
	for r in "${ROWS[@]}"; do
		IFS='|' read -r s m c b x t v <<<"$r"
		printf '%-22s %-26s %14s %16s %9s %-22s %s\n' "$s" "$m" "$c" "$b" "$x" "$t" "$v"
	done
}

# run_timed OUT CMD...: runs CMD under /usr/bin/time (bounded by timeout),
# appends "wall_seconds peak_rss_kib user_s sys_s" to OUT. Redirections of
# the call apply to CMD.
run_timed() {
	local out=$1 s e
	shift
	s=$(now_ns)
	if ! timeout 300 /usr/bin/time -f '%M %U %S' -o "$WORK/rss.tmp" "$@"; then
		echo "bench: command failed: $*" >&2
		return 1
	fi
	e=$(now_ns)
	echo "$(calc "($e - $s) / 1e9" 4) $(tail -1 "$WORK/rss.tmp")" >>"$out"
}

# timeit CMD...: prints CMD's wall time in seconds (output discarded),
# measured in-shell ($EPOCHREALTIME, no fork) so both sides of a
# comparison pay the same overhead.
timeit() {
	local s e
	s=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; return 1; }
	e=$EPOCHREALTIME
	calc "$e - $s" 6
	echo
}

# cpu_us TIMES REQUESTS: median CPU microseconds (user + system) per
# request of the run_timed lines in TIMES
cpu_us() { awk -v n="$2" '{print ($3 + $4) * 1e6 / n}' "$1" | median; }

# run_wrk HOSTPORT CPUFILE: one wrk run over the scenario-1 requests;
# prints req/s and appends wrk's CPU microseconds per request (user +
# system from /usr/bin/time, over the requests wrk reports) to CPUFILE
run_wrk() {
	BENCH_URLS=$URLS BENCH_HOST=$1 timeout 60 /usr/bin/time -f '%U %S' -o "$WORK/wrk.time" \
		wrk -t2 -c"$CONC" -d"${WRK_SECONDS}s" -s "$ROOT/bench/variants.lua" "http://$1/" >"$WORK/wrk.out"
	local n
	n=$(awk '/ requests in / {print $1}' "$WORK/wrk.out")
	awk -v n="$n" '{printf "%.2f\n", ($1 + $2) * 1e6 / n}' "$WORK/wrk.time" >>"$2"
	awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out"
}

# hyperfine_medians JSON: the median seconds of each command, one per line
hyperfine_medians() { grep -o '"median": *[0-9.e+-]*' "$1" | sed 's/.*: *//'; }

# origin_stat NAME: a counter of the bench origin
origin_stat() { curl -s --max-time 5 "http://$ORIGIN/stats" | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }

# ---------------------------------------------------------------- setup
install_missing
cd "$ROOT"
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
log "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

log "building corscope and the bench origin"
go build -o "$WORK/corscope" ./cmd/corscope
go build -o "$WORK/origin" ./bench/origin
BIN=$WORK/corscope

MODE=()
# (Not "| grep -q": with pipefail, grep quitting early fails the pipeline.)
if [[ "$("$BIN" check --help 2>&1)" == *--mode* ]]; then
	MODE=(--mode observe)
fi
CHECK=("$BIN" check "${MODE[@]}" --rounds 1 --fail-on none --format json -o "$ORIGIN_A" -o "$ORIGIN_B")
# --concurrency $CONC against the one bench host: as many requests in
# flight as wrk has connections (the per-host bound defaults to 8).
CONCS=(--concurrency "$CONC")
if [[ "$("$BIN" check --help 2>&1)" == *--host-concurrency* ]]; then
	CONCS+=(--host-concurrency "$CONC")
fi

"$WORK/origin" >"$WORK/origin.addr" 2>"$WORK/origin.log" &
PIDS+=($!)
for _ in $(seq 1 100); do
	[ -s "$WORK/origin.addr" ] && break
	sleep 0.05
done
ORIGIN=$(head -1 "$WORK/origin.addr")
[ -n "$ORIGIN" ] || die "the bench origin did not start: $(cat "$WORK/origin.log")"
log "origin on http://$ORIGIN"

for i in $(seq 0 $((URLS - 1))); do echo "http://$ORIGIN/t/$i.js"; done >"$WORK/urls.txt"
for i in $(seq 0 $((SCALE_URLS - 1))); do echo "http://$ORIGIN/t/$i.js"; done >"$WORK/urls-scale.txt"
REQS=$((URLS * 5))

# ---------------------------------------------------------------- 1 throughput
log "scenario 1: throughput, $URLS URLs × 5 variants at concurrency $CONC"
# One checked run first (also a warm-up): every request must have succeeded.
"${CHECK[@]}" "${CONCS[@]}" - <"$WORK/urls.txt" >"$WORK/s1.json"
tail -1 "$WORK/s1.json" | grep -q "\"requests\":$REQS,\"failed\":0" ||
	die "scenario 1 check run: $(tail -1 "$WORK/s1.json")"
BASE_CHECK=()
if [ -n "$S1_BASE" ]; then
	log "  building $S1_BASE for the same-run baseline"
	mkdir -p "$WORK/s1base"
	git -C "$ROOT" archive "$S1_BASE" | tar -x -C "$WORK/s1base"
	(cd "$WORK/s1base" && go build -o "$WORK/corscope-base" ./cmd/corscope)
	BASE_CHECK=("$WORK/corscope-base" "${CHECK[@]:1}")
	"${BASE_CHECK[@]}" "${CONCS[@]}" - <"$WORK/urls.txt" >/dev/null # warm-up
fi
# corscope and wrk take turns, so a burst of load from elsewhere on a
# shared machine hits both rather than one of them.
for i in $(seq 1 "$(( RUNS > WRK_RUNS ? RUNS : WRK_RUNS ))"); do
	if [ "$i" -le "$RUNS" ]; then
		run_timed "$WORK/s1.times" "${CHECK[@]}" "${CONCS[@]}" - <"$WORK/urls.txt" >/dev/null
		if [ -n "$S1_BASE" ]; then
			run_timed "$WORK/s1base.times" "${BASE_CHECK[@]}" "${CONCS[@]}" - <"$WORK/urls.txt" >/dev/null
		fi
	fi
	if [ "$i" -le "$WRK_RUNS" ]; then
		run_wrk "$ORIGIN" "$WORK/wrk.cpu" >>"$WORK/wrk.rps"
	fi
done
S1_WALL=$(cut -d' ' -f1 "$WORK/s1.times" | median)
S1_RPS=$(calc "$REQS / $S1_WALL" 0)
WRK_RPS=$(median <"$WORK/wrk.rps")
log "  corscope req/s per run: $(awk -v n="$REQS" '{printf "%.0f ", n / $1}' "$WORK/s1.times")"
log "  wrk req/s per run:      $(tr '\n' ' ' <"$WORK/wrk.rps")"
S1_CPU=$(calc "$(cpu_us "$WORK/s1.times" "$REQS")" 2)
WRK_CPU=$(calc "$(median <"$WORK/wrk.cpu")" 2)
log "  corscope CPU µs/request per run: $(awk -v n="$REQS" '{printf "%.1f ", ($3 + $4) * 1e6 / n}' "$WORK/s1.times")"
log "  wrk CPU µs/request per run:      $(tr '\n' ' ' <"$WORK/wrk.cpu")"
if [ -n "$S1_BASE" ]; then
	log "  $S1_BASE req/s per run:  $(awk -v n="$REQS" '{printf "%.0f ", n / $1}' "$WORK/s1base.times")"
	log "  $S1_BASE CPU µs/request per run: $(awk -v n="$REQS" '{printf "%.1f ", ($3 + $4) * 1e6 / n}' "$WORK/s1base.times")"
	S1B_WALL=$(cut -d' ' -f1 "$WORK/s1base.times" | median)
	S1B_RPS=$(calc "$REQS / $S1B_WALL" 0)
	S1B_CPU=$(calc "$(cpu_us "$WORK/s1base.times" "$REQS")" 2)
	row "1 throughput" "req/s vs $S1_BASE" "$S1_RPS" "$S1B_RPS" "$(calc "$S1_RPS / $S1B_RPS")" "(same-run baseline)" "-"
	row "1 throughput" "CPU µs/request vs $S1_BASE" "$S1_CPU" "$S1B_CPU" "$(calc "$S1_CPU / $S1B_CPU")" "(same-run baseline)" "-"
fi

# The by-hand baseline: one curl process per request, 16 at a time.
while read -r u; do
	printf '%s\n' "-sI $u" "-sI -H 'Origin: $ORIGIN_A' $u" "-sI -H 'Origin: $ORIGIN_B' $u" \
		"-sI -H 'Origin: http://$ORIGIN' $u" "-sI -H 'Origin: null' $u"
done <"$WORK/urls.txt" >"$WORK/curl.args"
for _ in $(seq 1 "$CURL_RUNS"); do
	s=$EPOCHREALTIME
	timeout 300 xargs -P 16 -L 1 curl --max-time 10 <"$WORK/curl.args" >"$WORK/curl.out"
	e=$EPOCHREALTIME
	n=$(grep -c '^HTTP/1.1 200' "$WORK/curl.out" || true)
	[ "$n" = "$REQS" ] || die "curl baseline got $n of $REQS responses"
	calc "$REQS / ($e - $s)" 0 >>"$WORK/curl.rps"
	echo >>"$WORK/curl.rps"
done
CURL_RPS=$(median <"$WORK/curl.rps")
log "  xargs curl req/s per run: $(tr '\n' ' ' <"$WORK/curl.rps")"

target_row "1 throughput" "req/s vs wrk -c64" "$S1_RPS" "$WRK_RPS" "$(calc "$S1_RPS / $WRK_RPS")" ">= 0.70" \
	0.70 "$S1_RPS / $WRK_RPS"
target_row "1 throughput" "req/s vs wrk (issue 16)" "$S1_RPS" "$WRK_RPS" "$(calc "$S1_RPS / $WRK_RPS")" ">= 0.50" \
	0.50 "$S1_RPS / $WRK_RPS"
target_row "1 throughput" "CPU µs/request vs wrk" "$S1_CPU" "$WRK_CPU" "$(calc "$S1_CPU / $WRK_CPU")" "<= 12 µs" \
	"$S1_CPU" 12
target_row "1 throughput" "req/s vs xargs -P16 curl" "$S1_RPS" "$CURL_RPS" "$(calc "$S1_RPS / $CURL_RPS" 1)" ">= 20" \
	20 "$S1_RPS / $CURL_RPS"

# ---------------------------------------------------------------- 2 latency
log "scenario 2: one URL × 5 variants, whole process, vs 5 sequential curl"
U="http://$ORIGIN/t/0.js"
curl5() { # what one would type by hand (each curl bounded like corscope's --timeout)
	curl -sI -m 10 "$U" && curl -sI -m 10 -H "Origin: $ORIGIN_A" "$U" && curl -sI -m 10 -H "Origin: $ORIGIN_B" "$U" &&
		curl -sI -m 10 -H "Origin: http://$ORIGIN" "$U" && curl -sI -m 10 -H "Origin: null" "$U"
}
for _ in 1 2 3; do # warm-up
	"${CHECK[@]}" "$U" >/dev/null
	curl5 >/dev/null
done
for _ in $(seq 1 "$LATENCY_RUNS"); do
	timeit "${CHECK[@]}" "$U" >>"$WORK/s2.corscope"
	timeit curl5 >>"$WORK/s2.curl"
done
S2_C=$(calc "$(median <"$WORK/s2.corscope") * 1000" 1)
S2_B=$(calc "$(median <"$WORK/s2.curl") * 1000" 1)
target_row "2 single URL" "wall ms vs 5× curl" "$S2_C" "$S2_B" "$(calc "$S2_C / $S2_B")" "< 1.00" "$S2_C" "$S2_B * 0.9999"

# ---------------------------------------------------------------- 3 large body
log "scenario 3: a 1 GiB body × 5 variants vs a tiny one"
BIG="http://$ORIGIN/big.bin"
"${CHECK[@]}" "$BIG" >"$WORK/s3.json"
grep -q '"body_truncated": true' "$WORK/s3.json" || die "scenario 3: the 1 GiB body was not cut short"
big0=$(origin_stat big_requests) bytes0=$(origin_stat big_bytes) wire0=$(origin_stat big_wire_bytes)
for _ in $(seq 1 "$LATENCY_RUNS"); do
	timeit "${CHECK[@]}" "$BIG" >>"$WORK/s3.big"
	timeit "${CHECK[@]}" "$U" >>"$WORK/s3.tiny"
done
for _ in $(seq 1 "$RUNS"); do
	run_timed "$WORK/s3.times" "${CHECK[@]}" "$BIG" >/dev/null
done
sleep 0.3 # let the origin see the last hang-ups
big1=$(origin_stat big_requests) bytes1=$(origin_stat big_bytes) wire1=$(origin_stat big_wire_bytes)
S3_BIG=$(calc "$(median <"$WORK/s3.big") * 1000" 1)
S3_TINY=$(calc "$(median <"$WORK/s3.tiny") * 1000" 1)
S3_RSS=$(calc "$(cut -d' ' -f2 "$WORK/s3.times" | median) / 1024" 1)
nbig=$((big1 - big0))
S3_WIRE=$(calc "($wire1 - $wire0) / $nbig / 1024" 0)
S3_WROTE=$(calc "($bytes1 - $bytes0) / $nbig / 1024" 0)
target_row "3 large body" "wall ms, 1 GiB vs tiny" "$S3_BIG" "$S3_TINY" "$(calc "$S3_BIG / $S3_TINY")" "< 2.00" \
	"$S3_BIG / $S3_TINY" 1.9999
target_row "3 large body" "peak RSS MiB" "$S3_RSS" "-" "-" "< 64" "$S3_RSS" 63.999
target_row "3 large body" "KiB on the wire / req" "$S3_WIRE" "-" "-" "<= 256" "$S3_WIRE" 256
row "3 large body (info)" "KiB origin wrote / req" "$S3_WROTE" "-" "-" "incl. own send buffer" "-"

# ---------------------------------------------------------------- 4 memory
log "scenario 4: $SCALE_URLS URLs × 5 variants, --format json to /dev/null"
for _ in $(seq 1 3); do
	run_timed "$WORK/s4.times" "${CHECK[@]}" "${CONCS[@]}" - <"$WORK/urls-scale.txt" >/dev/null
done
S4_RSS=$(calc "$(cut -d' ' -f2 "$WORK/s4.times" | median) / 1024" 1)
S4_RPS=$(calc "$SCALE_URLS * 5 / $(cut -d' ' -f1 "$WORK/s4.times" | median)" 0)
target_row "4 memory at scale" "peak RSS MiB, 50k req" "$S4_RSS" "-" "-" "< 300" "$S4_RSS" 299.999
row "4 memory at scale" "req/s (info)" "$S4_RPS" "-" "-" "-" "-"
row "4 memory at scale" "CPU µs/request (info)" "$(calc "$(cpu_us "$WORK/s4.times" $((SCALE_URLS * 5)))" 2)" "-" "-" "-" "-"

# ---------------------------------------------------------------- 5 TUI
log "scenario 5: TUI View() with 10,000 targets"
if grep -qs 'func BenchmarkView' tui/*_test.go; then
	if timeout 300 go test -run '^$' -bench 'View|UpdateKey' -count 5 ./tui/ >"$WORK/s5.txt" 2>&1; then
		# "name ms" per run, then the median per (sub-)benchmark.
		awk '/^Benchmark/ {n = $1; sub(/-[0-9]+$/, "", n); for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") print n, $i / 1e6}' \
			"$WORK/s5.txt" | sort -k1,1 -k2,2g |
			awk '{v[$1] = v[$1] " " $2; c[$1]++} END {for (k in v) {split(substr(v[k], 2), a, " "); n = c[k];
				m = (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2; print k, m}}' | sort >"$WORK/s5.medians"
		# The target holds for every View sub-benchmark: report the slowest.
		S5=$(awk '$1 ~ /^BenchmarkView/ {if ($2 > m) m = $2} END {print m + 0}' "$WORK/s5.medians")
		target_row "5 TUI" "View() median ms (worst)" "$(calc "$S5" 3)" "-" "-" "< 5" "$S5" 4.9999
		while read -r name ms; do
			row "5 TUI (info)" "${name#Benchmark}" "$(calc "$ms" 3)" "-" "-" "ms median" "-"
		done <"$WORK/s5.medians"
	else
		FAILS=$((FAILS + 1))
		row "5 TUI" "View() median ms" "did not build" "-" "-" "< 5" FAIL
		tail -5 "$WORK/s5.txt" >&2
	fi
else
	row "5 TUI" "View() median ms" "not available yet" "-" "-" "< 5" "-"
fi

# ---------------------------------------------------------------- 6 startup
log "scenario 6: corscope version"
hyperfine -N --style none --warmup 5 --runs 50 --export-json "$WORK/s6.json" "$BIN version" >/dev/null 2>&1
S6=$(calc "$(hyperfine_medians "$WORK/s6.json" | head -1) * 1000" 1)
target_row "6 startup" "corscope version, ms" "$S6" "-" "-" "< 30" "$S6" 29.999

# ---------------------------------------------------------------- 7 varnish
if [ "$VARNISH" = 1 ]; then
	log "scenario 7 (info): throughput through Varnish (cache HITs)"
	VPORT=
	for p in $(seq 6181 6280); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then VPORT=$p; break; fi
	done
	[ -n "$VPORT" ] || die "no free port for Varnish in 6181-6280"
	cat >"$WORK/bench.vcl" <<EOF
vcl 4.1;
backend default { .host = "${ORIGIN%:*}"; .port = "${ORIGIN##*:}"; }
EOF
	VARNISHD=$(command -v varnishd || echo /usr/sbin/varnishd)
	"$VARNISHD" -F -j none -n "$WORK/varnish" -a "127.0.0.1:$VPORT" -T none -f "$WORK/bench.vcl" \
		-s malloc,256m -p default_ttl=600 >"$WORK/varnish.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$VPORT") 2>/dev/null && break
		sleep 0.1
	done
	(exec 3<>"/dev/tcp/127.0.0.1/$VPORT") 2>/dev/null || die "Varnish did not start: $(tail -5 "$WORK/varnish.log")"
	sed "s#http://$ORIGIN/#http://127.0.0.1:$VPORT/#" "$WORK/urls.txt" >"$WORK/urls-varnish.txt"
	"${CHECK[@]}" "${CONCS[@]}" - <"$WORK/urls-varnish.txt" >"$WORK/s7.json" # fills the cache
	for i in 1 2 3; do
		run_timed "$WORK/s7.times" "${CHECK[@]}" "${CONCS[@]}" - <"$WORK/urls-varnish.txt" >/dev/null
		if [ "$i" -le "$WRK_RUNS" ]; then run_wrk "127.0.0.1:$VPORT" "$WORK/wrk7.cpu" >>"$WORK/wrk7.rps"; fi
	done
	S7_RPS=$(calc "$REQS / $(cut -d' ' -f1 "$WORK/s7.times" | median)" 0)
	W7=$(median <"$WORK/wrk7.rps")
	row "7 via Varnish (info)" "req/s vs wrk -c64" "$S7_RPS" "$W7" "$(calc "$S7_RPS / $W7")" "-" "-"
	S7_CPU=$(calc "$(cpu_us "$WORK/s7.times" "$REQS")" 2)
	W7_CPU=$(calc "$(median <"$WORK/wrk7.cpu")" 2)
	row "7 via Varnish (info)" "CPU µs/request vs wrk" "$S7_CPU" "$W7_CPU" "$(calc "$S7_CPU / $W7_CPU")" "-" "-"
fi

# ---------------------------------------------------------------- 8 isolate memory
if [ "$ISOLATE" = 1 ]; then
	log "scenario 8: ${ISO_URLS:-100000} URLs in isolate mode, peak RSS, before (${BASE-e164271}) and after"
	if ORIGIN=$ORIGIN BIN=$BIN timeout 3600 "$ROOT/bench/isolate_rss.sh" >"$WORK/s8.txt" 2>"$WORK/s8.log"; then :; fi
	cat "$WORK/s8.txt" >&2
	S8_AFTER=$(awk '$1 == "after" {print $6}' "$WORK/s8.txt")
	S8_BEFORE=$(awk '$1 == "before" {print $6}' "$WORK/s8.txt")
	S8_WALL=$(awk '$1 == "after" {print $5}' "$WORK/s8.txt")
	S8_BWALL=$(awk '$1 == "before" {print $5}' "$WORK/s8.txt")
	if [ -n "$S8_AFTER" ]; then
		target_row "8 isolate memory" "peak RSS MiB, ${ISO_URLS:-100000} URLs" "$S8_AFTER" "${S8_BEFORE:--}" \
			"$( [ -n "$S8_BEFORE" ] && calc "$S8_AFTER / $S8_BEFORE" || echo -)" "< 300" "$S8_AFTER" 299.999
		row "8 isolate memory (info)" "wall s, ${ISO_URLS:-100000} URLs" "$S8_WALL" "${S8_BWALL:--}" "-" "-" "-"
	else
		FAILS=$((FAILS + 1))
		row "8 isolate memory" "peak RSS MiB, ${ISO_URLS:-100000} URLs" "failed" "-" "-" "< 300" FAIL
		tail -5 "$WORK/s8.log" >&2
	fi
fi

# ---------------------------------------------------------------- 9 isolate round trips
if [ "$RT" = 1 ]; then
	log "scenario 9: isolate round trips, one URL × 2 origins, origin 50 ms away; $RT_BASE and this tree"
	mkdir -p "$WORK/rtbase"
	git -C "$ROOT" archive "$RT_BASE" | tar -x -C "$WORK/rtbase"
	(cd "$WORK/rtbase" && go build -o "$WORK/corscope-rtbase" ./cmd/corscope)
	ISO=(check --mode isolate --fail-on none --format json -o "$ORIGIN_A" -o "$ORIGIN_B")
	# rt_run NAME BIN ARGS...: one run on a fresh URL; appends round trips
	# (whole-process wall time / 50 ms) to $WORK/rt.NAME; checks that
	# every request was answered
	rt_run() {
		local name=$1 bin=$2 s e
		shift 2
		s=$EPOCHREALTIME
		timeout 60 "$bin" "${ISO[@]}" "$@" "http://$ORIGIN/slow/rt$RANDOM$RANDOM.js" >"$WORK/rt.json" 2>"$WORK/rt.err" ||
			die "scenario 9 $name: $(tail -2 "$WORK/rt.err")"
		e=$EPOCHREALTIME
		grep -q '"failed":0' "$WORK/rt.json" || die "scenario 9 $name: failed requests: $(tail -c 300 "$WORK/rt.json")"
		grep -o '"requests":[0-9]*' "$WORK/rt.json" | tail -1 | cut -d: -f2 >"$WORK/rt.$name.n"
		calc "($e - $s) / 0.05" 2 >>"$WORK/rt.$name"
		echo >>"$WORK/rt.$name"
	}
	for _ in $(seq 1 "$RT_RUNS"); do # the sides take turns
		rt_run base "$WORK/corscope-rtbase"
		rt_run new "$BIN"
		rt_run new16 "$BIN" --host-concurrency 16
		rt_run basepf "$WORK/corscope-rtbase" --preflight
		rt_run newpf "$BIN" --preflight
		rt_run newpf16 "$BIN" --preflight --host-concurrency 16
	done
	for n in base new new16 basepf newpf newpf16; do
		log "  $n: $(cat "$WORK/rt.$n.n") requests; round trips per run: $(tr '\n' ' ' <"$WORK/rt.$n")"
	done
	RT_B=$(median <"$WORK/rt.base") RT_N=$(median <"$WORK/rt.new") RT_16=$(median <"$WORK/rt.new16")
	RT_BP=$(median <"$WORK/rt.basepf") RT_NP=$(median <"$WORK/rt.newpf") RT_16P=$(median <"$WORK/rt.newpf16")
	target_row "9 isolate RTs" "round trips of 50 ms" "$RT_N" "$RT_B" "$(calc "$RT_N / $RT_B")" "<= 4" "$RT_N" 4
	target_row "9 isolate RTs" "... --preflight" "$RT_NP" "$RT_BP" "$(calc "$RT_NP / $RT_BP")" "<= 5" "$RT_NP" 5
	row "9 isolate RTs (info)" "--host-concurrency 16" "$RT_16" "$RT_B" "$(calc "$RT_16 / $RT_B")" "-" "-"
	row "9 isolate RTs (info)" "... --preflight" "$RT_16P" "$RT_BP" "$(calc "$RT_16P / $RT_BP")" "-" "-"
fi

# ---------------------------------------------------------------- micro
if [ "$MICRO" = 1 ]; then
	log "Go micro-benchmarks (hot paths)"
	timeout 300 go test -run '^$' -bench . -benchtime 200ms -benchmem \
		./cachemodel/ ./internal/report/ ./internal/runner/ ./probe/ >"$WORK/micro.txt" 2>&1 || true
fi

log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
print_table
if [ "$MICRO" = 1 ]; then
	printf '\nGo micro-benchmarks (-benchtime 200ms):\n'
	grep -E '^(Benchmark|ok|FAIL|---)' "$WORK/micro.txt" | awk '/^Benchmark/ {printf "  %-44s %s %s  %s %s  %s %s  %s %s\n", $1, $3, $4, $5, $6, $7, $8, $9, $10; next} {print "  " $0}'
fi
printf '\n%d target(s) failed\n' "$FAILS"
[ "$FAILS" = 0 ]
