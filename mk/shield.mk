# saferl_shield.h: the compile CLI, the gridworld and engine examples, the web page, demo
# and benchmark.
EXAMPLES += $(BUILD)/shield_compile $(BUILD)/safeguard_gridworld $(BUILD)/engine_loop
WEB_PAGES += $(BUILD)/web/shield/shield.mjs
DEMOS += demo-shield
BENCHES += bench-shield

$(BUILD)/shield_compile: examples/shield_compile.c saferl_shield.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. -o $@ $< -lm

$(BUILD)/safeguard_gridworld: examples/safeguard_gridworld.c examples/plot.h examples/cli.h saferl_shield.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. $(STB) -o $@ $< -lm
$(BUILD)/engine_loop: examples/engine_loop.c saferl_shield.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. -o $@ $< -lm

$(BUILD)/web/shield/shield.mjs: web/shield/glue.c saferl_shield.h
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -I. $(EMCC_WEB) -sEXPORT_NAME=createShieldModule \
	  -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=HEAPU8,HEAP32,HEAPU32,HEAPF64 -o $@ $<

.PHONY: demo-shield bench-shield
demo-shield: $(BUILD)/shield_compile $(BUILD)/safeguard_gridworld $(BUILD)/engine_loop
	@mkdir -p $(BUILD)/demo
	@echo "== saferl_shield.h: a safety rule compiled to a minimal monitor"
	@$(BUILD)/shield_compile -e 'G(lava -> X !lava) & G(creeper -> F[0..2] !creeper)' | sed -n '1,12p'
	@$(BUILD)/shield_compile --dot -e 'G(lava -> X !lava) & G(creeper -> F[0..2] !creeper)' > $(BUILD)/demo/shield.dot
	@printf 'creeper\ncreeper\n\nlava\nlava\n' > $(BUILD)/demo/shield_trace.txt
	@printf "trace creeper, creeper, (none), lava, lava: first violating step (1-based) = "
	@$(BUILD)/shield_compile --check $(BUILD)/demo/shield_trace.txt -e 'G(lava -> X !lava) & G(creeper -> F[0..2] !creeper)'
	@echo "== progressive safeguards and shields on the Minecraft-inspired gridworld (3 seeds)"
	@$(BUILD)/safeguard_gridworld --seeds 3 --png $(BUILD)/demo/safeguard_gridworld.png
	@$(BUILD)/engine_loop | tail -2
	@echo "figures: $(BUILD)/demo/shield.dot (graphviz: dot -Tpng), $(BUILD)/demo/safeguard_gridworld.png"
	@echo
bench-shield:
	@bench/run_shield.sh
