# saferl_rl.h's off-policy benchmark: SAC on Pendulum-v1 against PyTorch.
BENCHES += bench-rl-offpolicy

.PHONY: bench-rl-offpolicy
bench-rl-offpolicy:
	bench/run_rl_offpolicy.sh
