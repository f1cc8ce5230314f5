// SPDX-License-Identifier: MIT OR Unlicense
/* libFuzzer target: saferl_shield_grid_read_text and saferl_shield_grid_read_rgba (the same
   bytes read as pixels, width from the first byte) with the Minecraft legend; an accepted map
   has one start, labels from its legend, moves that stay on the map and off walls, and an
   abstraction whose game solves. */
#ifndef FUZZ_LINKED_IMPLEMENTATION /* the Makefile links it in, compiled once per header */
#define SAFERL_SHIELD_IMPLEMENTATION
#endif
#include "saferl_shield.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                    \
    do {                            \
        if (!(x)) __builtin_trap(); \
    } while (0)

static void check_grid(const saferl_shield_grid *g) {
    static unsigned char dfa_memory[4096];
    saferl_shield_dfa rule;
    saferl_shield_abstraction ab;
    saferl_shield_game game;
    uint32_t cells = g->width * g->height, cell, a, *offset, *successor, starts = 0;
    double *probability;
    for (cell = 0; cell < cells; ++cell) {
        CHECK(g->kind[cell] < g->legend_count && g->label[cell] == g->legend[g->kind[cell]].label);
        starts += (g->legend[g->kind[cell]].flags & SAFERL_SHIELD_CELL_START) != 0;
        for (a = 0; a < SAFERL_SHIELD_GRID_ACTIONS; ++a) {
            uint32_t t = saferl_shield_grid_move(g, cell, a);
            CHECK(t < cells);
            CHECK(t == cell || !(g->legend[g->kind[t]].flags & SAFERL_SHIELD_CELL_WALL));
        }
    }
    CHECK(starts == 1 && (g->legend[g->kind[g->start]].flags & SAFERL_SHIELD_CELL_START));
    if (cells > 4096) return;
    offset = (uint32_t *)malloc((cells * 5 + 1) * sizeof(uint32_t));
    successor = (uint32_t *)malloc(cells * 25 * sizeof(uint32_t));
    probability = (double *)malloc(cells * 25 * sizeof(double));
    saferl_shield_grid_abstraction(g, 0.05, &ab, offset, successor, probability);
    CHECK(saferl_shield_minecraft_safeguard(3, &rule, dfa_memory, sizeof dfa_memory) == SAFERL_OK);
    {
        saferl_result r = saferl_shield_game_create(&game, &ab, &rule, NULL, NULL, NULL);
        CHECK(r == SAFERL_OK); /* unrealisable or not, a usable game */
        saferl_shield_game_destroy(&game);
    }
    free(offset);
    free(successor);
    free(probability);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint32_t legend_count;
    const saferl_shield_legend_entry *legend = saferl_shield_minecraft_legend(&legend_count);
    saferl_shield_grid grid;
    saferl_shield_error error;
    saferl_result r;
    if (size > 8192) return 0;
    r = saferl_shield_grid_read_text((const char *)data, size, legend, legend_count, &grid, NULL, &error);
    if (r < 0) {
        CHECK(error.code == r && error.message[0] != '\0' && error.line <= size + 1 && error.column <= size + 1);
    } else {
        check_grid(&grid);
        saferl_shield_grid_destroy(&grid);
    }
    if (size >= 5) {
        uint32_t width = 1 + data[0] % 16, height = (uint32_t)((size - 1) / 4 / width);
        if (height > 0) {
            /* pixels snapped to the legend's colours when the low bit of a pixel's first byte
               is 0, so that both outcomes are reached */
            uint8_t *pixels = (uint8_t *)malloc((size_t)width * height * 4);
            size_t i;
            memcpy(pixels, data + 1, (size_t)width * height * 4);
            for (i = 0; i < (size_t)width * height; ++i)
                if (!(pixels[4 * i] & 1u)) memcpy(pixels + 4 * i, legend[pixels[4 * i + 1] % legend_count].rgba, 4);
            r = saferl_shield_grid_read_rgba(pixels, width, height, legend, legend_count, &grid, NULL, &error);
            if (r < 0) CHECK(error.code == r && error.message[0] != '\0' && error.line <= height && error.column <= width + 1);
            else {
                check_grid(&grid);
                saferl_shield_grid_destroy(&grid);
            }
            free(pixels);
        }
    }
    return 0;
}
