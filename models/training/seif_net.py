"""SeIF networks (Liu et al., IEEE TMM 2024): a pixel-aligned implicit function with a semantic head.

An image encoder turns the normalised crop (plus prior channels) into a feature map. Each query point X in the
SeIF frame is projected orthographically (u = 2X, v = -2Y, docs/ARCHITECTURE.md "Coordinate frames"), its
feature is bilinearly sampled (grid_sample, align_corners=False, so u = -1 is the left edge of the crop), and an
MLP takes [feature, z, semantic code s(X)] and predicts occupancy (sigmoid) and a refined semantic code (3,
sigmoid: codes live in [0,1]^3).

Two configurations (CONFIGS):
- `lite`: 256^2 input, a small U-Net (32-64 channels) giving a 64-channel map at 64^2; MLP 68-128-128-64-4.
  Sized from the measured budget in /work/shared/design/ARCHITECTURE.md (~0.3 s per iteration at batch 4 x 4096
  points on 2 CPU cores).
- `full`: the paper's sizes (PIFu's HGFilter): 512^2 input, 4-stack hourglass, 256 channels at 128^2; MLP
  1024-512-256-128 with the input feature concatenated to every hidden layer's input (PIFu's "residual"
  surface classifier). Every stack's output is supervised during training; inference uses the last.

The two halves are separate modules so they export as two ONNX graphs: the encoder runs once per photo, the point
decoder runs many times (coarse to fine) on the same feature map.
"""
from __future__ import annotations

from dataclasses import dataclass, field, asdict
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

# Input channels the encoder may see, in this order. The shard stores each; a config picks a subset (ablation).
#   rgb (3): the rendered / photographed crop, [0,1]
#   flame_normal (3): normals of the fitted FLAME rendered into the crop, [-1,1], zero off the mesh
#   flame_depth (1): its depth (SeIF-frame Z, x2 so ~[-1,1]), zero off the mesh
#   mask (1): person/hair foreground mask, {0,1}
CHANNEL_SIZES = {"rgb": 3, "flame_normal": 3, "flame_depth": 1, "mask": 1}


@dataclass
class SeifConfig:
    name: str
    image_size: int
    channels: List[str]
    # encoder
    encoder: str  # "unet" | "hourglass"
    base_channels: int
    feature_channels: int
    stacks: int = 1
    # decoder
    mlp: List[int] = field(default_factory=list)
    residual_concat: bool = False
    use_z: bool = True
    use_code: bool = True
    # Where the point lies relative to the fitted FLAME's front surface, read from the encoder's own depth channel
    # at full input resolution (prior_offset_features). False in checkpoints made before it existed.
    prior_offset: bool = False
    # The refined code is a correction of the input code (logit(s) + head output) rather than a code predicted
    # from scratch: uniformization reads it at the surface, where the input code is already close. False in
    # checkpoints made before it existed (seif-lite v1-v3).
    code_residual: bool = False
    # training
    code_weight: float = 0.7
    # Code loss over the near-surface points only (where uniformization reads codes), not the whole box.
    code_near_surface: bool = False
    # Weight of the occupancy loss at near-surface points inside the face/ears region (GT code non-zero); 1 = none.
    face_weight: float = 1.0
    batch_size: int = 4
    points_per_sample: int = 4096
    learning_rate: float = 1e-3

    @property
    def in_channels(self) -> int:
        return sum(CHANNEL_SIZES[c] for c in self.channels)

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def depth_channel(self) -> int:
        """Index of the flame_depth plane in the encoder input (prior_offset reads it)."""
        if "flame_depth" not in self.channels:
            raise ValueError("prior_offset needs the flame_depth channel")
        i = self.channels.index("flame_depth")
        return sum(CHANNEL_SIZES[c] for c in self.channels[:i])


CONFIGS = {
    "lite": SeifConfig(
        name="lite", image_size=256, channels=["rgb", "flame_normal", "flame_depth", "mask"],
        encoder="unet", base_channels=32, feature_channels=64, mlp=[128, 128, 64], prior_offset=True,
        batch_size=4, points_per_sample=4096, learning_rate=1e-3,
    ),
    "full": SeifConfig(
        name="full", image_size=512, channels=["rgb", "flame_normal", "flame_depth", "mask"],
        encoder="hourglass", base_channels=64, feature_channels=256, stacks=4, mlp=[1024, 512, 256, 128],
        residual_concat=True, prior_offset=True, batch_size=2, points_per_sample=5000, learning_rate=1e-4,
    ),
}


def get_config(name: str, **overrides) -> SeifConfig:
    if name not in CONFIGS:
        raise ValueError(f"unknown config {name!r}; valid: {', '.join(CONFIGS)}")
    base = asdict(CONFIGS[name])
    base.update({k: v for k, v in overrides.items() if v is not None})
    return SeifConfig(**base)


def _norm(c: int) -> nn.Module:
    # GroupNorm, not BatchNorm: batches are 2-4 images, and GN behaves the same in training and export.
    return nn.GroupNorm(min(8, c // 4) if c >= 8 else 1, c)


class ConvBlock(nn.Module):
    """Residual block: conv-GN-ReLU x2 with a 1x1 projection when the width changes."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.n1 = _norm(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.n2 = _norm(cout)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()

    def forward(self, x):
        h = F.relu(self.n1(self.c1(x)))
        h = self.n2(self.c2(h))
        return F.relu(h + self.skip(x))


class HGConvBlock(nn.Module):
    """PIFu's hourglass block (Bulat & Tzimiropoulos): 3 convs of out/2, out/4, out/4 concatenated + skip."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.n1, self.c1 = _norm(cin), nn.Conv2d(cin, cout // 2, 3, padding=1, bias=False)
        self.n2, self.c2 = _norm(cout // 2), nn.Conv2d(cout // 2, cout // 4, 3, padding=1, bias=False)
        self.n3, self.c3 = _norm(cout // 4), nn.Conv2d(cout // 4, cout // 4, 3, padding=1, bias=False)
        self.skip = nn.Sequential(_norm(cin), nn.ReLU(), nn.Conv2d(cin, cout, 1, bias=False)) if cin != cout else nn.Identity()

    def forward(self, x):
        a = self.c1(F.relu(self.n1(x)))
        b = self.c2(F.relu(self.n2(a)))
        c = self.c3(F.relu(self.n3(b)))
        return torch.cat([a, b, c], 1) + self.skip(x)


class UNetEncoder(nn.Module):
    """Lite encoder, output at stride 4 like PIFu's (64^2 for a 256^2 input): two stride-2 3x3 convs
    (128^2 x base/2, then 64^2 x base), a residual block at 64^2, down to 32^2 and 16^2 (2*base), back up with
    skips to 64^2 (feature channels). The 64^2 decoder level is a 1x1 merge + one 3x3 conv: a full residual
    block there cost more than the rest of the encoder (profiled)."""

    def __init__(self, cin: int, base: int, cout: int):
        super().__init__()
        c0, c1, c2 = base // 2, base, base * 2
        self.stem = nn.Sequential(
            nn.Conv2d(cin, c0, 3, stride=2, padding=1, bias=False), _norm(c0), nn.ReLU(),
            nn.Conv2d(c0, c1, 3, stride=2, padding=1, bias=False), _norm(c1), nn.ReLU())
        self.e1 = ConvBlock(c1, c1)  # 64^2
        self.d2 = nn.Sequential(nn.Conv2d(c1, c2, 3, stride=2, padding=1, bias=False), _norm(c2), nn.ReLU())
        self.e2 = ConvBlock(c2, c2)  # 32^2
        self.d3 = nn.Sequential(nn.Conv2d(c2, c2, 3, stride=2, padding=1, bias=False), _norm(c2), nn.ReLU())
        self.e3 = ConvBlock(c2, c2)  # 16^2
        self.u2 = ConvBlock(c2 + c2, c2)  # 32^2
        self.u1 = nn.Sequential(  # 64^2
            nn.Conv2d(c2 + c1, cout, 1, bias=False), _norm(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), _norm(cout), nn.ReLU())
        self.head = nn.Conv2d(cout, cout, 1)

    def forward(self, x) -> List[torch.Tensor]:
        s1 = self.e1(self.stem(x))
        s2 = self.e2(self.d2(s1))
        s3 = self.e3(self.d3(s2))
        h = self.u2(torch.cat([F.interpolate(s3, scale_factor=2.0, mode="bilinear", align_corners=False), s2], 1))
        h = self.u1(torch.cat([F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False), s1], 1))
        return [self.head(h)]


class Hourglass(nn.Module):
    def __init__(self, depth: int, c: int):
        super().__init__()
        self.depth = depth
        self.up1 = HGConvBlock(c, c)
        self.low1 = HGConvBlock(c, c)
        self.low2 = Hourglass(depth - 1, c) if depth > 1 else HGConvBlock(c, c)
        self.low3 = HGConvBlock(c, c)

    def forward(self, x):
        up = self.up1(x)
        low = self.low3(self.low2(self.low1(F.avg_pool2d(x, 2, stride=2))))
        return up + F.interpolate(low, scale_factor=2.0, mode="bilinear", align_corners=False)


class StackedHourglassEncoder(nn.Module):
    """PIFu's HGFilter: 7x7 stride-2 stem (256^2 at 512 input), avg-pool to 128^2, `stacks` hourglasses of depth 4."""

    def __init__(self, cin: int, base: int, cout: int, stacks: int):
        super().__init__()
        self.stacks = stacks
        self.stem = nn.Sequential(nn.Conv2d(cin, base, 7, stride=2, padding=3), _norm(base), nn.ReLU())
        self.b1 = HGConvBlock(base, 128)
        self.b2 = HGConvBlock(128, 128)
        self.b3 = HGConvBlock(128, cout)
        self.hgs = nn.ModuleList([Hourglass(4, cout) for _ in range(stacks)])
        self.tops = nn.ModuleList([HGConvBlock(cout, cout) for _ in range(stacks)])
        self.convs = nn.ModuleList([nn.Sequential(nn.Conv2d(cout, cout, 1), _norm(cout), nn.ReLU()) for _ in range(stacks)])
        self.outs = nn.ModuleList([nn.Conv2d(cout, cout, 1) for _ in range(stacks)])
        self.back_l = nn.ModuleList([nn.Conv2d(cout, cout, 1) for _ in range(stacks - 1)])
        self.back_o = nn.ModuleList([nn.Conv2d(cout, cout, 1) for _ in range(stacks - 1)])

    def forward(self, x) -> List[torch.Tensor]:
        x = self.stem(x)
        x = F.avg_pool2d(self.b1(x), 2, stride=2)
        x = self.b3(self.b2(x))
        outs = []
        prev = x
        for i in range(self.stacks):
            ll = self.convs[i](self.tops[i](self.hgs[i](prev)))
            o = self.outs[i](ll)
            outs.append(o)
            if i < self.stacks - 1:
                prev = prev + self.back_l[i](ll) + self.back_o[i](o)
        return outs


class SeifEncoder(nn.Module):
    """image [B, C, S, S] -> list of feature maps [B, F, S/2 or S/4, ...] (one per stack; the last is used at inference)."""

    def __init__(self, cfg: SeifConfig):
        super().__init__()
        if cfg.encoder == "unet":
            self.net = UNetEncoder(cfg.in_channels, cfg.base_channels, cfg.feature_channels)
        elif cfg.encoder == "hourglass":
            self.net = StackedHourglassEncoder(cfg.in_channels, cfg.base_channels, cfg.feature_channels, cfg.stacks)
        else:
            raise ValueError(f"unknown encoder {cfg.encoder!r}; valid: unet, hourglass")

    def forward(self, image) -> List[torch.Tensor]:
        return self.net(image)


def project(points: torch.Tensor) -> torch.Tensor:
    """SeIF frame -> grid_sample coordinates: u = 2X, v = -2Y. points [B, N, 3] -> grid [B, 1, N, 2]."""
    uv = torch.stack([2.0 * points[..., 0], -2.0 * points[..., 1]], -1)
    return uv.unsqueeze(1)


def sample_features(feature: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Bilinear feature at each point's projection: [B, F, H, W], [B, N, 3] -> [B, N, F]. Outside the crop: 0."""
    f = F.grid_sample(feature, project(points), mode="bilinear", padding_mode="zeros", align_corners=False)
    return f[:, :, 0, :].transpose(1, 2)


# tanh gain on the offset to the prior's front surface, in units of the depth channel (2 Z): 1 mm ~ 0.13 at the
# production frame scale (~0.3 m per unit), saturating a few centimetres away, so the MLP resolves the surface.
PRIOR_OFFSET_GAIN = 20.0


def prior_offset_features(prior_depth: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """[coverage, coverage * tanh(gain * (2Z - front depth))] per point: [B, 1, S, S], [B, N, 3] -> [B, N, 2].

    The feature map is 4x coarser than the image (~6 mm per texel in lite), too coarse for the MLP to place the
    face as precisely as the fit already does. Sampling the rendered prior depth at the input's own resolution
    gives each point its signed depth offset to the fit's front surface directly (ICON gives its MLP the signed
    distance to the fitted body for the same reason). The depth map is zero off the mesh: coverage (the bilinear
    fraction of on-mesh texels) normalises the blend at the silhouette and is zero away from the head."""
    grid = project(points)
    on_mesh = (prior_depth != 0).to(prior_depth.dtype)
    depth = F.grid_sample(prior_depth, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[:, 0, 0, :]
    coverage = F.grid_sample(on_mesh, grid, mode="bilinear", padding_mode="zeros", align_corners=False)[:, 0, 0, :]
    front = depth / coverage.clamp_min(1e-3)
    offset = torch.tanh(PRIOR_OFFSET_GAIN * (2.0 * points[..., 2] - front))
    return torch.stack([coverage, coverage * offset], -1)


CODE_EPS = 1e-3


def code_logit(codes: torch.Tensor) -> torch.Tensor:
    """The logit of an input code, clamped so that the zero code (off the face) maps to sigmoid^-1(0.001)."""
    c = codes.clamp(CODE_EPS, 1.0 - CODE_EPS)
    return torch.log(c) - torch.log1p(-c)


class PointDecoder(nn.Module):
    """[feature, z, code, prior offset] per point -> (occupancy logit, refined code logits). Linear layers on [B, N, C].
    New inputs are appended at the end so an older checkpoint's weights load into the leading columns (train.py --init)."""

    def __init__(self, cfg: SeifConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.code_residual and not cfg.use_code:
            raise ValueError("code_residual needs the code input (use_code)")
        fin = cfg.feature_channels + (1 if cfg.use_z else 0) + (3 if cfg.use_code else 0) + (2 if cfg.prior_offset else 0)
        self.fin = fin
        layers = []
        prev = fin
        for i, width in enumerate(cfg.mlp):
            cin = prev + (fin if cfg.residual_concat and i > 0 else 0)
            layers.append(nn.Linear(cin, width))
            prev = width
        self.layers = nn.ModuleList(layers)
        self.out = nn.Linear(prev + (fin if cfg.residual_concat else 0), 4)

    def forward(self, feature: torch.Tensor, points: torch.Tensor, codes: torch.Tensor, prior_depth=None):
        f = sample_features(feature, points)
        parts = [f]
        if self.cfg.use_z:
            # z in the SeIF frame is ~[-0.5, 0.5]; x2 puts it on the same scale as u, v.
            parts.append(2.0 * points[..., 2:3])
        if self.cfg.use_code:
            parts.append(codes)
        if self.cfg.prior_offset:
            parts.append(prior_offset_features(prior_depth, points))
        x0 = torch.cat(parts, -1)
        h = x0
        for i, layer in enumerate(self.layers):
            if self.cfg.residual_concat and i > 0:
                h = torch.cat([h, x0], -1)
            h = F.leaky_relu(layer(h), 0.01)
        if self.cfg.residual_concat:
            h = torch.cat([h, x0], -1)
        y = self.out(h)
        code = y[..., 1:4]
        if self.cfg.code_residual:
            code = code + code_logit(codes)
        return y[..., 0], code


class SeifNet(nn.Module):
    def __init__(self, cfg: SeifConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = SeifEncoder(cfg)
        self.decoder = PointDecoder(cfg)

    def forward(self, image, points, codes):
        """Training forward: (occupancy logits, code logits) for every stack, each [B, N] and [B, N, 3]."""
        depth = prior_depth_plane(self.cfg, image)
        return [self.decoder(f, points, codes, depth) for f in self.encoder(image)]


def prior_depth_plane(cfg: SeifConfig, image: torch.Tensor):
    """The flame_depth plane [B, 1, S, S] the decoder's prior offset reads, or None when the config has none."""
    if not cfg.prior_offset:
        return None
    d = cfg.depth_channel
    return image[:, d:d + 1]


class ExportEncoder(nn.Module):
    """ONNX graph 1: image -> feature map (last stack), and with prior_offset also the image's depth plane
    (`prior_depth`), passed through so that the runtime hands the decoder exactly what training did."""

    def __init__(self, net: SeifNet):
        super().__init__()
        self.cfg = net.cfg
        self.encoder = net.encoder

    def forward(self, image):
        feature = self.encoder(image)[-1]
        if self.cfg.prior_offset:
            return feature, prior_depth_plane(self.cfg, image)
        return feature


class ExportDecoder(nn.Module):
    """ONNX graph 2: feature map + points + codes -> occupancy in [0,1] [B, N] and refined code in [0,1]^3 [B, N, 3]."""

    def __init__(self, net: SeifNet):
        super().__init__()
        self.decoder = net.decoder

    def forward(self, feature, points, codes, prior_depth=None):
        occ, code = self.decoder(feature, points, codes, prior_depth)
        return torch.sigmoid(occ), torch.sigmoid(code)


def parameter_count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
