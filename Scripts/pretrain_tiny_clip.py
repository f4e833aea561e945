#!/usr/bin/env python3
"""Pretrains the demo's tiny CLIP (Demo/tiny_clip.safetensors) on real images.

A CLIP of OpenAI's architecture (ViT image tower, causal text transformer, QuickGELU,
LayerNorm eps 1e-5, heads = width / 64) is trained contrastively on Fashion-MNIST
(dataset-fashion-mnist, Debian) and clip art (openclipart-png, Debian) with captions made
from the labels and file names ("a photo of a sneaker.", "clip art of a badger."). The
weights are saved in float16 under OpenAI's state-dict names, so cocoop's loader reads
them exactly as it reads real CLIP weights.

The data is read from the folders `cocoop demo-data` writes (CoOp's split-file layout),
and captions are tokenised by `cocoop tokenize`, so pixels and token ids are the ones the
Swift side sees. See Demo/MODEL_CARD.md for the command line, versions and results.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SOT, EOT = 49406, 49407
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


# MARK: - Model (OpenAI CLIP's architecture and state-dict names)

class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    """nn.MultiheadAttention's parameter names (in_proj_weight, out_proj) with SDPA inside."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, causal):
        b, n, w = x.shape
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).split(w, dim=-1)
        q, k, v = (t.view(b, n, self.heads, w // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return self.out_proj(y.transpose(1, 2).reshape(b, n, w))


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.attn = Attention(width, heads)
        self.ln_1 = nn.LayerNorm(width, eps=1e-5)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, 4 * width))
        self.mlp.add_module("gelu", QuickGELU())
        self.mlp.add_module("c_proj", nn.Linear(4 * width, width))
        self.ln_2 = nn.LayerNorm(width, eps=1e-5)

    def forward(self, x, causal):
        x = x + self.attn(self.ln_1(x), causal)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, causal):
        super().__init__()
        self.causal = causal
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, width // 64) for _ in range(layers)])

    def forward(self, x):
        for block in self.resblocks:
            x = block(x, self.causal)
        return x


class VisionTransformer(nn.Module):
    def __init__(self, resolution, patch, width, layers, embed_dim):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((resolution // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width, eps=1e-5)
        self.transformer = Transformer(width, layers, causal=False)
        self.ln_post = nn.LayerNorm(width, eps=1e-5)
        self.proj = nn.Parameter(scale * torch.randn(width, embed_dim))

    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)                        # [B, G*G, W]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.transformer(self.ln_pre(x))
        return self.ln_post(x[:, 0]) @ self.proj


class TinyCLIP(nn.Module):
    """OpenAI's CLIP with a ViT image tower; parameter names equal OpenAI's state dict."""

    def __init__(self, embed_dim, image_resolution, vision_layers, vision_width, vision_patch_size,
                 context_length, vocab_size, text_width, text_layers):
        super().__init__()
        self.visual = VisionTransformer(image_resolution, vision_patch_size, vision_width, vision_layers, embed_dim)
        self.transformer = Transformer(text_width, text_layers, causal=True)
        self.token_embedding = nn.Embedding(vocab_size, text_width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, text_width))
        self.ln_final = nn.LayerNorm(text_width, eps=1e-5)
        self.text_projection = nn.Parameter(torch.empty(text_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self._init_like_openai(vision_width, vision_layers, text_width, text_layers)

    def _init_like_openai(self, vision_width, vision_layers, text_width, text_layers):
        # OpenAI's CLIP.initialize_parameters (the vision tower keeps its own init above).
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        for tower, width, layers in ((self.transformer, text_width, text_layers),
                                     (self.visual.transformer, vision_width, vision_layers)):
            proj_std = width ** -0.5 * (2 * layers) ** -0.5
            attn_std = width ** -0.5
            fc_std = (2 * width) ** -0.5
            for block in tower.resblocks:
                nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
                nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
                nn.init.zeros_(block.attn.out_proj.bias)
                nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
                nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=text_width ** -0.5)

    def encode_image(self, images):
        return self.visual(images)

    def encode_text(self, tokens):
        """tokens: [B, N] ids (SOT ... EOT 0 ...), N <= context length; pooled at the EOT (argmax id)."""
        n = tokens.shape[1]
        x = self.token_embedding(tokens) + self.positional_embedding[:n]
        x = self.ln_final(self.transformer(x))
        return x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)] @ self.text_projection

    def state_dict_openai(self):
        """The state dict under OpenAI's names (those of this module), float16, contiguous."""
        return {k: v.detach().to(torch.float16).contiguous() for k, v in self.state_dict().items()}


# MARK: - Data (the folders `cocoop demo-data` writes)

# Captions for Fashion-MNIST images are written like web alt text, as CLIP's were: the words
# people use for the garment (the dataset's class names among them, but not the composite
# "t-shirt/top") in the phrasings of shops and posts. The evaluation prompt "a photo of a {}."
# never occurs, so zero-shot classification leans on the text tower generalising, as it does
# for real CLIP; closing that gap with a few labelled images is what prompt learning is for.
FASHION_WORDS = {
    "t-shirt/top": ["t-shirt", "tee", "top", "tank top"],
    "trouser": ["trouser", "trousers", "pants", "jeans"],
    "pullover": ["sweater", "jumper", "pullover", "knit sweater"],
    "dress": ["dress", "summer dress", "gown"],
    "coat": ["coat", "jacket", "parka"],
    "sandal": ["sandal", "sandals", "flip flops"],
    "shirt": ["shirt", "blouse", "button-down shirt"],
    "sneaker": ["sneaker", "sneakers", "trainers", "running shoes"],
    "bag": ["bag", "handbag", "purse", "tote bag"],
    "ankle boot": ["ankle boot", "ankle boots", "boots", "booties"],
}
FASHION_TEMPLATES = [
    "{}.", "{} for sale.", "women's {}.", "men's {}.", "black and white photo of {}.", "product image: {}.",
    "cheap {} online.", "my new {}!", "{} on a black background.", "grayscale picture of {}.", "low resolution {}.",
    "close-up of the {}.", "the {} i bought yesterday.", "catalog photo of {}.", "vintage {}.", "{}, size m.",
]
CLIPART_TEMPLATES = ["clip art of a {}.", "a drawing of a {}.", "an illustration of a {}.", "a cartoon of a {}.",
                     "clip art of {}, {}.", "a {} icon."]


def read_split(data, split_file, split):
    """[(absolute image path, label, classname)] of one split of a CoOp split file."""
    path = os.path.join(data, split_file)
    if not os.path.exists(path):
        sys.exit(f"pretrain: {path} is missing; convert the data first:\n"
                 f"  cocoop demo-data --output {data} --openclipart /usr/share/openclipart/png")
    folder = os.path.dirname(path)
    with open(path) as f:
        return [(os.path.join(folder, p), label, name) for p, label, name in json.load(f)[split]]


def load_images(items, resolution):
    """uint8 [N, 3, R, R]: each file read with Pillow, converted to RGB and resized (bicubic)
    to R x R, exactly as cocoop's test transform does for square images."""
    from PIL import Image
    out = np.empty((len(items), 3, resolution, resolution), dtype=np.uint8)
    for i, (path, _, _) in enumerate(items):
        im = Image.open(path).convert("RGB")
        if im.size != (resolution, resolution):
            im = im.resize((resolution, resolution), Image.BICUBIC)
        out[i] = np.asarray(im).transpose(2, 0, 1)
    return torch.from_numpy(out)


def clipart_description(path, whole_words):
    """Words of a clip-art file name up to the first one that is not a whole word of CLIP's
    vocabulary (authors' names and cut-off words usually follow the subject); at most 3."""
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    words = [w for w in stem.replace("-", "_").replace(".", "_").replace(" ", "_").split("_")
             if len(w) > 1 and not any(c.isdigit() for c in w)]
    kept = []
    for w in words:
        if w not in whole_words or len(kept) == 3:
            break
        kept.append(w)
    return " ".join(kept)


class Tokenizer:
    """CLIP's tokeniser through `cocoop tokenize --json`, so ids equal the Swift side's."""

    def __init__(self, cocoop):
        self.cocoop = cocoop
        self.cache = {}

    def ids(self, texts):
        todo = sorted({t for t in texts if t not in self.cache})
        for start in range(0, len(todo), 400):
            chunk = todo[start:start + 400]
            out = subprocess.run([self.cocoop, "tokenize", "--json", "--", *chunk], check=True,
                                 capture_output=True, text=True).stdout
            for line in out.splitlines():
                row = json.loads(line)
                self.cache[row["text"]] = row["ids"]
        return [self.cache[t] for t in texts]

    def padded(self, texts, context_length=77):
        """[len(texts), N] long tensor: SOT ids EOT 0..., N = the longest (at most 77)."""
        rows = [[SOT] + ids[:context_length - 2] + [EOT] for ids in self.ids(texts)]
        n = max(len(r) for r in rows)
        return torch.tensor([r + [0] * (n - len(r)) for r in rows], dtype=torch.long)


class CaptionedImages:
    """Images, and for each a key (same key = same meaning, a positive pair) and captions."""

    def __init__(self, args, tokenizer, resolution):
        fashion = read_split(args.data, "fashion_mnist/split_fashion_mnist.json", "train")
        clipart = read_split(args.data, "openclipart/split_openclipart.json", "train") if args.clipart_repeat > 0 else []
        t0 = time.time()
        images = [load_images(fashion, resolution)] + ([load_images(clipart, resolution)] if clipart else [])
        self.images = torch.cat(images)
        log(f"read {len(fashion)} Fashion-MNIST and {len(clipart)} clip-art images in {time.time() - t0:.0f} s")
        self.captions = []       # per item: list of caption strings
        self.keys = []           # per item: an int; equal keys are positives
        names = {label: name for _, label, name in fashion}
        self.classnames = [names[label] for label in range(len(names))]
        for _, label, name in fashion:
            self.keys.append(label)
            self.captions.append(label)  # index into fashion_captions
        self.fashion_captions = []
        for name in self.classnames:
            names = FASHION_WORDS[name]
            self.fashion_captions.append([t.format(n) for t in FASHION_TEMPLATES for n in names])
        # Clip art: captions from the file name and the folder; key = the description.
        words = set()
        for path, _, _ in clipart:
            stem = os.path.splitext(os.path.basename(path))[0].lower()
            words.update(w for w in stem.replace("-", "_").replace(".", "_").split("_") if len(w) > 1)
        whole = {w for w, ids in zip(sorted(words), tokenizer.ids(sorted(words))) if len(ids) == 1}
        key_of = {}
        self.clipart_captions = []
        for path, _, folder in clipart:
            desc = clipart_description(path, whole) or folder
            key = key_of.setdefault(desc, 1000 + len(key_of))
            caps = [t.format(desc, folder) if t.count("{}") == 2 else t.format(desc) for t in CLIPART_TEMPLATES]
            self.clipart_captions.append(caps)
            self.keys.append(key)
            self.captions.append(-1 - (len(self.clipart_captions) - 1))
        self.keys = torch.tensor(self.keys)
        self.n_fashion = len(fashion)
        self.n_clipart = len(clipart)
        examples = [c[0] for c in self.clipart_captions[::max(1, len(self.clipart_captions) // 6)]]
        log(f"{len(key_of)} clip-art descriptions, e.g. {examples}")

    def caption(self, index, rng):
        c = self.captions[index]
        pool = self.fashion_captions[c] if c >= 0 else self.clipart_captions[-1 - c]
        return pool[rng.randrange(len(pool))]


# MARK: - Training

def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def normalize_images(batch_u8):
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (batch_u8.float() / 255 - mean) / std


def augment(x, generator):
    """Random resized crop (scale 0.35-1, ratio 3/4-4/3, bilinear) and horizontal flip, per image."""
    b = x.shape[0]
    scale = torch.empty(b).uniform_(0.35, 1.0, generator=generator)
    log_ratio = torch.empty(b).uniform_(math.log(3 / 4), math.log(4 / 3), generator=generator)
    ratio = log_ratio.exp()
    w = (scale * ratio).sqrt().clamp(max=1.0)
    h = (scale / ratio).sqrt().clamp(max=1.0)
    cx = (torch.rand(b, generator=generator) * 2 - 1) * (1 - w)
    cy = (torch.rand(b, generator=generator) * 2 - 1) * (1 - h)
    flip = torch.where(torch.rand(b, generator=generator) < 0.5, -1.0, 1.0)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = w * flip
    theta[:, 0, 2] = cx
    theta[:, 1, 1] = h
    theta[:, 1, 2] = cy
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def contrastive_loss(image_features, text_features, keys, logit_scale):
    """CLIP's symmetric cross-entropy where every pair with the same key is a positive
    (a batch holds many images of one Fashion-MNIST class)."""
    i = F.normalize(image_features, dim=-1)
    t = F.normalize(text_features, dim=-1)
    logits = logit_scale.exp() * i @ t.T
    positives = (keys[:, None] == keys[None, :]).float()
    targets = positives / positives.sum(dim=1, keepdim=True)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


@torch.no_grad()
def zero_shot_accuracy(model, images_u8, labels, classnames, tokenizer, template="a photo of a {}."):
    model.eval()
    text = F.normalize(model.encode_text(tokenizer.padded([template.format(c) for c in classnames])), dim=-1)
    correct = 0
    for start in range(0, len(images_u8), 1000):
        f = F.normalize(model.encode_image(normalize_images(images_u8[start:start + 1000])), dim=-1)
        correct += (f @ text.T).argmax(dim=1).eq(labels[start:start + 1000]).sum().item()
    model.train()
    return 100.0 * correct / len(images_u8)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="the folder `cocoop demo-data --openclipart ...` wrote")
    p.add_argument("--cocoop", default=".build/release/cocoop", help="the cocoop binary (for its tokeniser)")
    p.add_argument("--output", default="Demo/tiny_clip.safetensors")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--warmup-steps", type=int, default=200)
    p.add_argument("--keep-epochs", action="store_true", help="also write OUTPUT.epochN after every epoch")
    p.add_argument("--clipart-repeat", type=int, default=2, help="times each clip-art image is seen per epoch (0: none)")
    p.add_argument("--resolution", type=int, default=32)
    p.add_argument("--patch", type=int, default=8)
    p.add_argument("--vision-width", type=int, default=128)
    p.add_argument("--vision-layers", type=int, default=4)
    p.add_argument("--text-width", type=int, default=64)
    p.add_argument("--text-layers", type=int, default=3)
    p.add_argument("--embed-dim", type=int, default=64)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    started = time.time()
    log(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, {args.threads} threads, seed {args.seed}")

    tokenizer = Tokenizer(args.cocoop)
    data = CaptionedImages(args, tokenizer, args.resolution)
    test = read_split(args.data, "fashion_mnist/split_fashion_mnist.json", "test")
    test_images = load_images(test, args.resolution)
    test_labels = torch.tensor([label for _, label, _ in test])

    model = TinyCLIP(embed_dim=args.embed_dim, image_resolution=args.resolution, vision_layers=args.vision_layers,
                     vision_width=args.vision_width, vision_patch_size=args.patch, context_length=77,
                     vocab_size=49408, text_width=args.text_width, text_layers=args.text_layers)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    log(f"{sum(p.numel() for p in model.parameters()):,} parameters")

    order_base = list(range(data.n_fashion)) + [data.n_fashion + i for i in range(data.n_clipart)] * args.clipart_repeat
    steps_per_epoch = len(order_base) // args.batch_size
    total = steps_per_epoch * args.epochs
    step = 0
    for epoch in range(args.epochs):
        order = order_base[:]
        rng.shuffle(order)
        t0 = time.time()
        running = 0.0
        for s in range(steps_per_epoch):
            lr = args.lr * min(1.0, (step + 1) / args.warmup_steps) * 0.5 * (1 + math.cos(math.pi * step / total))
            for g in optimizer.param_groups:
                g["lr"] = lr
            idx = order[s * args.batch_size:(s + 1) * args.batch_size]
            images = augment(normalize_images(data.images[idx]), generator)
            captions = [data.caption(i, rng) for i in idx]
            unique = sorted(set(captions))
            where = {c: k for k, c in enumerate(unique)}
            text = model.encode_text(tokenizer.padded(unique))[torch.tensor([where[c] for c in captions])]
            loss = contrastive_loss(model.encode_image(images), text, data.keys[idx], model.logit_scale)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            running += loss.item()
            step += 1
            if step % 50 == 0:
                log(f"epoch {epoch + 1}/{args.epochs} step {s + 1}/{steps_per_epoch} loss {running / 50:.4f} "
                    f"lr {lr:.2e} scale {model.logit_scale.exp().item():.1f} ({(time.time() - t0) / (s + 1):.2f} s/step)")
                running = 0.0
        acc = zero_shot_accuracy(model, test_images, test_labels, data.classnames, tokenizer)
        log(f"epoch {epoch + 1}: zero-shot accuracy on the Fashion-MNIST test set {acc:.2f}% ({time.time() - t0:.0f} s)")
        if args.keep_epochs:
            from safetensors.torch import save_file
            save_file(model.state_dict_openai(), f"{args.output}.epoch{epoch + 1}")

    # Save in float16 under OpenAI's names; check the accuracy of the rounded weights.
    from safetensors.torch import save_file
    state = model.state_dict_openai()
    rounded = TinyCLIP(embed_dim=args.embed_dim, image_resolution=args.resolution, vision_layers=args.vision_layers,
                       vision_width=args.vision_width, vision_patch_size=args.patch, context_length=77,
                       vocab_size=49408, text_width=args.text_width, text_layers=args.text_layers)
    rounded.load_state_dict({k: v.float() for k, v in state.items()})
    acc16 = zero_shot_accuracy(rounded, test_images, test_labels, data.classnames, tokenizer)
    minutes = (time.time() - started) / 60
    metadata = {"format": "pt", "producer": "Scripts/pretrain_tiny_clip.py", "seed": str(args.seed),
                "arguments": json.dumps(vars(args), sort_keys=True), "torch": torch.__version__,
                "fashion_mnist_zero_shot_top1": f"{acc16:.2f}", "wall_minutes": f"{minutes:.1f}"}
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    save_file(state, args.output, metadata=metadata)
    log(f"float16 weights: zero-shot accuracy {acc16:.2f}%; wrote {args.output} "
        f"({os.path.getsize(args.output) / 1e6:.1f} MB) after {minutes:.1f} min")


if __name__ == "__main__":
    main()
