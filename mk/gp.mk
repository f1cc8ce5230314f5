# saferl_gp.h: examples, oracle tests (portable and BLIS), web page, demo and benchmark.
EXAMPLES += $(BUILD)/gp_predict $(BUILD)/safeopt_demo
EXTRA_TESTS += $(BUILD)/test_gp_oracle $(BUILD)/test_gp_oracle_blis
WEB_PAGES += $(BUILD)/web/gp/gp.mjs
DEMOS += demo-gp
BENCHES += bench-gp

# blis.h is not strict C99 (pthread_barrier_t): the BLIS build alone is gnu99.
C_GNU_BLIS := $(subst -std=c99,-std=gnu99,$(C_STRICT)) -DSAFERL_USE_BLIS
# The tests' BLIS builds put GPs of 16 points and more on BLIS (the default: 1024), so that both
# paths and a GP crossing between them (appends) run in one build.
C_GNU_BLIS_TEST := $(C_GNU_BLIS) -DSAFERL_GP_BLIS_FROM=16

$(BUILD)/gp_predict: examples/gp_predict.c saferl_gp.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. -o $@ $< -lm
$(BUILD)/safeopt_demo: examples/safeopt_demo.c examples/plot.h saferl_gp.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. $(STB) -o $@ $< -lm
$(BUILD)/test_gp_oracle: tests/test_gp_oracle.c saferl_gp.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. -o $@ $< -lm
$(BUILD)/test_gp_oracle_blis: tests/test_gp_oracle.c saferl_gp.h | $(BUILD)
	$(CC) $(C_GNU_BLIS_TEST) $(OPT) -I. -o $@ $< -lblis -lm

# the unit tests on BLIS (tests/run.sh runs them when BLIS is installed): gcc, and clang
# under ASan+UBSan (BLIS itself is not instrumented)
$(BUILD)/blis/test_gp: tests/test_gp.c saferl_gp.h tests/saferl_test.h
	@mkdir -p $(@D)
	$(CC) $(C_GNU_BLIS_TEST) $(OPT) -o $@ $< -lblis -lm
$(BUILD)/blis/sanitize/test_gp: tests/test_gp.c saferl_gp.h tests/saferl_test.h
	@mkdir -p $(@D)
	$(CLANG) $(C_GNU_BLIS_TEST) -O1 -g $(SANITIZE) -o $@ $< -lblis -lm

$(BUILD)/web/gp/gp.mjs: web/gp/glue.c saferl_gp.h
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -I. $(EMCC_WEB) -sEXPORT_NAME=createGpModule \
	  -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=HEAPF64,HEAPU8,HEAP32 -o $@ $<

.PHONY: demo-gp bench-gp
demo-gp: $(BUILD)/safeopt_demo $(BUILD)/gp_predict
	@mkdir -p $(BUILD)/demo
	@echo "== saferl_gp.h: safe Bayesian optimisation on test functions with a constraint"
	@$(BUILD)/safeopt_demo --png $(BUILD)/demo/gp_safeopt_1d.png --summary
	@$(BUILD)/safeopt_demo --dim 2 --rule stageopt --steps 80 --png $(BUILD)/demo/gp_safeopt_2d.png --summary
	@$(BUILD)/safeopt_demo --pls --summary
	@echo "figures: $(BUILD)/demo/gp_safeopt_1d.png $(BUILD)/demo/gp_safeopt_2d.png"
	@echo
bench-gp:
	@bench/run_gp.sh

# Threads predicting from one GP under ThreadSanitizer (tests/run.sh's unit suite runs it).
$(BUILD)/tsan/gp_threads: tests/tsan/gp_threads.c saferl_gp.h tests/saferl_test.h
	@mkdir -p $(@D)
	$(CLANG) $(C_STRICT) -O1 -g -fsanitize=thread -o $@ $< -pthread -lm
