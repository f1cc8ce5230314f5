// SPDX-License-Identifier: MIT OR Unlicense
/* engine_loop - how a game engine vendors saferl_shield.h: a fixed-timestep loop in which
   many agents on one gridworld are each monitored (the rule's automaton) and shielded (the
   solved safety game), with every byte allocated once before the first frame. A counting
   allocator proves the frames allocate nothing.
   usage: engine_loop [agents (256, at most 1000000)] [frames (600, at most 1000000)]
   Usage errors exit 2. */
#include "cli.h" /* first: it asks for POSIX */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the engine's allocator, counted */
static long allocations;
static void *engine_allocate(size_t size, void *user_data) {
    (void)user_data;
    ++allocations;
    return malloc(size);
}
static void engine_release(void *pointer, void *user_data) {
    (void)user_data;
    free(pointer);
}
#define SAFERL_MALLOC(size, ctx) engine_allocate((size), (ctx))
#define SAFERL_FREE(pointer, ctx) engine_release((pointer), (ctx))
#define SAFERL_SHIELD_IMPLEMENTATION
#include "saferl_shield.h"

typedef struct agent {
    uint32_t cell;
    saferl_shield_monitor monitor;     /* the rule, stepped on the labels the agent walks on */
    saferl_rng rng;
    uint32_t corrections;
} agent;

static int run(int argc, char **argv) {
    uint32_t agent_count = 256, frames = 600, frame, i, legend_count;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    const char *map = saferl_shield_minecraft_map();
    saferl_allocator allocator = {engine_allocate, engine_release, NULL};
    saferl_shield_grid grid;
    saferl_shield_dfa rule;
    saferl_shield_abstraction abstraction;
    saferl_shield_game game;
    saferl_shield_error error;
    static unsigned char rule_memory[4096];
    uint32_t *offset, *successor;
    agent *agents;
    long before;
    uint64_t violations = 0, corrections = 0, steps = 0;
    double start, seconds;
    cli c;
    cli_init(&c, argc, argv, "[agents] [frames]");
    if (argc > 3) return cli_usage_error(&c, "at most two arguments");
    if (argc > 1 && cli_count32(&c, "agents", argv[1], 1, 1000000, &agent_count)) return 2;
    if (argc > 2 && cli_count32(&c, "frames", argv[2], 1, 1000000, &frames)) return 2;
    /* ---- load time: everything allocated here ---- */
    if (saferl_shield_grid_read_text(map, strlen(map), legend, legend_count, &grid, &allocator, &error) < 0) {
        fprintf(stderr, "the built-in map: %s\n", error.message);
        return 1;
    }
    saferl_shield_minecraft_safeguard(3, &rule, rule_memory, sizeof rule_memory);
    offset = (uint32_t *)engine_allocate((grid.width * grid.height * 5 + 1) * sizeof(uint32_t), NULL);
    successor = (uint32_t *)engine_allocate(grid.width * grid.height * 25 * sizeof(uint32_t), NULL);
    if (!offset || !successor) {
        fprintf(stderr, "engine_loop: out of memory\n");
        return 1;
    }
    saferl_shield_grid_abstraction(&grid, 0.0, &abstraction, offset, successor, NULL); /* exact moves */
    if (saferl_shield_game_create(&game, &abstraction, &rule, NULL, &allocator, &error) < 0) {
        fprintf(stderr, "shield: %s\n", error.message);
        return 1;
    }
    agents = (agent *)engine_allocate(agent_count * sizeof(agent), NULL);
    if (!agents) {
        fprintf(stderr, "engine_loop: out of memory for %u agents\n", agent_count);
        return 1;
    }
    for (i = 0; i < agent_count; ++i) {
        agents[i].cell = grid.start;
        saferl_shield_monitor_init(&agents[i].monitor, &rule, 0.0, -1.0);
        saferl_shield_monitor_step(&agents[i].monitor, grid.label[grid.start], NULL);
        saferl_rng_seed(&agents[i].rng, i + 1);
        agents[i].corrections = 0;
    }
    /* ---- the frames: a fixed 1/60 s step; each agent proposes a wandering move, the shield
       corrects it (post-posed, the fixed fallback when nothing ranked is safe) ---- */
    before = allocations;
    start = (double)clock() / CLOCKS_PER_SEC;
    for (frame = 0; frame < frames; ++frame) {
        for (i = 0; i < agent_count; ++i) {
            agent *a = &agents[i];
            uint32_t ranked[2], action;
            int corrected;
            ranked[0] = saferl_rng_bounded(&a->rng, SAFERL_SHIELD_GRID_ACTIONS);
            ranked[1] = saferl_rng_bounded(&a->rng, SAFERL_SHIELD_GRID_ACTIONS);
            action = saferl_shield_game_correct(&game, NULL, a->cell, a->monitor.state, ranked, 2, &corrected);
            corrections += corrected == 1;
            a->cell = saferl_shield_grid_move(&grid, a->cell, action);
            saferl_shield_monitor_step(&a->monitor, grid.label[a->cell], NULL);
            violations += saferl_shield_monitor_violated(&a->monitor) != 0;
            if (legend[grid.kind[a->cell]].flags & SAFERL_SHIELD_CELL_GOAL) { /* respawn */
                a->cell = grid.start;
                saferl_shield_monitor_reset(&a->monitor);
                saferl_shield_monitor_step(&a->monitor, grid.label[grid.start], NULL);
            }
            ++steps;
        }
    }
    seconds = (double)clock() / CLOCKS_PER_SEC - start;
    printf("%u agents x %u frames: %llu shielded steps, %llu actions corrected, %llu violations\n", agent_count, frames,
           (unsigned long long)steps, (unsigned long long)corrections, (unsigned long long)violations);
    printf("allocations before the first frame %ld, during the frames %ld; %.1f M steps/s\n", before,
           allocations - before, seconds > 0 ? steps / seconds / 1e6 : 0.0);
    engine_release(agents, NULL);
    saferl_shield_game_destroy(&game);
    engine_release(offset, NULL);
    engine_release(successor, NULL);
    saferl_shield_grid_destroy(&grid);
    return violations != 0 || allocations != before;
}

int main(int argc, char **argv) { return cli_finish(run(argc, argv)); }
