// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: the return-conditioned policy loader (saferl_rl_rcsl_load_size / _load),
   both architectures ("SRLC" version 1: MLP, version 2: transformer), and, for buffers it
   accepts, saferl_rl_rcsl_act with targets, a few saferl_rl_rcsl_step calls through a
   context (past a full window for small contexts), and a save that must give the same
   bytes back.

   Built also with -DFUZZ_REPAIR_CRC (build/fuzz_<name>_crc): see fuzz_crc_repair.h.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_rl_rcsl.c \
         -o build/fuzz_rl_rcsl -lm
   build/fuzz_rl_rcsl -max_total_time=15 build/corpus_rl_rcsl tests/fuzz/corpus/rl_rcsl */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_RL_IMPLEMENTATION
#endif
#include "saferl_rl.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(x)                    \
    do {                            \
        if (!(x)) __builtin_trap(); \
    } while (0)

static int fuzz_target(const uint8_t *data, size_t size) {
    size_t need = 0, written = 0;
    saferl_rl_rcsl_policy policy, before;
    saferl_result r = saferl_rl_rcsl_load_size(data, size, &need);
    void *memory;
    unsigned char *again;
    static float obs[SAFERL_RL_MAX_WIDTH], action[SAFERL_RL_MAX_WIDTH];
    int i;
    if (r != SAFERL_OK) {
        CHECK(r == SAFERL_ERR_CORRUPT || r == SAFERL_ERR_VERSION || r == SAFERL_ERR_NOT_FINITE);
        memset(&policy, 0x33, sizeof policy);
        before = policy;
        CHECK(saferl_rl_rcsl_load(&policy, data, size, NULL, 0) == r);
        CHECK(memcmp(&policy, &before, sizeof policy) == 0); /* nothing written */
        return 0;
    }
    if (need > (64u << 20)) return 0;
    memory = malloc(need);
    if (!memory) return 0;
    CHECK(saferl_rl_rcsl_load(&policy, data, size, memory, need - 1) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_rl_rcsl_load(&policy, data, size, memory, need) == SAFERL_OK);
    CHECK(policy.reward_scale > 0.0f && policy.cost_scale > 0.0f);
    CHECK(policy.policy.observation_dim == policy.observation_dim + 2);
    CHECK(saferl_rl_rcsl_saved_size(&policy) == size);
    again = (unsigned char *)malloc(size);
    if (again) {
        CHECK(saferl_rl_rcsl_save(&policy, again, size, &written) == SAFERL_OK && written == size);
        CHECK(memcmp(again, data, size) == 0); /* a faithful round trip */
        free(again);
    }
    for (i = 0; i < policy.observation_dim; ++i) obs[i] = (float)(i % 7) * 0.25f - 0.75f;
    { /* a context of exactly the documented size. Loaded MLP policies act finitely (the
         loader bounds them); a transformer may report weights that overflow, never a NaN action */
        saferl_rl_rcsl_context context;
        size_t context_size = saferl_rl_rcsl_context_memory_size(&policy);
        void *context_memory = malloc(context_size);
        const int transformer = policy.architecture == SAFERL_RL_RCSL_TRANSFORMER;
        CHECK(context_size > 0);
        if (context_memory) {
            int step;
            saferl_result r;
            CHECK(saferl_rl_rcsl_context_init(&context, &policy, context_memory, context_size) == SAFERL_OK);
            r = saferl_rl_rcsl_act(&policy, &context, obs, 12.5, -3.0, action, NULL);
            CHECK(r == SAFERL_OK || (transformer && r == SAFERL_ERR_NOT_FINITE));
            saferl_rl_rcsl_context_reset(&context);
            for (step = 0; step < 5 && r == SAFERL_OK; ++step) {
                action[0] = -1.0f;
                r = saferl_rl_rcsl_step(&policy, &context, obs, 12.5 - step, -3.0, action, NULL);
                CHECK(r == SAFERL_OK || (transformer && r == SAFERL_ERR_NOT_FINITE));
                if (r == SAFERL_OK && policy.policy.action_kind == SAFERL_RL_DISCRETE)
                    CHECK(action[0] >= 0.0f && action[0] < (float)policy.policy.action_dim);
                if (r == SAFERL_OK && policy.policy.action_kind == SAFERL_RL_GAUSSIAN)
                    for (i = 0; i < policy.policy.action_dim; ++i) CHECK(action[i] >= -1.0f && action[i] <= 1.0f);
            }
            free(context_memory);
        }
    }
    free(memory);
    return 0;
}

#include "fuzz_crc_repair.h" /* the entry point; -DFUZZ_REPAIR_CRC repairs the CRC first */
