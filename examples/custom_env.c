/* custom_env.c - your own environment trained with PPO-Lagrangian (saferl_rl.h).

   A delivery cart on a 1-D track: it must reach x = 5 quickly (reward: the distance covered
   each step), but every step faster than 1 m/s is a speeding step (cost 1). The constraint
   asks for at most 5 speeding steps a delivery. Observation (x, v), action a force in
   [-1, 1] (continuous); set DISCRETE to 1 for three actions (brake, coast, push).
   Usage: custom_env (no arguments). Prints epoch, return, speeding steps, lambda. */
#define SAFERL_RL_IMPLEMENTATION
#include "saferl_rl.h"
#include <stdio.h>
#include <string.h>

#define DISCRETE 0

typedef struct cart { double x, v; int steps; } cart;

static saferl_result cart_reset(void *state, saferl_rng *rng, float *observation) {
    cart *c = (cart *)state;
    c->x = 0.1 * saferl_rng_uniform(rng);
    c->v = 0.0;
    c->steps = 0;
    observation[0] = (float)c->x;
    observation[1] = (float)c->v;
    return SAFERL_OK;
}

static saferl_result cart_step(void *state, saferl_rng *rng, const float *action, float *observation, float *reward,
                               float *cost, int *terminated, int *truncated) {
    cart *c = (cart *)state;
    double force = DISCRETE ? (double)action[0] - 1.0 : (double)action[0], x0 = c->x;
    (void)rng;
    if (!(force >= -1.0 && force <= 1.0)) return SAFERL_ERR_INVALID_ARGUMENT;
    c->v += 0.1 * (2.0 * force - 0.5 * c->v); /* push, with drag */
    c->x += 0.1 * c->v;
    c->steps += 1;
    observation[0] = (float)c->x;
    observation[1] = (float)c->v;
    *reward = (float)(c->x - x0);
    cost[0] = c->v > 1.0 ? 1.0f : 0.0f; /* a speeding step */
    *terminated = c->x >= 5.0;           /* delivered */
    *truncated = c->steps >= 200;        /* out of time */
    return SAFERL_OK;
}

int main(int argc, char **argv) {
    cart state;
    saferl_rl_env env = {2, 1, DISCRETE ? 3 : 0, NULL, cart_reset, cart_step, 1, NULL}; /* no batch step */
    saferl_rl_desc desc;
    saferl_rl_agent agent;
    saferl_rl_epoch_stats s;
    const char *why;
    int epoch;
    if (argc > 1) {
        fprintf(stderr, "usage: %s (no arguments)\n", argv[0]);
        return 2;
    }
    env.state = &state;
    memset(&desc, 0, sizeof desc); /* every field at its default (also C++: no {0} for an enum-first struct) */
    desc.algorithm = SAFERL_RL_PPO_LAG;
    desc.cost_count = 1;
    desc.cost_limits[0] = 5.0; /* at most 5 speeding steps a delivery */
    desc.seed = 1;
    if (saferl_rl_agent_create(&agent, &desc, &env, 1) != SAFERL_OK) {
        saferl_rl_desc_check(&desc, &env, 1, &why);
        fprintf(stderr, "custom_env: %s\n", why);
        return 1;
    }
    printf("epoch,return,speeding_steps,lambda\n");
    for (epoch = 1; epoch <= 40; ++epoch) {
        if (saferl_rl_agent_epoch(&agent, &s) != SAFERL_OK) return 1;
        printf("%d,%.3f,%.2f,%.3f\n", epoch, s.episode_return, s.episode_cost, s.lagrange_multiplier);
    }
    saferl_rl_agent_destroy(&agent);
    return 0;
}
