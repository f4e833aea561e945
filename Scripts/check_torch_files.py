#!/usr/bin/env python3
"""Loads files cocoop wrote with real PyTorch and pickle, and prints what they hold as JSON.

usage: check_torch_files.py CHECKPOINT.pth FEWSHOT.pkl
Run by TorchFormatsTests when python3 and torch are installed (skipped otherwise). The
checkpoint is read with torch.load(weights_only=True), as a current Dassl load_checkpoint
does; the few-shot cache with pickle.load and a stand-in dassl.data.datasets.base_dataset.Datum.
"""
import json, pickle, sys, types
import torch

checkpoint = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
for name in ["dassl", "dassl.data", "dassl.data.datasets", "dassl.data.datasets.base_dataset"]:
    sys.modules.setdefault(name, types.ModuleType(name))


class Datum:
    pass


sys.modules["dassl.data.datasets.base_dataset"].Datum = Datum
with open(sys.argv[2], "rb") as f:
    cache = pickle.load(f)
print(json.dumps({
    "keys": sorted(checkpoint.keys()),
    "epoch": checkpoint["epoch"],
    "val_result": checkpoint["val_result"],
    "state_dict": {k: {"shape": list(v.shape), "dtype": str(v.dtype), "values": v.flatten().tolist()}
                   for k, v in checkpoint["state_dict"].items()},
    "state_dict_type": type(checkpoint["state_dict"]).__name__,
    "train": [vars(d) for d in cache["train"]],
    "val": [vars(d) for d in cache["val"]],
}))
