#!/usr/bin/env python3
"""Writes Tests/Fixtures/datasets/python_random.json: reference outputs of CPython's own
`random` module (MT19937) and of Dassl's few-shot selection, for the Swift port to match
item for item.

Usage: python3 Scripts/gen_random_fixture.py [OUTPUT]   (CPython >= 3.11; sample() and
_randbelow() are the 3.11 implementations; the script refuses older versions.)

       python3 Scripts/gen_random_fixture.py --check-reference DASSL_DIR COOP_DIR [OUTPUT]
also runs Dassl's own generate_fewshot_dataset (dassl/data/datasets/base_dataset.py, with
its file check and gdown import stubbed) and CoOp's own subsample_classes (taken from
datasets/oxford_pets.py) on the same synthetic lists and asserts they give the fixture's
subsets, so the restatement below cannot drift from the reference.

The few-shot part restates Dassl's DatasetBase.generate_fewshot_dataset and CoOp's
subsample_classes on a synthetic list of labels, in the order CoOp calls them after
train.py's set_random_seed(cfg.SEED): random.seed(S); few-shot(train, K);
few-shot(val, min(K, 4)). Nothing here depends on Dassl or CoOp being installed.
"""
import json
import math
import random
import sys
from collections import defaultdict

FORMAT_VERSION = 1
SEEDS = [1, 2, 3, 42, 0, -5, 2**40 + 12345, 2**64 + 7]


def seed_words(seed):
    """The 32-bit words (least significant first) CPython feeds to init_by_array."""
    n = abs(seed)
    words = []
    while n:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return words or [0]


def generator_case(seed):
    r = random.Random(seed)
    out = {"seed": str(seed), "seed_words": seed_words(seed)}
    out["random"] = [r.random() for _ in range(20)]
    r.seed(seed)
    out["getrandbits32"] = [r.getrandbits(32) for _ in range(20)]
    bits = []
    for k in [0, 1, 7, 31, 32, 33, 53, 64, 100]:
        r.seed(seed)
        bits.append({"k": k, "values": [str(r.getrandbits(k)) for _ in range(6)]})
    out["getrandbits"] = bits
    below = []
    for n in [1, 2, 3, 5, 7, 10, 100, 1000, 2**31 + 1, 2**32, 2**40 + 3]:
        r.seed(seed)
        below.append({"n": str(n), "values": [str(r._randbelow(n)) for _ in range(8)]})
    out["randbelow"] = below
    # Mixed sequence on one generator: state must carry across calls of different kinds.
    r.seed(seed)
    mixed = []
    for step in range(6):
        mixed.append({"random": r.random(), "bits32": r.getrandbits(32),
                      "below1000": r._randbelow(1000),
                      "sample": r.sample(range(50), 6)})
    out["mixed"] = mixed
    return out


def sample_cases():
    cases = []
    for seed in [1, 2, 3, 42, 0]:
        for n in [1, 5, 16, 21, 22, 30, 85, 86, 100, 500, 1300]:
            for k in [0, 1, 4, 5, 6, 16, 17]:
                if k > n:
                    continue
                r = random.Random(seed)
                cases.append({"seed": seed, "n": n, "k": k, "result": r.sample(range(n), k)})
    return cases


def shuffle_cases():
    cases = []
    for seed in [1, 2, 3, 42, 0]:
        for n in [0, 1, 2, 10, 97]:
            r = random.Random(seed)
            x = list(range(n))
            r.shuffle(x)
            cases.append({"seed": seed, "n": n, "result": x})
    return cases


def choices_cases():
    cases = []
    for seed in [1, 2, 3]:
        for n, k in [(1, 3), (3, 16), (10, 5)]:
            r = random.Random(seed)
            cases.append({"seed": seed, "n": n, "k": k, "result": r.choices(range(n), k=k)})
    return cases


# MARK: - Few-shot selection (Dassl semantics, restated)

def fewshot(rng, labels, num_shots, repeat=False):
    """Indices into `labels` chosen as generate_fewshot_dataset chooses Datum objects."""
    if num_shots < 1:
        return list(range(len(labels)))
    tracker = defaultdict(list)          # label -> item indices, in order of first appearance
    for i, y in enumerate(labels):
        tracker[y].append(i)
    out = []
    for _, items in tracker.items():
        if len(items) >= num_shots:
            out.extend(rng.sample(items, num_shots))
        elif repeat:
            out.extend(rng.choices(items, k=num_shots))
        else:
            out.extend(items)
    return out


def subsample(labels_by_split, which):
    """CoOp's subsample_classes on lists of labels: returns [(original index, new label)]."""
    if which == "all":
        return [[(i, y) for i, y in enumerate(ls)] for ls in labels_by_split]
    present = sorted(set(labels_by_split[0]))
    m = math.ceil(len(present) / 2)
    selected = present[:m] if which == "base" else present[m:]
    relabel = {y: j for j, y in enumerate(selected)}
    return [[(i, relabel[y]) for i, y in enumerate(ls) if y in relabel] for ls in labels_by_split]


def synthetic_labels(counts, order_seed):
    """A label list with the given per-label counts, shuffled so that first appearance
    order differs from label order."""
    labels = [y for y, c in enumerate(counts) for _ in range(c)]
    random.Random(order_seed).shuffle(labels)
    return labels


def fewshot_cases():
    # 9 classes; sizes straddle 1, 4, 16 and sample()'s set/pool threshold (85 for k = 16).
    train_counts = [20, 3, 90, 200, 16, 17, 1, 86, 40]
    val_counts = [5, 1, 4, 30, 3, 8, 2, 6, 4]
    train = synthetic_labels(train_counts, 1234)
    val = synthetic_labels(val_counts, 5678)
    cases = []
    for seed in [1, 2, 3, 42]:
        for shots in [1, 2, 4, 8, 16]:
            rng = random.Random()
            rng.seed(seed)                    # train.py: set_random_seed(cfg.SEED)
            tr = fewshot(rng, train, shots)   # dataset __init__: train first
            va = fewshot(rng, val, min(shots, 4))
            fs_train = [train[i] for i in tr]
            fs_val = [val[i] for i in va]
            sub = {}
            for which in ["base", "new"]:
                t, v = subsample([fs_train, fs_val], which)
                sub[which] = {"train": [[tr[i], y] for i, y in t], "val": [[va[i], y] for i, y in v]}
            cases.append({"seed": seed, "num_shots": shots, "train": tr, "val": va,
                          "subsample": sub})
    repeat_cases = []
    for seed in [1, 2]:
        rng = random.Random(seed)
        repeat_cases.append({"seed": seed, "num_shots": 8,
                             "train": fewshot(rng, train, 8, repeat=True)})
    return {"train_labels": train, "val_labels": val, "cases": cases, "repeat_cases": repeat_cases}


def check_reference(fixture, dassl_dir, coop_dir):
    """Runs the reference code on the fixture's synthetic lists; raises on any difference."""
    import os
    import tempfile
    import types
    with open(os.path.join(dassl_dir, "dassl/data/datasets/base_dataset.py")) as f:
        base_src = f.read()
    stubs = {"gdown": types.ModuleType("gdown"), "dassl": types.ModuleType("dassl"),
             "dassl.utils": types.ModuleType("dassl.utils")}
    stubs["dassl.utils"].check_isfile = lambda path: True
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    try:
        base = {}
        exec(compile(base_src, "base_dataset.py", "exec"), base)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    Datum, DatasetBase = base["Datum"], base["DatasetBase"]
    with open(os.path.join(coop_dir, "datasets/oxford_pets.py")) as f:
        pets_src = f.read()
    start = pets_src.index("    @staticmethod\n    def subsample_classes")
    ns = {"math": math, "Datum": Datum}
    exec("class _Pets:\n" + pets_src[start:], ns)
    subsample_classes = ns["_Pets"].subsample_classes

    fx = fixture["fewshot"]
    train = [Datum(impath=str(i), label=y, classname=f"c{y}") for i, y in enumerate(fx["train_labels"])]
    val = [Datum(impath=str(i), label=y, classname=f"c{y}") for i, y in enumerate(fx["val_labels"])]
    ds = DatasetBase.__new__(DatasetBase)
    idx = lambda items: [int(d.impath) for d in items]
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        for c in fx["cases"]:
            random.seed(c["seed"])
            t = ds.generate_fewshot_dataset(train, num_shots=c["num_shots"])
            v = ds.generate_fewshot_dataset(val, num_shots=min(c["num_shots"], 4))
            assert idx(t) == c["train"] and idx(v) == c["val"], f"few-shot differs: {c['seed']}, {c['num_shots']}"
            for which in ["base", "new"]:
                tt, vv = subsample_classes(t, v, subsample=which)
                assert [[int(d.impath), d.label] for d in tt] == c["subsample"][which]["train"], which
                assert [[int(d.impath), d.label] for d in vv] == c["subsample"][which]["val"], which
        for c in fx["repeat_cases"]:
            random.seed(c["seed"])
            assert idx(ds.generate_fewshot_dataset(train, num_shots=c["num_shots"], repeat=True)) == c["train"]
    print(f"reference check: Dassl's generate_fewshot_dataset and CoOp's subsample_classes agree "
          f"({len(fx['cases'])} + {len(fx['repeat_cases'])} cases)")


def main():
    if sys.version_info < (3, 11):
        sys.exit("needs CPython >= 3.11 (sample/_randbelow as in 3.11)")
    args = sys.argv[1:]
    reference = None
    if args[:1] == ["--check-reference"]:
        if len(args) < 3:
            sys.exit("usage: gen_random_fixture.py --check-reference DASSL_DIR COOP_DIR [OUTPUT]")
        reference, args = (args[1], args[2]), args[3:]
    out = {
        "format_version": FORMAT_VERSION,
        "python": sys.version.split()[0],
        "generators": [generator_case(s) for s in SEEDS],
        "sample": sample_cases(),
        "shuffle": shuffle_cases(),
        "choices": choices_cases(),
        "fewshot": fewshot_cases(),
    }
    if reference:
        check_reference(out, *reference)
    path = args[0] if args else "Tests/Fixtures/datasets/python_random.json"
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
