#!/usr/bin/env bash
# The memory of one node's ranks at PREC fp16 (bfloat16) and fp32: RANKS ranks (default 4) of
# `cocoop bench train --split auto` on one host, the ranks' Pss (/proc/PID/smaps_rollup: a
# page shared by n processes counts 1/n in each) summed, the largest of samples every 0.1 s.
# Each precision runs twice: first with an empty cache folder (the ranks write the bfloat16
# cache file and its packed copies), then with the files found. Prints a table.
# usage: BENCH_WEIGHTS=DIR Scripts/bench_node_memory.sh   (random ViT-B/16 weights by default)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product cocoop >/dev/null
BIN=$PWD/.build/release/cocoop
W=${BENCH_WEIGHTS:-/tmp/cocoop-bench-vitb16}
[ -f "$W/model.safetensors" ] || $BIN init-weights --arch ViT-B/16 --random --seed 0 --out "$W"
RANKS=${RANKS:-4}
CACHE=$(mktemp -d)
trap 'rm -rf "$CACHE"' EXIT

# Summed Pss (MiB) of the processes running $BIN, sampled until they are gone; prints the largest.
largest_pss() {
    local best=0 seen=0
    while :; do
        local sum=0 n=0
        for pid in $(pgrep -f "^$BIN bench train" || true); do
            local kb
            kb=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
            sum=$((sum + ${kb:-0})); n=$((n + 1))
        done
        if [ "$n" -gt 0 ]; then
            seen=1
            [ "$sum" -gt "$best" ] && best=$sum
        elif [ "$seen" = 1 ]; then
            break
        fi
        sleep 0.1
    done
    echo $((best / 1024))
}

run() {   # precision, cache folder
    COCOOP_WEIGHT_CACHE=$2 OPENBLAS_NUM_THREADS=1 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader \
        -np "$RANKS" -x COCOOP_WEIGHT_CACHE -x OPENBLAS_NUM_THREADS \
        "$BIN" bench train --split auto --model "$W" --prec "$1" --steps 2 >/dev/null &
    local job=$!
    largest_pss
    wait "$job"
}

echo "| precision | cache files written, MiB | cache files found, MiB |"
echo "|---|---:|---:|"
for prec in fp32 bf16; do
    rm -rf "${CACHE:?}"/*
    written=$(run "$prec" "$CACHE/cache")
    found=$(run "$prec" "$CACHE/cache")
    echo "| $prec | $written | $found |"
done
echo "cache folder after bf16: $(du -sm "$CACHE/cache" 2>/dev/null | cut -f1) MiB in $(ls "$CACHE/cache" 2>/dev/null | wc -l) files"
