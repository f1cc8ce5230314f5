# saferl: five single-file C libraries for safe reinforcement learning.
#   make demo     build the examples and run them (native)
#   make test     every test suite (installs what a fresh Debian machine lacks)
#   make web      the WebAssembly demos into build/web;  make serve  on http://127.0.0.1:8000
#   make bench    benchmarks against peers measured in the same run
#   make fuzz     every fuzz target randomised for FUZZ_SECONDS (60) each
#   make install PREFIX=/usr/local   headers and a pkg-config file
# Each header's examples, pages, demo and benchmark live in mk/<name>.mk, which add to the
# lists below; the unit, fuzz and browser tests are found by their file names.
SHELL := /bin/bash
BUILD := build
PREFIX ?= /usr/local
CLANG ?= clang
EMCC := NODE_PATH=/usr/share/nodejs emcc
C_STRICT := -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Werror
CXX_STRICT := -std=c++11 -Wall -Wextra -Wpedantic -Werror
# -g costs about a sixth of each optimised compile and no test reads it: `make DEBUG=-g` adds it
# (the sanitizer, ThreadSanitizer and fuzz builds keep it for their stack traces)
DEBUG ?=
OPT := -O2 $(DEBUG)
STB := -I/usr/include/stb
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# pages load each module's .wasm beside its .mjs with streaming compilation (no base64 copy);
# -sSINGLE_FILE=1 is only for the builds that run under node in tests
EMCC_WEB := -O3 -sMODULARIZE=1 -sEXPORT_ES6=1 -sENVIRONMENT=web \
            -sALLOW_MEMORY_GROWTH=1 -sFILESYSTEM=0 -sMALLOC=emmalloc

HEADERS := $(wildcard saferl_*.h)
UNIT_TESTS := $(patsubst tests/test_%.c,%,$(filter-out %_oracle.c,$(wildcard tests/test_*.c)))
FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz_%,$(wildcard tests/fuzz/fuzz_*.c))
# targets for checksummed formats also build with the CRC repaired (tests/fuzz/fuzz_crc_repair.h)
CRC_FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz_%_crc,$(shell grep -l fuzz_crc_repair.h tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
EXAMPLES :=
EXTRA_TESTS :=
WEB_PAGES :=
DEMOS :=
BENCHES :=

.PHONY: all demo test web serve bench fuzz install clean deps-demo deps-test deps-web deps-bench
all: # the real prerequisites follow the fragments

include $(sort $(wildcard mk/*.mk))
# every example includes the shared argument parser and file writer
$(EXAMPLES): examples/cli.h

UNIT_BINARIES := $(UNIT_TESTS:%=$(BUILD)/test_%) $(UNIT_TESTS:%=$(BUILD)/sanitize/test_%)
all: $(EXAMPLES) $(UNIT_BINARIES) $(EXTRA_TESTS) $(FUZZERS) $(CRC_FUZZERS)

deps-demo deps-test deps-web deps-bench:
	@tools/deps.sh $(@:deps-%=%)

# ---- unit tests: native with a counting allocator, sanitizers, WebAssembly ------------------
# The native build counts allocations (SAFERL_TEST_COUNTING_ALLOCATOR: the tests that no hot
# loop allocates); the other builds take the headers' default allocator. SAFERL_<NAME>_STATIC
# is compiled and run by tests/run.sh's compile suite (every header, gcc and clang): linkage
# changes nothing a unit test could see, and test_rl.c takes half a minute to compile. Only the
# native build runs the tests that train until they meet an optimum (RUN_LONG_TRAINING in
# tests/saferl_test.h).
SHORT_TRAININGS := -DSAFERL_TEST_LONG_TRAINING_NATIVE_ONLY
$(BUILD)/test_%: tests/test_%.c saferl_%.h tests/saferl_test.h | $(BUILD)
	$(CC) $(C_STRICT) $(OPT) -DSAFERL_TEST_COUNTING_ALLOCATOR -o $@ $< -lm
$(BUILD)/sanitize/test_%: tests/test_%.c saferl_%.h tests/saferl_test.h
	@mkdir -p $(@D)
	$(CLANG) $(C_STRICT) -O1 -g $(SANITIZE) $(SHORT_TRAININGS) -o $@ $< -lm
# 32 MiB at start: a test's static fixtures and the 5 MiB stack outgrew the default 16 MiB
$(BUILD)/wasm/test_%.js: tests/test_%.c saferl_%.h tests/saferl_test.h
	@mkdir -p $(@D)
	$(EMCC) $(C_STRICT) -O2 -sENVIRONMENT=node -sSINGLE_FILE=1 -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=33554432 $(SHORT_TRAININGS) -o $@ $<
# A header's implementation is compiled once, instrumented as the fuzzers are, and linked into
# each of its targets (built with FUZZ_LINKED_IMPLEMENTATION, which keeps the target from
# defining it): rl's eight targets and shield's five then take one compile of the header each.
FUZZ_CFLAGS := -g -O1 -fsanitize=address,undefined
$(BUILD)/fuzz_impl/%.o: saferl_%.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -DSAFERL_$(shell echo $* | tr a-z A-Z)_IMPLEMENTATION -x c -c -o $@ $<
# build/fuzz_rl_checkpoint and build/fuzz_rl_checkpoint_crc link build/fuzz_impl/rl.o
$(foreach f,$(FUZZERS) $(CRC_FUZZERS),$(eval $(f): $(BUILD)/fuzz_impl/$(word 2,$(subst _, ,$(notdir $(f)))).o))
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(HEADERS) $(wildcard tests/fuzz/*.h) | $(BUILD)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_LINKED_IMPLEMENTATION -I. -o $@ $< $(filter %.o,$^) -lm
$(BUILD)/fuzz_%_crc: tests/fuzz/fuzz_%.c $(HEADERS) $(wildcard tests/fuzz/*.h) | $(BUILD)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_LINKED_IMPLEMENTATION -DFUZZ_REPAIR_CRC -I. -o $@ $< $(filter %.o,$^) -lm

$(BUILD):
	@mkdir -p $@

# ---- web ---------------------------------------------------------------------------------
WEB_STATIC := $(shell find web -path web/node_modules -prune -o -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' \) -print 2>/dev/null)
web: deps-web $(WEB_PAGES)
	@mkdir -p $(BUILD)/web/vendor
	@for f in $(WEB_STATIC); do mkdir -p $(BUILD)/$$(dirname $$f); cp $$f $(BUILD)/$$f; done
	@cp web/node_modules/uplot/dist/uPlot.iife.min.js web/node_modules/uplot/dist/uPlot.min.css $(BUILD)/web/vendor/
	@cp web/node_modules/dagre/dist/dagre.min.js $(BUILD)/web/vendor/
	@cp $(HEADERS) README.md $(BUILD)/web/
	@echo "web: demos in $(BUILD)/web (make serve)"
serve: web
	node tests/browser/harness.mjs serve $(BUILD)/web 8000

# ---- the two commands ----------------------------------------------------------------------
# the end-to-end PLS pipeline is the headline: it runs first
demo: deps-demo $(filter demo-pls,$(DEMOS)) $(filter-out demo-pls,$(DEMOS))
test: deps-test
	@tests/run.sh

# ---- benchmarks, fuzzing, install, clean ------------------------------------------------------
bench: deps-bench $(BENCHES)

# randomised fuzzing of every target (and its CRC-repaired build) for FUZZ_SECONDS each;
# new inputs gather in build/fuzz_corpus/, crashes in build/fuzz_artifacts/
fuzz: deps-test
	@FUZZ_SEED=0 FUZZ_RUNS=-1 FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh fuzz

install:
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/pkgconfig
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/
	sed 's|@PREFIX@|$(PREFIX)|' tools/saferl.pc.in > $(DESTDIR)$(PREFIX)/share/pkgconfig/saferl.pc

clean:
	rm -rf $(BUILD)
