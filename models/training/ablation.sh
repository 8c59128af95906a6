#!/usr/bin/env bash
# The ablation of models/training/README.md: the lite network with all inputs, without RGB, without the FLAME
# prior maps, without semantic codes; same data, same seed, same fixed step count (so machine load changes only the
# wall time), validated on the same held-out shards. Writes runs/ablation-<name>/metrics.json and prints a table.
#   bash models/training/ablation.sh <data dir> <steps> [val shards]
set -euo pipefail
data=${1:?data dir}; steps=${2:?steps}; val=${3:-6}
cd "$(dirname "$0")/../.."
run() {
  local name=$1; shift
  /usr/bin/python3 models/training/train.py --config lite --data "$data" --steps "$steps" --val-shards "$val" --no-export --out "runs/ablation-$name" "$@" \
    > "runs/ablation-$name.log" 2>&1
}
mkdir -p runs
run all
run no-rgb --channels flame_normal,flame_depth,mask
run no-prior --channels rgb,mask
run no-code --no-code
/usr/bin/python3 - "$steps" <<'PY'
import json, sys
rows = []
for name, what in [("all", "rgb + FLAME normal/depth + mask, codes"), ("no-rgb", "no RGB"), ("no-prior", "no FLAME prior maps"), ("no-code", "no semantic codes")]:
    m = json.load(open(f"runs/ablation-{name}/metrics.json"))
    v = m["validation"]
    rows.append({"variant": name, "inputs": what, "steps": m["steps"], "val_iou": round(v["iou"], 4), "val_iou_uniform": round(v["iou_uniform"], 4), "val_accuracy": round(v["accuracy"], 4),
                 "val_code_l2_in_region": round(v["code_l2_in_region"], 4), "wall_minutes": round(m["wall_seconds"] / 60, 1)})
json.dump(rows, open("runs/ablation.json", "w"), indent=1)
print("| variant | inputs | steps | val IoU (all points) | val IoU (uniform, volumetric) | val accuracy | code L2 (face/ears) | wall min |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['variant']} | {r['inputs']} | {r['steps']} | {r['val_iou']} | {r['val_iou_uniform']} | {r['val_accuracy']} | {r['val_code_l2_in_region']} | {r['wall_minutes']} |")
PY
