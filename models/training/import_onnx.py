"""Rebuild a training checkpoint from shipped ONNX weights, so a shipped network can be fine-tuned (train.py --init)
without the run directory it came from (runs/ is never committed).

    /usr/bin/python3 models/training/import_onnx.py --weights models/weights/seif-lite --out runs/from-onnx/checkpoint.pt

torch.onnx.export renames some parameters when it folds constants (a Linear weight becomes a transposed
`onnx::MatMul_91`, a GroupNorm scale an `onnx::Mul_279` of shape [C, 1, 1]), so names alone do not say where each
tensor came from. Instead the net of the shipped config is exported once with every parameter filled with its
own marker value (1000 + index); each initializer of that export then names its parameter by its value, and the
shipped file's initializer of the same name (same code, same torch: same graph) carries the weights. Initializers
that carry no marker (folded constants) must be identical in both files. The result is checked by exporting the
imported net again: every initializer must equal the shipped one bit for bit.

Needs the `onnx` Python package (Debian: python3-onnx); training itself does not.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import export_onnx  # noqa: E402
from seif_net import SeifConfig, SeifNet  # noqa: E402

MARKER_BASE = 1000.0


def _initializers(path: Path) -> dict:
    import onnx
    from onnx import numpy_helper
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}


def _marked_net(cfg: SeifConfig) -> tuple[SeifNet, list]:
    net = SeifNet(cfg)
    params = list(net.state_dict().items())
    with torch.no_grad():
        for k, (_, p) in enumerate(params):
            p.fill_(MARKER_BASE + k)
    return net, params


def _place(value: np.ndarray, shape: torch.Size, name: str) -> torch.Tensor:
    """The shipped tensor in the parameter's layout: as is, reshaped ([C,1,1] -> [C]) or transposed (MatMul)."""
    if tuple(value.shape) == tuple(shape):
        if name.startswith("onnx::MatMul") and value.ndim == 2:
            return torch.from_numpy(value.T.copy())  # square MatMul weights are stored as W^T too
        return torch.from_numpy(value.copy())
    if value.ndim == 2 and tuple(value.T.shape) == tuple(shape):
        return torch.from_numpy(value.T.copy())
    if value.size == int(np.prod(shape)):
        return torch.from_numpy(value.reshape(tuple(shape)).copy())
    raise ValueError(f"initializer {name} {value.shape} does not fit parameter shape {tuple(shape)}")


def import_weights(weights_dir: Path) -> SeifNet:
    info = json.loads((weights_dir / "seif-net.json").read_text())
    cfg = SeifConfig(**info["config"])
    net, params = _marked_net(cfg)
    state = {}
    with tempfile.TemporaryDirectory() as tmp:
        export_onnx(net, cfg, tmp, opset=info.get("opset", 17))
        for graph in ("encoder", "decoder"):
            marked = _initializers(Path(tmp) / f"{graph}.onnx")
            shipped = _initializers(weights_dir / info[graph]["file"])
            if set(marked) != set(shipped):
                raise ValueError(f"{graph}: the shipped graph's initializers differ from this code's export "
                                 f"(only shipped: {sorted(set(shipped) - set(marked))[:5]}, only here: {sorted(set(marked) - set(shipped))[:5]}); "
                                 "import with the code and torch version that exported it")
            for name, m in marked.items():
                k = int(round(float(m.flat[0]) - MARKER_BASE)) if m.size else -1
                if 0 <= k < len(params) and np.all(m == MARKER_BASE + k):
                    pname, p = params[k]
                    if pname in state:
                        raise ValueError(f"parameter {pname} appears twice ({name})")
                    state[pname] = _place(shipped[name], p.shape, name)
                elif not np.array_equal(m, shipped[name]):
                    raise ValueError(f"{graph}: initializer {name} carries no parameter marker but differs from the shipped one")
    missing = [n for n, _ in params if n not in state]
    if missing:
        raise ValueError(f"parameters not found in the ONNX graphs: {missing}")
    net = SeifNet(cfg)
    net.load_state_dict(state)
    return net.eval()


def verify(net: SeifNet, weights_dir: Path) -> int:
    """Exports the imported net and compares every initializer with the shipped files; returns how many matched."""
    info = json.loads((weights_dir / "seif-net.json").read_text())
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        export_onnx(net, net.cfg, tmp, opset=info.get("opset", 17))
        for graph in ("encoder", "decoder"):
            mine = _initializers(Path(tmp) / f"{graph}.onnx")
            shipped = _initializers(weights_dir / info[graph]["file"])
            for name, v in shipped.items():
                if not np.array_equal(v, mine[name]):
                    raise ValueError(f"{graph}: {name} differs after import (max |d| {np.abs(v - mine[name]).max():.3g})")
                n += 1
    return n


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help="directory with seif-net.json, encoder.onnx, decoder.onnx")
    ap.add_argument("--out", required=True, help="checkpoint.pt to write")
    a = ap.parse_args()
    weights = Path(a.weights)
    net = import_weights(weights)
    matched = verify(net, weights)
    meta = json.loads((weights / "metrics.json").read_text()) if (weights / "metrics.json").exists() else {}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": net.cfg.to_json(), "state_dict": net.state_dict(), "step": meta.get("steps"), "seed": meta.get("seed"),
                "imported_from": str(weights.resolve())}, out)
    print(f"imported {len(net.state_dict())} parameters from {weights} ({matched} initializers re-export identically) -> {out}")
