"""Train a SeIF network on synthetic shards, validate on held-out shards, export ONNX.

    npm run train -- --config lite --data <shard dir> --steps N --out <run dir>
    (= /usr/bin/python3 models/training/train.py ...)

With --max-minutes the run also stops at a wall-clock budget (the LR schedule then follows elapsed time).

Writes to --out: checkpoint.pt, train-log.jsonl (one line per logged step), metrics.json (config, seed, data,
steps, wall time, per-iteration time, final losses, validation IoU / code error, device), and unless
--no-export the two ONNX graphs (export.py). Fixed seed: the same data and flags give the same weights on CPU.
Loss = BCE(occupancy) + code_weight (0.7) x MSE(refined code, ground-truth code), averaged over the encoder's stacks.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seif_net import SeifNet, get_config, parameter_count  # noqa: E402
from dataset import ShardDataset, split_shards, surface_point_count  # noqa: E402


def seed_everything(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def loss_weights(cfg, codes_gt, surface):
    """Per-point weights [B, N] of the occupancy and the code loss (None = uniform). `surface` [B, N] is 1 at
    surface samples. face_weight > 1 stresses near-surface points of the face/ears region (GT code non-zero), a
    small part of the head's area that the error measures; code_near_surface restricts the code loss to the
    surface samples, where uniformization reads it."""
    occ_w = code_w = None
    if cfg.face_weight != 1.0:
        face = (codes_gt.abs().sum(-1) > 1e-3).float() * surface
        occ_w = 1.0 + (cfg.face_weight - 1.0) * face
        occ_w = occ_w / occ_w.mean()  # keeps the loss scale (and so the learning rate) comparable
    if cfg.code_near_surface:
        code_w = surface / surface.mean().clamp_min(1e-6)
    return occ_w, code_w


def loss_fn(outputs, occ, codes_gt, code_weight: float, occ_w=None, code_w=None):
    total = occ_l = code_l = 0.0
    for occ_logit, code_logit in outputs:
        o = F.binary_cross_entropy_with_logits(occ_logit, occ, weight=occ_w)
        se = (torch.sigmoid(code_logit) - codes_gt) ** 2
        c = se.mean() if code_w is None else (se.mean(-1) * code_w).mean()
        total = total + o + code_weight * c
        occ_l = occ_l + o.detach()
        code_l = code_l + c.detach()
    k = len(outputs)
    return total / k, float(occ_l) / k, float(code_l) / k


def load_widened(net: torch.nn.Module, state: dict):
    """Loads a checkpoint into a net whose layers may take more inputs (new decoder inputs are appended as the
    last columns, seif_net.PointDecoder): the old weights fill the leading columns, the new ones start at zero, so
    the widened net computes exactly what the checkpoint did until training moves them."""
    own = net.state_dict()
    for k, v in state.items():
        if k not in own:
            raise KeyError(f"--init: checkpoint parameter {k} has no place in this config")
        w = own[k]
        if w.shape == v.shape:
            w.copy_(v)
        elif w.dim() == 2 and w.shape[0] == v.shape[0] and w.shape[1] > v.shape[1]:
            w.zero_()
            w[:, :v.shape[1]] = v
            print(f"--init: {k} widened {tuple(v.shape)} -> {tuple(w.shape)}, new columns zero", flush=True)
        else:
            raise ValueError(f"--init: {k} has shape {tuple(v.shape)} in the checkpoint, {tuple(w.shape)} here")
    missing = set(own) - set(state)
    if missing:
        raise KeyError(f"--init: the checkpoint lacks {sorted(missing)}")


def start_code_residual(net):
    """Turns a checkpoint's code head into a residual one (seif_net code_residual): zero code rows of the output
    layer, so the fine-tune starts with refined code = input code (the fit's field) and learns only corrections."""
    with torch.no_grad():
        net.decoder.out.weight[1:4].zero_()
        net.decoder.out.bias[1:4].zero_()
    print("--init: code head reset to residual (refined code = input code at the start)", flush=True)


def point_groups(P: int) -> dict:
    """Index ranges of the generator's point groups (dataset.surface_point_count): surface samples first, then
    uniform ones. IoU over all of them is dominated by points within ~2 mm of the surface (a hard, boundary
    score); IoU over the uniform ones is the usual volumetric IoU (Occupancy Networks)."""
    n_surface = surface_point_count(P)
    return {"near_surface": (0, n_surface), "uniform": (n_surface, P)}


@torch.no_grad()
def validate(net, loader, device):
    """IoU of (p > 0.5) against the labels over all held-out points, per point group (point_groups), and over the
    surface samples of the face/ears region (GT code non-zero: what the face error measures). Code error where
    the GT code is non-zero: mean L2 distance in normalised template units over all such points, and over the
    surface samples only for the refined code and for the input code (the fit's field), so a code head that does
    not beat its own input shows; MSE everywhere."""
    net.eval()
    counts = {g: [0.0, 0.0] for g in ["all", "near_surface", "uniform", "face"]}
    correct = total = 0
    l2 = {k: [0.0, 0] for k in ["region", "surface", "surface_input"]}
    mse_sum = 0.0
    mse_n = 0
    for img, pts, occ, cp, cg in loader:
        img, pts, occ, cp, cg = img.to(device), pts.to(device), occ.to(device), cp.to(device), cg.to(device)
        occ_logit, code_logit = net(img, pts, cp)[-1]
        pred = occ_logit > 0
        gt = occ > 0.5
        P = gt.shape[-1]
        groups = point_groups(P)
        surface = torch.zeros_like(gt)
        surface[..., :groups["near_surface"][1]] = True
        region = cg.abs().sum(-1) > 1e-3
        masks = {"all": torch.ones_like(gt), "near_surface": surface, "uniform": ~surface, "face": surface & region}
        for g, m in masks.items():
            counts[g][0] += float((pred & gt & m).sum())
            counts[g][1] += float(((pred | gt) & m).sum())
        correct += int((pred == gt).sum())
        total += gt.numel()
        code = torch.sigmoid(code_logit)
        for key, c, m in [("region", code, region), ("surface", code, region & surface), ("surface_input", cp, region & surface)]:
            if m.any():
                l2[key][0] += float((c - cg).norm(dim=-1)[m].sum())
                l2[key][1] += int(m.sum())
        mse_sum += float(((code - cg) ** 2).sum())
        mse_n += cg.numel()
    net.train()
    iou = {g: (i / u if u > 0 else float("nan")) for g, (i, u) in counts.items()}
    mean_l2 = {k: (v[0] / v[1] if v[1] else float("nan")) for k, v in l2.items()}
    return {
        "iou": iou["all"],
        "iou_near_surface": iou["near_surface"],
        "iou_uniform": iou["uniform"],
        "iou_face": iou["face"],
        "accuracy": correct / max(total, 1),
        "code_l2_in_region": mean_l2["region"],
        "code_l2_surface": mean_l2["surface"],
        "code_l2_surface_input": mean_l2["surface_input"],
        "code_mse": mse_sum / max(mse_n, 1),
        "points": total,
    }


def evaluate_checkpoint(checkpoint: str, data: str, val_shards: int) -> dict:
    """Validation of a saved checkpoint on a data directory's held-out shards (all points of each sample)."""
    from export import load_checkpoint
    net = load_checkpoint(checkpoint)
    _, val = split_shards(data, val_shards)
    ds = ShardDataset(val, net.cfg.channels, net.cfg.image_size, 10 ** 9, deterministic=True)
    return validate(net, torch.utils.data.DataLoader(ds, batch_size=1, shuffle=False, num_workers=0), torch.device("cpu"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="lite", help="lite | full")
    ap.add_argument("--data", required=True, help="directory of seif-shard *.json + *.bin")
    ap.add_argument("--out", help="run directory (created)")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (the machine has 2 cores)")
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--points", type=int, help="points per sample per step")
    ap.add_argument("--lr", type=float)
    ap.add_argument("--image-size", type=int, help="override the config's input size (shards are resized)")
    ap.add_argument("--channels", help="comma list of encoder channels (ablation), e.g. flame_normal,flame_depth,mask")
    ap.add_argument("--no-code", action="store_true", help="ablation: no semantic code input")
    ap.add_argument("--val-shards", type=int, default=1, help="hold out the last K shards when none is marked val")
    ap.add_argument("--val-every", type=int, default=0, help="validate every K steps (0: only at the end)")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="wall-clock budget: stop when reached; the LR schedule follows max(step/steps, time/budget)")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--no-augment", action="store_true", help="no photometric RGB augmentation")
    ap.add_argument("--workers", type=int, default=0,
                    help="DataLoader worker processes (decoding a sample costs ~0.05 s; 1 overlaps it with the step)")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--init", help="start from this checkpoint's weights (its config, with the overrides given; decoder inputs "
                                   "the checkpoint lacks, e.g. --prior-offset 1, start with zero weights)")
    ap.add_argument("--prior-offset", type=int, choices=[0, 1],
                    help="decoder input: signed depth offset to the prior's front surface (default: the config's)")
    ap.add_argument("--code-weight", type=float, help="weight of the code MSE in the loss (default: the config's)")
    ap.add_argument("--code-residual", type=int, choices=[0, 1],
                    help="refined code = input code + learned correction (default: the config's; from an older checkpoint the code rows start at zero)")
    ap.add_argument("--code-near-surface", type=int, choices=[0, 1], help="code loss over the surface samples only (default: the config's)")
    ap.add_argument("--face-weight", type=float, help="occupancy-loss weight of the face/ears surface samples (default: the config's, 1)")
    ap.add_argument("--framing-jitter", type=float, default=0.0,
                    help="sd of the log scale of a random reframing of each training sample (dataset.py; 0.05 ~ production)")
    ap.add_argument("--eval-checkpoint", help="only validate this checkpoint on --data's held-out shards, print JSON")
    a = ap.parse_args(argv)
    if a.eval_checkpoint:
        torch.set_num_threads(a.threads)
        print(json.dumps(evaluate_checkpoint(a.eval_checkpoint, a.data, a.val_shards)), flush=True)
        return
    if not a.out:
        ap.error("--out is required (the run directory)")

    torch.set_num_threads(a.threads)
    seed_everything(a.seed)
    overrides = dict(batch_size=a.batch_size, points_per_sample=a.points, learning_rate=a.lr, image_size=a.image_size,
                     code_weight=a.code_weight, prior_offset=None if a.prior_offset is None else bool(a.prior_offset),
                     code_residual=None if a.code_residual is None else bool(a.code_residual),
                     code_near_surface=None if a.code_near_surface is None else bool(a.code_near_surface),
                     face_weight=a.face_weight)
    if a.channels:
        overrides["channels"] = [c.strip() for c in a.channels.split(",") if c.strip()]
        if "flame_depth" not in overrides["channels"]:
            overrides["prior_offset"] = False  # it reads the depth channel
    if a.no_code:
        overrides["use_code"] = False
    init = torch.load(a.init, map_location="cpu") if a.init else None
    if init is not None:
        base = dict(init["config"])
        cfg = get_config(base.pop("name"), **{**base, **{k: v for k, v in overrides.items() if v is not None}})
    else:
        cfg = get_config(a.config, **overrides)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    train_shards, val_shards = split_shards(a.data, a.val_shards)
    if not val_shards:
        print("warning: a single shard and none marked val: validating on the training shard (not held out)", file=sys.stderr)
        val_shards = train_shards
    train_ds = ShardDataset(train_shards, cfg.channels, cfg.image_size, cfg.points_per_sample, seed=a.seed, augment=not a.no_augment,
                            framing_jitter=a.framing_jitter, surface_flags=True)
    val_ds = ShardDataset(val_shards, cfg.channels, cfg.image_size, 10 ** 9, deterministic=True)
    g = torch.Generator()
    g.manual_seed(a.seed)
    loader = torch.utils.data.DataLoader(train_ds, batch_size=min(cfg.batch_size, len(train_ds)), shuffle=True,
                                         generator=g, drop_last=True, num_workers=a.workers)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=1, shuffle=False, num_workers=0)

    net = SeifNet(cfg).to(device)
    if init is not None:
        load_widened(net, init["state_dict"])
        if cfg.code_residual and not init["config"].get("code_residual", False):
            start_code_residual(net)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    # Cosine decay to 10 % over the run: steady for smoke runs, helps the long run settle.
    budget = a.max_minutes * 60.0
    t_start = time.time()

    def progress(s: int) -> float:
        p = s / max(a.steps, 1)
        if budget > 0:
            p = max(p, (time.time() - t_start) / budget)
        return min(p, 1.0)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * progress(s))))
    n_enc, n_dec = parameter_count(net.encoder), parameter_count(net.decoder)
    print(f"config {cfg.name}: encoder {n_enc:,} params, decoder {n_dec:,}; {len(train_ds)} train / {len(val_ds)} val samples; "
          f"device {device}, {a.threads} threads", flush=True)

    log = open(out / "train-log.jsonl", "w")
    step = 0
    t0 = time.time()
    iter_times = []
    last = {}
    history = []
    out_of_time = lambda: budget > 0 and time.time() - t_start >= budget  # noqa: E731
    while step < a.steps and not out_of_time():
        for img, pts, occ, cp, cg, surface in loader:
            if step >= a.steps or out_of_time():
                break
            ts = time.time()
            img, pts, occ, cp, cg, surface = (t.to(device) for t in (img, pts, occ, cp, cg, surface))
            loss, occ_l, code_l = loss_fn(net(img, pts, cp), occ, cg, cfg.code_weight, *loss_weights(cfg, cg, surface))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            iter_times.append(time.time() - ts)
            last = {"step": step, "loss": float(loss), "occ_bce": occ_l, "code_mse": code_l, "lr": sched.get_last_lr()[0],
                    "sec_per_iter": iter_times[-1], "elapsed": time.time() - t0}
            if step % a.log_every == 0 or step == a.steps or step == 1:
                print(json.dumps(last), flush=True)
                log.write(json.dumps(last) + "\n")
                log.flush()
            if a.val_every and step % a.val_every == 0 and step < a.steps:
                v = validate(net, val_loader, device)
                history.append({"step": step, **v})
                print(json.dumps({"step": step, "val": v}), flush=True)
                # A long CPU run can be interrupted: keep the latest weights (export.py --checkpoint resumes export).
                torch.save({"config": cfg.to_json(), "state_dict": net.state_dict(), "step": step, "seed": a.seed}, out / "checkpoint.pt")
    wall = time.time() - t0
    val = validate(net, val_loader, device)
    history.append({"step": step, **val})
    print(json.dumps({"step": step, "val": val}), flush=True)
    log.close()

    ckpt = out / "checkpoint.pt"
    torch.save({"config": cfg.to_json(), "state_dict": net.state_dict(), "step": step, "seed": a.seed}, ckpt)
    # The first iterations include allocator warm-up; the steady figure skips them when there are enough.
    steady = iter_times[2:] if len(iter_times) > 4 else iter_times
    priors = sorted({s.header.get("flamePrior", "unknown") for s in train_shards + val_shards})
    metrics = {
        "config": cfg.to_json(), "seed": a.seed, "steps": step, "wall_seconds": wall,
        "sec_per_iter_mean": float(np.mean(steady)) if steady else None,
        "final": last, "validation": val, "validation_history": history,
        "data": {"dir": str(Path(a.data).resolve()), "train_shards": [s.header_path.name for s in train_shards],
                 "val_shards": [s.header_path.name for s in val_shards], "train_samples": len(train_ds),
                 "val_samples": len(val_ds), "flame_prior": priors},
        "params": {"encoder": n_enc, "decoder": n_dec},
        "device": str(device), "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
        "threads": a.threads, "torch": torch.__version__, "python": platform.python_version(),
        "init": {"checkpoint": str(Path(a.init).resolve()), "step": init.get("step")} if init is not None else None,
        "framing_jitter": a.framing_jitter,
    }
    if not a.no_export:
        from export import export_onnx
        metrics["onnx"] = export_onnx(net, cfg, out, opset=a.opset)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    print(f"done: {step} steps in {wall:.1f} s; val IoU {val['iou']:.4f} (near-surface {val['iou_near_surface']:.4f}, uniform {val['iou_uniform']:.4f}), code L2 {val['code_l2_in_region']:.4f}; {out}", flush=True)


if __name__ == "__main__":
    main()
