# The PLS pipeline (saferl_rl.h + saferl_gp.h): example, demo and benchmark.
EXAMPLES += $(BUILD)/pls_lifetime
DEMOS += demo-pls
BENCHES += bench-pls bench-mtro

$(BUILD)/pls_lifetime: examples/pls_lifetime.c examples/pls_loop.h examples/plot.h saferl_rl.h saferl_gp.h | $(BUILD)
	$(CC) $(C_STRICT) -O3 $(DEBUG) -I. -Iexamples $(STB) -o $@ $< -lm

.PHONY: demo-pls bench-pls bench-mtro
demo-pls: $(BUILD)/pls_lifetime
	@mkdir -p $(BUILD)/demo
	@echo "== PLS, lifetime-safe RL: a return-conditioned policy from offline data, deployed with safe GP tuning"
	@if [ -f examples/pls_data/gridworld.rcsl ]; then \
	  $(BUILD)/pls_lifetime deploy --env gridworld --data examples/pls_data --seed 1 --png-dir $(BUILD)/demo --brief; \
	else echo "(no artifacts in examples/pls_data: build/pls_lifetime regenerate --env gridworld --out examples/pls_data)"; fi
	@if [ -f examples/pls_data/pointgoal.rcsl ]; then \
	  $(BUILD)/pls_lifetime deploy --env pointgoal --data examples/pls_data --seed 1 --png-dir $(BUILD)/demo --brief --no-finetune; \
	else echo "(no artifacts in examples/pls_data: build/pls_lifetime regenerate --env pointgoal --out examples/pls_data)"; fi
	@echo
bench-pls: $(BUILD)/pls_lifetime
	@bench/run_pls.sh
# fixed, hand-tuned and MTRO target returns for the conditioned policy (rl_rcsl), 10 seeds, on
# the gridworld and on PointGoal (its offline data regenerated first, under a minute of CPU)
bench-mtro: $(BUILD)/rl_rcsl $(BUILD)/pls_lifetime
	@bench/run_mtro.sh

# the page: the same deployment loop (examples/pls_loop.h) in WebAssembly, and the checked-in
# artifacts it fetches (summary and conditioned policy of each environment)
WEB_PAGES += $(BUILD)/web/pls/pls.mjs
PLS_WEB_DATA := $(wildcard examples/pls_data/*.rcsl examples/pls_data/*.csv)
$(BUILD)/web/pls/pls.mjs: web/pls/glue.c examples/pls_loop.h saferl_rl.h saferl_gp.h $(PLS_WEB_DATA)
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -I. -Iexamples $(EMCC_WEB) -sEXPORT_NAME=createPlsModule \
	  -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=HEAPF64,HEAPU8,HEAP32 -o $@ $<
	cp $(PLS_WEB_DATA) $(@D)/
