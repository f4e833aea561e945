#!/usr/bin/env python3
"""Per-epoch learning rates of Dassl's build_lr_scheduler for several configs.

usage: gen_lr_fixture.py DASSL_LR_SCHEDULER_PY OUT.json
Loads dassl/optim/lr_scheduler.py from a Dassl.pytorch checkout (not vendored here),
steps each scheduler once per epoch as Dassl's trainer does and records the lr used by
every epoch. Needs torch. The `verbose` argument newer torch rejects is dropped.
"""
import importlib.util, inspect, json, sys, types

import torch

path, out = sys.argv[1], sys.argv[2]
src = open(path).read()
# Newer torch's _LRScheduler no longer accepts `verbose`: drop it, change nothing else.
src = src.replace("super().__init__(optimizer, last_epoch, verbose)", "super().__init__(optimizer, last_epoch)")
mod = types.ModuleType("dassl_lr")
exec(compile(src, path, "exec"), mod.__dict__)

configs = []
for sched in ["cosine", "single_step", "multi_step"]:
    for wtype in ["none", "constant", "linear"]:
        for recount in [True, False]:
            if wtype == "none" and not recount:
                continue
            configs.append(dict(LR_SCHEDULER=sched, LR=0.002, MAX_EPOCH=10, GAMMA=0.1,
                                STEPSIZE=[3, 7] if sched == "multi_step" else 4,
                                WARMUP_EPOCH=0 if wtype == "none" else 2,
                                WARMUP_TYPE=wtype, WARMUP_CONS_LR=1e-5, WARMUP_MIN_LR=1e-5,
                                WARMUP_RECOUNT=recount))

results = []
for cfg in configs:
    ns = types.SimpleNamespace(**cfg)
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=cfg["LR"])
    s = mod.build_lr_scheduler(opt, ns)
    lrs = []
    for epoch in range(cfg["MAX_EPOCH"]):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    results.append({"config": cfg, "lr_per_epoch": lrs})
json.dump({"source": "Dassl.pytorch dassl/optim/lr_scheduler.py", "torch": torch.__version__,
           "cases": results}, open(out, "w"), indent=1)
print(f"{len(results)} cases -> {out}")
