#!/usr/bin/env python3
"""saferl_rl.h's Pendulum-v1 against Gym's equations, recomputed with numpy.

Gymnasium is not installed here (not packaged by Debian), so its Pendulum-v1 step is written
out below from gymnasium/envs/classic_control/pendulum.py (v1): max_speed 8, max_torque 2,
dt 0.05, g 10, m 1, l 1 (m and l replaced by the episode's omega), reward
-(angle_normalize(th)^2 + 0.1 thdot^2 + 0.001 u^2) on the state before the step,
thdot += (3 g / (2 l) sin th + 3 / (m l^2) u) dt clipped to +-max_speed, th += thdot dt,
observation (cos th, sin th, thdot), truncated after 200 steps. Our action a is Gym's torque / 2.

Input: the dump of `test_rl --pendulum-v1`. Two checks:
  one step   from our state at t and the action, Gym's step must give our state at t+1 within
             a few ulps of the numbers involved (4e-15 relative to max(1, |x|)), our reward and
             observation within float32 rounding (1.5 ulp of float, relative to max(1, |x|));
  rollout    Gym's equations run alone from our start state over the whole 200 steps; the
             trajectories must agree to 1e-9 (rounding differences of sin between libm and
             numpy could only grow through the dynamics; the maximum is printed).
"""
import sys
import numpy as np


def angle_normalize(x):
    return ((x + np.pi) % (2 * np.pi)) - np.pi


def gym_step(th, thdot, torque, m, l, g=10.0, dt=0.05, max_speed=8.0, max_torque=2.0):
    u = np.clip(torque, -max_torque, max_torque)
    costs = angle_normalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * (u ** 2)
    newthdot = thdot + (3 * g / (2 * l) * np.sin(th) + 3.0 / (m * l ** 2) * u) * dt
    newthdot = np.clip(newthdot, -max_speed, max_speed)
    newth = th + newthdot * dt
    return newth, newthdot, -costs


def main(path):
    episodes = []
    for line in open(path):
        f = line.split()
        if f[0] == "episode":
            episodes.append({"omega": (float(f[1]), float(f[2])), "steps": []})
        elif f[0] == "start":
            episodes[-1]["start"] = (float(f[1]), float(f[2]))
        elif f[0] == "step":
            episodes[-1]["steps"].append([float(x) for x in f[1:8]] + [int(f[8])])
    bad = 0
    f32 = float(np.finfo(np.float32).eps)
    for k, ep in enumerate(episodes):
        m, l = ep["omega"]
        th, thdot = ep["start"]
        rth, rthdot = th, thdot
        worst_state = worst_out = worst_roll = 0.0
        for t, (a, nth, nthdot, reward, o0, o1, o2, trunc) in enumerate(ep["steps"]):
            torque = 2.0 * np.float64(np.float32(a))
            gth, gthdot, greward = gym_step(th, thdot, torque, m, l)
            worst_state = max(worst_state, abs(gth - nth) / max(1.0, abs(gth)),
                              abs(gthdot - nthdot) / max(1.0, abs(gthdot)))
            obs = np.array([np.cos(gth), np.sin(gth), gthdot], dtype=np.float32)
            worst_out = max(worst_out, abs(greward - reward) / max(1.0, abs(greward)) / f32,
                            float(np.max(np.abs(obs - np.array([o0, o1, o2])) / np.maximum(1.0, np.abs(obs)))) / f32)
            if trunc != (t == 199):
                print("  episode %d: truncated %d at step %d (Gym's TimeLimit: only at 200)" % (k, trunc, t + 1))
                bad = 1
            rth, rthdot, _ = gym_step(rth, rthdot, torque, m, l)
            worst_roll = max(worst_roll, abs(rth - nth), abs(rthdot - nthdot))
            th, thdot = nth, nthdot
        ok = worst_state <= 4e-15 and worst_out <= 1.5 and worst_roll <= 1e-9 and len(ep["steps"]) == 200
        print("  episode %d (m %.3f, l %.3f, %d steps): one-step state %.2g rel, reward/obs %.2f float ulp, "
              "rollout %.2g  %s" % (k, m, l, len(ep["steps"]), worst_state, worst_out, worst_roll,
                                    "ok" if ok else "MISMATCH"))
        bad |= not ok
    if len(episodes) < 8:
        print("  too few episodes")
        bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
