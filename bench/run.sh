#!/usr/bin/env bash
# The one entry point for kubepci's benchmarks (release builds; nothing here is a test).
#
#   bench/run.sh [WHAT ...]        default: S M L
#     S | M | L   scan: parse-only floor and `kubepci scan -f json` on the generated corpus of
#                 that size (S ≈ 500, M ≈ 10k, L ≈ 100k objects), as YAML files and as one JSON List
#     XL          the same on the XL corpus (kubepci-gen XL: 1,000,000 objects in the shape of a
#                 cluster at Kubernetes' tested limits; about 2.5 GB on disk, deleted after the
#                 measurement unless KEEP_XL=1); not part of `scan` or `all`
#     scan        S M L
#     netpol      reachability engine: netpol_bench (full matrix and focused) and focused_paths on L
#     rbac        RBAC model build, who-can queries, and the RBAC checks (rbac_bench)
#     pan         card-number detector: generated logs with ground truth, accuracy and throughput
#     mem         where a scan's heap goes on the L corpus: bytes per object by kind and by stage
#                 (mem_breakdown, a counting allocator)
#     live        live collection and snapshots against the in-process fake apiserver (bench_collect)
#     vulns       `kubepci vulns` reading and matching 10,000 scanner reports with 1,000,000
#                 vulnerability entries (kubepci-vulns-gen) against one running Pod per image
#     audit       audit-log analysis (audit_bench: the `audit analyze -f json` path) on a generated
#                 log of AUDIT_SIZE (default 1GB), against jq running one select() on the same file,
#                 AUDIT_RUNS times each, interleaved (default 3)
#     all         scan netpol rbac pan live (tens of minutes on 2 cores; the data takes ~1.5 GB in $OUT)
#
#   RUNS=N bench/run.sh L          N timed runs per scan measurement after one warm-up (default 5)
#   PEERS=1 bench/run.sh M         also run ../shared/bench/run_peers.sh (Checkov, Trivy) on M (minutes)
#   BENCH_OUT=DIR                  where corpora, logs and reports go (default /tmp/kubepci-bench)
#   VULN_REPORTS, VULN_ENTRIES     size of the vulns corpus (default 10000 1000000)
#   NETPOL_SIZES, PAN_SIZE, LIVE_OBJECTS, AUDIT_SIZE   override the sizes below for a quicker run
#   BENCH_NO_SPILL=1 bench/run.sh live   collect the snapshot items in memory (the path before spilling)
#
# Scan lines: corpus, form, what, wall (min, median), median user CPU, peak MB. The other
# benchmarks print their own lines, each followed by `time:` (wall, user, sys, peak RSS of the
# whole process). docs/performance.md has the latest numbers and how they were measured.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release
OUT=${BENCH_OUT:-/tmp/kubepci-bench}
RUNS=${RUNS:-5}
AUDIT_RUNS=${AUDIT_RUNS:-3}
# pods namespaces policies [focus %] per netpol_bench run
NETPOL_SIZES=${NETPOL_SIZES:-"10000 200 2000;50000 1000 10000;50000 1000 10000 10"}
PAN_SIZE=${PAN_SIZE:-200MB}
LIVE_OBJECTS=${LIVE_OBJECTS:-100000}
VULN_REPORTS=${VULN_REPORTS:-10000}
VULN_ENTRIES=${VULN_ENTRIES:-1000000}
AUDIT_SIZE=${AUDIT_SIZE:-1GB}
mkdir -p "$OUT"

build() { # package, then --bins or example names
  local package=$1; shift
  if [ "$1" = --bins ]; then
    cargo build -q --release -p "$package" --bins
  else
    cargo build -q --release -p "$package" $(printf -- '--example %s ' "$@")
  fi
}

# Each command runs once to warm up (on a VM the first touch of fresh memory can cost seconds of
# system time), then RUNS times; printed: min and median wall, median user CPU, max peak RSS.
measure() { # label, command...
  local label=$1; shift
  "$@" >/dev/null 2>&1 || true
  : > "$OUT/times"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr" || true
    cat "$OUT/time" >> "$OUT/times"
  done
  local median='{ v[NR] = $1 } END { printf "%s %s\n", v[1], v[int((NR + 1) / 2)] }'
  read -r wall_min wall_median < <(cut -d' ' -f1 "$OUT/times" | sort -n | awk "$median")
  read -r _ user_median < <(cut -d' ' -f2 "$OUT/times" | sort -n | awk "$median")
  rss=$(cut -d' ' -f3 "$OUT/times" | sort -n | tail -1)
  printf '%-28s %6ss min %6ss median wall %6ss median user %6d MB\n' "$label" "$wall_min" "$wall_median" "$user_median" "$((rss / 1024))"
}

# One run of a benchmark that prints its own results, with the whole process's time and RSS.
timed() { # label, command...
  local label=$1; shift
  echo "== $label"
  /usr/bin/time -f "time: wall %e s, user %U s, sys %S s, peak %M KB" "$@"
}

corpus() { # size → prints the corpus directory, generating it once
  local dir="$OUT/corpus-$1"
  [ -x "$BIN/kubepci-gen" ] || build kubepci-bench --bins
  [ -f "$dir/cluster.json" ] || "$BIN/kubepci-gen" "$1" "$dir" >&2
  echo "$dir"
}

bench_scan() { # sizes...
  build kubepci --bins
  build kubepci-bench --bins
  build kubepci-source loadtime
  for size in "$@"; do
    local dir
    dir=$(corpus "$size")
    for form in yaml cluster.json; do
      measure "$size $form parse-only" "$BIN/examples/loadtime" "$dir/$form"
      measure "$size $form scan" "$BIN/kubepci" scan -f json -o "$OUT/report-$size.json" "$dir/$form"
    done
    if [ "$size" = XL ] && [ "${KEEP_XL:-0}" != 1 ]; then rm -rf "$dir" "$OUT/report-XL.json"; fi
  done
}

bench_netpol() {
  build kubepci-netpol netpol_bench focused_paths
  local sizes
  IFS=';' read -ra sizes <<< "$NETPOL_SIZES"
  for args in "${sizes[@]}"; do
    # shellcheck disable=SC2086 # the sizes are separate arguments
    timed "netpol_bench $args" "$BIN/examples/netpol_bench" $args
  done
  timed "focused_paths on the L corpus" "$BIN/examples/focused_paths" "$(corpus L)/yaml"
}

bench_rbac() {
  build kubepci-rbac rbac_bench
  timed "rbac_bench (model build, who-can)" "$BIN/examples/rbac_bench"
  timed "rbac_bench checks" "$BIN/examples/rbac_bench" checks
}

bench_pan() {
  build kubepci-pan gen pan_bench
  for seed in 1 2; do
    local log="$OUT/pan-$PAN_SIZE-$seed.log"
    [ -f "$log.tsv" ] || "$BIN/examples/gen" --size "$PAN_SIZE" --seed "$seed" --out "$log" --truth "$log.tsv"
  done
  local a="$OUT/pan-$PAN_SIZE-1.log" b="$OUT/pan-$PAN_SIZE-2.log"
  timed "pan_bench $PAN_SIZE" "$BIN/examples/pan_bench" "$a" --truth "$a.tsv" --second "$b" --runs 5
}

bench_mem() {
  build kubepci mem_breakdown
  timed "mem_breakdown on the L corpus (YAML)" "$BIN/examples/mem_breakdown" "$(corpus L)/yaml"
}

bench_live() {
  build kubepci-live bench_collect
  timed "bench_collect $LIVE_OBJECTS (collect + scan)" "$BIN/examples/bench_collect" "$LIVE_OBJECTS"
  timed "bench_collect $LIVE_OBJECTS --snapshot (collect raw, write, read back)" \
    env BENCH_CANONICAL=1 "$BIN/examples/bench_collect" "$LIVE_OBJECTS" --snapshot
}

bench_vulns() {
  build kubepci --bins
  build kubepci-bench --bins
  local dir="$OUT/vulns-$VULN_REPORTS-$VULN_ENTRIES"
  [ -f "$dir/cluster.json" ] || "$BIN/kubepci-vulns-gen" "$VULN_REPORTS" "$VULN_ENTRIES" "$dir"
  for _ in $(seq "$RUNS"); do
    timed "kubepci vulns: $VULN_REPORTS reports, $VULN_ENTRIES entries" "$BIN/kubepci" vulns --cluster-dump "$dir/cluster.json" --vulns "$dir/reports" -f csv -o "$OUT/vulns.csv"
  done
}

bench_audit() {
  build kubepci-audit audit_bench
  build kubepci-bench --bins
  local log="$OUT/audit-$AUDIT_SIZE.log"
  [ -f "$log" ] || "$BIN/kubepci-gen-audit" "$AUDIT_SIZE" "$log"
  # Interleaved, so that a change in the machine's load hits both alike; report min and median.
  for _ in $(seq "$AUDIT_RUNS"); do
    timed "audit_bench $AUDIT_SIZE (rules, activity, completeness, JSON)" "$BIN/examples/audit_bench" "$log" --cde payments
    timed "jq select(.responseStatus.code == 403) on the same file" sh -c 'jq -c "select(.responseStatus.code == 403)" "$1" > /dev/null' jq "$log"
  done
}

[ $# -gt 0 ] || set -- S M L
for what in "$@"; do
  case $what in
    S | M | L | XL | scan | netpol | rbac | pan | mem | live | vulns | audit | all) ;;
    *) echo "bench/run.sh: unknown benchmark '$what' (S, M, L, XL, scan, netpol, rbac, pan, mem, live, vulns, audit, all)" >&2; exit 2 ;;
  esac
done
sizes=()
run() { # flush the scan sizes gathered so far, then run one named benchmark
  if [ ${#sizes[@]} -gt 0 ]; then bench_scan "${sizes[@]}"; sizes=(); fi
  [ $# -eq 0 ] || "bench_$1"
}
for what in "$@"; do
  case $what in
    S | M | L | XL) sizes+=("$what") ;;
    scan) sizes+=(S M L) ;;
    netpol | rbac | pan | mem | live | vulns | audit) run "$what" ;;
    all) sizes+=(S M L); run; run netpol; run rbac; run pan; run live ;;
  esac
done
run
if [ "${PEERS:-0}" = 1 ]; then
  bash ../shared/bench/setup-peers.sh
  bash ../shared/bench/run_peers.sh "$(corpus M)/yaml" "$OUT/peers-M"
fi
