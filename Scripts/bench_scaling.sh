#!/usr/bin/env bash
# Strong scaling of one CoCoOp run on this machine: the distributed training step
# (`cocoop bench train --split`) on 1 and 2 ranks with one OpenBLAS thread each, at 19, 500
# and 1,000 classes, batch 1 and 4, on random ViT-B/16 weights; then the scaling model
# (Scripts/scaling_model.py) over the same runs. Prints the tables; the JSON lines go to
# OUT (default bench-scaling.txt).
#   usage: Scripts/bench_scaling.sh [OUT] [--steps N]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-scaling.txt}
STEPS=${STEPS:-3}
BIN=.build/release/cocoop
[[ -x $BIN ]] || swift build -c release
MODEL=${MODEL:-/tmp/cocoop-vitb16}
[[ -d $MODEL ]] || $BIN init-weights --arch ViT-B/16 --random --seed 0 --out "$MODEL" >/dev/null
export OPENBLAS_NUM_THREADS=1
# OpenBLAS 0.3.21 does not know recent Xeons and falls back to its SSE3 (Prescott) kernels;
# on a CPU with AVX-512 this benchmark asks for the SkylakeX kernels unless told otherwise.
if [[ -z ${OPENBLAS_CORETYPE:-} ]] && grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}, one OpenBLAS thread per rank"
: > "$OUT"
for classes in 19 500 1000; do
    for batch in 1 4; do
        steps=$STEPS; (( classes >= 500 )) && steps=2
        for ranks in 1 2; do
            mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np $ranks \
                $BIN bench train --split auto --model "$MODEL" --classes $classes --batch $batch \
                --steps $steps | tee -a "$OUT" | grep -E '^\| [0-9]'
        done
    done
done
python3 Scripts/scaling_model.py "$OUT"
