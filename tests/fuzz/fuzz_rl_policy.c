// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: the policy-buffer loader (saferl_rl_policy_load_size / _load) and, for
   buffers it accepts, saferl_rl_policy_act and a save that must give the same bytes back.

   Built also with -DFUZZ_REPAIR_CRC (build/fuzz_<name>_crc): see fuzz_crc_repair.h.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_rl_policy.c \
         -o build/fuzz_rl_policy -lm
   build/fuzz_rl_policy -max_total_time=15 build/corpus_rl_policy tests/fuzz/corpus/rl_policy */
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
    saferl_rl_policy policy, before;
    saferl_result r = saferl_rl_policy_load_size(data, size, &need);
    void *memory;
    unsigned char *again;
    float obs[SAFERL_RL_MAX_WIDTH], action[SAFERL_RL_MAX_WIDTH];
    int i;
    if (r != SAFERL_OK) {
        CHECK(r == SAFERL_ERR_CORRUPT || r == SAFERL_ERR_VERSION || r == SAFERL_ERR_NOT_FINITE);
        memset(&policy, 0x33, sizeof policy);
        before = policy;
        CHECK(saferl_rl_policy_load(&policy, data, size, NULL, 0) == r);
        CHECK(memcmp(&policy, &before, sizeof policy) == 0); /* nothing written */
        return 0;
    }
    if (need > (64u << 20)) return 0;
    memory = malloc(need);
    if (!memory) return 0;
    CHECK(saferl_rl_policy_load(&policy, data, size, memory, need - 1) == SAFERL_ERR_BUFFER_TOO_SMALL);
    CHECK(saferl_rl_policy_load(&policy, data, size, memory, need) == SAFERL_OK);
    CHECK(saferl_rl_policy_saved_size(&policy) == size);
    again = (unsigned char *)malloc(size);
    if (again) {
        CHECK(saferl_rl_policy_save(&policy, again, size, &written) == SAFERL_OK && written == size);
        CHECK(memcmp(again, data, size) == 0); /* a faithful round trip */
        free(again);
    }
    for (i = 0; i < policy.observation_dim; ++i) obs[i] = (float)(i % 7) * 0.25f - 0.75f;
    { /* a context of exactly the documented size: ASan sees any overflow; loaded policies act finitely */
        saferl_rl_policy_context context;
        size_t context_size = saferl_rl_policy_context_memory_size(&policy);
        void *context_memory = malloc(context_size);
        if (context_memory) {
            CHECK(saferl_rl_policy_context_init(&context, context_memory, context_size) == SAFERL_OK);
            CHECK(saferl_rl_policy_act(&policy, &context, obs, action, NULL) == SAFERL_OK);
            if (policy.action_kind == SAFERL_RL_DISCRETE) CHECK(action[0] >= 0.0f && action[0] < (float)policy.action_dim);
            else
                for (i = 0; i < policy.action_dim; ++i) CHECK(action[i] >= -1.0f && action[i] <= 1.0f);
            free(context_memory);
        }
    }
    free(memory);
    return 0;
}

#include "fuzz_crc_repair.h" /* the entry point; -DFUZZ_REPAIR_CRC repairs the CRC first */
