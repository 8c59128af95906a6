"""Ship a training run as the project's weights: copy its ONNX graphs, seif-net.json and metrics.json into
models/weights/<id>/ and write (or replace) the entry in models/weights/manifest.json with the files' sha256,
the training facts from metrics.json and, when given, an ablation table (JSON list of rows).

    /usr/bin/python3 models/training/ship.py --run runs/lite-v1 --id seif-lite --version 1 \\
        --data-recipe "npm run data:synth -- --count 600 --seed 1 --start 0|600 (production prior)" [--ablation ablation.json]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--data-recipe", required=True)
    ap.add_argument("--ablation")
    ap.add_argument("--notes", default="")
    ap.add_argument("--eval", help="JSON from train.py --eval-checkpoint: replaces the run's final validation")
    a = ap.parse_args()
    run = Path(a.run)
    metrics = json.loads((run / "metrics.json").read_text())
    out = ROOT / "weights" / a.id
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in ["encoder.onnx", "decoder.onnx", "seif-net.json", "metrics.json"]:
        shutil.copyfile(run / name, out / name)
        files[name] = {"sha256": sha256(out / name), "bytes": (out / name).stat().st_size}
        if (out / name).stat().st_size >= 30e6:
            raise SystemExit(f"{name} is {(out / name).stat().st_size / 1e6:.1f} MB: over the 30 MB limit for committed weights")
    val = json.loads(Path(a.eval).read_text()) if a.eval else metrics["validation"]
    entry = {
        "id": a.id, "dir": a.id, "version": a.version,
        "description": f"SeIF {metrics['config']['name']} network trained by this project on its own synthetic heads "
                       "(libs/seif-core/src/synth), encoder + point decoder as ONNX (models/training/export.py).",
        "license": "Project's own work (same licence as the repository); trained only on generated data from the "
                   "open FLAME 2023 model (CC BY 4.0) - no FaceScape, no ICT-FaceKit identities.",
        "files": files,
        "training": {
            "config": metrics["config"], "seed": metrics["seed"], "steps": metrics["steps"],
            "wall_minutes": round(metrics["wall_seconds"] / 60, 1), "sec_per_iter_mean": metrics["sec_per_iter_mean"],
            "device": metrics["device"], "gpu": metrics["gpu"], "threads": metrics["threads"], "torch": metrics["torch"],
            "data_recipe": a.data_recipe, "flame_prior": metrics["data"]["flame_prior"],
            "train_samples": metrics["data"]["train_samples"], "val_samples": metrics["data"]["val_samples"],
            "final_losses": {k: metrics["final"].get(k) for k in ["loss", "occ_bce", "code_mse"]},
            "command": "npm run train -- " + a.notes if a.notes else None,
        },
        "metrics": {"val_iou": val["iou"], "val_iou_near_surface": val.get("iou_near_surface"), "val_iou_uniform": val.get("iou_uniform"),
                    "val_points": "the generator's held-out samples: 80 % within ~1.6 mm (sigma 0.006) or ~8 mm (0.03) of the surface, 20 % uniform in the box; iou = all, iou_uniform = volumetric IoU",
                    "val_accuracy": val.get("accuracy"), "val_code_l2_in_region": val.get("code_l2_in_region"),
                    "val_code_mse": val.get("code_mse"), "validation_history": metrics["validation_history"]},
    }
    level = json.loads((out / "seif-net.json").read_text()).get("surface_level")
    if level is not None:  # calibrate.py ran on the run
        entry["metrics"]["surface_level"] = level
    if a.ablation:
        entry["metrics"]["ablation"] = json.loads(Path(a.ablation).read_text())
    manifest_path = ROOT / "weights" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["weights"] = [w for w in manifest["weights"] if w["id"] != a.id] + [entry]
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps({k: entry[k] for k in ["id", "version", "files"]}, indent=1))
    print(f"val IoU {val['iou']:.4f}")


if __name__ == "__main__":
    main()
