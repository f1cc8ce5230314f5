// SPDX-License-Identifier: MIT OR Unlicense
/* The helper of shield_guards.py: compiles each formula of stdin (one a line, safety LTL) and
   prints what the Python side needs to check the written guards against the monitor itself:

     formula <i> states <S> props <K> initial <q>
       (or "refused <i> <message>", or "narrow <i>" when 16 or fewer propositions are left)
     bits <label bit of proposition 0> ...             (HOA's AP j is proposition j)
     names <name of proposition 0> ...
     readback <1 when our HOA reader gives back an equivalent automaton, else 0>
     hoa <length> / the complete HOA text / dot <length> / the DOT text
     samples <N> / N lines "<state> <label> <successor by saferl_shield_monitor_step>"

   The sampled labels, per state, in threes: one label of a letter class (the classes are where
   the guards' boundaries lie; every class when there are at most SAMPLES_PER_STATE / 3, else
   random ones), the same with one proposition flipped, and a uniform label over the
   propositions' bits. Seeded, so reruns agree.
   usage: shield_guards SEED < formulas.txt */
#define SAFERL_SHIELD_IMPLEMENTATION
#include "saferl_shield.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLES_PER_STATE 48u

static char *write_text(const saferl_shield_dfa *d, int dot, size_t *length) {
    char *text;
    saferl_result r = dot ? saferl_shield_write_dot(d, "wide", NULL, 0, length)
                          : saferl_shield_write_hoa(d, SAFERL_SHIELD_HOA_COMPLETE, "wide", NULL, 0, length);
    if (r != SAFERL_ERR_BUFFER_TOO_SMALL || !(text = (char *)malloc(*length + 1))) return NULL;
    r = dot ? saferl_shield_write_dot(d, "wide", text, *length + 1, length)
            : saferl_shield_write_hoa(d, SAFERL_SHIELD_HOA_COMPLETE, "wide", text, *length + 1, length);
    if (r != SAFERL_OK) {
        free(text);
        return NULL;
    }
    return text;
}

/* 1 when the HOA text, read back with the propositions at their label bits, is equivalent. */
static int reads_back(const saferl_shield_dfa *d, const char *hoa, size_t length) {
    const char *vocabulary[SAFERL_SHIELD_LABEL_BITS] = {0};
    saferl_shield_desc desc;
    saferl_shield_dfa back;
    saferl_shield_error error;
    uint32_t j;
    int equal = 0;
    memset(&desc, 0, sizeof desc);
    for (j = 0; j < d->prop_count; ++j) vocabulary[d->prop_bit[j]] = d->prop_name[j];
    desc.vocabulary = vocabulary;
    desc.vocabulary_count = SAFERL_SHIELD_LABEL_BITS;
    if (saferl_shield_read_hoa(hoa, length, &desc, &back, &error) != SAFERL_OK) return 0;
    if (saferl_shield_equivalent(d, &back, &equal, NULL, 0, NULL, NULL) != SAFERL_OK) equal = 0;
    saferl_shield_dfa_destroy(&back);
    return equal == 1;
}

static void print_samples(const saferl_shield_dfa *d, saferl_rng *rng) {
    saferl_shield_monitor monitor;
    uint32_t q, c, used = 0, mask = 0, j;
    uint32_t per_state = d->letter_count * 3 < SAMPLES_PER_STATE ? d->letter_count * 3 : SAMPLES_PER_STATE;
    for (j = 0; j < d->prop_count; ++j) mask |= 1u << d->prop_bit[j];
    saferl_shield_monitor_init(&monitor, d, 0.0, 0.0);
    printf("samples %u\n", d->state_count * per_state);
    for (q = 0; q < d->state_count; ++q) {
        for (used = 0; used < per_state; ++used) {
            uint32_t label;
            c = per_state == d->letter_count * 3 ? used / 3 : saferl_rng_bounded(rng, d->letter_count);
            label = saferl_shield_label_of_letter(d, c);
            if (used % 3 == 1) label ^= 1u << d->prop_bit[saferl_rng_bounded(rng, d->prop_count)];
            if (used % 3 == 2) label = saferl_rng_u32(rng) & mask;
            monitor.state = q;
            printf("%u %u %u\n", q, label, saferl_shield_monitor_step(&monitor, label, NULL));
        }
    }
}

int main(int argc, char **argv) {
    static char line[1 << 16];
    saferl_rng rng;
    unsigned index = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: shield_guards SEED < formulas.txt\n");
        return 2;
    }
    saferl_rng_seed(&rng, (uint32_t)strtoul(argv[1], NULL, 10));
    while (fgets(line, sizeof line, stdin)) {
        saferl_shield_desc desc;
        saferl_shield_dfa d;
        saferl_shield_error error;
        size_t hoa_length = 0, dot_length = 0;
        char *hoa, *dot;
        uint32_t j;
        line[strcspn(line, "\n")] = '\0';
        memset(&desc, 0, sizeof desc);
        desc.max_states = 5000;
        if (saferl_shield_compile(line, strlen(line), &desc, &d, &error) != SAFERL_OK) {
            printf("refused %u %s\n", index++, error.message);
            continue;
        }
        if (!d.node) { /* the propositions left are 16 or fewer: dense, written from letters */
            printf("narrow %u\n", index++);
            saferl_shield_dfa_destroy(&d);
            continue;
        }
        hoa = write_text(&d, 0, &hoa_length);
        dot = write_text(&d, 1, &dot_length);
        if (!hoa || !dot) {
            fprintf(stderr, "formula %u: a writer failed\n", index);
            return 1;
        }
        printf("formula %u states %u props %u initial %u\nbits", index++, d.state_count, d.prop_count, d.initial);
        for (j = 0; j < d.prop_count; ++j) printf(" %u", d.prop_bit[j]);
        printf("\nnames");
        for (j = 0; j < d.prop_count; ++j) printf(" %s", d.prop_name[j]);
        printf("\nreadback %d\nhoa %zu\n", reads_back(&d, hoa, hoa_length), hoa_length);
        fwrite(hoa, 1, hoa_length, stdout);
        printf("\ndot %zu\n", dot_length);
        fwrite(dot, 1, dot_length, stdout);
        printf("\n");
        print_samples(&d, &rng);
        free(hoa);
        free(dot);
        saferl_shield_dfa_destroy(&d);
    }
    return 0;
}
