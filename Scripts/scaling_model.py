#!/usr/bin/env python3
"""A scaling model for one CoCoOp run split over N ranks (RUNTIME.STEP_SPLIT prompts).

Reads the JSON lines that `cocoop bench train --split ...` prints (one per run; give several
class counts on 1 rank, and 2-rank runs to validate against), fits

    step(N) = overhead + per_row * (rows / N + prefix) + image / N + comm(N)

with `overhead` and `per_row` from a least-squares line through the 1-rank steps' text
part (step - image tower) against their token rows, `image` the image tower per image,
and comm(N) = latency * 2 * ceil(log2 N) (a tree/ring all-reduce and an all-gather per
step; the gradient is ~35k floats, the logits a few KB, so latency dominates) with the
latency measured as the 2-rank runs' communication time per step, not counting waiting
for the slower rank. Prints the fit, the 2-rank check and projections for 8..256 ranks,
with the time of ImageNet's 160,000-step CoCoOp run (1,000 classes, batch 1).

usage: python3 Scripts/scaling_model.py BENCH_OUTPUT.txt [--latency SECONDS] [--rows R]
"""
import json
import math
import sys


def load(path):
    runs = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{") and '"ranks"' in line:
            runs.append(json.loads(line))
    return runs


def fit_line(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else 0.0
    return my - b * mx, b


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        sys.exit(2)
    runs = load(args[0])
    latency = None
    rows_imagenet = 4432   # 1,000 ImageNet classes with the real tokeniser: P + sum of suffixes
    if "--latency" in args:
        latency = float(args[args.index("--latency") + 1])
    if "--rows" in args:
        rows_imagenet = int(args[args.index("--rows") + 1])
    one = [r for r in runs if r["ranks"] == 1 and r["batch"] == 1]
    if len(one) < 2:
        sys.exit("need 1-rank batch-1 runs at two or more class counts")
    xs = [r["rows"] for r in one]
    ys = [r["step_s"] - r["image_tower_s"] for r in one]
    overhead, per_row = fit_line(xs, ys)
    if overhead < 0:   # noise: a line through the origin instead
        overhead, per_row = 0.0, sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
    image = sum(r["image_tower_s"] for r in one) / len(one)
    prefix = 5
    two = [r for r in runs if r["ranks"] == 2 and r["batch"] == 1 and r["split"] == "prompts"]
    if latency is None:   # an upper bound: the measured collectives include waiting for the slower rank
        latency = min((r["comm_s"] for r in two), default=50e-6) / 2
    print(f"fit over {len(one)} one-rank runs: overhead {overhead * 1e3:.2f} ms, "
          f"{per_row * 1e6:.1f} us per text row, image tower {image * 1e3:.1f} ms per image, "
          f"collective latency {latency * 1e6:.0f} us")

    def step(n, rows):
        comm = 0.0 if n == 1 else latency * 2 * math.ceil(math.log2(n))
        return overhead + per_row * (rows / n + (prefix if n > 1 else 0)) + image / n + comm

    if two:
        print("\n| classes | rows | measured 1 rank s | measured 2 ranks s | model 2 ranks s | error |")
        print("|---:|---:|---:|---:|---:|---:|")
        for r in two:
            base = next((o for o in one if o["classes"] == r["classes"]), None)
            m = step(2, r["rows"])
            print(f"| {r['classes']} | {r['rows']} | {base['step_s'] if base else float('nan'):.4f} | "
                  f"{r['step_s']:.4f} | {m:.4f} | {100 * (m - r['step_s']) / r['step_s']:+.0f}% |")
    print(f"\nImageNet CoCoOp, 1,000 classes ({rows_imagenet} text rows per step), batch 1, 160,000 steps:")
    print("| ranks | step s | speed-up | communication | 160k steps |")
    print("|---:|---:|---:|---:|---:|")
    t1 = step(1, rows_imagenet)
    for n in [1, 2, 8, 16, 32, 64, 128, 256]:
        t = step(n, rows_imagenet)
        comm = 0.0 if n == 1 else latency * 2 * math.ceil(math.log2(n))
        hours = t * 160000 / 3600
        print(f"| {n} | {t:.4f} | {t1 / t:.1f}x | {100 * comm / t:.1f}% | "
              f"{hours:.1f} h |" if hours < 48 else f"| {n} | {t:.4f} | {t1 / t:.1f}x | {100 * comm / t:.1f}% | "
              f"{hours / 24:.1f} days |")


if __name__ == "__main__":
    main()
