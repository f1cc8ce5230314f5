# saferl_nas.h: the search CLI, a BLIS build of the unit tests, demo and benchmark.
EXAMPLES += $(BUILD)/nas_search
EXTRA_TESTS += $(BUILD)/test_nas_blis
WEB_PAGES += $(BUILD)/web/nas/nas.mjs
DEMOS += demo-nas
BENCHES += bench-nas

# blis.h is not strict C99 (pthread_barrier_t): the BLIS build alone is gnu99.
NAS_C_GNU_BLIS := $(subst -std=c99,-std=gnu99,$(C_STRICT)) -DSAFERL_USE_BLIS

$(BUILD)/nas_search: examples/nas_search.c examples/nas_images.h examples/plot.h saferl_nas.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -I. $(STB) -o $@ $< -lm
$(BUILD)/test_nas_blis: tests/test_nas.c saferl_nas.h tests/saferl_test.h | $(BUILD)
	$(CC) $(NAS_C_GNU_BLIS) $(OPT) -o $@ $< -lblis -lm

# WebAssembly with SIMD128 (node >= 16 and every current browser): the products' 4 x 8 and
# 2 x 16 tiles become f32x4 arithmetic, bit-identical to the SSE and AVX2 ones. Stack colouring is off:
# Debian's emcc 3.1.6 (LLVM 14) with -msimd128 at -O2 merged two live stack slots of
# tests/test_nas.c's gradient check (found by -opt-bisect-limit: "Merge disjoint stack slots";
# the same source is clean under ASan with use-after-scope and under MSan).
NAS_WASM_SIMD := -msimd128 -mllvm -no-stack-coloring
# The page and the bench also keep clang from inlining the layers into their callers: V8
# compiles the smaller functions better (the supernet step 17% less CPU time under node,
# bench/run_nas.sh, three alternating runs).
NAS_WASM_SPEED := $(NAS_WASM_SIMD) -fno-inline-functions

$(BUILD)/wasm/test_nas.js: tests/test_nas.c saferl_nas.h tests/saferl_test.h
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -O2 $(NAS_WASM_SIMD) -sENVIRONMENT=node -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1 -o $@ $<

$(BUILD)/web/nas/nas.mjs: web/nas/glue.c saferl_nas.h
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -I. $(EMCC_WEB) $(NAS_WASM_SPEED) -sEXPORT_NAME=createNasModule \
	  -sEXPORTED_FUNCTIONS=_malloc,_free -sEXPORTED_RUNTIME_METHODS=HEAPF64,HEAPU8,HEAP32 -o $@ $<

.PHONY: demo-nas bench-nas
demo-nas: $(BUILD)/nas_search
	@mkdir -p $(BUILD)/demo
	@echo "== saferl_nas.h: AdvantageNAS on the paper's toy task and on synthetic images"
	@$(BUILD)/nas_search --task toy --strategy advantage --seed 1 --iters 600 \
	  --png $(BUILD)/demo/nas_toy.png | grep '^#'
	@$(BUILD)/nas_search --task synthetic --strategy advantage --seed 1 --iters 150 \
	  --png $(BUILD)/demo/nas_synthetic.png | grep '^#'
	@echo "figures: $(BUILD)/demo/nas_toy.png $(BUILD)/demo/nas_synthetic.png"
	@echo
bench-nas:
	@bench/run_nas.sh
