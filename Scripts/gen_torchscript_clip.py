#!/usr/bin/env python3
"""Writes a TorchScript CLIP archive like the ones clip.load downloads, from CLIP weights in
a safetensors file with OpenAI's names: OpenAI's own model.py (pip install --no-deps
openai-clip) builds the model with build_model, torch.jit.trace traces it, and the archive
is saved. Used by CLIPTests (TorchWeights) when torch and openai-clip are installed.

usage: gen_torchscript_clip.py WEIGHTS.safetensors OUT.pt
exit 3 when torch, safetensors or openai-clip is missing.
"""
import importlib.util, sys

try:
    import torch
    from safetensors.torch import load_file
    found = importlib.util.find_spec("clip")
    model_py = found and [p for p in found.submodule_search_locations][0] + "/model.py"
    spec = importlib.util.spec_from_file_location("clip_model", model_py)  # not clip/__init__ (torchvision)
    clip_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clip_model)
except Exception as error:  # noqa: BLE001 - any missing piece means: skip
    print("MISSING", error)
    sys.exit(3)

state = load_file(sys.argv[1])
model = clip_model.build_model({k: v.clone() for k, v in state.items()}).float().eval()
size = model.visual.input_resolution
text = torch.zeros(1, model.context_length, dtype=torch.long)
text[0, :3] = torch.tensor([49406, 320, 49407])
torch.jit.trace(model, (torch.randn(1, 3, size, size), text), check_trace=False).save(sys.argv[2])
