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
/* letters: 2^k (dense) or the label classes of a symbolic automaton (k > 16) */
GLUE_EXPORT int shield_letter_count(void) { return have_automaton ? (int)automaton.letter_count : 0; }
GLUE_EXPORT int shield_next(int q, int letter) {
    return (int)automaton.next[((size_t)q << automaton.letter_bits) | (uint32_t)letter];
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

/* ---- part 2: a painted gridworld, the rule over its propositions, two agents learning ----
   The map is text in the Minecraft legend's symbols (the page paints it); the rule is
   compiled again with the legend's propositions as the vocabulary, so that a cell's label
   is the automaton's input. Two agents learn on the same map with the same seed: tabular
   Q-learning over (cell, rule state) with the safeguard reward and counterfactual updates
   (CRM), one free, one under the preemptive shield of the safety game against the map's
   abstraction (slips included; item placement re-solved at each reset). A third follows the
   progressive curriculum: the header's four Minecraft safeguards (minecraft_1, _2, _6, _7)
   in turn, a stage every stage_episodes episodes, each new stage's states learned by
   replaying the real steps so far under the new automaton (the header's recommended
   transfer; copying from states at least as strict, or with the same rule, on request); its
   violations are of its own final rule. */
#define GLUE_MAX_EPISODES 100000u
#define GLUE_TRAIL 512u

static const saferl_shield_legend_entry *legend;
static uint32_t legend_count;
static const char *vocabulary[SAFERL_SHIELD_LABEL_BITS];
static uint32_t vocabulary_count;
static saferl_shield_grid base_grid;
static int have_grid;
static saferl_shield_dfa rule;
static int have_rule;
static saferl_shield_error grid_error;
static double world_slip, world_shift, world_epsilon;
static uint32_t world_max_steps;
static int world_ready;
static saferl_shield_abstraction abstraction;
static uint32_t *abstraction_offset, *abstraction_successor;
static double *abstraction_probability;
static saferl_shield_game game;
static void *game_memory;

#define GLUE_AGENTS 3
#define GLUE_STAGES 4
/* the curriculum's replay store: 4 stages of the page's 500 episodes of at most 100 steps
   fit; longer runs replay their latest steps (6 MB) */
#define GLUE_REPLAY_STEPS (1u << 18)

/* How the curriculum's new states get their values (world_reset_staged's transfer). */
enum { GLUE_TRANSFER_STRICTER = 0, GLUE_TRANSFER_SAME_RULE = 1, GLUE_TRANSFER_REPLAY = 2 };

typedef struct agent {
    int shielded, curriculum;
    uint32_t stage;                    /* curriculum: the safeguard trained now (0 .. 3) */
    uint32_t q_final;                  /* curriculum: the state of its final rule, minecraft_7 */
    int final_violated;
    saferl_shield_grid grid;           /* the base map with this agent's item placement */
    void *grid_memory, *table_memory, *replay_memory;
    saferl_shield_qtable table;
    saferl_shield_replay replay;       /* curriculum with the replay transfer: its real steps */
    int transfer_result;               /* the last stage change's transfer (0, or a refusal) */
    saferl_rng rng;
    uint32_t cell, q, t, in_episode, mask;
    double episode_return;
    uint32_t episodes, violations, goals, steps, restricted;
    double *returns;                   /* per episode: task reward + safeguard reward */
    uint8_t *violated;                 /* per episode: entered the rule's sink */
    uint32_t *visits;
    uint32_t trail[GLUE_TRAIL], trail_length, last_trail[GLUE_TRAIL], last_trail_length;
} agent;
static agent agents[GLUE_AGENTS];
static saferl_shield_dfa stages[GLUE_STAGES];
static unsigned char stage_memory[GLUE_STAGES][4096];
static uint32_t stage_episodes;

/* The automaton agent a learns from: the page's rule, or the curriculum's current stage. */
static const saferl_shield_dfa *agent_rule(const agent *a) { return a->curriculum ? &stages[a->stage] : &rule; }

static void legend_once(void) {
    uint32_t k, bit;
    if (legend) return;
    legend = saferl_shield_minecraft_legend(&legend_count);
    /* label bit i is named after the legend entry that sets it */
    vocabulary_count = 0;
    for (bit = 0; bit < SAFERL_SHIELD_LABEL_BITS; ++bit) {
        const char *name = NULL;
        for (k = 0; k < legend_count; ++k)
            if (legend[k].label == (1u << bit)) name = legend[k].name;
        if (!name) break;
        vocabulary[vocabulary_count++] = name;
    }
}

GLUE_EXPORT int grid_legend_count(void) { legend_once(); return (int)legend_count; }
GLUE_EXPORT int grid_legend_symbol(int k) { legend_once(); return legend[k].symbol; }
GLUE_EXPORT const char *grid_legend_name(int k) { legend_once(); return legend[k].name; }
GLUE_EXPORT int grid_legend_flags(int k) { legend_once(); return (int)legend[k].flags; }
GLUE_EXPORT int grid_legend_label(int k) { legend_once(); return (int)legend[k].label; }
/* the legend's colour as 0xRRGGBB */
GLUE_EXPORT int grid_legend_rgb(int k) {
    legend_once();
    return (legend[k].rgba[0] << 16) | (legend[k].rgba[1] << 8) | legend[k].rgba[2];
}
GLUE_EXPORT const char *grid_default_map(void) { return saferl_shield_minecraft_map(); }
GLUE_EXPORT int grid_error_line(void) { return (int)grid_error.line; }
GLUE_EXPORT int grid_error_column(void) { return (int)grid_error.column; }
GLUE_EXPORT const char *grid_error_message(void) { return grid_error.message; }

static void world_release(void) {
    int k;
    for (k = 0; k < GLUE_AGENTS; ++k) {
        agent *a = &agents[k];
        free(a->grid_memory);
        free(a->table_memory);
        free(a->replay_memory);
        free(a->returns);
        free(a->violated);
        free(a->visits);
        memset(a, 0, sizeof *a);
    }
    free(abstraction_offset);
    free(abstraction_successor);
    free(abstraction_probability);
    free(game_memory);
    abstraction_offset = abstraction_successor = NULL;
    abstraction_probability = NULL;
    game_memory = NULL;
    world_ready = 0;
}

/* The map as text in the legend's symbols; the agents stop until world_reset. */
GLUE_EXPORT int grid_load(const char *text, int length) {
    saferl_shield_grid fresh;
    saferl_result r;
    legend_once();
    r = saferl_shield_grid_read_text(text, (size_t)length, legend, legend_count, &fresh, NULL, &grid_error);
    if (r < 0) return r;
    world_release();
    if (have_grid) saferl_shield_grid_destroy(&base_grid);
    base_grid = fresh;
    have_grid = 1;
    return r;
}
GLUE_EXPORT int grid_width(void) { return have_grid ? (int)base_grid.width : 0; }
GLUE_EXPORT int grid_height(void) { return have_grid ? (int)base_grid.height : 0; }
GLUE_EXPORT int grid_kind(int cell) { return base_grid.kind[cell]; }
GLUE_EXPORT int grid_start(void) { return (int)base_grid.start; }

/* The rule over the legend's propositions (logic as shield_compile). */
GLUE_EXPORT int grid_rule(const char *text, int length, int logic) {
    saferl_shield_desc desc;
    saferl_shield_dfa fresh;
    saferl_result r;
    legend_once();
    memset(&desc, 0, sizeof desc);
    desc.logic = logic == 2 ? SAFERL_SHIELD_LTLF : SAFERL_SHIELD_AUTO_PAST;
    desc.vocabulary = vocabulary;
    desc.vocabulary_count = vocabulary_count;
    desc.max_states = 256; /* the Q-table holds cells x states x 5 values */
    r = saferl_shield_load(text, (size_t)length, &desc, &fresh, &grid_error);
    if (r < 0) return r;
    world_release();
    if (have_rule) saferl_shield_dfa_destroy(&rule);
    rule = fresh;
    have_rule = 1;
    return r;
}
GLUE_EXPORT int grid_rule_states(void) { return have_rule ? (int)rule.state_count : 0; }
GLUE_EXPORT int grid_rule_sink(void) { return have_rule && rule.sink != SAFERL_SHIELD_NO_STATE ? (int)rule.sink : -1; }

static void agent_begin(agent *a) {
    uint32_t start;
    if (world_shift > 0.0) {
        saferl_shield_grid_place_items(&a->grid, &base_grid, world_shift, &a->rng);
        /* item placement is observed at reset: the shield's game is solved on this map */
        if (a->shielded) saferl_shield_game_solve(&game, &abstraction, &rule, NULL);
    }
    if (a->curriculum) { /* the stage of this episode; new states take values at a change */
        uint32_t stage = stage_episodes ? a->episodes / stage_episodes : GLUE_STAGES - 1;
        if (stage > GLUE_STAGES - 1) stage = GLUE_STAGES - 1;
        if (stage != a->stage && a->replay_memory)
            a->transfer_result = saferl_shield_qtable_transfer_replay(&a->table, &stages[stage], saferl_shield_minecraft_states(a->stage),
                                                 saferl_shield_minecraft_states(stage), &a->replay);
        else if (stage != a->stage)
            saferl_shield_qtable_transfer(&a->table, &stages[stage], saferl_shield_minecraft_states(a->stage),
                                          saferl_shield_minecraft_states(stage));
        a->stage = stage;
    }
    start = a->grid.start;
    a->cell = start;
    a->q = saferl_shield_next(agent_rule(a), agent_rule(a)->initial, a->grid.label[start]);
    a->q_final = saferl_shield_next(&stages[GLUE_STAGES - 1], 0, a->grid.label[start]);
    a->final_violated = a->q_final == stages[GLUE_STAGES - 1].sink;
    a->t = 0;
    a->episode_return = 0.0;
    a->trail[0] = start;
    a->trail_length = 1;
    a->in_episode = 1;
}

static void agent_end(agent *a, int violated, int goal) {
    if (a->episodes < GLUE_MAX_EPISODES) {
        a->returns[a->episodes] = a->episode_return;
        a->violated[a->episodes] = (uint8_t)violated;
    }
    ++a->episodes;
    a->violations += (uint32_t)violated;
    a->goals += (uint32_t)goal;
    memcpy(a->last_trail, a->trail, a->trail_length * sizeof a->trail[0]);
    a->last_trail_length = a->trail_length;
    a->in_episode = 0;
}

/* The shield's mask at (cell, q): the sure shield when the start wins, else the
   probabilistic one when there is one, else nothing (0: every action). */
static uint32_t shield_mask(uint32_t cell, uint32_t q) {
    if (game.initial_winning) return saferl_shield_game_allowed(&game, cell, q);
    if (game.allowed_probably) return game.allowed_probably[saferl_shield_game_state(&game, cell, q)];
    return 0;
}

/* One environment step of agent k (a new episode first when none is running); returns 1
   when the step ended the episode. */
GLUE_EXPORT int agent_step(int k) {
    agent *a = &agents[k];
    const saferl_shield_dfa *dfa;
    uint32_t action, next, q2;
    int goal, violated;
    double r;
    if (!world_ready || a->episodes >= GLUE_MAX_EPISODES) return -1;
    if (!a->in_episode) {
        agent_begin(a);
        dfa = agent_rule(a);
        if (dfa->sink != SAFERL_SHIELD_NO_STATE && a->q == dfa->sink) { /* the start's label violates */
            a->episode_return = a->table.r_violation;
            agent_end(a, 1, 0);
            return 1;
        }
    }
    a->mask = a->shielded ? shield_mask(a->cell, a->q) : 0;
    if (a->mask && a->mask != (1u << SAFERL_SHIELD_GRID_ACTIONS) - 1) ++a->restricted;
    dfa = agent_rule(a);
    action = saferl_shield_qtable_act(&a->table, a->cell, a->q, a->mask, world_epsilon, &a->rng);
    next = saferl_shield_grid_step(&a->grid, a->cell, action, world_slip, &a->rng);
    goal = (a->grid.legend[a->grid.kind[next]].flags & SAFERL_SHIELD_CELL_GOAL) != 0;
    r = goal ? 1.0 : 0.0;
    q2 = saferl_shield_next(dfa, a->q, a->grid.label[next]);
    violated = dfa->sink != SAFERL_SHIELD_NO_STATE && q2 == dfa->sink;
    a->q_final = saferl_shield_next(&stages[GLUE_STAGES - 1], a->q_final, a->grid.label[next]);
    a->final_violated |= a->q_final == stages[GLUE_STAGES - 1].sink;
    saferl_shield_qtable_update_crm(&a->table, dfa,
                                    a->curriculum ? saferl_shield_minecraft_states(a->stage) : dfa->state_count,
                                    a->cell, action, next, a->grid.label[next], r, goal);
    if (a->replay_memory) saferl_shield_replay_push(&a->replay, a->cell, action, next, a->grid.label[next], r, goal);
    a->episode_return += r + (violated ? a->table.r_violation : a->table.r_safe);
    ++a->visits[next];
    ++a->steps;
    if (a->trail_length < GLUE_TRAIL) a->trail[a->trail_length++] = next;
    a->cell = next;
    a->q = q2;
    ++a->t;
    if (goal || violated || a->t >= world_max_steps) {
        agent_end(a, a->curriculum ? a->final_violated : violated, goal);
        return 1;
    }
    return 0;
}

/* Steps agent k until `episodes` more episodes have ended; returns the episodes done. */
GLUE_EXPORT int agent_run(int k, int episodes) {
    int done = 0, r;
    while (done < episodes && (r = agent_step(k)) >= 0) done += r;
    return done;
}

/* Lays the world out for the current map and rule and starts both agents from zero with
   the same seed. Returns 0 when the world is laid out, also when the start is losing
   (world_initial_winning is then 0: the page says so and the shielded agent uses the
   probabilistic shield, or none); a negative value when nothing could be laid out. stage_length: the
   curriculum's episodes per stage (0: 500); transfer: how its new states get their values,
   GLUE_TRANSFER_REPLAY (the page's default), _STRICTER or _SAME_RULE (copies). */
GLUE_EXPORT int world_reset_staged(int seed, double slip, double shift, double epsilon, int max_steps,
                                   int stage_length, int transfer) {
    uint32_t cells, k;
    size_t size;
    saferl_shield_game_desc desc;
    saferl_result r;
    if (!have_grid || !have_rule || transfer < GLUE_TRANSFER_STRICTER || transfer > GLUE_TRANSFER_REPLAY)
        return SAFERL_ERR_INVALID_ARGUMENT;
    world_release();
    world_slip = slip;
    world_shift = shift;
    world_epsilon = epsilon;
    world_max_steps = max_steps > 0 ? (uint32_t)max_steps : 100;
    cells = base_grid.width * base_grid.height;
    stage_episodes = stage_length > 0 ? (uint32_t)stage_length : 500;
    for (k = 0; k < GLUE_STAGES; ++k) saferl_shield_minecraft_safeguard(k, &stages[k], stage_memory[k], sizeof stage_memory[k]);
    for (k = 0; k < GLUE_AGENTS; ++k) {
        agent *a = &agents[k];
        size_t grid_size = saferl_shield_grid_memory_size(base_grid.width, base_grid.height);
        a->shielded = k == 1;
        a->curriculum = k == 2;
        a->grid_memory = malloc(grid_size);
        size = saferl_shield_qtable_memory_size(cells, agent_rule(a)->state_count, SAFERL_SHIELD_GRID_ACTIONS);
        a->table_memory = malloc(size);
        a->returns = (double *)malloc(GLUE_MAX_EPISODES * sizeof(double));
        a->violated = (uint8_t *)malloc(GLUE_MAX_EPISODES);
        a->visits = (uint32_t *)calloc(cells, sizeof(uint32_t));
        if (a->curriculum && transfer == GLUE_TRANSFER_REPLAY) {
            a->replay_memory = malloc(saferl_shield_replay_memory_size(GLUE_REPLAY_STEPS));
            if (a->replay_memory)
                saferl_shield_replay_init(&a->replay, GLUE_REPLAY_STEPS, a->replay_memory,
                                          saferl_shield_replay_memory_size(GLUE_REPLAY_STEPS));
        }
        if (!a->grid_memory || !a->table_memory || !a->returns || !a->violated || !a->visits ||
            (a->curriculum && transfer == GLUE_TRANSFER_REPLAY && !a->replay_memory)) {
            world_release();
            return SAFERL_ERR_OUT_OF_MEMORY;
        }
        saferl_shield_grid_init(&a->grid, base_grid.width, base_grid.height, legend, legend_count, a->grid_memory,
                                grid_size);
        saferl_shield_grid_place_items(&a->grid, &base_grid, 0.0, NULL);
        saferl_shield_qtable_init(&a->table, cells, agent_rule(a)->state_count, SAFERL_SHIELD_GRID_ACTIONS,
                                  a->table_memory, size);
        if (a->curriculum && transfer == GLUE_TRANSFER_SAME_RULE) a->table.transfer_donors = SAFERL_SHIELD_DONORS_SAME_RULE;
        saferl_rng_seed(&a->rng, (uint32_t)seed);
    }
    abstraction_offset = (uint32_t *)malloc(((size_t)cells * SAFERL_SHIELD_GRID_ACTIONS + 1) * sizeof(uint32_t));
    abstraction_successor = (uint32_t *)malloc((size_t)cells * 25 * sizeof(uint32_t));
    abstraction_probability = (double *)malloc((size_t)cells * 25 * sizeof(double));
    if (!abstraction_offset || !abstraction_successor || !abstraction_probability) {
        world_release();
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    /* the shielded agent's own map: its labels move with its item placement */
    saferl_shield_grid_abstraction(&agents[1].grid, slip, &abstraction, abstraction_offset, abstraction_successor,
                                   abstraction_probability);
    memset(&desc, 0, sizeof desc);
    desc.horizon = slip > 0.0 ? 10 : 0; /* slips: the probabilistic shield as a fallback */
    desc.threshold = 0.9;
    size = saferl_shield_game_memory_size(&abstraction, &rule, &desc);
    game_memory = size ? malloc(size) : NULL;
    if (!game_memory) {
        world_release();
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    r = saferl_shield_game_init(&game, &abstraction, &rule, &desc, game_memory, size, &grid_error);
    if (r < 0) {
        world_release();
        return r;
    }
    world_ready = 1;
    return r;
}

GLUE_EXPORT int world_reset(int seed, double slip, double shift, double epsilon, int max_steps) {
    return world_reset_staged(seed, slip, shift, epsilon, max_steps, 0, 0);
}

GLUE_EXPORT int world_initial_winning(void) { return world_ready && game.initial_winning; }
GLUE_EXPORT int world_winning_count(void) { return world_ready ? (int)game.winning_count : 0; }
GLUE_EXPORT int world_game_states(void) { return world_ready ? (int)game.game_state_count : 0; }
GLUE_EXPORT int world_probabilistic(void) { return world_ready && game.allowed_probably != NULL; }
GLUE_EXPORT double world_start_safety(void) { return world_ready && game.safety ? game.safety[game.initial] : 1.0; }
/* The preemptive shield's mask at (cell, q) on the shielded agent's current map. */
GLUE_EXPORT int world_allowed(int cell, int q) { return world_ready ? (int)shield_mask((uint32_t)cell, (uint32_t)q) : 0; }
/* The attractor level of (cell, q) on the shielded agent's map: 0 winning; r >= 1, the
   environment can force a violation within r - 1 steps. */
GLUE_EXPORT int world_losing_rank(int cell, int q) {
    return world_ready ? (int)game.losing_rank[saferl_shield_game_state(&game, (uint32_t)cell, (uint32_t)q)] : 0;
}
GLUE_EXPORT int world_initial_rank(void) { return world_ready ? (int)game.losing_rank[game.initial] : 0; }
GLUE_EXPORT int world_rule_initial(int cell) {
    return world_ready ? (int)saferl_shield_next(&rule, rule.initial, agents[1].grid.label[cell]) : 0;
}
GLUE_EXPORT const char *world_explain(void) {
    size_t length = 0;
    free(text_out);
    text_out = NULL;
    if (!world_ready || saferl_shield_game_explain(&game, NULL, 0, &length) != SAFERL_ERR_BUFFER_TOO_SMALL ||
        !(text_out = (char *)malloc(length + 1)))
        return "";
    saferl_shield_game_explain(&game, text_out, length + 1, &length);
    return text_out;
}

GLUE_EXPORT int agent_cell(int k) { return (int)agents[k].cell; }
GLUE_EXPORT int agent_stage(int k) { return (int)agents[k].stage; }
GLUE_EXPORT int agent_state(int k) { return (int)agents[k].q; }
GLUE_EXPORT int agent_in_episode(int k) { return (int)agents[k].in_episode; }
GLUE_EXPORT int agent_mask(int k) { return (int)agents[k].mask; }
GLUE_EXPORT int agent_episodes(int k) { return (int)agents[k].episodes; }
GLUE_EXPORT int agent_violations(int k) { return (int)agents[k].violations; }
GLUE_EXPORT int agent_goals(int k) { return (int)agents[k].goals; }
GLUE_EXPORT int agent_transfer_result(int k) { return agents[k].transfer_result; }
GLUE_EXPORT int agent_steps(int k) { return (int)agents[k].steps; }
GLUE_EXPORT int agent_restricted(int k) { return (int)agents[k].restricted; }
GLUE_EXPORT const double *agent_returns(int k) { return agents[k].returns; }
GLUE_EXPORT const uint8_t *agent_violated(int k) { return agents[k].violated; }
GLUE_EXPORT const uint32_t *agent_visits(int k) { return agents[k].visits; }
GLUE_EXPORT int agent_kind(int k, int cell) { return agents[k].grid.kind[cell]; }
/* The current episode's cells, or the last episode's between episodes. */
GLUE_EXPORT const uint32_t *agent_trail(int k) {
    return agents[k].in_episode ? agents[k].trail : agents[k].last_trail;
}
GLUE_EXPORT int agent_trail_length(int k) {
    return (int)(agents[k].in_episode ? agents[k].trail_length : agents[k].last_trail_length);
}
