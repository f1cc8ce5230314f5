#!/usr/bin/python3
"""The PyTorch side of bench/run_rl.sh: the same networks and losses as bench/rl.c's `nets`
mode, one thread (torch.set_num_threads(1)), float32, median of 5 runs per figure.

  policy_forward_bB          normalise (clip +-10), actor MLP 35-64-64-2 tanh, Gaussian sample
                             clipped to [-1, 1], under torch.no_grad() (a rollout step)
  fwd_bwd_actor_2critics_bB  PPO clip loss on the Gaussian log-likelihood (actor, with a
                             state-independent log_std) + MSE of two critics 35-64-64-1,
                             gradients zeroed, forward and loss.backward() (no optimiser step)

Prints "key seconds-per-call" lines like bench/rl.c. `rl_torch.py rcsl [out]`: RCSL training
samples per second instead (see rcsl() below). `rl_torch.py cpo DIR [out]`: one CPO policy
update on the batches bench/rl.c's `cpo` mode wrote to DIR (see cpo() below)."""
import math
import os
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


# wall time, or with NETS_CPU_TIME=1 the process's CPU time (as bench_rl nets)
clock = time.process_time if os.environ.get("NETS_CPU_TIME") == "1" else time.perf_counter


def per_call(fn, *args):
    calls = 1
    while True:
        t0 = clock()
        for _ in range(calls):
            fn(*args)
        if clock() - t0 > 0.05:
            break
        calls *= 2
    calls *= 2
    times = []
    for _ in range(REPEATS):
        t0 = clock()
        for _ in range(calls):
            fn(*args)
        times.append((clock() - t0) / calls)
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


def cpo_dual(q, r, s, c, delta, bb):
    """CPO's five-case dual (Achiam et al. 2017, appendix 10.2), as saferl_rl_cpo_dual: returns
    (case, x_coef, p_coef, nu) for the step D = x_coef x - p_coef p."""
    big = 1e300
    lam_b = (q / (2 * delta)) ** 0.5
    if (bb <= 1e-8 or not s > 0) and c < 0:
        return 4, 1 / lam_b, 0.0, 0.0
    A, B = q - r * r / s, 2 * delta - c * c / s
    if c < 0 and B < 0:
        return 3, 1 / lam_b, 0.0, 0.0
    if c >= 0 and B < 0:
        return 0, 0.0, (2 * delta / s) ** 0.5, 0.0
    r = -r  # the dual written for the descent gradient, as the papers' code
    A = max(A, 1e-12 * q)
    lam_a = (A / B) ** 0.5 if B > 0 else big
    bound = r / c if c != 0 else (big if r > 0 else (-big if r < 0 else 0.0))
    clamp = lambda v, lo, hi: max(lo, min(hi, v))
    if c < 0:
        la, lb = clamp(lam_a, 0.0, bound), clamp(lam_b, bound, big)
    else:
        la, lb = clamp(lam_a, bound, big), clamp(lam_b, 0.0, bound)
    fa = -0.5 * (A / la + B * la) - r * c / s if 0 < la < big else -big
    fb = -0.5 * (q / lb + 2 * delta * lb) if 0 < lb < big else -big
    lam = la if fa >= fb else lb
    nu = (lam * c - r) / s if lam * c - r > 0 else 0.0
    return (2 if c < 0 else 1), 1 / lam, nu / lam, nu


def cpo(batch_dir, out_path):
    """One CPO policy update on the batch bench/rl.c's `cpo` mode wrote (same theta_old, same
    data), as OmniSafe's CPO does it: g and b by autograd of the surrogates mean(rho A_R),
    mean(rho A_C); the Fisher-vector product by double backprop of the batch's mean KL
    (OmniSafe's _fvp: KL(pi_old || pi) with pi_old detached, grad with create_graph, then the
    gradient of (grad KL) . v; the forward recomputed each product), + 0.1 v; conjugate
    gradient 15 products from 0 (stop at residual < 1e-10); the five-case dual; 15
    backtracking steps of 0.8 accepted on KL <= 0.01, the cost surrogate's growth <= max(-c, 0)
    and, in cases 2..4, no loss of reward surrogate. The KL is summed over action dimensions
    (as ours; OmniSafe averages, the same cost). Whole-batch tensors (no chunks). Medians of 5
    updates, each from theta_old, of wall-clock and of process CPU seconds."""
    import numpy as np
    lines = []
    for name in ("gaussian", "categorical"):
        raw = open(f"{batch_dir}/cpo_batch_{name}.bin", "rb").read()
        O, H, discrete, N, n, Ad = np.frombuffer(raw, np.int32, 6)
        c = float(np.frombuffer(raw, np.float64, 1, 24)[0])
        floats = np.frombuffer(raw, np.float32, offset=32)
        sizes = [n, N * O, N * Ad, N, N, N]
        parts, at = [], 0
        for k in sizes:
            parts.append(torch.from_numpy(floats[at:at + k].copy()))
            at += k
        theta_old, obs, actions, logp_old, adv_r, adv_c = parts
        obs, actions = obs.view(N, O), actions.view(N, Ad)
        net = nn.Sequential(nn.Linear(O, HID), nn.Tanh(), nn.Linear(HID, HID), nn.Tanh(), nn.Linear(HID, H))
        ps = list(net.parameters())
        if not discrete:
            log_std_p = nn.Parameter(torch.zeros(H))
            ps.append(log_std_p)
        act_index = actions[:, 0].long() if discrete else None

        def set_flat(flat):
            torch.nn.utils.vector_to_parameters(flat, ps)

        def logp_of(head):
            if discrete:
                return torch.log_softmax(head, -1).gather(1, act_index[:, None]).squeeze(1)
            z = (actions - head) * torch.exp(-log_std_p)
            return (-0.5 * z * z - log_std_p - HALF_LOG_2PI).sum(-1)

        def kl_of(head, old_head, old_log_std):
            if discrete:
                lp_old, lp = torch.log_softmax(old_head, -1), torch.log_softmax(head, -1)
                return (lp_old.exp() * (lp_old - lp)).sum(-1).mean()
            var_old, var = torch.exp(2 * old_log_std), torch.exp(2 * log_std_p)
            return (log_std_p - old_log_std + (var_old + (old_head - head) ** 2) / (2 * var) - 0.5).sum(-1).mean()

        def flat_grad(y, **kw):
            return torch.cat([t.reshape(-1) for t in torch.autograd.grad(y, ps, **kw)])

        def update():
            set_flat(theta_old)
            with torch.no_grad():
                old_head = net(obs)
                old_log_std = log_std_p.detach().clone() if not discrete else None
            head = net(obs)
            ratio = torch.exp(logp_of(head) - logp_old)
            g = flat_grad((ratio * adv_r).mean(), retain_graph=True)
            b = flat_grad((ratio * adv_c).mean())

            def fvp(v):
                kl = kl_of(net(obs), old_head, old_log_std)
                grad_kl = flat_grad(kl, create_graph=True)
                return flat_grad((grad_kl * v).sum()) + 0.1 * v

            def cg(rhs):
                x = torch.zeros_like(rhs)
                r, p = rhs.clone(), rhs.clone()
                rr = torch.dot(r, r)
                for _ in range(15):
                    if rr.sqrt() < 1e-10:
                        break
                    z = fvp(p)
                    pz = torch.dot(p, z)
                    if not pz > 0:
                        break
                    alpha = rr / pz
                    x += alpha * p
                    r -= alpha * z
                    rr_new = torch.dot(r, r)
                    p = r + (rr_new / rr) * p
                    rr = rr_new
                return x

            x, p = cg(g), cg(b)
            q, r, s, bb = (torch.dot(g, x).item(), torch.dot(g, p).item(), torch.dot(b, p).item(),
                           torch.dot(b, b).item())
            case, x_coef, p_coef, nu = cpo_dual(q, r, s, c, 0.01, bb)
            step = x_coef * x - p_coef * p
            with torch.no_grad():
                ratio0 = torch.exp(logp_of(net(obs)) - logp_old)
                reward_old, cost_old = (ratio0 * adv_r).mean().item(), (ratio0 * adv_c).mean().item()
                frac, accepted, kl = 1.0, False, 0.0
                for _ in range(15):
                    set_flat(theta_old + frac * step)
                    head = net(obs)
                    kl = kl_of(head, old_head, old_log_std).item()
                    ratio = torch.exp(logp_of(head) - logp_old)
                    reward_new, cost_new = (ratio * adv_r).mean().item(), (ratio * adv_c).mean().item()
                    if (kl <= 0.01 and not (case > 1 and reward_new < reward_old)
                            and cost_new - cost_old <= max(-c, 0.0)):
                        accepted = True
                        break
                    frac *= 0.8
                if not accepted:
                    set_flat(theta_old)
                    frac, kl = 0.0, 0.0
            return case, frac, kl, nu

        update()  # warm up
        times, cpu = [], []
        for _ in range(REPEATS):
            t0, c0 = time.perf_counter(), time.process_time()
            info = update()
            cpu.append(time.process_time() - c0)
            times.append(time.perf_counter() - t0)
        lines.append(f"cpo_update_{name} {statistics.median(times):.4g}")
        lines.append(f"cpo_update_cpu_{name} {statistics.median(cpu):.4g}")
        lines.append(f"cpo_info_{name} case={info[0]} fraction={info[1]:.4g} kl={info[2]:.4g} nu={info[3]:.4g} "
                     f"params={n}")
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
    elif len(sys.argv) > 2 and sys.argv[1] == "cpo":
        cpo(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        main()
