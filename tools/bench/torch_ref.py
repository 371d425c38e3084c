#!/usr/bin/env python3
"""PyTorch CPU reference for offrl's update benchmarks.

Times the same work as the Go benchmarks, on the same machine, so that
tools/bench-ref.sh can print ratios:

  td3bc     one TD3+BC iteration: batch 256, obs 17, act 6, actor and twin
            critics 256-256, Adam 3e-4, policy delay 2, target smoothing
            (0.2, clip 0.5), tau 0.005, a fresh random minibatch each time
  gemm_N    float32 square matrix product of size N, in GFLOP/s (2 N^3)

Prints one JSON object. Run with Debian's python3-torch and
libopenblas0-pthread installed (without OpenBLAS, torch falls back to the
slow reference BLAS).
"""
import argparse
import json
import os
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per benchmark")
    return p.parse_args()


args = parse()
# Thread pools must be sized before torch is imported; a passive OpenMP
# wait policy keeps idle threads from spinning on a small machine.
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_flush_denormal(True)


def mlp(inp, out, tanh_head=False):
    layers = [nn.Linear(inp, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, out)]
    if tanh_head:
        layers.append(nn.Tanh())
    return nn.Sequential(*layers)


class TD3BC:
    """The TD3+BC update, written from the paper's description."""

    def __init__(self, obs, act):
        self.actor, self.actor_t = mlp(obs, act, True), mlp(obs, act, True)
        self.q1, self.q2 = mlp(obs + act, 1), mlp(obs + act, 1)
        self.q1_t, self.q2_t = mlp(obs + act, 1), mlp(obs + act, 1)
        for t, s in ((self.actor_t, self.actor), (self.q1_t, self.q1), (self.q2_t, self.q2)):
            t.load_state_dict(s.state_dict())
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        critic = list(self.q1.parameters()) + list(self.q2.parameters())
        self.critic_opt = torch.optim.Adam(critic, lr=3e-4)
        self.it = 0

    def update(self, s, a, r, s2, mask):
        self.it += 1
        with torch.no_grad():
            noise = (torch.randn_like(a) * 0.2).clamp(-0.5, 0.5)
            a2 = (self.actor_t(s2) + noise).clamp(-1, 1)
            sa2 = torch.cat([s2, a2], 1)
            y = r + 0.99 * mask * torch.min(self.q1_t(sa2), self.q2_t(sa2))
        sa = torch.cat([s, a], 1)
        critic_loss = F.mse_loss(self.q1(sa), y) + F.mse_loss(self.q2(sa), y)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        if self.it % 2 == 0:
            pi = self.actor(s)
            q = self.q1(torch.cat([s, pi], 1))
            lam = 2.5 / q.abs().mean().detach()
            actor_loss = -lam * q.mean() + F.mse_loss(pi, a)
            self.actor_opt.zero_grad()
            actor_loss.backward()
            self.actor_opt.step()
            with torch.no_grad():
                for t, src in ((self.actor_t, self.actor), (self.q1_t, self.q1), (self.q2_t, self.q2)):
                    for pt, ps in zip(t.parameters(), src.parameters()):
                        pt.mul_(0.995).add_(ps, alpha=0.005)


def rate(step, seconds):
    """Calls step for about `seconds` after a warm-up; returns calls per second."""
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - t0)


def bench_td3bc(seconds):
    torch.manual_seed(0)
    obs, act, batch, size = 17, 6, 256, 100_000
    data = {
        "s": torch.randn(size, obs), "a": torch.rand(size, act) * 2 - 1,
        "r": torch.randn(size, 1), "s2": torch.randn(size, obs), "m": torch.ones(size, 1),
    }
    agent = TD3BC(obs, act)

    def step():
        idx = torch.randint(0, size, (batch,))
        agent.update(data["s"][idx], data["a"][idx], data["r"][idx], data["s2"][idx], data["m"][idx])

    return rate(step, seconds)


def bench_gemm(n, seconds):
    a, b = torch.randn(n, n), torch.randn(n, n)
    return rate(lambda: torch.mm(a, b), seconds) * 2 * n ** 3 / 1e9


def main():
    out = {
        "torch": torch.__version__, "threads": args.threads,
        "td3bc_updates_per_s": bench_td3bc(args.seconds),
        "gemm_256_gflops": bench_gemm(256, args.seconds),
        "gemm_1024_gflops": bench_gemm(1024, args.seconds),
    }
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
