#!/usr/bin/env bash
# Benchmark kubepci scan on the project's deterministic corpora, against the parse-only floor,
# and (optionally) against Checkov and Trivy on the same M corpus.
#   bench/run.sh [S|M|L ...]        default: S M L
#   PEERS=1 bench/run.sh M          also run ../shared/bench/run_peers.sh on M (minutes)
# Prints one line per measurement: corpus, form, what, wall seconds, user seconds, peak MB.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p kubepci -p kubepci-bench --bins
cargo build -q --release -p kubepci-source --example loadtime
BIN=target/release
OUT=${BENCH_OUT:-/tmp/kubepci-bench}
sizes=${*:-S M L}
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %U %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr" || true
  read -r wall user rss < "$OUT/time"
  printf '%-28s %7ss wall %7ss user %6d MB\n' "$label" "$wall" "$user" "$((rss / 1024))"
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
