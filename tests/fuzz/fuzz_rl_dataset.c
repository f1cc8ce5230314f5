// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: the dataset loader (saferl_rl_dataset_load_info / _load) and, for
   buffers it accepts, a save that must give the same bytes back and episode sums that agree
   with the steps.

   Built also with -DFUZZ_REPAIR_CRC (build/fuzz_<name>_crc): see fuzz_crc_repair.h.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_rl_dataset.c \
         -o build/fuzz_rl_dataset -lm
   build/fuzz_rl_dataset -max_total_time=15 build/corpus_rl_dataset tests/fuzz/corpus/rl_dataset */
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
    saferl_rl_dataset_desc desc, grid;
    saferl_rl_dataset ds, before;
    saferl_result r = saferl_rl_dataset_load_info(data, size, &desc);
    size_t need, written = 0;
    void *memory;
    unsigned char *again;
    long e;
    if (r != SAFERL_OK) {
        static float obs[63], act[1], rew[1], cst[1];
        CHECK(r == SAFERL_ERR_CORRUPT || r == SAFERL_ERR_VERSION || r == SAFERL_ERR_NOT_FINITE);
        /* a rejected buffer leaves a live dataset exactly as it was */
        memset(&grid, 0, sizeof grid);
        grid.observation_dim = 63;
        grid.action_dim = 1;
        grid.action_count = 4;
        grid.max_steps = 4;
        grid.max_episodes = 2;
        CHECK(saferl_rl_dataset_create(&ds, &grid) == SAFERL_OK);
        CHECK(saferl_rl_dataset_append_episode(&ds, obs, act, rew, cst, 1, 1) == SAFERL_OK);
        before = ds;
        CHECK(saferl_rl_dataset_load(&ds, data, size) == r);
        CHECK(memcmp(&ds, &before, sizeof ds) == 0 && ds.episode_start[1] == 1 && ds.actions[0] == 0.0f);
        saferl_rl_dataset_destroy(&ds);
        return 0;
    }
    need = saferl_rl_dataset_memory_size(&desc);
    CHECK(need > 0);
    if (need > (64u << 20)) return 0;
    memory = malloc(need);
    if (!memory) return 0;
    CHECK(saferl_rl_dataset_init(&ds, &desc, memory, need) == SAFERL_OK);
    CHECK(saferl_rl_dataset_load(&ds, data, size) == SAFERL_OK);
    CHECK(ds.step_count == desc.max_steps && ds.episode_count == desc.max_episodes);
    CHECK(ds.episode_start[0] == 0 && ds.episode_start[ds.episode_count] == ds.step_count);
    for (e = 0; e < ds.episode_count; ++e) {
        double ret = 0.0, cost = 0.0;
        CHECK(ds.episode_start[e + 1] > ds.episode_start[e]);
        saferl_rl_dataset_episode_return(&ds, e, &ret, &cost);
        CHECK(ret == ret && cost == cost);
    }
    CHECK(saferl_rl_dataset_saved_size(&ds) == size);
    again = (unsigned char *)malloc(size);
    if (again) {
        CHECK(saferl_rl_dataset_save(&ds, again, size, &written) == SAFERL_OK && written == size);
        CHECK(memcmp(again, data, size) == 0); /* a faithful round trip */
        free(again);
    }
    free(memory);
    return 0;
}

#include "fuzz_crc_repair.h" /* the entry point; -DFUZZ_REPAIR_CRC repairs the CRC first */
