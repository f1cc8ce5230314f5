# saferl_rl.h's off-policy benchmarks: SAC on Pendulum-v1 against PyTorch; M2TD3 robustness.
BENCHES += bench-rl-offpolicy

.PHONY: bench-rl-offpolicy
bench-rl-offpolicy:
	bench/run_rl_offpolicy.sh

# Worst-case robustness: TD3 (nominal), DR-TD3 and M2TD3 on Pendulum-v1 over mass and length.
BENCHES += bench-rl-robust

.PHONY: bench-rl-robust
bench-rl-robust:
	JOBS=2 bench/run_rl_robust.sh
