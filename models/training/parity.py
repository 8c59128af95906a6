"""Print PyTorch outputs of an exported SeIF network for fixed inputs, as JSON, for the ONNX parity test
(models/test/seif-net-parity.test.ts computes the same inputs and runs onnxruntime-node).

Fixed inputs (computed in float64, then rounded to float32, identically in TypeScript):
    image[0, c, y, x] = v if v >= 0.25 else 0,  v = 0.5 + 0.45 * sin(0.05 * x + 0.5 * c) * cos(0.07 * y - 0.3 * c)
                        (the zeros make holes in the depth plane, as off the mesh)
    points[0, k]      = 0.45 * (sin(1.3 k + 0.1), sin(0.7 k + 1.0), sin(0.37 k + 2.0))
    codes[0, k, j]    = 0.5 + 0.5 * sin(0.11 k + j)

    /usr/bin/python3 models/training/parity.py --checkpoint <run>/checkpoint.pt --points 300 [--stride 997]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import load_checkpoint  # noqa: E402
from seif_net import ExportDecoder, ExportEncoder  # noqa: E402


def fixed_inputs(channels: int, size: int, n: int):
    c, y, x = np.meshgrid(np.arange(channels), np.arange(size), np.arange(size), indexing="ij")
    v = 0.5 + 0.45 * np.sin(0.05 * x + 0.5 * c) * np.cos(0.07 * y - 0.3 * c)
    image = np.where(v < 0.25, 0.0, v).astype(np.float32)[None]
    k = np.arange(n, dtype=np.float64)
    points = (0.45 * np.stack([np.sin(1.3 * k + 0.1), np.sin(0.7 * k + 1.0), np.sin(0.37 * k + 2.0)], -1)).astype(np.float32)[None]
    codes = (0.5 + 0.5 * np.sin(0.11 * k[:, None] + np.arange(3)[None, :])).astype(np.float32)[None]
    return image, points, codes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--points", type=int, default=300)
    ap.add_argument("--stride", type=int, default=997, help="feature map values reported: every stride-th")
    a = ap.parse_args()
    torch.set_num_threads(2)
    net = load_checkpoint(a.checkpoint)
    cfg = net.cfg
    image, points, codes = fixed_inputs(cfg.in_channels, cfg.image_size, a.points)
    with torch.no_grad():
        encoded = ExportEncoder(net)(torch.from_numpy(image))
        feature, prior_depth = encoded if cfg.prior_offset else (encoded, None)
        occ, code = ExportDecoder(net)(feature, torch.from_numpy(points), torch.from_numpy(codes), prior_depth)
    f = feature.numpy().ravel()
    print(json.dumps({
        "config": cfg.name, "priorOffset": cfg.prior_offset, "channels": cfg.in_channels, "imageSize": cfg.image_size, "points": a.points,
        "feature": {"shape": list(feature.shape), "stride": a.stride, "values": f[::a.stride].tolist(),
                    "absMean": float(np.abs(f).mean())},
        "occupancy": occ.numpy().ravel().tolist(), "code": code.numpy().ravel().tolist(),
    }))


if __name__ == "__main__":
    main()
