"""SeIF training shards: raw little-endian binary + a JSON header, read with numpy (np.memmap / np.fromfile).

A shard is two files, `<name>.json` and the `<name>.bin` it names. The header (written by
libs/seif-core/src/synth/shard.ts, or by `write_shard` below) is:

    {
      "format": "seif-shard", "version": 1,
      "binary": "shard-00000.bin", "count": n, "imageSize": S, "pointsPerSample": P,
      "arrays": { "<name>": { "dtype": "uint8" | "float32", "shape": [...], "offset": bytes }, ... },
      "flamePrior": "ground-truth" | "production-fit",   # where flame_normal/flame_depth/codes_prior come from
      "split": "train" | "val",
      "samples": [ { per-sample metadata: seed, hair style, pose, ... } ]
    }

Arrays (n = count, S = imageSize, P = pointsPerSample; offsets are 16-byte aligned):
    image         uint8   [n, S, S, 3]  sRGB crop
    flame_normal  uint8   [n, S, S, 3]  FLAME-prior normals, (n * 0.5 + 0.5) * 255, 128 off the mesh
    flame_depth   float32 [n, S, S]     FLAME-prior SeIF-frame Z, 0 off the mesh
    mask          uint8   [n, S, S]     foreground (head + hair + neck/shoulders), 0 | 255
    points        float32 [n, P, 3]     occupancy samples, SeIF frame
    occupancy     uint8   [n, P]        1 inside
    codes_prior   float32 [n, P, 3]     semantic code from the FLAME prior (network input)
    codes_gt      float32 [n, P, 3]     semantic code from the ground-truth FLAME part (target)
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from seif_net import CHANNEL_SIZES

SHARD_FORMAT = "seif-shard"
SHARD_VERSION = 1
REQUIRED = ["image", "flame_normal", "flame_depth", "mask", "points", "occupancy", "codes_prior", "codes_gt"]
DTYPES = {"uint8": np.uint8, "float32": np.float32}


class Shard:
    def __init__(self, header_path: Path):
        self.header_path = Path(header_path)
        h = json.loads(self.header_path.read_text())
        if h.get("format") != SHARD_FORMAT or h.get("version") != SHARD_VERSION:
            raise ValueError(f"{header_path}: not a {SHARD_FORMAT} v{SHARD_VERSION} header")
        self.header = h
        self.count = int(h["count"])
        self.split = h.get("split", "train")
        binary = self.header_path.parent / h["binary"]
        self.arrays: Dict[str, np.ndarray] = {}
        for name in REQUIRED:
            if name not in h["arrays"]:
                raise ValueError(f"{header_path}: array {name!r} missing")
        for name, spec in h["arrays"].items():
            dtype = np.dtype(DTYPES[spec["dtype"]]).newbyteorder("<")
            shape = tuple(int(s) for s in spec["shape"])
            self.arrays[name] = np.memmap(binary, dtype=dtype, mode="r", offset=int(spec["offset"]), shape=shape)


def find_shards(data_dir: str | Path) -> List[Path]:
    paths = sorted(Path(data_dir).glob("*.json"))
    return [p for p in paths if json.loads(p.read_text()).get("format") == SHARD_FORMAT]


def split_shards(data_dir: str | Path, val_shards: int = 1):
    """Shards marked split=val are held out; if none is marked, the last `val_shards` are (when there are >= 2)."""
    shards = [Shard(p) for p in find_shards(data_dir)]
    if not shards:
        raise FileNotFoundError(f"no {SHARD_FORMAT} headers (*.json) in {data_dir}; run `npm run data:synth` first")
    val = [s for s in shards if s.split == "val"]
    train = [s for s in shards if s.split != "val"]
    if not val and len(train) >= 2:
        k = max(1, min(val_shards, len(train) - 1))
        train, val = train[:-k], train[-k:]
    return train, val


def decode_channels(shard: Shard, i: int, channels: Sequence[str]) -> np.ndarray:
    """The encoder input of sample i: float32 [C, S, S] with the channels in config order."""
    a = shard.arrays
    out = []
    for c in channels:
        if c == "rgb":
            out.append(a["image"][i].astype(np.float32).transpose(2, 0, 1) / 255.0)
        elif c == "flame_normal":
            out.append((a["flame_normal"][i].astype(np.float32).transpose(2, 0, 1) - 127.5) / 127.5)
        elif c == "flame_depth":
            out.append(2.0 * a["flame_depth"][i].astype(np.float32)[None])
        elif c == "mask":
            out.append(a["mask"][i].astype(np.float32)[None] / 255.0)
        else:
            raise ValueError(f"unknown channel {c!r}")
    return np.concatenate(out, 0)


def surface_point_count(P: int) -> int:
    """How many of a sample's P points are surface samples (the generator's first 80 %: 45 % at noise sd 0.006 and
    35 % at 0.03, shuffled together; libs/seif-core/src/synth/sample.ts); the rest are uniform in the box."""
    return round(0.45 * P) + round(0.35 * P)


class ShardDataset(torch.utils.data.Dataset):
    """Samples: (image [C,S,S], points [N,3], occupancy [N], codes_prior [N,3], codes_gt [N,3]), and with
    `surface_flags` a sixth tensor [N] that is 1 at surface samples (surface_point_count), 0 at uniform ones.

    `points` points are drawn per access (without replacement when the shard has enough), so epochs differ.
    `zero_channels` blanks channels for ablations without changing the network's input width.
    `augment` jitters the RGB channels photometrically and the mask's edge (training only).
    `framing_jitter` (training only; 0 = off) moves the whole sample by a random similarity of the frame, see
    `_jitter_framing`.
    """

    def __init__(self, shards: Sequence[Shard], channels: Sequence[str], image_size: int, points: int,
                 seed: int = 0, zero_channels: Sequence[str] = (), deterministic: bool = False, augment: bool = False,
                 framing_jitter: float = 0.0, surface_flags: bool = False):
        self.surface_flags = surface_flags
        self.index = [(s, i) for s in shards for i in range(s.count)]
        self.channels = list(channels)
        self.image_size = image_size
        self.points = points
        self.zero = set(zero_channels)
        self.rng = np.random.default_rng(seed)
        self.deterministic = deterministic
        self.augment = augment
        self.framing_jitter = framing_jitter

    def _augment_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """Photometric augmentation of the RGB channels only (renders are cleaner than photos): per-channel gain,
        gamma, sometimes a 3x3 blur, sensor noise. The FLAME prior channels are left alone (they come from the real fit)."""
        r = self.rng
        x = np.clip(rgb * r.uniform(0.75, 1.25, (3, 1, 1)).astype(np.float32), 0, 1) ** np.float32(r.uniform(0.75, 1.35))
        if r.random() < 0.3:
            p = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
            x = sum(p[:, i:i + x.shape[1], j:j + x.shape[2]] for i in range(3) for j in range(3)) / np.float32(9)
        x = x + r.normal(0, r.uniform(0, 0.03), x.shape).astype(np.float32)
        return np.clip(x, 0, 1).astype(np.float32)

    def _augment_mask(self, mask: np.ndarray) -> np.ndarray:
        """At inference the mask comes from a person-segmentation network, whose edge sits a pixel or three off
        the true silhouette and is soft; the renders' mask is exact. Half the time: grow or shrink it by 1-3 px
        (3x3 max/min filters), and sometimes soften its edge, so the network does not trust the edge to the pixel."""
        r = self.rng
        x = mask[0]
        if r.random() < 0.5:
            grow = r.random() < 0.5
            for _ in range(int(r.integers(1, 4))):
                p = np.pad(x, 1, mode="edge")
                win = [p[i:i + x.shape[0], j:j + x.shape[1]] for i in range(3) for j in range(3)]
                x = np.maximum.reduce(win) if grow else np.minimum.reduce(win)
        if r.random() < 0.3:
            p = np.pad(x, 1, mode="edge")
            x = sum(p[i:i + x.shape[0], j:j + x.shape[1]] for i in range(3) for j in range(3)) / np.float32(9)
        return x[None].astype(np.float32)

    def _jitter_framing(self, img: torch.Tensor, pts: torch.Tensor):
        """The generator frames each render from the true head's landmarks; in production the crop is framed from a
        fit, which lands a few per cent larger or smaller and a little off centre (measured on held-out renders:
        scale sd 0.06, offsets sd 0.011 / 0.018 frame units; libs/seif-core/src/seif/inputs.ts). So the sample is
        moved by a random similarity of the frame, X' = k X + tx, Y' = k Y + ty, Z' = k Z: the encoder channels are
        resampled (zeros where the new crop leaves the old one, as inference pads a crop past the photo), the depth
        channel's values scale with Z, the points move with the frame. Occupancy labels are unchanged (same physical
        points); the codes' distance fade is left as it was (off by a factor exp(-(k^2-1) d^2 / 0.0025), at most
        ~20 % one fade radius from the surface), a small label noise."""
        r, j = self.rng, self.framing_jitter
        k = float(np.clip(np.exp(r.normal(0, j)), 1 - 2 * j, 1 + 2 * j))
        tx, ty = float(r.normal(0, 0.2 * j)), float(r.normal(0, 0.3 * j))
        # Output pixel (normalised u' = 2X', v' = -2Y') samples the input at u = (u' - 2 tx) / k, v = (v' + 2 ty) / k.
        theta = torch.tensor([[1 / k, 0, -2 * tx / k], [0, 1 / k, 2 * ty / k]], dtype=torch.float32)
        grid = F.affine_grid(theta[None], [1, *img.shape], align_corners=False)
        img = F.grid_sample(img[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
        o = 0
        for c in self.channels:
            if c == "flame_depth":
                img[o] *= k
            o += CHANNEL_SIZES[c]
        pts = pts * k + torch.tensor([tx, ty, 0.0])
        return img, pts

    def __len__(self):
        return len(self.index)

    def __getitem__(self, k):
        shard, i = self.index[k]
        img = decode_channels(shard, i, self.channels)
        if self.augment:
            o = 0
            for c in self.channels:
                if c == "rgb":
                    img[o:o + 3] = self._augment_rgb(img[o:o + 3])
                elif c == "mask":
                    img[o:o + 1] = self._augment_mask(img[o:o + 1])
                o += CHANNEL_SIZES[c]
        if self.zero:
            o = 0
            for c in self.channels:
                if c in self.zero:
                    img[o:o + CHANNEL_SIZES[c]] = 0
                o += CHANNEL_SIZES[c]
        t = torch.from_numpy(np.ascontiguousarray(img))
        if t.shape[-1] != self.image_size:
            t = F.interpolate(t[None], size=(self.image_size, self.image_size), mode="bilinear", align_corners=False)[0]
        a = shard.arrays
        P = a["points"].shape[1]
        if self.deterministic:
            sel = np.arange(min(P, self.points))
        else:
            sel = self.rng.choice(P, self.points, replace=P < self.points)
            sel.sort()
        pts = torch.from_numpy(np.asarray(a["points"][i][sel], dtype=np.float32))
        occ = torch.from_numpy(np.asarray(a["occupancy"][i][sel], dtype=np.float32))
        cp = torch.from_numpy(np.asarray(a["codes_prior"][i][sel], dtype=np.float32))
        cg = torch.from_numpy(np.asarray(a["codes_gt"][i][sel], dtype=np.float32))
        if self.framing_jitter > 0 and self.rng.random() < 0.8:
            t, pts = self._jitter_framing(t, pts)
        if self.surface_flags:
            return t, pts, occ, cp, cg, torch.from_numpy((sel < surface_point_count(P)).astype(np.float32))
        return t, pts, occ, cp, cg


def _align16(n: int) -> int:
    return (n + 15) & ~15


def write_shard(out_dir: str | Path, name: str, arrays: Dict[str, np.ndarray], split: str = "train",
                samples: Optional[list] = None, extra: Optional[dict] = None) -> Path:
    """Writes `<name>.bin` + `<name>.json` in the format above (used by tests and `make_random_shard`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = {}
    offset = 0
    with open(out_dir / f"{name}.bin", "wb") as f:
        for key, arr in arrays.items():
            dt = {np.dtype(np.uint8): "uint8", np.dtype(np.float32): "float32"}[arr.dtype]
            pad = _align16(offset) - offset
            f.write(b"\0" * pad)
            offset += pad
            data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
            f.write(data)
            specs[key] = {"dtype": dt, "shape": list(arr.shape), "offset": offset}
            offset += len(data)
    n, S = arrays["image"].shape[0], arrays["image"].shape[1]
    header = {
        "format": SHARD_FORMAT, "version": SHARD_VERSION, "binary": f"{name}.bin", "count": int(n),
        "imageSize": int(S), "pointsPerSample": int(arrays["points"].shape[1]), "arrays": specs, "split": split,
        "samples": samples or [{} for _ in range(n)],
    }
    header.update(extra or {})
    tmp = out_dir / f"{name}.json.tmp"
    tmp.write_text(json.dumps(header, indent=1))
    os.replace(tmp, out_dir / f"{name}.json")
    return out_dir / f"{name}.json"


def make_random_shard(out_dir: str | Path, name: str, count: int = 4, size: int = 64, points: int = 512,
                      seed: int = 0, split: str = "train") -> Path:
    """A tiny learnable stand-in for synthetic heads (for smoke tests): a sphere of random radius and centre, its
    silhouette as mask and normal/depth maps, occupancy = inside the sphere, codes = normalised position faded
    by distance to the sphere. Not a head: it exercises the plumbing only."""
    rng = np.random.default_rng(seed)
    S, P = size, points
    # Pixel centres in the SeIF frame: column -> X, row -> -Y (v grows down).
    X, Y = np.meshgrid((np.arange(S) + 0.5) / S - 0.5, 0.5 - (np.arange(S) + 0.5) / S)
    arr = {k: [] for k in REQUIRED}
    for _ in range(count):
        c = rng.uniform(-0.1, 0.1, 3)
        r = rng.uniform(0.2, 0.35)
        dx, dy = X - c[0], Y - c[1]
        h2 = r * r - dx * dx - dy * dy
        inside = h2 > 0
        z = np.where(inside, c[2] + np.sqrt(np.maximum(h2, 0)), 0.0).astype(np.float32)
        nrm = np.stack([dx, dy, z - c[2]], -1) / r
        nrm[~inside] = 0
        color = rng.uniform(0.2, 0.9, 3)
        shade = np.clip(nrm[..., 2:3], 0, 1) * color + 0.05 * rng.standard_normal((S, S, 3))
        img = np.where(inside[..., None], shade, rng.uniform(0, 1, 3))
        arr["image"].append(np.clip(img * 255, 0, 255).astype(np.uint8))
        arr["flame_normal"].append(np.clip(np.round((nrm * 0.5 + 0.5) * 255), 0, 255).astype(np.uint8))
        arr["flame_depth"].append(z)
        arr["mask"].append((inside * 255).astype(np.uint8))
        pts = np.concatenate([
            c + r * _unit(rng, P // 2) + rng.normal(0, 0.02, (P // 2, 3)),
            rng.uniform(-0.5, 0.5, (P - P // 2, 3)),
        ]).astype(np.float32)
        d = np.linalg.norm(pts - c, axis=1) - r
        arr["points"].append(pts)
        arr["occupancy"].append((d < 0).astype(np.uint8))
        code = np.clip(pts + 0.5, 0, 1) * np.exp(-d * d / 0.0025)[:, None]
        arr["codes_prior"].append(code.astype(np.float32))
        arr["codes_gt"].append(code.astype(np.float32))
    arrays = {k: np.stack(v) for k, v in arr.items()}
    return write_shard(out_dir, name, arrays, split=split, extra={"flamePrior": "synthetic-sphere", "generator": "make_random_shard"})


def _unit(rng, n):
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="Write random sphere shards for smoke tests")
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--points", type=int, default=512)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    for s in range(a.shards):
        split = "val" if s == a.shards - 1 and a.shards > 1 else "train"
        print(make_random_shard(a.out, f"shard-{s:05d}", a.count, a.size, a.points, a.seed + s, split))
