#!/usr/bin/env python3
"""PyTorch CPU reference for offrl's update benchmarks.

Times the same work as the Go benchmarks, on the same machine, so that
tools/bench-ref.sh can print ratios. All updates use batch 256, obs 17 and
act 6 (a2pr: obs 11, act 3, as its Go benchmark) and draw a fresh random
minibatch by index from an in-memory synthetic buffer of 100k rows on every
update (the gather is part of the time).

  td3bc     one TD3+BC iteration: actor and twin critics 256-256, Adam 3e-4,
            policy delay 2, target smoothing (0.2, clip 0.5), tau 0.005
  iql       one IQL iteration: expectile value step (0.7), advantage-weighted
            Gaussian actor step (beta 3), twin-critic step on r + g V(s'),
            Polyak update of the target critics; all nets 256-256, Adam 3e-4
  vae       one Adam step (1e-3) of the BCQ/A2PR behaviour VAE: encoder and
            decoder 750-750, latent 2 act, loss recon MSE + 0.5 KL
  a2pr      one A2PR iteration (Liu et al. 2024): actor 256x3, twin critics
            and value 256x4, the 750-750 behaviour VAE; critic step with
            target smoothing, value step on min of the two TD targets (V(s)
            kept from before the step), advantage-weighted VAE step, and
            every 2nd iteration the actor step with the advantage-selected BC
            target (gradient through the VAE's reconstruction) and Polyak
  gemm      square matrix products of size 256 and 1024, float32 (gemm_N)
            and float64 (dgemm_N), in GFLOP/s counting 2 N^3 per product

Each benchmark warms up, then times several equal windows (--windows, whose
lengths add up to --seconds) and reports the median window's rate. Prints one
JSON object; `blas` names the BLAS library the process actually mapped.

Run with Debian's python3-torch and libopenblas0-pthread installed: without
OpenBLAS, libblas.so.3 is the netlib reference BLAS, many times slower.
"""
import argparse
import copy
import json
import os
import statistics
import sys
import time

PARTS = ("td3bc", "iql", "vae", "a2pr", "gemm")


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    p.add_argument("--seconds", type=float, default=5.0,
                   help="timed seconds per benchmark, split into --windows windows (default 5)")
    p.add_argument("--windows", type=int, default=5, help="timed windows per benchmark (default 5)")
    p.add_argument("--only", default=",".join(PARTS),
                   help="comma list of parts to run, from " + ",".join(PARTS) + " (default all)")
    p.add_argument("--info", action="store_true",
                   help="print only the torch version, threads and BLAS, and exit")
    p.add_argument("--selfcheck", action="store_true",
                   help="train each update on one fixed batch for 200 steps and check "
                        "that the losses stay finite and go down, instead of timing")
    a = p.parse_args()
    a.only = [x.strip() for x in a.only.split(",") if x.strip()]
    bad = [x for x in a.only if x not in PARTS]
    if bad:
        p.error("unknown --only part(s): " + ",".join(bad))
    if a.windows < 1 or a.seconds <= 0:
        p.error("--windows must be at least 1 and --seconds positive")
    return a


args = parse()
# Both of torch's pools must be sized before it is imported: its OpenMP pool
# and OpenBLAS's own pthread pool. Left alone, the two spin against each
# other on a small machine; a passive OpenMP wait policy stops that.
for key, value in (("OMP_NUM_THREADS", str(args.threads)),
                   ("OPENBLAS_NUM_THREADS", str(args.threads)),
                   ("OMP_WAIT_POLICY", "PASSIVE")):
    os.environ.setdefault(key, value)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_flush_denormal(True)

OBS, ACT, BATCH, ROWS = 17, 6, 256, 100_000


def blas_libraries():
    """The BLAS/LAPACK shared objects mapped into this process, by real path."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))  # make sure the BLAS is loaded
    found = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) < 6:
                continue
            path = fields[5]
            name = os.path.basename(path).lower()
            if ("blas" in name or "lapack" in name or "mkl" in name) and path not in found:
                found.append(path)
    return found


def mlp(inp, out, hidden=256):
    return nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, out))


def deep_mlp(inp, out, depth, hidden=256):
    """depth hidden ReLU layers of width hidden, then a linear output."""
    layers, width = [], inp
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, out))


def copy_of(net):
    """A frozen copy of net, for a target network."""
    twin = copy.deepcopy(net)
    for p in twin.parameters():
        p.requires_grad_(False)
    return twin


def polyak(targets, sources, tau):
    with torch.no_grad():
        for t, s in zip(targets, sources):
            for pt, ps in zip(t.parameters(), s.parameters()):
                pt.mul_(1 - tau).add_(ps, alpha=tau)


def adam_step(opt, loss):
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


class TD3BC:
    """The TD3+BC update, written from the paper's description."""

    def __init__(self):
        self.actor = nn.Sequential(mlp(OBS, ACT), nn.Tanh())
        self.q1, self.q2 = mlp(OBS + ACT, 1), mlp(OBS + ACT, 1)
        self.actor_t, self.q1_t, self.q2_t = copy_of(self.actor), copy_of(self.q1), copy_of(self.q2)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.critic_opt = torch.optim.Adam(list(self.q1.parameters()) + list(self.q2.parameters()), lr=3e-4)
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
        adam_step(self.critic_opt, critic_loss)
        if self.it % 2 == 0:
            pi = self.actor(s)
            q = self.q1(torch.cat([s, pi], 1))
            lam = 2.5 / q.abs().mean().detach()
            actor_loss = -lam * q.mean() + F.mse_loss(pi, a)
            adam_step(self.actor_opt, actor_loss)
            polyak((self.actor_t, self.q1_t, self.q2_t), (self.actor, self.q1, self.q2), 0.005)
        # the actor loss trades Q against BC and need not fall: check the critic only
        return {"critic": critic_loss.detach()}


class GaussianActor(nn.Module):
    """mean = tanh(MLP(s)); a state-independent log-std, clipped to [-5, 2]."""

    def __init__(self):
        super().__init__()
        self.body = mlp(OBS, ACT)
        self.log_std = nn.Parameter(torch.zeros(ACT))

    def log_prob(self, s, a):
        mean = torch.tanh(self.body(s))
        log_std = self.log_std.clamp(-5.0, 2.0)
        return torch.distributions.Normal(mean, log_std.exp()).log_prob(a).sum(-1, keepdim=True)


class IQL:
    """The IQL update (Kostrikov et al. 2021): value, actor, critic, targets."""

    expectile, beta, gamma, tau = 0.7, 3.0, 0.99, 0.005

    def __init__(self):
        self.q1, self.q2 = mlp(OBS + ACT, 1), mlp(OBS + ACT, 1)
        self.q1_t, self.q2_t = copy_of(self.q1), copy_of(self.q2)
        self.v = mlp(OBS, 1)
        self.actor = GaussianActor()
        self.v_opt = torch.optim.Adam(self.v.parameters(), lr=3e-4)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.critic_opt = torch.optim.Adam(list(self.q1.parameters()) + list(self.q2.parameters()), lr=3e-4)

    def update(self, s, a, r, s2, mask):
        sa = torch.cat([s, a], 1)
        # 1) expectile regression of V towards the target critics' minimum
        with torch.no_grad():
            q_t = torch.min(self.q1_t(sa), self.q2_t(sa))
        u = q_t - self.v(s)
        weight = (self.expectile - (u < 0).float()).abs()
        value_loss = (weight * u.pow(2)).mean()
        adam_step(self.v_opt, value_loss)
        # 2) advantage-weighted regression of the actor, with the new V
        with torch.no_grad():
            w = torch.exp(self.beta * (q_t - self.v(s))).clamp(max=100.0)
        actor_loss = -(w * self.actor.log_prob(s, a)).mean()
        adam_step(self.actor_opt, actor_loss)
        # 3) twin critics towards r + gamma V(s'), with the new V
        with torch.no_grad():
            y = r + self.gamma * mask * self.v(s2)
        critic_loss = ((self.q1(sa) - y).pow(2) + (self.q2(sa) - y).pow(2)).mean()
        adam_step(self.critic_opt, critic_loss)
        # 4) target critics
        polyak((self.q1_t, self.q2_t), (self.q1, self.q2), self.tau)
        return {"value": value_loss.detach(), "actor": actor_loss.detach(), "critic": critic_loss.detach()}


class VAE(nn.Module):
    """The BCQ/A2PR behaviour VAE: (s, a) -> z -> a, latent 2 act."""

    def __init__(self, hidden=750, max_action=1.0, obs=OBS, act=ACT):
        super().__init__()
        self.latent, self.max_action = 2 * act, max_action
        self.enc = nn.Sequential(nn.Linear(obs + act, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.mean = nn.Linear(hidden, self.latent)
        self.log_std = nn.Linear(hidden, self.latent)
        self.dec = mlp(obs + self.latent, act, hidden)
        self.opt = torch.optim.Adam(self.parameters(), lr=1e-3)

    def forward(self, s, a):
        """Encoder and decoder with one fresh z: (reconstruction, mean, std)."""
        h = self.enc(torch.cat([s, a], 1))
        mean, log_std = self.mean(h), self.log_std(h).clamp(-4.0, 15.0)
        std = log_std.exp()
        z = mean + std * torch.randn_like(std)
        return torch.tanh(self.dec(torch.cat([s, z], 1))) * self.max_action, mean, std

    def update(self, s, a, r, s2, mask, weight=None):
        """One Adam step; weight (rows x 1) scales each row's reconstruction."""
        recon, mean, std = self(s, a)
        sq = (recon - a).pow(2)
        recon_loss = (sq if weight is None else weight * sq).mean()
        kl = -0.5 * (1 + (std * std).log() - mean.pow(2) - std.pow(2)).mean()
        loss = recon_loss + 0.5 * kl
        adam_step(self.opt, loss)
        return {"loss": loss.detach(), "recon": recon_loss.detach()}


class A2PR:
    """One A2PR iteration (Liu et al., ICML 2024), written from the paper and
    our specification: TD3+BC whose BC target is the dataset action or the
    advantage-weighted VAE's reconstruction of the policy's action, whichever
    has the larger advantage Q1 - V. Hopper-shaped, as offrl's benchmark."""

    obs, act = 11, 3
    gamma, tau, alpha, mask_c, vae_weight = 0.99, 0.005, 2.5, 0.5, 1.0

    def __init__(self):
        o, a = self.obs, self.act
        self.actor = nn.Sequential(deep_mlp(o, a, 3), nn.Tanh())
        self.q1, self.q2 = deep_mlp(o + a, 1, 4), deep_mlp(o + a, 1, 4)
        self.v = deep_mlp(o, 1, 4)
        self.vae = VAE(obs=o, act=a)
        self.actor_t, self.q1_t, self.q2_t = copy_of(self.actor), copy_of(self.q1), copy_of(self.q2)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.critic_opt = torch.optim.Adam(list(self.q1.parameters()) + list(self.q2.parameters()), lr=3e-4)
        self.v_opt = torch.optim.Adam(self.v.parameters(), lr=3e-4)
        self.it = 0

    def update(self, s, a, r, s2, mask):
        self.it += 1
        # 1) twin critics towards the smoothed TD target of the target nets
        with torch.no_grad():
            noise = (torch.randn_like(a) * 0.2).clamp(-0.5, 0.5)
            a2 = (self.actor_t(s2) + noise).clamp(-1, 1)
            sa2 = torch.cat([s2, a2], 1)
            y = r + self.gamma * mask * torch.min(self.q1_t(sa2), self.q2_t(sa2))
        sa = torch.cat([s, a], 1)
        critic_loss = F.mse_loss(self.q1(sa), y) + F.mse_loss(self.q2(sa), y)
        adam_step(self.critic_opt, critic_loss)
        # 2) V towards min(y, TD target of the updated online critics, same a');
        #    V(s) from before this step is kept for 3) and 4)
        with torch.no_grad():
            t = torch.min(y, r + self.gamma * mask * torch.min(self.q1(sa2), self.q2(sa2)))
        v_s = self.v(s)
        value_loss = F.mse_loss(v_s, t)
        adam_step(self.v_opt, value_loss)
        v_s = v_s.detach()
        # 3) the VAE reconstructs only rows with a positive advantage
        with torch.no_grad():
            q_data = self.q1(sa)
        weight = self.vae_weight * (q_data > v_s).float()
        vae_loss = self.vae.update(s, a, r, s2, mask, weight)["loss"]
        out = {"critic": critic_loss.detach(), "value": value_loss.detach(), "vae": vae_loss}
        # 4) actor every 2nd iteration, then the targets
        if self.it % 2 == 0:
            pi = self.actor(s)
            q_pi = self.q1(torch.cat([s, pi], 1))
            lam = self.alpha / q_pi.abs().mean().detach()
            a_vae, _, _ = self.vae(s, pi)  # not detached: gradient reaches pi through the VAE
            with torch.no_grad():
                q_vae = self.q1(torch.cat([s, a_vae], 1))
                use_vae = (q_vae - v_s >= q_data - v_s).float()
                c = self.mask_c * ((q_vae >= v_s).float() + (q_data > v_s).float())
            target = a_vae * use_vae + a * (1 - use_vae)
            actor_loss = -lam * q_pi.mean() + (c * (pi - target).pow(2)).mean()
            adam_step(self.actor_opt, actor_loss)
            polyak((self.actor_t, self.q1_t, self.q2_t), (self.actor, self.q1, self.q2), self.tau)
        return out


AGENTS = {"td3bc": TD3BC, "iql": IQL, "vae": VAE, "a2pr": A2PR}


def synthetic_buffer(obs=OBS, act=ACT):
    return {
        "s": torch.randn(ROWS, obs), "a": torch.rand(ROWS, act) * 2 - 1,
        "r": torch.randn(ROWS, 1), "s2": torch.randn(ROWS, obs), "m": torch.ones(ROWS, 1),
    }


def dims(name):
    """The (obs, act) widths of an update's synthetic data."""
    cls = AGENTS[name]
    return getattr(cls, "obs", OBS), getattr(cls, "act", ACT)


def rate(step):
    """Calls step through a warm-up, then through args.windows timed windows
    of args.seconds/args.windows each; returns the median calls per second
    and the per-window rates."""
    window = args.seconds / args.windows
    end = time.perf_counter() + max(0.5, window)
    while time.perf_counter() < end:
        step()
    rates = []
    for _ in range(args.windows):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < window:
            step()
            n += 1
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates), rates


def bench_update(name):
    torch.manual_seed(0)
    data = synthetic_buffer(*dims(name))
    agent = AGENTS[name]()

    def step():
        idx = torch.randint(0, ROWS, (BATCH,))
        agent.update(data["s"][idx], data["a"][idx], data["r"][idx], data["s2"][idx], data["m"][idx])

    return rate(step)


def bench_gemm(n, dtype):
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    med, rates = rate(lambda: torch.mm(a, b))
    scale = 2 * n ** 3 / 1e9
    return med * scale, [x * scale for x in rates]


def selfcheck(names, steps=200):
    """Trains each update on one fixed batch; every loss must stay finite and
    the mean of its last 20 values must be below the mean of its first 20."""
    ok = True
    for name in names:
        if name not in AGENTS:
            continue
        torch.manual_seed(0)
        data = synthetic_buffer(*dims(name))
        idx = torch.randint(0, ROWS, (BATCH,))
        batch = [data[k][idx] for k in ("s", "a", "r", "s2", "m")]
        agent = AGENTS[name]()
        history = {}
        for _ in range(steps):
            for k, v in agent.update(*batch).items():
                history.setdefault(k, []).append(float(v))
        for k, vals in history.items():
            first, last = statistics.mean(vals[:20]), statistics.mean(vals[-20:])
            finite = all(v == v and abs(v) != float("inf") for v in vals)
            good = finite and last < first
            ok &= good
            print(f"{name:6s} {k:9s} first20 {first:12.5g} last20 {last:12.5g} "
                  f"{'ok' if good else 'FAIL'}", file=sys.stderr)
    return ok


def main():
    out = {"torch": torch.__version__, "threads": args.threads, "blas": " ".join(blas_libraries())}
    if args.info:
        json.dump(out, sys.stdout)
        print()
        return
    if args.selfcheck:
        sys.exit(0 if selfcheck(args.only) else 1)
    out["windows"] = args.windows
    out["window_seconds"] = args.seconds / args.windows
    for name in ("td3bc", "iql", "vae", "a2pr"):
        if name in args.only:
            out[f"{name}_updates_per_s"], out[f"{name}_windows"] = bench_update(name)
    if "gemm" in args.only:
        for prefix, dtype in (("gemm", torch.float32), ("dgemm", torch.float64)):
            for n in (256, 1024):
                out[f"{prefix}_{n}_gflops"], out[f"{prefix}_{n}_windows"] = bench_gemm(n, dtype)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
