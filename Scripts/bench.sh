#!/usr/bin/env bash
# Every benchmark of the README in one run: GEMM core vs cblas, the CLIP encoders (ViT-B/16,
# and the RN50 image tower next to a PyTorch CPU float32 timing of OpenAI's ModifiedResNet),
# the CoCoOp train step (19 classes at batch 1 and 4, 500 classes at batch 1) next to a
# faithful PyTorch CPU float32 timing of the reference step, and the input pipeline.
# Needs random ViT-B/16 and RN50 weights (made here) and, for the references, PyTorch
# (pip install torch==2.13.0). ImageNet class names: pass IMAGENET_CLASSNAMES=FILE (CoOp's
# classnames.txt, names only or "wnid name" lines); otherwise synthetic names are used.
# RESNET_IMAGES (default 32): the RN50 batch (smaller is quicker).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product cocoop
BIN=.build/release/cocoop
# OpenBLAS 0.3.21 does not know recent Xeons and falls back to its SSE3 (Prescott) kernels;
# on a CPU with AVX-512 this benchmark asks for the SkylakeX kernels unless told otherwise.
if [[ -z ${OPENBLAS_CORETYPE:-} ]] && grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
W=${BENCH_WEIGHTS:-/tmp/cocoop-bench-vitb16}
[ -f "$W/model.safetensors" ] || $BIN init-weights --arch ViT-B/16 --random --seed 0 --dtype f32 --out "$W"
RN=${BENCH_RESNET_WEIGHTS:-/tmp/cocoop-bench-rn50}
[ -f "$RN/model.safetensors" ] || $BIN init-weights --arch RN50 --random --seed 0 --dtype f32 --out "$RN"
echo "## cocoop env"; $BIN env
echo; echo "## GEMM"; $BIN bench gemm --reps ${GEMM_REPS:-7}
echo; echo "## encoders"; $BIN bench encoders --model "$W"
echo; echo "## RN50 image tower, ${RESNET_IMAGES:-32} images"
$BIN bench encoders --model "$RN" --images "${RESNET_IMAGES:-32}" --prompts 10 --reps 2
if python3 -c "import torch" 2>/dev/null; then
    python3 Scripts/bench_reference_resnet.py --arch RN50 --batch "${RESNET_IMAGES:-32}" --reps 2
    python3 Scripts/bench_reference_resnet.py --arch RN50 --batch "${RESNET_IMAGES:-32}" --reps 2 --channels-last
fi
NAMES=()
if [ -n "${IMAGENET_CLASSNAMES:-}" ]; then NAMES=(--classnames "$IMAGENET_CLASSNAMES"); fi
echo; echo "## train step: cocoop"
for cfg in "19 1" "19 4" "500 1"; do
    set -- $cfg
    extra=(); [ "$1" -gt 19 ] && extra=("${NAMES[@]}")
    $BIN bench train --model "$W" --classes "$1" --batch "$2" --steps 3 "${extra[@]}" | tee -a /tmp/cocoop-bench-train.txt
done
if python3 -c "import torch" 2>/dev/null; then
    echo; echo "## train step: PyTorch reference (Scripts/bench_reference_cocoop.py)"
    for cfg in "19 1 2" "19 4 2" "500 1 1"; do
        set -- $cfg
        python3 Scripts/bench_reference_cocoop.py --classes "$1" --batch "$2" --steps "$3"
    done
else
    echo "(PyTorch not installed: pip install torch==2.13.0 for the reference timing)"
fi
echo; echo "## input pipeline"; $BIN bench data
