#!/usr/bin/env python3
"""Writes Tests/Fixtures/coop_scripts/zeroshot_templates.json from a CoOp checkout.

Reads CUSTOM_TEMPLATES from trainers/zsclip.py and IMAGENET_TEMPLATES_SELECT from
trainers/imagenet_templates.py as literals (ast; nothing of CoOp is imported or run), so the
Swift tests compare ZeroShotTemplates with CoOp's own text.

usage: Scripts/gen_coop_templates.py COOP_CHECKOUT [OUT.json]
"""
import ast
import json
import os
import sys


def literal(path, name):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    sys.exit(f"{path}: no assignment to {name}")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    coop = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(
        here, "..", "Tests", "Fixtures", "coop_scripts", "zeroshot_templates.json")
    fixture = {
        "source": "KaiyangZhou/CoOp trainers/zsclip.py, trainers/imagenet_templates.py",
        "CUSTOM_TEMPLATES": literal(os.path.join(coop, "trainers", "zsclip.py"), "CUSTOM_TEMPLATES"),
        "IMAGENET_TEMPLATES_SELECT": literal(os.path.join(coop, "trainers", "imagenet_templates.py"),
                                             "IMAGENET_TEMPLATES_SELECT"),
    }
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
