// SPDX-License-Identifier: MIT OR Unlicense
/* safeguard_gridworld - the Progressive Safeguards experiment on a Minecraft-inspired
   gridworld, with saferl_shield.h: Q-learning over (cell, safeguard state) with no
   safeguard, with the final safeguard's reward, with a shield, and with the progressive
   curriculum (four safeguards, counterfactual updates, values carried between stages).
   Prints violations of the final safeguard counted through all training and the final return.

   usage: safeguard_gridworld [options]
     --setup S         ours (default), official (grockious/safeguardedRL's set-up), both,
                       heldout (our set-up on held-out seeds 11-30, on our map and on the
                       moved-items map; --seeds N: seeds 11..10+N) or heldout2 (the same on
                       seeds 31-50, for the replay transfer)
     --map FILE        ASCII map (.txt) or image (.png, one pixel a cell; the legend's colours)
     --seeds N         seeds 1..N (5; heldout 20)        --episodes N   training episodes per run (2000;
                                                            official set-up 5000)
     --slip P          slip probability (0.05)               --png FILE  map + visit counts
     --legend          print the legend and exit
     --game FILE --rule RULE [--horizon H --threshold T]
                       solve the safety game of RULE (safety LTL) against the abstraction
                       text in FILE: the winning region and the shield's masks; exit 2 when
                       unrealisable
   Errors: "file:line:column: message", exit 1; usage errors exit 2. */
#include "cli.h" /* first: it asks for POSIX */
#define SAFERL_SHIELD_IMPLEMENTATION
#include "saferl_shield.h"

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#endif
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    char *data;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = (char *)malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) {
        size_t bom = cli_bom_length(data, (size_t)n);
        memmove(data, data + bom, (size_t)n - bom);
        data[n - (long)bom] = '\0';
        *length = (size_t)n - bom;
    }
    return data;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Two benchmarks, their settings fixed before the first run and not changed after it.

   OURS: the 12x10 walled map of saferl_shield_minecraft_map (a diamond behind lava: reward 1
   on reaching it, which ends the episode), items moved one by one (place_items, 0.05 each
   way), safeguard reward 0 per safe step and -1 on a violation (which ends the episode),
   alpha 0.5, gamma 0.95, epsilon 0.1, 100-step episodes, 2000 episodes (500 per stage).

   OFFICIAL: grockious/safeguardedRL's minecraft.py, point by point:
   1. the 10x10 open grid of layout 1, start (row 5, column 2), no task reward (the diamond
      is only a label);                                        2. all labels shifted together
   by +1 or -1 with probability 0.05 each at reset;           3. +0.1 per step that stays
   safe, -0.1 on a violation, which ends the episode;          4. alpha 0.9, gamma 0.9,
   epsilon 0.1;                                                5. 1000-step episodes;
   6. 5000 episodes, stage int(episode / 1666) (so minecraft_7 gets the last 2 episodes);
   7. plain Q-learning on the product state (no CRM); on an epsilon step the random action
      is executed but the greedy one is credited, greedy ties broken only when exact;
   8. lazy transfer: a product state met for the first time gets the mean of Q(s, i, .) over
      the existing (s, i), i < stage index (the state itself included, at 0, when i = q);
   9. test: 100 episodes of 1000 greedy steps on minecraft_7, success = no violation; an
      unseen product state acts by Q(s, 0, .), or "right" when (s, 0) is unseen too;
   10. violations of the active safeguard counted (and of the final one, as the paper does).
   Departures: (7, 8) "existing" is the official dictionary's key set, kept here as a
   `created` flag per product state, but a donor is averaged only once it has been updated
   (the library's rule): a state created as the last of an episode and never left differs;
   our random numbers are not Python's; zero-shot (not in the script) is minecraft_7 from
   the first episode with no transfer.

   HELDOUT (fixed, like everything here, before its first run, to test which transfer rule
   generalises beyond the seeds 1-10 both were first seen on): our set-up on seeds 11-30,
   on our map and on moved_items_map below (ours with wood, bench, iron, smith table and
   creeper moved; walls, start, lava and diamond kept, so the diamond is still reached only
   across lava, after wood and then a bench), 20 seeds each.
   HELDOUT2 (fixed before its first run, with the replay transfer's row, which no seed had
   seen): the same on seeds 31-50; every row as in HELDOUT.

   Rows, in all: no safeguard (task reward only), the final safeguard's reward and shield
   + reward (the library's learner: CRM over the rule's states, near-ties broken at random),
   the curriculum with that learner (transfer at each stage change from states at least as
   strict, the library's default), two rows added after the first 10-seed run showed that
   curriculum seldom reaching the diamond on our map (transfer only from states with the
   same rule; no transfer), the curriculum with the transfer by replay (the earlier
   stages' steps, the latest REPLAY_CAPACITY, learned by CRM under the new automaton into
   the new states: saferl_shield_qtable_transfer_replay), the curriculum and zero-shot with
   the official learner (7, 8 above). Shield: the
   sure one when the placed map's game is realisable, else P(no violation in 10 steps) >=
   0.9. Test: 100 greedy episodes and 100 with epsilon 0.05 on the final rule; success =
   the goal reached without a violation of the final rule (official: no violation). */
#define STAGES 4
#define HELDOUT_FIRST_SEED 11
#define HELDOUT_SEEDS 20
#define HELDOUT2_FIRST_SEED 31
#define REPLAY_CAPACITY (1u << 20) /* steps (24 MB): all of our set-up's, the latest of the official one's */

static const char moved_items_map[] = "############\n"
                                      "#S......L.D#\n"
                                      "#.....b.L..#\n"
                                      "#.t.....L..#\n"
                                      "#.C.....L..#\n"
                                      "#.......LLL#\n"
                                      "#....w.....#\n"
                                      "#..........#\n"
                                      "#.i........#\n"
                                      "############\n";
#define TEST_EPISODES 100
#define TEST_EPSILON 0.05
#define SHIELD_HORIZON 10
#define SHIELD_THRESHOLD 0.9
#define BENCH_HELD 2 /* minecraft_7's state once wood and then a work bench are held: lava allowed */

typedef struct setup {
    const char *name;
    uint32_t episodes, stage_divisor, max_steps; /* stage = min(episode / (episodes / divisor), 3) */
    double alpha, gamma, epsilon, r_safe, r_violation;
    int official_shift;                           /* labels shifted together (else per item) */
    int task_reward;                              /* the goal ends the episode with reward 1 */
} setup;

static const setup setup_ours = {"our map", 2000, 4, 100, 0.5, 0.95, 0.1, 0.0, -1.0, 0, 1};
static const setup setup_official = {"official set-up", 5000, 3, 1000, 0.9, 0.9, 0.1, 0.1, -0.1, 1, 0};

enum { NO_SAFEGUARD, FINAL_REWARD, SHIELD, CURRICULUM, CURRICULUM_SAME_RULE, CURRICULUM_REPLAY,
       CURRICULUM_NO_TRANSFER, CURRICULUM_OFFICIAL, ZERO_SHOT_OFFICIAL, VARIANTS };
static const char *const variant_name[VARIANTS] = {
    "no safeguard", "final safeguard reward", "shield + reward", "progressive curriculum",
    "curriculum, same-rule transfer", "curriculum, replay transfer", "curriculum, no transfer", "curriculum, official learner",
    "zero-shot, official learner"};

typedef struct world {
    saferl_shield_legend_entry legend[16];
    saferl_shield_grid base[3], grid;  /* official: placements shifted by -1, 0, +1 */
    uint32_t placements;
    saferl_shield_dfa safeguard[STAGES];
    unsigned char safeguard_memory[STAGES][4096];
    saferl_shield_abstraction abstraction;
    uint32_t *offset, *successor;
    double *probability, slip;
    saferl_shield_game game;
    void *game_memory;
    uint32_t cells;
} world;

/* What one run (a variant, a seed) measured. */
typedef struct result {
    double violations_final, violations_active; /* training episodes that violated the rule */
    double train_success;                       /* over the last quarter of training */
    double train_bench_held;                    /* the same episodes that got wood and a bench */
    double test_greedy, test_explore;           /* success in test episodes */
    double value_start;                         /* max_a Q(start, initial state) */
    double into_lava;                           /* curricula: mean Q(s, BENCH_HELD, a) over the
                                                   steps from a cell into lava (the crossings
                                                   that state allows), just after the transfer
                                                   into it */
} result;

typedef struct agent {
    saferl_shield_qtable table;
    void *table_memory;
    uint8_t *created;                  /* official learner: the product states its dictionary holds */
    saferl_shield_replay replay;       /* replay transfer: the real steps so far */
    void *replay_memory;
    saferl_rng rng;
    int variant, official;
} agent;

typedef struct outcome {
    int violated_final, violated_active, success, bench_held;
} outcome;

/* Items placed at reset: one of the official placements, or each item moved on its own. */
static void place(world *w, const setup *set, saferl_rng *rng) {
    if (set->official_shift) {
        double u = saferl_rng_uniform(rng);
        saferl_shield_grid_place_items(&w->grid, &w->base[u < 0.05 ? 2 : u < 0.1 ? 0 : 1], 0.0, NULL);
    } else {
        saferl_shield_grid_place_items(&w->grid, &w->base[0], SAFERL_SHIELD_MINECRAFT_SHIFT, rng);
    }
}

/* The official learner's lazy transfer into (s, q), created now at stage index `stage`. */
static void official_create(agent *ag, uint32_t s, uint32_t q, uint32_t stage) {
    static const uint32_t donors[STAGES] = {0, 1, 2, 3};
    size_t pair = (size_t)s * ag->table.automaton_state_count + q;
    uint32_t n, a;
    if (ag->created[pair]) return;
    ag->created[pair] = 1;
    if (ag->variant == ZERO_SHOT_OFFICIAL) return;
    n = saferl_shield_qtable_transfer_state(&ag->table, s, q, donors, stage);
    if (n && q < stage) /* the script's loop meets the new key itself, still at 0 */
        for (a = 0; a < ag->table.action_count; ++a) ag->table.value[pair * ag->table.action_count + a] *= n / (n + 1.0);
}

/* The greedy action of the official test: Q(s, 0) where (s, q) is unseen, else "right". */
static uint32_t official_test_state(const agent *ag, uint32_t s, uint32_t q) {
    size_t Q = ag->table.automaton_state_count;
    if (ag->created[s * Q + q]) return q;
    return ag->created[s * Q] ? 0 : SAFERL_SHIELD_NO_STATE;
}

/* One episode at `stage`; learning when `learn`, acting epsilon-greedily. */
static outcome episode(world *w, const setup *set, agent *ag, uint32_t stage, int learn, double epsilon,
                       uint32_t *visits) {
    const saferl_shield_dfa *rule = &w->safeguard[stage], *final_rule = &w->safeguard[STAGES - 1];
    int safeguarded = ag->variant != NO_SAFEGUARD, shielded = ag->variant == SHIELD;
    uint32_t active = saferl_shield_minecraft_states(stage), s, q, q_final, t;
    outcome out = {0, 0, 0, 0};
    int reached = 0;
    place(w, set, &ag->rng);
    if (shielded) saferl_shield_game_solve(&w->game, &w->abstraction, final_rule, NULL); /* either shield */
    s = w->grid.start;
    q = safeguarded ? saferl_shield_next(rule, rule->initial, w->grid.label[s]) : 0;
    q_final = saferl_shield_next(final_rule, final_rule->initial, w->grid.label[s]);
    for (t = 0; t < set->max_steps; ++t) {
        uint32_t mask = !shielded ? 0 : (w->game.initial_winning ? w->game.allowed : w->game.allowed_probably)
                                             [(size_t)s * w->game.automaton_state_count + q_final];
        uint32_t a, credited, s2, q2, seen_q = q;
        int goal;
        double r;
        if (ag->official && !learn) seen_q = official_test_state(ag, s, q);
        if (ag->official) { /* greedy by exact ties; the random action of an epsilon step is not credited */
            credited = seen_q == SAFERL_SHIELD_NO_STATE ? SAFERL_SHIELD_RIGHT
                                                         : saferl_shield_qtable_act(&ag->table, s, seen_q, 0, 0.0, &ag->rng);
            a = saferl_rng_uniform(&ag->rng) < epsilon ? saferl_rng_bounded(&ag->rng, SAFERL_SHIELD_GRID_ACTIONS)
                                                       : credited;
        } else {
            a = credited = saferl_shield_qtable_act(&ag->table, s, q, mask, epsilon, &ag->rng);
        }
        s2 = saferl_shield_grid_step(&w->grid, s, a, w->slip, &ag->rng);
        if (visits) ++visits[s2];
        goal = set->task_reward && (w->grid.legend[w->grid.kind[s2]].flags & SAFERL_SHIELD_CELL_GOAL) != 0;
        r = goal ? 1.0 : 0.0;
        reached |= goal;
        q_final = saferl_shield_next(final_rule, q_final, w->grid.label[s2]);
        if (q_final == final_rule->sink) out.violated_final = 1;
        if (q_final == BENCH_HELD) out.bench_held = 1;
        q2 = safeguarded ? saferl_shield_next(rule, q, w->grid.label[s2]) : 0;
        if (safeguarded && q2 == rule->sink) out.violated_active = 1;
        if (learn && !safeguarded) {
            saferl_shield_qtable_update(&ag->table, s, 0, a, r, s2, 0, goal);
        } else if (learn && ag->official) {
            official_create(ag, s2, q2, stage);
            r += q2 == rule->sink ? set->r_violation : set->r_safe;
            saferl_shield_qtable_update(&ag->table, s, q, credited, r, s2, q2, 0);
        } else if (learn) {
            saferl_shield_qtable_update_crm(&ag->table, rule, active, s, a, s2, w->grid.label[s2], r, goal);
            if (ag->replay_memory) saferl_shield_replay_push(&ag->replay, s, a, s2, w->grid.label[s2], r, goal);
        }
        s = s2;
        q = q2;
        if (goal || out.violated_active || (!learn && out.violated_final)) break;
    }
    out.success = !out.violated_final && (reached || !set->task_reward);
    return out;
}

/* The mean value in automaton state BENCH_HELD of the moves that step into lava from cells
   the earlier stages visited (what a transfer can copy; lava is proposition 0, label bit 0,
   on the Minecraft legend); 0 when there are none. */
static double value_into_lava(const world *w, const saferl_shield_qtable *table) {
    const saferl_shield_grid *g = &w->base[0];
    uint32_t s, a, n = 0;
    double sum = 0;
    for (s = 0; s < w->cells; ++s)
        for (a = 0; a < SAFERL_SHIELD_STAY && !(g->label[s] & 1u) && table->seen[(size_t)s * table->automaton_state_count];
             ++a)
            if (g->label[saferl_shield_grid_move(g, s, a)] & 1u) {
                sum += table->value[((size_t)s * table->automaton_state_count + BENCH_HELD) * table->action_count + a];
                ++n;
            }
    return n ? sum / n : 0.0;
}

/* The stage of a training episode: the curricula step through the four safeguards. */
static uint32_t stage_of(const setup *set, int variant, uint32_t episode) {
    uint32_t length = set->episodes / set->stage_divisor, stage;
    if (variant == NO_SAFEGUARD || variant == FINAL_REWARD || variant == SHIELD || variant == ZERO_SHOT_OFFICIAL)
        return STAGES - 1;
    stage = length ? episode / length : STAGES - 1;
    return stage < STAGES - 1 ? stage : STAGES - 1;
}

/* One training run of a variant with one seed, then its tests; visits (optional) counts
   the cells entered in training. */
static result train(world *w, const setup *set, int variant, uint32_t seed, uint32_t *visits) {
    agent ag;
    result out;
    uint32_t e, stage = 0, last_quarter = set->episodes - set->episodes / 4;
    size_t size = saferl_shield_qtable_memory_size(w->cells, 6, SAFERL_SHIELD_GRID_ACTIONS);
    memset(&out, 0, sizeof out);
    ag.variant = variant;
    ag.official = variant == CURRICULUM_OFFICIAL || variant == ZERO_SHOT_OFFICIAL;
    ag.table_memory = malloc(size);
    ag.created = (uint8_t *)calloc((size_t)w->cells * 6, 1);
    ag.replay_memory = variant == CURRICULUM_REPLAY ? malloc(saferl_shield_replay_memory_size(REPLAY_CAPACITY)) : NULL;
    if (!ag.table_memory || !ag.created || (variant == CURRICULUM_REPLAY && !ag.replay_memory) ||
        saferl_shield_qtable_init(&ag.table, w->cells, 6, SAFERL_SHIELD_GRID_ACTIONS, ag.table_memory, size) < 0 ||
        (ag.replay_memory && saferl_shield_replay_init(&ag.replay, REPLAY_CAPACITY, ag.replay_memory,
                                                       saferl_shield_replay_memory_size(REPLAY_CAPACITY)) < 0)) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    ag.table.alpha = set->alpha;
    ag.table.gamma = set->gamma;
    ag.table.epsilon = set->epsilon;
    ag.table.r_safe = set->r_safe;
    ag.table.r_violation = set->r_violation;
    if (ag.official) ag.table.tie_tolerance = 0.0; /* numpy's Qs == max(Qs) */
    if (variant == CURRICULUM_SAME_RULE) ag.table.transfer_donors = SAFERL_SHIELD_DONORS_SAME_RULE;
    ag.created[(size_t)w->base[0].start * 6] = 1;  /* the script creates the start state first */
    saferl_rng_seed(&ag.rng, seed);
    for (e = 0; e < set->episodes; ++e) {
        uint32_t next_stage = stage_of(set, variant, e);
        outcome o;
        if ((variant == CURRICULUM || variant == CURRICULUM_SAME_RULE || variant == CURRICULUM_REPLAY) && e > 0 &&
            next_stage != stage) {
            if (variant != CURRICULUM_REPLAY)
                saferl_shield_qtable_transfer(&ag.table, &w->safeguard[next_stage], saferl_shield_minecraft_states(stage),
                                              saferl_shield_minecraft_states(next_stage));
            else if (saferl_shield_qtable_transfer_replay(&ag.table, &w->safeguard[next_stage],
                                                          saferl_shield_minecraft_states(stage),
                                                          saferl_shield_minecraft_states(next_stage), &ag.replay) < 0) {
                fprintf(stderr, "transfer by replay refused\n");
                exit(1);
            }
            if (saferl_shield_minecraft_states(stage) <= BENCH_HELD && saferl_shield_minecraft_states(next_stage) > BENCH_HELD)
                out.into_lava = value_into_lava(w, &ag.table);
        }
        stage = next_stage;
        o = episode(w, set, &ag, stage, 1, ag.table.epsilon, visits);
        out.violations_final += o.violated_final;
        out.violations_active += o.violated_active;
        if (e >= last_quarter) {
            out.train_success += o.success;
            out.train_bench_held += o.bench_held;
        }
    }
    out.train_success /= set->episodes - last_quarter;
    out.train_bench_held /= set->episodes - last_quarter;
    for (e = 0; e < 2 * TEST_EPISODES; ++e)
        if (episode(w, set, &ag, STAGES - 1, 0, e < TEST_EPISODES ? 0.0 : TEST_EPSILON, NULL).success) {
            if (e < TEST_EPISODES) out.test_greedy += 1.0 / TEST_EPISODES;
            else out.test_explore += 1.0 / TEST_EPISODES;
        }
    {
        const double *v = ag.table.value + (size_t)w->base[0].start * 6 * SAFERL_SHIELD_GRID_ACTIONS;
        uint32_t a;
        out.value_start = v[0];
        for (a = 1; a < SAFERL_SHIELD_GRID_ACTIONS; ++a) out.value_start = v[a] > out.value_start ? v[a] : out.value_start;
    }
    free(ag.table_memory);
    free(ag.created);
    free(ag.replay_memory);
    return out;
}
/* The map: the file at path, else the text (NULL: the library's map). */
static int load_map(const char *path, const char *text_map, saferl_shield_grid *grid) {
    uint32_t legend_count;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    saferl_shield_error error;
    saferl_result r;
    if (!path) {
        const char *map = text_map ? text_map : saferl_shield_minecraft_map();
        r = saferl_shield_grid_read_text(map, strlen(map), legend, legend_count, grid, NULL, &error);
    } else if (ends_with(path, ".png")) {
        int width, height, channels;
        unsigned char *pixels = stbi_load(path, &width, &height, &channels, 4);
        if (!pixels) {
            fprintf(stderr, "%s: cannot read the image (%s)\n", path, stbi_failure_reason());
            return -1;
        }
        r = saferl_shield_grid_read_rgba(pixels, (uint32_t)width, (uint32_t)height, legend, legend_count, grid, NULL, &error);
        stbi_image_free(pixels);
    } else {
        size_t length;
        char *text = read_file(path, &length);
        if (!text) {
            fprintf(stderr, "%s: cannot read the file\n", path);
            return -1;
        }
        r = saferl_shield_grid_read_text(text, length, legend, legend_count, grid, NULL, &error);
        free(text);
    }
    if (r < 0) {
        fprintf(stderr, "%s:%u:%u: %s\n", path ? path : text_map ? "moved-items map" : "built-in map", error.line,
                error.column, error.message);
        return -1;
    }
    return 0;
}

/* The map with the visit counts of one run: cells at 32 pixels with their coordinates, a
   dark square per cell whose side grows with the square root of its visits, and beside it
   the legend (each kind of cell on this map) and the scale of the squares in visits.
   0, or 1 after a message naming the path (the old file untouched). */
static int write_png(const char *path, const saferl_shield_grid *grid, const uint32_t *visits, const char *title) {
    const int cell = 32, left = 34, top = 40, inner = cell - 8;
    int map_w = (int)grid->width * cell, map_h = (int)grid->height * cell, panel = left + map_w + 24;
    int height, y, k, ok, kinds = 0;
    uint32_t most = 1, i, x, present[256] = {0};
    plot_canvas c;
    plot_color ink = plot_rgb(30, 30, 30), mark = plot_rgb(20, 20, 90);
    char text[96];
    for (i = 0; i < grid->width * grid->height; ++i) {
        if (visits[i] > most) most = visits[i];
        present[grid->kind[i]] = 1;
    }
    for (i = 0; i < grid->legend_count; ++i) kinds += (int)present[i];
    height = top + 22 + 22 * kinds + 34 + 4 * (cell + 4) + 10; /* the legend panel */
    if (height < top + map_h + 40) height = top + map_h + 40;
    if (!plot_canvas_init(&c, panel + 320, height, plot_rgb(255, 255, 255))) {
        fprintf(stderr, "%s: out of memory\n", path);
        return 1;
    }
    plot_text(&c, left, 10, title, 2.0, ink);
    for (i = 0; i < grid->width * grid->height; ++i) {
        double x0 = left + (double)(i % grid->width) * cell, y0 = top + (double)(i / grid->width) * cell;
        double side = inner * sqrt((double)visits[i] / most), pad = 0.5 * (cell - side);
        const uint8_t *rgba = grid->legend[grid->kind[i]].rgba;
        plot_fill_rect(&c, x0, y0, x0 + cell, y0 + cell, plot_rgb(rgba[0], rgba[1], rgba[2]));
        if (visits[i]) plot_fill_rect(&c, x0 + pad, y0 + pad, x0 + pad + side, y0 + pad + side, mark);
    }
    for (x = 0; x <= grid->width; ++x) plot_line(&c, left + x * cell, top, left + x * cell, top + map_h, 1.0, plot_rgb(190, 190, 190));
    for (x = 0; x <= grid->height; ++x) plot_line(&c, left, top + x * cell, left + map_w, top + x * cell, 1.0, plot_rgb(190, 190, 190));
    for (x = 0; x < grid->width; ++x) { /* the scale: cell coordinates along both edges */
        snprintf(text, sizeof text, "%u", x);
        plot_text_aligned(&c, left + (x + 0.5) * cell, top + map_h + 4, text, 1.5, 1, 0, ink);
    }
    for (x = 0; x < grid->height; ++x) {
        snprintf(text, sizeof text, "%u", x);
        plot_text_aligned(&c, left - 6, top + (x + 0.5) * cell, text, 1.5, 2, 1, ink);
    }
    plot_text(&c, left, top + map_h + 20, "x right, y down; a cell = a move", 1.5, ink);
    plot_text(&c, panel, top, "cells", 2.0, ink);
    for (k = 0, y = top + 22, i = 0; i < grid->legend_count; ++i) {
        const saferl_shield_legend_entry *e = &grid->legend[i];
        if (!present[i]) continue;
        plot_fill_rect(&c, panel, y, panel + 16, y + 16, plot_rgb(e->rgba[0], e->rgba[1], e->rgba[2]));
        plot_line(&c, panel, y, panel + 16, y, 1.0, plot_rgb(150, 150, 150));
        plot_line(&c, panel, y + 16, panel + 16, y + 16, 1.0, plot_rgb(150, 150, 150));
        plot_line(&c, panel, y, panel, y + 16, 1.0, plot_rgb(150, 150, 150));
        plot_line(&c, panel + 16, y, panel + 16, y + 16, 1.0, plot_rgb(150, 150, 150));
        snprintf(text, sizeof text, "%s%s", e->name,
                 e->flags & SAFERL_SHIELD_CELL_GOAL ? " (goal)" : e->flags & SAFERL_SHIELD_CELL_ITEM ? " (item)" : "");
        plot_text(&c, panel + 24, y + 3, text, 1.5, ink);
        y += 22;
        ++k;
    }
    y += 12;
    plot_text(&c, panel, y, "visits per cell", 2.0, ink);
    y += 22;
    for (k = 0; k < 4; ++k) { /* most, most/4, most/16, most/64 */
        uint32_t count = most >> (2 * k);
        double side = inner * sqrt((double)count / most), pad = 0.5 * (cell - side);
        if (!count) break;
        plot_fill_rect(&c, panel, y, panel + cell, y + cell, plot_rgb(235, 235, 235));
        plot_fill_rect(&c, panel + pad, y + pad, panel + pad + side, y + pad + side, mark);
        snprintf(text, sizeof text, k ? "%u" : "%u (most; side ~ sqrt)", count);
        plot_text(&c, panel + cell + 8, y + cell / 2 - 5, text, 1.5, ink);
        y += cell + 4;
    }
    ok = plot_write_png(&c, path);
    plot_canvas_free(&c);
    return !ok;
}

static int solve_game_file(const char *path, const char *rule_text, uint32_t horizon, double threshold) {
    int realisable;
    size_t length, text_length;
    char *text = read_file(path, &length), *explain;
    saferl_shield_abstraction ab;
    saferl_shield_error error;
    saferl_shield_desc desc;
    saferl_shield_dfa dfa;
    saferl_shield_game game;
    saferl_shield_game_desc game_desc;
    const char *names[SAFERL_SHIELD_LABEL_BITS];
    uint32_t s, q, j;
    saferl_result r;
    if (!text) {
        fprintf(stderr, "%s: cannot read the file\n", path);
        return 1;
    }
    memset(&desc, 0, sizeof desc);
    r = saferl_shield_read_abstraction(text, length, &desc, &ab, &error);
    free(text);
    if (r < 0) {
        fprintf(stderr, "%s:%u:%u: %s\n", path, error.line, error.column, error.message);
        return 1;
    }
    for (j = 0; j < ab.prop_count; ++j) names[j] = ab.prop_name[j];
    desc.vocabulary = names;
    desc.vocabulary_count = ab.prop_count;
    if (saferl_shield_compile(rule_text, strlen(rule_text), &desc, &dfa, &error) < 0) {
        fprintf(stderr, "rule:%u:%u: %s\n", error.line, error.column, error.message);
        saferl_shield_abstraction_destroy(&ab);
        return 1;
    }
    memset(&game_desc, 0, sizeof game_desc);
    game_desc.horizon = ab.probability ? horizon : 0;
    game_desc.threshold = threshold;
    r = saferl_shield_game_create(&game, &ab, &dfa, &game_desc, NULL, &error);
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", path, error.message);
        saferl_shield_dfa_destroy(&dfa);
        saferl_shield_abstraction_destroy(&ab);
        return 1;
    }
    printf("automaton %u states, sink %d\n", dfa.state_count, dfa.sink == SAFERL_SHIELD_NO_STATE ? -1 : (int)dfa.sink);
    for (s = 0; s < ab.state_count; ++s)
        for (q = 0; q < dfa.state_count; ++q) {
            uint32_t g = saferl_shield_game_state(&game, s, q);
            printf("state %u %u rank %u allowed %u", s, q, game.losing_rank[g], game.allowed[g]);
            if (game.allowed_probably) printf(" safety %.17g probably %u", game.safety[g], game.allowed_probably[g]);
            printf("\n");
        }
    saferl_shield_game_explain(&game, NULL, 0, &text_length);
    explain = (char *)malloc(text_length + 1);
    saferl_shield_game_explain(&game, explain, text_length + 1, &text_length);
    fputs(explain, stdout);
    free(explain);
    realisable = saferl_shield_game_realisable(&game, NULL);
    saferl_shield_game_destroy(&game);
    saferl_shield_dfa_destroy(&dfa);
    saferl_shield_abstraction_destroy(&ab);
    return realisable ? 0 : 2;
}

/* minecraft.py's layout 1 with every label shifted by `shift` (-1, 0, +1), assigned in the
   script's order (a later label overwrites an earlier one); row = the script's first index. */
static void official_layout(char text[10][11], int shift) {
    int r, c;
    for (r = 0; r < 10; ++r) {
        for (c = 0; c < 10; ++c) text[r][c] = '.';
        text[r][10] = '\n';
    }
    for (r = 0; r < 3; ++r) text[r][5] = 'L';
    text[2][8] = text[2][9] = 'L';
    text[0][0] = text[4 + shift][5] = 'C';
    text[2][2 + shift] = text[7][3 + shift] = text[5 + shift][7] = 'w';
    text[0][3 + shift] = text[4 + shift][0] = text[9][4 + shift] = 'i';
    text[6 + shift][1] = text[6][5 + shift] = text[4 + shift][9] = 'b';
    text[2 + shift][4] = text[9][0] = text[7][7 + shift] = 't';
    text[0][7] = 'D';
    text[5][2] = 'S';
}

/* The world of a set-up: its map(s), the four safeguards, the slippery abstraction and the
   shield's game against the final safeguard. Prints what the shield can promise. */
static int build_world(world *w, const setup *set, const char *map_path, const char *map_text, double slip,
                       uint32_t horizon, double threshold) {
    saferl_shield_game_desc game_desc;
    saferl_shield_error error;
    saferl_result r;
    uint32_t k, count;
    size_t size;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&count);
    memset(w, 0, sizeof *w);
    memcpy(w->legend, legend, count * sizeof *legend);
    if (set->official_shift) {
        for (k = 0; k < count; ++k) /* the diamond is a label only; labels move as one layout */
            w->legend[k].flags &= ~(uint32_t)(SAFERL_SHIELD_CELL_GOAL | SAFERL_SHIELD_CELL_ITEM);
        for (k = 0; k < 3; ++k) {
            char text[10][11];
            official_layout(text, (int)k - 1);
            if (saferl_shield_grid_read_text(&text[0][0], sizeof text, w->legend, count, &w->base[k], NULL, &error) < 0) {
                fprintf(stderr, "official layout: %s\n", error.message);
                return -1;
            }
            w->placements = k + 1;
        }
    } else {
        if (load_map(map_path, map_text, &w->base[0]) < 0) return -1;
        w->placements = 1;
    }
    w->cells = w->base[0].width * w->base[0].height;
    w->slip = slip;
    size = saferl_shield_grid_memory_size(w->base[0].width, w->base[0].height);
    if (saferl_shield_grid_init(&w->grid, w->base[0].width, w->base[0].height, w->base[0].legend,
                                w->base[0].legend_count, malloc(size), size) == SAFERL_OK)
        saferl_shield_grid_place_items(&w->grid, &w->base[set->official_shift ? 1 : 0], 0.0, NULL);
    for (k = 0; k < STAGES; ++k)
        saferl_shield_minecraft_safeguard(k, &w->safeguard[k], w->safeguard_memory[k], sizeof w->safeguard_memory[k]);
    w->offset = (uint32_t *)malloc((w->cells * 5 + 1) * sizeof(uint32_t));
    w->successor = (uint32_t *)malloc((size_t)w->cells * 25 * sizeof(uint32_t));
    w->probability = (double *)malloc((size_t)w->cells * 25 * sizeof(double));
    if (!w->grid.label || !w->offset || !w->successor || !w->probability) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    saferl_shield_grid_abstraction(&w->grid, slip, &w->abstraction, w->offset, w->successor, w->probability);
    memset(&game_desc, 0, sizeof game_desc);
    game_desc.horizon = horizon;
    game_desc.threshold = threshold;
    size = saferl_shield_game_memory_size(&w->abstraction, &w->safeguard[STAGES - 1], &game_desc);
    w->game_memory = malloc(size);
    r = w->game_memory ? saferl_shield_game_init(&w->game, &w->abstraction, &w->safeguard[STAGES - 1], &game_desc, w->game_memory,
                                      size, &error)
            : SAFERL_ERR_OUT_OF_MEMORY;
    if (r < 0) {
        fprintf(stderr, "the shield's game: %s\n", r == SAFERL_ERR_OUT_OF_MEMORY ? "out of memory" : error.message);
        return -1;
    }
    printf("%s%s: map %ux%u, slip %g, %s; final safeguard (minecraft_7) against the slippery abstraction:\n",
           set->name, map_text ? " with the items moved" : "",
           w->base[0].width, w->base[0].height, slip,
           set->official_shift ? "all labels shifted together by +-1 (0.05 each)" : "items moved one by one (0.05 each way)");
    printf("  sure shield: %s (%u of %u game states win)\n",
           w->game.initial_winning ? "realisable" : "unrealisable, the start is losing", w->game.winning_count,
           w->game.game_state_count);
    printf("  shield used: allow a when P(no violation in %u steps) >= %g (start %.4f)%s\n", horizon, threshold,
           w->game.safety[w->game.initial], w->game.initial_winning ? "; realisable: the sure shield is used" : "");
    return 0;
}

static void free_world(world *w) {
    uint32_t k;
    free(w->game_memory);
    free(w->offset);
    free(w->successor);
    free(w->probability);
    free(w->grid.label); /* the grid's memory block starts with its labels */
    for (k = 0; k < w->placements; ++k) saferl_shield_grid_destroy(&w->base[k]);
}

/* Every variant over seeds first..first+seeds-1: the table of means (+- sample standard
   deviations); visits gets the curriculum's first seed. */
static void report(world *w, const setup *set, uint32_t first, uint32_t seeds, uint32_t *visits) {
    double into_lava_mean[3] = {0, 0, 0};
    int variant;
    printf("%u seeds (%u..%u) x %u training episodes (stage length %u for the curricula), %u steps at most;\n"
           "alpha %g, gamma %g, epsilon %g, reward %+g per safe step, %+g per violation%s\n",
           seeds, first, first + seeds - 1, set->episodes, set->episodes / set->stage_divisor, set->max_steps, set->alpha, set->gamma,
           set->epsilon, set->r_safe, set->r_violation, set->task_reward ? ", 1 at the goal" : ", no task reward");
    printf("%-30s %20s %16s %8s %8s %8s %8s %8s %6s\n", "", "violations, training", "", "bench", "success", "test",
           "test", "value", "seeds");
    printf("%-30s %16s %16s %8s %8s %8s %8s %8s %6s\n", "variant", "final rule", "active rule", "held", "train",
           "greedy", "eps 0.05", "at start", "> 0");
    for (variant = 0; variant < VARIANTS; ++variant) {
        double sum[3] = {0, 0, 0}, square[3] = {0, 0, 0}, train_success = 0, bench = 0, greedy = 0, explore = 0;
        double value = 0, into_lava = 0;
        uint32_t seed, succeeding = 0, m;
        for (seed = first; seed < first + seeds; ++seed) {
            result r = train(w, set, variant, seed, variant == CURRICULUM && seed == first ? visits : NULL);
            double x[3];
            x[0] = r.violations_final;
            x[1] = r.violations_active;
            x[2] = 0;
            for (m = 0; m < 2; ++m) {
                sum[m] += x[m];
                square[m] += x[m] * x[m];
            }
            train_success += r.train_success;
            bench += r.train_bench_held;
            greedy += r.test_greedy;
            explore += r.test_explore;
            value += r.value_start;
            into_lava += r.into_lava;
            succeeding += r.test_greedy > 0;
        }
        printf("%-30s", variant_name[variant]);
        for (m = 0; m < 2; ++m) {
            double mean = sum[m] / seeds, sd = seeds > 1 ? sqrt(fmax(0.0, (square[m] - seeds * mean * mean) / (seeds - 1))) : 0;
            if (m == 1 && variant == NO_SAFEGUARD) printf(" %16s", "-");
            else printf(" %8.1f +- %6.1f", mean, sd);
        }
        printf(" %8.3f %8.3f %8.3f %8.3f %8.3f %3u/%-2u\n", bench / seeds, train_success / seeds, greedy / seeds,
               explore / seeds, value / seeds, succeeding, seeds);
        if (variant >= CURRICULUM && variant <= CURRICULUM_REPLAY) into_lava_mean[variant - CURRICULUM] = into_lava / seeds;
    }
    printf("Q(s, state %u, a) of the steps into lava from visited cells just after the transfer into\n"
           " state %u (mean over the moves and seeds): curriculum %.3f, same-rule transfer %.3f, replay transfer %.3f\n",
           BENCH_HELD, BENCH_HELD, into_lava_mean[0], into_lava_mean[1], into_lava_mean[2]);
    printf("(violations: training episodes that violated the rule; bench held: the last quarter's training\n"
           " episodes that got wood and then a bench (minecraft_7's state %u, where lava is allowed); success: %s\n"
           " without a violation of the final rule, in the last quarter of training and in %u test episodes;\n"
           " seeds > 0: seeds with a greedy test success)\n\n",
           BENCH_HELD,
           set->task_reward ? "the goal reached" : "all steps", TEST_EPISODES);
}

#define USAGE "[--setup ours|official|both|heldout|heldout2] [--map FILE] [--seeds N] [--episodes N] [--slip P] [--horizon H]" \
              " [--threshold T] [--png FILE] | --legend | --game FILE --rule RULE [--horizon H] [--threshold T]"

static int print_legend(void) {
    uint32_t count, k;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&count);
    for (k = 0; k < count; ++k)
        printf("%c  #%02x%02x%02x  %-12s label 0x%02x%s%s%s%s\n", legend[k].symbol, legend[k].rgba[0],
               legend[k].rgba[1], legend[k].rgba[2], legend[k].name, legend[k].label,
               legend[k].flags & SAFERL_SHIELD_CELL_WALL ? " wall" : "",
               legend[k].flags & SAFERL_SHIELD_CELL_START ? " start" : "",
               legend[k].flags & SAFERL_SHIELD_CELL_GOAL ? " goal" : "",
               legend[k].flags & SAFERL_SHIELD_CELL_ITEM ? " item" : "");
    return 0;
}

/* Each set-up asked for: its world, its table, its PNG (the first set-up's). heldout runs
   our set-up twice, on our map and on the moved-items map, from seed 11 (heldout2: 31). */
static int run_setups(const char *which, const char *map_path, const char *png_path, uint32_t seeds, uint32_t episodes,
                      double slip, uint32_t horizon, double threshold) {
    static world w;
    setup sets[2];
    const char *map_text[2] = {NULL, NULL};
    uint32_t k, n = 0, first = 1;
    int failed = 0;
    if (!strncmp(which, "heldout", 7)) {
        sets[n++] = setup_ours;
        sets[n] = setup_ours;
        map_text[n++] = moved_items_map;
        first = strcmp(which, "heldout2") ? HELDOUT_FIRST_SEED : HELDOUT2_FIRST_SEED;
    } else {
        if (strcmp(which, "official")) sets[n++] = setup_ours;
        if (strcmp(which, "ours")) sets[n++] = setup_official;
    }
    for (k = 0; k < n && !failed; ++k) {
        uint32_t *visits;
        if (episodes) sets[k].episodes = episodes;
        if (build_world(&w, &sets[k], map_path, map_text[k], slip, horizon, threshold) < 0 ||
            !(visits = (uint32_t *)calloc(w.cells, sizeof(uint32_t)))) {
            free_world(&w);
            return 1;
        }
        report(&w, &sets[k], first, seeds, visits);
        if (png_path && k == 0) {
            char title[96];
            snprintf(title, sizeof title, "%s: cells entered in training, curriculum, seed %u", sets[k].name, first);
            failed = write_png(png_path, &w.base[sets[k].official_shift ? 1 : 0], visits, title);
            if (!failed) printf("map with the curriculum's visit counts (seed 1): %s\n", png_path);
        }
        free(visits);
        free_world(&w);
    }
    return failed;
}

static int run(int argc, char **argv) {
    const char *map_path = NULL, *png_path = NULL, *game_path = NULL, *rule = NULL, *which = "ours";
    uint32_t seeds = 0, episodes = 0, horizon = SHIELD_HORIZON;
    double slip = SAFERL_SHIELD_MINECRAFT_SLIP, threshold = SHIELD_THRESHOLD;
    int i, legend = 0, heldout;
    cli c;
    cli_init(&c, argc, argv, USAGE);
    for (i = 1; i < argc; ++i) {
        const char *flag = argv[i], *v = NULL;
        int bad = 0;
        if (cli_is(&c, &i, "--legend", NULL)) legend = 1;
        else if (cli_is(&c, &i, "--setup", &v)) bad = !v || !(which = v);
        else if (cli_is(&c, &i, "--map", &v)) bad = !v || !(map_path = v);
        else if (cli_is(&c, &i, "--png", &v)) bad = !v || !(png_path = v);
        else if (cli_is(&c, &i, "--game", &v)) bad = !v || !(game_path = v);
        else if (cli_is(&c, &i, "--rule", &v)) bad = !v || !(rule = v);
        else if (cli_is(&c, &i, "--seeds", &v)) bad = !v || cli_count32(&c, flag, v, 1, 100000, &seeds);
        else if (cli_is(&c, &i, "--episodes", &v)) bad = !v || cli_count32(&c, flag, v, STAGES, 100000000, &episodes);
        else if (cli_is(&c, &i, "--horizon", &v)) bad = !v || cli_count32(&c, flag, v, 1, 100000, &horizon);
        else if (cli_is(&c, &i, "--threshold", &v)) bad = !v || cli_real(&c, flag, v, 0.0, 1.0, 0, &threshold);
        else if (cli_is(&c, &i, "--slip", &v)) bad = !v || cli_real(&c, flag, v, 0.0, 1.0, 0, &slip);
        else return cli_usage_error(&c, "unknown option %s", flag);
        if (bad || c.failed) return 2;
    }
    if (legend) {
        if (argc != 2) return cli_usage_error(&c, "--legend takes no other option");
        return print_legend();
    }
    if (game_path || rule) {
        if (!game_path || !rule) return cli_usage_error(&c, "--game and --rule go together");
        if (map_path || png_path || cli_given(&c, "--seeds") || cli_given(&c, "--episodes") || cli_given(&c, "--slip") ||
            cli_given(&c, "--setup"))
            return cli_usage_error(&c, "--game solves one game: --map, --png, --seeds, --episodes, --slip and --setup "
                                       "do not apply");
        return solve_game_file(game_path, rule, horizon, threshold);
    }
    heldout = !strcmp(which, "heldout") || !strcmp(which, "heldout2");
    if (strcmp(which, "ours") && strcmp(which, "official") && strcmp(which, "both") && !heldout)
        return cli_usage_error(&c, "--setup is ours, official, both, heldout or heldout2, not %s", which);
    if (map_path && !strcmp(which, "official"))
        return cli_usage_error(&c, "--map is our map; the official set-up has its own layout");
    if (map_path && heldout) return cli_usage_error(&c, "--map does not apply to %s: its two maps are fixed", which);
    if (!seeds) seeds = heldout ? HELDOUT_SEEDS : 5;
    return run_setups(which, map_path, png_path, seeds, episodes, slip, horizon, threshold);
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
