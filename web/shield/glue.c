/* glue.c - the WebAssembly face of saferl_shield.h for web/shield/.
   Thin wrappers only: the page compiles a formula, reads the automaton's tables and steps a
   monitor; every state and verdict shown comes from the header. One automaton and one
   monitor live here at a time (the page has one of each). */
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>

#define SAFERL_SHIELD_IMPLEMENTATION
#include "saferl_shield.h"

#define GLUE_EXPORT EMSCRIPTEN_KEEPALIVE

static saferl_shield_dfa automaton;
static int have_automaton;
static saferl_shield_monitor monitor;
static saferl_shield_error last_error;
static char *text_out;

GLUE_EXPORT const char *shield_version(void) { return saferl_shield_version(); }

/* logic: 0 safety LTL (past-time when Y Z O H S appear), 2 LTLf. Returns the saferl_result. */
GLUE_EXPORT int shield_compile(const char *formula, int length, int logic) {
    saferl_shield_desc desc;
    saferl_shield_dfa fresh;
    saferl_result r;
    memset(&desc, 0, sizeof desc);
    desc.logic = logic == 2 ? SAFERL_SHIELD_LTLF : SAFERL_SHIELD_AUTO_PAST;
    desc.max_states = 4096;
    r = saferl_shield_load(formula, (size_t)length, &desc, &fresh, &last_error);
    if (r < 0) return r;
    if (have_automaton) saferl_shield_dfa_destroy(&automaton);
    automaton = fresh;
    have_automaton = 1;
    saferl_shield_monitor_init(&monitor, &automaton, 0.1, -1.0);
    return r;
}

GLUE_EXPORT int shield_error_line(void) { return (int)last_error.line; }
GLUE_EXPORT int shield_error_column(void) { return (int)last_error.column; }
GLUE_EXPORT const char *shield_error_message(void) { return last_error.message; }

GLUE_EXPORT int shield_state_count(void) { return have_automaton ? (int)automaton.state_count : 0; }
GLUE_EXPORT int shield_prop_count(void) { return have_automaton ? (int)automaton.prop_count : 0; }
GLUE_EXPORT const char *shield_prop_name(int j) { return automaton.prop_name[j]; }
GLUE_EXPORT int shield_prop_bit(int j) { return automaton.prop_bit[j]; }
GLUE_EXPORT int shield_initial(void) { return (int)automaton.initial; }
GLUE_EXPORT int shield_sink(void) { return automaton.sink == SAFERL_SHIELD_NO_STATE ? -1 : (int)automaton.sink; }
GLUE_EXPORT int shield_finite(void) { return automaton.semantics == SAFERL_SHIELD_FINITE; }
GLUE_EXPORT int shield_accepting(int q) { return (automaton.flags[q] & SAFERL_SHIELD_ACCEPTING) != 0; }
GLUE_EXPORT int shield_next(int q, int letter) {
    return (int)automaton.next[((size_t)q << automaton.prop_count) | (uint32_t)letter];
}

/* "hoa" (0), "hoa complete" (1) or "dot" (2) text of the automaton. */
GLUE_EXPORT const char *shield_text(int kind) {
    size_t length = 0;
    saferl_result r;
    free(text_out);
    text_out = NULL;
    if (!have_automaton) return "";
    if (kind == 2) r = saferl_shield_write_dot(&automaton, "", NULL, 0, &length);
    else r = saferl_shield_write_hoa(&automaton, (kind == 1 || automaton.semantics == SAFERL_SHIELD_FINITE)
                                                   ? SAFERL_SHIELD_HOA_COMPLETE : SAFERL_SHIELD_HOA_MONITOR,
                                     NULL, NULL, 0, &length);
    if (r != SAFERL_ERR_BUFFER_TOO_SMALL || !(text_out = (char *)malloc(length + 1))) return "";
    if (kind == 2) saferl_shield_write_dot(&automaton, "", text_out, length + 1, &length);
    else saferl_shield_write_hoa(&automaton, (kind == 1 || automaton.semantics == SAFERL_SHIELD_FINITE)
                                                 ? SAFERL_SHIELD_HOA_COMPLETE : SAFERL_SHIELD_HOA_MONITOR,
                                 NULL, text_out, length + 1, &length);
    return text_out;
}

/* Monitor: step with a label (bit i = proposition at label bit i); returns the new state. */
static double last_reward;
GLUE_EXPORT int shield_step(int label) {
    return (int)saferl_shield_monitor_step(&monitor, (uint32_t)label, &last_reward);
}
GLUE_EXPORT double shield_last_reward(void) { return last_reward; }
GLUE_EXPORT void shield_reset(void) { saferl_shield_monitor_reset(&monitor); }
GLUE_EXPORT int shield_state(void) { return (int)monitor.state; }
GLUE_EXPORT int shield_violated(void) { return saferl_shield_monitor_violated(&monitor); }
GLUE_EXPORT int shield_monitor_accepting(void) { return saferl_shield_monitor_accepting(&monitor); }
GLUE_EXPORT int shield_first_violation(void) { return (int)monitor.first_violation; }
GLUE_EXPORT int shield_steps(void) { return (int)monitor.steps; }
