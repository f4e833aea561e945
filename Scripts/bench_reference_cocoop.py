#!/usr/bin/env python3
"""A faithful PyTorch CPU float32 timing of the reference CoCoOp training step.

What trainers/cocoop.py does per step, on a CLIP of ViT-B/16 shapes with random weights
(the values do not change the work): encode the images with the frozen image tower,
normalise, run the Meta-Net, and for every image push all classes' full 77-token prompts
through the frozen 12-layer text transformer (nn.MultiheadAttention with a causal mask, as
OpenAI's CLIP), read the EOT rows, normalise, logits, cross-entropy; then backward to the
context vectors and the Meta-Net and one SGD step. Only the prompt learner requires grad.

Written for this benchmark (no code taken from the reference); prints one JSON line.
usage: bench_reference_cocoop.py --classes 19 --batch 1 --steps 3 [--threads N] [--autocast-bf16]

--autocast-bf16 runs the step under torch.autocast("cpu", dtype=torch.bfloat16), what a
PyTorch user would try for the configs' PREC fp16 on a CPU (matrix products in bfloat16
through oneDNN, the rest as autocast decides).
"""
import contextlib
import argparse, json, math, resource, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, mask):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), QuickGELU(), nn.Linear(4 * width, width))
        self.mask = mask

    def forward(self, x):  # x: [tokens, batch, width], as OpenAI's CLIP
        y = self.ln_1(x)
        m = None if self.mask is None else self.mask.to(dtype=x.dtype)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=m)[0]
        return x + self.mlp(self.ln_2(x))


class TextTower(nn.Module):
    def __init__(self, width=512, layers=12, heads=8, ctx=77, embed=512, vocab=49408):
        super().__init__()
        mask = torch.full((ctx, ctx), float("-inf")).triu_(1)
        self.token_embedding = nn.Embedding(vocab, width)
        self.positional_embedding = nn.Parameter(torch.randn(ctx, width) * 0.01)
        self.blocks = nn.Sequential(*[Block(width, heads, mask) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.randn(width, embed) * width ** -0.5)

    def forward(self, prompts, eot):  # prompts [n_cls, 77, width]
        x = (prompts + self.positional_embedding).permute(1, 0, 2)
        x = self.blocks(x).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), eot] @ self.text_projection


class VisionTower(nn.Module):
    def __init__(self, res=224, patch=16, width=768, layers=12, heads=12, embed=512):
        super().__init__()
        g = res // patch
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width) * width ** -0.5)
        self.positional_embedding = nn.Parameter(torch.randn(g * g + 1, width) * width ** -0.5)
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.Sequential(*[Block(width, heads, None) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.randn(width, embed) * width ** -0.5)

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.blocks(self.ln_pre(x).permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0]) @ self.proj


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", type=int, default=19)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--n-ctx", type=int, default=4)
    ap.add_argument("--autocast-bf16", action="store_true")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    text, vision = TextTower(), VisionTower()
    for p in list(text.parameters()) + list(vision.parameters()):
        p.requires_grad_(False)
    d, e = 512, 512
    ctx = nn.Parameter(torch.randn(a.n_ctx, d) * 0.02)
    meta = nn.Sequential(nn.Linear(e, e // 16), nn.ReLU(inplace=True), nn.Linear(e // 16, d))
    params = [ctx] + list(meta.parameters())
    opt = torch.optim.SGD(params, lr=0.002, momentum=0.9, weight_decay=5e-4)
    n = a.classes
    # Fixed prompt pieces: SOT, then n_ctx context slots, then name tokens, '.', EOT, padding.
    ids = torch.randint(1, 49000, (n, 77))
    eot = torch.randint(1 + a.n_ctx + 2, 1 + a.n_ctx + 8, (n,))
    with torch.no_grad():
        emb = text.token_embedding(ids)
    prefix, suffix = emb[:, :1], emb[:, 1 + a.n_ctx:]
    images = torch.randn(a.batch, 3, 224, 224)
    labels = torch.randint(0, n, (a.batch,))
    logit_scale = math.log(100.0)

    def precision():
        if a.autocast_bf16:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step():
        with precision():
            return forward_backward()

    def forward_backward():
        f = vision(images)
        z = f / f.norm(dim=-1, keepdim=True)
        shifted = ctx.unsqueeze(0) + meta(z).unsqueeze(1)
        logits = []
        for i in range(a.batch):
            prompts = torch.cat([prefix, shifted[i].unsqueeze(0).expand(n, -1, -1), suffix], dim=1)
            t = text(prompts, eot)
            t = t / t.norm(dim=-1, keepdim=True)
            logits.append(math.exp(logit_scale) * z[i] @ t.t())
        loss = F.cross_entropy(torch.stack(logits), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(json.dumps({"classes": n, "batch": a.batch, "threads": torch.get_num_threads(),
                      "precision": "autocast-bf16" if a.autocast_bf16 else "fp32",
                      "step_s": best, "images_per_s": a.batch / best,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
