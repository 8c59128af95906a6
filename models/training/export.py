"""Export a trained SeIF network as two ONNX graphs (opset 17; grid_sample needs >= 16):

    encoder.onnx  image    float32 [B, C, S, S]          -> feature  float32 [B, F, S/2 or S/4, same]
    decoder.onnx  feature  float32 [B, F, H, W]
                  points   float32 [B, N, 3]  (SeIF frame)
                  codes    float32 [B, N, 3]  (semantic field s(X), [0,1]^3, 0 outside the face/ears region)
                                                            -> occupancy float32 [B, N] in [0,1]
                                                               code      float32 [B, N, 3] in [0,1]
plus seif-net.json (config, channel order and encodings, names, shapes, opset) for the inference side.

    /usr/bin/python3 models/training/export.py --checkpoint <run>/checkpoint.pt --out <dir>
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seif_net import ExportDecoder, ExportEncoder, SeifConfig, SeifNet  # noqa: E402

CHANNEL_ENCODING = {
    "rgb": "sRGB / 255, 3 channels",
    "flame_normal": "fitted-FLAME normals in the SeIF frame, [-1,1], 0 off the mesh, 3 channels",
    "flame_depth": "2 x fitted-FLAME SeIF-frame Z, 0 off the mesh, 1 channel",
    "mask": "foreground mask in [0,1], 1 channel",
}


def load_checkpoint(path) -> SeifNet:
    ck = torch.load(path, map_location="cpu")
    cfg = SeifConfig(**ck["config"])
    net = SeifNet(cfg)
    net.load_state_dict(ck["state_dict"])
    net.eval()
    return net


def _sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def export_onnx(net: SeifNet, cfg: SeifConfig, out_dir, opset: int = 17) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    net = net.cpu().eval()
    enc, dec = ExportEncoder(net).eval(), ExportDecoder(net).eval()
    S = cfg.image_size
    image = torch.zeros(1, cfg.in_channels, S, S)
    with torch.no_grad():
        encoded = enc(image)
    feature, prior_depth = encoded if cfg.prior_offset else (encoded, None)
    points = torch.zeros(1, 64, 3)
    codes = torch.zeros(1, 64, 3)
    enc_outputs = ["feature"] + (["prior_depth"] if cfg.prior_offset else [])
    torch.onnx.export(enc, (image,), str(out / "encoder.onnx"), opset_version=opset, input_names=["image"],
                      output_names=enc_outputs, dynamic_axes={"image": {0: "batch"}, **{o: {0: "batch"} for o in enc_outputs}},
                      do_constant_folding=True)
    dec_inputs = ["feature", "points", "codes"] + (["prior_depth"] if cfg.prior_offset else [])
    dec_args = (feature, points, codes) + ((prior_depth,) if cfg.prior_offset else ())
    torch.onnx.export(dec, dec_args, str(out / "decoder.onnx"), opset_version=opset,
                      input_names=dec_inputs, output_names=["occupancy", "code"],
                      dynamic_axes={"feature": {0: "batch"}, "points": {0: "batch", 1: "n"}, "codes": {0: "batch", 1: "n"},
                                    **({"prior_depth": {0: "batch"}} if cfg.prior_offset else {}),
                                    "occupancy": {0: "batch", 1: "n"}, "code": {0: "batch", 1: "n"}},
                      do_constant_folding=True)
    depth_shape = {"prior_depth": [None, 1, S, S]} if cfg.prior_offset else {}
    info = {
        "config": cfg.to_json(), "opset": opset,
        "encoder": {"file": "encoder.onnx", "sha256": _sha256(out / "encoder.onnx"), "bytes": (out / "encoder.onnx").stat().st_size,
                    "inputs": {"image": [None, cfg.in_channels, S, S]}, "outputs": {"feature": [None, *feature.shape[1:]], **depth_shape}},
        "decoder": {"file": "decoder.onnx", "sha256": _sha256(out / "decoder.onnx"), "bytes": (out / "decoder.onnx").stat().st_size,
                    "inputs": {"feature": [None, *feature.shape[1:]], "points": [None, None, 3], "codes": [None, None, 3], **depth_shape},
                    "outputs": {"occupancy": [None, None], "code": [None, None, 3]}},
        "channels": [{"name": c, "encoding": CHANNEL_ENCODING[c]} for c in cfg.channels],
        "projection": "u = 2X, v = -2Y; grid_sample bilinear, align_corners=False, zeros outside the crop",
    }
    (out / "seif-net.json").write_text(json.dumps(info, indent=1))
    return info


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--opset", type=int, default=17)
    a = ap.parse_args()
    net = load_checkpoint(a.checkpoint)
    print(json.dumps(export_onnx(net, net.cfg, a.out, a.opset), indent=1))
