// SPDX-License-Identifier: MIT OR Unlicense
/* Throughput of saferl_budget.h's estimators on 10^7 attempts, against peers measured on the
   same data in the same run (bench/budget_statsmodels.py: statsmodels and numpy).

   bench/run_budget.sh drives it:
     budget --write build/budget_records.bin       generate the attempts, write them for the peer
     budget --peer build/budget_peer.txt --config "gcc -O3 ..."
                                                   verify Kaplan-Meier against the peer, time our
                                                   estimators, print the table with the peer's
                                                   timings

   Data: 10^4 prompts x 1000 attempts, horizon 4096, T ~ Geometric(q_i) with xi_i = 4096 q_i
   log-uniform on [0.05, 20], from saferl_rng seed 2026. Every timing is the median of several
   repeats; single-threaded. */
#define _POSIX_C_SOURCE 200809L
#define SAFERL_BUDGET_IMPLEMENTATION
#include "saferl_budget.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROMPTS 10000u
#define PER_PROMPT 1000u
#define RECORDS ((size_t)PROMPTS * PER_PROMPT)
#define HORIZON 4096
#define SEED 2026u
#define REPEATS 5
#define PASS_N 10000
#define MAX_CHECKS 32

static volatile double sink;

#include "bench_timing.h"

static void generate(saferl_budget_attempt *a) {
    saferl_rng rng;
    uint32_t p, j;
    size_t i = 0;
    saferl_rng_seed(&rng, SEED);
    for (p = 0; p < PROMPTS; ++p) {
        double xi = exp(log(0.05) + (log(20.0) - log(0.05)) * saferl_rng_uniform(&rng));
        double q = xi / HORIZON, log_survive = log1p(-q);
        for (j = 0; j < PER_PROMPT; ++j, ++i) {
            double u = 1.0 - saferl_rng_uniform(&rng); /* (0, 1] */
            double t = 1.0 + floor(log(u) / log_survive);
            a[i].prompt = p;
            a[i].horizon = HORIZON;
            a[i].tokens = t <= HORIZON ? (int32_t)t : SAFERL_BUDGET_CENSORED;
        }
    }
}

/* build/budget_records.bin: "SRB1", uint64 count, uint32 prompts, uint32 per prompt,
   int32 horizon, then int32 time[count] (tokens, or the horizon when censored) and
   uint8 event[count]. Little-endian, as the machine writes it. */
static int write_records(const char *path, const saferl_budget_attempt *a) {
    FILE *f = fopen(path, "wb");
    uint64_t count = RECORDS;
    uint32_t prompts = PROMPTS, per = PER_PROMPT;
    int32_t horizon = HORIZON, *times;
    unsigned char *events;
    size_t i;
    int ok;
    if (!f) return 0;
    times = (int32_t *)malloc(RECORDS * sizeof *times);
    events = (unsigned char *)malloc(RECORDS);
    if (!times || !events) {
        fclose(f);
        free(times);
        free(events);
        return 0;
    }
    for (i = 0; i < RECORDS; ++i) {
        times[i] = a[i].tokens == SAFERL_BUDGET_CENSORED ? a[i].horizon : a[i].tokens;
        events[i] = a[i].tokens != SAFERL_BUDGET_CENSORED;
    }
    ok = fwrite("SRB1", 1, 4, f) == 4 && fwrite(&count, sizeof count, 1, f) == 1 &&
         fwrite(&prompts, sizeof prompts, 1, f) == 1 && fwrite(&per, sizeof per, 1, f) == 1 &&
         fwrite(&horizon, sizeof horizon, 1, f) == 1 && fwrite(times, sizeof *times, RECORDS, f) == RECORDS &&
         fwrite(events, 1, RECORDS, f) == RECORDS;
    ok = (fclose(f) == 0) && ok;
    free(times);
    free(events);
    return ok;
}

typedef struct peer_results {
    double km_rate, summarize_rate, per_prompt_rate, pass_rate[3];
    int check_count;
    double check_time[MAX_CHECKS], check_survival[MAX_CHECKS];
    char config[256];
} peer_results;

static int read_peer(const char *path, peer_results *peer) {
    FILE *f = fopen(path, "r");
    char key[64];
    memset(peer, 0, sizeof *peer);
    if (!f) return 0;
    while (fscanf(f, "%63s", key) == 1) {
        if (strcmp(key, "km_records_per_second") == 0) {
            if (fscanf(f, "%lf", &peer->km_rate) != 1) break;
        } else if (strcmp(key, "summarize_records_per_second") == 0) {
            if (fscanf(f, "%lf", &peer->summarize_rate) != 1) break;
        } else if (strcmp(key, "per_prompt_records_per_second") == 0) {
            if (fscanf(f, "%lf", &peer->per_prompt_rate) != 1) break;
        } else if (strcmp(key, "pass_at_k_evaluations_per_second") == 0) {
            if (fscanf(f, "%lf %lf %lf", &peer->pass_rate[0], &peer->pass_rate[1], &peer->pass_rate[2]) != 3) break;
        } else if (strcmp(key, "km_survival_at") == 0 && peer->check_count < MAX_CHECKS) {
            if (fscanf(f, "%lf %lf", &peer->check_time[peer->check_count], &peer->check_survival[peer->check_count]) !=
                2)
                break;
            ++peer->check_count;
        } else if (strcmp(key, "config") == 0) {
            char line[256];
            if (!fgets(line, sizeof line, f)) break;
            line[strcspn(line, "\n")] = '\0';
            snprintf(peer->config, sizeof peer->config, "%s", line + strspn(line, " \t"));
        } else {
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n') {
            }
        }
    }
    fclose(f);
    return peer->km_rate > 0.0 && peer->check_count > 0;
}

static void row(const char *task, double ours, double peer, const char *unit, const char *config) {
    char peer_text[32], ratio[32];
    if (peer > 0.0) {
        snprintf(peer_text, sizeof peer_text, "%.3g", peer);
        snprintf(ratio, sizeof ratio, "%.2fx", ours / peer);
    } else {
        snprintf(peer_text, sizeof peer_text, "-");
        snprintf(ratio, sizeof ratio, "-");
    }
    printf("| %-48s | %10.3g | %10s | %9s | %-9s | %s |\n", task, ours, peer_text, ratio, unit, config);
}

int main(int argc, char **argv) {
    saferl_budget_attempt *attempts, *sorted;
    size_t *start, km_work_size, step_count = 0, i;
    saferl_budget_summary *summaries, summary;
    saferl_budget_km_step *steps;
    saferl_budget_desc desc;
    void *km_work;
    double t_summarize[REPEATS], t_group[REPEATS], t_km[REPEATS], t_pass[3][REPEATS], max_diff = 0.0;
    static const int ks[3] = {1, 10, 100};
    const char *config = "unknown flags";
    peer_results peer;
    int r, k;

    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        attempts = (saferl_budget_attempt *)malloc(RECORDS * sizeof *attempts);
        if (!attempts) return 1;
        generate(attempts);
        if (!write_records(argv[2], attempts)) {
            fprintf(stderr, "%s: cannot write\n", argv[2]);
            return 1;
        }
        free(attempts);
        return 0;
    }
    if (!(argc >= 3 && strcmp(argv[1], "--peer") == 0)) {
        fprintf(stderr, "usage: budget --write records.bin | budget --peer peer.txt [--config TEXT]\n");
        return 2;
    }
    if (argc >= 5 && strcmp(argv[3], "--config") == 0) config = argv[4];
    if (!read_peer(argv[2], &peer)) {
        fprintf(stderr, "%s: cannot read the peer's results\n", argv[2]);
        return 1;
    }

    attempts = (saferl_budget_attempt *)malloc(RECORDS * sizeof *attempts);
    sorted = (saferl_budget_attempt *)malloc(RECORDS * sizeof *sorted);
    start = (size_t *)malloc((PROMPTS + 1) * sizeof *start);
    summaries = (saferl_budget_summary *)malloc(PROMPTS * sizeof *summaries);
    steps = (saferl_budget_km_step *)malloc(HORIZON * sizeof *steps);
    if (!attempts || !sorted || !start || !summaries || !steps) return 1;
    generate(attempts);
    km_work_size = saferl_budget_kaplan_meier_memory_size(attempts, RECORDS);
    km_work = malloc(km_work_size);
    if (!km_work) return 1;
    memset(&desc, 0, sizeof desc);

    /* correctness first: our Kaplan-Meier against statsmodels' on the same records */
    if (saferl_budget_kaplan_meier(attempts, RECORDS, km_work, km_work_size, steps, HORIZON, &step_count) != SAFERL_OK)
        return 1;
    for (k = 0; k < peer.check_count; ++k) {
        double d = fabs(saferl_budget_km_survival(steps, step_count, peer.check_time[k]) - peer.check_survival[k]);
        if (d > max_diff) max_diff = d;
    }
    printf("Kaplan-Meier on %zu records vs statsmodels at %d times: max |S_ours - S_statsmodels| = %.3g\n", RECORDS,
           peer.check_count, max_diff);
    if (!(max_diff <= 1e-9)) {
        fprintf(stderr, "Kaplan-Meier disagrees with statsmodels: not timing\n");
        return 1;
    }

    for (r = 0; r < REPEATS; ++r) {
        double t0 = now_seconds();
        saferl_budget_summarize(attempts, RECORDS, &desc, &summary);
        t_summarize[r] = now_seconds() - t0;
        sink += summary.xi;

        t0 = now_seconds();
        saferl_budget_group_by_prompt(attempts, RECORDS, PROMPTS, sorted, start);
        for (i = 0; i < PROMPTS; ++i)
            saferl_budget_summarize(sorted + start[i], start[i + 1] - start[i], &desc, &summaries[i]);
        saferl_budget_pool(summaries, PROMPTS, &desc, &summary);
        t_group[r] = now_seconds() - t0;
        sink += summary.xi;

        t0 = now_seconds();
        saferl_budget_kaplan_meier(attempts, RECORDS, km_work, km_work_size, steps, HORIZON, &step_count);
        t_km[r] = now_seconds() - t0;
        sink += steps[step_count - 1].survival;

        for (k = 0; k < 3; ++k) {
            int c;
            double acc = 0.0;
            t0 = now_seconds();
            for (c = 0; c <= PASS_N; ++c) acc += saferl_budget_pass_at_k(PASS_N, c, ks[k]);
            t_pass[k][r] = now_seconds() - t0;
            sink += acc;
        }
    }

    printf("\n| %-48s | %10s | %10s | %9s | %-9s | %s |\n", "task (10^7 records; pass@k: n = 10^4, c = 0..n)",
           "ours", "peer", "ratio", "unit", "configuration");
    printf("|%s|%s|%s|%s|%s|%s|\n", "--------------------------------------------------", "------------",
           "------------", "-----------", "-----------", "---------------");
    row("summarize, all as one set (peer: numpy sums)", RECORDS / median(t_summarize, REPEATS), peer.summarize_rate,
        "records/s", config);
    row("group + 10^4 summaries + pool (peer: bincount)", RECORDS / median(t_group, REPEATS), peer.per_prompt_rate,
        "records/s", config);
    row("Kaplan-Meier + Greenwood (peer: statsmodels)", RECORDS / median(t_km, REPEATS), peer.km_rate, "records/s",
        config);
    for (k = 0; k < 3; ++k) {
        char task[64];
        snprintf(task, sizeof task, "pass@k, k = %d (peer: numpy product)", ks[k]);
        row(task, (PASS_N + 1) / median(t_pass[k], REPEATS), peer.pass_rate[k], "evals/s", config);
    }
    printf("ours: 1 thread, median of %d; peer: %s\n", REPEATS, peer.config[0] ? peer.config : "see peer file");
    free(km_work);
    free(steps);
    free(summaries);
    free(start);
    free(sorted);
    free(attempts);
    return 0;
}
