#!/usr/bin/env python3
"""PyTorch CPU float32 timing of CLIP's ModifiedResNet image tower, for `cocoop bench encoders`.

The network of OpenAI's clip/model.py at OpenAI's shapes, with random weights (the values do
not change the work), in eval mode under torch.inference_mode, as CoOp runs its frozen
encoder: three 3x3 stem convolutions (the first stride 2) with BatchNorm and ReLU, a 2x2
average pool; Bottleneck blocks whose strided ones average-pool after conv2 and before the
downsample's 1x1 convolution; the attention pool (mean token prepended, positions,
F.multi_head_attention_forward with every token as a query as OpenAI's forward calls it,
c_proj). BatchNorm runs as its own layer (PyTorch does not fold it in eval mode).

Written for this benchmark (no code taken from OpenAI's); prints one JSON line.
usage: bench_reference_resnet.py [--arch RN50] [--batch 32] [--reps 3] [--threads N] [--channels-last]
"""
import argparse, json, resource, time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (stage depths, width, input resolution, embed dim), as OpenAI publishes them.
ARCHS = {
    "RN50": ((3, 4, 6, 3), 64, 224, 1024),
    "RN101": ((3, 4, 23, 3), 64, 224, 512),
    "RN50x4": ((4, 6, 10, 6), 80, 288, 640),
    "RN50x16": ((6, 8, 18, 8), 96, 384, 768),
    "RN50x64": ((3, 15, 36, 10), 128, 448, 1024),
}


def conv_bn(cin, cout, k, stride=1):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout)]


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.main = nn.Sequential(*conv_bn(cin, planes, 1), nn.ReLU(inplace=True),
                                  *conv_bn(planes, planes, 3), nn.ReLU(inplace=True),
                                  nn.AvgPool2d(stride) if stride > 1 else nn.Identity(),
                                  *conv_bn(planes, 4 * planes, 1))
        self.downsample = None
        if stride > 1 or cin != 4 * planes:
            self.downsample = nn.Sequential(nn.AvgPool2d(stride), *conv_bn(cin, 4 * planes, 1))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.main(x) + identity)


class AttentionPool(nn.Module):
    def __init__(self, grid, width, heads, embed):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, width) / width ** 0.5)
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(width, width) for _ in range(3))
        self.c_proj = nn.Linear(width, embed)
        self.heads = heads

    def forward(self, x):
        x = x.flatten(2).permute(2, 0, 1)  # [cells, batch, width]
        x = torch.cat([x.mean(dim=0, keepdim=True), x]) + self.positional_embedding[:, None, :]
        out, _ = F.multi_head_attention_forward(
            query=x, key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=self.heads,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight,
            in_proj_weight=None, in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=self.c_proj.weight,
            out_proj_bias=self.c_proj.bias, use_separate_proj_weight=True, training=False, need_weights=False)
        return out[0]


class ModifiedResNet(nn.Module):
    def __init__(self, stages, width, resolution, embed):
        super().__init__()
        self.stem = nn.Sequential(*conv_bn(3, width // 2, 3, stride=2), nn.ReLU(inplace=True),
                                  *conv_bn(width // 2, width // 2, 3), nn.ReLU(inplace=True),
                                  *conv_bn(width // 2, width, 3), nn.ReLU(inplace=True), nn.AvgPool2d(2))
        blocks, cin = [], width
        for i, depth in enumerate(stages):
            planes = width << i
            for b in range(depth):
                blocks.append(Bottleneck(cin, planes, 2 if i > 0 and b == 0 else 1))
                cin = 4 * planes
        self.blocks = nn.Sequential(*blocks)
        self.attnpool = AttentionPool(resolution // 32, 32 * width, 32 * width // 64, embed)

    def forward(self, x):
        return self.attnpool(self.blocks(self.stem(x)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="RN50", choices=sorted(ARCHS))
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--channels-last", action="store_true", help="NHWC tensors (not what OpenAI's code does)")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    stages, width, res, embed = ARCHS[a.arch]
    model = ModifiedResNet(stages, width, res, embed).eval()
    for m in model.modules():  # eval-mode statistics that are not the identity
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.01)
            m.running_var.uniform_(0.5, 2)
    images = torch.randn(a.batch, 3, res, res)
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    times = []
    with torch.inference_mode():
        model(images)  # warm-up
        for _ in range(a.reps):
            t0 = time.perf_counter()
            model(images)
            times.append(time.perf_counter() - t0)
    best = min(times)
    print(json.dumps({"arch": a.arch, "batch": a.batch, "resolution": res, "threads": torch.get_num_threads(),
                      "channels_last": a.channels_last, "best_s": best, "images_per_s": a.batch / best,
                      "parameters": sum(p.numel() for p in model.parameters()),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
