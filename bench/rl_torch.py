#!/usr/bin/python3
"""The PyTorch side of bench/run_rl.sh: the same networks and losses as bench/rl.c's `nets`
mode, one thread (torch.set_num_threads(1)), float32, median of 5 runs per figure.

  policy_forward_bB          normalise (clip +-10), actor MLP 35-64-64-2 tanh, Gaussian sample
                             clipped to [-1, 1], under torch.no_grad() (a rollout step)
  fwd_bwd_actor_2critics_bB  PPO clip loss on the Gaussian log-likelihood (actor, with a
                             state-independent log_std) + MSE of two critics 35-64-64-1,
                             gradients zeroed, forward and loss.backward() (no optimiser step)

Prints "key seconds-per-call" lines like bench/rl.c. `rl_torch.py rcsl [out]`: RCSL training
samples per second instead (see rcsl() below)."""
import math
import statistics
import sys
import time

import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(7)
OBS, HID, ACT = 35, 64, 2
REPEATS = 5


def mlp(out):
    return nn.Sequential(nn.Linear(OBS, HID), nn.Tanh(), nn.Linear(HID, HID), nn.Tanh(), nn.Linear(HID, out))


actor, critic_r, critic_c = mlp(ACT), mlp(1), mlp(1)
log_std = nn.Parameter(torch.zeros(ACT))
obs_mean = torch.full((OBS,), 0.1)
obs_std = torch.full((OBS,), 1.5)
params = list(actor.parameters()) + [log_std] + list(critic_r.parameters()) + list(critic_c.parameters())
HALF_LOG_2PI = 0.91893853320467274178


def policy_forward(obs):
    with torch.no_grad():
        x = torch.clamp((obs - obs_mean) / obs_std, -10.0, 10.0)
        mean = actor(x)
        return torch.clamp(mean + torch.exp(log_std) * torch.randn_like(mean), -1.0, 1.0)


def train_step(x, actions, logp_old, adv, target_r, target_c):
    for p in params:
        p.grad = None
    mean = actor(x)
    z = (actions - mean) * torch.exp(-log_std)
    logp = (-0.5 * z * z - log_std - HALF_LOG_2PI).sum(dim=1)
    ratio = torch.exp(logp - logp_old)
    loss_pi = -torch.min(ratio * adv, torch.clamp(ratio, 0.8, 1.2) * adv).mean()
    loss_r = ((critic_r(x).squeeze(1) - target_r) ** 2).mean()
    loss_c = ((critic_c(x).squeeze(1) - target_c) ** 2).mean()
    (loss_pi + loss_r + loss_c).backward()


def per_call(fn, *args):
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        if time.perf_counter() - t0 > 0.05:
            break
        calls *= 2
    calls *= 2
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def main():
    results = []
    for B in (1, 64, 1024):
        obs = torch.randn(B, OBS)
        results.append((f"policy_forward_b{B}", per_call(policy_forward, obs)))
    for B in (1, 64, 1024):
        x = torch.clamp((torch.randn(B, OBS) - obs_mean) / obs_std, -10.0, 10.0)
        actions = 0.5 * torch.randn(B, ACT)
        logp_old = -2.0 + 0.1 * torch.randn(B)
        adv = torch.randn(B)
        results.append((f"fwd_bwd_actor_2critics_b{B}",
                        per_call(train_step, x, actions, logp_old, adv, torch.randn(B), torch.rand(B))))
    out = open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout
    for key, value in results:
        out.write(f"{key} {value:.4g}\n")
    out.write(f"torch_version {torch.__version__}\n")


def rcsl(out_path):
    """RCSL training as bench/rl.c's `rcsl` mode: N = 20000 random samples (inputs already
    normalised, as our trainer precomputes them), a {64, 64} tanh MLP over observation + 2,
    Adam 1e-3, minibatches of 256 from a shuffled order, gradient norm clipped at 40;
    cross-entropy (gridworld: 63 + 2 inputs, 4 actions) or the Gaussian NLL with a
    state-independent log_std (pointgoal: 35 + 2 inputs, 2 actions). Samples per second,
    median of 5 runs of 200 steps."""
    n, steps, batch = 20000, 200, 256
    lines = []
    for name, obs, actions in (("gridworld", 63, 4), ("pointgoal", 35, 2)):
        inp = obs + 2
        net = nn.Sequential(nn.Linear(inp, HID), nn.Tanh(), nn.Linear(HID, HID), nn.Tanh(), nn.Linear(HID, actions))
        log_std_r = nn.Parameter(torch.zeros(actions))
        ps = list(net.parameters()) + ([log_std_r] if name == "pointgoal" else [])
        opt = torch.optim.Adam(ps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        x_all = torch.randn(n, inp)
        if name == "gridworld":
            a_all = torch.randint(0, actions, (n,))
        else:
            a_all = torch.rand(n, actions) * 2 - 1
        state = {"order": torch.randperm(n), "cursor": 0}

        def step():
            if state["cursor"] + batch > n:
                state["order"], state["cursor"] = torch.randperm(n), 0
            idx = state["order"][state["cursor"]:state["cursor"] + batch]
            state["cursor"] += batch
            x, a = x_all[idx], a_all[idx]
            head = net(x)
            if name == "gridworld":
                loss = nn.functional.cross_entropy(head, a)
            else:
                z = (a - head) * torch.exp(-log_std_r)
                loss = -(-0.5 * z * z - log_std_r - HALF_LOG_2PI).sum(-1).mean()
            opt.zero_grad(set_to_none=False)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(ps, 40.0)
            opt.step()

        lines.append(f"rcsl_train_samples_per_s_{name} {median_rate(step, 20, steps, batch):.0f}")
    lines.append(f"rcsl_train_samples_per_s_transformer_gridworld {cdt_rate():.0f}")
    out = open(out_path, "w") if out_path else sys.stdout
    for line in lines:
        out.write(line + "\n")
    out.write(f"torch_version {torch.__version__}\n")


class CausalBlock(nn.Module):
    """A pre-LN GPT block as saferl_rl.h's: LayerNorm, causal self-attention (one qkv
    projection, softmax(q k^T / sqrt(hs)) with the upper triangle masked), output projection,
    residual; LayerNorm, Linear(d, 4d), GELU (tanh approximation), Linear(4d, d), residual."""

    def __init__(self, d, heads, width, tokens):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fc_proj = nn.Linear(d, width), nn.Linear(width, d)
        self.register_buffer("mask", torch.triu(torch.ones(tokens, tokens, dtype=torch.bool), 1))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // self.heads))
        att = att.masked_fill(self.mask[:t, :t], float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc_proj(nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


def cdt_rate():
    """The transformer form as bench/rl.c's "transformer_gridworld": the same random gridworld
    data (400 episodes of 50 steps, 63 inputs + R and C, 4 actions), windows of K = 10 steps
    starting at a shuffled step, padded after an episode's end (the loss skips padding), tokens
    (R, C, state, action) per step plus a learned timestep embedding, embedding LayerNorm,
    2 blocks of 2 heads, d 32, MLP 128, final LayerNorm, a linear head on the state tokens,
    masked mean cross-entropy, Adam 1e-3, clipping at 40, minibatch 64. Windows per second,
    median of 5 runs of 40 steps."""
    n, ep, K, d, heads, layers, batch, steps, A, O = 20000, 50, 10, 32, 2, 2, 64, 40, 4, 63
    obs = torch.randn(n, O + 2)
    act = torch.randint(0, A, (n,))
    timestep = torch.arange(n) % ep
    left = ep - timestep  # steps left in the episode from each step

    class CDT(nn.Module):
        def __init__(self):
            super().__init__()
            self.reward, self.cost = nn.Linear(1, d), nn.Linear(1, d)
            self.state, self.action = nn.Linear(O, d), nn.Linear(A, d)
            self.time = nn.Embedding(ep, d)
            self.ln_emb, self.ln_f = nn.LayerNorm(d), nn.LayerNorm(d)
            self.blocks = nn.ModuleList(CausalBlock(d, heads, 4 * d, 4 * K) for _ in range(layers))
            self.head = nn.Linear(d, A)

        def forward(self, x, a, t):  # x (B,K,O+2), a (B,K,A) one-hot, t (B,K)
            te = self.time(t)
            tok = torch.stack((self.reward(x[..., O:O + 1]) + te, self.cost(x[..., O + 1:]) + te,
                               self.state(x[..., :O]) + te, self.action(a) + te), dim=2)
            h = self.ln_emb(tok.reshape(x.shape[0], 4 * K, d))
            for blk in self.blocks:
                h = blk(h)
            return self.head(self.ln_f(h[:, 2::4]))

    net = CDT()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    state = {"order": torch.randperm(n), "cursor": 0}
    offsets = torch.arange(K)

    def step():
        if state["cursor"] + batch > n:
            state["order"], state["cursor"] = torch.randperm(n), 0
        start = state["order"][state["cursor"]:state["cursor"] + batch]
        state["cursor"] += batch
        valid = offsets[None, :] < left[start][:, None]
        idx = torch.where(valid, start[:, None] + offsets[None, :], torch.zeros_like(valid, dtype=torch.long))
        x = obs[idx] * valid[..., None]
        a = nn.functional.one_hot(act[idx], A).float() * valid[..., None]
        t = timestep[idx] * valid
        logits = net(x, a, t)
        loss = nn.functional.cross_entropy(logits[valid], act[idx][valid])
        opt.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 40.0)
        opt.step()

    return median_rate(step, 5, steps, batch)


def median_rate(step, warm_up, steps, batch):
    """Samples per second of `step` (batch samples each): the median of REPEATS runs of
    `steps` steps after `warm_up` steps."""
    for _ in range(warm_up):
        step()
    rates = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps * batch / (time.perf_counter() - t0))
    return statistics.median(rates)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "rcsl":
        rcsl(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        main()
