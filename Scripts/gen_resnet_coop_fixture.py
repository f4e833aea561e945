#!/usr/bin/env python3
"""Float64 reference of CoOp trained on the tiny ResNet CLIP: Tests/Fixtures/resnet/coop_rn50.safetensors.

The shared ResNet fixtures (../shared/fixtures/resnet, made with OpenAI's clip/model.py) hold
the tiny ModifiedResNet CLIP and float64 features, not a CoOp trajectory. The image tower is
frozen, so CoOp on a ResNet CLIP is CoOp on that tower's features: this script takes the
fixture's float64 image features (OpenAI's ModifiedResNet) and runs CoOp's text side in float64
with PyTorch autograd, as CoOp's trainers/coop.py does with Configs/trainers/CoOp/rn50_ep50.yaml
and CoOp's defaults: N_CTX 16 random context vectors (std 0.02), CTX_INIT "", CSC False,
CLASS_TOKEN_POSITION end, full 77-token prompts through the causal text transformer, logits =
exp(logit_scale) cos, mean cross-entropy; SGD lr 0.002 momentum 0.9 weight decay 5e-4, cosine
over 50 epochs after 1 constant warm-up epoch at 1e-5 (WARMUP_RECOUNT). Four images, batch 4,
so each epoch is one step: three epochs are three steps at lr 1e-5, 0.002, 0.001 (1 + cos(pi/50)).

Before writing, the script checks its text transformer (written here from the published
architecture, no code taken from OpenAI's) against the fixture's encode_text features and
logits_per_image, to 1e-12. Token ids come from the fixture's clip.tokenize output ("X",
"dog", "cat", "pink primrose", "flower", "."), so no tokenizer is needed.
usage: gen_resnet_coop_fixture.py [--shared ../shared/fixtures/resnet] [--out Tests/Fixtures/resnet]
"""
import argparse, json, math, os, struct

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "F16": np.float16}


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return out


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dtype = {np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}[a.dtype]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class TextTower:
    """CLIP's text transformer in float64 (pre-norm blocks, causal mask, QuickGELU)."""

    def __init__(self, w):
        t = lambda name: torch.tensor(w[name], dtype=torch.float64)
        self.tokens, self.positions = t("token_embedding.weight"), t("positional_embedding")
        self.width = self.positions.shape[1]
        self.heads = self.width // 64
        layers = len({k.split(".")[2] for k in w if k.startswith("transformer.resblocks.")})
        self.blocks = [{k: t(f"transformer.resblocks.{i}.{k}") for k in (
            "ln_1.weight", "ln_1.bias", "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight",
            "attn.out_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
            "mlp.c_proj.weight", "mlp.c_proj.bias")} for i in range(layers)]
        self.ln_final = (t("ln_final.weight"), t("ln_final.bias"))
        self.projection = t("text_projection")

    def __call__(self, x, eot):  # x [n, L, width] token embeddings; eot [n]
        n, length, d = x.shape
        h, hd = self.heads, d // self.heads
        mask = torch.full((length, length), float("-inf"), dtype=x.dtype).triu(1)
        x = x + self.positions[:length]
        for b in self.blocks:
            y = F.layer_norm(x, (d,), b["ln_1.weight"], b["ln_1.bias"], 1e-5)
            q, k, v = (y @ b["attn.in_proj_weight"].T + b["attn.in_proj_bias"]).split(d, dim=-1)
            q, k, v = (z.reshape(n, length, h, hd).transpose(1, 2) for z in (q, k, v))
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, dim=-1) @ v
            x = x + a.transpose(1, 2).reshape(n, length, d) @ b["attn.out_proj.weight"].T + b["attn.out_proj.bias"]
            y = F.layer_norm(x, (d,), b["ln_2.weight"], b["ln_2.bias"], 1e-5)
            y = y @ b["mlp.c_fc.weight"].T + b["mlp.c_fc.bias"]
            y = y * torch.sigmoid(1.702 * y)
            x = x + y @ b["mlp.c_proj.weight"].T + b["mlp.c_proj.bias"]
        x = F.layer_norm(x, (d,), *self.ln_final, 1e-5)
        return x[torch.arange(n), eot] @ self.projection


def normwise(a, b):
    return float((a - b).abs().max() / b.abs().max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared/fixtures/resnet")
    ap.add_argument("--out", default="Tests/Fixtures/resnet")
    a = ap.parse_args()
    weights = read_safetensors(os.path.join(a.shared, "clip_rn_openai.safetensors"))
    features = read_safetensors(os.path.join(a.shared, "features.safetensors"))
    text = TextTower(weights)
    scale = math.exp(float(weights["logit_scale"]))

    # The tower against OpenAI's encode_text and logits_per_image.
    ids = torch.tensor(features["input/token_ids"])
    reference_text = torch.tensor(features["output/text_features"])
    t = text(text.tokens[ids], ids.argmax(dim=-1))
    image = torch.tensor(features["output/image_features"])
    z = image / image.norm(dim=-1, keepdim=True)
    logits = scale * z @ (t / t.norm(dim=-1, keepdim=True)).T
    errors = (normwise(t, reference_text), normwise(logits, torch.tensor(features["output/logits_per_image"])))
    print("text features vs OpenAI: %.2e, logits: %.2e" % errors)
    assert max(errors) < 1e-12

    # CoOp's prompts "X X ... X {name}." with ids from the fixture's tokenisation.
    sot, eot_id = int(ids[0, 0]), int(ids[0, 7])
    x_id, period = int(ids[2, 1]), int(ids[0, 6])
    names = {"dog": [int(ids[0, 5])], "pink primrose": [int(ids[1, 5]), int(ids[1, 6])],
             "cat": [int(ids[2, 5])], "flower": [int(ids[1, 11])]}
    classnames, n_ctx = list(names), 16
    prompts = torch.zeros(len(classnames), 77, dtype=torch.int64)
    for c, name in enumerate(classnames):
        row = [sot] + [x_id] * n_ctx + names[name] + [period, eot_id]
        prompts[c, :len(row)] = torch.tensor(row)
    eot = prompts.argmax(dim=-1)
    embedded = text.tokens[prompts]
    prefix, suffix = embedded[:, :1], embedded[:, 1 + n_ctx:]

    g = torch.Generator().manual_seed(2024)
    ctx = (torch.randn(n_ctx, text.width, generator=g, dtype=torch.float64) * 0.02).requires_grad_(True)
    labels = torch.tensor([0, 2, 3, 1])
    lrs = [1e-5, 0.002, 0.001 * (1 + math.cos(math.pi / 50))]
    out = {"input/ctx": ctx.detach().clone(), "input/labels": labels, "input/tokenized_prompts": prompts,
           "input/lr": torch.tensor(lrs, dtype=torch.float64)}
    opt = torch.optim.SGD([ctx], lr=lrs[0], momentum=0.9, weight_decay=5e-4)
    for step, lr in enumerate(lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        w = text(torch.cat([prefix, ctx.unsqueeze(0).expand(len(classnames), -1, -1), suffix], dim=1), eot)
        logits = scale * z @ (w / w.norm(dim=-1, keepdim=True)).T
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        if step == 0:
            out["logits"], out["grad/ctx"] = logits.detach().clone(), ctx.grad.detach().clone()
        opt.step()
        out[f"traj/{step}/loss"] = loss.detach().reshape(1)
        out[f"traj/{step}/param/ctx"] = ctx.detach().clone()
        out[f"traj/{step}/momentum/ctx"] = opt.state[ctx]["momentum_buffer"].detach().clone()
        print("step %d lr %.6g loss %.12f" % (step, lr, loss.item()))
    metadata = {"format_version": "1", "classnames": json.dumps(classnames), "n_ctx": str(n_ctx),
                "config": "Configs/trainers/CoOp/rn50_ep50.yaml", "image_features": "output/image_features",
                "text_check": "%.3e" % errors[0], "torch": torch.__version__}
    write_safetensors(os.path.join(a.out, "coop_rn50.safetensors"),
                      {k: v.numpy() for k, v in out.items()}, metadata)


if __name__ == "__main__":
    main()
