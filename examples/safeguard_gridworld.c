// SPDX-License-Identifier: MIT OR Unlicense
/* safeguard_gridworld - the Progressive Safeguards experiment on a Minecraft-inspired
   gridworld, with saferl_shield.h: Q-learning over (cell, safeguard state) with no
   safeguard, with the final safeguard's reward, with a shield, and with the progressive
   curriculum (four safeguards, counterfactual updates, values carried between stages).
   Prints violations of the final safeguard counted through all training and the final return.

   usage: safeguard_gridworld [options]
     --map FILE        ASCII map (.txt) or image (.png, one pixel a cell; the legend's colours)
     --seeds N         seeds 1..N (5)        --episodes N   training episodes per run (2000)
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
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "stb_image_write.h"
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Settings fixed before the first run (see the report in the header's notes). */
#define STAGES 4
#define MAX_STEPS 100
#define EVAL_EPISODES 100
#define SHIELD_HORIZON 10
#define SHIELD_THRESHOLD 0.9

enum { NO_SAFEGUARD, SAFEGUARD_REWARD, SHIELD, PROGRESSIVE, VARIANTS };
static const char *const variant_name[VARIANTS] = {"no safeguard", "final safeguard reward", "shield + reward",
                                                   "progressive curriculum"};

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

typedef struct world {
    saferl_shield_grid base, grid;
    saferl_shield_dfa safeguard[STAGES];
    unsigned char safeguard_memory[STAGES][4096];
    saferl_shield_abstraction abstraction;
    uint32_t *offset, *successor;
    double *probability, slip;
    saferl_shield_game game;
    uint32_t cells;
} world;

typedef struct result {
    double violations, final_return, eval_violations, shield_corrections;
} result;

/* One training run of a variant with one seed; visits (optional) counts cells. */
static result train(world *w, int variant, uint32_t seed, uint32_t episodes, uint32_t *visits) {
    saferl_shield_qtable table;
    void *table_memory;
    saferl_rng rng;
    result out = {0, 0, 0, 0};
    const saferl_shield_dfa *final_rule = &w->safeguard[STAGES - 1];
    uint32_t episode, stage = STAGES - 1, k;
    size_t size = saferl_shield_qtable_memory_size(w->cells, 6, SAFERL_SHIELD_GRID_ACTIONS);
    table_memory = malloc(size);
    saferl_shield_qtable_init(&table, w->cells, 6, SAFERL_SHIELD_GRID_ACTIONS, table_memory, size);
    saferl_rng_seed(&rng, seed);
    for (episode = 0; episode < episodes + EVAL_EPISODES; ++episode) {
        int evaluating = episode >= episodes, shielded = variant == SHIELD;
        const saferl_shield_dfa *rule;
        uint32_t active, s, q, q_final, t;
        int violated_final = 0;
        double task_return = 0.0;
        if (variant == PROGRESSIVE && !evaluating) {
            uint32_t next_stage = episode * STAGES / episodes;
            if (episode == 0) stage = 0;
            else if (next_stage != stage) {
                saferl_shield_qtable_transfer(&table, saferl_shield_minecraft_states(stage),
                                              saferl_shield_minecraft_states(next_stage));
                stage = next_stage;
            }
        } else if (evaluating) {
            stage = STAGES - 1;
        }
        rule = &w->safeguard[stage];
        active = variant == NO_SAFEGUARD ? 1 : saferl_shield_minecraft_states(stage);
        saferl_shield_grid_place_items(&w->grid, &w->base, SAFERL_SHIELD_MINECRAFT_SHIFT, &rng);
        if (shielded && saferl_shield_game_solve(&w->game, &w->abstraction, final_rule, NULL) < 0 &&
            !w->game.initial_winning) {
            /* the probabilistic masks are still there: the start is only less safe */
        }
        s = w->grid.start;
        q = variant == NO_SAFEGUARD ? 0 : saferl_shield_next(rule, rule->initial, w->grid.label[s]);
        q_final = saferl_shield_next(final_rule, final_rule->initial, w->grid.label[s]);
        for (t = 0; t < MAX_STEPS; ++t) {
            /* the sure shield when the game is realisable, else the probabilistic one */
            uint32_t mask = !shielded ? 0
                            : w->game.initial_winning ? w->game.allowed[(size_t)s * 6 + q_final]
                                                      : w->game.allowed_probably[(size_t)s * 6 + q_final];
            uint32_t a, s2, q2;
            int goal, violated;
            double r;
            a = saferl_shield_qtable_act(&table, s, q, mask, evaluating ? 0.0 : table.epsilon, &rng);
            s2 = saferl_shield_grid_step(&w->grid, s, a, w->slip, &rng);
            if (visits && !evaluating) ++visits[s2];
            goal = (w->grid.legend[w->grid.kind[s2]].flags & SAFERL_SHIELD_CELL_GOAL) != 0;
            r = goal ? 1.0 : 0.0;
            q_final = saferl_shield_next(final_rule, q_final, w->grid.label[s2]);
            if (q_final == final_rule->sink && !violated_final) {
                violated_final = 1;
                if (evaluating) out.eval_violations += 1;
                else out.violations += 1;
            }
            if (variant == NO_SAFEGUARD) {
                if (!evaluating) saferl_shield_qtable_update(&table, s, 0, a, r, s2, 0, goal);
                q2 = 0;
                violated = evaluating && violated_final;
            } else {
                q2 = saferl_shield_next(rule, q, w->grid.label[s2]);
                violated = q2 == rule->sink;
                if (!evaluating)
                    saferl_shield_qtable_update_crm(&table, rule, active, s, a, s2, w->grid.label[s2], r, goal);
            }
            task_return += r;
            s = s2;
            q = q2;
            if (goal || violated) break;
        }
        if (evaluating) out.final_return += task_return;
    }
    out.final_return /= EVAL_EPISODES;
    out.eval_violations /= EVAL_EPISODES;
    (void)k;
    free(table_memory);
    return out;
}

static int load_map(const char *path, saferl_shield_grid *grid) {
    uint32_t legend_count;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    saferl_shield_error error;
    saferl_result r;
    if (!path) {
        const char *map = saferl_shield_minecraft_map();
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
        fprintf(stderr, "%s:%u:%u: %s\n", path ? path : "built-in map", error.line, error.column, error.message);
        return -1;
    }
    return 0;
}

/* 0, or 1 after a message naming the path (the old file untouched). */
static int write_png(const char *path, const saferl_shield_grid *grid, const uint32_t *visits) {
    const int scale = 24;
    int width = (int)grid->width * scale, height = (int)grid->height * scale, x, y, failed;
    unsigned char *image = (unsigned char *)malloc((size_t)width * height * 3);
    uint32_t most = 1, i;
    if (!image) {
        fprintf(stderr, "%s: out of memory\n", path);
        return 1;
    }
    for (i = 0; i < grid->width * grid->height; ++i)
        if (visits[i] > most) most = visits[i];
    for (y = 0; y < height; ++y)
        for (x = 0; x < width; ++x) {
            uint32_t cell = (uint32_t)(y / scale) * grid->width + (uint32_t)(x / scale);
            const uint8_t *c = grid->legend[grid->kind[cell]].rgba;
            double heat = sqrt((double)visits[cell] / most);
            int inset = x % scale >= 6 && x % scale < scale - 6 && y % scale >= 6 && y % scale < scale - 6;
            unsigned char *p = image + ((size_t)y * width + x) * 3;
            if (inset && visits[cell]) { /* the visit count as a dark square of growing size */
                double edge = 0.5 * (scale - 12) * (1.0 - heat);
                int cx = x % scale - 6, cy = y % scale - 6;
                if (cx >= edge && cx < scale - 12 - edge && cy >= edge && cy < scale - 12 - edge) {
                    p[0] = 20;
                    p[1] = 20;
                    p[2] = 90;
                    continue;
                }
            }
            p[0] = c[0];
            p[1] = c[1];
            p[2] = c[2];
            if (x % scale == 0 || y % scale == 0) p[0] = p[1] = p[2] = 200;
        }
    {
        int png_length = 0;
        unsigned char *png = stbi_write_png_to_mem(image, width * 3, width, height, 3, &png_length);
        if (!png) {
            fprintf(stderr, "%s: cannot encode the image\n", path);
            failed = 1;
        } else {
            failed = cli_write_file(path, png, (size_t)png_length);
            STBIW_FREE(png);
        }
    }
    free(image);
    return failed;
}

static int solve_game_file(const char *path, const char *rule_text, uint32_t horizon, double threshold) {
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
    if (r < 0 && r != SAFERL_ERR_INFEASIBLE) {
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
    saferl_shield_game_destroy(&game);
    saferl_shield_dfa_destroy(&dfa);
    saferl_shield_abstraction_destroy(&ab);
    return r == SAFERL_ERR_INFEASIBLE ? 2 : 0;
}

#define USAGE "[--map FILE] [--seeds N] [--episodes N] [--slip P] [--horizon H] [--threshold T] [--png FILE]" \
              " | --legend | --game FILE --rule RULE [--horizon H] [--threshold T]"

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

static int run(int argc, char **argv) {
    const char *map_path = NULL, *png_path = NULL, *game_path = NULL, *rule = NULL;
    uint32_t seeds = 5, episodes = 2000, horizon = SHIELD_HORIZON, seed, k;
    double slip = SAFERL_SHIELD_MINECRAFT_SLIP, threshold = SHIELD_THRESHOLD;
    static world w;
    saferl_shield_game_desc game_desc;
    size_t size;
    void *game_memory;
    uint32_t *visits;
    result sum[VARIANTS], square[VARIANTS];
    int i, variant, legend = 0, failed = 0;
    cli c;
    cli_init(&c, argc, argv, USAGE);
    for (i = 1; i < argc; ++i) {
        const char *flag = argv[i], *v = NULL;
        int bad = 0;
        if (cli_is(&c, &i, "--legend", NULL)) legend = 1;
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
        if (bad) return 2;
    }
    if (legend) {
        if (argc != 2) return cli_usage_error(&c, "--legend takes no other option");
        return print_legend();
    }
    if (game_path || rule) {
        if (!game_path || !rule) return cli_usage_error(&c, "--game and --rule go together");
        if (map_path || png_path || cli_given(&c, "--seeds") || cli_given(&c, "--episodes") || cli_given(&c, "--slip"))
            return cli_usage_error(&c, "--game solves one game: --map, --png, --seeds, --episodes and --slip do not apply");
        return solve_game_file(game_path, rule, horizon, threshold);
    }
    if (load_map(map_path, &w.base) < 0) return 1;
    w.cells = w.base.width * w.base.height;
    w.slip = slip;
    {
        size_t grid_size = saferl_shield_grid_memory_size(w.base.width, w.base.height);
        saferl_shield_grid_init(&w.grid, w.base.width, w.base.height, w.base.legend, w.base.legend_count,
                                malloc(grid_size), grid_size);
    }
    saferl_shield_grid_place_items(&w.grid, &w.base, 0.0, NULL);
    for (k = 0; k < STAGES; ++k)
        saferl_shield_minecraft_safeguard(k, &w.safeguard[k], w.safeguard_memory[k], sizeof w.safeguard_memory[k]);
    w.offset = (uint32_t *)malloc((w.cells * 5 + 1) * sizeof(uint32_t));
    w.successor = (uint32_t *)malloc((size_t)w.cells * 25 * sizeof(uint32_t));
    w.probability = (double *)malloc((size_t)w.cells * 25 * sizeof(double));
    saferl_shield_grid_abstraction(&w.grid, slip, &w.abstraction, w.offset, w.successor,
                                   w.probability);
    memset(&game_desc, 0, sizeof game_desc);
    game_desc.horizon = horizon;
    game_desc.threshold = threshold;
    size = saferl_shield_game_memory_size(&w.abstraction, &w.safeguard[STAGES - 1], &game_desc);
    game_memory = malloc(size);
    {
        saferl_shield_error error;
        saferl_result r = game_memory ? saferl_shield_game_init(&w.game, &w.abstraction, &w.safeguard[STAGES - 1],
                                                                &game_desc, game_memory, size, &error)
                                      : SAFERL_ERR_OUT_OF_MEMORY;
        if (r < 0 && r != SAFERL_ERR_INFEASIBLE) {
            fprintf(stderr, "the shield's game: %s\n", r == SAFERL_ERR_OUT_OF_MEMORY ? "out of memory" : error.message);
            free(game_memory);
            free(w.offset);
            free(w.successor);
            free(w.probability);
            free(w.grid.label);
            saferl_shield_grid_destroy(&w.base);
            return 1;
        }
        printf("map %ux%u, slip %g, item shift %g; final safeguard (minecraft_7) against the slippery abstraction:\n",
               w.base.width, w.base.height, slip, SAFERL_SHIELD_MINECRAFT_SHIFT);
        printf("  sure shield: %s (%u of %u game states win)\n",
               r == SAFERL_OK ? "realisable" : "unrealisable, the start is losing", w.game.winning_count,
               w.game.game_state_count);
        printf("  shield used: allow a when P(no violation in %u steps) >= %g (start %.4f)%s\n", horizon, threshold,
               w.game.safety[w.game.initial], r == SAFERL_OK ? "; realisable: the sure shield is used" : "");
    }
    visits = (uint32_t *)calloc(w.cells, sizeof(uint32_t));
    memset(sum, 0, sizeof sum);
    memset(square, 0, sizeof square);
    for (variant = 0; variant < VARIANTS; ++variant)
        for (seed = 1; seed <= seeds; ++seed) {
            result r = train(&w, variant, seed, episodes, variant == PROGRESSIVE && seed == 1 ? visits : NULL);
            sum[variant].violations += r.violations;
            square[variant].violations += r.violations * r.violations;
            sum[variant].final_return += r.final_return;
            square[variant].final_return += r.final_return * r.final_return;
            sum[variant].eval_violations += r.eval_violations;
        }
    printf("\n%u seeds x %u training episodes (%u per stage for the curriculum), %u steps at most\n", seeds, episodes,
           episodes / STAGES, MAX_STEPS);
    printf("%-24s %22s %18s %16s\n", "variant", "violations (final)", "final return", "test violations");
    for (variant = 0; variant < VARIANTS; ++variant) {
        double n = seeds, mv = sum[variant].violations / n, mr = sum[variant].final_return / n;
        double sv = seeds > 1 ? sqrt(fmax(0.0, (square[variant].violations - n * mv * mv) / (n - 1))) : 0.0;
        double sr = seeds > 1 ? sqrt(fmax(0.0, (square[variant].final_return - n * mr * mr) / (n - 1))) : 0.0;
        printf("%-24s %13.1f +- %5.1f %10.3f +- %5.3f %16.3f\n", variant_name[variant], mv, sv, mr, sr,
               sum[variant].eval_violations / n);
    }
    printf("(violations: training episodes that violated minecraft_7, counted through every stage; final\n"
           " return: goal reached in greedy test episodes; test violations: per test episode)\n");
    if (png_path) {
        failed = write_png(png_path, &w.base, visits);
        if (!failed) printf("map with the curriculum's visit counts (seed 1): %s\n", png_path);
    }
    free(visits);
    free(game_memory);
    free(w.offset);
    free(w.successor);
    free(w.probability);
    free(w.grid.label); /* the grid's memory block starts with its labels */
    saferl_shield_grid_destroy(&w.base);
    return failed;
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
