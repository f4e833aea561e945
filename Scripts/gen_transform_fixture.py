#!/usr/bin/env python3
"""Reference outputs for the training/test transforms, computed with Pillow.

Writes Tests/Fixtures/transforms/transforms.json (the cases) and transforms.safetensors
(the results). Each case applies, to one fixture image opened as Dassl's read_image does
(`Image.open(path).convert("RGB")`):

- "resized_crop": torchvision's F.resized_crop on a PIL image with FIXED parameters, i.e.
  `img.crop((left, top, left + width, top + height)).resize((out_w, out_h), Image.BICUBIC)`,
  then `transpose(FLIP_LEFT_RIGHT)` when "flip" is true (RandomHorizontalFlip on PIL).
- "test": Dassl's _build_transform_test geometry (of the crop left/top/width/height of the
  image first, when the case has one, to get a tall image): Resize(max(H, W)) of the shorter side
  (torchvision: short -> S, long -> int(S * long / short)), then CenterCrop((H, W)) with
  top = int(round((h - H) / 2.0)), left likewise.

Pillow 13 runs its vertical resampling pass first when the height shrinks by more than
twice as many pixels as the width; cases "jpeg_tensor_flip", "png_portrait_crop_vertical_first"
and "test_tall_image" take that path (Pillow <= 12 would differ by 1 in some pixels).

Results are uint8 [H, W, 3] ("<name>"). Cases with "tensor": true also store the float32
CHW tensor after ToTensor + Normalize ("<name>.tensor"): x / 255 then (x - mean) / std,
every operation in float32 as torch does.

Usage: python3 Scripts/gen_transform_fixture.py   (needs Pillow, numpy, safetensors)
"""
import hashlib
import json
import os

import numpy as np
import PIL
from PIL import Image
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES = os.path.join(ROOT, "Tests", "Fixtures", "preprocess")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "transforms")
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

# name, image, (top, left, height, width), (out_w, out_h), flip, tensor
CROPS = [
    ("jpeg_mixed_scale_flip", "chelsea_q90.jpg", (30, 50, 200, 260), (224, 224), True, False),
    ("png_downscale_flip", "astronaut.png", (100, 37, 400, 333), (224, 224), True, False),
    ("png_whole_image", "coffee.png", (0, 0, 400, 600), (224, 224), False, False),
    ("jpeg_tiny_corner_upscale", "chelsea_q90.jpg", (283, 428, 17, 23), (224, 224), False, False),
    ("png_non_square_output", "astronaut.png", (10, 20, 300, 200), (96, 128), True, False),
    ("palette_png_flip", "bunny_01.png", (40, 3, 301, 350), (64, 64), True, False),
    ("rgba_png", "dog_04_drawn_with_strai_01.png", (5, 100, 120, 90), (48, 40), False, False),
    ("jpeg_tensor_flip", "chelsea_q90.jpg", (5, 7, 120, 90), (64, 64), True, True),
    ("png_portrait_crop_vertical_first", "astronaut.png", (50, 60, 400, 300), (224, 224), False, False),
]
# name, image, (H, W), tensor, pre-crop box (a tall image from a fixture) or None
TESTS = [
    ("test_non_square_size", "chelsea_q90.jpg", (160, 224), False, None),
    ("test_square_tensor", "coffee.png", (48, 48), True, None),
    ("test_tall_image", "astronaut.png", (64, 64), False, (0, 0, 150, 512)),
]


def read_image(name):
    return Image.open(os.path.join(IMAGES, name)).convert("RGB")


def to_tensor(img):
    x = np.asarray(img, dtype=np.uint8).astype(np.float32) / np.float32(255)
    mean = np.array(MEAN, dtype=np.float32)
    std = np.array(STD, dtype=np.float32)
    x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1)).astype(np.float32)


def test_geometry(img, h, w):
    side = max(h, w)
    iw, ih = img.size
    short, long = min(iw, ih), max(iw, ih)
    new_short, new_long = side, int(side * long / short)
    size = (new_short, new_long) if iw <= ih else (new_long, new_short)
    if size != img.size:
        img = img.resize(size, Image.BICUBIC)
    iw, ih = img.size
    top = int(round((ih - h) / 2.0))
    left = int(round((iw - w) / 2.0))
    return img.crop((left, top, left + w, top + h))


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors, cases = {}, []
    for name, image, (top, left, height, width), (out_w, out_h), flip, tensor in CROPS:
        img = read_image(image)
        out = img.crop((left, top, left + width, top + height)).resize((out_w, out_h), Image.BICUBIC)
        if flip:
            out = out.transpose(Image.FLIP_LEFT_RIGHT)
        tensors[name] = np.asarray(out, dtype=np.uint8).copy()
        if tensor:
            tensors[name + ".tensor"] = to_tensor(out)
        cases.append({"name": name, "kind": "resized_crop", "image": image, "top": top, "left": left,
                      "height": height, "width": width, "out_width": out_w, "out_height": out_h,
                      "flip": flip, "tensor": tensor})
    for name, image, (h, w), tensor, box in TESTS:
        img = read_image(image)
        if box is not None:
            img = img.crop(box)
        out = test_geometry(img, h, w)
        tensors[name] = np.asarray(out, dtype=np.uint8).copy()
        if tensor:
            tensors[name + ".tensor"] = to_tensor(out)
        case = {"name": name, "kind": "test", "image": image, "out_width": w, "out_height": h,
                "flip": False, "tensor": tensor}
        if box is not None:
            case.update({"left": box[0], "top": box[1], "width": box[2] - box[0], "height": box[3] - box[1]})
        cases.append(case)
    images = {}
    for c in cases:
        with open(os.path.join(IMAGES, c["image"]), "rb") as f:
            images[c["image"]] = hashlib.sha256(f.read()).hexdigest()
    meta = {"format_version": 1, "pillow": PIL.__version__, "numpy": np.__version__,
            "mean": MEAN, "std": STD, "image_sha256": images, "cases": cases}
    save_file(tensors, os.path.join(OUT, "transforms.safetensors"))
    with open(os.path.join(OUT, "transforms.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
