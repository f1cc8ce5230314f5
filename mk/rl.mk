# saferl_rl.h: the training CLI, the engine example, a BLIS build of the unit tests, demo, bench.
EXAMPLES += $(BUILD)/rl_train $(BUILD)/policy_in_engine
EXTRA_TESTS += $(BUILD)/test_rl_blis
WEB_PAGES += $(BUILD)/web/rl/rl.mjs
DEMOS += demo-rl
BENCHES += bench-rl bench-rl-bchg

# blis.h is not strict C99 (pthread_barrier_t): the BLIS build alone is gnu99.
RL_C_GNU_BLIS := $(subst -std=c99,-std=gnu99,$(C_STRICT)) -DSAFERL_USE_BLIS

$(BUILD)/rl_train: examples/rl_train.c examples/plot.h saferl_rl.h | $(BUILD)
	$(CC) $(C_STRICT) -O3 $(DEBUG) -I. -Iexamples $(STB) -o $@ $< -lm
$(BUILD)/policy_in_engine: examples/policy_in_engine.c saferl_rl.h | $(BUILD)
	$(CC) $(C_STRICT) -O3 $(DEBUG) -I. -o $@ $< -lm
# a user's own environment trained with PPO-Lag (the quick start's longer form)
EXAMPLES += $(BUILD)/custom_env
$(BUILD)/custom_env: examples/custom_env.c saferl_rl.h | $(BUILD)
	$(CC) $(C_STRICT) -O3 $(DEBUG) -I. -o $@ $< -lm
$(BUILD)/test_rl_blis: tests/test_rl.c saferl_rl.h tests/saferl_test.h | $(BUILD)
	$(CC) $(RL_C_GNU_BLIS) $(OPT) -o $@ $< -lblis -lm

.PHONY: demo-rl bench-rl bench-rl-bchg
demo-rl: $(BUILD)/rl_train $(BUILD)/policy_in_engine
	@mkdir -p $(BUILD)/demo
	@echo "== saferl_rl.h: PPO-Lagrangian on the tabular cliff CMDP (d = 0.2) and on CartPole (d = 10)"
	@$(BUILD)/rl_train --env cliff --algo ppo-lag --cost-limit 0.2 --seed 1 --steps 20000 \
	  --png $(BUILD)/demo/rl_cliff.png | sed -n '1p;$$p'
	@$(BUILD)/rl_train --env cartpole --algo ppo-lag --cost-limit 10 --seed 1 --steps 30000 \
	  --png $(BUILD)/demo/rl_cartpole.png | tail -n 2
	@echo "== a policy in a fixed-timestep game loop, loaded from a memory buffer"
	@$(BUILD)/policy_in_engine --agents 16 --frames 600 | tail -n 3
	@echo "figures: $(BUILD)/demo/rl_cliff.png $(BUILD)/demo/rl_cartpole.png"
	@echo
bench-rl:
	@bench/run_rl.sh
# BC-HG against the paper's baseline on DiscreteToy4, 10 seeds, the settings fixed in
# examples/bchg_toy.c (about 10 s)
bench-rl-bchg: $(BUILD)/bchg_toy
	@nice $(BUILD)/bchg_toy --seeds 10 --curve $(BUILD)/bench_bchg_curve.csv

# the page's module runs in the page (replay) and in its Web Worker (training)
$(BUILD)/web/rl/rl.mjs: web/rl/glue.c saferl_rl.h
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -I. $(EMCC_WEB) -sENVIRONMENT=web,worker -sEXPORT_NAME=createRlModule \
	  -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=HEAPF64,HEAPU8,HEAP32 -o $@ $<

# return-conditioned supervised learning: collect, train, eval --grid, check
EXAMPLES += $(BUILD)/rl_rcsl
$(BUILD)/rl_rcsl: examples/rl_rcsl.c examples/plot.h saferl_rl.h | $(BUILD)
	$(CC) $(C_STRICT) -O3 $(DEBUG) -I. -Iexamples $(STB) -o $@ $< -lm

# four threads act with one policy, each with its own context, under ThreadSanitizer
$(BUILD)/tsan/thread_rl: tests/thread_rl.c saferl_rl.h | $(BUILD)
	@mkdir -p $(@D)
	$(CLANG) $(C_STRICT) -O1 -g -fsanitize=thread -I. -o $@ $< -lm -lpthread

# preference optimisation: SACPO against its closed form, the poisoning LP against a naive attack
EXAMPLES += $(BUILD)/preference_align
$(BUILD)/preference_align: examples/preference_align.c saferl_rl.h | $(BUILD)
	$(CC) $(C_STRICT) -O3 $(DEBUG) -I. -Iexamples -o $@ $< -lm

# a leader shaping a learning follower: BC-HG against the baseline on the paper's DiscreteToy4
# (-O1: its loops are tiny; it compiles in 2 s of CPU instead of 9 s at -O3, runs as fast)
EXAMPLES += $(BUILD)/bchg_toy
$(BUILD)/bchg_toy: examples/bchg_toy.c saferl_rl.h | $(BUILD)
	$(CC) $(C_STRICT) -O1 $(DEBUG) -I. -Iexamples -o $@ $< -lm

# the SACPO page: its own module (preference optimisation only)
WEB_PAGES += $(BUILD)/web/align/align.mjs
$(BUILD)/web/align/align.mjs: web/align/glue.c saferl_rl.h
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -I. $(EMCC_WEB) -sEXPORT_NAME=createAlignModule \
	  -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=HEAPF64,HEAPU8 -o $@ $<
