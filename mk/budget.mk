# saferl_budget.h: examples, oracle test, web page, demo and benchmark.
EXAMPLES += $(BUILD)/budget_report $(BUILD)/budget_simulate
EXTRA_TESTS += $(BUILD)/test_budget_oracle
WEB_PAGES += $(BUILD)/web/budget/budget.mjs
DEMOS += demo-budget
BENCHES += bench-budget

$(BUILD)/budget_report: examples/budget_report.c examples/plot.h saferl_budget.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. $(STB) -o $@ $< -lm
$(BUILD)/budget_simulate: examples/budget_simulate.c saferl_budget.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. -o $@ $< -lm
$(BUILD)/test_budget_oracle: tests/test_budget_oracle.c saferl_budget.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. -o $@ $< -lm

$(BUILD)/web/budget/budget.mjs: web/budget/glue.c saferl_budget.h
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -I. $(EMCC_WEB) -sEXPORT_NAME=createBudgetModule \
	  -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=HEAPF64,HEAPF32,HEAPU8,HEAP32 -o $@ $<

.PHONY: demo-budget bench-budget
demo-budget: $(BUILD)/budget_report $(BUILD)/budget_simulate
	@mkdir -p $(BUILD)/demo
	@echo "== saferl_budget.h: relative budget xi = H / E[T] of simulated rollout logs"
	@$(BUILD)/budget_simulate attempts --prompts 12 --attempts 32 --horizon 2048 --mean-tokens 1400 \
	  --spread 0.9 --seed 1 > $(BUILD)/demo/budget_attempts.csv
	@$(BUILD)/budget_report --png $(BUILD)/demo/budget.png $(BUILD)/demo/budget_attempts.csv | sed -n '1p;/^prompt set/,$$p'
	@echo
	@$(BUILD)/budget_simulate progress --seed 1
	@echo "figures: $(BUILD)/demo/budget.png"
	@echo
bench-budget:
	@bench/run_budget.sh
