"""Choose the occupancy level at which inference extracts the surface, on the held-out (val) shards.

A network trained with binary cross-entropy is not guaranteed to cross 0.5 exactly on the surface: where it is
unsure (the face's fine relief, seen through a FLAME prior a few mm off) the transition is wide and its 0.5 level
can sit inside or outside the truth. This sweeps the level over the val split's near-surface points (the
generator's first 80 %, within ~1.6 or ~8 mm of the true surface) and its uniform points (volumetric IoU), and
keeps the level with the best mean of the two: the boundary alone favours a low level that inflates the far field
(thin false sheets), the volumetric IoU alone hardly sees a surface a couple of millimetres off.
The chosen level goes into seif-net.json as `surface_level` (libs/seif-core reads it; default 0.5 when absent),
with the sweep as `surface_level_calibration`.

    /usr/bin/python3 models/training/calibrate.py --checkpoint runs/lite-v1/checkpoint.pt --data data/synth-v1 \\
        --write runs/lite-v1 [--write models/weights/seif-lite --manifest-id seif-lite]

`--manifest-id` refreshes that entry of models/weights/manifest.json (seif-net.json's sha256 and size, and
metrics.surface_level) after writing into its directory.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from dataset import ShardDataset, split_shards
from ship import ROOT, sha256
from train import point_groups

LEVELS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]


@torch.no_grad()
def sweep(net, data: str, val_shards: int = 1) -> dict:
    """IoU of (p > level) per level over the val split's near-surface and uniform points."""
    _, val = split_shards(data, val_shards)
    ds = ShardDataset(val, net.cfg.channels, net.cfg.image_size, 10 ** 9, deterministic=True)
    counts = {(g, level): [0, 0] for g in ("near_surface", "uniform") for level in LEVELS}
    net.eval()
    for k in range(len(ds)):
        img, pts, occ, cp, _ = ds[k]
        occ_logit, _ = net(img[None], pts[None], cp[None])[-1]
        p = torch.sigmoid(occ_logit)[0]
        gt = occ > 0.5
        for group, (a, b) in point_groups(gt.shape[-1]).items():
            for level in LEVELS:
                pred = p[a:b] > level
                counts[(group, level)][0] += int((pred & gt[a:b]).sum())
                counts[(group, level)][1] += int((pred | gt[a:b]).sum())
    table = [{"level": level,
              "iou_near_surface": round(counts[("near_surface", level)][0] / max(1, counts[("near_surface", level)][1]), 4),
              "iou_uniform": round(counts[("uniform", level)][0] / max(1, counts[("uniform", level)][1]), 4)}
             for level in LEVELS]
    best = max(table, key=lambda r: r["iou_near_surface"] + r["iou_uniform"])
    return {"surface_level": best["level"], "surface_level_calibration": {
        "split": "val", "samples": len(ds), "criterion": "best mean of the near-surface and the volumetric (uniform points) IoU", "table": table}}


def write_level(directory: Path, result: dict) -> Path:
    spec_path = directory / "seif-net.json"
    spec = json.loads(spec_path.read_text())
    spec.update(result)
    spec_path.write_text(json.dumps(spec, indent=1) + "\n")
    return spec_path


def refresh_manifest(entry_id: str, spec_path: Path, level: float) -> None:
    manifest_path = ROOT / "weights" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    entry = next((w for w in manifest["weights"] if w["id"] == entry_id), None)
    if entry is None:
        raise SystemExit(f"no entry {entry_id!r} in {manifest_path}")
    entry["files"]["seif-net.json"] = {"sha256": sha256(spec_path), "bytes": spec_path.stat().st_size}
    entry["metrics"]["surface_level"] = level
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")


def main():
    from export import load_checkpoint
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--val-shards", type=int, default=1)
    ap.add_argument("--write", action="append", default=[], help="directory whose seif-net.json gets the level")
    ap.add_argument("--manifest-id", help="refresh this manifest entry (its directory must be among --write)")
    a = ap.parse_args()
    result = sweep(load_checkpoint(a.checkpoint), a.data, a.val_shards)
    for row in result["surface_level_calibration"]["table"]:
        print(f"level {row['level']:.2f}  IoU near surface {row['iou_near_surface']:.4f}  uniform {row['iou_uniform']:.4f}")
    print(f"surface_level {result['surface_level']}")
    for d in a.write:
        path = write_level(Path(d), result)
        if a.manifest_id and Path(d).resolve() == (ROOT / "weights" / a.manifest_id).resolve():
            refresh_manifest(a.manifest_id, path, result["surface_level"])
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
