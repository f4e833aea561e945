#!/usr/bin/env python3
"""Zero-shot top-1 of the tiny CLIP on the demo's test images with the towers' products in
float32 and in bfloat16 (`cocoop zeroshot --prec`), and how often the two agree.

usage: Scripts/zeroshot_agreement.py DATA_DIR [--bin .build/release/cocoop]
                                     [--weights Demo/tiny_clip.safetensors]
DATA_DIR is what `cocoop demo-data --output DATA_DIR` wrote (Scripts/demo.sh: OUT/data).
Prints one JSON line: images, accuracy of each precision, agreement of their top-1.
"""
import argparse, glob, json, os, subprocess, tempfile


def top1(binary, weights, classnames_file, files, prec):
    """The top-1 class name of every file, in order."""
    out = []
    for start in range(0, len(files), 1000):
        chunk = files[start:start + 1000]
        text = subprocess.run([binary, "zeroshot", "--model", weights, "--classnames", classnames_file,
                               "--top", "1", "--prec", prec] + chunk,
                              check=True, capture_output=True, text=True).stdout.splitlines()
        # Two lines per image: the file, then "  pp.pp%  name".
        out += [line.split("%", 1)[1].strip() for line in text[1::2]]
        assert len(out) == start + len(chunk), "unexpected zeroshot output"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--bin", default=".build/release/cocoop")
    ap.add_argument("--weights", default="Demo/tiny_clip.safetensors")
    a = ap.parse_args()
    split_file = sorted(glob.glob(os.path.join(a.data, "**", "split_*.json"), recursive=True))[0]
    with open(split_file) as f:
        test = json.load(f)["test"]
    names = {label: name for _, label, name in test}
    classnames = [names[k] for k in sorted(names)]
    image_root = os.path.dirname(split_file)   # split-file paths are relative to its folder
    files = [os.path.join(image_root, p) for p, _, _ in test]
    truth = [n for _, _, n in test]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(classnames) + "\n")
        names_file = f.name
    try:
        fp32 = top1(a.bin, a.weights, names_file, files, "fp32")
        bf16 = top1(a.bin, a.weights, names_file, files, "bf16")
    finally:
        os.unlink(names_file)
    n = len(files)
    print(json.dumps({
        "images": n,
        "top1_fp32": sum(p == t for p, t in zip(fp32, truth)) / n,
        "top1_bf16": sum(p == t for p, t in zip(bf16, truth)) / n,
        "agreement": sum(p == q for p, q in zip(fp32, bf16)) / n,
    }))


if __name__ == "__main__":
    main()
