// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: saferl_shield_read_rm, then the automaton's invariants and a write /
   read round trip in the reward-machine format. */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_SHIELD_IMPLEMENTATION
#endif
#include "saferl_shield.h"
#include "shield_fuzz_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    saferl_shield_dfa dfa, back;
    saferl_shield_error error;
    saferl_result r;
    char *text, *out;
    size_t length = 0;
    if (size > 4000) return 0;
    text = (char *)malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    memset(&dfa, 0x5A, sizeof dfa);
    r = saferl_shield_read_rm(text, size, NULL, &dfa, &error);
    if (r < 0) {
        check_error(r, &error, size);
        CHECK(((const unsigned char *)&dfa)[0] == 0x5A);
    } else {
        check_automaton(&dfa, 0);
        if (dfa.state_count <= 64 && saferl_shield_write_rm(&dfa, NULL, 0, &length) == SAFERL_ERR_BUFFER_TOO_SMALL &&
            (out = (char *)malloc(length + 1)) != NULL) {
            CHECK(saferl_shield_write_rm(&dfa, out, length + 1, &length) == SAFERL_OK);
            r = saferl_shield_read_rm(out, length, NULL, &back, &error);
            CHECK(r == SAFERL_OK);
            saferl_shield_dfa_destroy(&back);
            free(out);
        }
        saferl_shield_dfa_destroy(&dfa);
    }
    free(text);
    return 0;
}
