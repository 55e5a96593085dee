#!/usr/bin/env bash
# Benchmark kubepci scan on the project's deterministic corpora, against the parse-only floor,
# and (optionally) against Checkov and Trivy on the same M corpus.
#   bench/run.sh [S|M|L ...]        default: S M L
#   PEERS=1 bench/run.sh M          also run ../shared/bench/run_peers.sh on M (minutes)
# Prints one line per measurement: corpus, form, what, wall (min, median), median user CPU, peak MB.
#   RUNS=N bench/run.sh L            N timed runs per measurement after one warm-up (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p kubepci -p kubepci-bench --bins
cargo build -q --release -p kubepci-source --example loadtime
BIN=target/release
OUT=${BENCH_OUT:-/tmp/kubepci-bench}
sizes=${*:-S M L}
RUNS=${RUNS:-5}
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
mkdir -p "$OUT"
for size in $sizes; do
  dir="$OUT/corpus-$size"
  [ -f "$dir/cluster.json" ] || "$BIN/kubepci-gen" "$size" "$dir"
  for form in yaml cluster.json; do
    measure "$size $form parse-only" "$BIN/examples/loadtime" "$dir/$form"
    measure "$size $form scan" "$BIN/kubepci" scan -f json -o "$OUT/report-$size.json" "$dir/$form"
  done
done
if [ "${PEERS:-0}" = 1 ]; then
  bash ../shared/bench/setup-peers.sh
  bash ../shared/bench/run_peers.sh "$OUT/corpus-M/yaml" "$OUT/peers-M"
fi
