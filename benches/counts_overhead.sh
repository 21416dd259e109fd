#!/usr/bin/env bash
# What keeping statistics counts costs ingestion: the ingestion benchmark's backlog run with
# counts (the real build) and without (a benchmark-only build), alternated, medians compared.
# Usage: benches/counts_overhead.sh [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
run() {
    cargo bench -q --bench ingest "$@" -- --skip-baseline --events 225000 --singles 0 2>/dev/null \
        | awk -F'|' '/POST \/movements\/batch/ { gsub(/ /, "", $5); print $5 }'
}
with=(); without=()
for i in $(seq "$rounds"); do
    with+=("$(run)")
    without+=("$(run --features bench-no-counts --target-dir target/no-counts)")
    echo "round $i: with counts ${with[-1]} events/s, without ${without[-1]} events/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
w=$(median "${with[@]}"); wo=$(median "${without[@]}")
echo "median with counts: $w events/s; without: $wo events/s"
awk -v w="$w" -v wo="$wo" 'BEGIN { printf "keeping the counts costs %.1f%% of ingestion throughput\n", 100 * (1 - w / wo) }'
