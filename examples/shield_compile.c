// SPDX-License-Identifier: MIT OR Unlicense
/* shield_compile - a safety specification to its minimal automaton, and a trace checked
   against it.

   shield_compile [options] (-e 'formula' | file)
     the input: a formula (safety LTL; past-time LTL when Y Z O H S appear), LTLf with
     --ltlf, or a HOA or reward-machine file, recognised by its content
     --dot            print Graphviz DOT instead of HOA
     --complete       HOA with the sink kept (default for safety: Spot's monitor form)
     --rm             print the reward-machine text format
     --check TRACE    read TRACE (one step per line, the true propositions separated by
                      spaces, an empty line for none) and print the first violating step
                      (1-based) or "ok"; for a finite-trace automaton "ok" means the trace is
                      accepted, "not accepted" that it is not (yet)
   Bad input prints "file:line:column: what is wrong" and exits with status 1. */
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_SHIELD_IMPLEMENTATION
#include "saferl_shield.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    char *data;
    long size;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    data = (char *)malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) {
        size_t bom = cli_bom_length(data, (size_t)size);
        memmove(data, data + bom, (size_t)size - bom);
        data[(size_t)size - bom] = '\0';
        *length = (size_t)size - bom;
    }
    return data;
}

#define USAGE "[--ltlf] [--dot | --complete | --rm | --check trace.txt] (-e 'formula' | file)"

/* Runs the trace through a monitor; prints the verdict. */
static int check_trace(const saferl_shield_dfa *dfa, const char *path) {
    size_t length = 0, pos = 0;
    char *trace = read_file(path, &length);
    saferl_shield_monitor monitor;
    unsigned line = 0;
    if (!trace) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    saferl_shield_monitor_init(&monitor, dfa, 0.0, 0.0);
    while (pos < length) {
        size_t end = pos, line_start = pos;
        uint32_t label = 0;
        while (end < length && trace[end] != '\n') ++end;
        ++line;
        while (pos < end) {
            size_t start, n;
            uint32_t j;
            while (pos < end && (trace[pos] == ' ' || trace[pos] == '\t' || trace[pos] == '\r')) ++pos;
            start = pos;
            while (pos < end && trace[pos] != ' ' && trace[pos] != '\t' && trace[pos] != '\r') ++pos;
            n = pos - start;
            if (n == 0) break;
            for (j = 0; j < dfa->prop_count; ++j)
                if (strlen(dfa->prop_name[j]) == n && memcmp(dfa->prop_name[j], trace + start, n) == 0) break;
            if (j == dfa->prop_count) {
                fprintf(stderr, "%s:%u:%u: unknown proposition '%.*s'\n", path, line, (unsigned)(start - line_start + 1),
                        (int)n, trace + start);
                free(trace);
                return 1;
            }
            label |= 1u << dfa->prop_bit[j];
        }
        saferl_shield_monitor_step(&monitor, label, NULL);
        if (saferl_shield_monitor_violated(&monitor) && dfa->semantics == SAFERL_SHIELD_SAFETY) break;
        pos = end + 1;
    }
    free(trace);
    if (monitor.first_violation) printf("%u\n", (unsigned)monitor.first_violation);
    else if (dfa->semantics == SAFERL_SHIELD_FINITE && !saferl_shield_monitor_accepting(&monitor)) printf("not accepted\n");
    else printf("ok\n");
    return 0;
}

static int run(int argc, char **argv) {
    const char *expression = NULL, *path = NULL, *trace = NULL, *shown;
    int dot = 0, complete = 0, rm = 0, i, status = 0;
    cli c;
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_error error;
    saferl_result r;
    char *text, *output;
    size_t length = 0, needed = 0;
    memset(&desc, 0, sizeof desc);
    desc.logic = SAFERL_SHIELD_AUTO_PAST;
    cli_init(&c, argc, argv, USAGE);
    for (i = 1; i < argc; ++i) {
        const char *v = NULL;
        if (cli_is(&c, &i, "--ltlf", NULL)) desc.logic = SAFERL_SHIELD_LTLF;
        else if (cli_is(&c, &i, "--dot", NULL)) dot = 1;
        else if (cli_is(&c, &i, "--complete", NULL)) complete = 1;
        else if (cli_is(&c, &i, "--rm", NULL)) rm = 1;
        else if (cli_is(&c, &i, "--check", &v)) trace = v;
        else if (cli_is(&c, &i, "-e", &v)) expression = v;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') return cli_usage_error(&c, "unknown option %s", argv[i]);
        else if (!path) path = argv[i];
        else return cli_usage_error(&c, "one input file, not two (%s and %s)", path, argv[i]);
        if (c.failed) return 2;
    }
    if ((expression != NULL) == (path != NULL)) return cli_usage_error(&c, "give a formula with -e or a file, one of the two");
    if (dot + complete + rm + (trace != NULL) > 1) return cli_usage_error(&c, "--dot, --complete, --rm and --check exclude each other");
    if (expression) {
        text = (char *)malloc(strlen(expression) + 1);
        if (!text) return 1;
        strcpy(text, expression);
        length = strlen(text);
        shown = "-e";
    } else {
        text = read_file(path, &length);
        if (!text) {
            fprintf(stderr, "%s: cannot read\n", path);
            return 1;
        }
        shown = path;
    }
    r = saferl_shield_load(text, length, &desc, &dfa, &error);
    if (r < 0) {
        fprintf(stderr, "%s:%u:%u: %s\n", shown, (unsigned)error.line, (unsigned)error.column, error.message);
        free(text);
        return 1;
    }
    if (trace) {
        status = check_trace(&dfa, trace);
    } else {
        if (dot) r = saferl_shield_write_dot(&dfa, expression ? expression : path, NULL, 0, &needed);
        else if (rm) r = saferl_shield_write_rm(&dfa, NULL, 0, &needed);
        else r = saferl_shield_write_hoa(&dfa, (complete || dfa.semantics == SAFERL_SHIELD_FINITE) ? SAFERL_SHIELD_HOA_COMPLETE : SAFERL_SHIELD_HOA_MONITOR,
                                         expression ? expression : NULL, NULL, 0, &needed);
        if (r != SAFERL_ERR_BUFFER_TOO_SMALL && r != SAFERL_OK) {
            fprintf(stderr, "%s: %s%s\n", shown, saferl_result_string(r),
                    rm ? " (reward machines need one-character propositions)" : "");
            status = 1;
        } else {
            output = (char *)malloc(needed + 1);
            if (!output) status = 1;
            else {
                if (dot) r = saferl_shield_write_dot(&dfa, expression ? expression : path, output, needed + 1, &needed);
                else if (rm) r = saferl_shield_write_rm(&dfa, output, needed + 1, &needed);
                else r = saferl_shield_write_hoa(&dfa, (complete || dfa.semantics == SAFERL_SHIELD_FINITE) ? SAFERL_SHIELD_HOA_COMPLETE : SAFERL_SHIELD_HOA_MONITOR,
                                                 expression ? expression : NULL, output, needed + 1, &needed);
                fputs(output, stdout);
                free(output);
            }
        }
    }
    saferl_shield_dfa_destroy(&dfa);
    free(text);
    return status;
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
