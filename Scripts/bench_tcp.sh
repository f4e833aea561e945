#!/usr/bin/env bash
# One CoCoOp run on two ranks over TCP between two "hosts" (network namespaces joined by veth
# links, Cluster/multihost/netns.sh) next to the same two ranks over shared memory on one host
# and one rank alone: the distributed step (`cocoop bench train --split auto`) at 19 and 500
# classes, batch 1, then the collectives' latency (`cocoop bench collectives`) on each
# transport. Needs root (network namespaces). Prints the tables; raw lines go to OUT.
#   usage: [STEPS=N (odd, default 3)] [CLASSES="19 500"] [MODEL=DIR] Scripts/bench_tcp.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-tcp.txt}
STEPS=${STEPS:-3}
BIN=$PWD/.build/release/cocoop
[[ -x $BIN ]] || swift build -c release
MODEL=${MODEL:-/tmp/cocoop-vitb16}
[[ -d $MODEL ]] || $BIN init-weights --arch ViT-B/16 --random --seed 0 --out "$MODEL" >/dev/null
export OPENBLAS_NUM_THREADS=1
# OpenBLAS 0.3.21 falls back to its SSE3 kernels on CPUs it does not know (see bench_scaling.sh).
if [[ -z ${OPENBLAS_CORETYPE:-} ]] && grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
SHM=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader)
TCP=(env NETNS_PREFIX=cbt Cluster/multihost/netns.sh run 2 -s 1 -- -x OPENBLAS_NUM_THREADS -x OPENBLAS_CORETYPE)
echo "# $(date -u), load: $(cut -d' ' -f1-3 /proc/loadavg), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}" | tee "$OUT"
for classes in ${CLASSES:-19 500}; do
    # An odd number of steps (with the warm-up, an even count) keeps 2-image windows whole:
    # the last window of a short run would have one image, and one rank would wait for it.
    train=(bench train --split auto --model "$MODEL" --classes $classes --batch 1 --steps $STEPS)
    for how in "1 rank" "2 ranks, shared memory" "2 hosts, TCP"; do
        echo "## $classes classes, $how" | tee -a "$OUT"
        case $how in
            "1 rank") "${SHM[@]}" -np 1 "$BIN" "${train[@]}" ;;
            "2 ranks"*) "${SHM[@]}" -np 2 "$BIN" "${train[@]}" ;;
            *) "${TCP[@]}" "$BIN" "${train[@]}" ;;
        esac 2>&1 | tee -a "$OUT" | grep -E '^\| [0-9]'
    done
done
echo "## collectives, 2 ranks, shared memory" | tee -a "$OUT"
"${SHM[@]}" -np 2 "$BIN" bench collectives 2>&1 | tee -a "$OUT"
echo "## collectives, 2 hosts, TCP" | tee -a "$OUT"
"${TCP[@]}" "$BIN" bench collectives 2>&1 | tee -a "$OUT"
