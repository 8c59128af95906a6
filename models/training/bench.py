"""Per-iteration training time of a config on synthetic tensors (forward + backward + Adam), for budgeting.

    /usr/bin/python3 models/training/bench.py --config lite --iters 8 [--threads 2]

Prints parameter counts, the feature map shape, each iteration's seconds and the load average before and after:
the machine is shared, so a figure means little without the load it was taken under.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seif_net import SeifNet, get_config, parameter_count  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="lite")
    ap.add_argument("--iters", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--points", type=int)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = get_config(a.config, batch_size=a.batch_size, points_per_sample=a.points)
    net = SeifNet(cfg)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    B, N, S = cfg.batch_size, cfg.points_per_sample, cfg.image_size
    img = torch.rand(B, cfg.in_channels, S, S)
    pts = torch.rand(B, N, 3) - 0.5
    codes = torch.rand(B, N, 3)
    occ = (torch.rand(B, N) > 0.5).float()
    load0 = os.getloadavg()
    times = []
    for _ in range(a.iters):
        t = time.time()
        outs = net(img, pts, codes)
        loss = sum(F.binary_cross_entropy_with_logits(o, occ) + cfg.code_weight * F.mse_loss(torch.sigmoid(c), codes) for o, c in outs) / len(outs)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(round(time.time() - t, 3))
    with torch.no_grad():
        shape = list(net.encoder(img[:1])[-1].shape)
    print(json.dumps({"config": cfg.name, "batch": B, "points": N, "image": S, "threads": a.threads,
                      "params": {"encoder": parameter_count(net.encoder), "decoder": parameter_count(net.decoder)},
                      "feature": shape, "sec_per_iter": times, "load_before": load0, "load_after": os.getloadavg()}))


if __name__ == "__main__":
    main()
