// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: saferl_shield_read_hoa, then the automaton's invariants. */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_SHIELD_IMPLEMENTATION
#endif
#include "saferl_shield.h"
#include "shield_fuzz_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    saferl_result r;
    char *text;
    if (size > 4000) return 0;
    text = (char *)malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    memset(&dfa, 0x5A, sizeof dfa);
    r = saferl_shield_read_hoa(text, size, NULL, &dfa, &error);
    if (r < 0) {
        check_error(r, &error, size);
        CHECK(((const unsigned char *)&dfa)[0] == 0x5A);
    } else {
        check_automaton(&dfa, 1);
        saferl_shield_dfa_destroy(&dfa);
    }
    free(text);
    return 0;
}
