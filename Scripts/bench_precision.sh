#!/usr/bin/env bash
# PREC fp16 (bfloat16 products) against fp32, and both against the PyTorch reference step in
# float32 and under torch.autocast("cpu", dtype=torch.bfloat16), in one run: the GEMM table,
# the encoders, and the CoCoOp train step at 19 classes (batch 1 and 4) and 500 classes.
# Prints a summary table at the end. Needs random ViT-B/16 weights (made here) and, for the
# reference, PyTorch (pip install torch==2.13.0). IMAGENET_CLASSNAMES=FILE: CLIP's ImageNet
# names for the 500-class row (otherwise synthetic names of the same token lengths).
# STEPS (default 5): timed steps per cocoop row (the best is reported); REFERENCE=0 skips
# the PyTorch reference (its 500-class step takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product cocoop >/dev/null
BIN=.build/release/cocoop
W=${BENCH_WEIGHTS:-/tmp/cocoop-bench-vitb16}
[ -f "$W/model.safetensors" ] || $BIN init-weights --arch ViT-B/16 --random --seed 0 --dtype f32 --out "$W"
NAMES=()
if [ -n "${IMAGENET_CLASSNAMES:-}" ]; then NAMES=(--classnames "$IMAGENET_CLASSNAMES"); fi
OUT=$(mktemp)
echo "## load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## cocoop env"; $BIN env
echo; echo "## GEMM"; $BIN bench gemm --reps "${GEMM_REPS:-7}"
for prec in fp32 bf16; do
    echo; echo "## encoders, $prec"; $BIN bench encoders --model "$W" --prec "$prec"
done
echo; echo "## train step: cocoop, fp32 and bf16 alternating"
for cfg in "19 1" "19 4" "500 1"; do
    set -- $cfg
    extra=(); [ "$1" -gt 19 ] && extra=("${NAMES[@]}")
    for prec in fp32 bf16; do
        result=$($BIN bench train --model "$W" --classes "$1" --batch "$2" --steps "${STEPS:-5}" --prec "$prec" \
                 "${extra[@]}")
        echo "$result"
        grep '^{' <<< "$result" >> "$OUT"
    done
done
if [ "${REFERENCE:-1}" != 0 ] && python3 -c "import torch" 2>/dev/null; then
    echo; echo "## train step: PyTorch reference (Scripts/bench_reference_cocoop.py), fp32 and autocast bf16"
    for cfg in "19 1 2" "19 4 2" "500 1 1"; do
        set -- $cfg
        for mode in "" --autocast-bf16; do
            python3 Scripts/bench_reference_cocoop.py --classes "$1" --batch "$2" --steps "$3" $mode | tee -a "$OUT"
        done
    done
fi
echo "## load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
def find(kind, c, b, prec):
    for r in rows:
        if r["classes"] == c and r["batch"] == b and r.get("precision") == prec and ("threads" in r) == (kind == "ref"):
            return r
print("| classes | batch | cocoop fp32 s | cocoop bf16 s | bf16 speed-up | bf16 % of bf16 GEMM peak "
      "| reference fp32 s | reference autocast bf16 s | bf16 vs reference fp32 | bf16 vs reference autocast |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for c, b in [(19, 1), (19, 4), (500, 1)]:
    f, h = find("cocoop", c, b, "float32"), find("cocoop", c, b, "bfloat16")
    rf, ra = find("ref", c, b, "fp32"), find("ref", c, b, "autocast-bf16")
    if not (f and h):
        continue
    cell = lambda r: "%.2f" % r["step_s"] if r else "-"
    ratio = lambda r: "%.1fx" % (r["step_s"] / h["step_s"]) if r else "-"
    print("| %d | %d | %.3f | %.3f | %.2fx | %.0f%% | %s | %s | %s | %s |" % (
        c, b, f["step_s"], h["step_s"], f["step_s"] / h["step_s"], 100 * h["useful_gflops"] / h["peak_gflops"],
        cell(rf), cell(ra), ratio(rf), ratio(ra)))
PY
rm -f "$OUT"
