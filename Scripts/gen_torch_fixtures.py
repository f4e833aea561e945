#!/usr/bin/env python3
"""Writes the small PyTorch-format fixtures of TorchFormatsTests into Tests/Fixtures/torch/.

Needs torch (any 2.x); run once, commit the outputs. Every file comes with the values the
Swift reader must find, in expected.json (name -> shape, float values), written by torch
itself (state_dict() of the loaded file), so the test compares against PyTorch's reading.
"""
import collections, io, json, os, pickle, sys, types
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "torch")
torch.manual_seed(0)
expected = {}


def record(name, sd):
    expected[name] = {k: {"shape": list(v.shape), "values": v.detach().float().flatten().tolist()}
                      for k, v in sd.items()}


# 1. A plain state dict: dtypes, a shared storage with offsets, a transposed (non-contiguous)
#    tensor, a 0-dim scalar, a Parameter.
base = torch.arange(24, dtype=torch.float32) / 8
sd = collections.OrderedDict()
sd["f32"] = torch.randn(3, 4)
sd["f16"] = torch.randn(2, 5).half()
sd["bf16"] = torch.randn(4).bfloat16()
sd["view.a"] = base[2:8].view(2, 3)          # storage offset 2, shares `base`'s storage
sd["view.b"] = base.view(4, 6).t()           # strides (1, 6)
sd["scalar"] = torch.tensor(2.5)
sd["param"] = torch.nn.Parameter(torch.randn(2, 2))
sd["f64"] = torch.randn(3).double()
torch.save(sd, os.path.join(OUT, "state_dict.pt"))
record("state_dict.pt", torch.load(os.path.join(OUT, "state_dict.pt")))

# The same in PyTorch's legacy (pre-1.6) format.
torch.save(sd, os.path.join(OUT, "legacy.pt"), _use_new_zipfile_serialization=False)
record("legacy.pt", torch.load(os.path.join(OUT, "legacy.pt")))

# A module's own state dict: an OrderedDict with a `_metadata` attribute (set by BUILD).
torch.save(torch.nn.Linear(3, 2).state_dict(), os.path.join(OUT, "module_state.pt"))
record("module_state.pt", torch.load(os.path.join(OUT, "module_state.pt")))

# 2. TorchScript archives with CLIP's nesting (visual.conv1, transformer.resblocks.N.attn).
class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(8, 2)
        self.ln_1 = torch.nn.LayerNorm(8)

    def forward(self, x):
        y = self.ln_1(x)
        return x + self.attn(y, y, y, need_weights=False)[0]


class Visual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 2, 2, bias=False)
        self.class_embedding = torch.nn.Parameter(torch.randn(8))

    def forward(self, x):
        return self.conv1(x).flatten(2).mean(2) + self.class_embedding


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = Visual()
        self.transformer = torch.nn.Module()
        self.transformer.resblocks = torch.nn.Sequential(Block(), Block())
        self.logit_scale = torch.nn.Parameter(torch.tensor(4.6052))
        self.register_buffer("buffer", torch.arange(3, dtype=torch.float32))

    def forward(self, image, text):
        return self.visual(image).sum() + self.transformer.resblocks(text).sum() * self.logit_scale


tiny = Tiny().eval()
scripted = torch.jit.script(tiny)
scripted.save(os.path.join(OUT, "tiny_script.pt"))
record("tiny_script.pt", torch.jit.load(os.path.join(OUT, "tiny_script.pt")).state_dict())
traced = torch.jit.trace(tiny, (torch.randn(1, 3, 4, 4), torch.randn(3, 1, 8)))
traced.save(os.path.join(OUT, "tiny_trace.pt"))
record("tiny_trace.pt", torch.jit.load(os.path.join(OUT, "tiny_trace.pt")).state_dict())

# 3. Dassl's checkpoint of a CoCoOp prompt learner (save_checkpoint's dict, SGD + cosine).
learner = collections.OrderedDict(
    [("ctx", torch.randn(4, 8)), ("meta_net.linear1.weight", torch.randn(2, 8)),
     ("meta_net.linear1.bias", torch.randn(2)), ("meta_net.linear2.weight", torch.randn(8, 2)),
     ("meta_net.linear2.bias", torch.randn(8)), ("token_prefix", torch.randn(3, 1, 8)),
     ("token_suffix", torch.randn(3, 10, 8))])
params = [torch.nn.Parameter(v.clone()) for v in list(learner.values())[:5]]
opt = torch.optim.SGD(params, lr=0.002, momentum=0.9, weight_decay=5e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
sum((p * p).sum() for p in params).backward()
opt.step()
sched.step()
torch.save({"state_dict": learner, "epoch": 5, "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "val_result": None}, os.path.join(OUT, "model.pth.tar-5"))
record("model.pth.tar-5", torch.load(os.path.join(OUT, "model.pth.tar-5"))["state_dict"])

# 4. CoOp's few-shot cache: pickle of {"train": [Datum], "val": [Datum]} (a stand-in Datum
#    class under Dassl's module name; pickle records only the name and the attributes).
module = types.ModuleType("dassl.data.datasets.base_dataset")
for name in ["dassl", "dassl.data", "dassl.data.datasets", "dassl.data.datasets.base_dataset"]:
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules["dassl.data.datasets.base_dataset"] = module


class Datum:
    def __init__(self, impath="", label=0, domain=0, classname=""):
        self._impath, self._label, self._domain, self._classname = impath, label, domain, classname


Datum.__module__ = module.__name__
module.Datum = Datum
data = {"train": [Datum("/data/oxford_pets/images/Abyssinian_1.jpg", 0, 0, "abyssinian"),
                  Datum("/data/oxford_pets/images/beagle_10.jpg", 1, 0, "beagle")],
        "val": [Datum("/data/oxford_pets/images/Abyssinian_2.jpg", 0, 0, "abyssinian")]}
with open(os.path.join(OUT, "shot_1-seed_1.pkl"), "wb") as f:
    pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
with open(os.path.join(OUT, "shot_1-seed_1.protocol2.pkl"), "wb") as f:
    pickle.dump(data, f, protocol=2)

# 5. Hostile: a pickle that would run os.system, inside a torch.save archive.
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


torch.save({"x": Evil()}, os.path.join(OUT, "evil.pt"))

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=0, sort_keys=True)
print("wrote", sorted(os.listdir(OUT)))
