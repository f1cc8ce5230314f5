// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: saferl_shield_compile on safety LTL, past-time LTL and LTLf (the first
   byte picks the logic), then the automaton's invariants (below).
   The input is not NUL-terminated, so the sanitizers catch any read past the length. */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_SHIELD_IMPLEMENTATION
#endif
#include "saferl_shield.h"
#include "shield_fuzz_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    saferl_result r;
    char *text;
    if (size < 1 || size > 400) return 0;
    memset(&desc, 0, sizeof desc);
    desc.logic = (saferl_shield_logic)(data[0] % 4);
    desc.max_states = 500; /* keeps each run short: larger automata get a clean refusal */
    text = (char *)malloc(size - 1 ? size - 1 : 1);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    memset(&dfa, 0x5A, sizeof dfa);
    r = saferl_shield_compile(text, size - 1, &desc, &dfa, &error);
    if (r < 0) {
        check_error(r, &error, size);
        CHECK(((const unsigned char *)&dfa)[0] == 0x5A); /* nothing half-built */
    } else {
        CHECK(r == SAFERL_OK);
        check_automaton(&dfa, 1);
        saferl_shield_dfa_destroy(&dfa);
    }
    free(text);
    return 0;
}
