#!/usr/bin/env bash
# The demo command: CoCoOp's base-to-new experiment on real images, in minutes, on 2 cores.
#
#   Scripts/demo.sh [OUTPUT_DIR]          (default: demo-output)
#   DEMO_PREC=fp32 Scripts/demo.sh DIR   (PREC of both trainers; default fp16, as CoOp's
#                                          configs: bfloat16 products where the CPU has them)
#
# 1. installs what is missing (Scripts/setup.sh: the libraries and Debian's
#    dataset-fashion-mnist; gnuplot-nox for the chart when run as root),
# 2. builds the release binary,
# 3. converts Fashion-MNIST to CoOp's split-file layout (cocoop demo-data),
# 4. runs the sweep Configs/demo/fashion_mnist_base2new.yaml with 2 MPI ranks and the
#    committed tiny CLIP (Demo/tiny_clip.safetensors): zero-shot CLIP, CoOp and CoCoOp, the
#    latter two trained data-parallel on 16 shots of each base class (seeds 1-3), every
#    model evaluated on the base and on the new classes of the whole test set,
# 5. prints the Base / New / H table (H = 2 B N / (B + N) of the means over seeds) and writes
#    it to OUTPUT_DIR/results.md, with results.csv and results.png (gnuplot).
# Rerunning continues: finished trials are skipped (the sweep's rule).
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
OUT=${1:-demo-output}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SWEEP=Configs/demo/fashion_mnist_base2new.yaml

# MARK: - Install, build, convert

Scripts/setup.sh
if ! command -v gnuplot >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    echo "demo: installing gnuplot-nox (for the chart)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null 2>&1 \
        || echo "demo: gnuplot-nox could not be installed; no chart"
fi
swift build -c release --product cocoop
BIN=$PWD/.build/release/cocoop
# 200 training images per class to draw the 16 shots from; the whole test set (1000 per class).
$BIN demo-data --output "$OUT/data" --train-per-class 200 --test-per-class 1000

# MARK: - The sweep (2 ranks: each training runs data-parallel on both)

export DEMO_DATA=$OUT/data DEMO_OUTPUT=$OUT OPENBLAS_NUM_THREADS=1 DEMO_PREC=${DEMO_PREC:-fp16}
MPIRUN=(mpirun -np 2 --oversubscribe --mca btl self,vader)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
if [[ $DEMO_PREC != fp16 ]]; then   # the same sweep with both trainers' PREC overridden
    awk -v prec="$DEMO_PREC" '{ print } /^  shots:/ {
        print "  overrides:"; print "    TRAINER.COOP.PREC: " prec; print "    TRAINER.COCOOP.PREC: " prec }' \
        "$SWEEP" > "$OUT/sweep_$DEMO_PREC.yaml"
    SWEEP=$OUT/sweep_$DEMO_PREC.yaml
fi
"${MPIRUN[@]}" "$BIN" sweep "$SWEEP" | grep -v '^|\|^#\|^$\|^Accuracy in %'

# MARK: - Table

CSV=$OUT/sweeps/fashion_mnist_base2new/summary.csv
awk -F, -v shots=16 '
function name(v) { sub(/^TRAINER.NAME=/, "", v); return v == "ZeroshotCLIP" ? "Zero-shot CLIP" : v }
NR > 1 && $3 != "average" {
    printf "| %s | %.1f ± %.1f | %.1f ± %.1f | %.1f |\n", name($2), $4, $5, $7, $8, $10
    printf "%s %.2f %.2f %.2f\n", name($2) == "Zero-shot CLIP" ? "Zero-shot" : name($2), $4, $7, $10 > "/dev/stderr"
    printf "%s,%.2f,%.2f,%.2f,%.2f,%.2f,%d\n", name($2), $4, $5, $7, $8, $10, $6 > "'"$OUT/results.csv.rows"'"
}' "$CSV" > "$OUT/results.rows" 2> "$OUT/results.dat"
{
    echo "| Method | Base | New | H |"
    echo "|:--|--:|--:|--:|"
    cat "$OUT/results.rows"
} > "$OUT/results.md"
{ echo "method,base_mean,base_std,new_mean,new_std,h,seeds"; cat "$OUT/results.csv.rows"; } > "$OUT/results.csv"
rm -f "$OUT/results.rows" "$OUT/results.csv.rows"

echo
echo "Fashion-MNIST base-to-new with the tiny CLIP (Demo/tiny_clip.safetensors), 16 shots, seeds 1-3"
echo "base: t-shirt/top, trouser, pullover, dress, coat (5000 test images)"
echo "new:  sandal, shirt, sneaker, bag, ankle boot (5000 test images)"
echo "accuracy in % (mean ± std over seeds); H = 2 B N / (B + N); PREC $DEMO_PREC"
echo
cat "$OUT/results.md"
echo
if command -v gnuplot >/dev/null 2>&1; then
    gnuplot <<EOF 2>/dev/null || echo "demo: gnuplot failed; no chart"
set terminal pngcairo size 720,420 font "sans,11"
set output "$OUT/results.png"
set title "Fashion-MNIST base-to-new, tiny CLIP, 16 shots (mean of 3 seeds)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "accuracy (%)"
set yrange [0:100]
set grid ytics
set key outside right top
plot "$OUT/results.dat" using 2:xtic(1) title "Base", "" using 3 title "New", "" using 4 title "H"
EOF
    [[ -f $OUT/results.png ]] && echo "chart: $OUT/results.png"
fi
echo "table: $OUT/results.md, $OUT/results.csv; sweep: $OUT/sweeps/fashion_mnist_base2new/; trials: $OUT/base2new/"
ELAPSED=$(( $(date +%s) - START ))
echo "wall time: $((ELAPSED / 60)) min $((ELAPSED % 60)) s"
