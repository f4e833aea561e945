#!/usr/bin/env python3
"""Converts an OpenAI CLIP checkpoint (.pt) to a safetensors file that cocoop reads.

The files `clip.load("ViT-B/16")` downloads (~/.cache/clip/ViT-B-16.pt, the ones CoOp
uses) are TorchScript archives; plain `torch.save`d state dicts work too. The tensors keep
OpenAI's names (visual.conv1.weight, transformer.resblocks.0.attn.in_proj_weight, ...,
text_projection, logit_scale; a ResNet's visual.layer1.0.conv1.weight, its BatchNorm
statistics and int64 step counters); the three scalar entries OpenAI's build_model drops
(input_resolution, context_length, vocab_size) are dropped here too.

    pip install torch safetensors
    python3 Scripts/convert_openai_clip.py ~/.cache/clip/ViT-B-16.pt ViT-B-16.safetensors [--dtype f32]
    cocoop embed --model ViT-B-16.safetensors --text "a photo of a cat."

--dtype keeps the checkpoint's own type by default (float16 for OpenAI's files; cocoop
computes in float32 either way).
"""
import argparse
import sys

import torch
from safetensors.torch import save_file

DROPPED = ("input_resolution", "context_length", "vocab_size")
DTYPES = {"keep": None, "f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def load_state_dict(path):
    """The state dict of a TorchScript archive or of a torch.save'd dict / module."""
    try:
        return torch.jit.load(path, map_location="cpu").state_dict()
    except RuntimeError:
        obj = torch.load(path, map_location="cpu", weights_only=False)
        if isinstance(obj, dict):
            return obj.get("state_dict", obj)
        return obj.state_dict()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="OpenAI CLIP .pt (TorchScript or state dict)")
    parser.add_argument("output", help="the .safetensors file to write")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="keep")
    args = parser.parse_args()

    state = load_state_dict(args.checkpoint)
    if "visual.conv1.weight" not in state or "token_embedding.weight" not in state:
        sys.exit(f"{args.checkpoint}: not an OpenAI CLIP checkpoint "
                 "(no visual.conv1.weight / token_embedding.weight)")
    dtype = DTYPES[args.dtype]
    tensors = {}
    for name, value in state.items():
        if name in DROPPED:
            continue
        t = value.detach().cpu()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        tensors[name] = t.contiguous()
    save_file(tensors, args.output, metadata={"source": args.checkpoint, "format": "pt"})
    print(f"wrote {args.output}: {len(tensors)} tensors, "
          f"{sum(t.numel() for t in tensors.values()):,} values")


if __name__ == "__main__":
    main()
