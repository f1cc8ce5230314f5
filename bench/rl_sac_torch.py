#!/usr/bin/env python3
"""SAC on Gym's Pendulum-v1 in PyTorch (Debian's python3-torch), one thread: the peer of
bench/rl_offpolicy.c with the same settings, fixed before any run: automatic temperature
(initial alpha 1, target entropy -1), actor and twin critics 64-64 ReLU, Adam 3e-4
everywhere, batch 100, gamma 0.99, tau 0.005, 1000 uniformly random steps then one update per
step, 10,000 environment steps. Pendulum-v1's equations in numpy (gymnasium is not packaged by
Debian; the same equations tests/oracle/rl_pendulum_v1.py checks saferl_rl.h against).

usage: rl_sac_torch.py SEED   prints sac_pendulum_seconds (wall), sac_pendulum_cpu_seconds (the
process's CPU time) and sac_pendulum_eval_return
"""
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)
STEPS, RANDOM_STEPS, BATCH, HIDDEN, LR, GAMMA, TAU = 10000, 1000, 100, 64, 3e-4, 0.99, 0.005


class Pendulum:
    def __init__(self, rng):
        self.rng = rng

    def obs(self):
        return np.array([math.cos(self.th), math.sin(self.th), self.thdot], dtype=np.float32)

    def reset(self):
        self.th, self.thdot = self.rng.uniform(-math.pi, math.pi), self.rng.uniform(-1.0, 1.0)
        self.t = 0
        return self.obs()

    def step(self, a):
        u = 2.0 * min(max(float(a), -1.0), 1.0)
        thn = ((self.th + math.pi) % (2 * math.pi)) - math.pi
        reward = -(thn ** 2 + 0.1 * self.thdot ** 2 + 0.001 * u ** 2)
        self.thdot = min(max(self.thdot + (15.0 * math.sin(self.th) + 3.0 * u) * 0.05, -8.0), 8.0)
        self.th += self.thdot * 0.05
        self.t += 1
        return self.obs(), reward, self.t >= 200


def mlp(inp, out):
    return nn.Sequential(nn.Linear(inp, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, out))


def sample(actor, obs):
    head = actor(obs)
    mean, log_std = head[:, :1], head[:, 1:].clamp(-20.0, 2.0)
    noise = torch.randn_like(mean)
    u = mean + log_std.exp() * noise
    logp = (-0.5 * noise ** 2 - log_std - 0.5 * math.log(2 * math.pi)
            - 2.0 * (math.log(2.0) - u - nn.functional.softplus(-2.0 * u))).sum(1)
    return torch.tanh(u), logp


def run(seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    env = Pendulum(rng)
    actor, critics = mlp(3, 2), [mlp(4, 1), mlp(4, 1)]
    targets = [mlp(4, 1), mlp(4, 1)]
    for t, c in zip(targets, critics):
        t.load_state_dict(c.state_dict())
    log_alpha = torch.zeros(1, requires_grad=True)
    actor_opt = torch.optim.Adam(actor.parameters(), lr=LR)
    critic_opt = torch.optim.Adam(list(critics[0].parameters()) + list(critics[1].parameters()), lr=LR)
    alpha_opt = torch.optim.Adam([log_alpha], lr=LR)
    obs_buf = np.zeros((STEPS, 3), np.float32)
    next_buf = np.zeros((STEPS, 3), np.float32)
    act_buf = np.zeros((STEPS, 1), np.float32)
    rew_buf = np.zeros(STEPS, np.float32)
    start, cpu_start = time.perf_counter(), time.process_time()
    obs = env.reset()
    for step in range(STEPS):
        if step < RANDOM_STEPS:
            action = rng.uniform(-1.0, 1.0)
        else:
            with torch.no_grad():
                action = float(sample(actor, torch.as_tensor(obs).unsqueeze(0))[0][0, 0])
        next_obs, reward, truncated = env.step(action)
        obs_buf[step], next_buf[step], act_buf[step], rew_buf[step] = obs, next_obs, action, reward
        obs = env.reset() if truncated else next_obs  # Pendulum-v1 never terminates: always bootstrap
        if step + 1 < RANDOM_STEPS:
            continue
        idx = rng.integers(0, step + 1, BATCH)
        o, a, r, o2 = (torch.as_tensor(obs_buf[idx]), torch.as_tensor(act_buf[idx]),
                       torch.as_tensor(rew_buf[idx]), torch.as_tensor(next_buf[idx]))
        alpha = log_alpha.exp().detach()
        with torch.no_grad():
            a2, logp2 = sample(actor, o2)
            x2 = torch.cat([o2, a2], 1)
            y = r + GAMMA * (torch.min(targets[0](x2), targets[1](x2)).squeeze(1) - alpha * logp2)
        x = torch.cat([o, a], 1)
        critic_loss = sum(((c(x).squeeze(1) - y) ** 2).mean() for c in critics)
        critic_opt.zero_grad()
        critic_loss.backward()
        critic_opt.step()
        a_new, logp = sample(actor, o)
        xn = torch.cat([o, a_new], 1)
        actor_loss = (alpha * logp - torch.min(critics[0](xn), critics[1](xn)).squeeze(1)).mean()
        actor_opt.zero_grad()
        actor_loss.backward()
        actor_opt.step()
        alpha_loss = -(log_alpha * (logp.detach() - 1.0)).mean()
        alpha_opt.zero_grad()
        alpha_loss.backward()
        alpha_opt.step()
        with torch.no_grad():
            for t, c in zip(targets, critics):
                for pt, pc in zip(t.parameters(), c.parameters()):
                    pt.mul_(1 - TAU).add_(TAU * pc)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    total = 0.0
    for _ in range(10):
        obs, done = env.reset(), False
        while not done:
            with torch.no_grad():
                head = actor(torch.as_tensor(obs).unsqueeze(0))
            obs, reward, done = env.step(float(torch.tanh(head[0, 0])))
            total += reward
    print("sac_pendulum_seconds %.4f\nsac_pendulum_cpu_seconds %.4f\nsac_pendulum_eval_return %.1f"
          % (seconds, cpu_seconds, total / 10.0))


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
