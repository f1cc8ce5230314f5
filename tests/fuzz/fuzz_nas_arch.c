// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: saferl_nas_arch_string_parse (NAS-Bench-201 architecture strings) and
   saferl_nas_arch_string_format.

   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_nas_arch.c \
         -o build/fuzz_nas_arch -lm
   build/fuzz_nas_arch -max_total_time=15 build/fuzz_corpus/nas_arch tests/fuzz/corpus/nas_arch

   The input is not NUL-terminated, so the sanitizers catch any read past the length.
   Invariants (each failure traps): a parse either succeeds with 2..8 nodes and known ops,
   or fails with a column inside the text (+1) and a reason, writing nothing; a parsed
   architecture prints to a string that parses back to the same ops, and printing into a
   buffer that is too small never writes past it. */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_NAS_IMPLEMENTATION
#endif
#include "saferl_nas.h"

#include <stdint.h>
#include <string.h>

#define CHECK(x)                    \
    do {                            \
        if (!(x)) __builtin_trap(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    saferl_nas_op ops[32], again[32];
    char text[512], small[24];
    int nodes = -1, nodes_again = -1, i;
    size_t length = 0, edges;
    saferl_nas_parse_error error = {0, NULL};
    saferl_result r;
    for (i = 0; i < 32; ++i) ops[i] = (saferl_nas_op)77;
    r = saferl_nas_arch_string_parse((const char *)data, size, ops, 32, &nodes, &error);
    if (r != SAFERL_OK) {
        CHECK(r == SAFERL_ERR_PARSE || r == SAFERL_ERR_BUFFER_TOO_SMALL);
        CHECK(nodes == -1 && ops[0] == (saferl_nas_op)77);
        if (r == SAFERL_ERR_PARSE) CHECK(error.reason != NULL && error.column >= 1 && error.column <= size + 1);
        return 0;
    }
    CHECK(nodes >= 2 && nodes <= SAFERL_NAS_MAX_NODES);
    edges = (size_t)saferl_nas_edge_count(nodes);
    for (i = 0; i < (int)edges; ++i) CHECK((int)ops[i] >= 0 && (int)ops[i] < SAFERL_NAS_OP_KINDS);
    CHECK(saferl_nas_arch_string_format(ops, nodes, text, sizeof text, &length) == SAFERL_OK);
    CHECK(strlen(text) == length);
    CHECK(saferl_nas_arch_string_parse(text, length, again, 32, &nodes_again, NULL) == SAFERL_OK);
    CHECK(nodes_again == nodes && memcmp(ops, again, edges * sizeof ops[0]) == 0);
    memset(small, 'x', sizeof small);
    r = saferl_nas_arch_string_format(ops, nodes, small, 16, &length);
    CHECK(r == (length + 1 > 16 ? SAFERL_ERR_BUFFER_TOO_SMALL : SAFERL_OK));
    for (i = 16; i < (int)sizeof small; ++i) CHECK(small[i] == 'x');
    if (nodes == 4) {
        int32_t code = saferl_nas_nb201_code(ops);
        if (code >= 0) {
            saferl_nas_nb201_decode(code, again);
            CHECK(memcmp(ops, again, 6 * sizeof ops[0]) == 0);
        }
    }
    return 0;
}
