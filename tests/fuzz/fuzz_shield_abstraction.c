// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: saferl_shield_read_abstraction, then the safety game of "G !p0" and of a
   two-state rule against it: a refused text has a precise error, an accepted one gives a
   game whose masks keep play inside the winning region (checked edge by edge). */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_SHIELD_IMPLEMENTATION
#endif
#include "saferl_shield.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                    \
    do {                            \
        if (!(x)) __builtin_trap(); \
    } while (0)

static void check_game(const saferl_shield_abstraction *ab, const char *rule) {
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_game game;
    saferl_shield_game_desc game_desc;
    saferl_shield_error error;
    const char *names[SAFERL_SHIELD_LABEL_BITS] = {"p0"};
    uint32_t j, s, q, a, e, Q;
    saferl_result r;
    char explain[512];
    size_t length;
    memset(&desc, 0, sizeof desc);
    for (j = 0; j < ab->prop_count; ++j) names[j] = ab->prop_name[j];
    desc.vocabulary = names;
    desc.vocabulary_count = ab->prop_count ? ab->prop_count : 1;
    if (saferl_shield_compile(rule, strlen(rule), &desc, &dfa, &error) < 0) return;
    memset(&game_desc, 0, sizeof game_desc);
    game_desc.horizon = ab->probability ? 3 : 0;
    r = saferl_shield_game_create(&game, ab, &dfa, &game_desc, NULL, &error);
    if (r < 0) {
        CHECK(error.message[0] != '\0');
        saferl_shield_dfa_destroy(&dfa);
        return;
    }
    Q = dfa.state_count;
    for (s = 0; s < ab->state_count; ++s)
        for (q = 0; q < Q; ++q) {
            uint32_t mask = game.allowed[s * Q + q];
            CHECK(!mask || game.losing_rank[s * Q + q] == 0);
            for (a = 0; a < ab->action_count; ++a) {
                if (!((mask >> a) & 1u)) continue;
                for (e = ab->offset[s * ab->action_count + a]; e < ab->offset[s * ab->action_count + a + 1]; ++e) {
                    uint32_t t = ab->successor[e];
                    CHECK(game.losing_rank[t * Q + saferl_shield_next(&dfa, q, ab->label[t])] == 0);
                }
            }
            if (game.allowed_probably) CHECK(game.safety[s * Q + q] >= 0.0 && game.safety[s * Q + q] <= 1.0 + 1e-9);
        }
    CHECK(saferl_shield_game_explain(&game, explain, sizeof explain, &length) == SAFERL_OK ||
          length >= sizeof explain);
    saferl_shield_game_destroy(&game);
    saferl_shield_dfa_destroy(&dfa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    saferl_shield_abstraction ab;
    saferl_shield_error error;
    saferl_result r;
    if (size > 4096) return 0;
    r = saferl_shield_read_abstraction((const char *)data, size, NULL, &ab, &error);
    if (r < 0) {
        CHECK(error.code == r && error.message[0] != '\0' && error.line <= size + 1 && error.column <= size + 1);
        return 0;
    }
    if ((uint64_t)ab.state_count * ab.action_count <= 4096) {
        check_game(&ab, ab.prop_count ? "G !p0" : "G true");
        if (ab.prop_count) check_game(&ab, "G(p0 -> X !p0)");
    }
    saferl_shield_abstraction_destroy(&ab);
    return 0;
}
