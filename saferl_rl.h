// SPDX-License-Identifier: MIT OR Unlicense
/* saferl_rl.h - v0.5.12 - constrained MDPs, small networks, Lagrangian and trust-region policy gradients
                          public domain or MIT; see the end of the file

   Safe RL posed as a constrained MDP: maximise the expected episodic return subject to an
   expected episodic cost <= d (the cost limit). This header holds a cost-aware environment
   interface with vectorised rollouts, six built-in environments, small float networks with
   hand-written forward/backward passes (MLP, categorical and diagonal-Gaussian heads, reward
   and cost critics, Adam), PPO, PPO-Lagrangian, PID-Lagrangian, CPO, PCPO,
   TRPO-Lagrangian, FOCOPS and CUP for discrete and continuous actions, flipping-based
   mixtures of trained policies for chance and expected-cost constraints, return-conditioned
   policies learned offline from logged trajectories (the offline stage of PLS; an MLP or the
   Constrained Decision Transformer's small causal transformer), and versioned
   binary policy and dataset formats a game can load from memory.

   Do this:
      #define SAFERL_RL_IMPLEMENTATION   (or SAFERL_IMPLEMENTATION for every saferl header)
   before you include this file in *one* C or C++ file to create the implementation.

   Optional, before the implementation include:
      #define SAFERL_ASSERT(x)        your assert, for programmer errors only (default: assert)
      #define SAFERL_MALLOC(sz,ctx)   default allocation   (default: malloc(sz))
      #define SAFERL_FREE(p,ctx)      default release      (default: free(p))
      #define SAFERL_RL_API           declaration prefix   (default: extern)
      #define SAFERL_RL_STATIC        every function static: a private copy per translation unit
      #define SAFERL_NO_STDIO         drop the file helpers (engines and browsers bring their I/O)
      #define SAFERL_USE_BLIS         matrix products of batches >= 16 through BLIS's sgemm
                                      (native only; link -lblis; blis.h needs -std=gnu99 or
                                      _POSIX_C_SOURCE >= 200112L in that translation unit)
      #define SAFERL_NO_DISPATCH      no AVX2 instantiation of the hot loops (see SPEED)
      #define SAFERL_RL_FAST_TANH     tanh in float: twice the lanes, at most 3 ulp from the
                                      correctly rounded value (the default's 1); the same bits
                                      on every CPU, but not the default's (see SPEED)

   QUICK START
      #define SAFERL_RL_IMPLEMENTATION
      #include "saferl_rl.h"
      #include <stdio.h>
      int main(void) {
          saferl_rl_builtin cart;                       // the environment's state
          saferl_rl_env env;
          saferl_rl_agent agent;
          saferl_rl_desc desc = {0};                    // zero = the documented defaults (C++: = {})
          saferl_rl_epoch_stats s;
          const char *why;
          int epoch;
          saferl_rl_env_builtin(&env, &cart, SAFERL_RL_ENV_CARTPOLE);
          desc.algorithm = SAFERL_RL_PPO_LAG;
          desc.cost_count = 1;                          // one constraint, no default:
          desc.cost_limits[0] = 10.0;                   // at most 10 steps beyond |x| = 1 a run
          if (saferl_rl_agent_create(&agent, &desc, &env, 1) < 0) {
              saferl_rl_desc_check(&desc, &env, 1, &why); // e.g. "cost_limit: required ..."
              fprintf(stderr, "%s\n", why);
              return 1;
          }
          for (epoch = 0; epoch < 5; ++epoch) {
              if (saferl_rl_agent_epoch(&agent, &s) < 0) break;
              printf("%d %.1f %.1f %.3f\n", epoch, s.episode_return, s.episode_cost, s.lagrange_multiplier);
          }
          saferl_rl_agent_destroy(&agent);
          return 0;
      }

      Your own environment is a saferl_rl_env: reset and step functions on your state, the
      observation and action sizes and the number of costs; examples/custom_env.c trains one
      (a delivery cart with a speeding cost) with PPO-Lagrangian in about 60 lines. An engine
      or simulator that advances many copies in one call also sets step_batch (the agent then
      steps all env_count copies with one call a step; the results are the same bits).

   WHAT IS HERE, top to bottom
      environments        saferl_rl_env (reset / step with reward, cost, terminated, truncated;
                          step_batch, an optional hook stepping every copy in one call),
                          saferl_rl_env_builtin: cartpole, pointgoal, gridworld, pendulum, cliff,
                          pendulum-v1, runner; uncertainty parameters omega taken at reset;
                          saferl_rl_cliff_model: the tabular CMDP's exact P, r, c for an LP
      layers (llm.c)      saferl_rl_linear_*, _tanh_*, _relu_*, _categorical_*, _gaussian_*,
                          _ppo_clip_*, _categorical_kl_*, _gaussian_kl_*, _focops_*, _cup_*,
                          _value_loss_*: forward/backward pairs on plain arrays
      networks            saferl_rl_mlp (one parameter block, one activation block), Adam,
                          global-norm gradient clipping
      policies            saferl_rl_policy: act one observation without allocating, through a
                          caller's saferl_rl_policy_context (one per thread; the policy is only
                          read); the action distribution (saferl_rl_policy_probabilities,
                          _mean_std); save to and load from a memory buffer (format below); file
                          helpers
      trust region        saferl_rl_policy_fvp (closed-form Fisher-vector product),
                          saferl_rl_conjugate_gradient, saferl_rl_cpo_dual (the five cases),
                          saferl_rl_cpo_accept (the line search's acceptance rule),
                          saferl_rl_pcpo_step (PCPO's reward step and KL projection)
      flipping            saferl_rl_mixture_solve (the exact mixture LP), saferl_rl_flip_policy
                          (a coin between two policies, per episode or per step),
                          saferl_rl_flip_evaluate (return, cost, violation probability)
      training            saferl_rl_agent: one table row per algorithm (PPO, PPO-Lag, PID-Lag,
                          CPO, PCPO, TRPO-Lag, FOCOPS, CUP) saying what it needs (a multiplier,
                          advantage mixing, a second-order step, a reference distribution) and
                          its actor update; an epoch is rollout -> advantages -> multiplier
                          update -> the row's actor update -> critics; episode and cost-rate
                          metrics, evaluation
      checkpoints         the agent's whole training state saved and loaded ("SRLK", format
                          below): resume bit for bit; a refused load changes nothing; the
                          off-policy agent's with its replay (saferl_rl_offpolicy_checkpoint_*)
      off-policy          saferl_rl_replay (a ring of transitions in caller memory) and
                          saferl_rl_offpolicy_agent: TD3 (twin critics, target policy smoothing,
                          delayed actor, Polyak targets) and SAC (twin critics, tanh-squashed
                          Gaussian with the log-prob correction, automatic temperature), and
                          their Lagrangian forms (a cost critic and a multiplier per
                          constraint); M2TD3 (worst-case
                          robust over omega) and DR-TD3 (domain randomisation); discrete SAC
                          (Christodoulou 2019) and its Lagrangian form;
                          _act, _update (one gradient step), _train and _train_robust (an
                          environment loop; the robust forms set omega at every reset)
      iterate mixture     saferl_rl_iterate_mixture: snapshots of a Lagrangian actor during
                          training, each evaluated by episodes, the mixture LP over them at d,
                          delivered as a per-episode coin between at most two snapshots
      offline data        saferl_rl_dataset: logged episodes, a collector for any policy, a
                          versioned binary format (RCSL section below)
      RCSL                saferl_rl_rcsl_policy conditioned on the reward and cost to go,
                          saferl_rl_rcsl_trainer (supervised, hindsight targets, optionally
                          CDT's return relabelling), acting and evaluation with decreasing
                          targets, the "SRLC" format
      transformer form    saferl_rl_cdt: the Constrained Decision Transformer's small causal
                          transformer (_layernorm_*, _gelu_*, _attention_*, _cdt_embed_*,
                          _cdt_forward / _backward), a second RCSL architecture acting from a
                          rolling saferl_rl_rcsl_context
      preference opt.     the last section: a tabular categorical policy (K responses for each
                          of P prompts), saferl_rl_dpo_loss / _fit, Bradley-Terry preference
                          data (saferl_rl_preferences_sample), the constrained optimum's closed
                          form and multiplier, SACPO's two steps (saferl_rl_sacpo), P-SACPO's
                          saferl_rl_weight_merge; saferl_rl_poison_lp, the cost-minimal
                          label-flip poisoning LP (a dense bounded-variable simplex)

   OFF-POLICY (the papers' rules, defaults from them; 256-256 ReLU networks, Adam 3e-4,
   batch 256, gamma 0.99, tau 0.005, 1000 uniform random steps before the first update, then
   one update per environment step: gradient_steps)
      * TD3 (Fujimoto et al. 2018): y = r + gamma (1 - done) min_i Q'_i(s', clip(pi'(s') +
        clip(0.2 N, +-0.5), +-1)); critics minimise sum_i mean (Q_i - y)^2; every 2nd step the
        actor minimises -mean Q1(s, pi(s)) and all targets move by tau. Acting adds N(0, 0.1).
      * SAC (Haarnoja et al. 2018, the automatic-temperature version): a = tanh(u), u = mean +
        std n, log std clamped to [-20, 2], log pi(a|s) = sum log N(u) - log(1 - tanh(u)^2)
        (computed as 2 (log 2 - u - softplus(-2u))); y = r + gamma (1 - done) (min_i Q'_i(s',
        a') - alpha log pi(a'|s')), a' from the current policy; actor loss mean(alpha log pi -
        min_i Q_i(s, a)); temperature loss -log alpha mean(log pi + target entropy), target
        entropy -action_dim; no target actor; targets move by tau every step.
      * TD3-Lag and SAC-Lag (as OmniSafe's TD3Lag / SACLag): a cost critic Q_C with its Polyak
        target, y_C = c + cost_gamma (1 - done) Q_C'(s', a') with the reward target's a' (no
        entropy term); the actor's loss adds lambda w Q_C(s, pi(s)) and is divided by (1 +
        lambda); after each finished episode lambda <- max(0, lambda + Adam step (lr 0.01) on
        the violation of that episode's undiscounted cost J_C) (discrete SAC-Lag under RELATIVE
        since 0.5.7: the step on log lambda, "the log-space multiplier" below).
        Multiplier scale (multiplier_scale, as the on-policy agent's). OmniSafe's and FSRL's
        lambda is in reward per unit of cost (COST_UNITS: w = 1, violation J_C - d, the cost
        critic on raw costs). Adam's step is about lr whatever the violation's units, but
        lambda* shrinks as costs grow and the cost critic, whose Adam steps are also about lr,
        takes longer to fit larger targets, so one setting serves one cost scale (random
        tabular CMDPs, discrete SAC-Lag: 13 of 15 runs within target at cost scale 1, 9 at
        10, 1 at 100). The default, RELATIVE, measures costs against their limit: the cost
        critic learns c / d (Q_C in units of d), the violation is (J_C - d) / d, and w = s_R /
        s_C, the standard deviations of the batch's reward and cost targets (the batch the
        actor then steps on; w = 1 when a target is constant). Costs and limit k times larger
        then give the same run (bit for bit when k is a power of two; tests/test_rl.c), and
        w makes lambda a pure number on the reward's scale as well. The violation is linear
        in J_C so that its mean over noisy episodes is 0 exactly when the mean cost is d.
        The on-policy rule's (J_C - d) / max(J_C, d), tried first, is not: stepped once per
        episode, on episode costs spread like an exponential its mean is 0 near J_C = 1.6 d,
        and the grid ended at J_C / d 1.4-1.7 in all 45 runs. A limit of 0 has no unit: the
        critic then learns raw costs and the violation is J_C (w still applies). The grid
        under both rules is in README.md; lr and the rest were not chosen again.
        The proportional term (lagrange_kp). Adam's step on the integral is about lagrange_lr
        m / sqrt(v), m and v the running mean and mean square of the violation: with episode
        costs spread like an exponential (a relative violation's std about 1) and a mean
        violation of a few percent, lambda moves by a few 1e-4 an episode, so on the random
        tabular CMDPs (SAC-Lag, RELATIVE, held out) it was still rising through the averaging
        window in all 18 runs and the misses sat just above d (mean J_C / d 1.049): a lag, not
        a bias. The rule, chosen before any held-out run, is the on-policy rows' (ALGORITHMS,
        "the proportional term"; Stooke et al.'s Kp e): lambda_i = max(0, integral_i +
        lagrange_kp e_i), the integral the Adam ascent above (projected onto >= 0, and saved),
        e_i the violation's running mean, the bias-corrected first moment Adam keeps of it
        (beta1 0.9: about the last 10 episodes; one episode's cost is too noisy to act on, and
        OmniSafe's PID smooths e by an EMA before its Kp too, as the on-policy rows act on an
        epoch's mean). lambda answers a standing violation at once and the term is gone when
        the mean cost is back at d. lagrange_kp 1, the on-policy default: one unit of lambda per
        limit of overshoot. Not chosen: a larger lagrange_lr (a setting, not a rule; it also
        enlarges the noise), plain gradient steps (Ray et al.'s; they move by lr times the same
        small mean violation), the log-space step (from near 0, too many e-folds; from 1 it is
        lagrange_space LOG, below). Developed on
        CMDPs 1-3 (9 of 18 runs within the target against 10 without it), then run on the held-out
        CMDPs 4-6: 13 of 18 against 14, mean J_C / d 1.038 either way, lambda still rising in 10
        of 18 against 18 (README.md). It did not win, so it is off by default (SAFERL_RL_NONE,
        the integral alone, bit for bit the rule before).
        TD3-Lag's actor follows dQ/da at its own action, so where actions act in steps (a
        discrete choice read off a continuous action) it cannot reach a better step more than
        its exploration noise away, nor leave one where tanh has saturated; its multiplier
        then climbs with no response (random tabular CMDPs: README.md). SAC-Lag's sampled
        actions reach across steps only while its spread is wider than one: with the entropy
        target -action_dim its temperature falls until a Gaussian narrower than a third meets
        it, and on the CMDP whose optimum mixes two adjacent thirds in its most visited state it
        then fails the same way (README.md, "Why CMDP 1 still misses").
        Twin cost critics (twin_cost_critics 1). SAC-Lag's window on the random tabular CMDPs
        sat above d (58 of 60 runs), and its cost critic's own estimate of the policy's J_C
        (E over a ~ pi(.|s0) of Q_C(s0, a)) sat below the exact value, by 0.01-0.09 d over
        the window in the four runs traced (tests/test_rl.c, `--cmdp-trace`), as the actor,
        minimising lambda w Q_C, favours the actions whose cost its critic underestimates and
        the target bootstraps on them (the off-policy underestimation of Wu et al., ICLR 2024,
        "Off-Policy Primal-Dual Safe Reinforcement Learning", CAL, whose remedy is an upper
        confidence bound over an ensemble of cost critics). The option is the smallest such
        bound, Fujimoto et al.'s clipped double Q mirrored for a cost the actor minimises: two
        cost critics per constraint trained on the same target, y_C = c + cost_gamma (1 -
        done) max(Q_C1', Q_C2')(s', a'), and the actor's loss takes max(Q_C1, Q_C2)(s, pi(s))
        (discrete SAC: the larger per action, inside the expectation). The rule and its
        adoption test were fixed before the runs (README.md): developed on CMDPs 1-3, then
        held out on CMDPs 7-9 (scale 1, seeds 1-5). It lowered the cost without winning: 10
        of 15 held-out runs within the target against 10, mean J_C / d 1.022 against 1.031,
        every cell within it either way; adopting it needed more runs. So it is off (0: one
        cost critic, the bits before; 1 costs one more critic forward and backward per
        constraint in an update).
        The augmented Lagrangian (augmented_penalty c). CAL's other half (Wu et al., ICLR
        2024, sec. 4.2, "local policy convexification"; the method of multipliers of
        Hestenes, Powell and Rockafellar): the actor minimises psi(g; lambda, c) = lambda g +
        c/2 g^2 (-lambda^2 / 2c where lambda + c g < 0) of the violation g its cost critic
        estimates, so Q_Ci's price in its loss is dpsi/dg = max(0, lambda_i + c g_i), while the
        integral keeps ascending on the episodes' costs. The quadratic term makes the
        Lagrangian strictly convex in the policy's cost near the constraint, so the price
        answers the critic's current estimate at once instead of through the integral, which
        the runs above show lagging a rising target while the policy cycles. CAL compares the
        batch's Q_C with a per-step budget, an infinite-horizon reading; the constraint here
        is on the episode, so g_i is the critic's estimate of the policy's J_Ci at the first
        state s0 of each finished episode (taken by _train; a loop of your own that calls
        saferl_rl_offpolicy_multiplier_step leaves g at 0): E over a ~ pi(.|s0) of
        Q_Ci(s0, a) (discrete SAC: the exact sum; SAC: the mean of batch_size draws; TD3: pi's
        action; the larger twin with twin_cost_critics) in the violation's units, Q_Ci - 1
        under RELATIVE, Q_Ci - d_i otherwise (with cost_gamma < 1 the critic's is the
        discounted cost, below J_C, so the term pulls less). c = 1, the on-policy rows'
        proportional gain (one unit of lambda per limit of estimated overshoot), was fixed
        before any run with the adoption rule (README.md): developed on CMDPs 1-3, held out on
        CMDPs 13-15, seeds 1-5, scales 1 and 100, SAC-Lag on the step map. Held out it won:
        27 of 30 runs within the target against 23, every cell within it either way, mean
        J_C / d 0.990 against 1.016 (mean gap 0.035 against 0.011: it buys the cost with a
        little return). On CMDPs 1-3 it gave 17 of 30 runs against 14 but 3 of 6 cells against
        4 (CMDP 2 at scale 100 moved to J_C / d 1.053), mean J_C / d 1.052 against 1.054: the
        gain there is not large. So it is SAC-Lag's default under RELATIVE (0.5.6), and off
        (SAFERL_RL_NONE, the rule before, bit for bit) for TD3-Lag, discrete SAC-Lag and under
        COST_UNITS, where it was not measured then. Measured since (README: CMDPs 1-3, held out
        19-21, a rule written first): TD3-Lag lost held out (5 of 30 runs against 8) and discrete
        SAC-Lag tied (45 of 45 either way, though 45 of 45 against 27 on CMDPs 1-3), so both stay
        off. It costs an actor and a cost-critic forward pass over batch_size rows per
        finished episode.
        The log-space multiplier (lagrange_space LOG). Adam moves the integral by about
        lagrange_lr an episode whatever lambda*'s size, so a CMDP whose price lambda* w is 3-4
        times the others' reaches it only after the averaging window has opened (discrete
        SAC-Lag on random CMDP 26: steps 10,300-12,600 of 20,000; README). SAC learns its own
        multiplier, the temperature, in log space (Haarnoja et al. 2018, "Soft Actor-Critic
        Algorithms and Applications": the loss -log(alpha) times the entropy gap, Adam on log
        alpha), which makes Adam's steps relative: the time to reach lambda* grows with
        log(lambda* / lambda_0), not lambda*. The same here: nu_i = log of the integral, Adam
        (lagrange_lr, the same moments) on the gradient -e_i, the violation the integral
        ascends, not multiplied by lambda; the integral is exp(nu_i) and lambda_i = max(0,
        exp(nu_i) + the terms above) as before. lambda_0 cannot be 0: lagrange_init, whose 0
        means 1 here, the neutral price of a pure-number lambda (w already scales the cost
        critic to the reward's spread, so 1 prices a unit of cost per limit like a unit of
        reward) and SAC's initial temperature. nu is held within log lambda_0 +- log 1e4, so
        lambda is never 0 but can fall to 1e-4 lambda_0, no price that matters; the floor
        bounds a slack constraint's windup (back in at most log(1e4) / lagrange_lr = 921 full
        Adam steps) and the ceiling keeps lambda Q_C finite. All this was fixed with its
        adoption rule before any held-out run (README.md): developed on CMDPs 25-30, held
        out on new CMDPs 37-42, seeds 1-5, discrete SAC-Lag under RELATIVE. Held out it won:
        28 of 30 runs within the target against 25, every cell within it either way. On
        development it passed fewer runs (22 of 30 against 26; cost misses just above d, at
        lambda 0.29-1.33, where its steps are the smaller: three the lag, four a policy
        swinging at a steady price; README) but every cell against 5 of 6 (CMDP 26's cell
        J_C / d 1.003 against 1.073). So it is discrete SAC-Lag's default under RELATIVE
        (0.5.7); LINEAR, the integral itself, stays the default of TD3-Lag, SAC-Lag and
        COST_UNITS (SAFERL_RL_LAGRANGE_LINEAR gives 0.5.6's bits everywhere). Continuous
        SAC-Lag under RELATIVE lost with LOG held out (0.5.8, a rule written first: new CMDPs
        43-48, scales 1 and 100, 46 of 60 runs within the target against 52, 11 of 12 cells
        against 12); TD3-Lag and COST_UNITS were not measured so.
        A saturated actor (presquash_penalty, inverting_gradients; 0.5.10). A squashed actor's
        every gradient reaches its output times 1 - tanh(x)^2; where the optimum of a state is
        a vertex of the action box (the random CMDPs' mixture map: README), a deterministic
        actor that reaches a vertex saturates, and when the price moves so that another vertex
        becomes the better one the gradient that should carry it there is near 0. Two remedies
        from the literature, both off by default. presquash_penalty c adds c/2 times the mean
        square of the outputs before the squash (SAC: the means and the clamped log stds) to
        the actor's loss, inside the Lagrangian's normaliser 1 / (1 + sum_i lambda_i) as SAC's
        alpha log pi is: the regulariser of SAC's original code (Haarnoja et al., ICML 2018;
        their GaussianPolicy's reg = 1e-3 on both terms, added to the policy loss), which keeps
        the outputs from running off to where tanh is flat. inverting_gradients (TD3, TD3-Lag)
        replaces the tanh by a linear output p and scales the critic's gradient in p by
        (1 - p) / 2 where it asks p to rise and by (p + 1) / 2 where it asks p to fall, so it
        fades at a bound and turns p back from beyond it (Hausknecht and Stone, ICLR 2016, "Deep
        Reinforcement Learning in Parameterized Action Space", inverting gradients); the action
        is p clipped to [-1, 1] (acting, the target actor) and the critic in the actor's loss
        reads p itself. Both were fixed from their sources (c = 1e-3, the bounds +-1) with the
        adoption rule before any run (README.md, "A saturated actor"): on the random CMDPs'
        mixture map, development CMDPs 1-6, seeds 1-3, a candidate went on to held-out CMDPs
        only if it passed more runs than its row's default (6 of 18 for each row). None did:
        TD3-Lag inverting its gradients 5 of 18, with the penalty 3; SAC-Lag with the penalty
        5. Inverting removed TD3-Lag's saturation (no visited state below 1 - a^2 = 1e-2,
        against 87 of 104 state-runs by default) yet its actor still sat away from the vertex
        its price asked for in about half the states it visits, where the critics' slope at its
        own action pointed against the exact one in about two of five window lines: saturation
        is present but is not what holds it off the target there. So both stay off (0 and 0: tanh, no penalty,
        the bits before); the penalty costs a pass over the actor's outputs per actor update.
        More gradient steps (gradient_steps; 0.5.11). Where the critics' slope in the action at
        the actor's own action points the wrong way, the standard remedy is more fitting per
        sample: G calls of the full update per environment step (Stable-Baselines3's
        gradient_steps; REDQ, Chen et al. ICLR 2021, G = 20 with ten critics; DroQ, Hiraoka et
        al. ICLR 2022). Each call is the whole update, so TD3's actor and targets still move
        every policy_delay critic steps, as in TD3's paper, and SAC's temperature every call;
        the work per environment step grows G-fold. Default 1. On the random CMDPs' mixture map
        (README, "More gradient steps?", a rule written first), development CMDPs 1-6, seeds 1-3:
        TD3-Lag passed 3 and 2 of 18 runs at G = 2 and 4 against 6 by default, its cost
        overshooting further the more it updates, so it went no further; SAC-Lag 9 and 9
        against 6 (cells 2 and 3 of 6 against 2), and G = 4 went on to held-out CMDPs 61-66
        against the default (CMDPs 61-66, seeds 1-5, scales 1 and 100): 12 of 60 runs and 2 of
        12 cells against 20 and 4, so not adopted. Two more remedies for that slope, each
        under a rule written first, left the defaults as they are (README, "A wider
        behaviour?" and "Smooth networks?"): TD3-Lag's exploration_noise 0.2 and 0.3 (1 and 6
        development runs of 18 against 6), and tanh_hidden 1 (TD3-Lag 6 against 6; SAC-Lag 12
        against 6 in development, then 8 of 60 held-out runs on CMDPs 67-72 against 21).
        SAC-Lag's misses there were mostly the test's budget: at 60,000 steps instead of 20,000
        it passed 56 of 60 held-out runs on CMDPs 73-78 and 12 of 12 cells, against 38 and 10
        (a rule written first; README, "A longer budget?"), so the test now runs it that long
        on the mixture map.
        TD3-Lag's are not a budget: with more steps its cost swings from above d to below it.
        Nor its cost critic's bias: with twin_cost_critics 1 it passed 2 of 18 development runs
        against 6, above 1.05 d in 12; nor its target policy smoothing: with none (target_noise
        1e-6) it passed 4, above 1.05 d in 11. And SAC-Lag's remaining misses, mostly by the return,
        are not its entropy target's alone: -4 and -8 instead of -action_dim passed 12 and 10
        of 18 development runs against 14 (rules written first; README).
        Several constraints (cost_count 1..8, the environment's costs, a limit each, all
        required): a cost critic, its target and a multiplier per constraint; the actor's loss
        adds sum_i lambda_i w_i Q_Ci and is divided by (1 + sum_i lambda_i).
        The iterate mixture (0.5.9, saferl_rl_iterate_mixture): the mixture LP over evaluated
        snapshots of the actor, delivered per episode. Its defaults (a snapshot every 2000
        steps, 5 kept, 400 deterministic evaluation episodes each, about 41,000 evaluation
        steps in a 20,000-step run) were chosen on CMDPs 1-6 (18 settings, a rule written
        first); held out on new CMDPs 49-54 (seeds 1-5, scales 1 and 100) it did not win by
        its rule against the window's mean: SAC-Lag 52 of 60 runs either way, 9 of 12 cells
        against 12; TD3-Lag 14 of 60 against 12, 3 of 12 cells against 4. Every SAC-Lag miss
        held out was a run whose five snapshots were all estimated above d (README). So it is
        an API, not the rows' reported figure.
      * M2TD3 (Tanabe et al., NeurIPS 2022; as the paper and akimotolab/M2TD3): max over pi of
        min over omega in Omega of J(pi, omega). The twin critics take omega as a third input,
        Q(s, a, omega), learnt from transitions stored with their episode's omega; the target
        smooths omega too (omega + clip(0.2 h N, +-0.5 h), clipped to Omega; h the half-width).
        K = 5 candidates omega_hat_k: at each actor step the one of least mean Q1(s, pi(s),
        omega_hat_k) is the worst; the actor ascends Q1 at it, and it descends Q1 (Adam, lr
        3e-4, in box coordinates u = (omega - lo) / (hi - lo), projected onto [0, 1]: the
        paper's projected gradient step; the code's sigmoid parametrisation differs). Each
        candidate's probability p_k <- (1 - c) p_k + c [k was the worst], c = 1 / the last
        episode's length. At each reset after the random steps: candidates within L1 0.1 of
        another (box coordinates), then those with p_k < 0.05, are redrawn uniformly (p_k the
        others' mean); a candidate drawn by p plus N(0, sigma^2 h^2), sigma annealed linearly
        1 -> 0.1 over omega_schedule_steps (the paper's schedule; the official M2TD3 code
        never calls its annealing, its Soft-M2TD3 does), clipped to Omega, is the episode's
        omega. The random steps draw omega uniformly. The policy does not see omega.
      * DR-TD3: TD3 on omega uniform on Omega at each reset; its critics do not take omega.
      * Discrete SAC (Christodoulou, "Soft Actor-Critic for Discrete Action Settings", 2019):
        the actor gives the logits of pi(.|s) over action_count actions, each critic Q(s, .) a
        value per action, so every expectation over actions is a sum instead of a sample: the
        target's soft value sum_a' pi(a'|s') (min_i Q_i'(s', a') - alpha log pi(a'|s')), the
        policy loss sum_a pi(a|s) (alpha log pi(a|s) - min_i Q_i(s, a)) (no reparametrisation),
        the temperature's loss -log alpha (sum_a pi log pi + target entropy). The paper's
        target entropy 0.98 log action_count is the default; it keeps the policy close to
        uniform, so a problem whose optimum is deterministic wants a smaller one. The
        Lagrangian form adds sum_i lambda_i Q_Ci(s, a) inside the policy's sum (over 1 + sum_i
        lambda_i) and a cost critic per constraint with target c + gamma_c sum_a' pi Q_C'.
      * done is the environment's terminated flag: truncated transitions bootstrap.

   ENVIRONMENTS (what each built-in is, and where it departs from its model)
      cartpole   Gym's CartPole-v1 dynamics (g 9.8, cart 1.0 kg, pole 0.1 kg, half-length 0.5,
                 force +-10 N, Euler with tau 0.02), start state U[-0.05, 0.05]^4, reward 1 a
                 step, terminated at |x| > 2.4 or |theta| > 12 degrees, truncated at 500 steps.
                 Cost 1 for every step with |x| > 1.0 (CartSafe's position cost on the
                 balancing task). Discrete(2). "Solved" is Gym's v1 level: the mean return of
                 the last 100 episodes >= 475. Observation (x, x', theta, theta').
      pointgoal  Safety-Gymnasium's PointGoal1 without MuJoCo: arena [-1.5, 1.5]^2 (here with
                 walls), 8 hazards of radius 0.2, a goal of radius 0.3 re-drawn when reached,
                 reward (previous goal distance - distance) + 1 on reaching the goal, cost 1
                 while inside a hazard (the indicator cost), 1000 steps. The point is a
                 unicycle: a in [-1,1]^2, forward acceleration 2 a0 m/s^2 with linear drag 4/s,
                 yaw rate 3 a1 rad/s, dt 0.02. Observation (35): forward and lateral velocity,
                 yaw rate, then 16-bin pseudo-lidars for the goal and the hazards with
                 Safety-Gymnasium's value max(0, 3 - distance) / 3 and aliasing into the
                 neighbour bins. Departures: no vase (unconstrained at level 1), no
                 accelerometer / magnetometer, kinematics instead of contact physics.
      gridworld  AI-Safety-Gridworlds' lava world (distributional shift, 7x9, training layout):
                 reward -1 a move and +50 at the goal (episode ends); lava gives cost 1 per
                 step on it instead of the -50 and termination, so crossing it is a real
                 trade-off; slip probability 0.1 (a uniformly random action); truncated at 50
                 steps. Discrete(4); observation one-hot over the 63 cells.
      pendulum   Safe Pendulum of CRABS / OmniSafe (SafeClassicPendulum): Gym pendulum
                 (g 10, m 1, l 1, dt 0.05, |theta'| <= 8, torque 2 a), start (0.3, -0.9),
                 reward -theta^2, cost 1 and termination when |theta| > 1.5, 200 steps.
                 Observation (cos theta, sin theta, theta' / 8); a in [-1, 1].
      pendulum-v1  Gym's Pendulum-v1 (swing-up), its equations: th' += (3 g / (2 l) sin th
                 + 3 / (m l^2) u) dt, clipped to |th'| <= 8, then th += th' dt; g 10, m 1,
                 l 1, dt 0.05, torque u = 2 a (a in [-1, 1] clipped, so |u| <= 2); reward
                 -(th_n^2 + 0.1 th'^2 + 0.001 u^2) on the state before the step, th_n th
                 wrapped into [-pi, pi); start th ~ U[-pi, pi], th' ~ U[-1, 1]; never
                 terminated, truncated at 200 steps; no cost (0). Observation (cos th,
                 sin th, th') as Gym's (th' not scaled). Only departure: the action is Gym's
                 torque divided by 2, as every continuous built-in acts in [-1, 1].
      cliff      The tabular CMDP: CliffWalking on 4 rows x 6 columns, start bottom left, goal
                 bottom right, cliff between them. Reward -1 a step; stepping into the cliff
                 costs 1 and returns the agent to the start (no reward penalty); slip
                 probability 0.1; truncated at 100 steps. Discrete(4); one-hot observation
                 over the 24 cells. saferl_rl_cliff_model gives its P, r, c, so the
                 constrained optimum is one linear program (tests/ solves it).
      runner     A velocity-cost locomotion task after Safety-Gymnasium's velocity tasks
                 (Ant, HalfCheetah, ... Velocity: reward the forward speed less 0.1 |a|^2, cost 1
                 on every step faster than a threshold set at half the top speed), MuJoCo-free:
                 a body on a line, thrust a in [-1, 1] with a gait, v += dt (4 a (1 + 0.5 sin
                 phase) - 2 v) + 0.2 sqrt(dt) N(0, 1), the phase advancing 2 pi per 0.5 m run,
                 dt 0.05, so the top speed is about 2 m/s. Reward v - 0.1 a^2 a step; cost 1
                 when v > 1 m/s after the step; starts at rest with a random phase; never
                 terminated, truncated at 200 steps. Observation (v, sin phase, cos phase).
                 An episode's cost is nearly fixed by the policy (the kick is small against the
                 200 steps' average). Departures: no joints, contacts or falls (nothing ends an
                 episode), one dimension, 200 steps instead of 1000.
      Continuous actions are in [-1, 1] per dimension; the built-ins clip. Discrete actions
      are passed as action[0] = the index (a small whole number in float).
      Uncertainty parameters omega, taken at reset (saferl_rl_builtin_set_omega), nominal
      value first, box Omega after it; every other constant stays as above:
        cartpole     pole mass 0.1 in [0.05, 0.5] kg, pole half-length 0.5 in [0.25, 1.0] m
        pendulum     mass 1 in [0.5, 1.5] kg, length 1 in [0.5, 1.5] m (both pendulums)

   ALGORITHMS (the papers' rules; where OmniSafe's code departs we follow the paper)
      Each algorithm is one row of the implementation's table (saferl_rl__algorithms): its
      multiplier rule (none, dual ascent, PID), how the reward step's advantage mixes in the
      cost, its trust-region rule if it takes a second-order step, the reference its KL is
      measured from, and its update_actor. saferl_rl_agent_epoch is the same for all: rollout
      -> advantages -> multiplier update -> the row's update_actor -> the critics (inside the
      first-order rows' minibatch passes, in passes of their own after a trust-region step).
      * GAE for reward and cost: delta_t = x_t + gamma V(s_t+1) - V(s_t), A_t = sum_k
        (gamma lambda)^k delta_t+k, targets A_t + V(s_t); the bootstrap is 0 on termination,
        V(final observation) on truncation, V(current observation) at the end of an epoch.
        The cost uses its own cost_gamma / cost_lambda (OmniSafe silently uses the reward
        gamma for the cost; both default to 0.99 / 0.95 here, so the defaults agree).
        cost_lambda 0.5 for CPO, PCPO and TRPO-Lag (less return noise in A_C: on CMDP 2 CPO's
        predicted change of J_C came 4-5 times closer to the exact one) was validated on
        held-out CMDPs and lost (the runs end under d and further from the best return;
        README), so 0.95 stays the default for every row. With J_C over the episode window
        beside it, CPO won on held-out CMDPs 7-9 but lost on CartPole (500-step episodes: the
        window spans up to 25 epochs), so neither is CPO's default (README).
      * Advantages once per epoch as OmniSafe: reward standardised, cost only centred.
      * PPO (Schulman et al. 2017): L = -mean(min(rho A, clip(rho, 1-eps, 1+eps) A)), eps 0.2,
        update_iters passes of shuffled minibatches, early stop when the batch mean of
        KL(pi_old || pi) (summed over action dimensions) exceeds target_kl after a pass;
        critics: MSE + critic_norm_coef |theta|^2 in the same minibatch loop; Adam; gradient
        norm clipped per network.
      * PPO-Lag (Ray, Achiam, Amodei 2019): once per epoch, BEFORE the policy update,
        lambda <- max(0, lambda + lambda_lr e), e the violation of J_C, the mean undiscounted
        cost of the epoch's finished episodes (see "the cost estimate" and "multiplier scale"
        below); then A = (A_R - lambda A_C) / (1 + lambda). This is the paper's projected gradient
        step; OmniSafe steps lambda with Adam (lr 0.035), which moves it by about +-lr
        whatever the violation: lambda_optimizer = SAFERL_RL_LAMBDA_ADAM gives that.
      * PID-Lag (Stooke, Achiam, Abbeel 2020, Algorithm 2): e the violation, I <- max(0, I +
        e), D = max(0, e - e_prev), lambda = max(0, Kp e + Ki I + Kd D), same mixed
        advantage. OmniSafe (like rlpyt) also smooths e and J_C by EMAs (alpha 0.95) and
        takes D against a 10-epoch delay: pid_ema_alpha and pid_delay give that; the
        defaults are the paper's (no smoothing, delay 1).
      * Multiplier scale (multiplier_scale). The papers' lambda is measured per unit of cost:
        e = J_C - d, A_C only centred, so lambda* and every step size (OmniSafe's lambda_lr
        0.035, PID gains 0.1 / 0.01 / 0.01, FOCOPS / CUP's bound 2) hold for one cost scale
        (Safety-Gym's, d = 25). With costs 100 times larger the same step is 100 times larger
        and lambda* 100 times smaller, so the dual step is 10^4 times too large relative to
        it; on random tabular CMDPs (tests/test_rl.c) PPO-Lag with those defaults ended below
        the LP's return at cost scale 100 (and above d at scale 1, per the issue's user).
        The default, SAFERL_RL_MULTIPLIER_RELATIVE, makes lambda a pure number on any cost
        scale, in the spirit of Stooke et al.'s reward-scale invariance: (1) the cost
        advantages the multiplier weighs are standardised like the reward's (divided by
        their standard deviation over the batch; zero when the batch met no cost, as they
        are then only the critic's error), so lambda weighs two unit-scale signals; (2) the
        violation is relative, e = (J_C - d) / max(|J_C|, |d|): the step is measured
        against the limit or, when the cost is above it, the cost itself, never against d
        alone, so d = 0 works (any cost gives e = 1, lambda climbs by lambda_lr an epoch
        until the cost is 0; J_C = d = 0 gives 0); e lies in [-1, 1) for costs >= 0, so
        an overshoot is undone at a bounded rate. Defaults: lambda_lr 2, PID Kp 1, Ki 2, Kd
        0, FOCOPS / CUP's nu unbounded (a bound can make a reachable limit unreachable: with
        OmniSafe's 2, CUP ended at 1.4 d on one development CMDP). They were chosen on
        development CMDPs (generator seeds 101-103, 2 seeds, lambda_lr 0.2 .. 5) before the
        test grid (seeds 1-3) was run; bench/run_rl.sh prints that grid. Several
        constraints: the same per constraint.
        What holds the RL page's CartPole run back (PPO-Lag, d = 10, 15 epochs of 2000
        steps; the last 100 episodes' mean cost ends at 27 / 5 / 44 on seeds 1-3), measured
        on those seeds (bench_rl lambda): (a) lambda* is small: lambda held at 1 from the
        start ends at 9 / 14 / 9, at 3 at 5 / 1.4 / 1.1; (b) the cost does not creep up, it
        jumps: the epoch's J_C goes 0.1 -> 4.6 -> 29 -> 48 (seed 1) as episodes lengthen,
        while the cost-free early epochs (e = -1) have held lambda at 0; (c) timing
        decides: lambda set to 3 at the update of the first epoch whose J_C exceeds d (seed
        1's 4th) ends at 0.9, set one epoch later at 47 (the actor, once it has learnt to
        drift, unlearns slowly: at lambda 3 seed 1's epoch cost is above d in 10 of the 11
        epochs to 15; lambda 30 brings it under d in 2 epochs from epoch 5, in none of 15
        from epoch 6), where the capped e lets lambda rise by less than lambda_lr an epoch
        (1.3, 2.9, 4.4 on seed 1); (d) J_C is noisy (4 to 9 episodes an epoch; 0 to 100
        epoch to epoch). A lambda warm start (safety-starter-agents' lambda_0 = 1) does not
        help: the cost-free epochs undo it in one step; OmniSafe's slow Adam step keeps it
        but rises too slowly (26 / 12 / 5 with lambda_0 = 1, lr 0.05). The candidate chosen
        from this before any held-out run, the papers' step in units of the limit, e =
        (J_C - d) / |d| (uncapped, so the push grows with the overshoot; e = 1 for any cost
        when d = 0), was validated and is NOT the default: it met the limit on 9 of the 10
        held-out CartPole seeds (4-13; the capped rule 4) at a lower return (mean 174
        against 212), was ahead on the CMDP grid per run and behind per cell (README.md),
        and on the lava gridworld (d = 0.5, costs around 7 d at first) its first push of
        lambda to about 28, undone at lambda_lr an epoch, wrecked the return (the page's
        default run: -48 / -48 / 30 on seeds 1-3 against 37 / 35 / 37): a limit far below
        the cost's early size makes the uncapped push too large. Nothing was tuned after
        that run. SAFERL_RL_MULTIPLIER_COST_UNITS keeps the papers' units and OmniSafe's
        defaults (bit for bit the previous releases' results).
      * The proportional term (lambda_kp). The page's CartPole run needs lambda to rise fast on
        a large violation, the gridworld's to fall fast once the cost is under d: integrating
        the violation serves one or the other, depending on the cap. What the literature does
        for exactly this: (1) Stooke et al.'s PID Lagrangian adds a proportional term, Kp e,
        that answers the present violation without integrating it, so it vanishes when the
        cost drops (OmniSafe's PIDLagrangian, checked in its code: Kp 0.1, Ki 0.01, Kd 0.01,
        EMAs 0.95 on e and on J_C, the derivative against a 10-epoch delay, the integral
        clipped at 0 (and to [0, 1] with diff_norm), the output at penalty_max 100 unless
        sum_norm or diff_norm; its CPPO-PID config sets sum_norm, so no cap); (2) a
        multiplicative (log-space) step, lambda <- lambda exp(lr e), rises by a factor an
        epoch, but from where the cost-free epochs leave lambda (near 0) the 8 e-folds from
        0.001 to 3 take too many epochs, and lambda never returns to 0; (3) OmniSafe's
        lagrangian_upper_bound (2 for FOCOPS and CUP, none for PPO-Lag) bounds an overshoot
        but does not speed the rise, and a bound can make a reachable limit unreachable (CUP
        above). Chosen, (1) in the form the asymmetry asks for: the dual ascent rows (PPO-Lag,
        TRPO-Lag, FOCOPS, CUP) keep their integral, the dual ascent on the capped relative
        violation above (an overshoot is still undone at lambda_lr an epoch at most, and the
        integral never holds more than that), and apply lambda = max(0, integral + lambda_kp
        e_p), e_p = (J_C - d) / |d| uncapped (the relative violation when d = 0; J_C - d in
        cost units; FOCOPS and CUP's at most 1 since 0.5.4, "bounded push"), projected as the
        integral is. The push grows with the overshoot and is
        gone the epoch the cost is back under d (it is negative below d, at most lambda_kp:
        Stooke et al.'s symmetric term). lambda_kp 1: one unit of lambda per limit of
        overshoot, the PID row's Kp; by the diagnosis above seed 1's first epoch over d (J_C
        29) would get 2 x 0.66 + 1.9 = 3.2 where 3 was enough, and the gridworld's early 7 d
        gives a push of 6 only while the cost is there. Fixed before any held-out run (PID-Lag
        is unchanged: its Kp acts on the capped violation), then validated against lambda_kp
        none, the rule before (README.md has the tables): the CMDP grid, 273 of 315 runs within
        the target against 262 and 60 of 63 cells as before (PPO-Lag 44 runs against 40,
        TRPO-Lag 35 / 32, FOCOPS 44 / 41, CUP 34 / 33; the other rows are unchanged); the page's
        gridworld default (seeds 1-3) still well under d, cost 0.21 / 0.14 / 0.12 and return 36
        / 32 / 40 against 0.06 / 0.08 / 0.11 and 37 / 35 / 37; the page's CartPole run at d =
        10: under d at epoch 15 on 4 of the held-out seeds 4-13, as before (mean return 219
        against 212). So lambda_kp 1 is the default (ahead on the grid, nothing worse; FOCOPS and
        CUP 10 since 0.5.2, "damping nu" below), and the
        CartPole goal is still not met: the cost's jump outruns any multiplier that answers
        J_C after the fact (seed 6's lambda stood at 10 to 15 for ten epochs while J_C stayed
        at 38 to 81). Development seeds 1-3 of that run end at 9.5 / 10.3 / 33 (27 / 5 / 44
        before). SAFERL_RL_NONE gives the rule before bit for bit.
        Why a large lambda does not bring the CartPole cost down within a few epochs, once it
        has jumped (seeds 1-3, bench_rl diagnose; README.md has the numbers): after the jump,
        lambda makes no measurable difference (the epoch's J_C falls under 1 at epoch 11 / 9 /
        11 with lambda held at 0, 12 / 11 / 12 with the default, never / 11 / 12 with 30 from
        epoch 6): the reward, teaching the cart to stay inside +-2.4, removes the drift. Not
        the mixing (the cost term's standard deviation 0.76-0.97, the reward's 0.03-0.24), nor
        PPO's KL stop (never fires) or ratio clip (1.5-10% of the rows), nor the normaliser.
        The cost critic lags (3-30 times below the Monte-Carlo cost returns), but Monte-Carlo
        targets (cost_lambda 1) or OmniSafe's 40 passes do not speed the fall. What the
        gradient can use, the part of A_C that depends on the action, is about its sampling
        noise where the cost is paid: one push barely moves the cart within GAE's 17-step
        reach. OmniSafe and safety-starter-agents build the same signal, so no rule was
        adopted. The page judges the last 100 episodes, which at 4 episodes an epoch still hold
        the jump at epoch 15 although seeds 1-3 pay no cost in epochs 12-40: the window is
        under d for good only from epoch 15 / 21 / 34.
        CPO and PCPO have no multiplier to set: their dual is solved exactly each step.
      * The cost estimate (cost_estimate): what J_C, the cost every constraint's update acts
        on (the multipliers, CPO's and PCPO's c), is the mean of. SAFERL_RL_COST_EPOCH, the
        default: the episodes that finished in this epoch, so the update answers the policy
        that just ran; an epoch that finishes none keeps the previous epoch's estimate (none
        before the first episode ends: no update of the multiplier, no CPO step). This is the
        papers' own code: Ray et al.'s safety-starter-agents (PPO-Lag, TRPO-Lag, CPO: the
        epoch logger's EpCost, emptied every epoch) and Stooke et al.'s rlpyt cppo_pid (the
        batch's finished episodes, the previous value kept when none finished). OmniSafe's
        differs: Metrics/EpCost is a window of the last 100 finished episodes (logger_cfgs.
        window_lens), which SAFERL_RL_COST_WINDOW gives (episode_window), the default with
        COST_UNITS so that it stays OmniSafe's rule and 0.4's results. A window lags when an
        epoch has few long episodes: CartPole at 2000 steps an epoch and 250-step episodes
        holds 12 epochs in 100 episodes, so the multiplier answers costs of policies long
        gone. The reported episode_return and episode_cost stay means over the window;
        cost_estimates in the epoch statistics is the J_C that was used. The multiplier
        defaults above were chosen with the window and were not chosen again for this rule;
        README.md has the CMDP grid under both.
      * Observations are normalised by running mean and standard deviation (floored at
        1e-2, clipped to +-10), updated after each rollout, saved with the policy.
      * Metrics: mean episodic return and cost over the window (stochastic training policy),
        the cost rate (all cost / all steps so far), and saferl_rl_evaluate for the
        deterministic (argmax / mean) or stochastic policy.
      * Fisher-vector products in closed (Gauss-Newton) form, exact at theta_old, no
        second-order autodiff: F v = (1/N) sum_s J^T M J v with J the Jacobian of the head
        (logits or Gaussian means), J v one forward-mode pass through the MLP and J^T u one
        backward pass; M = diag(p) - p p^T for a categorical head, diag(sigma^-2) for the
        Gaussian means, and the state-independent log sigma block is 2 I. The KL is summed
        over action dimensions and averaged over states, the convention of PPO's KL stop
        above (OmniSafe's second-order code averages over dimensions too, so its delta means
        delta * act_dim here). Damping cg_damping (0.1, OmniSafe's) is added to F. That
        number is in F's units, which depend on the parametrisation and on how peaked the
        policy is (a near-deterministic softmax's eigenvalues p (1 - p) lie far below 0.1,
        and F + 0.1 I is then nearly a plain gradient step). cg_damping_scale
        SAFERL_RL_DAMPING_RELATIVE makes it cg_damping times F's curvature along the reward
        gradient, g^T F g / g^T g (one more Fisher-vector product an epoch), so the step is
        the same for F on any scale (Levenberg-Marquardt's damping relative to the
        curvature, Martens 2010 sec. 4.1; K-FAC's in units of trace / dimension, Martens
        and Grosse 2015 sec. 6.3). Not the default: on held-out CMDPs 4-6 TRPO-Lag met the
        target in 24 of 45 runs and 7 of 9 cells against 28 and 8, PCPO 41 against 43, CPO
        38 against 37 (README); and it does not free TRPO-Lag's stalled run: the quotient is
        set by the states still undecided, and the decided ones' curvature lies ~10^10 below.
      * Conjugate gradient from x = 0, cg_iters steps (15, OmniSafe's), stop at residual
        norm < 1e-10; no epsilon in the step sizes (OmniSafe adds 1e-6): it stops instead if
        p^T F p <= 0.
      * CPO (Achiam, Held, Tamar, Abbeel 2017): g = grad mean(rho A_R), b = grad mean(rho
        A_C) at theta_old (reward advantages standardised, cost advantages centred, as for
        PPO), x = F^-1 g, p = F^-1 b by CG, then the dual's five cases (saferl_rl_cpo_dual:
        4 and 3 the TRPO step sqrt(2 delta / q) x, 2 and 1 the analytic dual solution
        D = (x - nu p) / lambda, 0 the recovery step -sqrt(2 delta / s) p). Backtracking
        theta_old + 0.8^j D, j < line_search_steps (15), accepted when mean KL <= delta
        (trust_region, 0.01), the cost surrogate grew by at most max(-c, 0) and, from a
        feasible start (cases 2..4), the reward surrogate did not decrease; else theta_old
        is kept. The critics then take update_iters passes of minibatch steps as in PPO.
        The constraint's linearisation: c = (J_C - d) / L, L the mean episode length of the
        epoch (steps / finished episodes; steps per environment when none finished). Of the
        two readings in use (OmniSafe's c = J_C - d; safety-starter-agents' division by the
        episode length) this is the second, because b is the gradient of a per-step mean
        while J_C is an episodic sum: J_C(theta) ~ J_C + L b^T (theta - theta_old), so only
        c / L + b^T D <= 0 states the paper's constraint in consistent units (with c unscaled
        a violation asks for a per-step correction L times too large, so the recovery case
        fires too early, and a slack allows L times too much per-step growth). The same c
        bounds the cost growth in the line search. The epoch
        statistics report the dual's case, the accepted step fraction and nu (in the
        lagrange_multiplier field).
      * The cost test's bound (cost_test_z, CPO and PCPO, since 0.5.6): a step that may spend
        slack (c <= 0) is accepted only if the batch's predicted change of the cost
        surrogate plus z standard errors stays within -c; a recovery step (c > 0) is tested
        on the change itself, as in the papers. The change is mean((rho - 1) A_C); its
        standard error comes from batch means over blocks of floor(sqrt(T)) consecutive steps
        of one environment (Flegal and Jones 2010; the cluster form, Liang and Zeger 1986),
        longer than GAE's reach, so the correlated advantages of nearby steps are counted.
        z = 1.645 is the one-sided 95% bound of high-confidence policy improvement (Thomas,
        Theocharous and Ghavamzadeh 2015). Why: with gamma_C = 1 and the cost lambda 0.95 a
        batch's A_C is mostly Monte-Carlo noise, so the batch cannot see how much a reward
        step really raises J_C; reward steps taken when the noisy J_C dips under d then
        raised it for real while the recovery steps, along the noise, hardly lowered it, and
        J_C settled at 1.05-1.10 d on random CMDP 2 (README). The bound lets a step spend
        slack only as far as its effect on J_C is known: a noisy A_C widens it and the line
        search shortens the step; an informative A_C leaves it narrow and the step as before.
        Withholding recovery steps too was worse on the development CMDPs (J_C stayed
        high), so they keep the papers' test. Decided on held-out CMDPs 16-18 under a rule
        fixed before the run: CPO 42 of 45 runs against 36, PCPO 40 against 38, no cell
        lost; CartPole at d = 10 (seeds 1-10) over d on no run either way (README).
        SAFERL_RL_NONE gives the rule before 0.5.6 bit for bit.
      * PCPO (Yang, Rosca, Narasimhan, Ramadge 2020, eq. 8) with the KL projection (L = F, the
        projection in the Fisher metric, which the paper recommends when projecting the policy
        distribution; the L2 projection in parameter space, L = I, is not offered): the TRPO
        reward step sqrt(2 delta / q) x, then theta is projected onto the linearised constraint
        set {c + b^T D <= 0}: D = sqrt(2 delta / q) x - max(0, (sqrt(2 delta / q) r + c) / s) p,
        with the same g, b, x, p, q, r, s and the same scaled c as CPO (saferl_rl_pcpo_step).
        OmniSafe's PCPO multiplies by F where the paper has F^-1 in the reward step; we follow
        the paper. The paper takes the closed-form step; like OmniSafe we backtrack it with
        CPO's rule without the reward test (KL <= delta and the cost surrogate grew by at most
        max(-c, 0)), so the step never leaves the trust region (from an infeasible start the
        projection can carry it outside). The statistics report case 1 when the projection
        moved the step, 3 when not, and the projection's multiplier in lagrange_multiplier.
      * TRPO-Lagrangian (Ray, Achiam, Amodei 2019): lambda updated once per epoch exactly as
        PPO-Lag (same rule, same lambda_optimizer), the same mixed advantage
        (A_R - lambda A_C) / (1 + lambda), then one TRPO step on it: x = F^-1 g by CG,
        D = sqrt(2 delta / q) x (CPO's case 4), backtracked until mean KL <= delta and the
        mixed surrogate did not decrease.
      All three second-order methods share one routine (gradients, CG, step, line search),
      then train the critics as PPO does.
      * FOCOPS (Zhang, Vuong, Ross 2020): nu first, as PPO-Lag's lambda (lambda_lr,
        lambda_optimizer, the proportional term at lambda_kp 10: "damping nu", its push bounded: "bounded push") and then projected onto [0, lagrange_max] (the paper's nu_max;
        none by default, OmniSafe's 2 in cost units); the advantage A = A_R - nu A_C as in the paper (OmniSafe divides by
        1 + nu); then update_iters passes of minibatch Adam steps on
        mean((KL(pi || pi_old)(s) - rho A / focops_temperature) 1[KL(pi || pi_old)(s) <=
        focops_kl_bound]), the indicator held fixed (temperature 1.5 and bound 0.02, the
        paper's lambda and delta), the critics in the same loop, and PPO's early stop on the
        batch's mean KL(pi_old || pi) > target_kl. KL(pi || pi_old) is the per-state KL of
        the trained policy from the rollout's, summed over action dimensions.
      * CUP (Yang et al. 2022): nu as FOCOPS (same bound). Stage 1, policy improvement: PPO's
        passes on the standardised A_R alone, with the critics and the KL stop. Stage 2,
        projection: the actor after stage 1 is the mid-point pi_mid; update_iters passes of
        minibatch steps on mean(nu k rho A_C + KL(pi || pi_mid)(s)), rho against the rollout's
        policy, A_C centred, stopped when the batch's mean KL(pi_mid || pi) > target_kl (as
        OmniSafe; its target_kl for CUP is 0.01, ours stays the desc's). The paper's weight
        is k = (1 - gamma lambda) / (1 - gamma) with the cost's gamma and lambda; 1 / (1 -
        gamma) is the discounted horizon, which is infinite at gamma = 1, so we use the
        horizon of the epoch's mean episode, k = (1 - gamma lambda)(1 - gamma^L) / (1 -
        gamma) (L the mean episode length, as CPO's scaling): the paper's value for long
        episodes, (1 - lambda) L at gamma = 1.
      Both first-order projections move the policy less per epoch than PPO's clipped step:
      on the tabular CMDP they need more epochs and a smaller actor_lr to reach the LP
      optimum (tests/test_rl.c says what was used).
      * Damping nu (FOCOPS, CUP: lambda_kp 10 by default, since 0.5.2; the other dual ascent
        rows keep 1). With lambda_kp 1 CUP's nu cycled instead of settling (CMDP 1, scale 1,
        seed 1, epochs 31-150, test_rl --cmdp-trace-trust): 0 -> 7.5 -> 0 about every 50
        epochs, 0 in 36 of the 120, the exact J_C swinging 0.35-1.26 d (sd 0.31 d), so a
        run's verdict depended on where its last epochs fell. Why: the policy integrates nu
        (a least-squares fit of the exact change of J_C an epoch gives -b (nu - nu*), b
        0.018 d an epoch per unit of nu, nu* 2.2) and the dual ascent integrates the
        violation, so the loop is a double integrator whose only damping is the
        proportional term: damping ratio lambda_kp sqrt(b) / (2 sqrt(lambda_lr)), 0.05 at
        lambda_kp 1. Stooke et al.'s remedy for the Lagrangian's oscillation is that term's
        gain (the same code path as every dual ascent row; only the default differs); 10
        gives a ratio of about 0.5, and the same run's nu is then 0 in 9 epochs, J_C
        0.67-1.15 d (sd 0.10 d, the estimate's own noise). Not chosen: Stooke et al.'s
        derivative term on the cost (Kd max(0, J_C - J_C_prev) / |d|): on an integrating
        policy it rescales the integral gain and does not damp (J_C sd 0.29 / 0.26 d at Kd
        3 / 10 in that run); a larger gain: lambda_kp times the estimate's noise (30 x 0.11
        d) exceeds nu* and the projection at 0 turns it into bang-bang (nu 0 in 48 epochs at
        30; FOCOPS 32 of 45 development runs). OmniSafe's CUP and FOCOPS have neither term
        (Adam at 0.035 on nu in cost units, bounded by 2). Decided on CMDPs 1-3, then
        validated once on CMDPs 4-6 (adopt with more runs for the two rows together and no
        cell newly missed): CUP 43 of 45 runs and 9 of 9 cells against 36 and 8, FOCOPS 44
        and 9 against 37 and 9 (README.md has every cell). lambda_kp 1 gives the rule
        before bit for bit wherever J_C stays under 2 d (everywhere before 0.5.4's bound,
        below). The price, seen after adopting it and not tuned away: where the first
        epochs' cost is many times d the push was as large (the RL page's cliff, d = 0.2,
        first epoch 55 d: nu 547 against 56), and the short page runs ended further from the
        best return while the policy recovered; FOCOPS's gridworld seed 1, the page's
        default, ended over d (0.56, d = 0.5). Hence the bound:
      * Bounded push (FOCOPS, CUP, since 0.5.4): their e_p is clipped at 1 (J_C = 2 d), so
        the push lies in [-lambda_kp, lambda_kp]. The damping ratio above is a linearisation
        at J_C = d and needs only e_p's slope there; e_p is unchanged on [0, 2 d], which holds
        the traced cycle (0.35-1.26 d) and the estimate's noise (0.10 d), so the damping is
        too; beyond 2 d the linear model does not hold (the policy moves at most its trust
        region an epoch, whatever nu is), and a larger push only buys recovery. 1 is the
        bound the integral's capped violation already has, and the push's bound below d
        (e_p >= -1 for costs >= 0). Fixed from that argument before any run, with the
        adoption rule (held-out CMDPs 4-6: no fewer runs within target, no cell newly missed,
        for each row; and the page's default run back under d). The CMDP grid never reaches
        2 d: CMDPs 1-6 give 0.5.3's results bit for bit (FOCOPS 44 and 44 of 45 runs, CUP 37
        and 43; 9 of 9 cells each). The page's runs do (cliff, first epoch: nu 12 against
        547); 2000 steps an epoch, seeds 1-3, the last 100 episodes at the end: FOCOPS
        gridworld (15 epochs) cost 0.27 / 0.20 / 0.13, return -4 / 35 / 27, against 0.56 /
        0.34 / 0.31 and -48 / 9 / 9 (seed 1 back under d); CUP gridworld return 33 / 36 / 39
        against 17 / 33 / 35; the cliff (15 epochs) FOCOPS -93 / -27 / -56 against -32 / -96
        / -67, CUP -9 / -52 / -33 against -32 / -37 / -38, still below lambda_kp 1's (-17 /
        -21 / -18, -12 / -14 / -16) with a first push smaller than its 56 (not diagnosed);
        the Safe Pendulum (30 epochs) better on all six runs; CartPole (35 epochs) within
        the seeds' spread, but FOCOPS's seed 1 ends at cost 9.1 (d = 10; 0 before). All end at
        or under d (CUP's cliff seed 1 at d). README.md has every run.
      * Flipping-based policies (Shen et al. 2024, section 4.3): train policies at several
        cost limits with any algorithm here, evaluate each one's return J_i and constraint F_i
        (expected episodic cost, or the probability that an episode has any cost: the chance
        constraint's violation), then saferl_rl_mixture_solve: max sum w_i J_i subject to
        sum w_i F_i <= limit, sum w_i = 1, w >= 0, solved exactly by its vertices (at most two
        policies, Theorem 7). The theory mixes per episode (one coin per episode: the mixture's
        J and F are exactly the weighted averages); the paper's Algorithm 2 flips at every
        step, which runs the stationary policy w pi_1 + (1 - w) pi_2 instead: another
        trajectory distribution, whose J and F the LP does not predict. On the cliff CMDP
        with the top route and the route along the cliff mixed for d = 0.07 (tests/test_rl.c),
        per episode gives the LP's -11.07 at cost 0.070 and per step -19.85 at cost 0.093.
        saferl_rl_flip_policy offers both (SAFERL_RL_FLIP_PER_EPISODE is the default).
        The paper's numerical example (reward 1.83 against 0.87 for the best deterministic
        policy at a 17% violation probability) is not reproduced: its environment's geometry
        is not given in enough detail to rebuild it. That cliff mixture is the stand-in the
        unit test computes; tests/oracle/rl.sh checks the LP against scipy's linprog.
      * Several constraints (an environment with cost_count = k <= 8, a limit each in the
        desc): every cost has its own critic, GAE and window estimate J_Ci. The Lagrangian rows
        keep a multiplier per constraint, each updated by its own rule from its own violation
        (PID: a controller each); the mixed advantage is (A_R - sum_i lambda_i A_Ci) / (1 +
        sum_i lambda_i) (FOCOPS: A_R - sum_i nu_i A_Ci), CUP's projection weighs each A_Ci by
        its nu_i. CPO and PCPO take one constraint: with k > 1 CPO's dual (Achiam et al.,
        appendix 10.2) and PCPO's projection onto the intersection of k half-spaces are small
        quadratic programs that are not solved here, so a desc asking for them is refused
        ("cost_count: ..."). saferl_rl_evaluate, the flipping and dataset helpers measure
        the first cost. tests/test_rl.c checks PPO-Lag and TRPO-Lag on random two-cost
        CMDPs against their exact LP.
      Return-conditioned policies (offline, supervised) have their own section below (RCSL).

   POLICY FORMAT (version 1; all integers uint32 and floats IEEE-754 binary32, little endian)
      offset 0   magic "SRLP"            4   format version (1)
             8   observation_dim         12  action kind (0 discrete, 1 Gaussian)
             16  action_dim (count of actions if discrete)
             20  activation (0 tanh, 1 relu)   24  layer_count L (1..8)
             28  sizes[0..L] (sizes[0] = observation_dim, sizes[L] = action_dim)
             then the parameters: per layer weight (out x in, row-major) and bias (out);
             for a Gaussian log_std (action_dim); then obs_mean and obs_std (observation_dim
             each; std 1 and mean 0 when no normalisation); then a CRC-32 (IEEE) of every
             byte before it. Sizes are at most 4096 a layer. The loader rejects another
             magic or a bad checksum (SAFERL_ERR_CORRUPT), another version
             (SAFERL_ERR_VERSION), a short buffer (SAFERL_ERR_CORRUPT), non-finite values and
             finite weights that could make an activation or action overflow for some input
             in the normaliser's clip box (an interval bound; SAFERL_ERR_NOT_FINITE) before it
             writes anything.

   CHECKPOINT FORMAT ("SRLK", version 11; the whole training state of saferl_rl_agent)
      offset 0   magic "SRLK"   4 format version (11; version 10 lacked the off-policy desc's
                                  gradient_steps, version 9 its
                                  presquash_penalty and inverting_gradients, version 8 its
                                  lagrange_space and its log multipliers, version 7 the desc's cost_test_z
                                  and the off-policy desc's augmented_penalty and its
                                  violation estimates, version 6 the off-policy desc's
                                  twin_cost_critics, version 5 the desc's
                                  cg_damping_scale, version 4 the off-policy desc's
                                  lagrange_kp, version 3 the desc's lambda_kp,
                                  version 2 the off-policy desc's multiplier_scale, version 1
                                  cost_estimate and the epoch's mean costs: all are refused
                                  with SAFERL_ERR_VERSION)
             8   sections in this order, each a 4-byte tag, its payload's byte length, the
                 payload; uint32, binary32 and binary64 (doubles), little endian; a uint64 as
                 two uint32, low first
             then a CRC-32 (IEEE) of every byte before it.
      DESC  every desc field with its defaults filled in, in the desc's order (ints as uint32,
            doubles as binary64; hidden all 7 entries, cost_limits all 8), then env_count and
            the environment's observation_dim, action_dim, action_count and cost count. The
            seed is recorded but not compared (the generators below replace it); any other
            difference from the loading agent's desc is refused with a message naming the
            field ("lambda_lr: the checkpoint's differs from this agent's desc").
      NETS  the parameter block (actor, log std, reward critic, each cost critic), Adam's
            first and second moments over it (binary32), Adam's step count (uint64).
      NORM  the actor's normaliser mean and std (binary32, absent when no_obs_normalize), the
            running count, means and M2 (binary64).
      MULT  per constraint: the multiplier; the lambda_optimizer Adam step (uint64) and
            moments; the PID integral, error and cost (EMAs) and the pid_delay line, its
            position.
      EPIS  the window of finished episodes: count, next position, then count returns and
            count x cost_count costs (binary32); the latest epoch that finished an episode:
            its episode count (0: none yet) and mean costs (cost_count binary64).
      PROG  epoch, total steps (uint64), each cost's total (binary64), the agent's generator
            (xoshiro256**: four uint64).
      ENVS  needs_reset (1: no episode is open), then per environment its generator; if
            episodes are open, its current observation, the open episode's return and
            costs so far (binary64); 1 if it is a built-in environment, then the built-in's
            state (kind, max_steps, steps, cell, goals_reached, then x[4], heading, yaw_rate,
            goal[2], goal_distance, hazards[8][2], omega[2], omega_next[2] as binary64).
      Not held: the rollout, minibatch and trust-region buffers (rebuilt every epoch), the
      allocator, and a user's environment's state. A checkpoint is taken between epochs,
      where episodes may be open (an epoch ends mid-episode and the next one continues it);
      the built-ins' states are saved, so resuming is exact. For your own environment the
      caller owns its state: save it beside the checkpoint and restore it before the next
      epoch (tests/test_rl.c does so), or call saferl_rl_agent_restart_episodes after
      loading, which drops the open episodes (every environment is reset before the next
      epoch's first step: a valid run, no longer bit-identical to an uninterrupted one).
      Loading is two-phase: every section is parsed and checked (lengths, ranges, finite
      values, weights within the policy loader's interval bound, Adam moments within what
      gradients clipped to max_grad_norm can give, stds above their floor, multipliers
      >= 0, a window position consistent with its count, a non-zero generator state, omega
      in its box) without writing, then written; on any failure the agent and the built-ins' states
      are unchanged (SAFERL_ERR_CORRUPT, _VERSION, _NOT_FINITE, or _INVALID_ARGUMENT for
      another desc or environment). Resuming from a checkpoint gives the same epochs, bit
      for bit, as the run that was never interrupted (tests/test_rl.c: PPO-Lag discrete,
      CPO continuous, PID-Lag with two costs, CUP, TRPO-Lag).
   The off-policy agent's checkpoint (saferl_rl_offpolicy_checkpoint_save) has the same
   header, section framing and CRC, and these sections (counts as two uint32, low first;
   networks, moments and the replay binary32; the rest binary64 unless said):
      OFFP  every saferl_rl_offpolicy_desc field with its defaults filled in, in the desc's
            order (hidden_sizes all 7, cost_limits all 8, omega_lower and omega_upper all 8,
            omega_schedule_steps as a count), the seed (recorded, not compared), then
            observation_dim and action_dim; a difference is refused naming the field. An
            on-policy checkpoint starts with DESC instead: each loader names the other.
      ONET  the actor, its Adam moments, its target; per critic trained (the twin reward
            critics, then a cost critic per constraint of the Lagrangian forms, then with
            twin_cost_critics each constraint's second) the same;
            the critic and actor step counts.
      OMUL  per constraint the multiplier's integral (>= 0; the multiplier is derived from it,
            lagrange_kp and the first moment, augmented_penalty and the violation estimate)
            and its Adam moments, their step count, then per constraint the cost critic's
            violation estimate (augmented_penalty's g; 0 without it), then per constraint
            the log multiplier nu (within log lagrange_init +- log 1e4 under lagrange_space
            LOG, the integral then exp(nu) within relative 1e-6, loaded as written; 0 under
            LINEAR);
            SAC's log temperature (< 88: its exp is a float), its moments and step count.
      OCAN  M2TD3 (empty otherwise): per candidate omega (in Omega), box coordinates (in
            [0, 1]), their Adam moments; per candidate its step count, then its probability
            (binary64, in [0, 1], a positive sum); the last worst candidate; restarts.
      OPRG  environment steps, episodes, this and the last episode's length (counts);
            episode_started; the current observation (with omega for M2TD3); this episode's
            return and costs (all 8), its omega (all 8; in Omega for M2TD3 and DR-TD3); the
            last episode's return and costs; the agent's generator.
      RPLY  the replay's capacity, observation_dim, action_dim, cost_count (the loading
            replay's must be the same), its size and next slot (a ring not yet full ends at
            its size), then its size transitions in slot order: observations, next
            observations, actions, rewards, costs, dones (0 or 1).
      OENV  1 and a built-in environment's state as in ENVS, or 0 (a user's environment or
            none: its state is the caller's, as above; saferl_rl_offpolicy_restart_episode
            drops the open episode).
      The batch buffers and gradients are not held (rebuilt by every update). TD3 and SAC
      clip no gradients, so the moments are only checked finite (second moments >= 0) and a
      loaded weight is not bounded as the on-policy loader bounds it. Loading is two-phase
      as above: agent, replay and environment are unchanged on any failure. Resuming gives
      the same steps bit for bit (tests/test_rl.c: each of the six algorithms, split
      mid-episode, M2TD3 after candidate restarts). The replay dominates the size: (2 x
      observation_dim + action_dim + cost_count + 2) x 4 bytes a transition held.

   RETURN-CONDITIONED SUPERVISED LEARNING (RCSL; an MLP or a small causal transformer)
      The offline stage of PLS (Wachi et al. 2025), after Decision Transformer (Chen et al.
      2021) and the Constrained Decision Transformer (CDT, Liu et al. 2023), in two
      architectures: an MLP on the current step (desc.architecture SAFERL_RL_RCSL_MLP, the
      default) and CDT's transformer over the last K steps (SAFERL_RL_RCSL_TRANSFORMER).
      * saferl_rl_dataset holds logged episodes; saferl_rl_dataset_collect records N episodes
        of any saferl_rl_policy (sampled or deterministic), of uniformly random actions
        (policy NULL), or of an epsilon-random mixture of the two.
      * saferl_rl_dataset_mtro_targets picks (R, C) targets from the dataset alone (MTRO:
        Multi-Game Decision Transformers' expert-return weighting over the episodes within a
        cost limit). The policy's own return prediction and its bias correction are not used:
        these policies predict actions only.
      * saferl_rl_rcsl_policy is a saferl_rl_policy over (observation, R, C): its normaliser
        ends with (mean 0, std reward_scale) and (0, cost_scale), so the network sees
        clip(R / reward_scale, +-10) and clip(C / cost_scale, +-10). The scales default to
        the largest |reward to go| and |cost to go| in the dataset (1 if that is 0); the
        observation part of the normaliser is the dataset's mean and std (floored at 1e-2).
      * Hindsight targets: each logged step t gets R_t = sum_{k>=t} r_k and C_t = sum_{k>=t}
        c_k, undiscounted, to the end of its logged episode (as DT and CDT).
      * CDT's return relabelling (desc.relabel_fraction; off by default): a policy trained on
        hindsight targets alone has never seen a target the data did not reach, yet PLS and
        users ask for them. With (R_i, C_i) the logged episodes' returns and costs, the data's
        Pareto frontier F(c) = max { R_i : C_i <= c } is the best return achieved within cost
        c. S = floor(relabel_fraction x episodes) cost targets c_j are spaced evenly over
        [min C_i, max C_i] (the last exactly max C_i); each gets a reward target drawn
        uniformly in [F(c_j), max(F(c_j), relabel_reward_max)] (a stream of its own, seeded
        from desc.seed) and the steps of the episode attaining F(c_j) (the least cost among
        ties, then the first logged), their reward and cost to go shifted to start at the
        targets. The policy so learns "asked for more than the data achieved within c, do the
        best that was achieved within c". As OSRL's augmentation() (CDT's code) except: F is
        the exact step-shaped frontier, not a degree-4 polynomial fitted to it; each target
        takes the frontier episode itself, not the Euclidean-nearest one with cost <= c_j with
        repeats spread over neighbours within a reward distance (two unit-bound settings,
        max_rew_decrease and beta); reward targets start at F, not F + 1, and stop at the
        data's largest return unless set. The scales and the observation normaliser come from
        the logged steps only, so they do not move with relabelling.
      * Loss, the minibatch mean of -log pi(a_t | s_t, R_t, C_t): cross-entropy for discrete
        actions; for continuous actions the Gaussian negative log-likelihood with a learned
        state-independent log sigma (the family's Gaussian head). Its gradient in the mean is
        the MSE's divided by sigma^2, so the mean is fit as by MSE, and the learned sigma gives
        the stochastic policy CDT also uses. Adam (1e-3, betas 0.9 / 0.999), minibatches of
        256 drawn without replacement from a seeded shuffle, global-norm clipping at 40.
      * Acting: R_0, C_0 are the targets; after each step R <- R - r_t, C <- C - c_t (DT /
        CDT), saferl_rl_rcsl_evaluate runs episodes that way.
      * The transformer form (saferl_rl_cdt). Tokens as CDT: each step gives four, in CDT's
        order (reward to go, cost to go, state, action), each a linear embedding of its
        input (the action one-hot if discrete) plus a learned embedding of the step's
        timestep in its episode (rows = the longest logged episode unless set; later
        timesteps use the last row), then LayerNorm. Then layer_count pre-LN GPT-2 blocks
        (LayerNorm, causal multi-head self-attention, projection, residual; LayerNorm,
        Linear(d, mlp_width), GELU in the tanh form, Linear(mlp_width, d), residual), a final
        LayerNorm and a linear head on each state token, which sees its step's R, C and
        state but not its action. Loss as the MLP's (cross-entropy or Gaussian NLL with a
        learned log sigma), the mean over the valid steps of the minibatch's windows.
        Defaults: context K = 10 (CDT's), 2 layers, 2 heads, d_model 32, mlp_width 4 d,
        minibatch 64 windows, Adam 1e-3, clipping at 40; CDT's paper setting (3 layers, 8
        heads, 128, batch 2048, dropout 0.1, warm-up) is larger, and there is no dropout here.
        GPT-2's initialisation (N(0, 0.02), output projections 0.02 / sqrt(2 layers)).
      * Training windows: one per logged step s, the steps s .. s + K - 1 of its episode,
        left-aligned. A window that meets the episode's end is padded AFTER its valid steps
        (zero inputs, timestep 0) and the loss skips the padding: under the causal mask
        padding only ever follows valid tokens, so it changes nothing (no key-padding mask
        is needed). Every prediction at window position k thus sees k earlier steps, as at
        an episode's start; a window never crosses into another episode.
      * Acting (saferl_rl_rcsl_step): the context holds the episode's last K steps,
        left-aligned exactly as in training, the newest step's action slot zero until the
        action is chosen (the state token cannot see it); when full the oldest step is
        dropped (a K - 1 step shift, no allocation). saferl_rl_rcsl_evaluate and
        saferl_rl_rcsl_act take either architecture, so PLS code needs no change.
      The examples (examples/rl_rcsl.c) use the MLP {64, 64} tanh on the lava gridworld by
      default; `--arch transformer` trains and checks the transformer form.

   DATASET FORMAT (version 1; uint32 and binary32, little endian)
      offset 0   magic "SRLD"   4 format version (1)   8 observation_dim (1..4096)
             12  action_dim (1..4096; 1 for discrete)  16 action_count (2..4096; 0 continuous)
             20  episode_count E   24 step_count N (both 0 or both > 0)
             28  E episode lengths (>= 1, summing to N), then E end flags (1 terminated by
                 the environment, 0 truncated or cut)
             then observations (N x observation_dim), actions (N x action_dim; a discrete
             action as its index), rewards (N), costs (N), and a CRC-32 of all bytes before.
      The loader checks everything before it writes: another magic, a short or long buffer,
      a bad checksum, lengths or flags out of range, a discrete action not an index in
      range (SAFERL_ERR_CORRUPT); another version (SAFERL_ERR_VERSION); a non-finite float
      (SAFERL_ERR_NOT_FINITE).

   CONDITIONED POLICY FORMAT ("SRLC", version 1)
      offset 0   magic "SRLC"   4 format version (1)   8 observation_dim (the environment's)
             12  byte length P of the embedded policy
             16  a version-1 policy buffer ("SRLP", above) with input observation_dim + 2
                 whose last two normaliser entries are (0, reward_scale), (0, cost_scale)
             16+P  a CRC-32 of all bytes before.
      A new magic rather than a version 2 of "SRLP": version-1 policy files keep loading as
      they did, and neither loader mistakes the other's files (SAFERL_ERR_CORRUPT).
      Version 2 holds the transformer form (MLP policies are still written as version 1):
      offset 0 "SRLC"  4 version (2)  8 observation_dim (1..4094)  12 action kind (0
             discrete, 1 Gaussian)  16 action_dim (discrete: actions, 2..4096)
             20 context (1..64)  24 layer_count (1..8)  28 head_count (1..16)
             32 d_model (1..1024, divisible by head_count)  36 mlp_width (1..4096)
             40 max_timestep (1..100000)
             44 the parameters (saferl_rl_cdt_param_count floats, the layout below), then
             obs_mean and obs_std (observation_dim each), reward_scale, cost_scale, and a
             CRC-32 of all bytes before. Parameter layout: reward w, b; cost w, b (d each);
             state w (d x observation_dim), b; action w (d x action input), b; the timestep
             table (max_timestep x d); embedding LayerNorm gain, bias; per block ln1 gain,
             bias, qkv w (3d x d), b, proj w (d x d), b, ln2 gain, bias, fc w (mlp_width x d),
             b, fc_proj w (d x mlp_width), b; final LayerNorm gain, bias; head w (A x d), b;
             log sigma (Gaussian). The loader checks the shape, the exact length, the
             checksum, finite values (SAFERL_ERR_NOT_FINITE) and positive stds and scales
             before it writes anything.

   DESC FIELDS (the rule for every desc in this header)
      A field that states the problem has no default: the cost limits. A constrained
      algorithm (all but PPO) without them is an error naming the field ("cost_limit:
      required"), and 0 means a limit of 0. Every other field's zero means the default
      written beside it. Where zero is itself a setting someone may want (a PID gain, the
      critics' weight decay, CG damping, the initial multiplier) or "none" is (no bound on
      FOCOPS / CUP's multiplier, no KL early stop), SAFERL_RL_NONE asks for it; any other
      negative value there is an error, never silently 0. saferl_rl_desc_defaults is
      idempotent (SAFERL_RL_NONE stays), so a filled desc can be handed back in unchanged.
      saferl_rl_desc_check says which field is at fault and why.

   MEMORY, THREADS, ERRORS
      Nothing allocates except the *_create conveniences, through the desc's allocator (or
      SAFERL_MALLOC). saferl_rl_agent_memory_size + _init work on your memory (which also
      holds the agent's copies of the env structs and each copy's rng and open episode); a rollout,
      an update and saferl_rl_policy_act never allocate. No global state: different objects
      may be used from different threads at once. A const object is only read: acting writes
      the caller's context (saferl_rl_policy_context, saferl_rl_rcsl_context; one per thread,
      sized by *_context_memory_size), so many threads may act with one policy at once
      (tests/thread_rl.c checks it under ThreadSanitizer). No function reports success with
      a NaN or infinite result: acting checks the network's output and the action
      (SAFERL_ERR_NOT_FINITE, the action untouched); loaders refuse MLP weights that could
      overflow. Bad data returns a negative saferl_result:
      a user environment that returns NaN makes saferl_rl_agent_epoch return
      SAFERL_ERR_NOT_FINITE with the networks, optimiser, lambda, normaliser and statistics
      unchanged (the interrupted episodes are dropped and every environment is reset at the
      next epoch). An update whose losses or gradients overflow on finite data (rewards near
      the float range, weights near it in a loaded checkpoint) also returns
      SAFERL_ERR_NOT_FINITE, but after the fact: the networks hold that update, so go back
      to a checkpoint saved before it. The same seed gives the same learning curve; native and WebAssembly agree
      to rounding (libm's tanh and exp differ in the last bits).

   SPEED
      The products of the linear layers run on register tiles (4 x 8 sums where vectors are 16
      bytes: SSE, WebAssembly's simd128; 6 x 16 with AVX), each output still one running sum in
      the textbook order (tests/test_rl.c checks the bits against plain loops); tanh is a
      vectorised double-precision evaluation. On x86-64 with GCC or clang, a build that does not already
      target AVX2 (say -march=x86-64-v2) compiles the products, tanh and Adam a second time for AVX2
      and picks that copy per call when the CPU has it (__builtin_cpu_supports). Without FMA
      on purpose: both copies do the same multiplies and adds in the same order, so results
      are bit-identical whichever runs (tests/test_rl.c checks it) and a run replays exactly on
      any x86-64 machine. SAFERL_NO_DISPATCH keeps only the portable copy. With
      SAFERL_USE_BLIS, batches of 16 or more go to BLIS's sgemm instead (other summation
      order: results agree to rounding). Acting on one observation reads a loaded policy's
      packed weights (each layer transposed at load time, saferl_rl_policy.packed): the output
      units are contiguous, so a few vectors of sums advance in registers where the (OC, C)
      layout needs a strided load per product; each sum keeps its order, so the bits are those
      of the unpacked policy (tests/test_rl.c checks it on random shapes). Layers with fewer
      outputs than a tile is wide (a policy's head, a value) run the tile along the batch, and
      gradients a few inputs wide along the rows (same sums, same bits); the weight panels are
      packed by 4 x 4 transposes in registers, and one row (a batch of 1 through a policy
      built in memory) takes a 1-row tile on them, two or three rows the 4-row tile. Under
      clang the AVX2 copies are tuned for x86-64-v3 (its generic tuning splits 256-bit loads
      in halves). A layer's sums start from its bias (no copy of the bias into the outputs
      first); the backward pass writes each activation's derivative in place, and with grads
      NULL computes the input gradient alone (an actor's loss through the critics skips their
      weight gradients, a tenth of SAC's products). tanh runs in three passes over chunks of 32
      values (range reduction, polynomial, division): one value's chain of dependent operations
      is longer than the out-of-order window overlaps, and splitting it made tanh 1.5x faster
      with the same operations on every value (the same bits, checked on all 2^32 inputs).
      ReLU's select and Adam's square roots are written so that compilers vectorise them (a bit
      mask; SSE's correctly rounded sqrtps), again with the same bits.
      What stays fixed: one build configuration (default, SAFERL_RL_FAST_TANH or
      SAFERL_USE_BLIS) gives the same bits for the same seed on every x86-64 CPU, whichever
      copy runs, and the kernels (products, tanh, ReLU, Adam) give those bits in WebAssembly
      too; sampling goes through libm, so a run agrees across platforms only to rounding.
      SAFERL_RL_FAST_TANH computes tanh in float instead of double (8 lanes with AVX2
      instead of 4, a float division), within 3 ulp of the correctly rounded value over
      every float (an exhaustive run on [0, 10]); no FMA, so runs still replay exactly across
      x86-64 CPUs and WebAssembly, but they differ from the default build's, which is why it
      is not the default (the recorded fingerprints and checked-in artifacts are the
      default's).
   BITS
      The dispatched kernels (products, tanh, Adam) give the same bits as the portable and
      WebAssembly builds, and training replays the recorded fingerprints on every build.
      That needs every a * b + c in the code rounded twice, as written. A compiler allowed to
      contract it into one fused multiply-add does so wherever the target has FMA
      (-march=x86-64-v3, -march=native): gcc in GNU modes (-std=gnu99, -ffp-contract=fast by
      default) and clang >= 14 (on by default). So the implementation turns contraction off
      for its own code (#pragma clang fp contract(off) or GCC optimize("fp-contract=off"),
      pushed before it and popped after it: code after the #include keeps its own setting;
      MSVC 2022 does not contract under its default /fp:precise; WebAssembly has no fused
      multiply-add). clang can push the setting only on x86: on other targets (ARM64) it
      keeps the build's, so build with -ffp-contract=off there for the same bits. clang's
      -ffp-contract=fast ignores every pragma by its definition: use on or fast-honor-pragmas.
      tests/run.sh runs the bit tests built with -march=x86-64-v3 under gcc -std=gnu99 and
      clang -std=c99.

   REVISION HISTORY
      0.5.12 (2026-12-08) same bits, faster: a layer's product of one row (acting) takes a
                          1-row tile on packed weights, of two or three rows the 4-row tile,
                          instead of reading the weight rows with a strided gather (an
                          8-64-64-2 tanh MLP's forward 2.1x faster under gcc at batch 1, 3.9x at
                          batch 3; WebAssembly with SIMD 2.4x at batch 1, without 8% slower at
                          batch 1 and 19% faster at batch 3); the AVX2 copies are tuned for
                          x86-64-v3 under clang, whose generic tuning split every 256-bit load
                          and store in halves; tanh's last pass reads x's bits from its
                          chunk's copy (out is often inp, and clang then ran its
                          vectorised loop's scalar fallback). clang 14's builds took 1.3-1.7x
                          gcc's time on bench/rl.c's nets rows, now 0.98-1.04x
      0.5.11 (2026-12-07) gradient_steps (1 by default, 1..64): saferl_rl_offpolicy_update calls per
                          environment step in saferl_rl_offpolicy_train and _train_robust, each a
                          full update (TD3's policy_delay still counted in critic steps), the
                          update-to-data ratio of Stable-Baselines3, REDQ and DroQ. Training bits
                          unchanged at 1. SRLK version 11 (the field). On the random CMDPs'
                          mixture map TD3-Lag lost on development (3 and 2 of 18 runs at G = 2, 4
                          against 6); SAC-Lag's G = 4 (9 of 18, 3 cells against 6, 2) went on to
                          held out (CMDPs 61-66): 12 of 60 runs, 2 of 12 cells against 20, 4;
                          not adopted
      0.5.10 (2026-12-06) presquash_penalty (SAC's original code's regulariser of the outputs
                          before the squash, c/2 mean square; SAC: means and log stds) and
                          inverting_gradients (TD3, TD3-Lag: a linear output and Hausknecht and
                          Stone's inverted gradients on [-1, 1]): remedies for a saturated actor,
                          off by default; on the random CMDPs' mixture map neither passed more
                          development runs than its row's default (TD3-Lag 5 and 3 of 18 against
                          6, SAC-Lag 5 against 6; README), so neither was held out or adopted.
                          Training bits unchanged with both off. SRLK version 10 (both fields)
      0.5.9 (2026-12-06)  saferl_rl_iterate_mixture: a read-out of the off-policy Lagrangian rows
                          as a mixture of their iterates (snapshots of the actor in caller
                          memory, evaluation episodes on an environment of their own, the
                          mixture LP at the agent's d, a per-episode coin); defaults chosen on
                          CMDPs 1-6; held out on new CMDPs 49-54 not adopted as the rows'
                          figure (SAC-Lag 52 of 60 runs against the window mean's 52, 9 of 12
                          cells against 12; TD3-Lag 14 against 12 runs, 3 against 4 cells).
                          Training, checkpoints and SRLK 9 unchanged bit for bit (a unit test);
                          saferl_rl_flip_evaluate's episode loop shared with it (same bits)
      0.5.8 (2026-12-06)  the off-policy checkpoint loader refuses a lagrange_space LOG
                          checkpoint whose multiplier integral is not exp of its log multiplier
                          (relative 1e-6) and keeps the integral as written: 0.5.7 replaced it by
                          exp(nu), so such a file loaded with another price and saved back other
                          bytes (the checkpoint fuzz target's new log-space seeds reach that
                          path). Training bits and SRLK 9 unchanged. Continuous SAC-Lag with its
                          multiplier in log space stays an option, not its default: held out on
                          new CMDPs 43-48, 46 of 60 runs within the target against 52, 11 of 12
                          cells against 12 (README)
      0.5.7 (2026-12-06)  lagrange_space: the off-policy multipliers' Adam ascends log lambda
                          (LOG, SAC's temperature rule: relative steps, lambda_0 = lagrange_init,
                          0 meaning 1, nu within log lambda_0 +- log 1e4) or the integral itself
                          (LINEAR, the rule before). LOG is discrete SAC-Lag's default under
                          RELATIVE: held out on new random CMDPs 37-42, 28 of 30 runs within the
                          target against 25, 6 of 6 cells either way (README); discrete
                          SAC-Lag's results under RELATIVE differ from 0.5.6's (lambda starts at
                          1); SAFERL_RL_LAGRANGE_LINEAR gives 0.5.6's bits, as do TD3-Lag, SAC-Lag
                          and COST_UNITS unchanged. SRLK version 9 (lagrange_space, the log
                          multipliers)
      0.5.6 (2026-12-06)  cost_test_z: CPO's and PCPO's line search tests a step that may spend
                          slack on the predicted change of J_C plus 1.645 batch-means standard
                          errors (ALGORITHMS, "the cost test's bound"); the default for those
                          two rows (random CMDPs held out: CPO 42 of 45 runs against 36, PCPO
                          40 against 38; the grid 63 of 63 cells); SAFERL_RL_NONE is the
                          previous rule bit for bit, and the other rows are unchanged.
                          augmented_penalty: CAL's augmented Lagrangian, the actor's price of
                          Q_Ci max(0, lambda_i + c g_i), g_i the cost critic's estimate of the
                          violation at each finished episode's first state (ALGORITHMS, "TD3-Lag
                          and SAC-Lag"). SAC-Lag's default under RELATIVE (c = 1): held out on
                          new random CMDPs 27 of 30 runs within the target against 23 (README);
                          SAC-Lag's results under RELATIVE differ from 0.5.5's; SAFERL_RL_NONE
                          gives 0.5.5's bits, as do TD3-Lag, discrete SAC-Lag and COST_UNITS
                          unchanged. SRLK version 8 (cost_test_z, augmented_penalty, the estimates)
      0.5.5 (2026-12-05)  twin_cost_critics: two cost critics per constraint, the larger taken
                          in the cost target and the actor's loss (ALGORITHMS, "TD3-Lag and
                          SAC-Lag"); off by default, the previous rule bit for bit (held out it
                          tied: 10 of 15 runs against 10, README); SRLK version 7
                          (twin_cost_critics)
      0.5.4 (2026-12-05)  FOCOPS and CUP bound their push: the proportional term's relative
                          violation is clipped at 1 (J_C = 2 d), so a first epoch at 55 d no
                          longer sets nu to 547 (ALGORITHMS, "bounded push"); the CMDP grid is
                          bit for bit 0.5.3's, the page's FOCOPS gridworld run ends under d again.
                          Their results differ from 0.5.3's where J_C exceeds 2 d.
      0.5.3 (2026-12-05)  cg_damping_scale: SAFERL_RL_DAMPING_RELATIVE, CG damping relative to
                          F's curvature along the reward gradient (the same step on any scale of
                          F); ABSOLUTE, the default, is the previous rule bit for bit (it won on
                          held-out CMDPs, README); SRLK version 6 (cg_damping_scale)
      0.5.2 (2026-12-05)  FOCOPS and CUP damp their nu: lambda_kp 10 by default (the other rows
                          keep 1), so CUP's nu settles instead of cycling (ALGORITHMS, "damping
                          nu"); CMDP grid, held out: CUP 43 of 45 runs against 36, FOCOPS 44
                          against 37. Their results differ from 0.5.1's; lambda_kp 1 gives those.
      0.5.1 (2026-12-05)  the bits hold under -march=x86-64-v3 and -march=native too: no
                          contraction into fused multiply-adds in the header's code (BITS)
      0.5.0 (2026-12-05)  acting is thread-safe: a const policy is only read; scratch is the
                          caller's saferl_rl_policy_context (saferl_rl_policy_context_memory_size,
                          _init), taken by saferl_rl_policy_act, _evaluate, _dataset_collect and
                          saferl_rl_flip_policy.context; the policy struct lost `scratch`, the
                          conditioned policy its `input` and `context` (saferl_rl_rcsl_act and
                          _evaluate take a saferl_rl_rcsl_context, which now serves both forms);
                          saferl_rl_policy_probabilities and _mean_std; no NaN reported as OK:
                          acting checks the network's output and the action, the loaders refuse
                          MLP weights that could overflow on the normaliser's clip box (an
                          interval bound), RCSL training refuses sums to go beyond the float
                          range; the file helpers write a temporary and rename it (SAFERL_ERR_IO
                          with errno on failure, the old file untouched) and loading tells I/O
                          errors from corrupt data; a loaded policy keeps its weights packed
                          (transposed) for batch-1 acting on contiguous vectors (same bits).
                          Training: one table row per algorithm (multiplier rule, advantage
                          mixing, trust-region rule, reference distribution, update_actor), the
                          agent's fields in named parts, every epoch bit-identical to 0.4's (a
                          fingerprint test); the cost limits are required (cost_count and
                          cost_limits[] replace cost_limit, whose 0 meant 25; 0 now means 0),
                          SAFERL_RL_NONE asks for a zero gain or no bound where 0 means the
                          default (other negatives are errors), saferl_rl_desc_check names the
                          field at fault; several constraints (an environment's cost_count up
                          to 8, a multiplier each; CPO and PCPO take one); algorithm names.
                          The environments' slots live in the agent's memory, not in its
                          struct (13,928 -> 1,648 bytes on x86-64); saferl_rl_env.step_batch, a
                          batch step hook (the built-in CartPole has one; bit-identical
                          training either way, tested); SAFERL_RL_FAST_TANH (tanh in float,
                          within 3 ulp); the weight panels pack row by row and the bias rows
                          are copied whole (same bits, 7% fewer instructions a batch-64
                          forward); tanh in three passes (1.5x, same bits on all 2^32
                          inputs), weight panels packed by register transposes, narrow layers
                          and narrow gradients tiled along the batch, ReLU and Adam vectorised
                          (same bits: a batch-64 policy forward's MLP 24.3 -> 18.8 us of
                          CPU, SAC on Pendulum 4.2 -> 2.7 s of CPU; README); sums start from
                          the bias, saferl_rl_mlp_backward and saferl_rl_linear_backward take
                          NULL parameter gradients (the input gradient alone: SAC's actor step
                          through the critics), Adam compiled for AVX2 too (same bits; SAC on
                          Pendulum 2.7 -> 2.2 s of CPU under load). Multipliers hold on any cost scale:
                          multiplier_scale RELATIVE (the default: standardised cost advantages,
                          relative violation, lambda_lr 2, PID 1 / 2 / 0, FOCOPS / CUP
                          unbounded; the dual ascent rows add a proportional term, lambda_kp
                          1 on (J_C - d) / |d|: 273 of 315 CMDP grid runs within the target
                          against 262) or COST_UNITS (0.4's); SRLK version 4 (lambda_kp).
                          Gym's Pendulum-v1 and the runner (a velocity-cost locomotion task)
                          built in;
                          uncertainty parameters omega (pendulums,
                          CartPole) taken at reset; a replay buffer in caller memory; TD3, SAC,
                          TD3-Lagrangian and SAC-Lagrangian, M2TD3 and DR-TD3, discrete SAC and
                          discrete SAC-Lagrangian (saferl_rl_offpolicy_*). Preference
                          optimisation for tabular categorical policies: DPO, SACPO, P-SACPO,
                          the constrained optimum's closed form, the label-flip poisoning LP;
                          BC-HG's hypergradient for a leader whose policy shapes a soft-optimal
                          follower in a tabular Markov game (saferl_rl_stackelberg_*, exact
                          and sampled, and the paper's DiscreteToy4);
                          saferl_rl_dpo_fit reaches its gradient tolerance on large data sets
                          (Newton's last step is taken whole when its decrease is below the
                          loss's rounding; it used to stall and report DID_NOT_CONVERGE).
                          Checkpoints of the on-policy agent's whole training state ("SRLK":
                          saferl_rl_agent_checkpoint_save / _load / _size / _save_file /
                          _load_file, saferl_rl_agent_restart_episodes): resuming gives the
                          same epochs bit for bit; a refused load leaves the agent unchanged;
                          an epoch whose update overflows on finite data returns
                          SAFERL_ERR_NOT_FINITE (it reported success with NaN weights).
                          J_C is the mean cost of the epoch's finished episodes by default
                          (cost_estimate; SAFERL_RL_COST_WINDOW, the last episode_window
                          episodes, is 0.4's rule and COST_UNITS' default); epoch statistics'
                          cost_estimates; SRLK version 2.
                          The off-policy agents' checkpoints (TD3, SAC, their -Lag forms,
                          M2TD3, DR-TD3) in the same format with the replay and a built-in
                          environment's state: saferl_rl_offpolicy_checkpoint_save / _load /
                          _size / _save_file / _load_file, saferl_rl_offpolicy_restart_episode.
                          The CRC-32 goes a byte at a time from a table (same values).
                          The off-policy Lagrangian forms' multiplier holds on any cost scale
                          (multiplier_scale, default RELATIVE: the cost critic in units of
                          the limit, the violation (J_C - d) / d, the cost term weighed by
                          the spread of the reward targets over the cost targets';
                          COST_UNITS is the previous rule, bit for bit); SRLK version 3.
                          The off-policy checkpoint records discrete SAC's action_count;
                          saferl_rl_offpolicy_update returns SAFERL_ERR_NOT_FINITE instead of
                          stepping on an overflowed gradient (it returned OK with NaN weights).
                          The off-policy multiplier takes an optional proportional term on its
                          violation's running mean (desc.lagrange_kp; off by default: it did not
                          win on held-out CMDPs, README); SRLK version 5 (lagrange_kp; OMUL holds
                          the multiplier's integral, lambda is derived from it).
                          saferl_rl_dataset_mtro_targets: offline (R, C) targets by MTRO's
                          expert-return weighting. CDT's return relabelling in the RCSL
                          trainer (desc.relabel_fraction, relabel_reward_max; off by default)
      0.4.1 (2026-11-22)  the 16-byte-vector tile (SSE, simd128) is 4 x 8 named vectors: with
                          clang for WebAssembly the array tile's sums lived in memory (products
                          1.4-1.6x faster there, 1.5-1.8x with SSE only; same bits)
      0.4.0 (2026-11-22)  runtime dispatch: the layers' products and tanh also compiled for AVX2
                          and chosen per call (bit-identical results; SAFERL_NO_DISPATCH); a 6 x
                          16 register tile with AVX whose sums are named vectors (the array form
                          lived on the stack)
      0.3.0 (2026-11-21)  FOCOPS and CUP (discrete and continuous; first-order projections); the
                          exact mixture LP and flipping-based policies per episode and per step
                          (rl_train --algo focops|cup|flip); return-conditioned supervised
                          learning: logged-trajectory dataset (format SRLD v1, collector), RCSL
                          trainer (MLP, cross-entropy / Gaussian NLL on hindsight targets),
                          conditioned policy format SRLC v1, and its transformer form (CDT
                          tokens, timestep embeddings, LayerNorm, causal attention, GELU; SRLC
                          v2; a rolling context, saferl_rl_rcsl_step); tanh vectorised in double (within
                          one ulp of every float; libm's tanhf was three quarters of a forward);
                          the Fisher-vector product's W dx on the tiled product (CPO's update
                          1.45x faster)
      0.2.0 (2026-11-21)  trust region: closed-form Fisher-vector products, conjugate
                          gradient, CPO (five-case dual, recovery, line search), PCPO (KL
                          projection), TRPO-Lagrangian
      0.1.0 (2026-11-21)  first release: environments, networks, PPO, PPO-Lag, PID-Lag
*/
#ifndef SAFERL_RL_H
#define SAFERL_RL_H

#define SAFERL_RL_VERSION_MAJOR 0
#define SAFERL_RL_VERSION_MINOR 5
#define SAFERL_RL_VERSION_PATCH 12
#define SAFERL_RL_VERSION_STRING "0.5.12"

#if defined(SAFERL_IMPLEMENTATION) && !defined(SAFERL_RL_IMPLEMENTATION)
#define SAFERL_RL_IMPLEMENTATION
#endif

#ifndef SAFERL_RL_API
#  if defined(SAFERL_RL_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define SAFERL_RL_API static __attribute__((unused)) /* no warning for what you don't call */
#  elif defined(SAFERL_RL_STATIC)
#    define SAFERL_RL_API static
#  else
#    define SAFERL_RL_API extern
#  endif
#endif

/* ==== saferl common block: byte-identical in every saferl header ======================== */
#ifndef SAFERL_COMMON_H
#define SAFERL_COMMON_H
#define SAFERL_COMMON_VERSION 2

#include <stddef.h>
#include <stdint.h>
#include <math.h>

/* Every fallible function returns a saferl_result: 0 success, negative an error (the call
   changed nothing), positive a success with a qualification the caller should read. */
typedef enum saferl_result {
    SAFERL_OK = 0,
    SAFERL_BOUND_ONLY = 1,                 /* done, but the data only bound the quantity */
    SAFERL_ERR_INVALID_ARGUMENT = -1,      /* a value out of its documented range */
    SAFERL_ERR_OUT_OF_MEMORY = -2,
    SAFERL_ERR_BUFFER_TOO_SMALL = -3,      /* the caller's buffer is smaller than needed */
    SAFERL_ERR_NOT_FINITE = -4,            /* NaN or infinity in the input */
    SAFERL_ERR_PARSE = -5,                 /* malformed text; the parser says line and column */
    SAFERL_ERR_NO_DATA = -6,               /* nothing to estimate from */
    SAFERL_ERR_NOT_POSITIVE_DEFINITE = -7,
    SAFERL_ERR_DID_NOT_CONVERGE = -8,
    SAFERL_ERR_UNSUPPORTED = -9,           /* valid, but outside what this code handles */
    SAFERL_ERR_INFEASIBLE = -10,           /* no solution exists (unrealisable, infeasible) */
    SAFERL_ERR_VERSION = -11,              /* a file or buffer of another format version */
    SAFERL_ERR_CORRUPT = -12,              /* a binary buffer that fails its checks */
    SAFERL_ERR_IO = -13                    /* reading or writing a file failed: errno says why */
} saferl_result;

static inline const char *saferl_result_string(saferl_result result) {
    switch (result) {
    case SAFERL_OK: return "ok";
    case SAFERL_BOUND_ONLY: return "only a bound: the data do not determine the value";
    case SAFERL_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SAFERL_ERR_OUT_OF_MEMORY: return "out of memory";
    case SAFERL_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case SAFERL_ERR_NOT_FINITE: return "NaN or infinity in the input";
    case SAFERL_ERR_PARSE: return "parse error";
    case SAFERL_ERR_NO_DATA: return "no data";
    case SAFERL_ERR_NOT_POSITIVE_DEFINITE: return "matrix not positive definite";
    case SAFERL_ERR_DID_NOT_CONVERGE: return "did not converge";
    case SAFERL_ERR_UNSUPPORTED: return "unsupported";
    case SAFERL_ERR_INFEASIBLE: return "infeasible";
    case SAFERL_ERR_VERSION: return "unsupported format version";
    case SAFERL_ERR_CORRUPT: return "corrupt data";
    case SAFERL_ERR_IO: return "input/output error";
    }
    return "unknown result";
}

/* Memory for the *_create conveniences. All zero means SAFERL_MALLOC / SAFERL_FREE. */
typedef struct saferl_allocator {
    void *(*allocate)(size_t size, void *user_data);
    void (*release)(void *pointer, void *user_data);
    void *user_data;
} saferl_allocator;

/* xoshiro256** (Blackman and Vigna), seeded through splitmix64 from a 32-bit seed so that
   JavaScript can pass it. The integer stream and saferl_rng_uniform are bit-identical on
   every platform; saferl_rng_normal goes through libm and agrees to rounding. */
typedef struct saferl_rng {
    uint64_t s[4];
} saferl_rng;

static inline uint64_t saferl_rng_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void saferl_rng_seed(saferl_rng *rng, uint32_t seed) {
    uint64_t state = seed;
    int i;
    for (i = 0; i < 4; ++i) rng->s[i] = saferl_rng_splitmix64(&state);
}

static inline uint64_t saferl_rng_u64(saferl_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t x = s[1] * 5u;
    uint64_t result = ((x << 7) | (x >> 57)) * 9u;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

static inline uint32_t saferl_rng_u32(saferl_rng *rng) {
    return (uint32_t)(saferl_rng_u64(rng) >> 32);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double saferl_rng_uniform(saferl_rng *rng) {
    return (double)(saferl_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject); bound 0 gives 0. */
static inline uint32_t saferl_rng_bounded(saferl_rng *rng, uint32_t bound) {
    uint64_t m;
    uint32_t low;
    if (bound == 0) return 0;
    m = (uint64_t)saferl_rng_u32(rng) * bound;
    low = (uint32_t)m;
    if (low < bound) {
        uint32_t threshold = (uint32_t)(0u - bound) % bound;
        while (low < threshold) {
            m = (uint64_t)saferl_rng_u32(rng) * bound;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Standard normal by Box-Muller; one value a call, no cached spare, so the state alone
   determines the stream. */
static inline double saferl_rng_normal(saferl_rng *rng) {
    double u1 = 1.0 - saferl_rng_uniform(rng); /* (0, 1]: log stays finite */
    double u2 = saferl_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

/* Index i with probability weights[i] / sum(weights). Weights must be finite and >= 0 with
   a positive sum; otherwise returns count (no valid index) and draws nothing. */
static inline size_t saferl_rng_categorical(saferl_rng *rng, const double *weights, size_t count) {
    double total = 0.0, target;
    size_t i, last_positive = count;
    for (i = 0; i < count; ++i) {
        if (!(weights[i] >= 0.0) || weights[i] > 1.7976931348623157e308) return count;
        total += weights[i];
        if (weights[i] > 0.0) last_positive = i;
    }
    if (!(total > 0.0) || total > 1.7976931348623157e308) return count;
    target = saferl_rng_uniform(rng) * total;
    for (i = 0; i < count; ++i) {
        if (weights[i] > 0.0 && target < weights[i]) return i;
        target -= weights[i];
    }
    return last_positive; /* rounding left target just above the last weight */
}

#else
#if SAFERL_COMMON_VERSION != 2
#error "saferl headers of different versions in one translation unit: update them together"
#endif
#endif /* SAFERL_COMMON_H */
/* ==== end of the saferl common block ===================================================== */

#ifdef __cplusplus
extern "C" {
#endif

SAFERL_RL_API const char *saferl_rl_version(void);

/* ---- environments ------------------------------------------------------------------------ */

/* A constrained MDP. reset and step write observation_dim floats; step reads action_dim
   floats (continuous, in [-1, 1]) or action[0] = index (discrete). Randomness comes from the
   rng handed in, so a rollout seeded once reproduces. An environment ends an episode with
   *terminated (a true end: no bootstrap) or *truncated (a time limit: bootstrap). step writes
   cost_count costs (one when cost_count is 0), each bounded by its own limit in the desc.

   step_batch (optional) is the batch step hook, for a game engine or a vectorised simulator
   that advances all its copies in one call. The agent trains env_count environments in
   lockstep; when they all have the same step_batch it calls it once a step instead of step
   once per copy: states[i] and rngs[i] are copy i's (the state pointers of the env structs
   handed to the agent, in order); actions, observations and costs are copies rows of
   action_dim, observation_dim and cost_count floats; rewards, terminated and truncated one
   per copy (all zeroed before the call). Each copy must come out as step would have left it
   (the agent resets ended copies afterwards, one by one, through reset), so a batch and the
   per-copy step train bit-identically. NULL: step per copy. Other users of an environment
   (evaluation, data collection, off-policy training) step one copy and call step only. */
typedef struct saferl_rl_env {
    int observation_dim;
    int action_dim;        /* continuous: the dimension; discrete: 1 */
    int action_count;      /* discrete: the number of actions; 0 for continuous actions */
    void *state;           /* yours */
    saferl_result (*reset)(void *state, saferl_rng *rng, float *observation);
    saferl_result (*step)(void *state, saferl_rng *rng, const float *action, float *observation,
                          float *reward, float *cost, int *terminated, int *truncated);
    int cost_count;        /* costs a step writes, 0..8 (0: one, as 1) */
    saferl_result (*step_batch)(void *const *states, saferl_rng *rngs, int copies, const float *actions,
                                float *observations, float *rewards, float *costs, int *terminated,
                                int *truncated); /* optional (NULL: step per copy) */
} saferl_rl_env;

typedef enum saferl_rl_env_kind {
    SAFERL_RL_ENV_CARTPOLE = 0,
    SAFERL_RL_ENV_POINTGOAL = 1,
    SAFERL_RL_ENV_GRIDWORLD = 2,
    SAFERL_RL_ENV_PENDULUM = 3,
    SAFERL_RL_ENV_CLIFF = 4,
    SAFERL_RL_ENV_PENDULUM_V1 = 5,
    SAFERL_RL_ENV_RUNNER = 6
} saferl_rl_env_kind;
#define SAFERL_RL_ENV_KIND_COUNT 7
#define SAFERL_RL_MAX_OMEGA 2     /* uncertainty parameters of a built-in environment */

#define SAFERL_RL_POINTGOAL_HAZARDS 8
#define SAFERL_RL_LIDAR_BINS 16
#define SAFERL_RL_CLIFF_ROWS 4
#define SAFERL_RL_CLIFF_COLUMNS 6
#define SAFERL_RL_CLIFF_STATES (SAFERL_RL_CLIFF_ROWS * SAFERL_RL_CLIFF_COLUMNS)
#define SAFERL_RL_GRID_ROWS 7
#define SAFERL_RL_GRID_COLUMNS 9

/* The state of a built-in environment (plain data: copy it to snapshot an episode). */
typedef struct saferl_rl_builtin {
    saferl_rl_env_kind kind;
    int steps;                    /* in the current episode */
    int max_steps;
    double x[4];                  /* cartpole (x, x', theta, theta'); pendulum (theta, theta');
                                     pointgoal (x, y, vx, vy) */
    double heading, yaw_rate;     /* pointgoal */
    double goal[2], goal_distance;
    double hazards[SAFERL_RL_POINTGOAL_HAZARDS][2];
    int cell;                     /* gridworld and cliff: row * columns + column */
    int goals_reached;
    double omega[SAFERL_RL_MAX_OMEGA];      /* this episode's uncertainty parameters (read) */
    double omega_next[SAFERL_RL_MAX_OMEGA]; /* taken at the next reset (saferl_rl_builtin_set_omega) */
} saferl_rl_builtin;

/* Fills env for a built-in kind; state is its storage (kept by pointer). */
SAFERL_RL_API saferl_result saferl_rl_env_builtin(saferl_rl_env *env, saferl_rl_builtin *state,
                                                  saferl_rl_env_kind kind);
/* "cartpole", "pointgoal", "gridworld", "pendulum", "cliff", "pendulum-v1", "runner"; -1 for an
   unknown name. */
SAFERL_RL_API int saferl_rl_env_kind_from_name(const char *name);
SAFERL_RL_API const char *saferl_rl_env_kind_name(saferl_rl_env_kind kind);

/* Uncertainty parameters omega (robust RL: max over policies of min over omega in Omega).
   cartpole (pole mass, pole half-length), pendulum and pendulum-v1 (mass, length); the others
   have none. Writes the box Omega = [lower, upper] and the nominal omega (the environment's
   standard model) and returns how many parameters the kind has (0 for none, -1 for an
   unknown kind); any pointer may be NULL. */
SAFERL_RL_API int saferl_rl_builtin_omega_box(saferl_rl_env_kind kind, double *lower, double *upper,
                                              double *nominal);
/* Sets omega for the episodes that start at the next reset (the current episode keeps its
   own). SAFERL_ERR_INVALID_ARGUMENT for a kind without parameters or omega outside Omega,
   SAFERL_ERR_NOT_FINITE for NaN/Inf; the state is then unchanged. */
SAFERL_RL_API saferl_result saferl_rl_builtin_set_omega(saferl_rl_builtin *state, const double *omega);

/* The cliff CMDP as matrices, for an LP over occupation measures: transition[(s*4+a)*S + s']
   (S = SAFERL_RL_CLIFF_STATES; the goal cell is absorbing-terminal: its rows are zero),
   reward[s*4+a] and cost[s*4+a] expected per step, start the start cell. */
SAFERL_RL_API void saferl_rl_cliff_model(double *transition, double *reward, double *cost, int *start,
                                         int *goal);
#define SAFERL_RL_CLIFF_SLIP 0.1

/* ---- layers (karpathy/llm.c style: plain loops, shapes in the first comment) ---------- */

SAFERL_RL_API void saferl_rl_linear_forward(float *out, const float *inp, const float *weight,
                                            const float *bias, int B, int C, int OC);
SAFERL_RL_API void saferl_rl_linear_backward(float *dinp, float *dweight, float *dbias,
                                             const float *dout, const float *inp,
                                             const float *weight, int B, int C, int OC);
SAFERL_RL_API void saferl_rl_tanh_forward(float *out, const float *inp, int N);
SAFERL_RL_API void saferl_rl_tanh_backward(float *dinp, const float *out, const float *dout, int N);
SAFERL_RL_API void saferl_rl_relu_forward(float *out, const float *inp, int N);
SAFERL_RL_API void saferl_rl_relu_backward(float *dinp, const float *out, const float *dout, int N);
SAFERL_RL_API void saferl_rl_categorical_logprob_forward(float *logp, const float *logits,
                                                         const float *actions, int B, int A);
SAFERL_RL_API void saferl_rl_categorical_logprob_backward(float *dlogits, const float *logits,
                                                          const float *actions,
                                                          const float *dlogp, int B, int A);
SAFERL_RL_API void saferl_rl_gaussian_logprob_forward(float *logp, const float *mean,
                                                      const float *log_std, const float *actions,
                                                      int B, int A);
SAFERL_RL_API void saferl_rl_gaussian_logprob_backward(float *dmean, float *dlog_std,
                                                       const float *mean, const float *log_std,
                                                       const float *actions, const float *dlogp,
                                                       int B, int A);
SAFERL_RL_API float saferl_rl_ppo_clip_forward(const float *logp, const float *logp_old,
                                               const float *advantage, float clip, int B);
SAFERL_RL_API void saferl_rl_ppo_clip_backward(float *dlogp, const float *logp,
                                               const float *logp_old, const float *advantage,
                                               float clip, float dloss, int B);
/* KL(pi || pi_ref) per row: pi the distribution being trained, pi_ref a fixed reference (the
   direction FOCOPS and CUP minimise; PPO's early stop measures the other one). */
SAFERL_RL_API void saferl_rl_categorical_kl_forward(float *kl, const float *logits, const float *ref_logits,
                                                    int B, int A);
SAFERL_RL_API void saferl_rl_categorical_kl_backward(float *dlogits, const float *logits,
                                                     const float *ref_logits, const float *dkl, int B, int A);
SAFERL_RL_API void saferl_rl_gaussian_kl_forward(float *kl, const float *mean, const float *log_std,
                                                 const float *ref_mean, const float *ref_log_std, int B, int A);
SAFERL_RL_API void saferl_rl_gaussian_kl_backward(float *dmean, float *dlog_std, const float *mean,
                                                  const float *log_std, const float *ref_mean,
                                                  const float *ref_log_std, const float *dkl, int B, int A);
/* FOCOPS (Zhang, Vuong, Ross 2020, eq. 11): mean over the batch of
   (kl - rho A / temperature) 1[kl <= kl_bound], rho = exp(logp - logp_old), kl = KL(pi || pi_old)
   at the sample's state; the indicator is held fixed (no gradient through it). */
SAFERL_RL_API float saferl_rl_focops_forward(const float *logp, const float *logp_old, const float *kl,
                                             const float *advantage, float temperature, float kl_bound, int B);
SAFERL_RL_API void saferl_rl_focops_backward(float *dlogp, float *dkl, const float *logp, const float *logp_old,
                                             const float *kl, const float *advantage, float temperature,
                                             float kl_bound, float dloss, int B);
/* CUP's projection (Yang et al. 2022, eq. 13): mean(coef rho A_C + kl), kl = KL(pi || pi_mid)
   with pi_mid the policy after the improvement stage, rho against the behaviour policy. */
SAFERL_RL_API float saferl_rl_cup_forward(const float *logp, const float *logp_old, const float *kl,
                                          const float *cost_advantage, float coef, int B);
SAFERL_RL_API void saferl_rl_cup_backward(float *dlogp, float *dkl, const float *logp, const float *logp_old,
                                          const float *cost_advantage, float coef, float dloss, int B);
SAFERL_RL_API float saferl_rl_value_loss_forward(const float *value, const float *target, int B);
SAFERL_RL_API void saferl_rl_value_loss_backward(float *dvalue, const float *value,
                                                 const float *target, float dloss, int B);

/* ---- networks ----------------------------------------------------------------------------- */

#define SAFERL_RL_MAX_LAYERS 8
#define SAFERL_RL_MAX_WIDTH 4096

typedef enum saferl_rl_activation { SAFERL_RL_TANH = 0, SAFERL_RL_RELU = 1 } saferl_rl_activation;

/* A multilayer perceptron: layer_count linear layers, the activation after every one but
   the last. Parameters: per layer weight (sizes[l+1] x sizes[l]) then bias, in one block. */
typedef struct saferl_rl_mlp {
    int layer_count;
    int sizes[SAFERL_RL_MAX_LAYERS + 1];
    saferl_rl_activation activation;
} saferl_rl_mlp;

/* SAFERL_ERR_INVALID_ARGUMENT for a layer count outside 1..8 or a size outside 1..4096. */
SAFERL_RL_API saferl_result saferl_rl_mlp_define(saferl_rl_mlp *mlp, int input, const int *hidden,
                                                 int hidden_count, int output,
                                                 saferl_rl_activation activation);
SAFERL_RL_API size_t saferl_rl_mlp_param_count(const saferl_rl_mlp *mlp);
/* floats of activations for a batch of B: B * (sizes[1] + ... + sizes[L]). */
SAFERL_RL_API size_t saferl_rl_mlp_activation_count(const saferl_rl_mlp *mlp, int B);
/* Uniform(+-1/sqrt(fan_in)) weights and biases (PyTorch's nn.Linear default, which is
   OmniSafe's kaiming_uniform(a=sqrt 5)), last layer scaled by output_scale. */
SAFERL_RL_API void saferl_rl_mlp_init_params(const saferl_rl_mlp *mlp, float *params, saferl_rng *rng,
                                             float output_scale);
/* inp is (B, sizes[0]); acts holds saferl_rl_mlp_activation_count floats; returns the output
   (B, sizes[L]), a pointer into acts. */
SAFERL_RL_API float *saferl_rl_mlp_forward(const saferl_rl_mlp *mlp, const float *params,
                                           const float *inp, float *acts, int B);
/* Accumulates parameter gradients into grads (+=) and, if dinp is not NULL, the input
   gradient into dinp (+=). grads NULL skips the parameter gradients (about half the work)
   when only the input gradient is wanted, as when an actor's loss goes back through a
   critic. scratch holds 2 * B * max(sizes) floats. dout (B, sizes[L]). */
SAFERL_RL_API void saferl_rl_mlp_backward(const saferl_rl_mlp *mlp, const float *params, float *grads,
                                          const float *inp, const float *acts, const float *dout,
                                          float *dinp, float *scratch, int B);

/* Adam (Kingma and Ba), bias-corrected; step is the 1-based step count. */
SAFERL_RL_API void saferl_rl_adam_update(float *params, const float *grads, float *m, float *v,
                                         size_t count, float lr, float beta1, float beta2,
                                         float eps, long step);
/* Scales grads to global L2 norm max_norm if larger; returns the norm before. */
SAFERL_RL_API float saferl_rl_clip_grad_norm(float *grads, size_t count, float max_norm);

/* ---- policies -------------------------------------------------------------------------------- */

typedef enum saferl_rl_action_kind {
    SAFERL_RL_DISCRETE = 0,
    SAFERL_RL_GAUSSIAN = 1
} saferl_rl_action_kind;

/* A policy: the actor network, its head and the observation normaliser. It points at its
   parameters (owned by an agent, or by the memory handed to saferl_rl_policy_load). */
typedef struct saferl_rl_policy {
    saferl_rl_mlp net;
    saferl_rl_action_kind action_kind;
    int observation_dim;
    int action_dim;              /* actions (discrete) or dimensions (Gaussian) */
    float *params;               /* net params, then log_std (Gaussian) */
    float *obs_mean, *obs_std;   /* observation_dim each */
    /* Set by saferl_rl_policy_load: each layer's weights again, transposed, so that acting on
       one observation runs on contiguous vectors (same bits as without). NULL for a policy
       you build (zero the struct first); set it to NULL if you change a loaded policy's
       params, or load it again. */
    const float *packed;
} saferl_rl_policy;

/* A thread's scratch for acting: yours, one per thread. Acting reads the policy and writes
   only the context, so any number of threads may act with one policy at once, each with its
   own context. One context serves several policies when sized for the largest. */
typedef struct saferl_rl_policy_context {
    float *scratch;              /* the normalised observation, the activations, the action */
    size_t scratch_count;        /* floats at scratch */
} saferl_rl_policy_context;

SAFERL_RL_API size_t saferl_rl_policy_param_count(const saferl_rl_policy *policy);
/* Bytes saferl_rl_policy_save writes. */
SAFERL_RL_API size_t saferl_rl_policy_saved_size(const saferl_rl_policy *policy);
/* SAFERL_ERR_BUFFER_TOO_SMALL (nothing written) when capacity < saferl_rl_policy_saved_size. */
SAFERL_RL_API saferl_result saferl_rl_policy_save(const saferl_rl_policy *policy, void *buffer,
                                                  size_t capacity, size_t *written);
/* Checks a buffer completely and says how much memory saferl_rl_policy_load needs. */
SAFERL_RL_API saferl_result saferl_rl_policy_load_size(const void *buffer, size_t size, size_t *memory_size);
/* Loads into memory (8-byte aligned, saferl_rl_policy_load_size bytes); the buffer may be
   released afterwards. On error nothing is written to policy or memory. */
SAFERL_RL_API saferl_result saferl_rl_policy_load(saferl_rl_policy *policy, const void *buffer, size_t size,
                                                  void *memory, size_t memory_size);
/* Bytes of a context for this policy (4-byte aligned memory); init lays one out on yours. */
SAFERL_RL_API size_t saferl_rl_policy_context_memory_size(const saferl_rl_policy *policy);
SAFERL_RL_API saferl_result saferl_rl_policy_context_init(saferl_rl_policy_context *context, void *memory,
                                                          size_t memory_size);
/* One observation in, one action out (action_dim floats; a discrete action as its index).
   rng NULL: deterministic (argmax, mean); otherwise a sample, Gaussian actions clipped to
   [-1, 1]. Errors leave the action untouched: SAFERL_ERR_NOT_FINITE for a NaN/inf
   observation, or when the network's output (logits, means) or the action is not finite
   (weights that overflow: a policy built in memory; loading refuses such files);
   SAFERL_ERR_BUFFER_TOO_SMALL for a context smaller than the policy needs. Reads the policy,
   writes the context and rng only: thread-safe with a context per thread. No allocation. */
SAFERL_RL_API saferl_result saferl_rl_policy_act(const saferl_rl_policy *policy, saferl_rl_policy_context *context,
                                                 const float *observation, float *action, saferl_rng *rng);
/* The action distribution policy_act draws from, for one observation (through the
   normaliser). A discrete policy's action probabilities pi(a | s): action_dim floats, the
   softmax of the logits. A Gaussian policy's mean and standard deviation per dimension
   (action_dim floats each), before policy_act clips its action to [-1, 1]. Errors as
   policy_act (SAFERL_ERR_INVALID_ARGUMENT for the other action kind); outputs untouched then. */
SAFERL_RL_API saferl_result saferl_rl_policy_probabilities(const saferl_rl_policy *policy,
                                                           saferl_rl_policy_context *context,
                                                           const float *observation, float *probabilities);
SAFERL_RL_API saferl_result saferl_rl_policy_mean_std(const saferl_rl_policy *policy, saferl_rl_policy_context *context,
                                                      const float *observation, float *mean, float *std);
/* SAFERL_ERR_INVALID_ARGUMENT when the policy does not fit env (dimensions, action kind). */
SAFERL_RL_API saferl_result saferl_rl_policy_check_env(const saferl_rl_policy *policy, const saferl_rl_env *env);

/* Steps an episode may last when max_steps is 0 ("until the environment ends it") in
   saferl_rl_evaluate, saferl_rl_flip_evaluate and saferl_rl_rcsl_evaluate: an environment
   that never ends one makes them return SAFERL_ERR_DID_NOT_CONVERGE (outputs untouched)
   instead of looping forever. saferl_rl_dataset_collect is bounded by the dataset. */
#define SAFERL_RL_EPISODE_STEP_LIMIT 1000000

/* Average undiscounted return and cost of `episodes` episodes (each at most max_steps,
   0 = until the environment ends it, SAFERL_RL_EPISODE_STEP_LIMIT at most), acting through
   context. */
SAFERL_RL_API saferl_result saferl_rl_evaluate(const saferl_rl_policy *policy, saferl_rl_policy_context *context,
                                               const saferl_rl_env *env, int episodes, int max_steps,
                                               int deterministic, uint32_t seed, double *mean_return,
                                               double *mean_cost);

#ifndef SAFERL_NO_STDIO
/* The file helpers (all of this header's *_save_file and *_load_file). Saving writes
   "<path>.tmp" beside path, checks every write, the flush and the close, then renames it
   over path: on any failure path is untouched, the temporary removed, and the result is
   SAFERL_ERR_IO with errno saying why (strerror). A path that is not a regular file (a
   device, a pipe) is written in place. Loading: SAFERL_ERR_IO (errno) when the file cannot
   be opened or read, SAFERL_ERR_OUT_OF_MEMORY, and otherwise what the buffer loader says
   (SAFERL_ERR_CORRUPT, _VERSION, _NOT_FINITE); it allocates the file's length, then what
   the checked content needs. */
SAFERL_RL_API saferl_result saferl_rl_policy_save_file(const saferl_rl_policy *policy, const char *path);
/* Reads a file and loads it into memory from the allocator (NULL: SAFERL_MALLOC); release
   with saferl_rl_policy_free_file. */
SAFERL_RL_API saferl_result saferl_rl_policy_load_file(saferl_rl_policy *policy, const char *path,
                                                       const saferl_allocator *allocator);
SAFERL_RL_API void saferl_rl_policy_free_file(saferl_rl_policy *policy, const saferl_allocator *allocator);
#endif

/* ---- trust region (CPO, TRPO family) ------------------------------------------------------ */

/* Floats of scratch saferl_rl_policy_fvp needs for a batch of B. */
SAFERL_RL_API size_t saferl_rl_fvp_scratch_count(const saferl_rl_policy *policy, int B);
/* Fisher-vector product out = F v + damping v, F the Fisher information of the policy at its
   parameters averaged over the B network inputs inp (B, observation_dim; already
   normalised: the network's input), for KL(pi_old || pi) summed over action dimensions. The
   closed Gauss-Newton form: F = (1/B) sum_s J(s)^T M(s) J(s), J the Jacobian of the head
   (logits or means) by the parameters, M = diag(p) - p p^T (categorical) or diag(sigma^-2)
   (Gaussian means), and 2 I on the state-independent log sigma block. J v is one
   forward-mode pass, J^T u one backward pass. v, out: saferl_rl_policy_param_count floats. */
SAFERL_RL_API void saferl_rl_policy_fvp(const saferl_rl_policy *policy, const float *inp, int B,
                                        const float *v, float *out, float damping, float *scratch);

/* out = A v for a symmetric positive definite A of size n. */
typedef void (*saferl_rl_matvec)(void *context, const float *v, float *out);
/* Conjugate gradient for A x = b from x = 0: at most `iterations` steps, stopping when the
   residual norm is below 1e-10 or p^T A p <= 0 (A not positive definite on p). work holds
   3 n floats. Returns the iterations done. Sums in double. */
SAFERL_RL_API int saferl_rl_conjugate_gradient(saferl_rl_matvec apply, void *context, const float *b,
                                               float *x, size_t n, int iterations, float *work);

/* CPO's step (Achiam et al. 2017, appendix 10.2): maximise g^T D subject to
   c + b^T D <= 0 and D^T H D / 2 <= delta, given x = H^-1 g, p = H^-1 b and the scalars
   q = g^T x, r = g^T p, s = b^T p, bb = b^T b. The step is D = x_coef x - p_coef p.
   optim_case: 4 (cost gradient ~ 0, feasible: TRPO step), 3 (c < 0, the whole trust region
   feasible: TRPO step), 2 (c < 0, the constraint cuts the trust region), 1 (c >= 0, the
   feasible set meets the trust region), 0 (c >= 0, infeasible trust region: the recovery
   step D = -sqrt(2 delta / s) p, which only decreases the cost). lambda and nu are the dual
   variables (lambda of the trust region, nu of the constraint). SAFERL_ERR_INVALID_ARGUMENT
   for non-finite input, q <= 0, s < 0 or delta <= 0; SAFERL_ERR_INFEASIBLE when c >= 0 and
   the cost gradient is zero (no step can help). */
typedef struct saferl_rl_cpo_step {
    int optim_case;
    double lambda, nu;
    double x_coef, p_coef;
} saferl_rl_cpo_step;
SAFERL_RL_API saferl_result saferl_rl_cpo_dual(double q, double r, double s, double c, double delta, double bb,
                                               saferl_rl_cpo_step *step);
/* CPO's line-search acceptance: KL <= delta, the cost surrogate grew by at most max(-c, 0),
   and, in cases 2..4 only (a feasible start), the reward surrogate did not decrease. */
SAFERL_RL_API int saferl_rl_cpo_accept(int optim_case, double kl, double delta, double reward_improvement,
                                       double cost_change, double c);
/* PCPO's step (Yang et al. 2020, eq. 8, the KL projection): the TRPO reward step
   D_R = sqrt(2 delta / q) x, then the projection of theta_k + D_R onto the linearised
   constraint set {c + b^T D <= 0} in the Fisher (KL) metric:
   D = D_R - max(0, (sqrt(2 delta / q) r + c) / s) p, with x = H^-1 g, p = H^-1 b, q = g^T x,
   r = g^T p (= b^T x), s = b^T p. Fills step with x_coef = sqrt(2 delta / q), p_coef = nu =
   the projection's multiplier, lambda = 1 / x_coef, and optim_case 1 when the projection
   moved the step (the constraint binds) or 3 when the reward step already satisfies it.
   SAFERL_ERR_INVALID_ARGUMENT for non-finite input, q <= 0, s < 0 or delta <= 0;
   SAFERL_ERR_INFEASIBLE when the projection is needed and the cost gradient is zero. */
SAFERL_RL_API saferl_result saferl_rl_pcpo_step(double q, double r, double s, double c, double delta,
                                                saferl_rl_cpo_step *step);

/* ---- flipping-based mixtures (Shen et al. 2024) ------------------------------------------- */

/* The best mixture of `count` evaluated policies: maximise sum_i w_i value_i subject to
   sum_i w_i constraint_i <= limit, sum_i w_i = 1, w >= 0 (constraint: the expected episodic
   cost, or the violation probability for a chance constraint). An optimal vertex has at most
   two non-zero weights (the paper's Theorem 7), so the solver is exact: the best feasible
   policy alone, or the best pair i, j with constraint_i <= limit < constraint_j mixed so the
   constraint binds, w_i = (constraint_j - limit) / (constraint_j - constraint_i). Ties keep
   the lowest indices. SAFERL_ERR_INFEASIBLE when every constraint exceeds limit,
   SAFERL_ERR_INVALID_ARGUMENT for count < 1 or non-finite input. */
typedef struct saferl_rl_mixture {
    int first, second;          /* the policies mixed (second == first: one policy) */
    double first_weight;        /* the probability of first; second gets the rest */
    double value, constraint;   /* the mixture's expected value and constraint */
} saferl_rl_mixture;
SAFERL_RL_API saferl_result saferl_rl_mixture_solve(const double *value, const double *constraint, int count,
                                                    double limit, saferl_rl_mixture *mixture);

/* When the coin is tossed. Per episode is the LP's (and the theory's) mixture: each episode
   runs one policy, so its expected return and cost are exactly the weighted averages. Per
   step is the paper's Algorithm 2: every step draws again, which gives another trajectory
   distribution whose return and cost need not be the LP's (measure it). */
typedef enum saferl_rl_flip_mode {
    SAFERL_RL_FLIP_PER_EPISODE = 0,
    SAFERL_RL_FLIP_PER_STEP = 1
} saferl_rl_flip_mode;

typedef struct saferl_rl_flip_policy {
    const saferl_rl_policy *first, *second;
    double first_weight;        /* the probability of acting with first */
    saferl_rl_flip_mode mode;
    int current;                /* per episode: 0 first, 1 second (set by begin_episode) */
    saferl_rl_policy_context *context; /* yours: scratch for acting, sized for the larger policy */
} saferl_rl_flip_policy;

/* Per episode: tosses this episode's coin (per step: nothing). */
SAFERL_RL_API void saferl_rl_flip_begin_episode(saferl_rl_flip_policy *flip, saferl_rng *coin);
/* One action as saferl_rl_policy_act (rng NULL: each policy's deterministic action); coin
   draws the per-step flips. No allocation. */
SAFERL_RL_API saferl_result saferl_rl_flip_act(saferl_rl_flip_policy *flip, const float *observation,
                                               float *action, saferl_rng *coin, saferl_rng *rng);
/* saferl_rl_evaluate for a mixture, with the violation probability: the fraction of episodes
   whose cost exceeded 0 (the episode left the safe set). Any output may be NULL. */
SAFERL_RL_API saferl_result saferl_rl_flip_evaluate(saferl_rl_flip_policy *flip, const saferl_rl_env *env,
                                                    int episodes, int max_steps, int deterministic, uint32_t seed,
                                                    double *mean_return, double *mean_cost,
                                                    double *violation_probability);

/* ---- training --------------------------------------------------------------------------- */

typedef enum saferl_rl_algorithm {
    SAFERL_RL_PPO = 0,       /* unconstrained */
    SAFERL_RL_PPO_LAG = 1,   /* Lagrangian: dual ascent on lambda */
    SAFERL_RL_PID_LAG = 2,   /* PID-controlled lambda */
    SAFERL_RL_CPO = 3,       /* constrained policy optimisation (trust region) */
    SAFERL_RL_PCPO = 4,      /* projection-based CPO: TRPO step, then KL projection */
    SAFERL_RL_TRPO_LAG = 5,  /* TRPO on the Lagrangian-mixed advantage, lambda as PPO-Lag */
    SAFERL_RL_FOCOPS = 6,    /* first-order: the non-parametric optimum, then a KL projection onto it */
    SAFERL_RL_CUP = 7        /* first-order: PPO on the reward, then a projection that lowers the cost */
} saferl_rl_algorithm;
#define SAFERL_RL_ALGORITHM_COUNT 8

/* "ppo", "ppo-lag", "pid-lag", "cpo", "pcpo", "trpo-lag", "focops", "cup"; -1 for an unknown name. */
SAFERL_RL_API int saferl_rl_algorithm_from_name(const char *name);
SAFERL_RL_API const char *saferl_rl_algorithm_name(saferl_rl_algorithm algorithm);

typedef enum saferl_rl_lambda_optimizer {
    SAFERL_RL_LAMBDA_SGD = 0,   /* the paper's projected gradient step (default) */
    SAFERL_RL_LAMBDA_ADAM = 1   /* OmniSafe's Adam on -lambda (J_C - d) */
} saferl_rl_lambda_optimizer;

/* The units a multiplier is measured in (see ALGORITHMS, "multiplier scale"). */
typedef enum saferl_rl_multiplier_scale {
    SAFERL_RL_MULTIPLIER_RELATIVE = 0,  /* default: a pure number, the same on any cost scale */
    SAFERL_RL_MULTIPLIER_COST_UNITS = 1 /* the papers' and OmniSafe's: per unit of cost */
} saferl_rl_multiplier_scale;

/* What the off-policy multipliers' Adam ascends (ALGORITHMS, "TD3-Lag and SAC-Lag"). */
typedef enum saferl_rl_lagrange_space {
    SAFERL_RL_LAGRANGE_DEFAULT = 0, /* LOG for discrete SAC-Lag under RELATIVE (0.5.7), LINEAR otherwise */
    SAFERL_RL_LAGRANGE_LINEAR = 1,  /* lambda's integral itself, projected onto >= 0 */
    SAFERL_RL_LAGRANGE_LOG = 2      /* nu = log of the integral, as SAC's temperature: relative steps */
} saferl_rl_lagrange_space;

/* What J_C, the cost every constraint's update acts on, is the mean of (see ALGORITHMS,
   "the cost estimate"). */
typedef enum saferl_rl_cost_estimate {
    SAFERL_RL_COST_ESTIMATE_DEFAULT = 0, /* EPOCH with a RELATIVE multiplier, WINDOW with COST_UNITS */
    SAFERL_RL_COST_EPOCH = 1,  /* the episodes finished in this epoch; when none did, the last
                                  epoch's that finished any (Ray et al.'s and Stooke et al.'s code) */
    SAFERL_RL_COST_WINDOW = 2  /* the last episode_window finished episodes (OmniSafe's) */
} saferl_rl_cost_estimate;

/* What cg_damping is measured in (see ALGORITHMS, "Fisher-vector products"). */
typedef enum saferl_rl_damping_scale {
    SAFERL_RL_DAMPING_ABSOLUTE = 0, /* default: cg_damping itself added to F (OmniSafe's 0.1) */
    SAFERL_RL_DAMPING_RELATIVE = 1  /* cg_damping times F's curvature along the reward gradient,
                                       g^T F g / g^T g: the same step whatever F's scale (it did
                                       not win on held-out CMDPs: README) */
} saferl_rl_damping_scale;

#define SAFERL_RL_MAX_COSTS 8
/* Asks for "none" in a field whose zero means its default: a zero gain or coefficient, no
   bound, no early stop (noted per field). Any other negative value there is an error. */
#define SAFERL_RL_NONE (-1.0)

/* The desc's rules (see DESC FIELDS above): the cost limits state the problem and have no
   default (0 means 0); every other field's zero means the default written beside it. */
typedef struct saferl_rl_desc {
    saferl_rl_algorithm algorithm;   /* PPO */
    uint32_t seed;                   /* 0 is a seed like any other */
    int hidden[SAFERL_RL_MAX_LAYERS - 1]; /* hidden sizes; all zero: {64, 64} */
    int hidden_count;                /* 0 with hidden[0] == 0: two layers; -1: no hidden layer */
    saferl_rl_activation activation; /* tanh */
    int steps_per_epoch;             /* 2000 (over all environments; a multiple of their count) */
    int update_iters;                /* 10 passes over the batch */
    int minibatch;                   /* 64 */
    double clip;                     /* 0.2 */
    double target_kl;                /* 0.02; SAFERL_RL_NONE: no early stop */
    double gamma, lambda;            /* 0.99, 0.95 (reward GAE) */
    double cost_gamma, cost_lambda;  /* 0.99, 0.95 (cost GAE) */
    double actor_lr, critic_lr;      /* 3e-4, 1e-3 */
    int total_epochs;                /* > 0: both learning rates decay linearly to 0 over it */
    double max_grad_norm;            /* 40 */
    double critic_norm_coef;         /* 0.001; SAFERL_RL_NONE: 0 */
    double init_log_std;             /* 0 (sigma 1) for Gaussian policies; negative allowed */
    int no_obs_normalize;            /* 0: normalise observations */
    /* the constraints E[episodic cost] <= d: required by every algorithm but PPO (a desc
       without them fails: "cost_limit: required"); no default, 0 means 0 */
    int cost_count;                  /* 1 (0 only for PPO) */
    double cost_limits[SAFERL_RL_MAX_COSTS]; /* d, finite */
    double lagrange_init;            /* lambda_0: 0.001; SAFERL_RL_NONE: 0 */
    saferl_rl_multiplier_scale multiplier_scale; /* RELATIVE (scale-free); COST_UNITS: OmniSafe's */
    double lambda_lr;                /* RELATIVE: 2; COST_UNITS: 0.035 */
    saferl_rl_lambda_optimizer lambda_optimizer; /* SGD */
    double lambda_kp;                /* PPO-Lag, TRPO-Lag, FOCOPS, CUP: a proportional term lambda_kp e_p on
                                        top of the dual ascent, e_p the violation in units of the limit
                                        (ALGORITHMS, "the proportional term"): RELATIVE: 1, FOCOPS and
                                        CUP 10 ("damping nu", their e_p at most 1: "bounded push");
                                        COST_UNITS: SAFERL_RL_NONE (none: the plain dual ascent) */
    double pid_kp, pid_ki, pid_kd;   /* RELATIVE: 1, 2, SAFERL_RL_NONE; COST_UNITS: 0.1, 0.01,
                                        0.01; SAFERL_RL_NONE: 0 */
    double pid_ema_alpha;            /* 0: none (paper); OmniSafe 0.95 */
    int pid_delay;                   /* 1 (paper); OmniSafe 10 */
    int episode_window;              /* 100 episodes for the reported return and cost (and J_C
                                        under SAFERL_RL_COST_WINDOW) */
    saferl_rl_cost_estimate cost_estimate; /* RELATIVE: EPOCH; COST_UNITS: WINDOW */
    /* FOCOPS and CUP (their multiplier follows lambda_lr and lambda_optimizer as PPO-Lag) */
    double lagrange_max;             /* FOCOPS, CUP: nu in [0, lagrange_max]: RELATIVE: SAFERL_RL_NONE
                                        (unbounded); COST_UNITS: 2 */
    double focops_temperature;       /* FOCOPS: lambda of the paper: 1.5 */
    double focops_kl_bound;          /* FOCOPS: delta of the paper's per-state KL mask: 0.02 */
    /* the trust-region fields serve CPO, PCPO and TRPO-Lag alike */
    double trust_region;             /* CPO: delta, the bound on the mean KL: 0.01 */
    int cg_iters;                    /* CPO: conjugate-gradient iterations: 15 */
    double cg_damping;               /* CPO: F + damping I: 0.1; SAFERL_RL_NONE: 0 */
    saferl_rl_damping_scale cg_damping_scale; /* CPO: what cg_damping is in: ABSOLUTE */
    int line_search_steps;           /* CPO: backtracking steps (factor 0.8): 15 */
    double cost_test_z;              /* CPO, PCPO: the line search tests a step that may spend
                                        slack on the batch's predicted change of J_C plus z
                                        standard errors (ALGORITHMS, "the cost test's bound"):
                                        1.645 (one-sided 95%); SAFERL_RL_NONE: the change itself
                                        (the papers', before 0.5.6) */
    saferl_allocator allocator;      /* for saferl_rl_agent_create */
} saferl_rl_desc;

/* After one epoch. */
typedef struct saferl_rl_epoch_stats {
    int epoch;                  /* 1-based */
    long total_steps;
    double episode_return;      /* mean over the window (NaN before the first episode ends) */
    double episode_cost;        /* mean episode cost over the same window */
    double lagrange_multiplier; /* lambda used for this epoch's update */
    double cost_rate;           /* all cost / all steps since the start */
    int cost_count;             /* the constraints; per constraint (episode_cost, lagrange_multiplier
                                   and cost_rate are constraint 0's): */
    double episode_costs[SAFERL_RL_MAX_COSTS], lagrange_multipliers[SAFERL_RL_MAX_COSTS];
    double cost_rates[SAFERL_RL_MAX_COSTS];
    double cost_estimates[SAFERL_RL_MAX_COSTS]; /* J_C the update acted on (desc.cost_estimate;
                                   NaN before an episode has ended) */
    int episodes;               /* finished this epoch */
    int update_passes;          /* passes done before the KL stop */
    double kl;                  /* after the last pass */
    double actor_loss, reward_critic_loss, cost_critic_loss;
    int optim_case;             /* CPO: the dual's case 0..4; PCPO 1 (projected) or 3; TRPO-Lag 4
                                   (-1: no step taken) */
    double step_fraction;       /* trust region: the accepted 0.8^j of the full step (0: rejected) */
} saferl_rl_epoch_stats;

#define SAFERL_RL_MAX_ENVS 256

/* The agent: read desc, actor and the statistics freely. The parts below them are the
   training state, grouped by what works on them; they are internal (laid out by
   saferl_rl_agent_init on its memory) but named so a reader sees what each update touches. */
typedef struct saferl_rl_agent {
    saferl_rl_desc desc;          /* with the defaults filled in */
    saferl_rl_policy actor;       /* points into networks.params */
    /* statistics */
    int epoch;
    long total_steps;
    double total_cost[SAFERL_RL_MAX_COSTS]; /* per constraint */
    struct { /* the environments, stepped in lockstep (all of this lives in the agent's memory) */
        saferl_rl_env *envs;      /* copies of the env structs handed to init */
        int count, steps_each, needs_reset;
        float *observations, *normalized, *actions, *next_observations; /* a row each */
        double *episode_return, *episode_cost; /* of each open episode (costs: cost_count a row) */
        void **states;            /* each env's state pointer, for step_batch */
        float *rewards, *costs;   /* one step's: a reward a copy, cost_count costs a copy */
        int *terminated, *truncated; /* one step's: a flag each a copy */
        float *values;            /* the critics' values of the current observations: reward, costs */
        int *path_start;          /* the rollout row where each open episode's path starts */
        saferl_rng *rngs;
    } environments;
    struct { /* one parameter block laid out actor | reward critic | cost critic 0 | ... */
        saferl_rl_mlp reward_critic, cost_critic; /* cost_critic: every cost critic's shape */
        int cost_count;           /* cost critics: the environment's costs */
        float *params, *grads, *adam_m, *adam_v;
        size_t actor_count, critic_count, param_total;
        long adam_step;
        int head_width;           /* logits (discrete) or means (Gaussian) */
        int stored_action_dim;    /* floats an action takes in the buffers */
        int batch_max;            /* the largest batch a network sees at once */
    } networks;
    struct { /* activations and gradients for a batch of up to batch_max */
        float *acts_actor, *acts_reward, *acts_cost, *backward_scratch, *dhead, *dvalue, *logp, *dlogp;
        float *sample_kl, *dkl;   /* FOCOPS and CUP: the per-state KL and its gradient */
    } work;
    struct { /* the epoch's steps: environment e's at rows [e T, (e + 1) T), T = steps_each; the
                cost arrays hold cost_count blocks of steps_per_epoch rows */
        float *observations;      /* normalised: the networks' input */
        float *actions, *logp_old, *old_heads, *old_log_std; /* the policy that acted */
        float *rewards, *costs, *reward_values, *cost_values;
        float *reward_advantages, *cost_advantages, *reward_returns, *cost_returns;
    } rollout;
    struct { /* rows of the rollout in a shuffled order */
        int *order;
        float *observations, *actions, *logp_old, *advantages, *reward_returns;
        float *cost_returns;      /* cost_count blocks of minibatch rows */
        float *reference;         /* FOCOPS and CUP: the reference policy's heads */
    } minibatch;
    struct { /* CPO, PCPO, TRPO-Lag: g, b, x = F^-1 g, p = F^-1 b, the step, theta_old, CG */
        float *reward_gradient, *cost_gradient, *reward_direction, *cost_direction, *step, *params_old, *cg_work;
        double damping;           /* the epoch's: cg_damping, or times F's curvature (RELATIVE) */
    } trust_region;
    struct { /* CUP: the mid-point policy its projection stays near */
        float *heads, *log_std;
        float *cost_advantages;   /* several constraints: their weighted sum */
    } reference;
    struct { /* a Lagrange multiplier per constraint and its controller's state */
        double value[SAFERL_RL_MAX_COSTS]; /* the dual ascent's or the PID's output */
        double applied[SAFERL_RL_MAX_COSTS]; /* what this epoch's update weighs the costs by: value
                                    plus the proportional term (lambda_kp); derived, not saved */
        long adam_step;           /* lambda_optimizer Adam */
        double adam_m[SAFERL_RL_MAX_COSTS], adam_v[SAFERL_RL_MAX_COSTS];
        double pid_integral[SAFERL_RL_MAX_COSTS], pid_error[SAFERL_RL_MAX_COSTS], pid_cost[SAFERL_RL_MAX_COSTS];
        double *pid_history;      /* pid_delay a constraint */
        int pid_history_next;
    } multiplier;
    struct { /* finished episodes: the window the reported return and cost are measured over */
        int count, next;
        float *returns, *costs;   /* costs: cost_count a row */
        float *pending_returns, *pending_costs; /* this rollout's, committed when it succeeds */
        /* the latest epoch that finished an episode: how many, their mean costs (J_C under
           SAFERL_RL_COST_EPOCH; an epoch that finishes none keeps the previous one's) */
        int epoch_count;
        double epoch_costs[SAFERL_RL_MAX_COSTS];
    } episodes;
    struct { /* the observation normaliser's running count, mean and M2 */
        double *count_mean_m2, *pending;
    } normalizer;
    saferl_rng rng;
    void *owned_memory;
} saferl_rl_agent;

/* Fills the defaults (what the agent will use); SAFERL_RL_NONE stays as it is. */
SAFERL_RL_API saferl_rl_desc saferl_rl_desc_defaults(const saferl_rl_desc *desc);
/* Checks desc and envs as saferl_rl_agent_init does. Returns SAFERL_OK or the error init
   returns, and *message (optional; a static string) names the field at fault with what is
   wrong, e.g. "cost_limit: required (cost_count = 1, cost_limits[0] = d)", or "ok". Call it
   after a failed init or create to say why. */
SAFERL_RL_API saferl_result saferl_rl_desc_check(const saferl_rl_desc *desc, const saferl_rl_env *envs,
                                                 int env_count, const char **message);
/* Bytes for saferl_rl_agent_init; 0 for an invalid desc or environment. */
SAFERL_RL_API size_t saferl_rl_agent_memory_size(const saferl_rl_desc *desc, const saferl_rl_env *envs,
                                                 int env_count);
/* env_count environments (at most SAFERL_RL_MAX_ENVS, all of the same shape) are stepped in
   lockstep; agent keeps copies of the env structs in its memory (their state pointers must
   stay valid), so the struct itself holds no per-environment slots. */
SAFERL_RL_API saferl_result saferl_rl_agent_init(saferl_rl_agent *agent, const saferl_rl_desc *desc,
                                                 const saferl_rl_env *envs, int env_count,
                                                 void *memory, size_t memory_size);
SAFERL_RL_API saferl_result saferl_rl_agent_create(saferl_rl_agent *agent, const saferl_rl_desc *desc,
                                                   const saferl_rl_env *envs, int env_count);
SAFERL_RL_API void saferl_rl_agent_destroy(saferl_rl_agent *agent);
/* One epoch: rollout of steps_per_epoch steps, lambda update, PPO update (CPO, PCPO,
   TRPO-Lag: one trust-region step, then the critics). stats optional. */
SAFERL_RL_API saferl_result saferl_rl_agent_epoch(saferl_rl_agent *agent, saferl_rl_epoch_stats *stats);

/* ---- checkpoints: the whole training state ("SRLK", format below) ------------------------ */

/* Bytes saferl_rl_agent_checkpoint_save writes for this agent (exact). */
SAFERL_RL_API size_t saferl_rl_agent_checkpoint_size(const saferl_rl_agent *agent);
/* Writes the agent's training state (networks, Adam, multipliers, normaliser, episode window,
   counters, random generators, the open episodes and the built-in environments' states) to
   buffer. SAFERL_ERR_BUFFER_TOO_SMALL if capacity is short; *written (optional) the bytes. */
SAFERL_RL_API saferl_result saferl_rl_agent_checkpoint_save(const saferl_rl_agent *agent, void *buffer,
                                                            size_t capacity, size_t *written);
/* Loads a checkpoint into an agent initialised from the same desc (the seed may differ: the
   checkpoint's generators replace it) and environments of the same shape and kinds. Every
   byte is checked before the agent is written: on failure the agent and its environments
   are unchanged. SAFERL_ERR_CORRUPT (bad magic, length, checksum, a value out of range),
   SAFERL_ERR_VERSION, SAFERL_ERR_NOT_FINITE, SAFERL_ERR_INVALID_ARGUMENT (another desc or
   environment). *message (optional; a static string) says what, e.g. "steps_per_epoch: the
   checkpoint's differs from this agent's desc", or "ok". A user's environment is not in the
   checkpoint: restore its state as it was at the save, or call
   saferl_rl_agent_restart_episodes (see CHECKPOINT FORMAT). */
SAFERL_RL_API saferl_result saferl_rl_agent_checkpoint_load(saferl_rl_agent *agent, const void *data, size_t size,
                                                            const char **message);
/* Drops the open episodes: every environment is reset at the start of the next epoch. */
SAFERL_RL_API void saferl_rl_agent_restart_episodes(saferl_rl_agent *agent);
#ifndef SAFERL_NO_STDIO
/* The same through a file, written atomically (a temporary renamed over path; SAFERL_ERR_IO
   with errno on failure, the old file untouched). Loading reads through the desc's allocator. */
SAFERL_RL_API saferl_result saferl_rl_agent_checkpoint_save_file(const saferl_rl_agent *agent, const char *path);
SAFERL_RL_API saferl_result saferl_rl_agent_checkpoint_load_file(saferl_rl_agent *agent, const char *path,
                                                                 const char **message);
#endif

/* ---- offline data: logged trajectories ------------------------------------------------ */

typedef struct saferl_rl_dataset_desc {
    int observation_dim;            /* 1..4096 */
    int action_dim;                 /* continuous: 1..4096; discrete: 1 */
    int action_count;               /* discrete: 2..4096; 0: continuous actions */
    long max_steps;                 /* capacity in steps (>= 0) */
    long max_episodes;              /* capacity in episodes (>= 0) */
    saferl_allocator allocator;     /* for saferl_rl_dataset_create */
} saferl_rl_dataset_desc;

/* Logged episodes, steps stored contiguously. The arrays are sized by the desc's capacities;
   entries [0, step_count) and [0, episode_count) are valid. */
typedef struct saferl_rl_dataset {
    int observation_dim, action_dim, action_count;
    long max_steps, max_episodes;
    long step_count, episode_count;
    float *observations;            /* max_steps x observation_dim */
    float *actions;                 /* max_steps x action_dim */
    float *rewards, *costs;         /* max_steps */
    long *episode_start;            /* max_episodes + 1; episode e is steps
                                       [episode_start[e], episode_start[e + 1]) */
    unsigned char *terminated;      /* max_episodes: 1 the environment ended it, 0 truncated/cut */
    saferl_allocator allocator;
    void *owned_memory;             /* set by saferl_rl_dataset_create */
} saferl_rl_dataset;

/* Bytes for saferl_rl_dataset_init; 0 for an invalid desc (or a size that overflows size_t). */
SAFERL_RL_API size_t saferl_rl_dataset_memory_size(const saferl_rl_dataset_desc *desc);
/* An empty dataset on your memory (8-byte aligned). */
SAFERL_RL_API saferl_result saferl_rl_dataset_init(saferl_rl_dataset *dataset, const saferl_rl_dataset_desc *desc,
                                                   void *memory, size_t memory_size);
SAFERL_RL_API saferl_result saferl_rl_dataset_create(saferl_rl_dataset *dataset, const saferl_rl_dataset_desc *desc);
SAFERL_RL_API void saferl_rl_dataset_destroy(saferl_rl_dataset *dataset);
/* Empties it (capacity kept). */
SAFERL_RL_API void saferl_rl_dataset_clear(saferl_rl_dataset *dataset);
/* The desc that holds exactly this dataset for the given env shape; handy before init. */
SAFERL_RL_API saferl_rl_dataset_desc saferl_rl_dataset_desc_for_env(const saferl_rl_env *env, long max_steps,
                                                                    long max_episodes);

/* Appends one episode of `length` >= 1 steps from your arrays (observations length x
   observation_dim, actions length x action_dim, rewards, costs). SAFERL_ERR_BUFFER_TOO_SMALL
   when it does not fit, SAFERL_ERR_NOT_FINITE / SAFERL_ERR_INVALID_ARGUMENT (a discrete
   action not an index) for bad data: the dataset is unchanged then. */
SAFERL_RL_API saferl_result saferl_rl_dataset_append_episode(saferl_rl_dataset *dataset, const float *observations,
                                                             const float *actions, const float *rewards,
                                                             const float *costs, long length, int terminated);

/* Runs `episodes` episodes of `policy` on `env` and appends them. policy NULL: uniformly
   random actions (discrete: uniform index; continuous: U[-1, 1] per dimension); otherwise
   the policy acts through context (NULL without a policy). With
   probability epsilon (0..1) a step's action is such a random action instead of the
   policy's (epsilon-random mixtures of varying safety). deterministic != 0: the policy's
   argmax / mean, else a sample. Each episode lasts until the environment ends it or
   max_steps steps (0: no limit of ours; such a cut episode is stored with terminated 0).
   rng drives the environment, the sampling and epsilon (one seed reproduces the data).
   episode_returns / episode_costs (optional, `episodes` doubles) receive each episode's
   undiscounted return and cost. On any error (no room: SAFERL_ERR_BUFFER_TOO_SMALL; the env
   failed or returned NaN; a policy that does not fit env: SAFERL_ERR_INVALID_ARGUMENT) the
   dataset is left as it was before the call. No allocation. */
SAFERL_RL_API saferl_result saferl_rl_dataset_collect(saferl_rl_dataset *dataset, const saferl_rl_policy *policy,
                                                      saferl_rl_policy_context *context, const saferl_rl_env *env,
                                                      int episodes, int max_steps, int deterministic, double epsilon,
                                                      saferl_rng *rng,
                                                      double *episode_returns, double *episode_costs);

/* Undiscounted return and cost of episode e (0 <= e < episode_count). */
SAFERL_RL_API void saferl_rl_dataset_episode_return(const saferl_rl_dataset *dataset, long e, double *episode_return,
                                                    double *episode_cost);

/* MTRO: target returns chosen from the offline data alone, after the expert-return inference of
   Multi-Game Decision Transformers (Lee et al., NeurIPS 2022, arXiv 2205.15241):
   P(R | expert) is proportional to exp(kappa (R - R_low) / (R_high - R_low)) P(R). Here P(R) is the
   data's own distribution of episode returns (what a return model fitted to the data predicts at
   the start), taken over the episodes whose cost is at most cost_limit, and R_low, R_high are the
   lowest and highest of their returns. *reward_target and *cost_target get the means of those
   episodes' returns and costs under that weighting (equal weights when all returns are equal).
   kappa > 0 says how strongly the top episodes count (Lee et al. use 10). Errors, outputs
   unchanged: SAFERL_ERR_INVALID_ARGUMENT (NULL, kappa <= 0), SAFERL_ERR_NOT_FINITE (cost_limit
   or kappa), SAFERL_ERR_NO_DATA (no episode), SAFERL_ERR_INFEASIBLE (none within cost_limit). */
SAFERL_RL_API saferl_result saferl_rl_dataset_mtro_targets(const saferl_rl_dataset *dataset, double cost_limit,
                                                           double kappa, double *reward_target,
                                                           double *cost_target);

/* Serialisation (format above). */
SAFERL_RL_API size_t saferl_rl_dataset_saved_size(const saferl_rl_dataset *dataset);
SAFERL_RL_API saferl_result saferl_rl_dataset_save(const saferl_rl_dataset *dataset, void *buffer, size_t capacity,
                                                   size_t *written);
/* Checks a buffer completely (every rule of the format) and fills *desc (optional) with the
   exact shape and sizes it holds (max_steps = its step count, max_episodes = its episodes). */
SAFERL_RL_API saferl_result saferl_rl_dataset_load_info(const void *buffer, size_t size, saferl_rl_dataset_desc *desc);
/* Replaces the dataset's content by the buffer's (shapes must match the dataset's, else
   SAFERL_ERR_INVALID_ARGUMENT; capacity too small: SAFERL_ERR_BUFFER_TOO_SMALL). Everything
   is checked first: on error the dataset is unchanged. */
SAFERL_RL_API saferl_result saferl_rl_dataset_load(saferl_rl_dataset *dataset, const void *buffer, size_t size);
#ifndef SAFERL_NO_STDIO
SAFERL_RL_API saferl_result saferl_rl_dataset_save_file(const saferl_rl_dataset *dataset, const char *path);
/* Reads and checks a file, then creates *dataset sized exactly for it through allocator
   (NULL: SAFERL_MALLOC); release with saferl_rl_dataset_destroy. A file that cannot be read:
   SAFERL_ERR_IO (errno says why); the file helpers' contract is at saferl_rl_policy_save_file. */
SAFERL_RL_API saferl_result saferl_rl_dataset_load_file(saferl_rl_dataset *dataset, const char *path,
                                                        const saferl_allocator *allocator);
#endif

/* ---- the transformer form: a small causal transformer (Constrained Decision Transformer) --- */

/* CDT's shape. A window holds `context` consecutive steps of one episode; step k gives four
   tokens in CDT's order (reward to go, cost to go, state, action), so a window is
   4 context tokens. Each token is a linear embedding of its input plus the learned
   embedding of the step's timestep in its episode (the last row for timesteps beyond the
   table), then LayerNorm; layer_count pre-LN GPT blocks (causal self-attention with
   head_count heads, GELU MLP of mlp_width), a final LayerNorm, and a linear head on each
   state token gives the action distribution's logits or means (a Gaussian adds a learned
   state-independent log sigma, as the MLP form). Step inputs are rows of
   observation_dim + 2 + action_input floats: the normalised observation, R / reward_scale,
   C / cost_scale, then the action (one-hot over action_input actions if discrete). */
#define SAFERL_RL_CDT_MAX_CONTEXT 64
#define SAFERL_RL_CDT_MAX_TOKENS (4 * SAFERL_RL_CDT_MAX_CONTEXT)
typedef struct saferl_rl_cdt {
    int observation_dim;            /* the environment's */
    int action_input;               /* the action token's input: action count (discrete) or action_dim */
    int head_dim;                   /* logits (discrete) or means (Gaussian) */
    int gaussian;                   /* 1: a log sigma block (head_dim floats) ends the parameters */
    int context;                    /* K steps a window, 1..64 */
    int layer_count;                /* 1..8 */
    int head_count;                 /* 1..16, dividing d_model */
    int d_model;                    /* 1..1024 */
    int mlp_width;                  /* 1..4096 */
    int max_timestep;               /* rows of the timestep embedding, 1..100000 */
} saferl_rl_cdt;

/* Layers (shapes in each one's first comment). LayerNorm's epsilon is 1e-5 (PyTorch's);
   GELU is GPT-2's tanh approximation; attention is causal (token t sees tokens <= t),
   T <= SAFERL_RL_CDT_MAX_TOKENS. Backward passes accumulate (+=). */
SAFERL_RL_API void saferl_rl_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                               const float *weight, const float *bias, int N, int C);
SAFERL_RL_API void saferl_rl_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                                const float *inp, const float *weight, const float *mean,
                                                const float *rstd, int N, int C);
SAFERL_RL_API void saferl_rl_gelu_forward(float *out, const float *inp, int N);
SAFERL_RL_API void saferl_rl_gelu_backward(float *dinp, const float *inp, const float *dout, int N);
SAFERL_RL_API void saferl_rl_attention_forward(float *out, float *att, const float *inp, int B, int T, int C, int NH);
SAFERL_RL_API void saferl_rl_attention_backward(float *dinp, const float *dout, const float *inp, const float *att,
                                                int B, int T, int C, int NH);

/* SAFERL_ERR_INVALID_ARGUMENT for a field out of its range. */
SAFERL_RL_API saferl_result saferl_rl_cdt_check(const saferl_rl_cdt *cdt);
SAFERL_RL_API size_t saferl_rl_cdt_param_count(const saferl_rl_cdt *cdt);
/* Floats of activations for B windows (saferl_rl_cdt_forward) and of scratch for B windows
   (saferl_rl_cdt_backward). */
SAFERL_RL_API size_t saferl_rl_cdt_activation_count(const saferl_rl_cdt *cdt, int B);
SAFERL_RL_API size_t saferl_rl_cdt_scratch_count(const saferl_rl_cdt *cdt, int B);
/* GPT-2's initialisation: weights and embeddings N(0, 0.02) (the blocks' output projections
   0.02 / sqrt(2 layer_count)), biases 0, LayerNorm gains 1, log sigma log_std. */
SAFERL_RL_API void saferl_rl_cdt_init_params(const saferl_rl_cdt *cdt, float *params, saferl_rng *rng, float log_std);
/* The token embeddings: steps (B, K, observation_dim + 2 + action_input), timesteps (B, K)
   (clamped into the table), out (B, 4K, d_model), before the embedding LayerNorm. Backward
   accumulates the parameters' gradients into grads and, if dsteps is not NULL, the steps'. */
SAFERL_RL_API void saferl_rl_cdt_embed_forward(const saferl_rl_cdt *cdt, const float *params, float *out,
                                               const float *steps, const int *timesteps, int B, int K);
SAFERL_RL_API void saferl_rl_cdt_embed_backward(const saferl_rl_cdt *cdt, const float *params, float *grads,
                                                float *dsteps, const float *dout, const float *steps,
                                                const int *timesteps, int B, int K);
/* The whole network on B windows of K <= context steps: returns the head (B, K, head_dim),
   row (b, k) read from step k's state token, a pointer into acts. */
SAFERL_RL_API float *saferl_rl_cdt_forward(const saferl_rl_cdt *cdt, const float *params, const float *steps,
                                           const int *timesteps, float *acts, int B, int K);
/* dhead (B, K, head_dim) in; parameter gradients accumulate into grads, the steps' into
   dsteps (or NULL). acts from the forward pass with the same B and K. */
SAFERL_RL_API void saferl_rl_cdt_backward(const saferl_rl_cdt *cdt, const float *params, float *grads,
                                          const float *steps, const int *timesteps, const float *acts,
                                          const float *dhead, float *dsteps, float *scratch, int B, int K);

/* A thread's scratch for acting with a conditioned policy, and the rolling window a
   transformer policy acts from (the last `context` steps of the current episode). Yours:
   size it with saferl_rl_rcsl_context_memory_size, one per thread, reset it at every
   episode start; the policy itself is only read, and acting never allocates. */
typedef struct saferl_rl_rcsl_context {
    int length;                     /* steps held, <= context */
    long timestep;                  /* steps taken in this episode */
    float *steps;                   /* transformer: context + 1 rows of step inputs (one spare) */
    int *timesteps;                 /* transformer: context + 1 */
    float *acts;                    /* transformer: one window's activations */
    float *input;                   /* MLP: observation_dim + 2 floats (obs, R, C) */
    saferl_rl_policy_context network; /* MLP: the network's scratch */
} saferl_rl_rcsl_context;

typedef enum saferl_rl_rcsl_architecture {
    SAFERL_RL_RCSL_MLP = 0,
    SAFERL_RL_RCSL_TRANSFORMER = 1
} saferl_rl_rcsl_architecture;

/* ---- return-conditioned policies (RCSL; the MLP and transformer forms) ------------------ */

/* A policy over (observation, reward to go, cost to go). `policy` is an ordinary
   saferl_rl_policy whose input is observation_dim + 2 (obs, R, C) and whose normaliser's
   last two entries are (mean 0, std reward_scale) and (0, cost_scale). */
typedef struct saferl_rl_rcsl_policy {
    saferl_rl_policy policy;
    int observation_dim;            /* the environment's */
    float reward_scale, cost_scale; /* the network sees R / reward_scale, C / cost_scale */
    saferl_rl_rcsl_architecture architecture; /* 0 (a zeroed struct): the MLP in `policy` */
    /* The transformer form: `policy` keeps the action kind and size, the normaliser and
       params (pointing at cdt's parameters, log sigma last); its net is empty. */
    saferl_rl_cdt cdt;
} saferl_rl_rcsl_policy;

/* One observation and the remaining targets in, one action out (action_dim floats; a
   discrete action as its index). rng NULL: deterministic (argmax / mean), else a sample
   (Gaussian actions clipped to [-1, 1]). SAFERL_ERR_NOT_FINITE for NaN/inf inputs or a
   non-finite network output or action (action untouched). No allocation; reads the policy,
   writes the context: thread-safe with a context per thread. A transformer policy acts here
   as at the first step of an episode (the context is reset: a window of one step, timestep
   0); within episodes use saferl_rl_rcsl_step. */
SAFERL_RL_API saferl_result saferl_rl_rcsl_act(const saferl_rl_rcsl_policy *policy, saferl_rl_rcsl_context *context,
                                               const float *observation, double reward_to_go, double cost_to_go,
                                               float *action, saferl_rng *rng);

/* Bytes of a context for this policy; init lays it out on your memory (8-byte aligned)
   and resets it. */
SAFERL_RL_API size_t saferl_rl_rcsl_context_memory_size(const saferl_rl_rcsl_policy *policy);
SAFERL_RL_API saferl_result saferl_rl_rcsl_context_init(saferl_rl_rcsl_context *context,
                                                        const saferl_rl_rcsl_policy *policy, void *memory,
                                                        size_t memory_size);
/* Empties the window: call at every episode start. */
SAFERL_RL_API void saferl_rl_rcsl_context_reset(saferl_rl_rcsl_context *context);
/* One step of an episode with either architecture: appends (observation, R, C) to the
   context (dropping the oldest step when full), acts from the window as saferl_rl_rcsl_act
   does and records the action for the next step's action token. An MLP ignores the context.
   On error (NaN/inf input or output: SAFERL_ERR_NOT_FINITE) the context and the action are
   untouched.
   No allocation; different contexts may act on one policy from different threads. */
SAFERL_RL_API saferl_result saferl_rl_rcsl_step(const saferl_rl_rcsl_policy *policy, saferl_rl_rcsl_context *context,
                                                const float *observation, double reward_to_go, double cost_to_go,
                                                float *action, saferl_rng *rng);

/* Runs `episodes` episodes from the targets: R_0 = reward_target, C_0 = cost_target, then
   R <- R - r_t, C <- C - c_t after every step. rng drives the environment and, unless
   deterministic, the action sampling. Each episode lasts until the environment ends it or
   max_steps (0: no limit of ours but SAFERL_RL_EPISODE_STEP_LIMIT, past which the call
   returns SAFERL_ERR_DID_NOT_CONVERGE). Either architecture, acting through context (reset
   every episode). episode_returns / episode_costs (optional, `episodes`
   doubles) get each episode's undiscounted return and cost; mean_return / mean_cost
   (optional) their means. No allocation. */
SAFERL_RL_API saferl_result saferl_rl_rcsl_evaluate(const saferl_rl_rcsl_policy *policy, saferl_rl_rcsl_context *context,
                                                    const saferl_rl_env *env,
                                                    double reward_target, double cost_target, int episodes,
                                                    int max_steps, int deterministic, saferl_rng *rng,
                                                    double *episode_returns, double *episode_costs,
                                                    double *mean_return, double *mean_cost);

/* Serialisation ("SRLC" format above); the same contract as the plain policy's. */
SAFERL_RL_API size_t saferl_rl_rcsl_saved_size(const saferl_rl_rcsl_policy *policy);
SAFERL_RL_API saferl_result saferl_rl_rcsl_save(const saferl_rl_rcsl_policy *policy, void *buffer, size_t capacity,
                                                size_t *written);
SAFERL_RL_API saferl_result saferl_rl_rcsl_load_size(const void *buffer, size_t size, size_t *memory_size);
/* memory: 8-byte aligned, saferl_rl_rcsl_load_size bytes; nothing written on error. */
SAFERL_RL_API saferl_result saferl_rl_rcsl_load(saferl_rl_rcsl_policy *policy, const void *buffer, size_t size,
                                                void *memory, size_t memory_size);
#ifndef SAFERL_NO_STDIO
SAFERL_RL_API saferl_result saferl_rl_rcsl_save_file(const saferl_rl_rcsl_policy *policy, const char *path);
/* Release with saferl_rl_rcsl_free_file and the same allocator (NULL: SAFERL_MALLOC). */
SAFERL_RL_API saferl_result saferl_rl_rcsl_load_file(saferl_rl_rcsl_policy *policy, const char *path,
                                                     const saferl_allocator *allocator);
SAFERL_RL_API void saferl_rl_rcsl_free_file(saferl_rl_rcsl_policy *policy, const saferl_allocator *allocator);
#endif

/* ---- RCSL training ---------------------------------------------------------------------------- */

/* Zero means the documented default. */
typedef struct saferl_rl_rcsl_desc {
    uint32_t seed;                  /* initialisation and minibatch order; 0 is a seed */
    int hidden[SAFERL_RL_MAX_LAYERS - 1]; /* all zero: {128, 128} */
    int hidden_count;               /* 0 with hidden[0] == 0: two layers; -1: no hidden layer */
    saferl_rl_activation activation;/* tanh */
    int minibatch;                  /* 256 (capped at the dataset's step count) */
    double learning_rate;           /* Adam, 1e-3 (betas 0.9, 0.999, eps 1e-8) */
    double max_grad_norm;           /* 0: 40; negative: no clipping */
    double reward_scale;            /* 0: max |episode return| of the dataset (1 if that is 0) */
    double cost_scale;              /* 0: max episode cost of the dataset (1 if that is 0) */
    double init_log_std;            /* Gaussian: 0 (sigma 1) */
    int no_obs_normalize;           /* 0: normalise observations by the dataset's mean and std
                                       (std floored at 1e-2, as the agent's normaliser) */
    saferl_allocator allocator;     /* for saferl_rl_rcsl_trainer_create */
    /* the architecture: SAFERL_RL_RCSL_MLP (hidden, activation above) or
       SAFERL_RL_RCSL_TRANSFORMER (below; minibatch then counts windows, default 64) */
    saferl_rl_rcsl_architecture architecture;
    int context;                    /* transformer: steps a window, 10 (CDT's) */
    int layer_count;                /* 2 */
    int head_count;                 /* 2 */
    int d_model;                    /* 32 */
    int mlp_width;                  /* 4 d_model */
    int max_timestep;               /* timestep embedding rows; 0: the longest logged episode */
    /* CDT's return relabelling (see RCSL above): floor(relabel_fraction x episodes) relabelled
       episodes join the training data; 0: none (plain hindsight targets), CDT's code uses 0.2;
       at most 1 */
    double relabel_fraction;
    double relabel_reward_max;      /* reward targets are drawn up to this; 0: the data's largest
                                       episode return */
} saferl_rl_rcsl_desc;

/* The trainer owns the policy being trained (trainer.policy points into its memory) and a
   copy of the conditioned inputs, so the dataset may change or go after init. */
typedef struct saferl_rl_rcsl_trainer {
    saferl_rl_rcsl_desc desc;       /* with the defaults filled in */
    saferl_rl_rcsl_policy policy;
    long sample_count;              /* the dataset's steps, then the relabelled episodes' */
    long relabelled_episodes;       /* floor(desc.relabel_fraction x the dataset's episodes) */
    long steps;                     /* Adam steps taken */
    double last_loss;               /* mean minibatch loss of the last call */
    /* the rest is internal */
    int input_dim, head_dim, stored_action_dim, minibatch, cursor;
    float *inputs, *targets, *grads, *adam_m, *adam_v, *acts, *scratch, *dhead, *logp, *dlogp, *dinput;
    float *mb_inputs, *mb_targets;
    long *order;
    saferl_rng rng;
    void *owned_memory;
    int *timesteps, *window;        /* transformer: each step's timestep, its window's length */
    int *mb_timesteps, *mb_lengths;
    float *mb_steps, *cdt_scratch;
    void *frontier;                 /* relabelling: the episodes by cost, the running best */
    long relabel_capacity;          /* relabelled episodes x the longest logged episode */
} saferl_rl_rcsl_trainer;

SAFERL_RL_API saferl_rl_rcsl_desc saferl_rl_rcsl_desc_defaults(const saferl_rl_rcsl_desc *desc);
/* Bytes for saferl_rl_rcsl_trainer_init; 0 for an invalid desc or an empty dataset. */
SAFERL_RL_API size_t saferl_rl_rcsl_trainer_memory_size(const saferl_rl_rcsl_desc *desc,
                                                        const saferl_rl_dataset *dataset);
/* Computes the hindsight targets, the scales and the normaliser from the dataset, copies the
   conditioned inputs (with the relabelled episodes if desc asks) and initialises the network
   (seeded). SAFERL_ERR_NO_DATA for an empty
   dataset; SAFERL_ERR_NOT_FINITE when a reward or cost to go (a sum of finite logged floats)
   or a scale exceeds the float range. */
SAFERL_RL_API saferl_result saferl_rl_rcsl_trainer_init(saferl_rl_rcsl_trainer *trainer, const saferl_rl_rcsl_desc *desc,
                                                        const saferl_rl_dataset *dataset, void *memory,
                                                        size_t memory_size);
SAFERL_RL_API saferl_result saferl_rl_rcsl_trainer_create(saferl_rl_rcsl_trainer *trainer,
                                                          const saferl_rl_rcsl_desc *desc,
                                                          const saferl_rl_dataset *dataset);
SAFERL_RL_API void saferl_rl_rcsl_trainer_destroy(saferl_rl_rcsl_trainer *trainer);
/* `steps` Adam steps, each on a minibatch drawn without replacement from a shuffled order
   (reshuffled after each pass over the data). *mean_loss (optional): the mean minibatch loss
   over these steps. No allocation. */
SAFERL_RL_API saferl_result saferl_rl_rcsl_train(saferl_rl_rcsl_trainer *trainer, int steps, double *mean_loss);
/* The mean loss of the current network on `count` (1..minibatch) samples starting at `first`
   (in dataset order). If grads is not NULL its gradient in the parameters is added into grads
   (saferl_rl_policy_param_count(&trainer->policy.policy) floats); if dinputs is not NULL the
   gradient in the network's (normalised) inputs, count x (observation_dim + 2), is added
   into dinputs: what the finite-difference tests check. Negative count etc.: NaN.
   Transformer: the samples are the windows starting at those steps, the loss the mean over
   their valid steps, and dinputs must be NULL. */
SAFERL_RL_API double saferl_rl_rcsl_loss(saferl_rl_rcsl_trainer *trainer, long first, int count, float *grads,
                                         float *dinputs);

/* ---- off-policy: a replay buffer, TD3 and SAC ---------------------------------------------- */

/* Transitions in caller memory, a ring: the oldest is overwritten once capacity is reached.
   done is 1 for a true end (terminated: no bootstrap), 0 otherwise (a truncation bootstraps).
   Each transition holds cost_count costs (those of the environment). */
typedef struct saferl_rl_replay {
    int capacity, observation_dim, action_dim, cost_count;
    int size, next;                /* transitions held, the slot written next */
    float *observations, *actions, *rewards, *costs, *next_observations, *dones;
} saferl_rl_replay;

/* Bytes for capacity transitions of cost_count costs (0 means 1; at most SAFERL_RL_MAX_COSTS);
   0 for a dimension or capacity < 1, a cost_count out of range or a size that overflows. */
SAFERL_RL_API size_t saferl_rl_replay_memory_size(int capacity, int observation_dim, int action_dim, int cost_count);
SAFERL_RL_API saferl_result saferl_rl_replay_init(saferl_rl_replay *replay, int capacity, int observation_dim,
                                                  int action_dim, int cost_count, void *memory, size_t memory_size);
/* costs: cost_count floats. SAFERL_ERR_NOT_FINITE (nothing stored) for a NaN/Inf anywhere in
   the transition. */
SAFERL_RL_API saferl_result saferl_rl_replay_add(saferl_rl_replay *replay, const float *observation,
                                                 const float *action, float reward, const float *costs,
                                                 const float *next_observation, int terminated);

typedef enum saferl_rl_offpolicy_algorithm {
    SAFERL_RL_TD3 = 0,     /* Fujimoto, van Hoof, Meger 2018 */
    SAFERL_RL_SAC = 1,     /* Haarnoja et al. 2018 (v2: twin critics, automatic temperature) */
    SAFERL_RL_TD3_LAG = 2, /* TD3 with a cost critic and a Lagrange multiplier per constraint */
    SAFERL_RL_SAC_LAG = 3, /* SAC with a cost critic and a Lagrange multiplier per constraint */
    SAFERL_RL_M2TD3 = 4,   /* Tanabe et al. 2022: max over the policy of min over omega in Omega */
    SAFERL_RL_DR_TD3 = 5,  /* TD3 with omega uniform on Omega at every reset (domain randomisation) */
    SAFERL_RL_SAC_DISCRETE = 6,    /* Christodoulou 2019: SAC over action_count discrete actions */
    SAFERL_RL_SAC_DISCRETE_LAG = 7 /* discrete SAC with a cost critic and a multiplier per constraint */
} saferl_rl_offpolicy_algorithm;
#define SAFERL_RL_MAX_CANDIDATES 64 /* M2TD3's worst-case candidates */
#define SAFERL_RL_OFFPOLICY_CRITICS (2 + 2 * SAFERL_RL_MAX_COSTS) /* twin reward critics, one or two cost
                                                                  critics per constraint */

/* Zero = the default written beside each field. */
typedef struct saferl_rl_offpolicy_desc {
    saferl_rl_offpolicy_algorithm algorithm;
    int hidden_sizes[SAFERL_RL_MAX_LAYERS - 1]; /* 256, 256 (both papers) */
    int tanh_hidden;           /* 0: ReLU after each hidden layer (both papers); 1: tanh */
    int hidden_count;          /* 0 = 2; SAFERL_RL_OFFPOLICY_LINEAR for no hidden layer */
    int batch_size;            /* 256 */
    int random_steps;          /* uniform random actions first: 1000; SAFERL_RL_NONE: none
                                  (updates start after them) */
    int gradient_steps;        /* 1 (0 means 1), at most 64: saferl_rl_offpolicy_update calls per
                                  environment step in the training loops (the update-to-data ratio,
                                  Stable-Baselines3's gradient_steps; ALGORITHMS, "More gradient steps") */
    double gamma;              /* 0.99 */
    double polyak_tau;         /* 0.005: target <- tau online + (1 - tau) target */
    double actor_lr, critic_lr;/* 3e-4 each (Adam) */
    /* TD3 */
    double exploration_noise;  /* 0.1: Gaussian std added to the action while acting */
    double target_noise;       /* 0.2: target policy smoothing std ... */
    double target_noise_clip;  /* 0.5: ... clipped to +-this */
    int policy_delay;          /* 2: actor and targets updated every policy_delay critic steps */
    /* SAC */
    double initial_temperature;/* 1.0: alpha at the start */
    double temperature_lr;     /* 3e-4: Adam on log alpha */
    double target_entropy;     /* 0 = -action_dim (discrete: 0.98 log action_count, Christodoulou's
                                  rule; it must stay below log action_count, the uniform policy's);
                                  SAFERL_RL_OFFPOLICY_ZERO_ENTROPY for 0 */
    /* the actor's output (ALGORITHMS, "A saturated actor"; both off by default: README) */
    double presquash_penalty;  /* c > 0 adds c/2 times the mean square of the actor's outputs before the
                                  squash to its loss (SAC: the means and the clamped log stds, as SAC's
                                  original code does with c = 1e-3; TD3: the action's); 0 = SAFERL_RL_NONE:
                                  none */
    int inverting_gradients;   /* TD3 and TD3-Lag: 1 for a linear output p and Hausknecht and Stone's
                                  inverted gradients on [-1, 1] (the action is p clipped to [-1, 1]);
                                  0: tanh (TD3's). Refused by the other algorithms */
    /* discrete SAC: the number of actions has no default (it states the problem) */
    int action_count;          /* required: 2..SAFERL_RL_MAX_WIDTH; the agent's action_dim is then 1
                                  (the action's index, as a discrete saferl_rl_env takes it) */
    /* the Lagrangian forms: the constraint has no default */
    int cost_count;            /* required: 1..SAFERL_RL_MAX_COSTS constraints (the environment's costs) */
    double cost_limits[SAFERL_RL_MAX_COSTS]; /* d_i: the episodic cost limits, 0 means 0 */
    double cost_gamma;         /* 0.99: the cost critic's discount */
    double lagrange_init;      /* lambda_0 >= 0: zero is zero (under lagrange_space LOG, >= 1e-30, and 0 means 1) */
    double lagrange_lr;        /* 0.01: Adam on lambda's integral (or its log: lagrange_space) once per finished episode */
    double lagrange_kp;        /* a proportional term on the violation's running mean (ALGORITHMS,
                                  "TD3-Lag and SAC-Lag"): SAFERL_RL_NONE (none) under both scales;
                                  >= 0 */
    saferl_rl_multiplier_scale multiplier_scale; /* RELATIVE (default): costs measured against their
                                  limits, lambda a pure number; COST_UNITS: per unit of cost (OmniSafe's) */
    int twin_cost_critics;     /* 0: one cost critic per constraint; 1: two, the larger value taken in
                                  the cost target and the actor's loss (ALGORITHMS, "TD3-Lag and
                                  SAC-Lag"; off by default: it did not win held out, README) */
    double augmented_penalty;  /* CAL's augmented Lagrangian, c in max(0, lambda + c g), g the cost
                                  critic's estimate of the violation (ALGORITHMS, "TD3-Lag and
                                  SAC-Lag"): 1 for SAC-Lag under RELATIVE, SAFERL_RL_NONE (none)
                                  otherwise (the rule before 0.5.6); >= 0 */
    saferl_rl_lagrange_space lagrange_space; /* LINEAR: Adam on the integral; LOG: on its log
                                  (lagrange_init 0 then means 1; ALGORITHMS, "TD3-Lag and SAC-Lag"):
                                  LOG for discrete SAC-Lag under RELATIVE, LINEAR otherwise */
    /* M2TD3 and DR-TD3: the uncertainty set Omega, a box, has no default (it states the problem);
       the widths below are fractions of its half-width (hi - lo) / 2 per coordinate */
    int omega_dim;                               /* required: 1..SAFERL_RL_MAX_OMEGA */
    double omega_lower[SAFERL_RL_MAX_OMEGA];     /* required: lower < upper, finite */
    double omega_upper[SAFERL_RL_MAX_OMEGA];
    long omega_schedule_steps; /* M2TD3, required: the environment steps over which omega's
                                  exploration std anneals (the planned training length) */
    int candidate_count;       /* M2TD3: 5 worst-case candidates omega_hat_k (2..64) */
    double candidate_lr;       /* 3e-4: Adam on a candidate, in box coordinates (lo + u (hi - lo)) */
    double omega_std_start;    /* 1.0: omega's exploration std at step 0 ... */
    double omega_std_end;      /* 0.1: ... annealed linearly to this at omega_schedule_steps */
    double omega_target_noise; /* 0.2: target smoothing of omega in the critic target, std ... */
    double omega_target_clip;  /* 0.5: ... clipped to +-this */
    double restart_probability;/* 0.05: a candidate chosen less often than this is redrawn */
    double restart_distance;   /* 0.1: of two candidates closer than this (L1, box coordinates),
                                  the first is redrawn */
    uint32_t seed;
} saferl_rl_offpolicy_desc;
#define SAFERL_RL_OFFPOLICY_LINEAR (-1)
#define SAFERL_RL_OFFPOLICY_ZERO_ENTROPY (-1e300)

/* The agent: an actor (TD3: tanh of the network, or the network clipped to [-1, 1] under
   inverting_gradients; SAC: the network's means and log-stds,
   log-std clamped to [-20, 2], a = tanh(mean + std noise); discrete SAC: the logits of a softmax
   over action_count actions), twin critics Q(s, a) on the concatenated input (discrete SAC:
   Q(s, .), a value per action, as Christodoulou's), their Polyak targets (and TD3's target actor), Adam state, and a batch's
   buffers: update and act never allocate. Observations are used as given (no normaliser). */
typedef struct saferl_rl_offpolicy_agent {
    saferl_rl_offpolicy_desc desc;  /* with the defaults filled in */
    int observation_dim, action_dim;
    saferl_rl_mlp actor_net, critic_net;
    size_t actor_count, critic_count;  /* parameters of the actor, of one critic */
    /* critic[0], critic[1]: the twin reward critics; critic[2 + i]: constraint i's cost critic (and with
       twin_cost_critics critic[2 + C + i] its second, C = cost_count) */
    float *actor, *actor_target, *critic[SAFERL_RL_OFFPOLICY_CRITICS], *critic_target[SAFERL_RL_OFFPOLICY_CRITICS];
    float *actor_grad, *critic_grad[SAFERL_RL_OFFPOLICY_CRITICS], *actor_m, *actor_v;
    float *critic_m[SAFERL_RL_OFFPOLICY_CRITICS], *critic_v[SAFERL_RL_OFFPOLICY_CRITICS];
    float lagrange[SAFERL_RL_MAX_COSTS];      /* a multiplier per constraint: the integral plus the
                                                 proportional term (derived, not saved) ... */
    float lagrange_integral[SAFERL_RL_MAX_COSTS]; /* ... Adam's ascent on the violation ... */
    float lagrange_m[SAFERL_RL_MAX_COSTS], lagrange_v[SAFERL_RL_MAX_COSTS]; /* ... its Adam moments */
    float lagrange_log[SAFERL_RL_MAX_COSTS]; /* lagrange_space LOG: nu_i, what Adam ascends (the
                                                 integral is exp(nu_i)); 0 otherwise */
    float violation_estimate[SAFERL_RL_MAX_COSTS]; /* augmented_penalty's g_i: the cost critic's estimate
                                                 of the violation at the last finished episode's first state */
    float cost_weight[SAFERL_RL_MAX_COSTS];   /* scratch: Q_Ci's weight per unit of lambda_i in the actor's
                                                 loss, set by critic_targets (RELATIVE: s_R / s_Ci) */
    long lagrange_steps;
    float log_temperature, temperature_m, temperature_v; /* SAC: log alpha and its Adam moments */
    long critic_steps, actor_steps, temperature_steps, env_steps;
    /* a batch (B = batch_size): transitions (cost and cost_target: a row of B per constraint;
       cost in units of the limit, c / d_i, under RELATIVE with d_i > 0), critic inputs, noise,
       activations, gradients */
    float *obs, *act, *rew, *cost, *done, *next_obs, *q_input, *noise, *target, *cost_target, *pre_tanh;
    float *new_act, *logp, *actor_acts, *critic_acts[SAFERL_RL_OFFPOLICY_CRITICS], *head_grad;
    float *q_grad[SAFERL_RL_OFFPOLICY_CRITICS], *q_input_grad, *scratch;
    /* discrete SAC: new_act holds pi(.|s) and pre_tanh log pi(.|s) (B x action_count), logp the
       row's sum_a pi log pi; the critics read s alone and give a Q per action (B x action_count) */
    saferl_rng rng;
    /* M2TD3: the critics read [s, a, omega] (omega_width = omega_dim; 0 otherwise) */
    int omega_width;
    float *candidates;                  /* K x W worst-case candidates omega_hat_k, in Omega */
    float *candidate_u, *candidate_m, *candidate_v; /* K x W: box coordinates, their Adam moments */
    long *candidate_steps;              /* K: Adam steps since the candidate was (re)drawn */
    double *candidate_prob;             /* K: how often each was the worst lately (sums to 1) */
    float candidate_grad[SAFERL_RL_MAX_OMEGA]; /* d mean Q1(s, pi(s), omega_hat_worst) / d omega */
    int worst;                          /* the candidate of the last actor update */
    long restarts, episode_length, last_episode_length;
    float *omega, *next_omega, *omega_noise; /* a batch's omega (B x W), its target, their noise */
    /* the environment loop of saferl_rl_offpolicy_train: observations are [s, omega] for M2TD3 */
    float *env_obs, *env_next_obs, *env_action;
    double env_omega[SAFERL_RL_MAX_OMEGA];  /* this episode's omega (M2TD3, DR-TD3) */
    int episode_started;
    double episode_return, last_return;
    double episode_cost[SAFERL_RL_MAX_COSTS], last_cost[SAFERL_RL_MAX_COSTS]; /* per cost of the environment */
    long episodes;
    void *memory;                      /* set by _create */
    saferl_allocator allocator;
} saferl_rl_offpolicy_agent;

/* 0 for an invalid desc or dimensions. */
SAFERL_RL_API size_t saferl_rl_offpolicy_memory_size(const saferl_rl_offpolicy_desc *desc, int observation_dim,
                                                     int action_dim);
/* Networks initialised from desc->seed (PyTorch's uniform), targets equal to them. */
SAFERL_RL_API saferl_result saferl_rl_offpolicy_init(saferl_rl_offpolicy_agent *agent, const saferl_rl_offpolicy_desc *desc,
                                                     int observation_dim, int action_dim, void *memory,
                                                     size_t memory_size);
SAFERL_RL_API saferl_result saferl_rl_offpolicy_create(saferl_rl_offpolicy_agent *agent,
                                                       const saferl_rl_offpolicy_desc *desc, int observation_dim,
                                                       int action_dim);
SAFERL_RL_API void saferl_rl_offpolicy_destroy(saferl_rl_offpolicy_agent *agent);
/* One action in [-1, 1]^A for one observation: explore = 1 adds TD3's noise or samples SAC's
   policy; 0 gives the deterministic action (TD3's actor, SAC's tanh(mean)). Discrete SAC writes
   the action's index (as a float): sampled from pi(.|s), or pi's most likely (the first of equals). */
SAFERL_RL_API saferl_result saferl_rl_offpolicy_act(saferl_rl_offpolicy_agent *agent, const float *observation,
                                                    int explore, float *action);
/* One gradient step on a batch drawn uniformly (with replacement) from the replay buffer:
   the critics (and the cost critic); then (TD3 every policy_delay steps) the actor, SAC's
   temperature and the Polyak targets. SAFERL_ERR_NO_DATA while the buffer is empty. Discrete
   SAC: SAFERL_ERR_INVALID_ARGUMENT (agent unchanged) if a drawn action is not an index below
   action_count. SAFERL_ERR_NOT_FINITE when a gradient overflows on finite data (rewards near
   the float range, weights near it in a loaded checkpoint): the critics' (or, with the
   critics' step taken, the actor's) gradient is dropped, so no weight turns NaN or infinite. */
SAFERL_RL_API saferl_result saferl_rl_offpolicy_update(saferl_rl_offpolicy_agent *agent, const saferl_rl_replay *replay);
/* `steps` environment steps (random actions for the first random_steps of the agent's life,
   then the exploring actor), each stored in the replay and followed by gradient_steps updates
   once the random steps are over. Episodes continue across calls. A continuous-action environment (for
   discrete SAC, one of desc.action_count actions) whose costs (cost_count, 0 as 1) match the replay's and, for the Lagrangian forms, the desc's;
   SAFERL_ERR_INVALID_ARGUMENT otherwise (and for M2TD3 and DR-TD3, which train through
   saferl_rl_offpolicy_train_robust). The Lagrangian forms step the multipliers at the end of
   every episode (saferl_rl_offpolicy_multiplier_step). */
SAFERL_RL_API saferl_result saferl_rl_offpolicy_train(saferl_rl_offpolicy_agent *agent, const saferl_rl_env *env,
                                                      saferl_rl_replay *replay, long steps);
/* M2TD3 and DR-TD3: before every reset the loop draws this episode's omega and hands it to
   set_omega(env->state, omega) (for a built-in environment: saferl_rl_builtin_omega_hook).
   DR-TD3: omega uniform on Omega. M2TD3: uniform during the random steps; afterwards the
   restart rule (candidates too close, then candidates unlikely, are redrawn uniformly), a
   candidate drawn by candidate_prob, plus Gaussian noise of the annealed std, clipped to Omega.
   M2TD3's replay holds [observation, omega] as its observations (observation_dim + omega_dim).
   The other algorithms take set_omega NULL (then this is saferl_rl_offpolicy_train). */
typedef saferl_result (*saferl_rl_omega_setter)(void *env_state, const double *omega);
SAFERL_RL_API saferl_result saferl_rl_offpolicy_train_robust(saferl_rl_offpolicy_agent *agent, const saferl_rl_env *env,
                                                             saferl_rl_omega_setter set_omega, saferl_rl_replay *replay,
                                                             long steps);
/* saferl_rl_builtin_set_omega for the state of saferl_rl_env_builtin (a saferl_rl_builtin). */
SAFERL_RL_API saferl_result saferl_rl_builtin_omega_hook(void *builtin_state, const double *omega);
/* Lagrangian forms: lambda_i <- max(0, lambda_i + Adam step on the violation) for each
   constraint, one step for one finished episode's undiscounted costs (cost_count of them): the
   violation is (episode_costs[i] - d_i) / d_i (RELATIVE, d_i > 0) or episode_costs[i] - d_i.
   SAFERL_ERR_NOT_FINITE for NaN/Inf (all unchanged); SAFERL_ERR_INVALID_ARGUMENT for the others. */
SAFERL_RL_API saferl_result saferl_rl_offpolicy_multiplier_step(saferl_rl_offpolicy_agent *agent,
                                                                const double *episode_costs);

/* The pieces of an update, on the agent's batch buffers (obs, act, rew, done, next_obs) with
   the given standard-normal noise (B x A): exposed for the tests. critic_targets writes y
   (and the cost critics' yc for the Lagrangian forms, cost_count rows of B; yc may be NULL
   otherwise); critic_loss returns sum over the critics of mean (Q_i - y)^2 (cost critic i
   against yc's row i) and adds its gradient into critic_grad[i]; actor_loss returns TD3's
   -mean Q1(s, pi(s)) or SAC's mean(alpha logp - min_i Q_i), for the Lagrangian forms plus
   sum_i lambda_i w_i Q_Ci and divided by (1 + sum_i lambda_i), and adds its gradient into
   actor_grad (critic_grad is left as it was). Discrete SAC (act holds indices) takes the
   expectations over actions exactly instead of a sample (noise unused): y = r + gamma (1 - done)
   sum_a' pi(a'|s') (min_i Q_i'(s', a') - alpha log pi(a'|s')), yc_i = c_i + gamma_c (1 - done)
   sum_a' pi(a'|s') Q_Ci'(s', a'); the critics' loss on Q_i(s, a) of the taken a; the actor's
   mean sum_a pi(a|s) (alpha log pi(a|s) - min_i Q_i(s, a) + sum_i lambda_i w_i Q_Ci(s, a)), over
   (1 + sum_i lambda_i) for the Lagrangian form. w_i is cost_weight[i], which critic_targets
   sets from its targets: the standard deviation of y over that of yc's row i (RELATIVE; 1 when
   either is 0, and always with COST_UNITS).
   M2TD3: the batch's omega (omega, B x W) is the critics' third input; the target's omega is
   omega + clipped omega_noise (B x W, standard normal, set by the caller) clipped to Omega;
   actor_loss is -mean Q1(s, pi(s), omega_hat_worst) for the candidate `worst`, and its
   gradient also writes candidate_grad = d mean Q1 / d omega_hat_worst (what the candidate
   descends). offpolicy_worst_candidate sets `worst`: the candidate of least mean
   Q1(s, pi(s), omega_hat_k) on the batch (the last of equals), and returns that mean. */
SAFERL_RL_API void saferl_rl_offpolicy_critic_targets(saferl_rl_offpolicy_agent *agent, const float *noise, float *y,
                                                      float *yc);
SAFERL_RL_API double saferl_rl_offpolicy_critic_loss(saferl_rl_offpolicy_agent *agent, const float *y, const float *yc,
                                                     int gradient);
SAFERL_RL_API double saferl_rl_offpolicy_actor_loss(saferl_rl_offpolicy_agent *agent, const float *noise, int gradient);
SAFERL_RL_API double saferl_rl_offpolicy_worst_candidate(saferl_rl_offpolicy_agent *agent);

/* ---- off-policy checkpoints: the whole training state of a run ------------------------------
   The agent, its replay and a built-in environment's state in one SRLK checkpoint (CHECKPOINT
   FORMAT, off-policy sections). env may be NULL or a user's environment: then its state is the
   caller's to save and restore (or call saferl_rl_offpolicy_restart_episode after loading: the
   next step resets the environment, a valid run no longer bit-identical to an uninterrupted
   one). A checkpoint is taken between steps; resuming gives the same steps, bit for bit. */
SAFERL_RL_API size_t saferl_rl_offpolicy_checkpoint_size(const saferl_rl_offpolicy_agent *agent,
                                                         const saferl_rl_replay *replay, const saferl_rl_env *env);
SAFERL_RL_API saferl_result saferl_rl_offpolicy_checkpoint_save(const saferl_rl_offpolicy_agent *agent,
                                                                const saferl_rl_replay *replay, const saferl_rl_env *env,
                                                                void *buffer, size_t capacity, size_t *written);
/* Into an agent made from the same desc (the seed may differ), a replay of the same capacity
   and shape and an environment of the same kind (built-in or not). Two-phase: on any failure
   agent, replay and environment are unchanged; *message (optional) names what was refused
   ("lagrange_lr: the checkpoint's differs from this agent's desc", "replay: capacity differs
   from the checkpoint's") or is "ok". Errors as saferl_rl_agent_checkpoint_load's. */
SAFERL_RL_API saferl_result saferl_rl_offpolicy_checkpoint_load(saferl_rl_offpolicy_agent *agent, saferl_rl_replay *replay,
                                                                const saferl_rl_env *env, const void *data, size_t size,
                                                                const char **message);
/* Drops the episode in progress: the next training step resets the environment. */
SAFERL_RL_API void saferl_rl_offpolicy_restart_episode(saferl_rl_offpolicy_agent *agent);
#ifndef SAFERL_NO_STDIO
SAFERL_RL_API saferl_result saferl_rl_offpolicy_checkpoint_save_file(const saferl_rl_offpolicy_agent *agent,
                                                                     const saferl_rl_replay *replay,
                                                                     const saferl_rl_env *env, const char *path);
SAFERL_RL_API saferl_result saferl_rl_offpolicy_checkpoint_load_file(saferl_rl_offpolicy_agent *agent,
                                                                     saferl_rl_replay *replay, const saferl_rl_env *env,
                                                                     const char *path, const char **message);
#endif

/* ---- the off-policy Lagrangian's read-out: a mixture of its iterates -----------------------
   A primal-dual method's guarantee is for a mixture of its iterates, not the last one, and the
   constrained optimum is a coin between at most two policies (flipping, above). An iterate
   mixture keeps snapshots of the actor during training (the last snapshot_count, one every
   snapshot_spacing environment steps, in your memory), estimates each one's return and cost by
   evaluation episodes on an environment of its own (the snapshot as deployed), and solves
   saferl_rl_mixture_solve over them at the agent's first cost limit d: the delivered policy
   tosses a coin per episode between the (at most two) snapshots chosen. Its expected return and
   cost are the weighted averages of the two snapshots' (exactly, per episode), so it is as good
   as the estimates: the evaluation episodes are its price, counted in evaluation_steps. When
   every snapshot's estimated cost exceeds d, the least costly snapshot alone is delivered
   (mixture.constraint > d says so). Training is unchanged, bit for bit: the mixture reads the
   actor and has its own random streams. No allocation. Its settings (0: the default) were fixed
   on development CMDPs (README, "iterate mixture"). saferl_rl_flip_policy takes saferl_rl_policy
   (the on-policy Gaussian head); an off-policy actor (tanh-squashed) is not one, so the mixture
   acts through its agent. One constraint (cost_count 1): with k constraints the LP's vertices
   mix up to k + 1 policies, not solved here. */
#define SAFERL_RL_MAX_SNAPSHOTS 64
typedef struct saferl_rl_iterate_mixture {
    /* settings: 0 means the default */
    int snapshot_count;        /* 5: snapshots kept, the last ones (1..SAFERL_RL_MAX_SNAPSHOTS) */
    long snapshot_spacing;     /* 2000: environment steps of training between snapshots (the
                                  defaults cover the last 10,000 steps of a 20,000-step run: scale
                                  the spacing with your run's length) */
    int evaluation_episodes;   /* 400: episodes evaluating each snapshot */
    int evaluation_max_steps;  /* 0: an evaluation episode lasts until the environment ends it */
    int sample_actions;        /* 0: each snapshot acts deterministically (TD3's actor, SAC's
                                  tanh(mean)); 1: SAC's snapshots sample their policy (TD3's exploration
                                  noise is a training device: its snapshots stay deterministic) */
    uint32_t seed;             /* the evaluation episodes' and the coin's streams */
    /* the snapshots: yours, snapshot_count x the agent's actor_count floats */
    float *parameters;
    size_t parameter_count;
    /* state, set by init, observe and solve */
    int stored, next;          /* snapshots held; the ring's next slot */
    long next_snapshot_step;   /* the agent's env_steps at which observe takes the next snapshot */
    long taken_at[SAFERL_RL_MAX_SNAPSHOTS]; /* env_steps of each snapshot */
    double value[SAFERL_RL_MAX_SNAPSHOTS], cost[SAFERL_RL_MAX_SNAPSHOTS]; /* estimated return, first cost */
    long evaluation_steps;     /* environment steps spent evaluating snapshots, in all */
    long evaluations;          /* snapshots evaluated, in all */
    saferl_rl_mixture mixture; /* solve's choice: slots first and second of the ring */
    int current;               /* this episode's policy: 0 first, 1 second (begin_episode) */
    saferl_rng rng;            /* evaluation, then acting */
    saferl_rng coin;
} saferl_rl_iterate_mixture;

/* Floats of snapshot memory for this agent and settings (0 for an invalid snapshot_count). */
SAFERL_RL_API size_t saferl_rl_iterate_mixture_parameter_count(const saferl_rl_offpolicy_agent *agent,
                                                               int snapshot_count);
/* Fills the defaults and starts empty; the first snapshot is due snapshot_spacing steps after
   the agent's present env_steps. SAFERL_ERR_INVALID_ARGUMENT for settings out of range, an
   agent that is not TD3-Lag, SAC-Lag or discrete SAC-Lag with cost_count 1, or a limit < 0;
   SAFERL_ERR_BUFFER_TOO_SMALL when parameter_count is short. */
SAFERL_RL_API saferl_result saferl_rl_iterate_mixture_init(saferl_rl_iterate_mixture *mixture,
                                                           const saferl_rl_offpolicy_agent *agent);
/* Call between training chunks: when the agent has passed next_snapshot_step, copies its actor
   into the ring (the oldest dropped) and evaluates it on eval_env (not the training
   environment: the training episode in progress must not be disturbed). *taken (may be NULL)
   is 1 when a snapshot was taken. Errors of the evaluation episodes (the snapshot dropped). */
SAFERL_RL_API saferl_result saferl_rl_iterate_mixture_observe(saferl_rl_iterate_mixture *mixture,
                                                              saferl_rl_offpolicy_agent *agent,
                                                              const saferl_rl_env *eval_env, int *taken);
/* The LP over the snapshots held at the agent's first cost limit (mixture->mixture).
   SAFERL_ERR_NO_DATA with no snapshot; SAFERL_OK otherwise (infeasible: the least costly
   snapshot alone, see above). */
SAFERL_RL_API saferl_result saferl_rl_iterate_mixture_solve(saferl_rl_iterate_mixture *mixture,
                                                            const saferl_rl_offpolicy_agent *agent);
/* The snapshot of slot `which` of the ring (actor_count floats). */
SAFERL_RL_API const float *saferl_rl_iterate_mixture_snapshot(const saferl_rl_iterate_mixture *mixture,
                                                              const saferl_rl_offpolicy_agent *agent, int which);
/* Acting with the solved mixture, as saferl_rl_flip_policy does per episode: begin_episode
   tosses the episode's coin (from the mixture's own stream), act gives the chosen snapshot's
   action (as deployed: sample_actions). Writes the agent's acting scratch only. */
SAFERL_RL_API void saferl_rl_iterate_mixture_begin_episode(saferl_rl_iterate_mixture *mixture);
SAFERL_RL_API saferl_result saferl_rl_iterate_mixture_act(saferl_rl_iterate_mixture *mixture,
                                                          saferl_rl_offpolicy_agent *agent, const float *observation,
                                                          float *action);

/* ---- preference optimisation: DPO, SACPO and the cost-minimal poisoning LP ------------------
   A "language model" in miniature: P prompts, K responses each, a categorical policy given by
   a row of K logits per prompt (P x K doubles, row-major), prompts equally likely. With
   tabular logits every quantity below has a closed form, so the methods can be checked
   against it.

   DPO (Rafailov et al., NeurIPS 2023) on preferences (x, y_w, y_l) minimises
      L(theta) = -(1/n) sum log sigmoid(beta [(log pi(y_w|x) - log pi_ref(y_w|x))
                                               - (log pi(y_l|x) - log pi_ref(y_l|x))])
   whose minimiser under Bradley-Terry data P(y_w > y_l) = sigmoid(r(x,y_w) - r(x,y_l)) is,
   as the data grow, pi_r ∝ pi_ref exp(r / beta). SACPO (Wachi et al., NeurIPS 2024) reaches
   the constrained optimum  max E[r] - beta KL(pi || pi_ref)  s.t.  E[g] >= b  (g a safety
   score, higher is safer), pi* ∝ pi_ref exp((r + lambda g) / beta), in two such steps: DPO
   with beta on the reward data from pi_ref, then DPO with beta / lambda on the safety data
   from the first step's policy. P-SACPO merges the two steps' weights,
   theta = (1 - q) theta_r + q theta_rg (for tabular logits: the closed form at q lambda).

   With tabular logits log pi(y_w|x) - log pi(y_l|x) is a logit difference, so the loss is a
   logistic regression in each prompt's row: convex, and saferl_rl_dpo_fit minimises it by
   Newton's method instead of running gradient steps to their limit. */

/* One preference: at `prompt`, response `chosen` was preferred to `rejected`. */
typedef struct saferl_rl_preference {
    int prompt, chosen, rejected;
} saferl_rl_preference;

/* probabilities[x,y] = softmax of logits row x (P x K). */
SAFERL_RL_API void saferl_rl_tabular_probabilities(double *probabilities, const double *logits, int prompt_count,
                                                   int response_count);
/* The mean over prompts of sum_y pi(y|x) value[x,y]: E[r] or E[g] of the policy. */
SAFERL_RL_API double saferl_rl_tabular_expectation(const double *logits, const double *value, int prompt_count,
                                                   int response_count);
/* The mean over prompts of the total variation distance between two policies' rows. */
SAFERL_RL_API double saferl_rl_tabular_total_variation(const double *logits_a, const double *logits_b,
                                                       int prompt_count, int response_count);
/* n Bradley-Terry preferences from a known score (P x K; reward r or safety g): the prompt
   uniform, two distinct responses uniform, the first chosen with probability
   sigmoid(score[x,y1] - score[x,y2]). Deterministic from the rng. */
SAFERL_RL_API saferl_result saferl_rl_preferences_sample(saferl_rl_preference *preferences, long count,
                                                         const double *score, int prompt_count,
                                                         int response_count, saferl_rng *rng);
/* The DPO loss of `logits` against the reference `reference_logits` at temperature beta > 0
   (mean over the n preferences). grad (optional, P x K) receives += dL/dlogits. NaN for bad
   arguments (an index out of range, beta <= 0 or not finite, n < 1). */
SAFERL_RL_API double saferl_rl_dpo_loss(const double *logits, const double *reference_logits, int prompt_count,
                                        int response_count, const saferl_rl_preference *preferences, long count,
                                        double beta, double *grad);
/* doubles of scratch saferl_rl_dpo_fit and saferl_rl_sacpo need: 2 P K + 2 K^2 + 3 K */
SAFERL_RL_API size_t saferl_rl_dpo_scratch_count(int prompt_count, int response_count);
/* The minimiser of the DPO loss from the reference, written to logits (P x K) only on success;
   each row's first logit stays the reference's (the loss does not see a row's shift).
   Newton's method with a backtracking line search per prompt, to a gradient norm of 1e-10
   relative to beta. SAFERL_ERR_NO_DATA: a prompt whose compared responses do not connect all
   K (the minimiser is not unique); SAFERL_ERR_DID_NOT_CONVERGE: data that some response
   always wins or always loses (the minimiser is at infinity). */
SAFERL_RL_API saferl_result saferl_rl_dpo_fit(double *logits, const double *reference_logits, int prompt_count,
                                              int response_count, const saferl_rl_preference *preferences,
                                              long count, double beta, double *scratch, size_t scratch_count);
/* The constrained optimum's closed form: logits = reference + (reward + lambda safety) / beta
   (safety may be NULL for lambda = 0). */
SAFERL_RL_API saferl_result saferl_rl_preference_optimum(double *logits, const double *reference_logits,
                                                         const double *reward, const double *safety,
                                                         int prompt_count, int response_count, double beta,
                                                         double lambda);
/* The multiplier of the constrained optimum for the safety threshold b (no default): the
   smallest lambda >= 0 with E[g] of the closed form >= b, by bisection to a relative 1e-12.
   SAFERL_ERR_INFEASIBLE when b is not below the mean over prompts of max_y g (what lambda ->
   infinity reaches) and the reference-side optimum does not already meet it. */
SAFERL_RL_API saferl_result saferl_rl_preference_multiplier(const double *reference_logits, const double *reward,
                                                            const double *safety, int prompt_count,
                                                            int response_count, double beta, double threshold,
                                                            double *lambda);
/* SACPO's two steps: reward_logits = DPO(beta) on the reward preferences from the reference;
   logits = DPO(beta / lambda) on the safety preferences from reward_logits (lambda = 0:
   logits = reward_logits, the safety data unused). Nothing is written unless both steps
   succeed; errors as saferl_rl_dpo_fit. */
SAFERL_RL_API saferl_result saferl_rl_sacpo(double *logits, double *reward_logits, const double *reference_logits,
                                            int prompt_count, int response_count,
                                            const saferl_rl_preference *reward_preferences, long reward_count,
                                            const saferl_rl_preference *safety_preferences, long safety_count,
                                            double beta, double lambda, double *scratch, size_t scratch_count);
/* P-SACPO's weight merge: merged = (1 - q) a + q b over n weights, q in [0, 1]. */
SAFERL_RL_API saferl_result saferl_rl_weight_merge(double *merged, const double *a, const double *b, size_t count,
                                                   double q);

/* Cost-minimal label-flip poisoning (arXiv 2511.09105): with a linear reward r(x, y) = phi^T w
   the Bradley-Terry log-likelihood's gradient, sum_i (theta_i - sigmoid(phi_i^T w)) phi_i,
   sees the labels theta only through Phi^T theta, so an attack theta_A (labels in [0, 1],
   1 = the first response preferred) can be replaced by the cheapest labels with the same
   Phi^T theta:
      min ||D zeta||_1  s.t.  Phi^T zeta = Phi^T (theta_A - theta_O),  0 <= theta_O + zeta <= 1
   (Phi is N x d, one feature difference phi(x, y1) - phi(x, y2) per row; D diagonal > 0, the
   cost of changing each label). saferl_rl_poison_lp solves it exactly by a dense bounded-
   variable simplex on the d equality rows (zeta = zeta+ - zeta-, each with its box), two
   phases, Dantzig's rule with Bland's after a run of degenerate steps. The optimum it returns
   is a vertex: at most d labels take a value strictly inside their box; every other label is
   kept or moved to a bound. Memory: the d x (2N + d) tableau and a few vectors, from the
   caller. Tolerances are relative: pivots 1e-9 (tableau entries B^-1 A do not change with
   Phi's scale), reduced costs 1e-9 max D, phase one's residual 1e-9 N max|Phi|. */
SAFERL_RL_API size_t saferl_rl_poison_lp_memory_size(int sample_count, int feature_dim);
/* labels (N, written on success) = theta_O + zeta at the optimum; *total_cost (optional) =
   ||D zeta||_1. flip_costs NULL: all 1. SAFERL_ERR_INVALID_ARGUMENT for labels outside
   [0, 1] or costs <= 0; SAFERL_ERR_NOT_FINITE for NaN/Inf; SAFERL_ERR_DID_NOT_CONVERGE if
   the iteration cap (50 (2N + 2d)) is reached. */
SAFERL_RL_API saferl_result saferl_rl_poison_lp(double *labels, double *total_cost, const double *features,
                                                const double *original_labels, const double *attack_labels,
                                                const double *flip_costs, int sample_count, int feature_dim,
                                                void *memory, size_t memory_size);

/* ---- leader-follower games: BC-HG's hypergradient -------------------------------------------
   A leader whose policy shapes what a follower learns (a designer and an agent, an incentive
   and a market): Kudo, Tanabe, Wachi and Akimoto, "Sample-Efficient Hypergradient Estimation
   for Decentralized Bi-Level Reinforcement Learning" (ICAPS 2026, arXiv 2603.14867): BC-HG,
   the Boltzmann covariance hypergradient. A tabular Markov game: S states, each step the leader
   picks one of L actions from its softmax policy pi_l(l|s) (logits x, S x L), then the
   follower, seeing it, one of F actions; P(s'|s,l,f) moves the state; each earns its own
   reward. The follower answers with its entropy-regularised best response at temperature tau,
       pi_f(f|s,l) = exp((Q_f(s,l,f) - V_f(s,l)) / tau),  V_f(s,l) = tau log sum_f exp(Q_f / tau),
   Q_f from soft Q iteration, and the leader maximises its own discounted return from the
   initial distribution, F(x) = sum_s rho(s) V_l(s). F depends on x also through pi_f, and the
   Boltzmann form gives that part as a covariance (the paper's hypergradient):
       grad F = sum_s d(s) sum_l pi_l(l|s) [ grad log pi_l(l|s) Q_l(s,l)                  (direct)
                + (1/tau) Cov_{f ~ pi_f(.|s,l)}( Q_l(s,l,f), grad Q_f(s,l,f) ) ]         (guidance)
   d the discounted visitation (sum 1 / (1 - gamma)), grad Q_f(s,l,f) = gamma E_{s'} grad V_f(s'),
   and grad V_f(s) the follower's discounted sum, along its own path, of
   grad log pi_l(l_k|s_k) (V_f(s_k,l_k) - V_f(s_k)): the leader's "influence" on it. Without
   the guidance term this is the policy gradient with the follower held fixed, the paper's
   baseline. BC-HG estimates both terms from samples; in the covariance, Q_l's mean over the
   follower's actions comes from draws independent of the one the influence follows, so the
   product's expectation is the covariance itself (one draw for both would add a bias).

   saferl_rl_stackelberg_solve computes everything exactly (soft Q iteration, then (I - gamma P)
   solved by an LU factorisation of size S), so it is for small games: O(S^3 L) a call, memory
   O(S^2 (L F + L)). saferl_rl_stackelberg_hypergradient gives the exact gradient, and
   saferl_rl_stackelberg_sample_hypergradient one draw of BC-HG's estimator with the exact
   tables standing in for its learned critics: the leader's update, step by step, as the paper
   runs it with an optimal ("Opt") follower. A game is one caller buffer; different games may
   be used from different threads. A leader's step (examples/bchg_toy.c has the whole loop):
      saferl_rl_discrete_toy4 tables;
      saferl_rl_stackelberg_desc desc = saferl_rl_discrete_toy4_desc(&tables, 1.0);
      size_t size = saferl_rl_stackelberg_memory_size(&desc);
      saferl_rl_stackelberg_init(&game, &desc, malloc(size), size);
      saferl_rl_stackelberg_solve(&game, logits);             // the follower answers
      saferl_rl_stackelberg_sample_hypergradient(&game, 1, 256, &rng, g); // average a batch,
      ...                                                      // step the logits, solve again */
typedef struct saferl_rl_stackelberg_desc {
    int state_count, leader_action_count, follower_action_count; /* S, L, F >= 1: no default */
    const double *transition;      /* S x L x F x S: P(s'|s,l,f); rows >= 0 summing to 1 */
    const double *leader_reward;   /* S x L x F */
    const double *follower_reward; /* S x L x F */
    const double *initial_state;   /* S: rho, >= 0 summing to 1 */
    double discount;               /* gamma in [0, 1), both players; no default, 0 means 0 */
    double temperature;            /* tau > 0, the follower's entropy weight; required */
} saferl_rl_stackelberg_desc;

typedef struct saferl_rl_stackelberg {
    int state_count, leader_action_count, follower_action_count, solved;
    double discount, temperature;
    double *transition, *leader_reward, *follower_reward, *initial_state; /* copies of the desc's */
    /* after saferl_rl_stackelberg_solve (read them; x is the last logits given): */
    double *leader_policy;      /* S x L: pi_l(l|s) */
    double *follower_q;         /* S x L x F: Q_f, also the next solve's warm start */
    double *follower_policy;    /* S x L x F: pi_f(f|s,l) */
    double *follower_value_sl;  /* S x L: V_f(s,l) */
    double *follower_value;     /* S: V_f(s) = sum_l pi_l V_f(s,l) */
    double *follower_influence; /* S x (S L): grad_x V_f(s) */
    double *leader_q;           /* S x L x F: Q_l(s,l,f) */
    double *leader_value;       /* S: V_l(s) */
    double *visitation;         /* S: d(s) = sum_t gamma^t P(s_t = s), sums to 1 / (1 - gamma) */
    double objective;           /* F(x) = sum_s rho(s) V_l(s) */
    double *scratch;            /* S L F + 2 S L + S: a solve's Q_f, pi_l and V_f in progress */
    double *factor;             /* S x S: LU of I - gamma P */
    int *pivot;                 /* S */
} saferl_rl_stackelberg;

/* "ok", or what is wrong with the desc naming the field ("temperature: required, > 0"). */
SAFERL_RL_API const char *saferl_rl_stackelberg_desc_check(const saferl_rl_stackelberg_desc *desc);
/* bytes saferl_rl_stackelberg_init needs; 0 for counts it cannot hold */
SAFERL_RL_API size_t saferl_rl_stackelberg_memory_size(const saferl_rl_stackelberg_desc *desc);
/* The game on the caller's memory, the desc's tables copied in, the follower's Q at 0.
   SAFERL_ERR_INVALID_ARGUMENT / SAFERL_ERR_NOT_FINITE as saferl_rl_stackelberg_desc_check
   says, SAFERL_ERR_BUFFER_TOO_SMALL; nothing written on error. */
SAFERL_RL_API saferl_result saferl_rl_stackelberg_init(saferl_rl_stackelberg *game,
                                                       const saferl_rl_stackelberg_desc *desc, void *memory,
                                                       size_t memory_size);
/* The follower's soft best response to the leader's logits (S x L) and every table above.
   Soft Q iteration starts from the last solve's Q_f and stops when a sweep changes no entry by
   more than 1e-14 (1 + max |Q_f|): the error left is below gamma / (1 - gamma) times that
   (the contraction's bound; 1e-12 (1 + max |Q_f|) at gamma = 0.99). SAFERL_ERR_NOT_FINITE
   for NaN/Inf logits, SAFERL_ERR_DID_NOT_CONVERGE after 10^6 sweeps; on error every table
   above is as it was (only `scratch` is written). */
SAFERL_RL_API saferl_result saferl_rl_stackelberg_solve(saferl_rl_stackelberg *game, const double *leader_logits);
/* The exact hypergradient dF/dx (S x L) at the last solve; with_guidance 0: the direct term
   alone (the paper's baseline). SAFERL_ERR_NO_DATA before a solve. */
SAFERL_RL_API saferl_result saferl_rl_stackelberg_hypergradient(const saferl_rl_stackelberg *game,
                                                                int with_guidance, double *gradient);
/* One draw of BC-HG's estimator of the same (its mean is the exact hypergradient): a state from
   d / |d|, the two actions from the policies; the direct term |d| grad log pi_l(l|s)
   (Q_l(s,l) - V_l(s)); the guidance term |d| (Q_l(s,l,f) - b) gamma I / tau with the benefit's
   baseline b the mean of Q_l over `follower_draws` fresh follower actions (the paper's
   batch_size_for_fa_exp, 256 in its runs) and the influence I the follower's path from the next
   state, stopped with probability 1 - gamma at each step (an unbiased discounted sum).
   Deterministic from the rng. SAFERL_ERR_NO_DATA before a solve, SAFERL_ERR_INVALID_ARGUMENT
   for follower_draws < 1 with guidance; gradient written only on success. */
SAFERL_RL_API saferl_result saferl_rl_stackelberg_sample_hypergradient(const saferl_rl_stackelberg *game,
                                                                       int with_guidance, int follower_draws,
                                                                       saferl_rng *rng, double *gradient);
/* The paper's DiscreteToy4 (akimotolab/BC-HG, DiscreteToyEnv4): states S, A, B (0, 1, 2) from
   S, 2 leader and 3 follower actions. The follower earns 1 for leaving S (action 1 to A, 2 to
   B); at A the leader's action 1 sends it back to S with -1, while action 0 lets it go on to B
   (action 2) for `bonus` (the paper's R: 1 in DiscreteToy4_R1, 2 in _R2) or back to S (action
   0); from B action 0 returns to S; every other move stays. The leader earns 1 when the
   follower goes from S to A, so its good action at the key state A is mostly 0 (the follower
   then cycles S-A-B; the best mix, pi_l(0|A) ~ 0.83, also sends it back to S now and then),
   though with the follower held fixed, action 1 returns to S sooner. Fills the tables and
   returns the desc, gamma 0.99 and tau 0.05 as in the paper's runs. */
typedef struct saferl_rl_discrete_toy4 {
    double transition[3 * 2 * 3 * 3], leader_reward[3 * 2 * 3], follower_reward[3 * 2 * 3], initial_state[3];
} saferl_rl_discrete_toy4;
SAFERL_RL_API saferl_rl_stackelberg_desc saferl_rl_discrete_toy4_desc(saferl_rl_discrete_toy4 *tables, double bonus);

#ifdef __cplusplus
}
#endif
#endif /* SAFERL_RL_H */

/* ======================================================================================== */
/*                                    IMPLEMENTATION                                        */
/* ======================================================================================== */
#ifdef SAFERL_RL_IMPLEMENTATION
#ifndef SAFERL_RL_IMPLEMENTATION_ONCE
#define SAFERL_RL_IMPLEMENTATION_ONCE

/* BITS (the notes at the top): no contraction of a * b + c into a fused multiply-add in
   this header's code, whatever the build's flags; pushed here, popped at the end. clang
   saves the setting with float_control, which it refuses on targets without strict FP
   (WebAssembly, which has no fused multiply-add to contract into). */
#if defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#  pragma float_control(push)
#  pragma clang fp contract(off)
#elif defined(__GNUC__) && !defined(__clang__)
#  pragma GCC push_options
#  pragma GCC optimize("fp-contract=off")
#endif

#include <string.h>
#if defined(__SSE__) || defined(_M_X64)
#  include <xmmintrin.h> /* _mm_sqrt_ps: Adam's square roots (see saferl_rl__sqrt_block) */
#endif
#ifndef SAFERL_ASSERT
#  include <assert.h>
#  define SAFERL_ASSERT(x) assert(x)
#endif
#if defined(SAFERL_MALLOC) != defined(SAFERL_FREE)
#  error "define both SAFERL_MALLOC and SAFERL_FREE, or neither"
#endif
#ifndef SAFERL_MALLOC
#  include <stdlib.h>
#  define SAFERL_MALLOC(sz, ctx) ((void)(ctx), malloc(sz))
#  define SAFERL_FREE(p, ctx) ((void)(ctx), free(p))
#endif
#ifndef SAFERL_NO_STDIO
#  include <stdio.h>
#  include <errno.h>
#  if defined(__unix__) || defined(__APPLE__)
#    include <sys/stat.h>
#  endif
#endif
#if defined(SAFERL_USE_BLIS)
#  if defined(__EMSCRIPTEN__)
#    error "SAFERL_USE_BLIS is native-only"
#  endif
#  include <blis.h>
#endif

/* Runtime dispatch. A portable build (say -march=x86-64-v2, SSE-width vectors) also compiles
   the hot loops for AVX2 and picks that instantiation per call when the CPU has it, as PyTorch
   and BLAS pick their kernels at run time. Without FMA on purpose: target("avx2") alone cannot
   contract a * b + c, so every lane does the same multiplies and adds in the same order as the
   SSE code and the results are bit-identical on every x86-64 CPU (lockstep and replays stay
   deterministic across machines). A loop is written once as an always-inline body and
   instantiated twice; whatever it calls must be inlined into it too. */
#if !defined(SAFERL_NO_DISPATCH) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(__AVX2__) && !defined(__EMSCRIPTEN__)
#  define SAFERL_RL__DISPATCH 1
/* libgcc / compiler-rt fill the CPU model in a constructor; __builtin_cpu_init makes the check
   valid even when called from another constructor (after the first call it returns at once) */
static int saferl_rl__have_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
/* The AVX2 instantiations' attribute. clang (14) keeps the build's tuning there, whose generic
   x86-64 splits every 256-bit load and store of unknown alignment in two 128-bit halves (a
   user's weights, a layer's rows); tuned for the AVX2 CPUs (x86-64-v3) it does not. GCC's
   generic tuning does not split them. Tuning does not change what is computed. */
#  if defined(__clang__) && __clang_major__ >= 14
#    define SAFERL_RL__TARGET_AVX2 __attribute__((target("avx2,tune=x86-64-v3")))
#  else
#    define SAFERL_RL__TARGET_AVX2 __attribute__((target("avx2")))
#  endif
#endif
#if defined(__GNUC__) || defined(__clang__)
#  define SAFERL_RL__BODY static inline __attribute__((always_inline))
#else
#  define SAFERL_RL__BODY static
#endif

SAFERL_RL_API const char *saferl_rl_version(void) { return SAFERL_RL_VERSION_STRING; }

static int saferl_rl__finite(double v) { return v == v && v <= 3.4e38 && v >= -3.4e38; }
/* saferl_rl__finite on every float of x, read from the bits: |x| <= 3.4e38 is |bits| <=
   0x7f7fc99e, the largest float not above 3.4e38 (NaN and infinities lie above it). No early
   exit, so the loop vectorises: it scans every gradient of an update. */
static int saferl_rl__all_finite(const float *x, int n) {
    int32_t worst = 0;
    int i;
    for (i = 0; i < n; ++i) {
        int32_t bits;
        memcpy(&bits, &x[i], 4);
        bits &= 0x7fffffff;
        worst = bits > worst ? bits : worst;
    }
    return worst <= 0x7f7fc99e;
}
static double saferl_rl__nan(void) {
    volatile double zero = 0.0;
    return zero / zero;
}
static float saferl_rl__clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* ---- environments ---------------------------------------------------------------------- */

static const char *const saferl_rl__gridworld_map[SAFERL_RL_GRID_ROWS] = {
    "#########", "#A LLL G#", "#       #", "#       #", "#       #", "#  LLL  #", "#########"};

static saferl_result saferl_rl__cartpole_reset(saferl_rl_builtin *e, saferl_rng *rng, float *obs) {
    int i;
    for (i = 0; i < 4; ++i) {
        e->x[i] = -0.05 + 0.1 * saferl_rng_uniform(rng);
        obs[i] = (float)e->x[i];
    }
    return SAFERL_OK;
}

static saferl_result saferl_rl__cartpole_step(saferl_rl_builtin *e, const float *action, float *obs, float *reward,
                                              float *cost, int *terminated) {
    /* Gym CartPole-v1, Euler integration */
    const double gravity = 9.8, masscart = 1.0, masspole = e->omega[0], length = e->omega[1], tau = 0.02;
    const double total = masscart + masspole, polemass_length = masspole * length;
    double force = action[0] >= 0.5f ? 10.0 : -10.0;
    double x = e->x[0], x_dot = e->x[1], theta = e->x[2], theta_dot = e->x[3];
    double c = cos(theta), s = sin(theta);
    double temp = (force + polemass_length * theta_dot * theta_dot * s) / total;
    double theta_acc = (gravity * s - c * temp) / (length * (4.0 / 3.0 - masspole * c * c / total));
    double x_acc = temp - polemass_length * theta_acc * c / total;
    int i;
    if (!(action[0] == 0.0f || action[0] == 1.0f)) return SAFERL_ERR_INVALID_ARGUMENT;
    x += tau * x_dot;
    x_dot += tau * x_acc;
    theta += tau * theta_dot;
    theta_dot += tau * theta_acc;
    e->x[0] = x; e->x[1] = x_dot; e->x[2] = theta; e->x[3] = theta_dot;
    for (i = 0; i < 4; ++i) obs[i] = (float)e->x[i];
    *reward = 1.0f;
    *cost = fabs(x) > 1.0 ? 1.0f : 0.0f;
    *terminated = fabs(x) > 2.4 || fabs(theta) > 12.0 * 2.0 * 3.14159265358979323846 / 360.0;
    return SAFERL_OK;
}

static double saferl_rl__wrap_angle(double a) { /* into [0, 2 pi) */
    const double two_pi = 6.283185307179586476925;
    a = fmod(a, two_pi);
    return a < 0.0 ? a + two_pi : a;
}

static void saferl_rl__lidar(float *bins, const saferl_rl_builtin *e, const double *px, const double *py, int n) {
    /* Safety-Gymnasium's pseudo-lidar with aliasing, max distance 3 */
    const double bin_size = 6.283185307179586476925 / SAFERL_RL_LIDAR_BINS;
    int i;
    for (i = 0; i < SAFERL_RL_LIDAR_BINS; ++i) bins[i] = 0.0f;
    for (i = 0; i < n; ++i) {
        double dx = px[i] - e->x[0], dy = py[i] - e->x[1];
        double dist = sqrt(dx * dx + dy * dy);
        double angle = saferl_rl__wrap_angle(atan2(dy, dx) - e->heading);
        int bin = (int)(angle / bin_size);
        double alias, sensor = dist < 3.0 ? (3.0 - dist) / 3.0 : 0.0;
        int plus, minus;
        if (bin >= SAFERL_RL_LIDAR_BINS) bin = SAFERL_RL_LIDAR_BINS - 1;
        alias = (angle - bin * bin_size) / bin_size;
        plus = (bin + 1) % SAFERL_RL_LIDAR_BINS;
        minus = (bin + SAFERL_RL_LIDAR_BINS - 1) % SAFERL_RL_LIDAR_BINS;
        if (sensor > bins[bin]) bins[bin] = (float)sensor;
        if (alias * sensor > bins[plus]) bins[plus] = (float)(alias * sensor);
        if ((1.0 - alias) * sensor > bins[minus]) bins[minus] = (float)((1.0 - alias) * sensor);
    }
}

static void saferl_rl__pointgoal_obs(const saferl_rl_builtin *e, float *obs) {
    double c = cos(e->heading), s = sin(e->heading);
    double hx[SAFERL_RL_POINTGOAL_HAZARDS], hy[SAFERL_RL_POINTGOAL_HAZARDS];
    int i;
    obs[0] = (float)(c * e->x[2] + s * e->x[3]);
    obs[1] = (float)(-s * e->x[2] + c * e->x[3]);
    obs[2] = (float)e->yaw_rate;
    saferl_rl__lidar(obs + 3, e, &e->goal[0], &e->goal[1], 1);
    for (i = 0; i < SAFERL_RL_POINTGOAL_HAZARDS; ++i) {
        hx[i] = e->hazards[i][0];
        hy[i] = e->hazards[i][1];
    }
    saferl_rl__lidar(obs + 3 + SAFERL_RL_LIDAR_BINS, e, hx, hy, SAFERL_RL_POINTGOAL_HAZARDS);
}

/* Places the goal away from the hazards (keep-out 0.3 + 0.2) and the agent. */
static void saferl_rl__pointgoal_place_goal(saferl_rl_builtin *e, saferl_rng *rng) {
    int tries, i;
    for (tries = 0; tries < 1000; ++tries) {
        double gx = -1.2 + 2.4 * saferl_rng_uniform(rng), gy = -1.2 + 2.4 * saferl_rng_uniform(rng);
        int ok = (gx - e->x[0]) * (gx - e->x[0]) + (gy - e->x[1]) * (gy - e->x[1]) > 0.5 * 0.5;
        for (i = 0; ok && i < SAFERL_RL_POINTGOAL_HAZARDS; ++i) {
            double dx = gx - e->hazards[i][0], dy = gy - e->hazards[i][1];
            ok = dx * dx + dy * dy > 0.5 * 0.5;
        }
        e->goal[0] = gx;
        e->goal[1] = gy;
        if (ok) break;
    }
    e->goal_distance = sqrt((e->goal[0] - e->x[0]) * (e->goal[0] - e->x[0]) +
                            (e->goal[1] - e->x[1]) * (e->goal[1] - e->x[1]));
}

static saferl_result saferl_rl__pointgoal_reset(saferl_rl_builtin *e, saferl_rng *rng, float *obs) {
    int i, j, tries;
    e->x[0] = -1.2 + 2.4 * saferl_rng_uniform(rng);
    e->x[1] = -1.2 + 2.4 * saferl_rng_uniform(rng);
    e->x[2] = e->x[3] = 0.0;
    e->heading = 6.283185307179586476925 * saferl_rng_uniform(rng);
    e->yaw_rate = 0.0;
    e->goals_reached = 0;
    for (i = 0; i < SAFERL_RL_POINTGOAL_HAZARDS; ++i) {
        for (tries = 0; tries < 1000; ++tries) {
            double hx = -1.3 + 2.6 * saferl_rng_uniform(rng), hy = -1.3 + 2.6 * saferl_rng_uniform(rng);
            int ok = (hx - e->x[0]) * (hx - e->x[0]) + (hy - e->x[1]) * (hy - e->x[1]) > 0.4 * 0.4;
            for (j = 0; ok && j < i; ++j) {
                double dx = hx - e->hazards[j][0], dy = hy - e->hazards[j][1];
                ok = dx * dx + dy * dy > 0.4 * 0.4;
            }
            e->hazards[i][0] = hx;
            e->hazards[i][1] = hy;
            if (ok) break;
        }
    }
    saferl_rl__pointgoal_place_goal(e, rng);
    saferl_rl__pointgoal_obs(e, obs);
    return SAFERL_OK;
}

static saferl_result saferl_rl__pointgoal_step(saferl_rl_builtin *e, saferl_rng *rng, const float *action,
                                               float *obs, float *reward, float *cost) {
    const double dt = 0.02, drag = 4.0;
    double a0 = saferl_rl__clampf(action[0], -1.0f, 1.0f), a1 = saferl_rl__clampf(action[1], -1.0f, 1.0f);
    double c, s, dist, r = 0.0;
    int i, inside = 0;
    e->yaw_rate = 3.0 * a1;
    e->heading = saferl_rl__wrap_angle(e->heading + dt * e->yaw_rate);
    c = cos(e->heading);
    s = sin(e->heading);
    e->x[2] += dt * (2.0 * a0 * c - drag * e->x[2]);
    e->x[3] += dt * (2.0 * a0 * s - drag * e->x[3]);
    e->x[0] += dt * e->x[2];
    e->x[1] += dt * e->x[3];
    for (i = 0; i < 2; ++i) { /* walls: stop the normal velocity */
        if (e->x[i] > 1.5) { e->x[i] = 1.5; e->x[2 + i] = 0.0; }
        if (e->x[i] < -1.5) { e->x[i] = -1.5; e->x[2 + i] = 0.0; }
    }
    dist = sqrt((e->goal[0] - e->x[0]) * (e->goal[0] - e->x[0]) + (e->goal[1] - e->x[1]) * (e->goal[1] - e->x[1]));
    r = e->goal_distance - dist;
    e->goal_distance = dist;
    if (dist <= 0.3) {
        r += 1.0;
        e->goals_reached += 1;
        saferl_rl__pointgoal_place_goal(e, rng);
    }
    for (i = 0; i < SAFERL_RL_POINTGOAL_HAZARDS; ++i) {
        double dx = e->x[0] - e->hazards[i][0], dy = e->x[1] - e->hazards[i][1];
        if (dx * dx + dy * dy <= 0.2 * 0.2) inside = 1;
    }
    *reward = (float)r;
    *cost = inside ? 1.0f : 0.0f;
    saferl_rl__pointgoal_obs(e, obs);
    return SAFERL_OK;
}

/* Gym's pendulum equations (Pendulum-v1 and the Safe Pendulum share them): th' += (3 g /
   (2 l) sin th + 3 / (m l^2) u) dt, clipped to +-8, th += th' dt; g 10, dt 0.05, (m, l) = omega. */
static void saferl_rl__pendulum_integrate(saferl_rl_builtin *e, double u) {
    double m = e->omega[0], l = e->omega[1], theta_dot = e->x[1];
    theta_dot += (3.0 * 10.0 / (2.0 * l) * sin(e->x[0]) + 3.0 / (m * l * l) * u) * 0.05;
    if (theta_dot > 8.0) theta_dot = 8.0;
    if (theta_dot < -8.0) theta_dot = -8.0;
    e->x[0] += theta_dot * 0.05;
    e->x[1] = theta_dot;
}

static saferl_result saferl_rl__pendulum_v1_step(saferl_rl_builtin *e, const float *action, float *obs,
                                                 float *reward, float *cost) {
    const double pi = 3.14159265358979323846;
    double u, theta_n;
    if (!saferl_rl__all_finite(action, 1)) return SAFERL_ERR_NOT_FINITE;
    u = 2.0 * saferl_rl__clampf(action[0], -1.0f, 1.0f);
    theta_n = saferl_rl__wrap_angle(e->x[0] + pi) - pi; /* Gym's angle_normalize */
    *reward = (float)-(theta_n * theta_n + 0.1 * e->x[1] * e->x[1] + 0.001 * u * u);
    *cost = 0.0f;
    saferl_rl__pendulum_integrate(e, u);
    obs[0] = (float)cos(e->x[0]);
    obs[1] = (float)sin(e->x[0]);
    obs[2] = (float)e->x[1];
    return SAFERL_OK;
}

static void saferl_rl__pendulum_obs(const saferl_rl_builtin *e, float *obs) {
    obs[0] = (float)cos(e->x[0]);
    obs[1] = (float)sin(e->x[0]);
    obs[2] = (float)(e->x[1] / 8.0);
}

/* ---- the runner: a velocity-cost locomotion task ----------------------------------------

   After Safety-Gymnasium's velocity tasks (reward the forward speed less a control cost, cost
   1 on every step faster than a speed limit), without a body: the gait is a phase that
   modulates how much thrust an action gives, and rough ground is a random kick to the speed.
   The constants are documented with the environment list at the top of the file. */
#define SAFERL_RL_RUNNER_DT 0.05
#define SAFERL_RL_RUNNER_THRUST 4.0     /* m/s^2 at a = 1 */
#define SAFERL_RL_RUNNER_DRAG 2.0       /* 1/s: top speed 2 m/s */
#define SAFERL_RL_RUNNER_STRIDE 0.5     /* m a gait cycle */
#define SAFERL_RL_RUNNER_KICK 0.2       /* m/s / sqrt(s): the ground's random kick */
#define SAFERL_RL_RUNNER_SPEED_LIMIT 1.0 /* m/s: half the top speed */

static void saferl_rl__runner_obs(const saferl_rl_builtin *e, float *obs) {
    obs[0] = (float)e->x[0];
    obs[1] = (float)sin(e->x[1]);
    obs[2] = (float)cos(e->x[1]);
}

/* x[0] speed, x[1] gait phase, x[2] distance run; each episode starts at rest, phase random. */
static saferl_result saferl_rl__runner_reset(saferl_rl_builtin *e, saferl_rng *rng, float *obs) {
    e->x[0] = 0.0;
    e->x[1] = 2.0 * 3.14159265358979323846 * saferl_rng_uniform(rng);
    e->x[2] = 0.0;
    saferl_rl__runner_obs(e, obs);
    return SAFERL_OK;
}

/* Thrust a in [-1, 1] works best mid-stride (gain 1 + 0.5 sin phase); the phase advances with
   the distance, so holding a speed needs feedback on the phase. */
static saferl_result saferl_rl__runner_step(saferl_rl_builtin *e, saferl_rng *rng, const float *action, float *obs,
                                            float *reward, float *cost) {
    const double dt = SAFERL_RL_RUNNER_DT, pi = 3.14159265358979323846;
    double a, v = e->x[0];
    if (!saferl_rl__all_finite(action, 1)) return SAFERL_ERR_NOT_FINITE;
    a = saferl_rl__clampf(action[0], -1.0f, 1.0f);
    v += dt * (SAFERL_RL_RUNNER_THRUST * a * (1.0 + 0.5 * sin(e->x[1])) - SAFERL_RL_RUNNER_DRAG * v) +
         SAFERL_RL_RUNNER_KICK * sqrt(dt) * saferl_rng_normal(rng);
    e->x[0] = v;
    e->x[2] += dt * v;
    e->x[1] = saferl_rl__wrap_angle(e->x[1] + 2.0 * pi * dt * v / SAFERL_RL_RUNNER_STRIDE);
    *reward = (float)(v - 0.1 * a * a);
    *cost = v > SAFERL_RL_RUNNER_SPEED_LIMIT ? 1.0f : 0.0f;
    saferl_rl__runner_obs(e, obs);
    return SAFERL_OK;
}

/* Moves in a grid: 0 up, 1 right, 2 down, 3 left; walls and edges stop the move. */
static void saferl_rl__grid_move(int rows, int columns, int *row, int *column, int action) {
    static const int dr[4] = {-1, 0, 1, 0}, dc[4] = {0, 1, 0, -1};
    int r = *row + dr[action], c = *column + dc[action];
    if (r < 0 || r >= rows || c < 0 || c >= columns) return;
    *row = r;
    *column = c;
}

static int saferl_rl__slip_action(saferl_rng *rng, int action, double slip) {
    if (saferl_rng_uniform(rng) < slip) return (int)saferl_rng_bounded(rng, 4);
    return action;
}

static int saferl_rl__valid_index(const float *action, int count) {
    int i;
    for (i = 0; i < count; ++i)
        if (action[0] == (float)i) return 1;
    return 0;
}

static void saferl_rl__one_hot(float *obs, int n, int index) {
    int i;
    for (i = 0; i < n; ++i) obs[i] = 0.0f;
    obs[index] = 1.0f;
}

static saferl_result saferl_rl__builtin_reset(void *state, saferl_rng *rng, float *obs) {
    saferl_rl_builtin *e = (saferl_rl_builtin *)state;
    e->steps = 0;
    e->omega[0] = e->omega_next[0];
    e->omega[1] = e->omega_next[1];
    switch (e->kind) {
    case SAFERL_RL_ENV_CARTPOLE: return saferl_rl__cartpole_reset(e, rng, obs);
    case SAFERL_RL_ENV_POINTGOAL: return saferl_rl__pointgoal_reset(e, rng, obs);
    case SAFERL_RL_ENV_GRIDWORLD:
        e->cell = 1 * SAFERL_RL_GRID_COLUMNS + 1;
        saferl_rl__one_hot(obs, SAFERL_RL_GRID_ROWS * SAFERL_RL_GRID_COLUMNS, e->cell);
        return SAFERL_OK;
    case SAFERL_RL_ENV_PENDULUM:
        e->x[0] = 0.3;
        e->x[1] = -0.9;
        saferl_rl__pendulum_obs(e, obs);
        return SAFERL_OK;
    case SAFERL_RL_ENV_CLIFF:
        e->cell = (SAFERL_RL_CLIFF_ROWS - 1) * SAFERL_RL_CLIFF_COLUMNS;
        saferl_rl__one_hot(obs, SAFERL_RL_CLIFF_STATES, e->cell);
        return SAFERL_OK;
    case SAFERL_RL_ENV_PENDULUM_V1: /* Gym: uniform on [-pi, pi] x [-1, 1] */
        e->x[0] = -3.14159265358979323846 + 2.0 * 3.14159265358979323846 * saferl_rng_uniform(rng);
        e->x[1] = -1.0 + 2.0 * saferl_rng_uniform(rng);
        obs[0] = (float)cos(e->x[0]);
        obs[1] = (float)sin(e->x[0]);
        obs[2] = (float)e->x[1];
        return SAFERL_OK;
    case SAFERL_RL_ENV_RUNNER: return saferl_rl__runner_reset(e, rng, obs);
    }
    return SAFERL_ERR_INVALID_ARGUMENT;
}

/* One more step of the episode: the time limit truncates one that did not terminate. */
static void saferl_rl__count_step(saferl_rl_builtin *e, int terminated, int *truncated) {
    e->steps += 1;
    *truncated = !terminated && e->steps >= e->max_steps;
}

static saferl_result saferl_rl__builtin_step(void *state, saferl_rng *rng, const float *action, float *obs,
                                             float *reward, float *cost, int *terminated, int *truncated) {
    saferl_rl_builtin *e = (saferl_rl_builtin *)state;
    saferl_result r = SAFERL_OK;
    *terminated = 0;
    switch (e->kind) {
    case SAFERL_RL_ENV_CARTPOLE: r = saferl_rl__cartpole_step(e, action, obs, reward, cost, terminated); break;
    case SAFERL_RL_ENV_POINTGOAL:
        if (!saferl_rl__all_finite(action, 2)) return SAFERL_ERR_NOT_FINITE;
        r = saferl_rl__pointgoal_step(e, rng, action, obs, reward, cost);
        break;
    case SAFERL_RL_ENV_GRIDWORLD: {
        int row = e->cell / SAFERL_RL_GRID_COLUMNS, column = e->cell % SAFERL_RL_GRID_COLUMNS, a;
        char tile;
        if (!saferl_rl__valid_index(action, 4)) return SAFERL_ERR_INVALID_ARGUMENT;
        a = saferl_rl__slip_action(rng, (int)action[0], 0.1);
        saferl_rl__grid_move(SAFERL_RL_GRID_ROWS, SAFERL_RL_GRID_COLUMNS, &row, &column, a);
        if (saferl_rl__gridworld_map[row][column] != '#') e->cell = row * SAFERL_RL_GRID_COLUMNS + column;
        tile = saferl_rl__gridworld_map[e->cell / SAFERL_RL_GRID_COLUMNS][e->cell % SAFERL_RL_GRID_COLUMNS];
        *reward = tile == 'G' ? 49.0f : -1.0f; /* -1 for the move, +50 at the goal */
        *cost = tile == 'L' ? 1.0f : 0.0f;
        *terminated = tile == 'G';
        saferl_rl__one_hot(obs, SAFERL_RL_GRID_ROWS * SAFERL_RL_GRID_COLUMNS, e->cell);
        break;
    }
    case SAFERL_RL_ENV_PENDULUM:
        if (!saferl_rl__all_finite(action, 1)) return SAFERL_ERR_NOT_FINITE;
        saferl_rl__pendulum_integrate(e, 2.0 * saferl_rl__clampf(action[0], -1.0f, 1.0f));
        *reward = (float)(-e->x[0] * e->x[0]);
        *terminated = fabs(e->x[0]) > 1.5;
        *cost = *terminated ? 1.0f : 0.0f;
        saferl_rl__pendulum_obs(e, obs);
        break;
    case SAFERL_RL_ENV_PENDULUM_V1: r = saferl_rl__pendulum_v1_step(e, action, obs, reward, cost); break;
    case SAFERL_RL_ENV_RUNNER: r = saferl_rl__runner_step(e, rng, action, obs, reward, cost); break;
    case SAFERL_RL_ENV_CLIFF: {
        int row = e->cell / SAFERL_RL_CLIFF_COLUMNS, column = e->cell % SAFERL_RL_CLIFF_COLUMNS, a;
        if (!saferl_rl__valid_index(action, 4)) return SAFERL_ERR_INVALID_ARGUMENT;
        a = saferl_rl__slip_action(rng, (int)action[0], SAFERL_RL_CLIFF_SLIP);
        saferl_rl__grid_move(SAFERL_RL_CLIFF_ROWS, SAFERL_RL_CLIFF_COLUMNS, &row, &column, a);
        *reward = -1.0f;
        *cost = 0.0f;
        if (row == SAFERL_RL_CLIFF_ROWS - 1 && column > 0 && column < SAFERL_RL_CLIFF_COLUMNS - 1) {
            *cost = 1.0f; /* fell: back to the start */
            column = 0;
        }
        e->cell = row * SAFERL_RL_CLIFF_COLUMNS + column;
        *terminated = e->cell == SAFERL_RL_CLIFF_STATES - 1;
        saferl_rl__one_hot(obs, SAFERL_RL_CLIFF_STATES, e->cell);
        break;
    }
    default: return SAFERL_ERR_INVALID_ARGUMENT;
    }
    if (r != SAFERL_OK) return r;
    saferl_rl__count_step(e, *terminated, truncated);
    return SAFERL_OK;
}

/* CartPole's step_batch: every copy in one call, with builtin_step's arithmetic copy by copy,
   so batch and single-step rollouts train bit-identically (a test checks). */
static saferl_result saferl_rl__cartpole_step_batch(void *const *states, saferl_rng *rngs, int copies,
                                                    const float *actions, float *observations, float *rewards,
                                                    float *costs, int *terminated, int *truncated) {
    int i;
    (void)rngs; /* CartPole's step draws nothing */
    for (i = 0; i < copies; ++i) {
        saferl_rl_builtin *e = (saferl_rl_builtin *)states[i];
        saferl_result r;
        if (e->kind != SAFERL_RL_ENV_CARTPOLE) return SAFERL_ERR_INVALID_ARGUMENT;
        terminated[i] = 0;
        r = saferl_rl__cartpole_step(e, actions + i, observations + 4 * (size_t)i, rewards + i, costs + i,
                                     terminated + i);
        if (r != SAFERL_OK) return r;
        saferl_rl__count_step(e, terminated[i], truncated + i);
    }
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_env_builtin(saferl_rl_env *env, saferl_rl_builtin *state,
                                                  saferl_rl_env_kind kind) {
    static const int observation_dims[SAFERL_RL_ENV_KIND_COUNT] = {
        4, 3 + 2 * SAFERL_RL_LIDAR_BINS, SAFERL_RL_GRID_ROWS * SAFERL_RL_GRID_COLUMNS, 3, SAFERL_RL_CLIFF_STATES, 3, 3};
    static const int action_dims[SAFERL_RL_ENV_KIND_COUNT] = {1, 2, 1, 1, 1, 1, 1};
    static const int action_counts[SAFERL_RL_ENV_KIND_COUNT] = {2, 0, 4, 0, 4, 0, 0};
    static const int max_steps[SAFERL_RL_ENV_KIND_COUNT] = {500, 1000, 50, 200, 100, 200, 200};
    SAFERL_ASSERT(env != NULL && state != NULL);
    if ((int)kind < 0 || (int)kind >= SAFERL_RL_ENV_KIND_COUNT) return SAFERL_ERR_INVALID_ARGUMENT;
    memset(state, 0, sizeof *state);
    state->kind = kind;
    state->max_steps = max_steps[kind];
    saferl_rl_builtin_omega_box(kind, NULL, NULL, state->omega_next);
    state->omega[0] = state->omega_next[0];
    state->omega[1] = state->omega_next[1];
    env->observation_dim = observation_dims[kind];
    env->action_dim = action_dims[kind];
    env->action_count = action_counts[kind];
    env->state = state;
    env->reset = saferl_rl__builtin_reset;
    env->step = saferl_rl__builtin_step;
    env->cost_count = 1;
    env->step_batch = kind == SAFERL_RL_ENV_CARTPOLE ? saferl_rl__cartpole_step_batch : NULL;
    return SAFERL_OK;
}

static const char *const saferl_rl__env_names[SAFERL_RL_ENV_KIND_COUNT] = {"cartpole", "pointgoal", "gridworld",
                                                                         "pendulum", "cliff", "pendulum-v1", "runner"};

SAFERL_RL_API int saferl_rl_env_kind_from_name(const char *name) {
    int i;
    if (!name) return -1;
    for (i = 0; i < SAFERL_RL_ENV_KIND_COUNT; ++i)
        if (strcmp(name, saferl_rl__env_names[i]) == 0) return i;
    return -1;
}

SAFERL_RL_API const char *saferl_rl_env_kind_name(saferl_rl_env_kind kind) {
    if ((int)kind < 0 || (int)kind >= SAFERL_RL_ENV_KIND_COUNT) return "unknown";
    return saferl_rl__env_names[kind];
}

SAFERL_RL_API int saferl_rl_builtin_omega_box(saferl_rl_env_kind kind, double *lower, double *upper,
                                              double *nominal) {
    static const double cartpole[3][2] = {{0.05, 0.25}, {0.5, 1.0}, {0.1, 0.5}}; /* lower, upper, nominal */
    static const double pendulum[3][2] = {{0.5, 0.5}, {1.5, 1.5}, {1.0, 1.0}};
    const double(*box)[2];
    int i;
    if ((int)kind < 0 || (int)kind >= SAFERL_RL_ENV_KIND_COUNT) return -1;
    if (kind == SAFERL_RL_ENV_CARTPOLE) box = cartpole;
    else if (kind == SAFERL_RL_ENV_PENDULUM || kind == SAFERL_RL_ENV_PENDULUM_V1) box = pendulum;
    else box = NULL;
    for (i = 0; i < SAFERL_RL_MAX_OMEGA; ++i) {
        if (lower) lower[i] = box ? box[0][i] : 0.0;
        if (upper) upper[i] = box ? box[1][i] : 0.0;
        if (nominal) nominal[i] = box ? box[2][i] : 0.0;
    }
    return box ? 2 : 0;
}

SAFERL_RL_API saferl_result saferl_rl_builtin_set_omega(saferl_rl_builtin *state, const double *omega) {
    double lower[SAFERL_RL_MAX_OMEGA], upper[SAFERL_RL_MAX_OMEGA];
    int i, n;
    SAFERL_ASSERT(state != NULL && omega != NULL);
    n = saferl_rl_builtin_omega_box(state->kind, lower, upper, NULL);
    if (n <= 0) return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < n; ++i)
        if (!saferl_rl__finite(omega[i])) return SAFERL_ERR_NOT_FINITE;
    for (i = 0; i < n; ++i)
        if (omega[i] < lower[i] || omega[i] > upper[i]) return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < n; ++i) state->omega_next[i] = omega[i];
    return SAFERL_OK;
}

SAFERL_RL_API void saferl_rl_cliff_model(double *transition, double *reward, double *cost, int *start, int *goal) {
    const int S = SAFERL_RL_CLIFF_STATES, rows = SAFERL_RL_CLIFF_ROWS, columns = SAFERL_RL_CLIFF_COLUMNS;
    const int start_cell = (rows - 1) * columns, goal_cell = S - 1;
    int s, a, k;
    memset(transition, 0, sizeof(double) * (size_t)S * 4 * S);
    for (s = 0; s < S; ++s) {
        int row = s / columns, column = s % columns;
        int absorbing = s == goal_cell || (row == rows - 1 && column > 0 && column < columns - 1);
        for (a = 0; a < 4; ++a) {
            reward[s * 4 + a] = absorbing ? 0.0 : -1.0;
            cost[s * 4 + a] = 0.0;
            if (absorbing) continue;
            for (k = 0; k < 4; ++k) { /* the move actually taken */
                double p = (k == a ? 1.0 - SAFERL_RL_CLIFF_SLIP : 0.0) + SAFERL_RL_CLIFF_SLIP / 4.0;
                int r2 = row, c2 = column, next;
                saferl_rl__grid_move(rows, columns, &r2, &c2, k);
                if (r2 == rows - 1 && c2 > 0 && c2 < columns - 1) {
                    cost[s * 4 + a] += p;
                    next = start_cell;
                } else {
                    next = r2 * columns + c2;
                }
                transition[(size_t)(s * 4 + a) * S + next] += p;
            }
        }
    }
    *start = start_cell;
    *goal = goal_cell;
}

/* ---- layers ------------------------------------------------------------------------------- */

#if defined(SAFERL_USE_BLIS)
#define SAFERL_RL__BLIS_MIN_BATCH 16
#endif

/* The linear layers' products run through one register-blocked kernel (the idea of llm.c's
   matmul_forward). Every output element is still a single running sum in the textbook loop's
   order: the forward starts from the bias and adds the inputs in ascending order; the
   gradients start from the value already there and add the batch rows (dweight) or the output
   units (dinp) in ascending order. So the results are bit-for-bit those of the plain loops and
   no -ffast-math is needed. The speed comes from advancing a tile of such sums at once: they
   are independent, so they stay in registers and the column loop becomes SIMD multiplies and
   adds over contiguous memory, instead of waiting on one scalar add chain at a time. With AVX
   the tile is 6 rows x 16 columns (12 of the 16 registers of 32 bytes: six broadcasts and two
   loads feed 24 multiplies and adds); where vectors are 16 bytes (SSE, wasm simd128) it is
   4 x 8 (8 registers, which leaves room for the loads and broadcasts with SSE's two-operand
   instructions and V8's register allocator: measured 15% faster than 4 x 16 in WebAssembly
   and as fast with SSE). */
#define SAFERL_RL__TILE_COLS 16 /* the widest tile; packed weight panels are this wide */
#define SAFERL_RL__MAX_TILE_ROWS 6
#define SAFERL_RL__FEW_ROWS 4 /* below this many rows a layer's product takes a 1- or 4-row tile */
#if defined(__AVX__)
#  define SAFERL_RL__TILE_ROWS 6
#  define SAFERL_RL__TILE_WIDTH 16
#else
#  define SAFERL_RL__TILE_ROWS 4
#  define SAFERL_RL__TILE_WIDTH 8
#endif
#define SAFERL_RL__PANEL_K 64 /* inputs in one packed weight panel: a 4 KiB stack buffer */

/* One tile: y[i][n0 .. n0 + 2 h - 1] = y0[i][n0 ..] + sum over k of a[i][k * a_k] V[k][n0 ..]
   for i < tile_rows (4 or 6, a constant once inlined), k ascending, h floats a vector (y0 is y
   to accumulate, or a bias row for every i); the first `rows` rows are stored, the others
   repeat the last real row. With GCC or clang each row's sums are two named vectors (the
   compilers' generic vectors), one register each: as an array the compiler keeps them in
   memory and every add waits on a store (GCC with AVX; clang for WebAssembly even at 16
   bytes). The tile is written once, in this macro, and
   stamped out for both vector widths (C has no other way to make one body generic over a
   type). Other compilers get the same arithmetic on arrays, in the same order. */
#if defined(__GNUC__) || defined(__clang__)
typedef float saferl_rl__v4 __attribute__((vector_size(4 * sizeof(float))));
typedef float saferl_rl__v8 __attribute__((vector_size(8 * sizeof(float))));
/* c = the lanes i, j, k, l of a and b side by side (0-3 a's, 4-7 b's): clang's builtin, also
   GCC's from version 12 (older GCC packs the weights with scalar copies) */
#  if defined(__clang__) || __GNUC__ >= 12
#    define SAFERL_RL__SHUFFLE4(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#  endif
#define SAFERL_RL__MATMUL_TILE(name, vector)                                                                       \
    SAFERL_RL__BODY void name(float *const *y, const float *const *y0, int rows, int n0, const float *const *a,   \
                              int a_k, const float *V, int ldv, int K, const int tile_rows) {                      \
        const int h = (int)(sizeof(vector) / sizeof(float));                                                       \
        vector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, v0, v1;                                 \
        int k;                                                                                                     \
        memcpy(&c00, y0[0] + n0, sizeof c00);                                                                       \
        memcpy(&c01, y0[0] + n0 + h, sizeof c01);                                                                   \
        c10 = c11 = c20 = c21 = c30 = c31 = c00;                                                                   \
        if (tile_rows > 1) {                                                                                       \
            memcpy(&c10, y0[1] + n0, sizeof c10);                                                                   \
            memcpy(&c11, y0[1] + n0 + h, sizeof c11);                                                               \
            memcpy(&c20, y0[2] + n0, sizeof c20);                                                                   \
            memcpy(&c21, y0[2] + n0 + h, sizeof c21);                                                               \
            memcpy(&c30, y0[3] + n0, sizeof c30);                                                                   \
            memcpy(&c31, y0[3] + n0 + h, sizeof c31);                                                               \
        }                                                                                                          \
        c40 = c41 = c50 = c51 = c30;                                                                               \
        if (tile_rows == 6) {                                                                                      \
            memcpy(&c40, y0[4] + n0, sizeof c40);                                                                   \
            memcpy(&c41, y0[4] + n0 + h, sizeof c41);                                                               \
            memcpy(&c50, y0[5] + n0, sizeof c50);                                                                   \
            memcpy(&c51, y0[5] + n0 + h, sizeof c51);                                                               \
        }                                                                                                          \
        for (k = 0; k < K; ++k) {                                                                                  \
            const float *v = V + (size_t)k * ldv + n0;                                                             \
            const size_t at = (size_t)k * a_k;                                                                     \
            memcpy(&v0, v, sizeof v0);                                                                             \
            memcpy(&v1, v + h, sizeof v1);                                                                         \
            c00 += a[0][at] * v0;                                                                                  \
            c01 += a[0][at] * v1;                                                                                  \
            if (tile_rows > 1) {                                                                                   \
                c10 += a[1][at] * v0;                                                                              \
                c11 += a[1][at] * v1;                                                                              \
                c20 += a[2][at] * v0;                                                                              \
                c21 += a[2][at] * v1;                                                                              \
                c30 += a[3][at] * v0;                                                                              \
                c31 += a[3][at] * v1;                                                                              \
            }                                                                                                      \
            if (tile_rows == 6) {                                                                                  \
                c40 += a[4][at] * v0;                                                                              \
                c41 += a[4][at] * v1;                                                                              \
                c50 += a[5][at] * v0;                                                                              \
                c51 += a[5][at] * v1;                                                                              \
            }                                                                                                      \
        }                                                                                                          \
        memcpy(y[0] + n0, &c00, sizeof c00);                                                                       \
        memcpy(y[0] + n0 + h, &c01, sizeof c01);                                                                   \
        if (rows > 1) memcpy(y[1] + n0, &c10, sizeof c10), memcpy(y[1] + n0 + h, &c11, sizeof c11);               \
        if (rows > 2) memcpy(y[2] + n0, &c20, sizeof c20), memcpy(y[2] + n0 + h, &c21, sizeof c21);               \
        if (rows > 3) memcpy(y[3] + n0, &c30, sizeof c30), memcpy(y[3] + n0 + h, &c31, sizeof c31);               \
        if (tile_rows == 6 && rows > 4) memcpy(y[4] + n0, &c40, sizeof c40), memcpy(y[4] + n0 + h, &c41, sizeof c41); \
        if (tile_rows == 6 && rows > 5) memcpy(y[5] + n0, &c50, sizeof c50), memcpy(y[5] + n0 + h, &c51, sizeof c51); \
    }
SAFERL_RL__MATMUL_TILE(saferl_rl__matmul_tile8, saferl_rl__v4)
SAFERL_RL__MATMUL_TILE(saferl_rl__matmul_tile16, saferl_rl__v8)
#endif

/* Y (R,N; row stride ldy) = Y0 + A (R,K) V (K,N; row stride ldv), A's element (r,k) at
   A[r * a_row + k * a_k], Y0's row r at Y0 + r * ldy0 (Y0 = Y accumulates; ldy0 = 0 starts
   every row from one row, a bias); for each element of Y, k ascending. tile_rows x tile_cols
   is 6 x 16 or 4 x 8, and for a few rows 4 or 1 x tile_cols (constants once inlined). */
SAFERL_RL__BODY void saferl_rl__matmul_tiles(float *Y, int ldy, const float *Y0, int ldy0, const float *A, int a_row,
                                            int a_k, const float *V, int ldv, int R, int K, int N,
                                            const int tile_rows, const int tile_cols) {
    const int full_cols = N - N % tile_cols;
    int r0, n0, n, k, i;
    for (r0 = 0; r0 < R; r0 += tile_rows) {
        const int rows = R - r0 < tile_rows ? R - r0 : tile_rows;
        const float *a[SAFERL_RL__MAX_TILE_ROWS], *y0[SAFERL_RL__MAX_TILE_ROWS];
        float *y[SAFERL_RL__MAX_TILE_ROWS];
        /* a tile past the last row repeats it: those sums are computed and dropped, which keeps
           the tile's loops fixed in size (so unrolled and vectorised) */
        for (i = 0; i < tile_rows; ++i) {
            a[i] = A + (size_t)(r0 + (i < rows ? i : rows - 1)) * a_row;
            y[i] = Y + (size_t)(r0 + (i < rows ? i : rows - 1)) * ldy;
            y0[i] = Y0 + (size_t)(r0 + (i < rows ? i : rows - 1)) * ldy0;
        }
        for (n0 = 0; n0 < full_cols; n0 += tile_cols) {
#if defined(__GNUC__) || defined(__clang__)
            if (tile_cols == 16) saferl_rl__matmul_tile16(y, y0, rows, n0, a, a_k, V, ldv, K, tile_rows);
            else saferl_rl__matmul_tile8(y, y0, rows, n0, a, a_k, V, ldv, K, tile_rows);
#else
            float acc[SAFERL_RL__MAX_TILE_ROWS][SAFERL_RL__TILE_COLS];
            int j;
            for (i = 0; i < tile_rows; ++i)
                for (j = 0; j < tile_cols; ++j) acc[i][j] = y0[i][n0 + j];
            for (k = 0; k < K; ++k) {
                const float *v = V + (size_t)k * ldv + n0;
                for (i = 0; i < tile_rows; ++i) {
                    const float s = a[i][(size_t)k * a_k];
                    for (j = 0; j < tile_cols; ++j) acc[i][j] += s * v[j];
                }
            }
            for (i = 0; i < rows; ++i)
                for (j = 0; j < tile_cols; ++j) y[i][n0 + j] = acc[i][j];
#endif
        }
        /* the last N % tile_cols columns one at a time, the tile's rows still advancing together */
        for (n = full_cols; n < N; ++n) {
            float acc[SAFERL_RL__MAX_TILE_ROWS];
            for (i = 0; i < tile_rows; ++i) acc[i] = y0[i][n];
            for (k = 0; k < K; ++k) {
                const float v = V[(size_t)k * ldv + n];
                for (i = 0; i < tile_rows; ++i) acc[i] += a[i][(size_t)k * a_k] * v;
            }
            for (i = 0; i < rows; ++i) y[i][n] = acc[i];
        }
    }
}

/* panel (cols,rows; row stride ldp) = w (rows,cols; row stride ldw) transposed: the weights of
   `rows` output units laid out with the units contiguous, as the tile wants them. Blocks of 4 x 4
   go through registers (four loads, eight shuffles, four stores: a quarter of the scalar copy's
   time, which was a fifth of a batch-64 layer's); the edges are copied one by one. */
SAFERL_RL__BODY void saferl_rl__pack_panel(float *panel, int ldp, const float *w, int ldw, int rows, int cols) {
    int j = 0, k;
#if defined(SAFERL_RL__SHUFFLE4)
    for (; j + 4 <= rows; j += 4)
        for (k = 0; k + 4 <= cols; k += 4) {
            saferl_rl__v4 r0, r1, r2, r3, t0, t1, t2, t3;
            const float *src = w + (size_t)j * ldw + k;
            float *dst = panel + (size_t)k * ldp + j;
            memcpy(&r0, src, sizeof r0);
            memcpy(&r1, src + ldw, sizeof r1);
            memcpy(&r2, src + 2 * (size_t)ldw, sizeof r2);
            memcpy(&r3, src + 3 * (size_t)ldw, sizeof r3);
            t0 = SAFERL_RL__SHUFFLE4(r0, r1, 0, 4, 1, 5);
            t1 = SAFERL_RL__SHUFFLE4(r2, r3, 0, 4, 1, 5);
            t2 = SAFERL_RL__SHUFFLE4(r0, r1, 2, 6, 3, 7);
            t3 = SAFERL_RL__SHUFFLE4(r2, r3, 2, 6, 3, 7);
            r0 = SAFERL_RL__SHUFFLE4(t0, t1, 0, 1, 4, 5);
            r1 = SAFERL_RL__SHUFFLE4(t0, t1, 2, 3, 6, 7);
            r2 = SAFERL_RL__SHUFFLE4(t2, t3, 0, 1, 4, 5);
            r3 = SAFERL_RL__SHUFFLE4(t2, t3, 2, 3, 6, 7);
            memcpy(dst, &r0, sizeof r0);
            memcpy(dst + ldp, &r1, sizeof r1);
            memcpy(dst + 2 * (size_t)ldp, &r2, sizeof r2);
            memcpy(dst + 3 * (size_t)ldp, &r3, sizeof r3);
        }
    for (k = cols - cols % 4; j > 0 && k < cols; ++k) { /* the last columns of the blocked rows */
        int i;
        for (i = 0; i < j; ++i) panel[(size_t)k * ldp + i] = w[(size_t)i * ldw + k];
    }
#endif
    for (; j < rows; ++j) /* the rows past the last block, row by row (contiguous reads) */
        for (k = 0; k < cols; ++k) panel[(size_t)k * ldp + j] = w[(size_t)j * ldw + k];
}

/* Y (R,N) += A (R,K) V (K,N) for N below a tile's width (a layer's 1 or 2 outputs, a first
   layer's 3 or 4 inputs in a gradient), where the tile's vectors would be mostly empty: the tile
   runs along Y's rows instead, Y^T (N,R) += V^T (N,K) A^T (K,R), tile_cols rows of Y at a time
   through a transposed buffer. V^T's element (n,k) is at Vt[n * vt_row + k * vt_k]. A^T's rows
   are read in place when a_row is 1 (a weight gradient's dout^T) and packed otherwise (a_k is
   then 1). Each sum still starts from Y and runs over k in order, and a product's two factors
   commute exactly, so the bits are matmul_tiles'. The sums start from Y0 as there. Does the
   first R - R % tile_cols rows and returns how many. */
SAFERL_RL__BODY int saferl_rl__matmul_narrow(float *Y, int ldy, const float *Y0, int ldy0, const float *A, int a_row,
                                            int a_k, const float *Vt, int vt_row, int vt_k, int R, int K, int N,
                                            const int tile_rows, const int tile_cols) {
    enum { PK = SAFERL_RL__PANEL_K };
    float sums[SAFERL_RL__TILE_COLS * SAFERL_RL__TILE_COLS], panel[SAFERL_RL__PANEL_K * SAFERL_RL__TILE_COLS];
    const int rows = R - R % tile_cols;
    int r0, k0, n, i;
    for (r0 = 0; r0 < rows; r0 += tile_cols) {
        for (n = 0; n < N; ++n)
            for (i = 0; i < tile_cols; ++i) sums[n * tile_cols + i] = Y0[(size_t)(r0 + i) * ldy0 + n];
        for (k0 = 0; k0 < K; k0 += PK) {
            const int kn = K - k0 < PK ? K - k0 : PK;
            const float *at = A + (size_t)r0 * a_row + (size_t)k0 * a_k; /* A^T (kn, tile_cols) */
            int ld_at = a_k;
            if (a_row != 1) {
                saferl_rl__pack_panel(panel, tile_cols, at, a_row, tile_cols, kn);
                at = panel;
                ld_at = tile_cols;
            }
            saferl_rl__matmul_tiles(sums, tile_cols, sums, tile_cols, Vt + (size_t)k0 * vt_k, vt_row, vt_k, at,
                                    ld_at, N, kn, tile_cols, tile_rows, tile_cols);
        }
        for (n = 0; n < N; ++n)
            for (i = 0; i < tile_cols; ++i) Y[(size_t)(r0 + i) * ldy + n] = sums[n * tile_cols + i];
    }
    return rows;
}

/* Y (R,N) += A (R,K) V (K,N) as matmul_tiles; narrow ones through matmul_narrow (same bits) */
SAFERL_RL__BODY void saferl_rl__matmul_acc_body(float *Y, int ldy, const float *A, int a_row, int a_k,
                                               const float *V, int ldv, int R, int K, int N, const int tile_rows,
                                               const int tile_cols) {
    if (N < tile_cols && R >= tile_cols && (a_row == 1 || a_k == 1)) {
        const int rows =
            saferl_rl__matmul_narrow(Y, ldy, Y, ldy, A, a_row, a_k, V, 1, ldv, R, K, N, tile_rows, tile_cols);
        Y += (size_t)rows * ldy;
        A += (size_t)rows * a_row;
        R -= rows;
    }
    /* as a layer's product of a few rows (linear_accumulate_body) */
    if (R == 1) saferl_rl__matmul_tiles(Y, ldy, Y, ldy, A, a_row, a_k, V, ldv, R, K, N, 1, tile_cols);
    else if (R < SAFERL_RL__FEW_ROWS)
        saferl_rl__matmul_tiles(Y, ldy, Y, ldy, A, a_row, a_k, V, ldv, R, K, N, 4, tile_cols);
    else saferl_rl__matmul_tiles(Y, ldy, Y, ldy, A, a_row, a_k, V, ldv, R, K, N, tile_rows, tile_cols);
}

#if defined(SAFERL_RL__DISPATCH)
static void saferl_rl__matmul_acc_portable(float *Y, int ldy, const float *A, int a_row, int a_k, const float *V,
                                           int ldv, int R, int K, int N) {
    saferl_rl__matmul_acc_body(Y, ldy, A, a_row, a_k, V, ldv, R, K, N, 4, 8);
}
SAFERL_RL__TARGET_AVX2 static void saferl_rl__matmul_acc_avx2(float *Y, int ldy, const float *A, int a_row, int a_k,
                                                              const float *V, int ldv, int R, int K, int N) {
    saferl_rl__matmul_acc_body(Y, ldy, A, a_row, a_k, V, ldv, R, K, N, 6, 16);
}
static void saferl_rl__matmul_acc(float *Y, int ldy, const float *A, int a_row, int a_k, const float *V, int ldv,
                                  int R, int K, int N) {
    if (saferl_rl__have_avx2()) saferl_rl__matmul_acc_avx2(Y, ldy, A, a_row, a_k, V, ldv, R, K, N);
    else saferl_rl__matmul_acc_portable(Y, ldy, A, a_row, a_k, V, ldv, R, K, N);
}
#else
static void saferl_rl__matmul_acc(float *Y, int ldy, const float *A, int a_row, int a_k, const float *V, int ldv,
                                  int R, int K, int N) {
    saferl_rl__matmul_acc_body(Y, ldy, A, a_row, a_k, V, ldv, R, K, N, SAFERL_RL__TILE_ROWS,
                               SAFERL_RL__TILE_WIDTH);
}
#endif

/* out (B,OC) = start + inp (B,C) weight^T, weight (OC,C), start's row b at start + b * ld_start:
   the weights packed a few output units at a time, transposed (the units contiguous, as the
   tile wants them), into a panel on the stack */
SAFERL_RL__BODY void saferl_rl__linear_panels(float *out, const float *start, int ld_start, const float *inp,
                                              const float *weight, int B, int C, int OC, const int tile_rows,
                                              const int tile_cols) {
    enum { PK = SAFERL_RL__PANEL_K, PN = SAFERL_RL__TILE_COLS };
    float panel[SAFERL_RL__PANEL_K * SAFERL_RL__TILE_COLS];
    int o0, c0;
    for (o0 = 0; o0 < OC; o0 += PN) {
        const int on = OC - o0 < PN ? OC - o0 : PN;
        for (c0 = 0; c0 < C; c0 += PK) {
            const int cn = C - c0 < PK ? C - c0 : PK;
            saferl_rl__pack_panel(panel, PN, weight + (size_t)o0 * C + c0, C, on, cn);
            if (c0 == 0) /* the first inputs: sums from start */
                saferl_rl__matmul_tiles(out + o0, OC, start + o0, ld_start, inp, C, 1, panel, PN, B, cn, on,
                                        tile_rows, tile_cols);
            else /* the next: on from there */
                saferl_rl__matmul_tiles(out + o0, OC, out + o0, OC, inp + c0, C, 1, panel, PN, B, cn, on,
                                        tile_rows, tile_cols);
        }
    }
}

/* out (B,OC) = bias + inp (B,C) weight^T, weight (OC,C): the product of a linear layer, started
   from its bias (OC) in every row, or with bias NULL added to what out holds (another product).
   Each output's sum starts there and runs over the inputs in order. Starting the sums from
   the bias, not from a copy of it in out, saves a pass over the outputs. */
SAFERL_RL__BODY void saferl_rl__linear_accumulate_body(float *out, const float *bias, const float *inp,
                                                      const float *weight, int B, int C, int OC, const int tile_rows,
                                                      const int tile_cols) {
    const float *start = bias ? bias : out; /* the sums' first values: row b at start + b * ld_start */
    const int ld_start = bias ? 0 : OC;
#if defined(SAFERL_USE_BLIS)
    if (B >= SAFERL_RL__BLIS_MIN_BATCH) {
        float one = 1.0f;
        int b;
        for (b = 0; bias && b < B; ++b) memcpy(out + (size_t)b * OC, bias, sizeof(float) * (size_t)OC);
        bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, B, OC, C, &one, (float *)inp, C, 1, (float *)weight, C, 1, &one,
                  out, OC, 1);
        return;
    }
#endif
    if (OC < tile_cols && B >= tile_cols) {
        /* fewer outputs than a tile's width (a policy's head, a value): out += inp weight^T with
           weight^T's transpose, the weight itself, as matmul_narrow's V^T (same bits); the last
           B % tile_cols rows take the paths below */
        const int rows = saferl_rl__matmul_narrow(out, OC, start, ld_start, inp, C, 1, weight, C, 1, B, C, OC,
                                                  tile_rows, tile_cols);
        start += (size_t)rows * ld_start;
        out += (size_t)rows * OC;
        inp += (size_t)rows * C;
        B -= rows;
    }
    /* A few rows fill no tile: one row takes a 1-row tile, two or three the 4-row tile, the rows
       past B repeating the last one (their sums are dropped; with vectors the sums' add chains
       set the pace, so they cost little, but without them, as in WebAssembly without SIMD, one
       row in a 4-row tile took twice its time). Reading the weight rows in place instead (a
       strided gather of PN weights an input) took 1.25-1.7x the tile's time with vectors, and
       clang kept those sums on the stack (2.4x GCC's time). */
    if (B == 1) saferl_rl__linear_panels(out, start, ld_start, inp, weight, B, C, OC, 1, tile_cols);
    else if (B < SAFERL_RL__FEW_ROWS)
        saferl_rl__linear_panels(out, start, ld_start, inp, weight, B, C, OC, 4, tile_cols);
    else saferl_rl__linear_panels(out, start, ld_start, inp, weight, B, C, OC, tile_rows, tile_cols);
}

#if defined(SAFERL_RL__DISPATCH)
static void saferl_rl__linear_accumulate_portable(float *out, const float *bias, const float *inp,
                                                  const float *weight, int B, int C, int OC) {
    saferl_rl__linear_accumulate_body(out, bias, inp, weight, B, C, OC, 4, 8);
}
SAFERL_RL__TARGET_AVX2 static void saferl_rl__linear_accumulate_avx2(float *out, const float *bias, const float *inp,
                                                                     const float *weight, int B, int C, int OC) {
    saferl_rl__linear_accumulate_body(out, bias, inp, weight, B, C, OC, 6, 16);
}
static void saferl_rl__linear_accumulate(float *out, const float *bias, const float *inp, const float *weight, int B,
                                         int C, int OC) {
    if (saferl_rl__have_avx2()) saferl_rl__linear_accumulate_avx2(out, bias, inp, weight, B, C, OC);
    else saferl_rl__linear_accumulate_portable(out, bias, inp, weight, B, C, OC);
}
#else
static void saferl_rl__linear_accumulate(float *out, const float *bias, const float *inp, const float *weight, int B,
                                         int C, int OC) {
    saferl_rl__linear_accumulate_body(out, bias, inp, weight, B, C, OC, SAFERL_RL__TILE_ROWS, SAFERL_RL__TILE_WIDTH);
}
#endif

SAFERL_RL_API void saferl_rl_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                                            int B, int C, int OC) {
    /* inp is (B,C), weight is (OC,C), bias is (OC) or NULL, out is (B,OC) */
    if (!bias) memset(out, 0, sizeof(float) * (size_t)B * OC);
    saferl_rl__linear_accumulate(out, bias, inp, weight, B, C, OC);
}

/* out (OC) += x (C) weight_t (C,OC): one row through a layer whose weight is stored
   transposed (a loaded policy's packed copy). Each output's sum starts from out and runs over
   the inputs in order, the textbook loop's bits; the output units are contiguous, so four
   vectors of sums advance together in registers while x[k] is broadcast (batch-1 acting:
   the (OC,C) weight would need strided loads, one scalar sum at a time). */
#if defined(__GNUC__) || defined(__clang__)
#define SAFERL_RL__ROW_KERNEL(name, vector)                                                                        \
    SAFERL_RL__BODY void name(float *out, const float *x, const float *weight_t, int C, int OC) {                   \
        const int h = (int)(sizeof(vector) / sizeof(float));                                                       \
        vector c0, c1, c2, c3, w;                                                                                  \
        int o0, k;                                                                                                 \
        for (o0 = 0; o0 + 4 * h <= OC; o0 += 4 * h) {                                                              \
            memcpy(&c0, out + o0, sizeof c0);                                                                      \
            memcpy(&c1, out + o0 + h, sizeof c1);                                                                  \
            memcpy(&c2, out + o0 + 2 * h, sizeof c2);                                                              \
            memcpy(&c3, out + o0 + 3 * h, sizeof c3);                                                              \
            for (k = 0; k < C; ++k) {                                                                              \
                const float *v = weight_t + (size_t)k * OC + o0;                                                   \
                const float s = x[k];                                                                              \
                memcpy(&w, v, sizeof w);                                                                           \
                c0 += s * w;                                                                                       \
                memcpy(&w, v + h, sizeof w);                                                                       \
                c1 += s * w;                                                                                       \
                memcpy(&w, v + 2 * h, sizeof w);                                                                   \
                c2 += s * w;                                                                                       \
                memcpy(&w, v + 3 * h, sizeof w);                                                                   \
                c3 += s * w;                                                                                       \
            }                                                                                                      \
            memcpy(out + o0, &c0, sizeof c0);                                                                      \
            memcpy(out + o0 + h, &c1, sizeof c1);                                                                  \
            memcpy(out + o0 + 2 * h, &c2, sizeof c2);                                                              \
            memcpy(out + o0 + 3 * h, &c3, sizeof c3);                                                              \
        }                                                                                                          \
        for (; o0 < OC; ++o0) { /* the last units one at a time */                                                \
            float acc = out[o0];                                                                                   \
            for (k = 0; k < C; ++k) acc += x[k] * weight_t[(size_t)k * OC + o0];                                   \
            out[o0] = acc;                                                                                         \
        }                                                                                                          \
    }
SAFERL_RL__ROW_KERNEL(saferl_rl__row_product_v4, saferl_rl__v4)
SAFERL_RL__ROW_KERNEL(saferl_rl__row_product_v8, saferl_rl__v8)
#if defined(SAFERL_RL__DISPATCH)
SAFERL_RL__TARGET_AVX2 static void saferl_rl__row_product_avx2(float *out, const float *x, const float *weight_t, int C,
                                                               int OC) {
    saferl_rl__row_product_v8(out, x, weight_t, C, OC);
}
static void saferl_rl__row_product(float *out, const float *x, const float *weight_t, int C, int OC) {
    if (saferl_rl__have_avx2()) saferl_rl__row_product_avx2(out, x, weight_t, C, OC);
    else saferl_rl__row_product_v4(out, x, weight_t, C, OC);
}
#else
static void saferl_rl__row_product(float *out, const float *x, const float *weight_t, int C, int OC) {
    if (SAFERL_RL__TILE_WIDTH == 16) saferl_rl__row_product_v8(out, x, weight_t, C, OC);
    else saferl_rl__row_product_v4(out, x, weight_t, C, OC);
}
#endif
#else
static void saferl_rl__row_product(float *out, const float *x, const float *weight_t, int C, int OC) {
    int k, o;
    for (k = 0; k < C; ++k)
        for (o = 0; o < OC; ++o) out[o] += x[k] * weight_t[(size_t)k * OC + o];
}
#endif

SAFERL_RL_API void saferl_rl_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                             const float *inp, const float *weight, int B, int C, int OC) {
    /* dout is (B,OC), inp is (B,C), weight is (OC,C); accumulates dinp (B,C) or NULL,
       dweight (OC,C) or NULL, dbias (OC) or NULL */
    int b, o;
    if (dbias)
        for (b = 0; b < B; ++b)
            for (o = 0; o < OC; ++o) dbias[o] += dout[(size_t)b * OC + o];
#if defined(SAFERL_USE_BLIS)
    if (B >= SAFERL_RL__BLIS_MIN_BATCH) {
        float one = 1.0f;
        if (dinp)
            bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, B, C, OC, &one, (float *)dout, OC, 1, (float *)weight,
                      C, 1, &one, dinp, C, 1);
        if (dweight)
            bli_sgemm(BLIS_TRANSPOSE, BLIS_NO_TRANSPOSE, OC, C, B, &one, (float *)dout, OC, 1, (float *)inp, C, 1,
                      &one, dweight, C, 1);
        return;
    }
#endif
    /* dinp (B,C) += dout (B,OC) weight (OC,C); dweight (OC,C) += dout^T (OC,B) inp (B,C) */
    if (dinp) saferl_rl__matmul_acc(dinp, C, dout, OC, 1, weight, C, B, OC, C);
    if (dweight) saferl_rl__matmul_acc(dweight, C, dout, 1, OC, inp, C, OC, B, C);
}

/* The default tanh, in double: tanh|x| = -e / (e + 2) with e = expm1(-2|x|) = 2^n (1 + p(r)) - 1,
   n = round(-2|x| / ln 2) by the 1.5 * 2^52 shifter (no float-to-int conversion), |r| <= ln 2 / 2
   and p the degree-8 Taylor polynomial of expm1 (truncation < 3e-10 relative) in Estrin's form
   (short dependency chains). libm's tanhf is a scalar call and took three quarters of a forward
   pass; this form vectorises. Checked against double tanh on every float: at most one ulp off,
   correctly rounded for all but about 1e-5 of them. The selects are bit masks because gcc will
   not if-convert floating-point code under its default -ftrapping-math. |x| is clamped at 10,
   beyond which tanh rounds to 1; NaN passes through; the sign is copied from x, so
   tanh(-0) = -0.
   It runs in three passes over chunks of SAFERL_RL__TANH_CHUNK values (range reduction;
   polynomial; division and sign): one element's whole chain is some 80 cycles of latency, more
   than the out-of-order window can overlap across loop iterations, and each pass's chain is a
   third of it (1.5x faster with AVX2). Every value goes through the same operations in the
   same order as in one pass, so the bits do not depend on the chunking. The last pass reads
   x's bits from the chunk's own copy, not from inp: the caller's out is often inp, and clang
   then took the scalar fallback of its vectorised loop (a runtime overlap check), 1.8x
   GCC's time for a policy's forward pass. */
#define SAFERL_RL__TANH_CHUNK 32

/* r (the reduced argument) and scale (2^n) of e = expm1(-2 min(|x|, 10)) for inp (n), and
   x_bits, inp's bits */
SAFERL_RL__BODY void saferl_rl__tanh_reduce(double *r, double *scale, uint32_t *x_bits, const float *inp, int n) {
    int i;
    for (i = 0; i < n; ++i) {
        uint32_t abs_bits, clamp_mask;
        int64_t shifted_bits, scale_bits;
        float abs_x;
        double y, shifted, k;
        memcpy(&x_bits[i], &inp[i], 4);
        abs_bits = x_bits[i] & 0x7fffffffu;
        clamp_mask = (uint32_t)0 - (uint32_t)(abs_bits > 0x41200000u); /* |x| > 10 */
        abs_bits = (abs_bits & ~clamp_mask) | (0x41200000u & clamp_mask);
        memcpy(&abs_x, &abs_bits, 4);
        y = -2.0 * (double)abs_x;
        shifted = y * 1.4426950408889634 + 6755399441055744.0;
        k = shifted - 6755399441055744.0;
        r[i] = y - k * 0.6931471805599453;
        memcpy(&shifted_bits, &shifted, 8);
        scale_bits = (shifted_bits - INT64_C(0x4338000000000000) + 1023) * ((int64_t)1 << 52); /* 2^k */
        memcpy(&scale[i], &scale_bits, 8);
    }
}

/* e = scale (1 + p(r)) - 1, in place over r (n) */
SAFERL_RL__BODY void saferl_rl__tanh_expm1(double *r, const double *scale, int n) {
    int i;
    for (i = 0; i < n; ++i) {
        const double x = r[i], x2 = x * x, x4 = x2 * x2;
        const double p = x * (((1.0 + x * (1.0 / 2)) + (1.0 / 6 + x * (1.0 / 24)) * x2) +
                              ((1.0 / 120 + x * (1.0 / 720)) + (1.0 / 5040 + x * (1.0 / 40320)) * x2) * x4);
        r[i] = scale[i] * p + (scale[i] - 1.0);
    }
}

/* out (n) = -e / (e + 2) rounded to float, with x's sign (x_bits: its bits); NaN x pass
   through */
SAFERL_RL__BODY void saferl_rl__tanh_finish(float *out, const uint32_t *x_bits, const double *e, int n) {
    int i;
    for (i = 0; i < n; ++i) {
        uint32_t t_bits, nan_mask;
        const float t = (float)(-e[i] / (e[i] + 2.0));
        memcpy(&t_bits, &t, 4);
        t_bits = (t_bits & 0x7fffffffu) | (x_bits[i] & 0x80000000u);
        nan_mask = (uint32_t)0 - (uint32_t)((x_bits[i] & 0x7fffffffu) > 0x7f800000u);
        t_bits = (x_bits[i] & nan_mask) | (t_bits & ~nan_mask);
        memcpy(&out[i], &t_bits, 4);
    }
}

SAFERL_RL__BODY void saferl_rl__tanh_body(float *out, const float *inp, int N) {
    /* inp and out are (N); out may be inp */
    double r[SAFERL_RL__TANH_CHUNK], scale[SAFERL_RL__TANH_CHUNK];
    uint32_t x_bits[SAFERL_RL__TANH_CHUNK]; /* inp's bits (out may be inp) */
    int i0;
    for (i0 = 0; i0 < N; i0 += SAFERL_RL__TANH_CHUNK) {
        const int n = N - i0 < SAFERL_RL__TANH_CHUNK ? N - i0 : SAFERL_RL__TANH_CHUNK;
        saferl_rl__tanh_reduce(r, scale, x_bits, inp + i0, n);
        saferl_rl__tanh_expm1(r, scale, n);
        saferl_rl__tanh_finish(out + i0, x_bits, r, n);
    }
}

SAFERL_RL__BODY void saferl_rl__tanh_float_body(float *out, const float *inp, int N) {
    /* inp and out are (N). SAFERL_RL_FAST_TANH's tanh: the same formula as tanh_body in float,
       so twice the lanes a vector and a float division: tanh|x| = -e / (e + 2), e = expm1(-2|x|)
       = 2^n (1 + p(r)) - 1, n = round(-2|x| / ln 2) by the 1.5 * 2^23 shifter, r by a two-part
       ln 2 (Cody and Waite), p the degree-7 Taylor polynomial of expm1 (truncation below 2e-8
       relative for |r| <= ln 2 / 2) in Estrin's form. No FMA, so the bits are the same on
       every CPU and in WebAssembly. Against libm's double tanh rounded to float: at most 3 ulp
       and 94% correctly rounded over every float in [0, 10] (an exhaustive run; above 10 both
       round to 1, and negative x mirror positive ones); tests/test_rl.c checks a sweep. |x| is
       clamped at 10; NaN passes through; the sign is copied from x. */
    int i;
    for (i = 0; i < N; ++i) {
        uint32_t x_bits, abs_bits, clamp_mask, t_bits, nan_mask, shifted_bits, scale_bits;
        float abs_x, y, shifted, n, r, r2, r4, p, scale, e, t;
        memcpy(&x_bits, &inp[i], 4);
        abs_bits = x_bits & 0x7fffffffu;
        clamp_mask = (uint32_t)0 - (uint32_t)(abs_bits > 0x41200000u); /* |x| > 10 */
        abs_bits = (abs_bits & ~clamp_mask) | (0x41200000u & clamp_mask);
        memcpy(&abs_x, &abs_bits, 4);
        y = -2.0f * abs_x;
        shifted = y * 1.44269504f + 12582912.0f;
        n = shifted - 12582912.0f;
        r = (y - n * 0.693145752f) - n * 1.42860677e-6f; /* ln 2 = 0.693145752 + 1.42860677e-6 */
        memcpy(&shifted_bits, &shifted, 4);
        scale_bits = (shifted_bits - 0x4b400000u + 127u) << 23; /* 2^n, n in [-29, 0] */
        memcpy(&scale, &scale_bits, 4);
        r2 = r * r;
        r4 = r2 * r2;
        p = r * (((1.0f + r * 0.5f) + (0.166666672f + r * 0.0416666679f) * r2) +
                 ((0.00833333377f + r * 0.00138888892f) + 0.000198412701f * r2) * r4);
        e = scale * p + (scale - 1.0f);
        t = -e / (e + 2.0f);
        memcpy(&t_bits, &t, 4);
        t_bits = (t_bits & 0x7fffffffu) | (x_bits & 0x80000000u);
        nan_mask = (uint32_t)0 - (uint32_t)((x_bits & 0x7fffffffu) > 0x7f800000u);
        t_bits = (x_bits & nan_mask) | (t_bits & ~nan_mask);
        memcpy(&out[i], &t_bits, 4);
    }
}

#if defined(SAFERL_RL_FAST_TANH)
#  define SAFERL_RL__TANH saferl_rl__tanh_float_body
#else
#  define SAFERL_RL__TANH saferl_rl__tanh_body
#endif
#if defined(SAFERL_RL__DISPATCH)
static void saferl_rl__tanh_portable(float *out, const float *inp, int N) { SAFERL_RL__TANH(out, inp, N); }
SAFERL_RL__TARGET_AVX2 static void saferl_rl__tanh_avx2(float *out, const float *inp, int N) {
    SAFERL_RL__TANH(out, inp, N);
}
#endif

SAFERL_RL_API void saferl_rl_tanh_forward(float *out, const float *inp, int N) {
    /* inp and out are (N) */
#if defined(SAFERL_RL__DISPATCH)
    if (saferl_rl__have_avx2()) saferl_rl__tanh_avx2(out, inp, N);
    else saferl_rl__tanh_portable(out, inp, N);
#else
    SAFERL_RL__TANH(out, inp, N);
#endif
}

SAFERL_RL_API void saferl_rl_tanh_backward(float *dinp, const float *out, const float *dout, int N) {
    /* out = tanh(inp) and dout are (N); dinp (N) accumulates: d tanh = 1 - out^2 */
    int i;
    for (i = 0; i < N; ++i) dinp[i] += (1.0f - out[i] * out[i]) * dout[i];
}

/* All ones where x > 0 (NaN is not), else zero: ReLU's select as a bit mask, which compilers
   vectorise where `x > 0 ? a : 0` became a branch per value, taken at random (a quarter of SAC's
   time on Pendulum went to those mispredictions) */
static uint32_t saferl_rl__positive_mask(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    return (uint32_t)0 - (uint32_t)(bits - 1u < 0x7f800000u); /* +0 wraps to the top, negatives start at 2^31 */
}

SAFERL_RL_API void saferl_rl_relu_forward(float *out, const float *inp, int N) {
    /* inp and out are (N): out = inp where inp > 0, else +0 */
    int i;
    for (i = 0; i < N; ++i) {
        uint32_t bits;
        memcpy(&bits, &inp[i], 4);
        bits &= saferl_rl__positive_mask(inp[i]);
        memcpy(&out[i], &bits, 4);
    }
}

SAFERL_RL_API void saferl_rl_relu_backward(float *dinp, const float *out, const float *dout, int N) {
    /* out = relu(inp) and dout are (N); dinp (N) accumulates dout where out > 0, else +0 */
    int i;
    for (i = 0; i < N; ++i) {
        uint32_t bits;
        float d;
        memcpy(&bits, &dout[i], 4);
        bits &= saferl_rl__positive_mask(out[i]);
        memcpy(&d, &bits, 4);
        dinp[i] += d;
    }
}

/* d (N) *= the activation's derivative at its output out (N), in place: what tanh_backward or
   relu_backward add to a zeroed buffer, without the buffer. The products that read d start
   their sums from +0, so where this leaves -0 instead of +0 + -0 nothing downstream changes. */
static void saferl_rl__activation_gate(float *d, const float *out, int N, saferl_rl_activation activation) {
    int i;
    if (activation == SAFERL_RL_TANH)
        for (i = 0; i < N; ++i) d[i] = (1.0f - out[i] * out[i]) * d[i];
    else
        for (i = 0; i < N; ++i) {
            uint32_t bits;
            memcpy(&bits, &d[i], 4);
            bits &= saferl_rl__positive_mask(out[i]);
            memcpy(&d[i], &bits, 4);
        }
}

static float saferl_rl__logsumexp(const float *z, int A) {
    float m = z[0], s = 0.0f;
    int j;
    for (j = 1; j < A; ++j)
        if (z[j] > m) m = z[j];
    for (j = 0; j < A; ++j) s += expf(z[j] - m);
    return m + logf(s);
}

SAFERL_RL_API void saferl_rl_categorical_logprob_forward(float *logp, const float *logits, const float *actions,
                                                         int B, int A) {
    /* logits is (B,A), actions is (B) holding indices, logp is (B) */
    int b;
    for (b = 0; b < B; ++b) {
        const float *z = logits + (size_t)b * A;
        logp[b] = z[(int)actions[b]] - saferl_rl__logsumexp(z, A);
    }
}

SAFERL_RL_API void saferl_rl_categorical_logprob_backward(float *dlogits, const float *logits, const float *actions,
                                                          const float *dlogp, int B, int A) {
    /* logits, dlogits are (B,A), actions, dlogp are (B); dlogits accumulates
       d logp / d z_j = 1[j = a] - softmax(z)_j */
    int b, j;
    for (b = 0; b < B; ++b) {
        const float *z = logits + (size_t)b * A;
        float lse = saferl_rl__logsumexp(z, A);
        for (j = 0; j < A; ++j)
            dlogits[(size_t)b * A + j] += dlogp[b] * ((j == (int)actions[b] ? 1.0f : 0.0f) - expf(z[j] - lse));
    }
}

#define SAFERL_RL__HALF_LOG_2PI 0.91893853320467274178f

SAFERL_RL_API void saferl_rl_gaussian_logprob_forward(float *logp, const float *mean, const float *log_std,
                                                      const float *actions, int B, int A) {
    /* mean, actions are (B,A), log_std is (A), logp is (B): sum over dimensions of
       -(a - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2 */
    int b, i;
    for (b = 0; b < B; ++b) {
        float sum = 0.0f;
        for (i = 0; i < A; ++i) {
            float z = (actions[(size_t)b * A + i] - mean[(size_t)b * A + i]) * expf(-log_std[i]);
            sum += -0.5f * z * z - log_std[i] - SAFERL_RL__HALF_LOG_2PI;
        }
        logp[b] = sum;
    }
}

SAFERL_RL_API void saferl_rl_gaussian_logprob_backward(float *dmean, float *dlog_std, const float *mean,
                                                       const float *log_std, const float *actions, const float *dlogp,
                                                       int B, int A) {
    /* dmean (B,A) and dlog_std (A) accumulate; d/dmu = (a - mu) / sigma^2,
       d/dlog sigma = (a - mu)^2 / sigma^2 - 1 */
    int b, i;
    for (b = 0; b < B; ++b)
        for (i = 0; i < A; ++i) {
            float inv_var = expf(-2.0f * log_std[i]);
            float diff = actions[(size_t)b * A + i] - mean[(size_t)b * A + i];
            dmean[(size_t)b * A + i] += dlogp[b] * diff * inv_var;
            dlog_std[i] += dlogp[b] * (diff * diff * inv_var - 1.0f);
        }
}

SAFERL_RL_API float saferl_rl_ppo_clip_forward(const float *logp, const float *logp_old, const float *advantage,
                                               float clip, int B) {
    /* logp, logp_old, advantage are (B); returns -mean(min(rho A, clip(rho, 1-eps, 1+eps) A)) */
    double sum = 0.0;
    int b;
    for (b = 0; b < B; ++b) {
        float ratio = expf(logp[b] - logp_old[b]);
        float clipped = saferl_rl__clampf(ratio, 1.0f - clip, 1.0f + clip);
        float u = ratio * advantage[b], v = clipped * advantage[b];
        sum += u < v ? u : v;
    }
    return (float)(-sum / B);
}

SAFERL_RL_API void saferl_rl_ppo_clip_backward(float *dlogp, const float *logp, const float *logp_old,
                                               const float *advantage, float clip, float dloss, int B) {
    /* dlogp (B) accumulates; the gradient is zero where the clipped term is the minimum
       and the ratio is outside [1-eps, 1+eps] */
    int b;
    for (b = 0; b < B; ++b) {
        float ratio = expf(logp[b] - logp_old[b]);
        float A = advantage[b];
        int clipped = (A >= 0.0f && ratio > 1.0f + clip) || (A < 0.0f && ratio < 1.0f - clip);
        if (!clipped) dlogp[b] += -dloss * A * ratio / (float)B;
    }
}

SAFERL_RL_API void saferl_rl_categorical_kl_forward(float *kl, const float *logits, const float *ref_logits,
                                                    int B, int A) {
    /* logits, ref_logits are (B,A), kl is (B): sum_j p_j (log p_j - log q_j), p = softmax(logits),
       q = softmax(ref_logits) */
    int b, j;
    for (b = 0; b < B; ++b) {
        const float *z = logits + (size_t)b * A, *zr = ref_logits + (size_t)b * A;
        float lse = saferl_rl__logsumexp(z, A), lse_ref = saferl_rl__logsumexp(zr, A);
        double sum = 0.0;
        for (j = 0; j < A; ++j) {
            double lp = z[j] - lse, lq = zr[j] - lse_ref;
            sum += exp(lp) * (lp - lq);
        }
        kl[b] = (float)sum;
    }
}

SAFERL_RL_API void saferl_rl_categorical_kl_backward(float *dlogits, const float *logits,
                                                     const float *ref_logits, const float *dkl, int B, int A) {
    /* dlogits (B,A) accumulates d KL / d z_k = p_k (log p_k - log q_k - KL) */
    int b, j;
    for (b = 0; b < B; ++b) {
        const float *z = logits + (size_t)b * A, *zr = ref_logits + (size_t)b * A;
        float lse = saferl_rl__logsumexp(z, A), lse_ref = saferl_rl__logsumexp(zr, A);
        double kl = 0.0;
        for (j = 0; j < A; ++j) kl += exp((double)z[j] - lse) * (((double)z[j] - lse) - ((double)zr[j] - lse_ref));
        for (j = 0; j < A; ++j) {
            double lp = (double)z[j] - lse, lq = (double)zr[j] - lse_ref;
            dlogits[(size_t)b * A + j] += dkl[b] * (float)(exp(lp) * (lp - lq - kl));
        }
    }
}

SAFERL_RL_API void saferl_rl_gaussian_kl_forward(float *kl, const float *mean, const float *log_std,
                                                 const float *ref_mean, const float *ref_log_std, int B, int A) {
    /* mean, ref_mean are (B,A), log_std, ref_log_std are (A), kl is (B): sum over dimensions of
       log(sigma_ref / sigma) + (sigma^2 + (mu - mu_ref)^2) / (2 sigma_ref^2) - 1/2 */
    int b, i;
    for (b = 0; b < B; ++b) {
        double sum = 0.0;
        for (i = 0; i < A; ++i) {
            double dm = (double)mean[(size_t)b * A + i] - ref_mean[(size_t)b * A + i];
            double inv_var_ref = exp(-2.0 * ref_log_std[i]);
            sum += ref_log_std[i] - log_std[i] + (exp(2.0 * log_std[i]) + dm * dm) * 0.5 * inv_var_ref - 0.5;
        }
        kl[b] = (float)sum;
    }
}

SAFERL_RL_API void saferl_rl_gaussian_kl_backward(float *dmean, float *dlog_std, const float *mean,
                                                  const float *log_std, const float *ref_mean,
                                                  const float *ref_log_std, const float *dkl, int B, int A) {
    /* dmean (B,A) and dlog_std (A) accumulate; d/dmu = (mu - mu_ref) / sigma_ref^2,
       d/dlog sigma = sigma^2 / sigma_ref^2 - 1 */
    int b, i;
    for (b = 0; b < B; ++b)
        for (i = 0; i < A; ++i) {
            float inv_var_ref = expf(-2.0f * ref_log_std[i]);
            dmean[(size_t)b * A + i] += dkl[b] * (mean[(size_t)b * A + i] - ref_mean[(size_t)b * A + i]) * inv_var_ref;
            dlog_std[i] += dkl[b] * (expf(2.0f * log_std[i]) * inv_var_ref - 1.0f);
        }
}

SAFERL_RL_API float saferl_rl_focops_forward(const float *logp, const float *logp_old, const float *kl,
                                             const float *advantage, float temperature, float kl_bound, int B) {
    /* logp, logp_old, kl, advantage are (B); mean of (kl - rho A / temperature) 1[kl <= kl_bound] */
    double sum = 0.0;
    int b;
    for (b = 0; b < B; ++b)
        if (kl[b] <= kl_bound) sum += kl[b] - expf(logp[b] - logp_old[b]) * advantage[b] / temperature;
    return (float)(sum / B);
}

SAFERL_RL_API void saferl_rl_focops_backward(float *dlogp, float *dkl, const float *logp, const float *logp_old,
                                             const float *kl, const float *advantage, float temperature,
                                             float kl_bound, float dloss, int B) {
    /* dlogp, dkl (B) accumulate; samples whose KL exceeds the bound contribute nothing */
    int b;
    for (b = 0; b < B; ++b) {
        if (!(kl[b] <= kl_bound)) continue;
        dlogp[b] += -dloss * expf(logp[b] - logp_old[b]) * advantage[b] / (temperature * (float)B);
        dkl[b] += dloss / (float)B;
    }
}

SAFERL_RL_API float saferl_rl_cup_forward(const float *logp, const float *logp_old, const float *kl,
                                          const float *cost_advantage, float coef, int B) {
    /* logp, logp_old, kl, cost_advantage are (B); mean(coef rho A_C + kl) */
    double sum = 0.0;
    int b;
    for (b = 0; b < B; ++b) sum += coef * expf(logp[b] - logp_old[b]) * cost_advantage[b] + kl[b];
    return (float)(sum / B);
}

SAFERL_RL_API void saferl_rl_cup_backward(float *dlogp, float *dkl, const float *logp, const float *logp_old,
                                          const float *cost_advantage, float coef, float dloss, int B) {
    /* dlogp, dkl (B) accumulate */
    int b;
    for (b = 0; b < B; ++b) {
        dlogp[b] += dloss * coef * expf(logp[b] - logp_old[b]) * cost_advantage[b] / (float)B;
        dkl[b] += dloss / (float)B;
    }
}

SAFERL_RL_API float saferl_rl_value_loss_forward(const float *value, const float *target, int B) {
    /* value, target are (B); mean squared error */
    double sum = 0.0;
    int b;
    for (b = 0; b < B; ++b) sum += (double)(value[b] - target[b]) * (value[b] - target[b]);
    return (float)(sum / B);
}

SAFERL_RL_API void saferl_rl_value_loss_backward(float *dvalue, const float *value, const float *target,
                                                 float dloss, int B) {
    /* dvalue (B) accumulates 2 (v - target) / B */
    int b;
    for (b = 0; b < B; ++b) dvalue[b] += dloss * 2.0f * (value[b] - target[b]) / (float)B;
}

/* ---- networks --------------------------------------------------------------------------- */

SAFERL_RL_API saferl_result saferl_rl_mlp_define(saferl_rl_mlp *mlp, int input, const int *hidden, int hidden_count,
                                                 int output, saferl_rl_activation activation) {
    int l;
    saferl_rl_mlp m;
    SAFERL_ASSERT(mlp != NULL);
    if (hidden_count < 0 || hidden_count + 1 > SAFERL_RL_MAX_LAYERS) return SAFERL_ERR_INVALID_ARGUMENT;
    if (activation != SAFERL_RL_TANH && activation != SAFERL_RL_RELU) return SAFERL_ERR_INVALID_ARGUMENT;
    memset(&m, 0, sizeof m);
    m.layer_count = hidden_count + 1;
    m.activation = activation;
    m.sizes[0] = input;
    for (l = 0; l < hidden_count; ++l) m.sizes[l + 1] = hidden[l];
    m.sizes[hidden_count + 1] = output;
    for (l = 0; l <= m.layer_count; ++l)
        if (m.sizes[l] < 1 || m.sizes[l] > SAFERL_RL_MAX_WIDTH) return SAFERL_ERR_INVALID_ARGUMENT;
    *mlp = m;
    return SAFERL_OK;
}

SAFERL_RL_API size_t saferl_rl_mlp_param_count(const saferl_rl_mlp *mlp) {
    size_t n = 0;
    int l;
    for (l = 0; l < mlp->layer_count; ++l) n += (size_t)mlp->sizes[l + 1] * (mlp->sizes[l] + 1);
    return n;
}

SAFERL_RL_API size_t saferl_rl_mlp_activation_count(const saferl_rl_mlp *mlp, int B) {
    size_t n = 0;
    int l;
    for (l = 1; l <= mlp->layer_count; ++l) n += (size_t)mlp->sizes[l];
    return n * (size_t)B;
}

static int saferl_rl__mlp_max_width(const saferl_rl_mlp *mlp) {
    int l, w = 0;
    for (l = 0; l <= mlp->layer_count; ++l)
        if (mlp->sizes[l] > w) w = mlp->sizes[l];
    return w;
}

SAFERL_RL_API void saferl_rl_mlp_init_params(const saferl_rl_mlp *mlp, float *params, saferl_rng *rng,
                                             float output_scale) {
    int l;
    size_t i, off = 0;
    for (l = 0; l < mlp->layer_count; ++l) {
        size_t n = (size_t)mlp->sizes[l + 1] * (mlp->sizes[l] + 1);
        double bound = 1.0 / sqrt((double)mlp->sizes[l]);
        double scale = l == mlp->layer_count - 1 ? output_scale : 1.0;
        for (i = 0; i < n; ++i) params[off + i] = (float)(scale * bound * (2.0 * saferl_rng_uniform(rng) - 1.0));
        off += n;
    }
}

SAFERL_RL_API float *saferl_rl_mlp_forward(const saferl_rl_mlp *mlp, const float *params, const float *inp,
                                           float *acts, int B) {
    /* inp is (B, sizes[0]); layer l writes (B, sizes[l+1]) into acts, after its activation
       except for the last layer */
    const float *x = inp;
    float *out = acts;
    int l;
    for (l = 0; l < mlp->layer_count; ++l) {
        int C = mlp->sizes[l], OC = mlp->sizes[l + 1];
        const float *w = params, *bias = params + (size_t)OC * C;
        saferl_rl_linear_forward(out, x, w, bias, B, C, OC);
        if (l < mlp->layer_count - 1) {
            if (mlp->activation == SAFERL_RL_TANH) saferl_rl_tanh_forward(out, out, B * OC);
            else saferl_rl_relu_forward(out, out, B * OC);
        }
        params += (size_t)OC * (C + 1);
        x = out;
        out += (size_t)B * OC;
    }
    return (float *)x;
}

SAFERL_RL_API void saferl_rl_mlp_backward(const saferl_rl_mlp *mlp, const float *params, float *grads,
                                          const float *inp, const float *acts, const float *dout, float *dinp,
                                          float *scratch, int B) {
    /* dout is (B, sizes[L]); scratch holds two (B, max width) gradients that alternate */
    size_t offsets[SAFERL_RL_MAX_LAYERS], act_offsets[SAFERL_RL_MAX_LAYERS], off = 0, aoff = 0;
    int l, cur = -1, width = saferl_rl__mlp_max_width(mlp);
    float *bufs[2];
    const float *d = dout;
    bufs[0] = scratch;
    bufs[1] = scratch + (size_t)B * width;
    for (l = 0; l < mlp->layer_count; ++l) {
        offsets[l] = off;
        act_offsets[l] = aoff;
        off += (size_t)mlp->sizes[l + 1] * (mlp->sizes[l] + 1);
        aoff += (size_t)B * mlp->sizes[l + 1];
    }
    for (l = mlp->layer_count - 1; l >= 0; --l) {
        int C = mlp->sizes[l], OC = mlp->sizes[l + 1];
        const float *w = params + offsets[l];
        float *dw = grads ? grads + offsets[l] : NULL, *db = grads ? dw + (size_t)OC * C : NULL;
        const float *x = l == 0 ? inp : acts + act_offsets[l - 1];
        if (l == 0) {
            saferl_rl_linear_backward(dinp, dw, db, d, x, w, B, C, OC);
        } else {
            /* the gradient w.r.t. the previous layer's output goes to the buffer not holding
               d and through the activation in place */
            int a = cur == 0 ? 1 : 0;
            memset(bufs[a], 0, sizeof(float) * (size_t)B * C);
            saferl_rl_linear_backward(bufs[a], dw, db, d, x, w, B, C, OC);
            saferl_rl__activation_gate(bufs[a], x, B * C, mlp->activation);
            d = bufs[a];
            cur = a;
        }
    }
}

/* root (n) = the square roots of x (n), n a multiple of 4. sqrtf is a libm call that may set
   errno, so GCC and clang keep it scalar (a third of an Adam step); SSE's sqrtps, like
   WebAssembly's, rounds correctly as sqrtf does, so the bits are the same. */
SAFERL_RL__BODY void saferl_rl__sqrt_block(float *root, const float *x, int n) {
    int i;
#if defined(__SSE__) || defined(_M_X64)
    for (i = 0; i < n; i += 4) _mm_storeu_ps(root + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#else
    for (i = 0; i < n; ++i) root[i] = sqrtf(x[i]);
#endif
}

/* Adam in blocks of 32, each value through the same operations as the one-line loop
   m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m / c1) / (sqrt(v / c2) + eps).
   Compiled a second time for AVX2 (eight lanes for the multiplies and the two divisions, no
   FMA: the same bits), as the products are. */
SAFERL_RL__BODY void saferl_rl__adam_body(float *params, const float *grads, float *m, float *v, size_t count, float lr,
                                         float beta1, float beta2, float eps, float c1, float c2) {
    enum { BLOCK = 32 };
    float scaled_v[BLOCK], root[BLOCK];
    size_t i0;
    int i, n;
    for (i0 = 0; i0 < count; i0 += BLOCK) {
        n = count - i0 < BLOCK ? (int)(count - i0) : BLOCK;
        for (i = 0; i < n; ++i) {
            const float g = grads[i0 + i];
            m[i0 + i] = beta1 * m[i0 + i] + (1.0f - beta1) * g;
            v[i0 + i] = beta2 * v[i0 + i] + (1.0f - beta2) * g * g;
            scaled_v[i] = v[i0 + i] / c2;
        }
        saferl_rl__sqrt_block(root, scaled_v, n - n % 4);
        for (i = n - n % 4; i < n; ++i) root[i] = sqrtf(scaled_v[i]);
        for (i = 0; i < n; ++i) params[i0 + i] -= lr * (m[i0 + i] / c1) / (root[i] + eps);
    }
}
#if defined(SAFERL_RL__DISPATCH)
SAFERL_RL__TARGET_AVX2 static void saferl_rl__adam_avx2(float *params, const float *grads, float *m, float *v,
                                                        size_t count, float lr, float beta1, float beta2, float eps,
                                                        float c1, float c2) {
    saferl_rl__adam_body(params, grads, m, v, count, lr, beta1, beta2, eps, c1, c2);
}
#endif

SAFERL_RL_API void saferl_rl_adam_update(float *params, const float *grads, float *m, float *v, size_t count,
                                         float lr, float beta1, float beta2, float eps, long step) {
    const float c1 = 1.0f - (float)pow(beta1, (double)step), c2 = 1.0f - (float)pow(beta2, (double)step);
#if defined(SAFERL_RL__DISPATCH)
    if (saferl_rl__have_avx2()) {
        saferl_rl__adam_avx2(params, grads, m, v, count, lr, beta1, beta2, eps, c1, c2);
        return;
    }
#endif
    saferl_rl__adam_body(params, grads, m, v, count, lr, beta1, beta2, eps, c1, c2);
}

SAFERL_RL_API float saferl_rl_clip_grad_norm(float *grads, size_t count, float max_norm) {
    double sum = 0.0;
    float norm;
    size_t i;
    for (i = 0; i < count; ++i) sum += (double)grads[i] * grads[i];
    norm = (float)sqrt(sum);
    if (norm > max_norm && norm > 0.0f) {
        float scale = max_norm / (norm + 1e-6f);
        for (i = 0; i < count; ++i) grads[i] *= scale;
    }
    return norm;
}

static void *saferl_rl__allocate(const saferl_allocator *a, size_t size) {
    return a && a->allocate ? a->allocate(size, a->user_data) : SAFERL_MALLOC(size, a ? a->user_data : NULL);
}
static void saferl_rl__release(const saferl_allocator *a, void *p) {
    if (a && a->release) a->release(p, a->user_data);
    else SAFERL_FREE(p, a ? a->user_data : NULL);
}

/* ---- policies ------------------------------------------------------------------------------ */


SAFERL_RL_API size_t saferl_rl_policy_param_count(const saferl_rl_policy *policy) {
    return saferl_rl_mlp_param_count(&policy->net) +
           (policy->action_kind == SAFERL_RL_GAUSSIAN ? (size_t)policy->action_dim : 0);
}

/* floats of a policy context: the normalised observation, the activations (the head is
   their last row), and the action drawn before it is known to be finite */
static size_t saferl_rl__policy_scratch_count(const saferl_rl_mlp *net) {
    return (size_t)net->sizes[0] + saferl_rl_mlp_activation_count(net, 1) + (size_t)net->sizes[net->layer_count];
}

/* A loaded policy's packed weights: every layer's (OC,C) weight transposed to (C,OC). */
static size_t saferl_rl__packed_count(const saferl_rl_mlp *net) {
    size_t count = 0;
    int l;
    for (l = 0; l < net->layer_count; ++l) count += (size_t)net->sizes[l] * (size_t)net->sizes[l + 1];
    return count;
}

static void saferl_rl__pack(const saferl_rl_mlp *net, const float *params, float *packed) {
    int l, o, c;
    for (l = 0; l < net->layer_count; ++l) {
        const int C = net->sizes[l], OC = net->sizes[l + 1];
        for (o = 0; o < OC; ++o)
            for (c = 0; c < C; ++c) packed[(size_t)c * OC + o] = params[(size_t)o * C + c];
        params += (size_t)OC * (C + 1);
        packed += (size_t)OC * C;
    }
}

/* saferl_rl_mlp_forward for one row on the packed weights: the same bits. */
static float *saferl_rl__forward_packed(const saferl_rl_policy *p, const float *inp, float *acts) {
    const saferl_rl_mlp *net = &p->net;
    const float *x = inp, *params = p->params, *packed = p->packed;
    float *out = acts;
    int l;
    for (l = 0; l < net->layer_count; ++l) {
        const int C = net->sizes[l], OC = net->sizes[l + 1];
        memcpy(out, params + (size_t)OC * C, sizeof(float) * (size_t)OC); /* the bias */
        saferl_rl__row_product(out, x, packed, C, OC);
        if (l < net->layer_count - 1) {
            if (net->activation == SAFERL_RL_TANH) saferl_rl_tanh_forward(out, out, OC);
            else saferl_rl_relu_forward(out, out, OC);
        }
        params += (size_t)OC * (C + 1);
        packed += (size_t)OC * C;
        x = out;
        out += OC;
    }
    return (float *)x;
}

SAFERL_RL_API size_t saferl_rl_policy_context_memory_size(const saferl_rl_policy *policy) {
    SAFERL_ASSERT(policy != NULL);
    if (policy->net.layer_count < 1) return 0; /* no network: nothing can act */
    return sizeof(float) * saferl_rl__policy_scratch_count(&policy->net);
}

SAFERL_RL_API saferl_result saferl_rl_policy_context_init(saferl_rl_policy_context *context, void *memory,
                                                          size_t memory_size) {
    SAFERL_ASSERT(context != NULL);
    if (!memory || memory_size < sizeof(float)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    context->scratch = (float *)memory;
    context->scratch_count = memory_size / sizeof(float);
    return SAFERL_OK;
}

#define SAFERL_RL__MAGIC 0x504C5253u /* "SRLP" read as a little-endian uint32 */
#define SAFERL_RL__FORMAT_VERSION 1u

/* CRC-32 (IEEE, reflected, polynomial 0xEDB88320) a byte at a time from a table built on the
   stack (1 KB, 2048 steps: no static state), several times faster than bit by bit on the
   megabytes of an off-policy checkpoint's replay. */
static uint32_t saferl_rl__crc32(const unsigned char *data, size_t size) {
    uint32_t table[256], crc = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < 256; ++i) {
        uint32_t c = (uint32_t)i;
        for (k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        table[i] = c;
    }
    for (i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

static void saferl_rl__put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t saferl_rl__get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void saferl_rl__put_f32(unsigned char *p, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    saferl_rl__put_u32(p, u);
}

static float saferl_rl__get_f32(const unsigned char *p) {
    uint32_t u = saferl_rl__get_u32(p);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

SAFERL_RL_API size_t saferl_rl_policy_saved_size(const saferl_rl_policy *policy) {
    return 4 * (7 + (size_t)policy->net.layer_count + 1) +
           4 * (saferl_rl_policy_param_count(policy) + 2 * (size_t)policy->observation_dim) + 4;
}

SAFERL_RL_API saferl_result saferl_rl_policy_save(const saferl_rl_policy *policy, void *buffer, size_t capacity,
                                                  size_t *written) {
    size_t need, i, count, off = 0;
    unsigned char *out = (unsigned char *)buffer;
    int l;
    SAFERL_ASSERT(policy != NULL);
    need = saferl_rl_policy_saved_size(policy);
    if (written) *written = need;
    if (!buffer || capacity < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    count = saferl_rl_policy_param_count(policy);
    saferl_rl__put_u32(out + 0, SAFERL_RL__MAGIC);
    saferl_rl__put_u32(out + 4, SAFERL_RL__FORMAT_VERSION);
    saferl_rl__put_u32(out + 8, (uint32_t)policy->observation_dim);
    saferl_rl__put_u32(out + 12, (uint32_t)policy->action_kind);
    saferl_rl__put_u32(out + 16, (uint32_t)policy->action_dim);
    saferl_rl__put_u32(out + 20, (uint32_t)policy->net.activation);
    saferl_rl__put_u32(out + 24, (uint32_t)policy->net.layer_count);
    off = 28;
    for (l = 0; l <= policy->net.layer_count; ++l, off += 4) saferl_rl__put_u32(out + off, (uint32_t)policy->net.sizes[l]);
    for (i = 0; i < count; ++i, off += 4) saferl_rl__put_f32(out + off, policy->params[i]);
    for (i = 0; i < (size_t)policy->observation_dim; ++i, off += 4)
        saferl_rl__put_f32(out + off, policy->obs_mean ? policy->obs_mean[i] : 0.0f);
    for (i = 0; i < (size_t)policy->observation_dim; ++i, off += 4)
        saferl_rl__put_f32(out + off, policy->obs_std ? policy->obs_std[i] : 1.0f);
    saferl_rl__put_u32(out + off, saferl_rl__crc32(out, off));
    return SAFERL_OK;
}

/* Validates the header of a policy buffer into *net etc. without touching the floats. */
static saferl_result saferl_rl__parse_header(const unsigned char *in, size_t size, saferl_rl_policy *shape,
                                             size_t *float_offset) {
    uint32_t layers, kind, activation, obs_dim, action_dim, l;
    int hidden[SAFERL_RL_MAX_LAYERS];
    size_t need, count;
    memset(shape, 0, sizeof *shape);
    if (size < 8) return SAFERL_ERR_CORRUPT;
    if (saferl_rl__get_u32(in) != SAFERL_RL__MAGIC) return SAFERL_ERR_CORRUPT;
    if (saferl_rl__get_u32(in + 4) != SAFERL_RL__FORMAT_VERSION) return SAFERL_ERR_VERSION;
    if (size < 28) return SAFERL_ERR_CORRUPT;
    obs_dim = saferl_rl__get_u32(in + 8);
    kind = saferl_rl__get_u32(in + 12);
    action_dim = saferl_rl__get_u32(in + 16);
    activation = saferl_rl__get_u32(in + 20);
    layers = saferl_rl__get_u32(in + 24);
    if (kind > 1 || activation > 1 || layers < 1 || layers > SAFERL_RL_MAX_LAYERS) return SAFERL_ERR_CORRUPT;
    if (size < 28 + 4 * ((size_t)layers + 1)) return SAFERL_ERR_CORRUPT;
    for (l = 0; l + 1 < layers; ++l) hidden[l] = (int)saferl_rl__get_u32(in + 28 + 4 * (l + 1));
    for (l = 0; l <= layers; ++l)
        if (saferl_rl__get_u32(in + 28 + 4 * l) < 1 || saferl_rl__get_u32(in + 28 + 4 * l) > SAFERL_RL_MAX_WIDTH)
            return SAFERL_ERR_CORRUPT;
    if (saferl_rl__get_u32(in + 28) != obs_dim || saferl_rl__get_u32(in + 28 + 4 * layers) != action_dim)
        return SAFERL_ERR_CORRUPT;
    if (kind == SAFERL_RL_DISCRETE && action_dim < 2) return SAFERL_ERR_CORRUPT;
    if (saferl_rl_mlp_define(&shape->net, (int)obs_dim, hidden, (int)layers - 1, (int)action_dim,
                             (saferl_rl_activation)activation) != SAFERL_OK)
        return SAFERL_ERR_CORRUPT;
    shape->action_kind = (saferl_rl_action_kind)kind;
    shape->observation_dim = (int)obs_dim;
    shape->action_dim = (int)action_dim;
    count = saferl_rl_policy_param_count(shape);
    need = saferl_rl_policy_saved_size(shape);
    if (size < need) return SAFERL_ERR_CORRUPT; /* truncated */
    if (size > need) return SAFERL_ERR_CORRUPT; /* trailing bytes: not what we wrote */
    if (saferl_rl__get_u32(in + need - 4) != saferl_rl__crc32(in, need - 4)) return SAFERL_ERR_CORRUPT;
    *float_offset = 28 + 4 * ((size_t)layers + 1);
    (void)count;
    return SAFERL_OK;
}

/* a loaded policy's memory: params, obs_mean, obs_std, the packed weights */
static size_t saferl_rl__policy_memory_floats(const saferl_rl_policy *shape) {
    return saferl_rl_policy_param_count(shape) + 2 * (size_t)shape->observation_dim +
           saferl_rl__packed_count(&shape->net);
}

/* Whether every activation and action stays finite for every input the normaliser lets
   through (the box [-10, 10]^n): interval bounds in double, layer by layer,
   |y_i| <= |b_i| + m sum_j |W_ij| with m the largest bound of the layer's inputs (after tanh
   at most 1). Each float product and partial sum is then at most the bound times (1 + 2^-24)
   per rounding (at most 4097 of them: a factor 1.0003), in any summation order, so a bound
   below FLT_MAX / 2 proves that nothing overflows; softmax of finite logits is finite. A
   Gaussian adds exp(log_std) |z| with |z| <= 8.6 (Box-Muller from a 53-bit uniform). Sound
   but loose, so only weights near FLT_MAX are ever refused. params: the buffer's floats. */
static int saferl_rl__policy_bounded(const saferl_rl_policy *shape, const unsigned char *params) {
    const saferl_rl_mlp *net = &shape->net;
    const double limit = 0.5 * 3.4028234663852886e38;
    double m = 10.0; /* the normaliser's clip */
    size_t at = 0;
    int l, i, j;
    for (l = 0; l < net->layer_count; ++l) {
        const int in = net->sizes[l], out = net->sizes[l + 1];
        double layer_max = 0.0;
        for (i = 0; i < out; ++i) {
            double row = 0.0;
            for (j = 0; j < in; ++j) row += fabs((double)saferl_rl__get_f32(params + 4 * (at + (size_t)i * in + j)));
            row = fabs((double)saferl_rl__get_f32(params + 4 * (at + (size_t)out * in + i))) + m * row;
            if (row > layer_max) layer_max = row;
        }
        if (!(layer_max < limit)) return 0;
        at += (size_t)out * in + out;
        m = l + 1 < net->layer_count && net->activation == SAFERL_RL_TANH && layer_max > 1.0 ? 1.0 : layer_max;
    }
    if (shape->action_kind == SAFERL_RL_GAUSSIAN)
        for (j = 0; j < shape->action_dim; ++j) {
            double log_std = (double)saferl_rl__get_f32(params + 4 * (at + (size_t)j));
            if (!(log_std < 88.0 && m + 8.6 * exp(log_std) < limit)) return 0;
        }
    return 1;
}

SAFERL_RL_API saferl_result saferl_rl_policy_load_size(const void *buffer, size_t size, size_t *memory_size) {
    saferl_rl_policy shape;
    size_t off, i, floats;
    saferl_result r;
    const unsigned char *in = (const unsigned char *)buffer;
    if (!buffer) return SAFERL_ERR_INVALID_ARGUMENT;
    r = saferl_rl__parse_header(in, size, &shape, &off);
    if (r != SAFERL_OK) return r;
    floats = saferl_rl_policy_param_count(&shape) + 2 * (size_t)shape.observation_dim;
    for (i = 0; i < floats; ++i) {
        float v = saferl_rl__get_f32(in + off + 4 * i);
        if (!saferl_rl__finite(v)) return SAFERL_ERR_NOT_FINITE;
        if (i >= floats - (size_t)shape.observation_dim && !(v > 0.0f)) return SAFERL_ERR_CORRUPT; /* std */
    }
    if (!saferl_rl__policy_bounded(&shape, in + off)) return SAFERL_ERR_NOT_FINITE;
    if (memory_size) *memory_size = sizeof(float) * saferl_rl__policy_memory_floats(&shape);
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_policy_load(saferl_rl_policy *policy, const void *buffer, size_t size,
                                                  void *memory, size_t memory_size) {
    saferl_rl_policy shape;
    size_t off, i, need = 0, count;
    const unsigned char *in = (const unsigned char *)buffer;
    float *f = (float *)memory;
    saferl_result r;
    SAFERL_ASSERT(policy != NULL);
    r = saferl_rl_policy_load_size(buffer, size, &need);
    if (r != SAFERL_OK) return r;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    saferl_rl__parse_header(in, size, &shape, &off);
    count = saferl_rl_policy_param_count(&shape);
    for (i = 0; i < count + 2 * (size_t)shape.observation_dim; ++i) f[i] = saferl_rl__get_f32(in + off + 4 * i);
    shape.params = f;
    shape.obs_mean = f + count;
    shape.obs_std = f + count + shape.observation_dim;
    saferl_rl__pack(&shape.net, shape.params, f + count + 2 * (size_t)shape.observation_dim);
    shape.packed = f + count + 2 * (size_t)shape.observation_dim;
    *policy = shape;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_policy_check_env(const saferl_rl_policy *policy, const saferl_rl_env *env) {
    if (!policy || !env) return SAFERL_ERR_INVALID_ARGUMENT;
    if (env->observation_dim != policy->observation_dim) return SAFERL_ERR_INVALID_ARGUMENT;
    if (policy->action_kind == SAFERL_RL_DISCRETE)
        return env->action_count == policy->action_dim && env->action_dim == 1 ? SAFERL_OK : SAFERL_ERR_INVALID_ARGUMENT;
    return env->action_count == 0 && env->action_dim == policy->action_dim ? SAFERL_OK : SAFERL_ERR_INVALID_ARGUMENT;
}

/* Observation normalisation (clipped to +-10) of B rows into out. */
static void saferl_rl__normalize(const saferl_rl_policy *p, const float *obs, float *out, int B) {
    int b, i, O = p->observation_dim;
    for (b = 0; b < B; ++b)
        for (i = 0; i < O; ++i) {
            float v = obs[(size_t)b * O + i];
            if (p->obs_mean) v = (v - p->obs_mean[i]) / p->obs_std[i];
            out[(size_t)b * O + i] = saferl_rl__clampf(v, -10.0f, 10.0f);
        }
}

/* Samples (rng) or picks (rng NULL) an action from a head row; returns its log-probability.
   Gaussian samples are not clipped here (the log-probability is of the sample). */
static float saferl_rl__sample(const saferl_rl_policy *p, const float *head, float *action, saferl_rng *rng) {
    int A = p->action_dim, j;
    if (p->action_kind == SAFERL_RL_DISCRETE) {
        float lse = saferl_rl__logsumexp(head, A);
        int pick = 0;
        if (rng) {
            double u = saferl_rng_uniform(rng), acc = 0.0;
            pick = A - 1;
            for (j = 0; j < A; ++j) {
                acc += exp((double)head[j] - lse);
                if (u < acc) { pick = j; break; }
            }
        } else {
            for (j = 1; j < A; ++j)
                if (head[j] > head[pick]) pick = j;
        }
        action[0] = (float)pick;
        return head[pick] - lse;
    } else {
        const float *log_std = p->params + saferl_rl_mlp_param_count(&p->net);
        float logp = 0.0f;
        for (j = 0; j < A; ++j) {
            float z = rng ? (float)saferl_rng_normal(rng) : 0.0f;
            action[j] = head[j] + expf(log_std[j]) * z;
            logp += -0.5f * z * z - log_std[j] - SAFERL_RL__HALF_LOG_2PI;
        }
        return logp;
    }
}

/* The network's head row for one observation, computed in the context; NULL with *result
   set for bad input, a context too small, or a head that is not finite. */
static const float *saferl_rl__policy_head(const saferl_rl_policy *policy, saferl_rl_policy_context *context,
                                           const float *observation, saferl_result *result) {
    float *x, *head;
    SAFERL_ASSERT(policy != NULL);
    *result = SAFERL_ERR_INVALID_ARGUMENT;
    if (!context || !context->scratch || !observation || policy->net.layer_count < 1) return NULL;
    *result = SAFERL_ERR_BUFFER_TOO_SMALL;
    if (context->scratch_count < saferl_rl__policy_scratch_count(&policy->net)) return NULL;
    *result = SAFERL_ERR_NOT_FINITE;
    if (!saferl_rl__all_finite(observation, policy->observation_dim)) return NULL;
    x = context->scratch;
    saferl_rl__normalize(policy, observation, x, 1);
    head = policy->packed ? saferl_rl__forward_packed(policy, x, x + policy->observation_dim)
                          : saferl_rl_mlp_forward(&policy->net, policy->params, x, x + policy->observation_dim, 1);
    if (!saferl_rl__all_finite(head, policy->action_dim)) return NULL; /* weights that overflow */
    *result = SAFERL_OK;
    return head;
}

/* Samples (rng) or picks (rng NULL) an action from a head row into `drawn` and copies it to
   action only when it is finite (Gaussian actions clipped to [-1, 1]). */
static saferl_result saferl_rl__act_from_head(const saferl_rl_policy *policy, const float *head, float *drawn,
                                              float *action, saferl_rng *rng) {
    int j, A = policy->action_kind == SAFERL_RL_GAUSSIAN ? policy->action_dim : 1;
    saferl_rl__sample(policy, head, drawn, rng);
    if (!saferl_rl__all_finite(drawn, A)) return SAFERL_ERR_NOT_FINITE; /* a log_std that overflows */
    for (j = 0; j < A; ++j)
        action[j] = policy->action_kind == SAFERL_RL_GAUSSIAN ? saferl_rl__clampf(drawn[j], -1.0f, 1.0f) : drawn[j];
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_policy_act(const saferl_rl_policy *policy, saferl_rl_policy_context *context,
                                                 const float *observation, float *action, saferl_rng *rng) {
    saferl_result r;
    const float *head = saferl_rl__policy_head(policy, context, observation, &r);
    if (!head) return r;
    if (!action) return SAFERL_ERR_INVALID_ARGUMENT;
    return saferl_rl__act_from_head(policy, head, context->scratch + context->scratch_count - policy->action_dim,
                                    action, rng);
}

SAFERL_RL_API saferl_result saferl_rl_policy_probabilities(const saferl_rl_policy *policy,
                                                           saferl_rl_policy_context *context,
                                                           const float *observation, float *probabilities) {
    saferl_result r;
    const float *head;
    float lse;
    int j;
    SAFERL_ASSERT(policy != NULL);
    if (policy->action_kind != SAFERL_RL_DISCRETE || !probabilities) return SAFERL_ERR_INVALID_ARGUMENT;
    head = saferl_rl__policy_head(policy, context, observation, &r);
    if (!head) return r;
    lse = saferl_rl__logsumexp(head, policy->action_dim);
    for (j = 0; j < policy->action_dim; ++j) probabilities[j] = expf(head[j] - lse);
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_policy_mean_std(const saferl_rl_policy *policy, saferl_rl_policy_context *context,
                                                      const float *observation, float *mean, float *std) {
    saferl_result r;
    const float *head, *log_std;
    int j;
    SAFERL_ASSERT(policy != NULL);
    if (policy->action_kind != SAFERL_RL_GAUSSIAN || !mean || !std) return SAFERL_ERR_INVALID_ARGUMENT;
    head = saferl_rl__policy_head(policy, context, observation, &r);
    if (!head) return r;
    log_std = policy->params + saferl_rl_mlp_param_count(&policy->net);
    for (j = 0; j < policy->action_dim; ++j)
        if (!saferl_rl__finite(expf(log_std[j]))) return SAFERL_ERR_NOT_FINITE;
    for (j = 0; j < policy->action_dim; ++j) {
        mean[j] = head[j];
        std[j] = expf(log_std[j]);
    }
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_evaluate(const saferl_rl_policy *policy, saferl_rl_policy_context *context,
                                               const saferl_rl_env *env, int episodes, int max_steps,
                                               int deterministic, uint32_t seed, double *mean_return,
                                               double *mean_cost) {
    saferl_rl_flip_policy one; /* a mixture of one policy */
    if (!policy) return SAFERL_ERR_INVALID_ARGUMENT;
    one.first = one.second = policy;
    one.first_weight = 1.0;
    one.mode = SAFERL_RL_FLIP_PER_EPISODE;
    one.current = 0;
    one.context = context;
    return saferl_rl_flip_evaluate(&one, env, episodes, max_steps, deterministic, seed, mean_return, mean_cost, NULL);
}

#ifndef SAFERL_NO_STDIO
/* The file helpers. Writing follows SQLite's rule: the bytes go to "<path>.tmp" in the same
   folder, every fwrite, the fflush and the fclose are checked, and only then is the
   temporary renamed over path; on any failure it is removed and path is as it was. A path
   that exists but is not a regular file (a device such as /dev/full or /dev/stdout, a pipe)
   cannot be replaced and is written in place, every call still checked. Errors are
   SAFERL_ERR_IO with errno as the failing call left it (strerror(errno) says why; EIO if
   the C library gave no reason). Not done: fsync (not in C99), so a power cut may still
   lose the new file; a symbolic link at path is replaced by the file, not followed; on
   Windows, where rename does not replace, the old file is removed first. */
/* What is at path: 0 nothing (or unknown: no stat outside POSIX), 1 a regular file, 2 a
   folder, 3 something else (a device, a pipe). */
static int saferl_rl__file_kind(const char *path) {
#if defined(__unix__) || defined(__APPLE__)
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    return S_ISREG(st.st_mode) ? 1 : (S_ISDIR(st.st_mode) ? 2 : 3);
#else
    (void)path;
    return 0;
#endif
}

/* Writes, flushes and closes f; 0, or the errno of the first failure. */
static int saferl_rl__write_all(FILE *f, const void *data, size_t size) {
    int failed = size > 0 && fwrite(data, 1, size, f) != size;
    int saved = failed ? errno : 0;
    if (!failed && (fflush(f) != 0 || ferror(f))) {
        failed = 1;
        saved = errno;
    }
    if (fclose(f) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    return failed ? (saved ? saved : EIO) : 0;
}

static saferl_result saferl_rl__write_file(const char *path, const void *data, size_t size) {
    size_t n;
    char *temp;
    FILE *f;
    int failed;
    if (!path || (!data && size > 0)) return SAFERL_ERR_INVALID_ARGUMENT;
    if (saferl_rl__file_kind(path) >= 2) { /* a folder fails here with EISDIR */
        f = fopen(path, "wb");
        failed = f ? saferl_rl__write_all(f, data, size) : (errno ? errno : EIO);
        if (failed) errno = failed;
        return failed ? SAFERL_ERR_IO : SAFERL_OK;
    }
    n = strlen(path);
    temp = (char *)SAFERL_MALLOC(n + 5, NULL);
    if (!temp) return SAFERL_ERR_OUT_OF_MEMORY;
    memcpy(temp, path, n);
    memcpy(temp + n, ".tmp", 5);
    f = fopen(temp, "wb");
    failed = f ? saferl_rl__write_all(f, data, size) : (errno ? errno : EIO);
#if defined(_WIN32)
    if (!failed) remove(path); /* rename does not replace there */
#endif
    if (!failed && rename(temp, path) != 0) failed = errno ? errno : EIO;
    if (failed && f) remove(temp);
    SAFERL_FREE(temp, NULL);
    if (failed) errno = failed;
    return failed ? SAFERL_ERR_IO : SAFERL_OK;
}

/* Reads a whole file into memory from the allocator (its length, what the file justifies);
   *size its length. SAFERL_ERR_IO (errno set) when it cannot be opened, measured or read. */
static saferl_result saferl_rl__read_file(const char *path, const saferl_allocator *allocator, unsigned char **data,
                                          size_t *size) {
    FILE *f;
    long length;
    int saved;
    if (!path) return SAFERL_ERR_INVALID_ARGUMENT;
    if (saferl_rl__file_kind(path) == 2) { /* a folder opens on some systems; its "length" is not one */
        errno = EISDIR;
        return SAFERL_ERR_IO;
    }
    f = fopen(path, "rb");
    if (!f) {
        if (!errno) errno = EIO;
        return SAFERL_ERR_IO;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (length = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        saved = errno ? errno : EIO;
        fclose(f);
        errno = saved;
        return SAFERL_ERR_IO;
    }
    *data = (unsigned char *)saferl_rl__allocate(allocator, (size_t)length + 1);
    if (!*data) {
        fclose(f);
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    if (fread(*data, 1, (size_t)length, f) != (size_t)length || ferror(f)) {
        saved = errno ? errno : EIO;
        fclose(f);
        saferl_rl__release(allocator, *data);
        errno = saved;
        return SAFERL_ERR_IO;
    }
    fclose(f);
    *size = (size_t)length;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_policy_save_file(const saferl_rl_policy *policy, const char *path) {
    size_t size = saferl_rl_policy_saved_size(policy);
    unsigned char chunk[4096];
    saferl_result r;
    /* small policies go through a stack chunk; larger ones are written through a heap copy */
    unsigned char *buffer = size <= sizeof chunk ? chunk : (unsigned char *)SAFERL_MALLOC(size, NULL);
    if (!buffer) return SAFERL_ERR_OUT_OF_MEMORY;
    saferl_rl_policy_save(policy, buffer, size, NULL);
    r = saferl_rl__write_file(path, buffer, size);
    if (buffer != chunk) SAFERL_FREE(buffer, NULL);
    return r;
}

/* Reads path, checks it with load_size and allocates what that asks for (*need bytes at
   *memory); on success release *data after loading from it. */
static saferl_result saferl_rl__read_for_load(const char *path, const saferl_allocator *allocator,
                                              saferl_result (*load_size)(const void *, size_t, size_t *),
                                              unsigned char **data, size_t *size, void **memory, size_t *need) {
    saferl_result r = saferl_rl__read_file(path, allocator, data, size);
    if (r != SAFERL_OK) return r;
    r = load_size(*data, *size, need);
    if (r == SAFERL_OK && !(*memory = saferl_rl__allocate(allocator, *need))) r = SAFERL_ERR_OUT_OF_MEMORY;
    if (r != SAFERL_OK) saferl_rl__release(allocator, *data);
    return r;
}

SAFERL_RL_API saferl_result saferl_rl_policy_load_file(saferl_rl_policy *policy, const char *path,
                                                       const saferl_allocator *allocator) {
    unsigned char *data = NULL;
    size_t size = 0, need = 0;
    void *memory = NULL;
    saferl_result r;
    SAFERL_ASSERT(policy != NULL);
    r = saferl_rl__read_for_load(path, allocator, saferl_rl_policy_load_size, &data, &size, &memory, &need);
    if (r != SAFERL_OK) return r;
    r = saferl_rl_policy_load(policy, data, size, memory, need);
    saferl_rl__release(allocator, data);
    if (r != SAFERL_OK) saferl_rl__release(allocator, memory);
    return r;
}

SAFERL_RL_API void saferl_rl_policy_free_file(saferl_rl_policy *policy, const saferl_allocator *allocator) {
    if (!policy || !policy->params) return;
    saferl_rl__release(allocator, policy->params);
    policy->params = policy->obs_mean = policy->obs_std = NULL;
    policy->packed = NULL;
}
#endif

/* ---- trust region ---------------------------------------------------------------------------- */

/* Forward-mode pass: the tangent of every layer's output along the parameter direction v
   (the input's tangent is zero), from a forward pass's activations acts at params. tangent
   holds two (B, max width) buffers that alternate; returns the head's tangent (B, sizes[L]). */
static float *saferl_rl__mlp_jvp(const saferl_rl_mlp *mlp, const float *params, const float *v, const float *inp,
                                 const float *acts, float *tangent, int B) {
    const int width = saferl_rl__mlp_max_width(mlp);
    const float *x = inp, *dx = NULL;
    float *dz = tangent;
    int l;
    for (l = 0; l < mlp->layer_count; ++l) {
        int C = mlp->sizes[l], OC = mlp->sizes[l + 1];
        const float *w = params, *dw = v;
        const float *h = acts;
        dz = tangent + (size_t)(l & 1) * B * width;
        /* d(W x + b) = dW x + db + W dx */
        saferl_rl_linear_forward(dz, x, dw, dw + (size_t)OC * C, B, C, OC);
        if (dx) saferl_rl__linear_accumulate(dz, NULL, dx, w, B, C, OC); /* tiled, as the forward pass */
        if (l < mlp->layer_count - 1) {
            int n = B * OC, i;
            if (mlp->activation == SAFERL_RL_TANH)
                for (i = 0; i < n; ++i) dz[i] *= 1.0f - h[i] * h[i];
            else
                for (i = 0; i < n; ++i) dz[i] = h[i] > 0.0f ? dz[i] : 0.0f;
        }
        params += (size_t)OC * (C + 1);
        v += (size_t)OC * (C + 1);
        x = h;
        acts += (size_t)B * OC;
        dx = dz;
    }
    return dz;
}

/* out += weight * sum over the batch of J^T M J v (see saferl_rl_policy_fvp). acts holds the
   batch's activations, tangent 2 B max-width floats, dhead B head-width floats. */
static void saferl_rl__fvp_accumulate(const saferl_rl_policy *p, const float *inp, int B, const float *v, float *out,
                                      float weight, float *acts, float *tangent, float *dhead) {
    const int H = p->action_dim;
    const size_t net_count = saferl_rl_mlp_param_count(&p->net);
    const float *head = saferl_rl_mlp_forward(&p->net, p->params, inp, acts, B);
    const float *jv = saferl_rl__mlp_jvp(&p->net, p->params, v, inp, acts, tangent, B);
    int b, j;
    for (b = 0; b < B; ++b) {
        const float *z = head + (size_t)b * H, *t = jv + (size_t)b * H;
        float *u = dhead + (size_t)b * H;
        if (p->action_kind == SAFERL_RL_DISCRETE) { /* (diag(p) - p p^T) t */
            float lse = saferl_rl__logsumexp(z, H), dot = 0.0f;
            for (j = 0; j < H; ++j) dot += expf(z[j] - lse) * t[j];
            for (j = 0; j < H; ++j) u[j] = weight * expf(z[j] - lse) * (t[j] - dot);
        } else {
            const float *log_std = p->params + net_count;
            for (j = 0; j < H; ++j) u[j] = weight * t[j] * expf(-2.0f * log_std[j]);
        }
    }
    /* the head's tangent is consumed: the tangent buffers become the backward scratch */
    saferl_rl_mlp_backward(&p->net, p->params, out, inp, acts, dhead, NULL, tangent, B);
    if (p->action_kind == SAFERL_RL_GAUSSIAN)
        for (j = 0; j < H; ++j) out[net_count + j] += weight * (float)B * 2.0f * v[net_count + j];
}

SAFERL_RL_API size_t saferl_rl_fvp_scratch_count(const saferl_rl_policy *policy, int B) {
    return saferl_rl_mlp_activation_count(&policy->net, B) +
           (size_t)(2 * B) * (size_t)saferl_rl__mlp_max_width(&policy->net) + (size_t)B * policy->action_dim;
}

SAFERL_RL_API void saferl_rl_policy_fvp(const saferl_rl_policy *policy, const float *inp, int B, const float *v,
                                        float *out, float damping, float *scratch) {
    size_t n = saferl_rl_policy_param_count(policy), i;
    float *acts = scratch, *tangent = acts + saferl_rl_mlp_activation_count(&policy->net, B);
    float *dhead = tangent + (size_t)(2 * B) * (size_t)saferl_rl__mlp_max_width(&policy->net);
    SAFERL_ASSERT(policy != NULL && B > 0);
    memset(out, 0, sizeof(float) * n);
    saferl_rl__fvp_accumulate(policy, inp, B, v, out, 1.0f / (float)B, acts, tangent, dhead);
    for (i = 0; i < n; ++i) out[i] += damping * v[i];
}

static double saferl_rl__dot(const float *x, const float *y, size_t n) {
    double s = 0.0;
    size_t i;
    for (i = 0; i < n; ++i) s += (double)x[i] * y[i];
    return s;
}

SAFERL_RL_API int saferl_rl_conjugate_gradient(saferl_rl_matvec apply, void *context, const float *b, float *x,
                                               size_t n, int iterations, float *work) {
    float *r = work, *p = work + n, *z = work + 2 * n;
    double rr, pz, alpha, rr_new;
    size_t i;
    int it;
    memset(x, 0, sizeof(float) * n);
    memcpy(r, b, sizeof(float) * n);
    memcpy(p, b, sizeof(float) * n);
    rr = saferl_rl__dot(r, r, n);
    for (it = 0; it < iterations; ++it) {
        if (sqrt(rr) < 1e-10) break;
        apply(context, p, z);
        pz = saferl_rl__dot(p, z, n);
        if (!(pz > 0.0)) break;
        alpha = rr / pz;
        for (i = 0; i < n; ++i) {
            x[i] += (float)(alpha * p[i]);
            r[i] -= (float)(alpha * z[i]);
        }
        rr_new = saferl_rl__dot(r, r, n);
        for (i = 0; i < n; ++i) p[i] = (float)(r[i] + (rr_new / rr) * p[i]);
        rr = rr_new;
    }
    return it;
}

#define SAFERL_RL__BIG 1e300

static double saferl_rl__clamp(double v, double lo, double hi) { /* max(lo, min(hi, v)), as the papers' code */
    v = v < hi ? v : hi;
    return v > lo ? v : lo;
}

SAFERL_RL_API saferl_result saferl_rl_cpo_dual(double q, double r, double s, double c, double delta, double bb,
                                               saferl_rl_cpo_step *step) {
    saferl_rl_cpo_step st;
    double A, B, lam_a, lam_b, bound, la, lb, fa, fb, lam;
    SAFERL_ASSERT(step != NULL);
    if (!saferl_rl__finite(q) || !saferl_rl__finite(r) || !saferl_rl__finite(s) || !saferl_rl__finite(c) ||
        !saferl_rl__finite(delta) || !saferl_rl__finite(bb) || !(q > 0.0) || s < 0.0 || !(delta > 0.0))
        return SAFERL_ERR_INVALID_ARGUMENT;
    memset(&st, 0, sizeof st);
    lam_b = sqrt(q / (2.0 * delta)); /* the trust region's multiplier without the constraint */
    if ((bb <= 1e-8 || !(s > 0.0)) && c < 0.0) {
        st.optim_case = 4;
        st.lambda = lam_b;
        st.x_coef = 1.0 / lam_b;
        *step = st;
        return SAFERL_OK;
    }
    if (!(s > 0.0)) return SAFERL_ERR_INFEASIBLE;
    A = q - r * r / s; /* >= 0 by Cauchy-Schwarz in the H^-1 inner product; rounding aside */
    B = 2.0 * delta - c * c / s;
    if (c < 0.0 && B < 0.0) {
        st.optim_case = 3;
        st.lambda = lam_b;
        st.x_coef = 1.0 / lam_b;
    } else if (c >= 0.0 && B < 0.0) {
        st.optim_case = 0;
        st.p_coef = sqrt(2.0 * delta / s);
    } else {
        st.optim_case = c < 0.0 ? 2 : 1;
        /* the papers' code writes the dual for the descent gradient -g: r changes sign */
        r = -r;
        if (A < 1e-12 * q) A = 1e-12 * q;
        lam_a = B > 0.0 ? sqrt(A / B) : SAFERL_RL__BIG;
        /* nu* = (lambda c - r)_+ / s is positive on Lambda_a, zero on Lambda_b */
        bound = c != 0.0 ? r / c : (r > 0.0 ? SAFERL_RL__BIG : (r < 0.0 ? -SAFERL_RL__BIG : 0.0));
        if (c < 0.0) {
            la = saferl_rl__clamp(lam_a, 0.0, bound);
            lb = saferl_rl__clamp(lam_b, bound, SAFERL_RL__BIG);
        } else {
            la = saferl_rl__clamp(lam_a, bound, SAFERL_RL__BIG);
            lb = saferl_rl__clamp(lam_b, 0.0, bound);
        }
        /* an empty interval clamps to 0, where the dual is -infinity: the other one wins */
        fa = la > 0.0 && la < SAFERL_RL__BIG ? -0.5 * (A / la + B * la) - r * c / s : -SAFERL_RL__BIG;
        fb = lb > 0.0 && lb < SAFERL_RL__BIG ? -0.5 * (q / lb + 2.0 * delta * lb) : -SAFERL_RL__BIG;
        if (fa <= -SAFERL_RL__BIG && fb <= -SAFERL_RL__BIG) return SAFERL_ERR_DID_NOT_CONVERGE;
        lam = fa >= fb ? la : lb;
        st.lambda = lam;
        st.nu = lam * c - r > 0.0 ? (lam * c - r) / s : 0.0;
        st.x_coef = 1.0 / lam;
        st.p_coef = st.nu / lam;
    }
    *step = st;
    return SAFERL_OK;
}

SAFERL_RL_API int saferl_rl_cpo_accept(int optim_case, double kl, double delta, double reward_improvement,
                                       double cost_change, double c) {
    if (!saferl_rl__finite(kl) || !saferl_rl__finite(reward_improvement) || !saferl_rl__finite(cost_change))
        return 0;
    if (kl > delta) return 0;
    if (optim_case > 1 && reward_improvement < 0.0) return 0;
    return cost_change <= (c < 0.0 ? -c : 0.0);
}

SAFERL_RL_API saferl_result saferl_rl_pcpo_step(double q, double r, double s, double c, double delta,
                                                saferl_rl_cpo_step *step) {
    saferl_rl_cpo_step st;
    double violation;
    SAFERL_ASSERT(step != NULL);
    if (!saferl_rl__finite(q) || !saferl_rl__finite(r) || !saferl_rl__finite(s) || !saferl_rl__finite(c) ||
        !saferl_rl__finite(delta) || !(q > 0.0) || s < 0.0 || !(delta > 0.0))
        return SAFERL_ERR_INVALID_ARGUMENT;
    memset(&st, 0, sizeof st);
    st.x_coef = sqrt(2.0 * delta / q);
    st.lambda = 1.0 / st.x_coef;
    violation = st.x_coef * r + c; /* the linearised constraint after the reward step */
    if (violation > 0.0) {
        if (!(s > 0.0)) return SAFERL_ERR_INFEASIBLE;
        st.nu = violation / s;
        st.p_coef = st.nu;
        st.optim_case = 1;
    } else {
        st.optim_case = 3;
    }
    *step = st;
    return SAFERL_OK;
}

/* ---- flipping-based mixtures -------------------------------------------------------------- */

SAFERL_RL_API saferl_result saferl_rl_mixture_solve(const double *value, const double *constraint, int count,
                                                    double limit, saferl_rl_mixture *mixture) {
    saferl_rl_mixture best;
    int i, j, found = 0;
    SAFERL_ASSERT(mixture != NULL);
    if (!value || !constraint || count < 1 || !saferl_rl__finite(limit)) return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < count; ++i)
        if (!saferl_rl__finite(value[i]) || !saferl_rl__finite(constraint[i])) return SAFERL_ERR_INVALID_ARGUMENT;
    memset(&best, 0, sizeof best);
    for (i = 0; i < count; ++i) {
        if (constraint[i] > limit) continue;
        if (!found || value[i] > best.value) { /* one policy: the constraint may be slack */
            best.first = best.second = i;
            best.first_weight = 1.0;
            best.value = value[i];
            best.constraint = constraint[i];
            found = 1;
        }
        for (j = 0; j < count; ++j) { /* i feasible, j not: the mixture on the constraint */
            double w, v;
            if (!(constraint[j] > limit)) continue;
            w = (constraint[j] - limit) / (constraint[j] - constraint[i]);
            v = w * value[i] + (1.0 - w) * value[j];
            if (v > best.value) {
                best.first = i;
                best.second = j;
                best.first_weight = w;
                best.value = v;
                best.constraint = w * constraint[i] + (1.0 - w) * constraint[j];
            }
        }
    }
    if (!found) return SAFERL_ERR_INFEASIBLE;
    *mixture = best;
    return SAFERL_OK;
}

/* The mixture's coin: 0 (the first policy) with probability first_weight, else 1. */
static int saferl_rl__toss(saferl_rng *coin, double first_weight) {
    return saferl_rng_uniform(coin) < first_weight ? 0 : 1;
}

SAFERL_RL_API void saferl_rl_flip_begin_episode(saferl_rl_flip_policy *flip, saferl_rng *coin) {
    SAFERL_ASSERT(flip != NULL && coin != NULL);
    if (flip->mode == SAFERL_RL_FLIP_PER_EPISODE) flip->current = saferl_rl__toss(coin, flip->first_weight);
}

SAFERL_RL_API saferl_result saferl_rl_flip_act(saferl_rl_flip_policy *flip, const float *observation,
                                               float *action, saferl_rng *coin, saferl_rng *rng) {
    int which;
    SAFERL_ASSERT(flip != NULL && coin != NULL);
    which = flip->mode == SAFERL_RL_FLIP_PER_STEP ? saferl_rl__toss(coin, flip->first_weight) : flip->current;
    return saferl_rl_policy_act(which == 0 ? flip->first : flip->second, flip->context, observation, action, rng);
}

/* Something that acts for whole episodes: begin is called after each reset (a per-episode coin),
   act for every step. */
typedef struct saferl_rl__episode_actor {
    void (*begin)(void *actor);
    saferl_result (*act)(void *actor, const float *observation, float *action);
    void *actor;
} saferl_rl__episode_actor;

/* `episodes` episodes of env from seed's environment stream, acted by actor: the mean return and
   cost (the first cost), the fraction of episodes with any cost, the environment steps taken.
   Any output may be NULL; on error the outputs are untouched. */
static saferl_result saferl_rl__run_episodes(const saferl_rl_env *env, saferl_rl__episode_actor *actor, int episodes,
                                             int max_steps, uint32_t seed, double *mean_return, double *mean_cost,
                                             double *violation_probability, long *steps) {
    float obs[SAFERL_RL_MAX_WIDTH], action[SAFERL_RL_MAX_WIDTH];
    saferl_rng env_rng;
    double total_return = 0.0, total_cost = 0.0;
    long taken = 0;
    int e, t, violations = 0;
    saferl_result r;
    saferl_rng_seed(&env_rng, seed);
    for (e = 0; e < episodes; ++e) {
        double episode_cost = 0.0;
        r = env->reset(env->state, &env_rng, obs);
        if (r != SAFERL_OK) return r;
        if (actor->begin) actor->begin(actor->actor);
        for (t = 0;; ++t) {
            float reward, cost, costs[SAFERL_RL_MAX_COSTS] = {0.0f}; /* several costs: the first is measured */
            int terminated = 0, truncated = 0;
            if (max_steps > 0 && t >= max_steps) break;
            if (max_steps <= 0 && t >= SAFERL_RL_EPISODE_STEP_LIMIT) return SAFERL_ERR_DID_NOT_CONVERGE;
            r = actor->act(actor->actor, obs, action);
            if (r != SAFERL_OK) return r;
            r = env->step(env->state, &env_rng, action, obs, &reward, costs, &terminated, &truncated);
            cost = costs[0];
            if (r != SAFERL_OK) return r;
            if (!saferl_rl__finite(reward) || !saferl_rl__finite(cost)) return SAFERL_ERR_NOT_FINITE;
            total_return += reward;
            episode_cost += cost;
            taken += 1;
            if (terminated || truncated) break;
        }
        total_cost += episode_cost;
        if (episode_cost > 0.0) violations += 1;
    }
    if (mean_return) *mean_return = total_return / episodes;
    if (mean_cost) *mean_cost = total_cost / episodes;
    if (violation_probability) *violation_probability = (double)violations / episodes;
    if (steps) *steps = taken;
    return SAFERL_OK;
}

/* flip_evaluate's actor: the flip policy with its coin and action streams. */
typedef struct saferl_rl__flip_actor {
    saferl_rl_flip_policy *flip;
    saferl_rng *coin, *rng;
} saferl_rl__flip_actor;

static void saferl_rl__flip_actor_begin(void *actor) {
    saferl_rl__flip_actor *f = (saferl_rl__flip_actor *)actor;
    saferl_rl_flip_begin_episode(f->flip, f->coin);
}

static saferl_result saferl_rl__flip_actor_act(void *actor, const float *observation, float *action) {
    saferl_rl__flip_actor *f = (saferl_rl__flip_actor *)actor;
    return saferl_rl_flip_act(f->flip, observation, action, f->coin, f->rng);
}

SAFERL_RL_API saferl_result saferl_rl_flip_evaluate(saferl_rl_flip_policy *flip, const saferl_rl_env *env,
                                                    int episodes, int max_steps, int deterministic, uint32_t seed,
                                                    double *mean_return, double *mean_cost,
                                                    double *violation_probability) {
    saferl_rng act_rng, coin;
    saferl_rl__flip_actor f;
    saferl_rl__episode_actor actor;
    saferl_result r;
    if (!flip || !flip->first || !flip->second || !env || episodes < 1 ||
        !(flip->first_weight >= 0.0 && flip->first_weight <= 1.0))
        return SAFERL_ERR_INVALID_ARGUMENT;
    r = saferl_rl_policy_check_env(flip->first, env);
    if (r == SAFERL_OK) r = saferl_rl_policy_check_env(flip->second, env);
    if (r != SAFERL_OK) return r;
    saferl_rng_seed(&act_rng, seed ^ 0x5bd1e995u);
    saferl_rng_seed(&coin, seed ^ 0x9e3779b9u); /* its own stream: one policy evaluates as before */
    f.flip = flip;
    f.coin = &coin;
    f.rng = deterministic ? NULL : &act_rng;
    actor.begin = saferl_rl__flip_actor_begin;
    actor.act = saferl_rl__flip_actor_act;
    actor.actor = &f;
    return saferl_rl__run_episodes(env, &actor, episodes, max_steps, seed, mean_return, mean_cost,
                                   violation_probability, NULL);
}

/* ---- training: the agent's desc ----------------------------------------------------------- */

/* The relative multiplier's defaults (see ALGORITHMS, "multiplier scale"): lambda moves by
   lambda_lr times the relative violation an epoch; PID gains on the same violation. */
#define SAFERL_RL__LAMBDA_LR 2.0
#define SAFERL_RL__PID_KP 1.0
#define SAFERL_RL__PID_KI 2.0
#define SAFERL_RL__PID_KD SAFERL_RL_NONE
#define SAFERL_RL__LAMBDA_KP 1.0
#define SAFERL_RL__NU_KP 10.0 /* FOCOPS and CUP's nu (ALGORITHMS, "damping nu") */
#define SAFERL_RL__COST_TEST_Z 1.645 /* CPO and PCPO: the one-sided 95% bound (ALGORITHMS, "the cost test's bound") */

SAFERL_RL_API saferl_rl_desc saferl_rl_desc_defaults(const saferl_rl_desc *desc) {
    saferl_rl_desc d;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (d.hidden_count == 0) {
        if (d.hidden[0] == 0) {
            d.hidden[0] = d.hidden[1] = 64;
            d.hidden_count = 2;
        } else {
            while (d.hidden_count < SAFERL_RL_MAX_LAYERS - 1 && d.hidden[d.hidden_count] > 0) ++d.hidden_count;
        }
    } else if (d.hidden_count < 0) {
        d.hidden_count = 0;
    }
    if (d.steps_per_epoch == 0) d.steps_per_epoch = 2000;
    if (d.update_iters == 0) d.update_iters = 10;
    if (d.minibatch == 0) d.minibatch = 64;
    if (d.clip == 0.0) d.clip = 0.2;
    if (d.target_kl == 0.0) d.target_kl = 0.02;
    if (d.gamma == 0.0) d.gamma = 0.99;
    if (d.lambda == 0.0) d.lambda = 0.95;
    if (d.cost_gamma == 0.0) d.cost_gamma = 0.99;
    if (d.cost_lambda == 0.0) d.cost_lambda = 0.95;
    if (d.actor_lr == 0.0) d.actor_lr = 3e-4;
    if (d.critic_lr == 0.0) d.critic_lr = 1e-3;
    if (d.max_grad_norm == 0.0) d.max_grad_norm = 40.0;
    if (d.critic_norm_coef == 0.0) d.critic_norm_coef = 0.001;
    if (d.lagrange_init == 0.0) d.lagrange_init = 0.001;
    if (d.multiplier_scale == SAFERL_RL_MULTIPLIER_COST_UNITS) {
        if (d.lambda_lr == 0.0) d.lambda_lr = 0.035;
        if (d.pid_kp == 0.0) d.pid_kp = 0.1;
        if (d.pid_ki == 0.0) d.pid_ki = 0.01;
        if (d.pid_kd == 0.0) d.pid_kd = 0.01;
        if (d.lambda_kp == 0.0) d.lambda_kp = SAFERL_RL_NONE;
    } else {
        if (d.lambda_lr == 0.0) d.lambda_lr = SAFERL_RL__LAMBDA_LR;
        if (d.pid_kp == 0.0) d.pid_kp = SAFERL_RL__PID_KP;
        if (d.pid_ki == 0.0) d.pid_ki = SAFERL_RL__PID_KI;
        if (d.pid_kd == 0.0) d.pid_kd = SAFERL_RL__PID_KD;
        if (d.lambda_kp == 0.0)
            d.lambda_kp = d.algorithm == SAFERL_RL_FOCOPS || d.algorithm == SAFERL_RL_CUP ? SAFERL_RL__NU_KP : SAFERL_RL__LAMBDA_KP;
    }
    if (d.pid_delay == 0) d.pid_delay = 1;
    if (d.episode_window == 0) d.episode_window = 100;
    if (d.cost_estimate == SAFERL_RL_COST_ESTIMATE_DEFAULT)
        d.cost_estimate = d.multiplier_scale == SAFERL_RL_MULTIPLIER_COST_UNITS ? SAFERL_RL_COST_WINDOW : SAFERL_RL_COST_EPOCH;
    if (d.lagrange_max == 0.0)
        d.lagrange_max = d.multiplier_scale == SAFERL_RL_MULTIPLIER_COST_UNITS ? 2.0 : SAFERL_RL_NONE;
    if (d.focops_temperature == 0.0) d.focops_temperature = 1.5;
    if (d.focops_kl_bound == 0.0) d.focops_kl_bound = 0.02;
    if (d.trust_region == 0.0) d.trust_region = 0.01;
    if (d.cg_iters == 0) d.cg_iters = 15;
    if (d.cg_damping == 0.0) d.cg_damping = 0.1;
    if (d.line_search_steps == 0) d.line_search_steps = 15;
    if (d.cost_test_z == 0.0 && (d.algorithm == SAFERL_RL_CPO || d.algorithm == SAFERL_RL_PCPO))
        d.cost_test_z = SAFERL_RL__COST_TEST_Z;
    return d;
}

/* SAFERL_RL_NONE is read as zero where it means zero (a gain, a coefficient, lambda_0). */
static double saferl_rl__setting(double v) { return v == SAFERL_RL_NONE ? 0.0 : v; }

/* ---- training: what an algorithm is -------------------------------------------------------- */

/* Every algorithm is one row of saferl_rl__algorithms (below the updates). An epoch is
      rollout -> advantages -> multiplier update -> row->update_actor -> row->update_critics
   and the row says what each step needs: the multiplier's rule, how the reward step's
   advantage mixes in the cost, whether it takes a second-order step (the trust-region
   scratch) and which reference distribution its KL is measured from (the memory layout
   sizes every part from these). The on-policy rows train the critics inside the actor's
   minibatch passes (OmniSafe's loop) or, after a trust-region step, in passes of their own.
   An off-policy row (TD3, SAC) would bring a replay buffer and Q critics as further parts
   and its own update_critics; the epoch's shape stays. */
typedef enum saferl_rl__multiplier_rule {
    SAFERL_RL__NO_MULTIPLIER = 0,
    SAFERL_RL__DUAL_ASCENT = 1,       /* lambda_lr, lambda_optimizer */
    SAFERL_RL__PID = 2                /* pid_kp, pid_ki, pid_kd, pid_ema_alpha, pid_delay */
} saferl_rl__multiplier_rule;

typedef enum saferl_rl__mixing {
    SAFERL_RL__REWARD_ALONE = 0,      /* the reward advantage (the cost enters elsewhere, if at all) */
    SAFERL_RL__MIX_NORMALISED = 1,    /* (A_R - lambda A_C) / (1 + lambda) */
    SAFERL_RL__MIX_PLAIN = 2          /* A_R - nu A_C (FOCOPS's paper) */
} saferl_rl__mixing;

typedef enum saferl_rl__reference {
    SAFERL_RL__NO_REFERENCE = 0,
    SAFERL_RL__ROLLOUT_REFERENCE = 1, /* the KL from the rollout's policy (FOCOPS) */
    SAFERL_RL__MIDPOINT_REFERENCE = 2 /* the KL from the actor after a first stage (CUP) */
} saferl_rl__reference;

typedef enum saferl_rl__actor_loss {
    SAFERL_RL__LOSS_NONE = 0,         /* no actor step: the critics alone */
    SAFERL_RL__LOSS_PPO_CLIP = 1,
    SAFERL_RL__LOSS_FOCOPS = 2,
    SAFERL_RL__LOSS_CUP = 3
} saferl_rl__actor_loss;

/* A second-order step: which dual or projection gives it, whether the cost constrains it,
   and the case its line search tests (-1: the step's own). */
typedef struct saferl_rl__trust_region_rule {
    int constrained;
    int accept_case;
    saferl_result (*step)(double q, double r, double s, double c, double delta, double bb, saferl_rl_cpo_step *st);
} saferl_rl__trust_region_rule;

/* What one epoch's update knows and what it reports (the rows fill the second half). */
typedef struct saferl_rl__update {
    const struct saferl_rl__algorithm_row *row;
    double cost_estimate[SAFERL_RL_MAX_COSTS]; /* J_C (desc.cost_estimate); NaN before an episode ends */
    double episode_length;            /* the epoch's mean (steps per environment when none finished) */
    float actor_lr, critic_lr;        /* this epoch's, after the linear decay */
    int passes;
    double kl, step_fraction, multiplier;
    float actor_loss, reward_critic_loss, cost_critic_loss;
    int optim_case;
} saferl_rl__update;

/* A sequence of minibatch passes (saferl_rl__minibatch_passes). */
typedef struct saferl_rl__passes {
    saferl_rl__actor_loss loss;
    int critics;                      /* the critics step in the same minibatches */
    const float *advantages;          /* the actor's advantage per rollout row */
    const float *reference;           /* heads the KL (and its early stop) is measured from */
    const float *reference_log_std;
    double cost_weight;               /* CUP's projection */
} saferl_rl__passes;

typedef struct saferl_rl__algorithm_row {
    const char *name;
    saferl_rl__multiplier_rule multiplier;
    int bounded_multiplier;           /* projected onto [0, lagrange_max] (FOCOPS, CUP) */
    saferl_rl__mixing mixing;
    const saferl_rl__trust_region_rule *trust_region; /* NULL: first order */
    saferl_rl__reference reference;
    void (*update_actor)(saferl_rl_agent *a, saferl_rl__update *u);
    void (*update_critics)(saferl_rl_agent *a, saferl_rl__update *u); /* NULL: inside update_actor */
} saferl_rl__algorithm_row;

/* ---- training: rollouts ------------------------------------------------------------------- */

/* GAE over one path [start, end) of values v and signal x, with the bootstrap value. */
static void saferl_rl__gae(const float *x, const float *v, float *adv, float *ret, int start, int end, double boot,
                           double gamma, double lambda) {
    double a = 0.0, next = boot;
    int i;
    for (i = end - 1; i >= start; --i) {
        double delta = x[i] + gamma * next - v[i];
        a = delta + gamma * lambda * a;
        adv[i] = (float)a;
        ret[i] = (float)(a + v[i]);
        next = v[i];
    }
}

/* boot: the reward's bootstrap value, then each cost's at stride apart. */
static void saferl_rl__finish_path(saferl_rl_agent *a, int start, int end, const float *boot, int stride) {
    const size_t N = (size_t)a->desc.steps_per_epoch;
    int k;
    saferl_rl__gae(a->rollout.rewards, a->rollout.reward_values, a->rollout.reward_advantages,
                   a->rollout.reward_returns, start, end, boot[0], a->desc.gamma, a->desc.lambda);
    for (k = 0; k < a->networks.cost_count; ++k)
        saferl_rl__gae(a->rollout.costs + k * N, a->rollout.cost_values + k * N, a->rollout.cost_advantages + k * N,
                       a->rollout.cost_returns + k * N, start, end, boot[(size_t)(1 + k) * stride], a->desc.cost_gamma,
                       a->desc.cost_lambda);
}

static float *saferl_rl__critic_params(saferl_rl_agent *a, int which) {
    return a->networks.params + a->networks.actor_count + (size_t)which * a->networks.critic_count;
}

/* Critic values for B normalised observations: the reward critic's into values[0, B), cost
   critic k's into values[(1 + k) B, (2 + k) B). */
static void saferl_rl__values(saferl_rl_agent *a, const float *x, int B, float *values) {
    const float *out = saferl_rl_mlp_forward(&a->networks.reward_critic, saferl_rl__critic_params(a, 0), x,
                                             a->work.acts_reward, B);
    int b, k;
    for (b = 0; b < B; ++b) values[b] = out[b];
    for (k = 0; k < a->networks.cost_count; ++k) {
        float *vc = values + (size_t)(1 + k) * B;
        out = saferl_rl_mlp_forward(&a->networks.cost_critic, saferl_rl__critic_params(a, 1 + k), x, a->work.acts_cost, B);
        for (b = 0; b < B; ++b) vc[b] = out[b];
    }
}

static saferl_result saferl_rl__reset_all(saferl_rl_agent *a) {
    const int O = a->actor.observation_dim;
    int e;
    for (e = 0; e < a->environments.count; ++e) {
        saferl_rl_env *env = &a->environments.envs[e];
        float *obs = a->environments.observations + (size_t)e * O;
        saferl_result r = env->reset(env->state, &a->environments.rngs[e], obs);
        if (r != SAFERL_OK) return r;
        if (!saferl_rl__all_finite(obs, O)) return SAFERL_ERR_NOT_FINITE;
        a->environments.episode_return[e] = 0.0;
        memset(a->environments.episode_cost + (size_t)e * a->networks.cost_count, 0,
               sizeof(double) * (size_t)a->networks.cost_count);
    }
    return SAFERL_OK;
}

/* Accumulates raw observations for the normaliser (committed after a good rollout). */
static void saferl_rl__pending_observe(saferl_rl_agent *a, const float *obs) {
    int i, O = a->actor.observation_dim;
    double *s = a->normalizer.pending;
    s[0] += 1.0;
    for (i = 0; i < O; ++i) {
        s[1 + i] += obs[i];
        s[1 + O + i] += (double)obs[i] * obs[i];
    }
}

/* Chan et al.'s parallel merge of the pending batch into the running mean and M2. */
static void saferl_rl__commit_normalizer(saferl_rl_agent *a) {
    int i, O = a->actor.observation_dim;
    double *s = a->normalizer.count_mean_m2, *p = a->normalizer.pending, n = p[0], total;
    if (!a->actor.obs_mean || n <= 0.0) return;
    total = s[0] + n;
    for (i = 0; i < O; ++i) {
        double mean_b = p[1 + i] / n, m2_b = p[1 + O + i] - n * mean_b * mean_b;
        double delta = mean_b - s[1 + i];
        if (m2_b < 0.0) m2_b = 0.0;
        s[1 + O + i] += m2_b + delta * delta * s[0] * n / total;
        s[1 + i] += delta * n / total;
        a->actor.obs_mean[i] = (float)s[1 + i];
        a->actor.obs_std[i] = (float)(total > 1.0 ? sqrt(s[1 + O + i] / total) : 1.0);
        if (!(a->actor.obs_std[i] >= 1e-2f)) a->actor.obs_std[i] = 1e-2f;
    }
    s[0] = total;
}

/* Environment e's part of rollout row idx before the step: records the observation, samples
   the action and keeps the critics' values. head, values: the actor's and critics' outputs
   for the environments' current observations (saferl_rl__values' layout). */
static void saferl_rl__rollout_act(saferl_rl_agent *a, int e, int idx, const float *head, const float *values) {
    const int O = a->actor.observation_dim, H = a->networks.head_width, Ad = a->networks.stored_action_dim;
    const int E = a->environments.count, K = a->networks.cost_count;
    const size_t N = (size_t)a->desc.steps_per_epoch;
    int i, k;
    float *actions = a->rollout.actions + (size_t)idx * Ad, *env_actions = a->environments.actions + (size_t)e * Ad;
    memcpy(a->rollout.observations + (size_t)idx * O, a->environments.normalized + (size_t)e * O,
           sizeof(float) * (size_t)O);
    saferl_rl__pending_observe(a, a->environments.observations + (size_t)e * O);
    memcpy(a->rollout.old_heads + (size_t)idx * H, head + (size_t)e * H, sizeof(float) * (size_t)H);
    a->rollout.logp_old[idx] = saferl_rl__sample(&a->actor, head + (size_t)e * H, actions, &a->rng);
    a->rollout.reward_values[idx] = values[e];
    for (k = 0; k < K; ++k) a->rollout.cost_values[k * N + (size_t)idx] = values[(size_t)(1 + k) * E + (size_t)e];
    for (i = 0; i < Ad; ++i)
        env_actions[i] = a->actor.action_kind == SAFERL_RL_GAUSSIAN ? saferl_rl__clampf(actions[i], -1.0f, 1.0f)
                                                                    : actions[i];
}

/* Steps every environment once on environments.actions into next_observations and the
   step's rewards, costs and flags: one step_batch call when the environments have one, else
   step copy by copy. Each copy has its own state and rng, so the two give the same bits. */
static saferl_result saferl_rl__step_environments(saferl_rl_agent *a) {
    const int O = a->actor.observation_dim, Ad = a->networks.stored_action_dim;
    const int E = a->environments.count, K = a->networks.cost_count;
    const saferl_rl_env *envs = a->environments.envs;
    int e;
    memset(a->environments.rewards, 0, sizeof(float) * (size_t)E);
    memset(a->environments.costs, 0, sizeof(float) * (size_t)E * K);
    memset(a->environments.terminated, 0, sizeof(int) * (size_t)E);
    memset(a->environments.truncated, 0, sizeof(int) * (size_t)E);
    if (envs[0].step_batch)
        return envs[0].step_batch(a->environments.states, a->environments.rngs, E, a->environments.actions,
                                  a->environments.next_observations, a->environments.rewards, a->environments.costs,
                                  a->environments.terminated, a->environments.truncated);
    for (e = 0; e < E; ++e) {
        saferl_result r = envs[e].step(envs[e].state, &a->environments.rngs[e], a->environments.actions + (size_t)e * Ad,
                                       a->environments.next_observations + (size_t)e * O, &a->environments.rewards[e],
                                       a->environments.costs + (size_t)e * K, &a->environments.terminated[e],
                                       &a->environments.truncated[e]);
        if (r != SAFERL_OK) return r;
    }
    return SAFERL_OK;
}

/* Environment e's part of rollout row idx after the step: records the reward and costs and,
   when its episode ended, computes the path's GAE, queues the episode's statistics and
   resets the environment. cost_sum: per cost. */
static saferl_result saferl_rl__rollout_record(saferl_rl_agent *a, int e, int idx, int *episodes, double *cost_sum) {
    const int O = a->actor.observation_dim, K = a->networks.cost_count;
    const size_t N = (size_t)a->desc.steps_per_epoch;
    const float reward = a->environments.rewards[e], *costs = a->environments.costs + (size_t)e * K;
    float *next = a->environments.next_observations + (size_t)e * O;
    double *episode_cost = a->environments.episode_cost + (size_t)e * K;
    saferl_rl_env *env = &a->environments.envs[e];
    int k;
    saferl_result r;
    if (!saferl_rl__finite(reward) || !saferl_rl__all_finite(costs, K) || !saferl_rl__all_finite(next, O))
        return SAFERL_ERR_NOT_FINITE;
    a->rollout.rewards[idx] = reward;
    a->environments.episode_return[e] += reward;
    for (k = 0; k < K; ++k) {
        a->rollout.costs[k * N + (size_t)idx] = costs[k];
        cost_sum[k] += costs[k];
        episode_cost[k] += costs[k];
    }
    if (a->environments.terminated[e] || a->environments.truncated[e]) {
        float boot[1 + SAFERL_RL_MAX_COSTS] = {0.0f};
        if (!a->environments.terminated[e]) { /* a time limit: bootstrap from the final observation */
            float *x = a->environments.normalized + (size_t)e * O;
            saferl_rl__normalize(&a->actor, next, x, 1);
            saferl_rl__values(a, x, 1, boot);
        }
        saferl_rl__finish_path(a, a->environments.path_start[e], idx + 1, boot, 1);
        a->environments.path_start[e] = idx + 1;
        a->episodes.pending_returns[*episodes] = (float)a->environments.episode_return[e];
        for (k = 0; k < K; ++k) a->episodes.pending_costs[(size_t)*episodes * K + k] = (float)episode_cost[k];
        *episodes += 1;
        a->environments.episode_return[e] = 0.0;
        memset(episode_cost, 0, sizeof(double) * (size_t)K);
        r = env->reset(env->state, &a->environments.rngs[e], next);
        if (r != SAFERL_OK) return r;
        if (!saferl_rl__all_finite(next, O)) return SAFERL_ERR_NOT_FINITE;
    }
    return SAFERL_OK;
}

/* steps_per_epoch steps over the environments in lockstep into the rollout buffers, with
   each path's GAE. The statistics go to pending buffers the epoch commits on success;
   steps_cost gets each cost's sum. */
static saferl_result saferl_rl__rollout(saferl_rl_agent *a, int *episodes_out, double *steps_cost) {
    const int O = a->actor.observation_dim, H = a->networks.head_width, E = a->environments.count;
    const int T = a->environments.steps_each;
    float *values = a->environments.values;
    int t, e, i, episodes = 0;
    saferl_result r;
    if (a->environments.needs_reset) {
        r = saferl_rl__reset_all(a);
        if (r != SAFERL_OK) return r;
        a->environments.needs_reset = 0;
    }
    memset(a->normalizer.pending, 0, sizeof(double) * (1 + 2 * (size_t)O));
    for (i = 0; i < a->networks.cost_count; ++i) steps_cost[i] = 0.0;
    for (e = 0; e < E; ++e) a->environments.path_start[e] = e * T;
    if (a->actor.action_kind == SAFERL_RL_GAUSSIAN)
        for (i = 0; i < H; ++i) a->rollout.old_log_std[i] = a->networks.params[saferl_rl_mlp_param_count(&a->actor.net) + i];
    for (t = 0; t < T; ++t) {
        const float *head;
        saferl_rl__normalize(&a->actor, a->environments.observations, a->environments.normalized, E);
        head = saferl_rl_mlp_forward(&a->actor.net, a->networks.params, a->environments.normalized, a->work.acts_actor, E);
        saferl_rl__values(a, a->environments.normalized, E, values);
        for (e = 0; e < E; ++e) saferl_rl__rollout_act(a, e, e * T + t, head, values);
        r = saferl_rl__step_environments(a);
        if (r != SAFERL_OK) return r;
        for (e = 0; e < E; ++e) {
            r = saferl_rl__rollout_record(a, e, e * T + t, &episodes, steps_cost);
            if (r != SAFERL_OK) return r;
        }
        memcpy(a->environments.observations, a->environments.next_observations, sizeof(float) * (size_t)E * O);
    }
    /* the epoch cuts the open episodes: bootstrap with V(current observation) */
    saferl_rl__normalize(&a->actor, a->environments.observations, a->environments.normalized, E);
    saferl_rl__values(a, a->environments.normalized, E, values);
    for (e = 0; e < E; ++e)
        if (a->environments.path_start[e] < (e + 1) * T)
            saferl_rl__finish_path(a, a->environments.path_start[e], (e + 1) * T, values + e, E);
    *episodes_out = episodes;
    return SAFERL_OK;
}

/* ---- training: advantages and the multiplier ----------------------------------------------- */

/* The mean of n window entries stride apart (NaN for none). */
static double saferl_rl__window_mean(const float *w, int n, int stride) {
    double s = 0.0;
    int i;
    if (n == 0) return saferl_rl__nan();
    for (i = 0; i < n; ++i) s += w[(size_t)i * stride];
    return s / n;
}

/* The factor that standardises constraint k's centred cost advantages for a relative multiplier:
   1 / their standard deviation (unbiased, as the reward's), or 0 when the rollout met no cost of
   that kind (its advantages are then only the critic's error, and no signal to weigh). */
static double saferl_rl__cost_advantage_scale(const saferl_rl_agent *a, int k, double mean) {
    const int N = a->desc.steps_per_epoch;
    const float *adv = a->rollout.cost_advantages + (size_t)k * N, *cost = a->rollout.costs + (size_t)k * N;
    double var = 0.0;
    int i, any = 0;
    for (i = 0; i < N; ++i) {
        any = any || cost[i] != 0.0f;
        var += (adv[i] - mean) * (adv[i] - mean);
    }
    var = N > 1 ? var / (N - 1) : 0.0;
    return any && var > 0.0 ? 1.0 / sqrt(var) : 0.0;
}

/* Once per epoch, as OmniSafe: reward advantages standardised (torch.std, unbiased), each
   cost's advantages centred (and standardised for a relative multiplier). A mixing row's reward advantage takes the centred cost
   advantages weighted by the multipliers, formed in double before it is stored. */
static void saferl_rl__advantages(saferl_rl_agent *a, saferl_rl__mixing mixing, const double *multipliers,
                                  int standardise_costs) {
    const int N = a->desc.steps_per_epoch, K = a->networks.cost_count;
    float *adv_r = a->rollout.reward_advantages, *adv_c = a->rollout.cost_advantages;
    double mean = 0.0, var = 0.0, cost_mean[SAFERL_RL_MAX_COSTS], cost_scale[SAFERL_RL_MAX_COSTS], norm = 1.0;
    int i, k;
    for (i = 0; i < N; ++i) mean += adv_r[i];
    mean /= N;
    for (i = 0; i < N; ++i) var += (adv_r[i] - mean) * (adv_r[i] - mean);
    var = N > 1 ? var / (N - 1) : 0.0;
    for (i = 0; i < N; ++i) adv_r[i] = (float)((adv_r[i] - mean) / (sqrt(var) + 1e-8));
    for (k = 0; k < K; ++k) {
        const float *c = adv_c + (size_t)k * N;
        cost_mean[k] = 0.0;
        for (i = 0; i < N; ++i) cost_mean[k] += c[i];
        cost_mean[k] /= N;
        cost_scale[k] = standardise_costs ? saferl_rl__cost_advantage_scale(a, k, cost_mean[k]) : 1.0;
    }
    if (mixing != SAFERL_RL__REWARD_ALONE) { /* FOCOPS's paper: A_R - sum nu A_C; the others / (1 + sum lambda) */
        double total = 0.0;
        for (k = 0; k < K; ++k) total += multipliers[k];
        if (mixing == SAFERL_RL__MIX_NORMALISED) norm = 1.0 + total;
        for (i = 0; i < N; ++i) {
            double penalty = 0.0;
            for (k = 0; k < K; ++k) penalty += multipliers[k] * ((adv_c[(size_t)k * N + i] - cost_mean[k]) * cost_scale[k]);
            adv_r[i] = (float)((adv_r[i] - penalty) / norm);
        }
    }
    for (k = 0; k < K; ++k)
        for (i = 0; i < N; ++i)
            adv_c[(size_t)k * N + i] = (float)((adv_c[(size_t)k * N + i] - cost_mean[k]) * cost_scale[k]);
}

/* lambda projected onto [0, lagrange_max] (bounded: FOCOPS, CUP) or [0, inf). */
static double saferl_rl__project_multiplier(const saferl_rl_desc *d, double lambda, int bounded) {
    if (lambda < 0.0) lambda = 0.0;
    if (bounded && d->lagrange_max != SAFERL_RL_NONE && lambda > d->lagrange_max) lambda = d->lagrange_max;
    return lambda;
}

/* Constraint k's projected gradient step lambda <- max(0, lambda + lambda_lr (J_C - d)) (the
   paper's), or OmniSafe's Adam on the loss -lambda (J_C - d) (the step count advanced once
   an epoch by the caller); FOCOPS and CUP then project onto [0, lagrange_max]. */
static void saferl_rl__dual_ascent(saferl_rl_agent *a, int k, double error, int bounded) {
    const saferl_rl_desc *d = &a->desc;
    double *lambda = &a->multiplier.value[k];
    if (d->lambda_optimizer == SAFERL_RL_LAMBDA_SGD) {
        *lambda += d->lambda_lr * error;
    } else {
        double g = -error, mh, vh;
        a->multiplier.adam_m[k] = 0.9 * a->multiplier.adam_m[k] + 0.1 * g;
        a->multiplier.adam_v[k] = 0.999 * a->multiplier.adam_v[k] + 0.001 * g * g;
        mh = a->multiplier.adam_m[k] / (1.0 - pow(0.9, (double)a->multiplier.adam_step));
        vh = a->multiplier.adam_v[k] / (1.0 - pow(0.999, (double)a->multiplier.adam_step));
        *lambda -= d->lambda_lr * mh / (sqrt(vh) + 1e-8);
    }
    *lambda = saferl_rl__project_multiplier(d, *lambda, bounded);
}

/* Stooke, Achiam, Abbeel 2020, Algorithm 2, with OmniSafe's optional EMAs and delay, for
   constraint k (the caller advances the delay line once an epoch). */
static void saferl_rl__pid(saferl_rl_agent *a, int k, double cost_signal, double error) {
    const saferl_rl_desc *d = &a->desc;
    double derivative, lambda, *history = a->multiplier.pid_history + (size_t)k * d->pid_delay;
    double *smoothed_error = &a->multiplier.pid_error[k], *smoothed_cost = &a->multiplier.pid_cost[k];
    double *integral = &a->multiplier.pid_integral[k];
    if (d->pid_ema_alpha > 0.0) {
        *smoothed_error = d->pid_ema_alpha * *smoothed_error + (1.0 - d->pid_ema_alpha) * error;
        *smoothed_cost = d->pid_ema_alpha * *smoothed_cost + (1.0 - d->pid_ema_alpha) * cost_signal;
    } else {
        *smoothed_error = error;
        *smoothed_cost = cost_signal;
    }
    *integral += error;
    if (*integral < 0.0) *integral = 0.0;
    derivative = *smoothed_cost - history[a->multiplier.pid_history_next]; /* the oldest */
    if (derivative < 0.0) derivative = 0.0;
    history[a->multiplier.pid_history_next] = *smoothed_cost;
    lambda = saferl_rl__setting(d->pid_kp) * *smoothed_error + saferl_rl__setting(d->pid_ki) * *integral +
             saferl_rl__setting(d->pid_kd) * derivative;
    a->multiplier.value[k] = lambda > 0.0 ? lambda : 0.0;
}

/* A cost's violation per unit of its limit, (J - d) / |d| for d != 0: the relative rules' linear
   violation, the on-policy proportional term's and the off-policy multipliers' step. */
static double saferl_rl__violation_per_limit(double J, double d) { return (J - d) / fabs(d); }

/* Every constraint's multiplier from its J_C (none before the first episode has ended). The
   violation the dual ascent and the PID integrate is J_C - d in cost units, or relative,
   (J_C - d) / max(|J_C|, |d|): a pure number (in [-1, 1) for costs >= 0), 0 for J_C = d = 0, 1
   for any cost against a limit of 0. The PID's derivative acts on J_C in cost units and on the
   relative violation otherwise (the same thing up to the scale: d is constant). The dual ascent
   rows then apply lambda_kp e_p on top, e_p = (J_C - d) / |d| uncapped (the relative one when
   d = 0) or J_C - d in cost units: it answers the present violation in full and is gone when
   the cost is back under d (ALGORITHMS, "the proportional term"). FOCOPS and CUP's relative e_p
   is at most 1: their gain of 10 damps nu near the limit, where e_p is unchanged, without a push
   of 10 per limit of a first epoch's overshoot (ALGORITHMS, "bounded push"). */
static void saferl_rl__update_multipliers(saferl_rl_agent *a, const saferl_rl__algorithm_row *row,
                                          const double *cost_estimates) {
    const saferl_rl_desc *desc = &a->desc;
    const int relative = desc->multiplier_scale == SAFERL_RL_MULTIPLIER_RELATIVE;
    const double kp = saferl_rl__setting(desc->lambda_kp);
    int k;
    memcpy(a->multiplier.applied, a->multiplier.value, sizeof a->multiplier.applied);
    if (row->multiplier == SAFERL_RL__NO_MULTIPLIER || cost_estimates[0] != cost_estimates[0]) return;
    if (desc->lambda_optimizer == SAFERL_RL_LAMBDA_ADAM) a->multiplier.adam_step += 1;
    for (k = 0; k < desc->cost_count; ++k) {
        const double J = cost_estimates[k], d = desc->cost_limits[k], scale = fabs(J) > fabs(d) ? fabs(J) : fabs(d);
        double error = J - d, proportional = J - d;
        if (relative) error = scale > 0.0 ? error / scale : 0.0;
        if (relative) proportional = d != 0.0 ? saferl_rl__violation_per_limit(J, d) : error;
        if (relative && row->bounded_multiplier && proportional > 1.0) proportional = 1.0;
        if (row->multiplier == SAFERL_RL__PID) {
            saferl_rl__pid(a, k, relative ? error : J, error);
            a->multiplier.applied[k] = a->multiplier.value[k];
        } else {
            saferl_rl__dual_ascent(a, k, error, row->bounded_multiplier);
            a->multiplier.applied[k] = kp > 0.0 ? saferl_rl__project_multiplier(desc, a->multiplier.value[k] + kp * proportional,
                                                                                row->bounded_multiplier)
                                                : a->multiplier.value[k];
        }
    }
    if (row->multiplier == SAFERL_RL__PID)
        a->multiplier.pid_history_next = (a->multiplier.pid_history_next + 1) % desc->pid_delay;
}

/* ---- training: actor and critic updates ---------------------------------------------------- */

/* Mean over the batch of KL(pi_ref || pi), summed over action dimensions; pi_ref is the
   rollout's policy (old_heads, old_log_std) or CUP's mid-point. */
static double saferl_rl__batch_kl(saferl_rl_agent *a, const float *ref_dist, const float *ref_log_std) {
    const int N = a->desc.steps_per_epoch, O = a->actor.observation_dim, H = a->networks.head_width;
    const int Bm = a->networks.batch_max;
    const float *log_std = a->networks.params + saferl_rl_mlp_param_count(&a->actor.net);
    double total = 0.0;
    int start, b, j;
    for (start = 0; start < N; start += Bm) {
        int B = N - start < Bm ? N - start : Bm;
        const float *head = saferl_rl_mlp_forward(&a->actor.net, a->networks.params,
                                                  a->rollout.observations + (size_t)start * O, a->work.acts_actor, B);
        for (b = 0; b < B; ++b) {
            const float *z_new = head + (size_t)b * H, *z_old = ref_dist + (size_t)(start + b) * H;
            if (a->actor.action_kind == SAFERL_RL_DISCRETE) {
                float lse_new = saferl_rl__logsumexp(z_new, H), lse_old = saferl_rl__logsumexp(z_old, H);
                for (j = 0; j < H; ++j) {
                    double lp_old = z_old[j] - lse_old, lp_new = z_new[j] - lse_new;
                    total += exp(lp_old) * (lp_old - lp_new);
                }
            } else {
                for (j = 0; j < H; ++j) {
                    double var_old = exp(2.0 * ref_log_std[j]), var_new = exp(2.0 * log_std[j]);
                    double dm = (double)z_old[j] - z_new[j];
                    total += log_std[j] - ref_log_std[j] + (var_old + dm * dm) / (2.0 * var_new) - 0.5;
                }
            }
        }
    }
    return total / N;
}

/* One minibatch step of critic `which` (0 the reward's, 1 + k cost k's) towards target. */
static float saferl_rl__critic_step(saferl_rl_agent *a, int which, const float *target, int B, float lr) {
    saferl_rl_mlp *net = which == 0 ? &a->networks.reward_critic : &a->networks.cost_critic;
    float *params = saferl_rl__critic_params(a, which);
    size_t offset = (size_t)(params - a->networks.params), i, n = a->networks.critic_count;
    float *grads = a->networks.grads + offset, *acts = which == 0 ? a->work.acts_reward : a->work.acts_cost;
    const float *v;
    float loss, coef = (float)saferl_rl__setting(a->desc.critic_norm_coef);
    memset(grads, 0, sizeof(float) * n);
    v = saferl_rl_mlp_forward(net, params, a->minibatch.observations, acts, B);
    loss = saferl_rl_value_loss_forward(v, target, B);
    memset(a->work.dvalue, 0, sizeof(float) * (size_t)B);
    saferl_rl_value_loss_backward(a->work.dvalue, v, target, 1.0f, B);
    saferl_rl_mlp_backward(net, params, grads, a->minibatch.observations, acts, a->work.dvalue, NULL,
                           a->work.backward_scratch, B);
    for (i = 0; i < n; ++i) { /* OmniSafe's critic_norm: + coef |theta|^2 */
        loss += coef * params[i] * params[i];
        grads[i] += 2.0f * coef * params[i];
    }
    saferl_rl_clip_grad_norm(grads, n, (float)a->desc.max_grad_norm);
    saferl_rl_adam_update(params, grads, a->networks.adam_m + offset, a->networks.adam_v + offset, n, lr, 0.9f,
                          0.999f, 1e-8f, a->networks.adam_step);
    return loss;
}

/* One minibatch step of the actor on a first-order loss: PPO's clipped surrogate of
   minibatch.advantages; FOCOPS's loss (the advantages A_R - nu A_C, the KL from the rollout's
   policy); CUP's projection (the cost advantages weighted by cost_weight, the KL from the
   mid-point). The KL losses read the reference heads from minibatch.reference and its log
   sigma from ref_log_std. Backward, gradient-norm clipping, Adam. Returns the loss. */
static float saferl_rl__actor_step(saferl_rl_agent *a, int B, float lr, saferl_rl__actor_loss kind,
                                   const float *ref_log_std, double cost_weight) {
    const int H = a->networks.head_width, gaussian = a->actor.action_kind == SAFERL_RL_GAUSSIAN;
    const size_t net_count = saferl_rl_mlp_param_count(&a->actor.net);
    const float *head, *log_std = a->networks.params + net_count, *act = a->minibatch.actions;
    const float *ref = a->minibatch.reference, *logp_old = a->minibatch.logp_old, *adv = a->minibatch.advantages;
    float *dlog_std = a->networks.grads + net_count, loss;
    memset(a->networks.grads, 0, sizeof(float) * a->networks.actor_count);
    head = saferl_rl_mlp_forward(&a->actor.net, a->networks.params, a->minibatch.observations, a->work.acts_actor, B);
    if (gaussian) saferl_rl_gaussian_logprob_forward(a->work.logp, head, log_std, act, B, H);
    else saferl_rl_categorical_logprob_forward(a->work.logp, head, act, B, H);
    if (kind != SAFERL_RL__LOSS_PPO_CLIP) {
        if (gaussian) saferl_rl_gaussian_kl_forward(a->work.sample_kl, head, log_std, ref, ref_log_std, B, H);
        else saferl_rl_categorical_kl_forward(a->work.sample_kl, head, ref, B, H);
    }
    memset(a->work.dlogp, 0, sizeof(float) * (size_t)B);
    if (kind == SAFERL_RL__LOSS_PPO_CLIP) {
        float clip = (float)a->desc.clip;
        loss = saferl_rl_ppo_clip_forward(a->work.logp, logp_old, adv, clip, B);
        saferl_rl_ppo_clip_backward(a->work.dlogp, a->work.logp, logp_old, adv, clip, 1.0f, B);
    } else if (kind == SAFERL_RL__LOSS_FOCOPS) {
        float temperature = (float)a->desc.focops_temperature, bound = (float)a->desc.focops_kl_bound;
        memset(a->work.dkl, 0, sizeof(float) * (size_t)B);
        loss = saferl_rl_focops_forward(a->work.logp, logp_old, a->work.sample_kl, adv, temperature, bound, B);
        saferl_rl_focops_backward(a->work.dlogp, a->work.dkl, a->work.logp, logp_old, a->work.sample_kl, adv,
                                  temperature, bound, 1.0f, B);
    } else {
        memset(a->work.dkl, 0, sizeof(float) * (size_t)B);
        loss = saferl_rl_cup_forward(a->work.logp, logp_old, a->work.sample_kl, adv, (float)cost_weight, B);
        saferl_rl_cup_backward(a->work.dlogp, a->work.dkl, a->work.logp, logp_old, adv, (float)cost_weight, 1.0f, B);
    }
    memset(a->work.dhead, 0, sizeof(float) * (size_t)B * H);
    if (gaussian) saferl_rl_gaussian_logprob_backward(a->work.dhead, dlog_std, head, log_std, act, a->work.dlogp, B, H);
    else saferl_rl_categorical_logprob_backward(a->work.dhead, head, act, a->work.dlogp, B, H);
    if (kind != SAFERL_RL__LOSS_PPO_CLIP) {
        if (gaussian)
            saferl_rl_gaussian_kl_backward(a->work.dhead, dlog_std, head, log_std, ref, ref_log_std, a->work.dkl, B, H);
        else
            saferl_rl_categorical_kl_backward(a->work.dhead, head, ref, a->work.dkl, B, H);
    }
    saferl_rl_mlp_backward(&a->actor.net, a->networks.params, a->networks.grads, a->minibatch.observations,
                           a->work.acts_actor, a->work.dhead, NULL, a->work.backward_scratch, B);
    saferl_rl_clip_grad_norm(a->networks.grads, a->networks.actor_count, (float)a->desc.max_grad_norm);
    saferl_rl_adam_update(a->networks.params, a->networks.grads, a->networks.adam_m, a->networks.adam_v,
                          a->networks.actor_count, lr, 0.9f, 0.999f, 1e-8f, a->networks.adam_step);
    return loss;
}

/* A fresh random order of the batch for one pass (Fisher-Yates). */
static void saferl_rl__shuffle(saferl_rl_agent *a) {
    int i, N = a->desc.steps_per_epoch, *order = a->minibatch.order;
    for (i = 0; i < N; ++i) order[i] = i;
    for (i = N - 1; i > 0; --i) {
        int j = (int)saferl_rng_bounded(&a->rng, (uint32_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* Minibatch rows order[start .. start + B) from the rollout; the advantages from adv, the
   reference heads from ref (NULL: none). */
static void saferl_rl__gather(saferl_rl_agent *a, int start, int B, const float *adv, const float *ref) {
    const int O = a->actor.observation_dim, Ad = a->networks.stored_action_dim, H = a->networks.head_width;
    int b, c;
    for (b = 0; b < B; ++b) {
        int k = a->minibatch.order[start + b];
        memcpy(a->minibatch.observations + (size_t)b * O, a->rollout.observations + (size_t)k * O,
               sizeof(float) * (size_t)O);
        memcpy(a->minibatch.actions + (size_t)b * Ad, a->rollout.actions + (size_t)k * Ad, sizeof(float) * (size_t)Ad);
        if (ref) memcpy(a->minibatch.reference + (size_t)b * H, ref + (size_t)k * H, sizeof(float) * (size_t)H);
        a->minibatch.logp_old[b] = a->rollout.logp_old[k];
        a->minibatch.advantages[b] = adv[k];
        a->minibatch.reward_returns[b] = a->rollout.reward_returns[k];
        for (c = 0; c < a->networks.cost_count; ++c)
            a->minibatch.cost_returns[(size_t)c * a->desc.minibatch + b] =
                a->rollout.cost_returns[(size_t)c * a->desc.steps_per_epoch + k];
    }
}

/* update_iters passes of shuffled minibatches (OmniSafe's loop). In each minibatch the
   critics step first (when p->critics), then the actor on p->loss (none: the critics alone).
   After each pass that moved the actor: the batch's KL(reference || pi) and PPO's early stop
   at target_kl. Adds the passes, the last losses and the last KL to u. */
static void saferl_rl__minibatch_passes(saferl_rl_agent *a, saferl_rl__update *u, const saferl_rl__passes *p) {
    const int N = a->desc.steps_per_epoch, M = a->desc.minibatch;
    const float *gathered_ref = p->loss == SAFERL_RL__LOSS_FOCOPS || p->loss == SAFERL_RL__LOSS_CUP ? p->reference : NULL;
    int pass, start;
    for (pass = 0; pass < a->desc.update_iters; ++pass) {
        saferl_rl__shuffle(a);
        for (start = 0; start < N; start += M) {
            int B = N - start < M ? N - start : M;
            saferl_rl__gather(a, start, B, p->advantages, gathered_ref);
            a->networks.adam_step += 1;
            if (p->critics) {
                int k;
                u->reward_critic_loss = saferl_rl__critic_step(a, 0, a->minibatch.reward_returns, B, u->critic_lr);
                for (k = 0; k < a->networks.cost_count; ++k) {
                    float loss = saferl_rl__critic_step(a, 1 + k, a->minibatch.cost_returns + (size_t)k * M, B,
                                                        u->critic_lr);
                    if (k == 0) u->cost_critic_loss = loss; /* constraint 0's, as the statistics report */
                }
            }
            if (p->loss != SAFERL_RL__LOSS_NONE)
                u->actor_loss = saferl_rl__actor_step(a, B, u->actor_lr, p->loss, p->reference_log_std, p->cost_weight);
        }
        u->passes += 1;
        if (p->loss == SAFERL_RL__LOSS_NONE) continue; /* the critics alone: no KL to watch */
        u->kl = saferl_rl__batch_kl(a, p->reference, p->reference_log_std);
        if (a->desc.target_kl != SAFERL_RL_NONE && u->kl > a->desc.target_kl) break;
    }
}

/* out = gradient at the current parameters of the surrogate mean(rho A) over the batch
   (rho = pi / pi_old is 1 there, so this is mean(A grad log pi)). */
static void saferl_rl__surrogate_grad(saferl_rl_agent *a, const float *adv, float *out) {
    const int N = a->desc.steps_per_epoch, O = a->actor.observation_dim, H = a->networks.head_width;
    const int Bm = a->networks.batch_max, Ad = a->networks.stored_action_dim;
    const size_t net_count = saferl_rl_mlp_param_count(&a->actor.net);
    const float *params = a->networks.params;
    int start, b;
    memset(out, 0, sizeof(float) * a->networks.actor_count);
    for (start = 0; start < N; start += Bm) {
        int B = N - start < Bm ? N - start : Bm;
        const float *inp = a->rollout.observations + (size_t)start * O, *act = a->rollout.actions + (size_t)start * Ad;
        const float *head = saferl_rl_mlp_forward(&a->actor.net, params, inp, a->work.acts_actor, B);
        for (b = 0; b < B; ++b) a->work.dlogp[b] = adv[start + b] / (float)N;
        memset(a->work.dhead, 0, sizeof(float) * (size_t)B * H);
        if (a->actor.action_kind == SAFERL_RL_DISCRETE)
            saferl_rl_categorical_logprob_backward(a->work.dhead, head, act, a->work.dlogp, B, H);
        else
            saferl_rl_gaussian_logprob_backward(a->work.dhead, out + net_count, head, params + net_count, act,
                                                a->work.dlogp, B, H);
        saferl_rl_mlp_backward(&a->actor.net, params, out, inp, a->work.acts_actor, a->work.dhead, NULL,
                               a->work.backward_scratch, B);
    }
}

/* The standard error of the mean of the batch's terms x_i, with the rows in blocks of
   m = floor(sqrt(T)) consecutive steps of one environment (T its steps an epoch; the last block
   of each takes the remainder): GAE's advantages at nearby steps share TD residuals, so rows
   are not independent, but blocks longer than the advantage's reach (1 / (1 - gamma lambda),
   ~17 steps at 0.99 x 0.95) nearly are. The batch-means estimator with b = sqrt(n) (Flegal and
   Jones 2010, "Batch means and spectral variance estimators in MCMC", Ann. Statist. 38) in
   its cluster form for unequal blocks: Var(mean) = K / (K - 1) sum_k (S_k - m_k mean)^2 / N^2
   (S_k, m_k a block's sum and rows; Liang and Zeger 1986). Fed one row at a time in row
   order; 0 with fewer than two blocks. With many environments each one's T is short (256
   copies at 2000 steps: T 7, blocks of 2), the blocks are shorter than the reach and the
   error comes out low. */
typedef struct saferl_rl__block_means {
    int steps_each, block, blocks_each, current, rows; /* current: the open block's id */
    double open_sum, sum, sum_squares, sum_rows_sums, sum_rows_squared;
    long blocks;
} saferl_rl__block_means;

static void saferl_rl__block_means_start(saferl_rl__block_means *bm, int steps_each) {
    memset(bm, 0, sizeof *bm);
    bm->steps_each = steps_each;
    bm->block = (int)floor(sqrt((double)steps_each));
    if (bm->block < 1) bm->block = 1;
    bm->blocks_each = steps_each / bm->block;
    bm->current = -1;
}

static void saferl_rl__block_means_close(saferl_rl__block_means *bm) {
    if (bm->rows == 0) return;
    bm->sum_squares += bm->open_sum * bm->open_sum;
    bm->sum_rows_sums += bm->rows * bm->open_sum;
    bm->sum_rows_squared += (double)bm->rows * bm->rows;
    bm->blocks += 1;
    bm->open_sum = 0.0;
    bm->rows = 0;
}

static void saferl_rl__block_means_add(saferl_rl__block_means *bm, int row, double x) {
    const int within = row % bm->steps_each, k = within / bm->block;
    const int id = (row / bm->steps_each) * bm->blocks_each + (k < bm->blocks_each ? k : bm->blocks_each - 1);
    if (id != bm->current) saferl_rl__block_means_close(bm);
    bm->current = id;
    bm->open_sum += x;
    bm->sum += x;
    bm->rows += 1;
}

static double saferl_rl__block_means_standard_error(saferl_rl__block_means *bm, int N) {
    double mean, spread;
    saferl_rl__block_means_close(bm);
    if (bm->blocks < 2) return 0.0;
    mean = bm->sum / N;
    spread = bm->sum_squares - 2.0 * mean * bm->sum_rows_sums + mean * mean * bm->sum_rows_squared;
    return spread > 0.0 ? sqrt((double)bm->blocks / (bm->blocks - 1) * spread) / N : 0.0;
}

/* mean(rho A) over the batch at the current parameters; with standard_error, also the standard
   error of mean((rho - 1) A), the change of the surrogate from the policy that acted
   (saferl_rl__block_means). */
static double saferl_rl__surrogate(saferl_rl_agent *a, const float *adv, double *standard_error) {
    const int N = a->desc.steps_per_epoch, O = a->actor.observation_dim, H = a->networks.head_width;
    const int Bm = a->networks.batch_max, Ad = a->networks.stored_action_dim;
    const size_t net_count = saferl_rl_mlp_param_count(&a->actor.net);
    saferl_rl__block_means bm;
    double total = 0.0;
    int start, b;
    saferl_rl__block_means_start(&bm, a->environments.steps_each);
    for (start = 0; start < N; start += Bm) {
        int B = N - start < Bm ? N - start : Bm;
        const float *act = a->rollout.actions + (size_t)start * Ad;
        const float *head = saferl_rl_mlp_forward(&a->actor.net, a->networks.params,
                                                  a->rollout.observations + (size_t)start * O, a->work.acts_actor, B);
        if (a->actor.action_kind == SAFERL_RL_DISCRETE)
            saferl_rl_categorical_logprob_forward(a->work.logp, head, act, B, H);
        else
            saferl_rl_gaussian_logprob_forward(a->work.logp, head, a->networks.params + net_count, act, B, H);
        for (b = 0; b < B; ++b) {
            const double rho = exp((double)a->work.logp[b] - a->rollout.logp_old[start + b]);
            total += rho * adv[start + b];
            if (standard_error) saferl_rl__block_means_add(&bm, start + b, (rho - 1.0) * adv[start + b]);
        }
    }
    if (standard_error) *standard_error = saferl_rl__block_means_standard_error(&bm, N);
    return total / N;
}

/* The batch's Fisher-vector product with the epoch's damping (a saferl_rl_matvec over the
   agent). */
static void saferl_rl__agent_fvp(void *context, const float *v, float *out) {
    saferl_rl_agent *a = (saferl_rl_agent *)context;
    const int N = a->desc.steps_per_epoch, O = a->actor.observation_dim, Bm = a->networks.batch_max;
    const float damping = (float)a->trust_region.damping;
    size_t i;
    int start;
    memset(out, 0, sizeof(float) * a->networks.actor_count);
    for (start = 0; start < N; start += Bm) {
        int B = N - start < Bm ? N - start : Bm;
        saferl_rl__fvp_accumulate(&a->actor, a->rollout.observations + (size_t)start * O, B, v, out, 1.0f / (float)N,
                                  a->work.acts_actor, a->work.backward_scratch, a->work.dhead);
    }
    for (i = 0; i < a->networks.actor_count; ++i) out[i] += damping * v[i];
}

/* Damping relative to the curvature: coefficient times the Rayleigh quotient v^T A v / v^T v of
   apply along v (Av: n floats of scratch), 0 when v is zero. A fixed damping is a number in
   F's units, which depend on the parametrisation and on how peaked the policy is: a
   near-deterministic softmax has eigenvalues p(1 - p) far below 0.1, and F + 0.1 I is then a
   plain gradient. Measured along the direction being solved for, the damping scales with F,
   so (s F + damping(s F) I)^-1 g = (F + damping(F) I)^-1 g / s and the trust-region step is
   the same for any s: Levenberg-Marquardt's damping is likewise relative to the curvature
   the model sees (Martens 2010, "Deep learning via Hessian-free optimization", sec. 4.1;
   K-FAC's Tikhonov term in units of each factor's trace / dimension, Martens and Grosse
   2015, sec. 6.3). */
static double saferl_rl__relative_damping(saferl_rl_matvec apply, void *context, const float *v, size_t n,
                                          double coefficient, float *Av) {
    const double vv = saferl_rl__dot(v, v, n);
    double curvature;
    if (!(vv > 0.0)) return 0.0;
    apply(context, v, Av);
    curvature = saferl_rl__dot(v, Av, n) / vv;
    return curvature > 0.0 ? coefficient * curvature : 0.0;
}

/* The trust-region step rules: CPO's dual, PCPO's projection, and the plain TRPO step
   sqrt(2 delta / q) x (CPO's case 4: no constraint). */
static saferl_result saferl_rl__pcpo_rule(double q, double r, double s, double c, double delta, double bb,
                                          saferl_rl_cpo_step *st) {
    (void)bb;
    return saferl_rl_pcpo_step(q, r, s, c, delta, st);
}
static saferl_result saferl_rl__trpo_rule(double q, double r, double s, double c, double delta, double bb,
                                          saferl_rl_cpo_step *st) {
    (void)r;
    (void)s;
    (void)c;
    (void)bb;
    return saferl_rl_cpo_dual(q, 0.0, 0.0, -1.0, delta, 0.0, st);
}
static const saferl_rl__trust_region_rule saferl_rl__cpo_rule = {1, -1, saferl_rl_cpo_dual};
/* PCPO's line search tests KL and cost only (case 1): the projected step need not raise the
   reward surrogate */
static const saferl_rl__trust_region_rule saferl_rl__pcpo_projection = {1, 1, saferl_rl__pcpo_rule};
static const saferl_rl__trust_region_rule saferl_rl__trpo_step = {0, -1, saferl_rl__trpo_rule};

/* The cost surrogate the line search tests: mean(rho A_C), plus cost_test_z standard errors
   of its change when that is set and the step may spend slack (c <= 0: the test is change
   <= -c); a recovery step (c > 0) is tested on the change itself (ALGORITHMS, "the cost
   test's bound"). */
static double saferl_rl__cost_test_value(saferl_rl_agent *a, const float *adv_c, double c) {
    const double z = saferl_rl__setting(a->desc.cost_test_z);
    double standard_error;
    if (z == 0.0 || c > 0.0) return saferl_rl__surrogate(a, adv_c, NULL);
    return saferl_rl__surrogate(a, adv_c, &standard_error) + z * standard_error;
}

/* One trust-region step on the actor from the batch's advantages (the reward advantages
   already mixed for TRPO-Lag); c the scaled violation (constrained rules). g = grad of the
   reward surrogate, x = F^-1 g by CG; a constrained rule also b and p = F^-1 b. The rule
   gives the step; backtracking theta_old + 0.8^j step accepted by saferl_rl_cpo_accept (the
   rule's case, or the step's own; without a constraint the cost test is off). Leaves the
   actor unchanged when there is no step or no backtracking step is accepted. Reports the
   case, the accepted fraction, the KL and (constrained rules) the constraint's multiplier. */
static void saferl_rl__trust_region_update(saferl_rl_agent *a, const saferl_rl__trust_region_rule *rule, double c,
                                           saferl_rl__update *u) {
    const size_t n = a->networks.actor_count;
    const double delta = a->desc.trust_region;
    float *params = a->networks.params, *g = a->trust_region.reward_gradient, *b = a->trust_region.cost_gradient;
    float *x = a->trust_region.reward_direction, *p = a->trust_region.cost_direction, *step = a->trust_region.step;
    float *old = a->trust_region.params_old;
    const float *adv_r = a->rollout.reward_advantages, *adv_c = a->rollout.cost_advantages;
    double q, r = 0.0, s = 0.0, bb = 0.0, frac = 1.0, reward_old, cost_old = 0.0, kl = 0.0;
    saferl_rl_cpo_step st;
    size_t i;
    int j, accepted = 0, accept_case;
    u->optim_case = -1;
    u->step_fraction = 0.0;
    saferl_rl__surrogate_grad(a, adv_r, g);
    a->trust_region.damping = saferl_rl__setting(a->desc.cg_damping);
    if (a->desc.cg_damping_scale == SAFERL_RL_DAMPING_RELATIVE) { /* one product with the undamped F */
        const double coefficient = a->trust_region.damping;
        a->trust_region.damping = 0.0;
        a->trust_region.damping = saferl_rl__relative_damping(saferl_rl__agent_fvp, a, g, n, coefficient, step);
    }
    saferl_rl_conjugate_gradient(saferl_rl__agent_fvp, a, g, x, n, a->desc.cg_iters, a->trust_region.cg_work);
    q = saferl_rl__dot(g, x, n);
    if (rule->constrained) {
        saferl_rl__surrogate_grad(a, adv_c, b);
        saferl_rl_conjugate_gradient(saferl_rl__agent_fvp, a, b, p, n, a->desc.cg_iters, a->trust_region.cg_work);
        r = saferl_rl__dot(g, p, n);
        s = saferl_rl__dot(b, p, n);
        bb = saferl_rl__dot(b, b, n);
    } else {
        memset(p, 0, sizeof(float) * n);
    }
    if (rule->step(q, r, s, c, delta, bb, &st) != SAFERL_OK) return;
    u->optim_case = st.optim_case;
    u->kl = 0.0;
    accept_case = rule->accept_case >= 0 ? rule->accept_case : st.optim_case;
    for (i = 0; i < n; ++i) step[i] = (float)(st.x_coef * x[i] - st.p_coef * p[i]);
    if (!saferl_rl__all_finite(step, (int)n)) return;
    memcpy(old, params, sizeof(float) * n);
    reward_old = saferl_rl__surrogate(a, adv_r, NULL);
    if (rule->constrained) cost_old = saferl_rl__surrogate(a, adv_c, NULL);
    for (j = 0; j < a->desc.line_search_steps; ++j) {
        double reward_new, cost_new = 0.0;
        for (i = 0; i < n; ++i) params[i] = old[i] + (float)frac * step[i];
        kl = saferl_rl__batch_kl(a, a->rollout.old_heads, a->rollout.old_log_std);
        reward_new = saferl_rl__surrogate(a, adv_r, NULL);
        if (rule->constrained) cost_new = saferl_rl__cost_test_value(a, adv_c, c);
        if (saferl_rl_cpo_accept(accept_case, kl, delta, reward_new - reward_old, cost_new - cost_old,
                                 rule->constrained ? c : 0.0)) {
            accepted = 1;
            break;
        }
        frac *= 0.8;
    }
    if (!accepted) {
        memcpy(params, old, sizeof(float) * n);
        frac = 0.0;
        kl = 0.0;
    }
    u->step_fraction = frac;
    u->kl = kl;
    if (rule->constrained) u->multiplier = st.nu;
}

/* ---- training: the algorithms' updates and their table ------------------------------------ */

/* update_iters passes on a first-order loss with the critics alongside, the KL (and the early
   stop) measured from the rollout's policy. */
static void saferl_rl__first_order_passes(saferl_rl_agent *a, saferl_rl__update *u, saferl_rl__actor_loss loss) {
    saferl_rl__passes p;
    memset(&p, 0, sizeof p);
    p.loss = loss;
    p.critics = 1;
    p.advantages = a->rollout.reward_advantages;
    p.reference = a->rollout.old_heads;
    p.reference_log_std = a->rollout.old_log_std;
    saferl_rl__minibatch_passes(a, u, &p);
}

/* PPO, PPO-Lag, PID-Lag: PPO's clipped surrogate of the (mixed) advantage. */
static void saferl_rl__ppo_update(saferl_rl_agent *a, saferl_rl__update *u) {
    saferl_rl__first_order_passes(a, u, SAFERL_RL__LOSS_PPO_CLIP);
}

/* FOCOPS: its loss on A_R - nu A_C, the per-state KL from the rollout's policy. */
static void saferl_rl__focops_update(saferl_rl_agent *a, saferl_rl__update *u) {
    saferl_rl__first_order_passes(a, u, SAFERL_RL__LOSS_FOCOPS);
}

/* CUP's cost term sum_k w_k rho A_Ck with w_k = nu_k factor horizon, as one advantage and one
   weight: A = sum_k (w_k / w) A_Ck and w = sum_k w_k (one constraint: its own advantages, w_0). */
static const float *saferl_rl__cup_cost_advantages(saferl_rl_agent *a, double factor, double horizon, double *weight) {
    const int N = a->desc.steps_per_epoch, K = a->networks.cost_count;
    float *out = a->reference.cost_advantages;
    double w[SAFERL_RL_MAX_COSTS], total = 0.0;
    int i, k;
    for (k = 0; k < K; ++k) total += (w[k] = a->multiplier.applied[k] * factor * horizon);
    *weight = total;
    if (K == 1 || !(total > 0.0)) return a->rollout.cost_advantages;
    for (i = 0; i < N; ++i) {
        double sum = 0.0;
        for (k = 0; k < K; ++k) sum += w[k] / total * a->rollout.cost_advantages[(size_t)k * N + i];
        out[i] = (float)sum;
    }
    return out;
}

/* CUP: stage 1, PPO's passes on A_R alone (critics alongside); stage 2, the actor after it is
   the mid-point pi_mid, and passes on mean(w rho A_C + KL(pi || pi_mid)) lower the cost, with
   w = nu (1 - gamma_c lambda_c) (1 - gamma_c^L) / (1 - gamma_c): the paper's
   (1 - gamma lambda) / (1 - gamma) with 1 / (1 - gamma) summed over the mean episode's L steps
   (L when gamma_c = 1; see ALGORITHMS). */
static void saferl_rl__cup_update(saferl_rl_agent *a, saferl_rl__update *u) {
    const int N = a->desc.steps_per_epoch, O = a->actor.observation_dim, H = a->networks.head_width;
    const int Bm = a->networks.batch_max;
    const double gc = a->desc.cost_gamma, L = u->episode_length;
    const double horizon = gc < 1.0 ? (1.0 - pow(gc, L)) / (1.0 - gc) : L;
    saferl_rl__passes p;
    int start;
    saferl_rl__ppo_update(a, u);
    for (start = 0; start < N; start += Bm) {
        int B = N - start < Bm ? N - start : Bm;
        const float *head = saferl_rl_mlp_forward(&a->actor.net, a->networks.params,
                                                  a->rollout.observations + (size_t)start * O, a->work.acts_actor, B);
        memcpy(a->reference.heads + (size_t)start * H, head, sizeof(float) * (size_t)B * H);
    }
    if (a->actor.action_kind == SAFERL_RL_GAUSSIAN)
        memcpy(a->reference.log_std, a->networks.params + saferl_rl_mlp_param_count(&a->actor.net),
               sizeof(float) * (size_t)H);
    memset(&p, 0, sizeof p);
    p.loss = SAFERL_RL__LOSS_CUP;
    p.advantages = saferl_rl__cup_cost_advantages(a, 1.0 - gc * a->desc.cost_lambda, horizon, &p.cost_weight);
    p.reference = a->reference.heads;
    p.reference_log_std = a->reference.log_std;
    saferl_rl__minibatch_passes(a, u, &p);
}

/* CPO, PCPO: one step of the row's rule on the constraint linearised per step, c = (J_C - d)
   / L with L the mean episode length (see ALGORITHMS); none before an episode has ended. */
static void saferl_rl__constrained_trust_region_update(saferl_rl_agent *a, saferl_rl__update *u) {
    if (u->cost_estimate[0] != u->cost_estimate[0]) return;
    saferl_rl__trust_region_update(a, u->row->trust_region,
                                   (u->cost_estimate[0] - a->desc.cost_limits[0]) / u->episode_length, u);
}

/* TRPO-Lag: one TRPO step on the mixed advantage. */
static void saferl_rl__trpo_update(saferl_rl_agent *a, saferl_rl__update *u) {
    saferl_rl__trust_region_update(a, u->row->trust_region, 0.0, u);
}

/* After a trust-region step: update_iters passes of the critics alone. */
static void saferl_rl__critic_passes(saferl_rl_agent *a, saferl_rl__update *u) {
    saferl_rl__passes p;
    memset(&p, 0, sizeof p);
    p.critics = 1;
    p.advantages = a->rollout.reward_advantages;
    saferl_rl__minibatch_passes(a, u, &p);
}

/* In saferl_rl_algorithm's order. */
static const saferl_rl__algorithm_row saferl_rl__algorithms[SAFERL_RL_ALGORITHM_COUNT] = {
    /* name       multiplier             bounded mixing                      second order */
    {"ppo",      SAFERL_RL__NO_MULTIPLIER, 0, SAFERL_RL__REWARD_ALONE,    NULL,
     SAFERL_RL__NO_REFERENCE, saferl_rl__ppo_update, NULL},
    {"ppo-lag",  SAFERL_RL__DUAL_ASCENT,   0, SAFERL_RL__MIX_NORMALISED,  NULL,
     SAFERL_RL__NO_REFERENCE, saferl_rl__ppo_update, NULL},
    {"pid-lag",  SAFERL_RL__PID,           0, SAFERL_RL__MIX_NORMALISED,  NULL,
     SAFERL_RL__NO_REFERENCE, saferl_rl__ppo_update, NULL},
    {"cpo",      SAFERL_RL__NO_MULTIPLIER, 0, SAFERL_RL__REWARD_ALONE,    &saferl_rl__cpo_rule,
     SAFERL_RL__NO_REFERENCE, saferl_rl__constrained_trust_region_update, saferl_rl__critic_passes},
    {"pcpo",     SAFERL_RL__NO_MULTIPLIER, 0, SAFERL_RL__REWARD_ALONE,    &saferl_rl__pcpo_projection,
     SAFERL_RL__NO_REFERENCE, saferl_rl__constrained_trust_region_update, saferl_rl__critic_passes},
    {"trpo-lag", SAFERL_RL__DUAL_ASCENT,   0, SAFERL_RL__MIX_NORMALISED,  &saferl_rl__trpo_step,
     SAFERL_RL__NO_REFERENCE, saferl_rl__trpo_update, saferl_rl__critic_passes},
    {"focops",   SAFERL_RL__DUAL_ASCENT,   1, SAFERL_RL__MIX_PLAIN,       NULL,
     SAFERL_RL__ROLLOUT_REFERENCE, saferl_rl__focops_update, NULL},
    {"cup",      SAFERL_RL__DUAL_ASCENT,   1, SAFERL_RL__REWARD_ALONE,    NULL,
     SAFERL_RL__MIDPOINT_REFERENCE, saferl_rl__cup_update, NULL}};

SAFERL_RL_API const char *saferl_rl_algorithm_name(saferl_rl_algorithm algorithm) {
    if ((int)algorithm < 0 || (int)algorithm >= SAFERL_RL_ALGORITHM_COUNT) return "unknown";
    return saferl_rl__algorithms[algorithm].name;
}

SAFERL_RL_API int saferl_rl_algorithm_from_name(const char *name) {
    int i;
    if (!name) return -1;
    for (i = 0; i < SAFERL_RL_ALGORITHM_COUNT; ++i)
        if (strcmp(name, saferl_rl__algorithms[i].name) == 0) return i;
    return -1;
}

/* ---- training: the agent's memory ---------------------------------------------------------- */

/* Carves the agent's arrays out of base (or only measures when base is NULL). */
static size_t saferl_rl__take(unsigned char *base, size_t *cursor, size_t bytes, void **out) {
    size_t at = (*cursor + 15) & ~(size_t)15;
    *cursor = at + bytes;
    if (out) *out = base ? (void *)(base + at) : NULL;
    return at;
}

#define SAFERL_RL__TAKE(field, type, n) saferl_rl__take(base, &cursor, sizeof(type) * (size_t)(n), (void **)&(field))

/* The parts every row needs, then what its row asks for (trust-region scratch, a reference). */
static size_t saferl_rl__layout(saferl_rl_agent *a, unsigned char *base) {
    const saferl_rl__algorithm_row *row = &saferl_rl__algorithms[a->desc.algorithm];
    size_t cursor = 0, N = (size_t)a->desc.steps_per_epoch, E = (size_t)a->environments.count;
    size_t O = (size_t)a->actor.observation_dim, H = (size_t)a->networks.head_width;
    size_t Ad = (size_t)a->networks.stored_action_dim, P = a->networks.param_total;
    size_t M = (size_t)a->desc.minibatch, Bm = (size_t)a->networks.batch_max, W = (size_t)a->desc.episode_window;
    size_t tr = row->trust_region ? a->networks.actor_count : 0, kl = row->reference ? 1 : 0;
    size_t K = (size_t)a->networks.cost_count;
    int width = saferl_rl__mlp_max_width(&a->actor.net), wr = saferl_rl__mlp_max_width(&a->networks.reward_critic);
    if (wr > width) width = wr;
    SAFERL_RL__TAKE(a->networks.params, float, P);
    SAFERL_RL__TAKE(a->networks.grads, float, P);
    SAFERL_RL__TAKE(a->networks.adam_m, float, P);
    SAFERL_RL__TAKE(a->networks.adam_v, float, P);
    SAFERL_RL__TAKE(a->actor.obs_mean, float, O);
    SAFERL_RL__TAKE(a->actor.obs_std, float, O);
    SAFERL_RL__TAKE(a->work.acts_actor, float, saferl_rl_mlp_activation_count(&a->actor.net, (int)Bm));
    SAFERL_RL__TAKE(a->work.acts_reward, float, saferl_rl_mlp_activation_count(&a->networks.reward_critic, (int)Bm));
    SAFERL_RL__TAKE(a->work.acts_cost, float, saferl_rl_mlp_activation_count(&a->networks.cost_critic, (int)Bm));
    SAFERL_RL__TAKE(a->work.backward_scratch, float, 2 * Bm * (size_t)width);
    SAFERL_RL__TAKE(a->work.dhead, float, Bm * H);
    SAFERL_RL__TAKE(a->work.dvalue, float, Bm);
    SAFERL_RL__TAKE(a->work.logp, float, Bm);
    SAFERL_RL__TAKE(a->work.dlogp, float, Bm);
    SAFERL_RL__TAKE(a->work.sample_kl, float, kl * Bm);
    SAFERL_RL__TAKE(a->work.dkl, float, kl * Bm);
    SAFERL_RL__TAKE(a->rollout.observations, float, N * O);
    SAFERL_RL__TAKE(a->rollout.actions, float, N * Ad);
    SAFERL_RL__TAKE(a->rollout.logp_old, float, N);
    SAFERL_RL__TAKE(a->rollout.old_heads, float, N * H);
    SAFERL_RL__TAKE(a->rollout.old_log_std, float, H);
    SAFERL_RL__TAKE(a->rollout.rewards, float, N);
    SAFERL_RL__TAKE(a->rollout.costs, float, K * N);
    SAFERL_RL__TAKE(a->rollout.reward_values, float, N);
    SAFERL_RL__TAKE(a->rollout.cost_values, float, K * N);
    SAFERL_RL__TAKE(a->rollout.reward_advantages, float, N);
    SAFERL_RL__TAKE(a->rollout.cost_advantages, float, K * N);
    SAFERL_RL__TAKE(a->rollout.reward_returns, float, N);
    SAFERL_RL__TAKE(a->rollout.cost_returns, float, K * N);
    SAFERL_RL__TAKE(a->minibatch.order, int, N);
    SAFERL_RL__TAKE(a->minibatch.observations, float, M * O);
    SAFERL_RL__TAKE(a->minibatch.actions, float, M * Ad);
    SAFERL_RL__TAKE(a->minibatch.logp_old, float, M);
    SAFERL_RL__TAKE(a->minibatch.advantages, float, M);
    SAFERL_RL__TAKE(a->minibatch.reward_returns, float, M);
    SAFERL_RL__TAKE(a->minibatch.cost_returns, float, K * M);
    SAFERL_RL__TAKE(a->minibatch.reference, float, kl * M * H);
    SAFERL_RL__TAKE(a->trust_region.reward_gradient, float, tr);
    SAFERL_RL__TAKE(a->trust_region.cost_gradient, float, tr);
    SAFERL_RL__TAKE(a->trust_region.reward_direction, float, tr);
    SAFERL_RL__TAKE(a->trust_region.cost_direction, float, tr);
    SAFERL_RL__TAKE(a->trust_region.step, float, tr);
    SAFERL_RL__TAKE(a->trust_region.params_old, float, tr);
    SAFERL_RL__TAKE(a->trust_region.cg_work, float, 3 * tr);
    SAFERL_RL__TAKE(a->reference.heads, float, row->reference == SAFERL_RL__MIDPOINT_REFERENCE ? N * H : 0);
    SAFERL_RL__TAKE(a->reference.log_std, float, kl * H);
    SAFERL_RL__TAKE(a->reference.cost_advantages, float, row->reference == SAFERL_RL__MIDPOINT_REFERENCE && K > 1 ? N : 0);
    SAFERL_RL__TAKE(a->multiplier.pid_history, double, K * (size_t)a->desc.pid_delay);
    SAFERL_RL__TAKE(a->environments.envs, saferl_rl_env, E);
    SAFERL_RL__TAKE(a->environments.observations, float, E * O);
    SAFERL_RL__TAKE(a->environments.normalized, float, Bm * O);
    SAFERL_RL__TAKE(a->environments.actions, float, E * Ad);
    SAFERL_RL__TAKE(a->environments.next_observations, float, E * O);
    SAFERL_RL__TAKE(a->environments.episode_return, double, E);
    SAFERL_RL__TAKE(a->environments.episode_cost, double, E * K);
    SAFERL_RL__TAKE(a->environments.states, void *, E);
    SAFERL_RL__TAKE(a->environments.rewards, float, E);
    SAFERL_RL__TAKE(a->environments.costs, float, E * K);
    SAFERL_RL__TAKE(a->environments.terminated, int, E);
    SAFERL_RL__TAKE(a->environments.truncated, int, E);
    SAFERL_RL__TAKE(a->environments.values, float, (1 + K) * E);
    SAFERL_RL__TAKE(a->environments.path_start, int, E);
    SAFERL_RL__TAKE(a->environments.rngs, saferl_rng, E);
    SAFERL_RL__TAKE(a->episodes.returns, float, W);
    SAFERL_RL__TAKE(a->episodes.costs, float, W * K);
    SAFERL_RL__TAKE(a->episodes.pending_returns, float, N);
    SAFERL_RL__TAKE(a->episodes.pending_costs, float, N * K);
    SAFERL_RL__TAKE(a->normalizer.count_mean_m2, double, 1 + 2 * O);
    SAFERL_RL__TAKE(a->normalizer.pending, double, 1 + 2 * O);
    return cursor;
}

/* The first field at fault in a desc with its defaults filled in, as "field: what is
   wrong", or NULL. The order is the desc's. */
static const char *saferl_rl__desc_fault(const saferl_rl_desc *d) {
    const saferl_rl__algorithm_row *row;
    int i;
    if ((int)d->algorithm < 0 || (int)d->algorithm >= SAFERL_RL_ALGORITHM_COUNT) return "algorithm: unknown";
    row = &saferl_rl__algorithms[d->algorithm];
    if (d->hidden_count < 0 || d->hidden_count > SAFERL_RL_MAX_LAYERS - 1) return "hidden_count: 0..7, or -1";
    for (i = 0; i < d->hidden_count; ++i)
        if (d->hidden[i] < 1 || d->hidden[i] > SAFERL_RL_MAX_WIDTH) return "hidden: sizes 1..4096";
    if (d->activation != SAFERL_RL_TANH && d->activation != SAFERL_RL_RELU) return "activation: unknown";
    if (d->steps_per_epoch < 1 || d->steps_per_epoch > (1 << 24)) return "steps_per_epoch: 1..2^24";
    if (d->update_iters < 1) return "update_iters: >= 1";
    if (d->minibatch < 1 || d->minibatch > 65536) return "minibatch: 1..65536";
    if (!(d->clip > 0.0 && d->clip < 1.0)) return "clip: in (0, 1)";
    if (!(d->target_kl > 0.0 && d->target_kl <= 3.4e38) && d->target_kl != SAFERL_RL_NONE)
        return "target_kl: > 0, or SAFERL_RL_NONE";
    if (!(d->gamma > 0.0 && d->gamma <= 1.0)) return "gamma: in (0, 1]";
    if (!(d->lambda > 0.0 && d->lambda <= 1.0)) return "lambda: in (0, 1]";
    if (!(d->cost_gamma > 0.0 && d->cost_gamma <= 1.0)) return "cost_gamma: in (0, 1]";
    if (!(d->cost_lambda > 0.0 && d->cost_lambda <= 1.0)) return "cost_lambda: in (0, 1]";
    if (!(d->actor_lr > 0.0 && d->actor_lr <= 3.4e38)) return "actor_lr: > 0";
    if (!(d->critic_lr > 0.0 && d->critic_lr <= 3.4e38)) return "critic_lr: > 0";
    if (d->total_epochs < 0) return "total_epochs: >= 0";
    if (!(d->max_grad_norm > 0.0 && d->max_grad_norm <= 3.4e38)) return "max_grad_norm: > 0";
    if (!(d->critic_norm_coef >= 0.0 && d->critic_norm_coef <= 3.4e38) && d->critic_norm_coef != SAFERL_RL_NONE)
        return "critic_norm_coef: >= 0, or SAFERL_RL_NONE";
    if (!saferl_rl__finite(d->init_log_std)) return "init_log_std: not finite";
    if (d->cost_count < 0 || d->cost_count > SAFERL_RL_MAX_COSTS) return "cost_count: 0..8";
    if (d->cost_count == 0 && (row->multiplier != SAFERL_RL__NO_MULTIPLIER || (row->trust_region && row->trust_region->constrained)))
        return "cost_limit: required (cost_count = 1, cost_limits[0] = d)";
    if (d->cost_count > 1 && row->trust_region && row->trust_region->constrained)
        return "cost_count: CPO and PCPO take one constraint (several make their step a QP, not solved here)";
    for (i = 0; i < d->cost_count; ++i)
        if (!saferl_rl__finite(d->cost_limits[i])) return "cost_limits: not finite";
    if (!(d->lagrange_init >= 0.0 && d->lagrange_init <= 3.4e38) && d->lagrange_init != SAFERL_RL_NONE)
        return "lagrange_init: >= 0, or SAFERL_RL_NONE";
    if (d->multiplier_scale != SAFERL_RL_MULTIPLIER_RELATIVE && d->multiplier_scale != SAFERL_RL_MULTIPLIER_COST_UNITS)
        return "multiplier_scale: unknown";
    if (!(d->lambda_lr > 0.0 && d->lambda_lr <= 3.4e38)) return "lambda_lr: > 0";
    if (d->lambda_optimizer != SAFERL_RL_LAMBDA_SGD && d->lambda_optimizer != SAFERL_RL_LAMBDA_ADAM)
        return "lambda_optimizer: unknown";
    if (!(d->lambda_kp >= 0.0 && d->lambda_kp <= 3.4e38) && d->lambda_kp != SAFERL_RL_NONE)
        return "lambda_kp: >= 0, or SAFERL_RL_NONE";
    if (!(d->pid_kp >= 0.0 && d->pid_kp <= 3.4e38) && d->pid_kp != SAFERL_RL_NONE) return "pid_kp: >= 0, or SAFERL_RL_NONE";
    if (!(d->pid_ki >= 0.0 && d->pid_ki <= 3.4e38) && d->pid_ki != SAFERL_RL_NONE) return "pid_ki: >= 0, or SAFERL_RL_NONE";
    if (!(d->pid_kd >= 0.0 && d->pid_kd <= 3.4e38) && d->pid_kd != SAFERL_RL_NONE) return "pid_kd: >= 0, or SAFERL_RL_NONE";
    if (!(d->pid_ema_alpha >= 0.0 && d->pid_ema_alpha < 1.0)) return "pid_ema_alpha: in [0, 1)";
    if (d->pid_delay < 1 || d->pid_delay > 10000) return "pid_delay: 1..10000";
    if (d->episode_window < 1 || d->episode_window > (1 << 20)) return "episode_window: 1..2^20";
    if (d->cost_estimate != SAFERL_RL_COST_ESTIMATE_DEFAULT && d->cost_estimate != SAFERL_RL_COST_EPOCH &&
        d->cost_estimate != SAFERL_RL_COST_WINDOW)
        return "cost_estimate: unknown";
    if (!(d->lagrange_max >= 0.0 && d->lagrange_max <= 3.4e38) && d->lagrange_max != SAFERL_RL_NONE)
        return "lagrange_max: >= 0, or SAFERL_RL_NONE";
    if (!(d->focops_temperature > 0.0 && d->focops_temperature <= 3.4e38)) return "focops_temperature: > 0";
    if (!(d->focops_kl_bound > 0.0 && d->focops_kl_bound <= 3.4e38)) return "focops_kl_bound: > 0";
    if (!(d->trust_region > 0.0 && d->trust_region <= 10.0)) return "trust_region: in (0, 10]";
    if (d->cg_iters < 1 || d->cg_iters > 1000) return "cg_iters: 1..1000";
    if (!(d->cg_damping >= 0.0 && d->cg_damping <= 3.4e38) && d->cg_damping != SAFERL_RL_NONE)
        return "cg_damping: >= 0, or SAFERL_RL_NONE";
    if (d->cg_damping_scale != SAFERL_RL_DAMPING_ABSOLUTE && d->cg_damping_scale != SAFERL_RL_DAMPING_RELATIVE)
        return "cg_damping_scale: unknown";
    if (d->line_search_steps < 1 || d->line_search_steps > 1000) return "line_search_steps: 1..1000";
    if (!(d->cost_test_z >= 0.0 && d->cost_test_z <= 1e3) && d->cost_test_z != SAFERL_RL_NONE)
        return "cost_test_z: in [0, 1000], or SAFERL_RL_NONE";
    return NULL;
}

/* The costs an environment's step writes. */
static int saferl_rl__env_costs(const saferl_rl_env *env) { return env->cost_count > 0 ? env->cost_count : 1; }

/* The first environment at fault, or NULL. */
static const char *saferl_rl__envs_fault(const saferl_rl_env *envs, int env_count) {
    int i;
    if (!envs) return "envs: NULL";
    if (env_count < 1 || env_count > SAFERL_RL_MAX_ENVS) return "env_count: 1..256";
    for (i = 0; i < env_count; ++i) {
        const saferl_rl_env *e = &envs[i];
        if (!e->reset || !e->step) return "env: reset and step are required";
        if (e->observation_dim < 1 || e->observation_dim > SAFERL_RL_MAX_WIDTH) return "env: observation_dim 1..4096";
        if (e->action_count == 0 ? (e->action_dim < 1 || e->action_dim > 64)
                                 : (e->action_dim != 1 || e->action_count < 2 || e->action_count > 1024))
            return "env: action_dim 1..64 (continuous), or action_dim 1 and action_count 2..1024 (discrete)";
        if (e->cost_count < 0 || e->cost_count > SAFERL_RL_MAX_COSTS) return "env: cost_count 0..8";
        if (e->observation_dim != envs[0].observation_dim || e->action_dim != envs[0].action_dim ||
            e->action_count != envs[0].action_count || saferl_rl__env_costs(e) != saferl_rl__env_costs(&envs[0]))
            return "envs: all of one shape";
        if (e->step_batch != envs[0].step_batch) return "envs: step_batch the same for all (or NULL for all)";
    }
    return NULL;
}

/* Everything but the memory: shapes and counts. *fault (optional): the field at fault. */
static saferl_result saferl_rl__shape(saferl_rl_agent *a, const saferl_rl_desc *desc, const saferl_rl_env *envs,
                                      int env_count, const char **fault) {
    const char *at;
    int O, H;
    memset(a, 0, sizeof *a);
    a->desc = saferl_rl_desc_defaults(desc);
    at = saferl_rl__desc_fault(&a->desc);
    if (!at) at = saferl_rl__envs_fault(envs, env_count);
    if (!at && a->desc.steps_per_epoch % env_count != 0) at = "steps_per_epoch: a multiple of env_count";
    if (!at && a->desc.cost_count != 0 && a->desc.cost_count != saferl_rl__env_costs(&envs[0]))
        at = "cost_count: one limit for each cost the environment returns (its cost_count)";
    if (fault) *fault = at ? at : "ok";
    if (at) return SAFERL_ERR_INVALID_ARGUMENT;
    a->environments.count = env_count;
    a->environments.steps_each = a->desc.steps_per_epoch / env_count;
    O = envs[0].observation_dim;
    H = envs[0].action_count ? envs[0].action_count : envs[0].action_dim;
    a->networks.head_width = H;
    a->networks.stored_action_dim = envs[0].action_dim;
    a->networks.batch_max = a->desc.minibatch > env_count ? a->desc.minibatch : env_count;
    a->actor.action_kind = envs[0].action_count ? SAFERL_RL_DISCRETE : SAFERL_RL_GAUSSIAN;
    a->actor.observation_dim = O;
    a->actor.action_dim = H;
    /* the sizes were checked: these cannot fail */
    saferl_rl_mlp_define(&a->actor.net, O, a->desc.hidden, a->desc.hidden_count, H, a->desc.activation);
    saferl_rl_mlp_define(&a->networks.reward_critic, O, a->desc.hidden, a->desc.hidden_count, 1, a->desc.activation);
    a->networks.cost_critic = a->networks.reward_critic;
    a->networks.cost_count = saferl_rl__env_costs(&envs[0]);
    a->networks.actor_count = saferl_rl_policy_param_count(&a->actor);
    a->networks.critic_count = saferl_rl_mlp_param_count(&a->networks.reward_critic);
    a->networks.param_total = a->networks.actor_count + (size_t)(1 + a->networks.cost_count) * a->networks.critic_count;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_desc_check(const saferl_rl_desc *desc, const saferl_rl_env *envs, int env_count,
                                                 const char **message) {
    saferl_rl_agent a;
    return saferl_rl__shape(&a, desc, envs, env_count, message);
}

SAFERL_RL_API size_t saferl_rl_agent_memory_size(const saferl_rl_desc *desc, const saferl_rl_env *envs,
                                                 int env_count) {
    saferl_rl_agent a;
    if (saferl_rl__shape(&a, desc, envs, env_count, NULL) != SAFERL_OK) return 0;
    return saferl_rl__layout(&a, NULL) + 16;
}

SAFERL_RL_API saferl_result saferl_rl_agent_init(saferl_rl_agent *agent, const saferl_rl_desc *desc,
                                                 const saferl_rl_env *envs, int env_count, void *memory,
                                                 size_t memory_size) {
    saferl_rl_agent a;
    unsigned char *base;
    size_t need, i, net_count;
    int e;
    saferl_result r;
    SAFERL_ASSERT(agent != NULL);
    r = saferl_rl__shape(&a, desc, envs, env_count, NULL);
    if (r != SAFERL_OK) return r;
    need = saferl_rl__layout(&a, NULL) + 16;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    base = (unsigned char *)memory + ((16 - ((uintptr_t)memory & 15)) & 15);
    saferl_rl__layout(&a, base);
    memset(a.networks.params, 0, sizeof(float) * a.networks.param_total);
    memset(a.networks.grads, 0, sizeof(float) * a.networks.param_total);
    memset(a.networks.adam_m, 0, sizeof(float) * a.networks.param_total);
    memset(a.networks.adam_v, 0, sizeof(float) * a.networks.param_total);
    saferl_rng_seed(&a.rng, a.desc.seed);
    /* policy output layer scaled by 0.01 (small initial logits / means, as in most PPO code) */
    saferl_rl_mlp_init_params(&a.actor.net, a.networks.params, &a.rng, 0.01f);
    a.actor.params = a.networks.params;
    net_count = saferl_rl_mlp_param_count(&a.actor.net);
    if (a.actor.action_kind == SAFERL_RL_GAUSSIAN)
        for (i = 0; i < (size_t)a.networks.head_width; ++i) a.networks.params[net_count + i] = (float)a.desc.init_log_std;
    saferl_rl_mlp_init_params(&a.networks.reward_critic, saferl_rl__critic_params(&a, 0), &a.rng, 1.0f);
    for (e = 0; e < a.networks.cost_count; ++e)
        saferl_rl_mlp_init_params(&a.networks.cost_critic, saferl_rl__critic_params(&a, 1 + e), &a.rng, 1.0f);
    for (i = 0; i < (size_t)a.actor.observation_dim; ++i) {
        a.actor.obs_mean[i] = 0.0f;
        a.actor.obs_std[i] = 1.0f;
    }
    if (a.desc.no_obs_normalize) a.actor.obs_mean = a.actor.obs_std = NULL;
    memset(a.normalizer.count_mean_m2, 0, sizeof(double) * (1 + 2 * (size_t)a.actor.observation_dim));
    memset(a.multiplier.pid_history, 0, sizeof(double) * (size_t)a.networks.cost_count * a.desc.pid_delay);
    memcpy(a.environments.envs, envs, sizeof(saferl_rl_env) * (size_t)env_count);
    for (e = 0; e < env_count; ++e) a.environments.states[e] = envs[e].state;
    for (e = 0; e < env_count; ++e)
        saferl_rng_seed(&a.environments.rngs[e], a.desc.seed * 2654435761u + 1u + (uint32_t)e);
    if (saferl_rl__algorithms[a.desc.algorithm].multiplier != SAFERL_RL__NO_MULTIPLIER)
        for (i = 0; i < (size_t)a.desc.cost_count; ++i) {
            a.multiplier.value[i] = saferl_rl__setting(a.desc.lagrange_init);
            a.multiplier.pid_integral[i] =
                saferl_rl__setting(a.desc.pid_ki) > 0.0 ? a.multiplier.value[i] / a.desc.pid_ki : 0.0;
        }
    a.environments.needs_reset = 1;
    *agent = a;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_agent_create(saferl_rl_agent *agent, const saferl_rl_desc *desc,
                                                   const saferl_rl_env *envs, int env_count) {
    size_t size = saferl_rl_agent_memory_size(desc, envs, env_count);
    const saferl_allocator *al = desc ? &desc->allocator : NULL;
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(agent != NULL);
    if (size == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = saferl_rl__allocate(al, size);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_rl_agent_init(agent, desc, envs, env_count, memory, size);
    if (r != SAFERL_OK) {
        saferl_rl__release(al, memory);
        return r;
    }
    agent->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_RL_API void saferl_rl_agent_destroy(saferl_rl_agent *agent) {
    if (!agent || !agent->owned_memory) return;
    saferl_rl__release(&agent->desc.allocator, agent->owned_memory);
    agent->owned_memory = NULL;
    agent->networks.params = NULL;
}

/* ---- training: the epoch -------------------------------------------------------------------- */

/* The rollout's statistics become the agent's: steps, costs, normaliser, the epoch's mean
   episode costs (kept from an earlier epoch when this one finished none), the episode window. */
static void saferl_rl__commit_rollout(saferl_rl_agent *a, int episodes, const double *steps_cost) {
    const int W = a->desc.episode_window, K = a->networks.cost_count;
    int i, k;
    a->epoch += 1;
    a->total_steps += a->desc.steps_per_epoch;
    for (k = 0; k < K; ++k) a->total_cost[k] += steps_cost[k];
    saferl_rl__commit_normalizer(a);
    if (episodes > 0) {
        a->episodes.epoch_count = episodes;
        for (k = 0; k < K; ++k) a->episodes.epoch_costs[k] = saferl_rl__window_mean(a->episodes.pending_costs + k, episodes, K);
    }
    for (i = 0; i < episodes; ++i) {
        a->episodes.returns[a->episodes.next] = a->episodes.pending_returns[i];
        for (k = 0; k < K; ++k)
            a->episodes.costs[(size_t)a->episodes.next * K + k] = a->episodes.pending_costs[(size_t)i * K + k];
        a->episodes.next = (a->episodes.next + 1) % W;
        if (a->episodes.count < W) a->episodes.count += 1;
    }
}

static void saferl_rl__report(const saferl_rl_agent *a, const saferl_rl__update *u, int episodes,
                              saferl_rl_epoch_stats *stats) {
    int k;
    memset(stats, 0, sizeof *stats);
    stats->epoch = a->epoch;
    stats->total_steps = a->total_steps;
    stats->episode_return = saferl_rl__window_mean(a->episodes.returns, a->episodes.count, 1);
    stats->cost_count = a->networks.cost_count;
    for (k = 0; k < a->networks.cost_count; ++k) {
        stats->episode_costs[k] = saferl_rl__window_mean(a->episodes.costs + k, a->episodes.count, a->networks.cost_count);
        stats->cost_estimates[k] = u->cost_estimate[k];
        stats->lagrange_multipliers[k] = k == 0 ? u->multiplier : a->multiplier.applied[k];
        stats->cost_rates[k] = a->total_cost[k] / (double)a->total_steps;
    }
    stats->episode_cost = stats->episode_costs[0];
    stats->lagrange_multiplier = stats->lagrange_multipliers[0];
    stats->cost_rate = stats->cost_rates[0];
    stats->episodes = episodes;
    stats->update_passes = u->passes;
    stats->kl = u->kl;
    stats->actor_loss = u->actor_loss;
    stats->reward_critic_loss = u->reward_critic_loss;
    stats->cost_critic_loss = u->cost_critic_loss;
    stats->optim_case = u->optim_case;
    stats->step_fraction = u->step_fraction;
}

SAFERL_RL_API saferl_result saferl_rl_agent_epoch(saferl_rl_agent *agent, saferl_rl_epoch_stats *stats) {
    saferl_rl_agent *a = agent;
    const saferl_rl__algorithm_row *row;
    const saferl_rl_desc *d;
    int episodes = 0, k;
    double steps_cost[SAFERL_RL_MAX_COSTS], lr_scale = 1.0;
    saferl_rl__update u;
    saferl_result r;
    SAFERL_ASSERT(agent != NULL && agent->networks.params != NULL);
    d = &a->desc;
    row = &saferl_rl__algorithms[d->algorithm];
    r = saferl_rl__rollout(a, &episodes, steps_cost);
    if (r != SAFERL_OK) {
        a->environments.needs_reset = 1; /* drop the interrupted episodes; nothing learned from them */
        return r;
    }
    saferl_rl__commit_rollout(a, episodes, steps_cost);
    memset(&u, 0, sizeof u);
    u.row = row;
    for (k = 0; k < a->networks.cost_count; ++k)
        u.cost_estimate[k] = d->cost_estimate == SAFERL_RL_COST_WINDOW
                                 ? saferl_rl__window_mean(a->episodes.costs + k, a->episodes.count, a->networks.cost_count)
                                 : a->episodes.epoch_count > 0 ? a->episodes.epoch_costs[k] : saferl_rl__nan();
    u.episode_length = episodes > 0 ? (double)d->steps_per_epoch / episodes : (double)a->environments.steps_each;
    if (d->total_epochs > 0) {
        lr_scale = 1.0 - (double)(a->epoch - 1) / d->total_epochs;
        if (lr_scale < 0.0) lr_scale = 0.0;
    }
    u.actor_lr = (float)(d->actor_lr * lr_scale);
    u.critic_lr = (float)(d->critic_lr * lr_scale);
    u.optim_case = -1;
    saferl_rl__update_multipliers(a, row, u.cost_estimate);
    u.multiplier = a->multiplier.applied[0]; /* 0 for the rows without one; CPO and PCPO report their nu */
    saferl_rl__advantages(a, row->mixing, a->multiplier.applied,
                          row->multiplier != SAFERL_RL__NO_MULTIPLIER && d->multiplier_scale == SAFERL_RL_MULTIPLIER_RELATIVE);
    row->update_actor(a, &u);
    if (row->update_critics) row->update_critics(a, &u);
    /* finite data can still overflow a loss or gradient (rewards near FLT_MAX, huge weights):
       never report such an update as a success */
    if (!saferl_rl__all_finite(a->networks.params, (int)a->networks.param_total)) return SAFERL_ERR_NOT_FINITE;
    if (stats) saferl_rl__report(a, &u, episodes, stats);
    return SAFERL_OK;
}

/* ---- checkpoints ------------------------------------------------------------------------------ */

#define SAFERL_RL__CHECKPOINT_MAGIC 0x4B4C5253u /* "SRLK" read as a little-endian uint32 */
#define SAFERL_RL__CHECKPOINT_VERSION 11u
#define SAFERL_RL__TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define SAFERL_RL__ANY 1e300 /* a bound that only asks for a finite value */

static void saferl_rl__put_f64(unsigned char *p, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    saferl_rl__put_u32(p, (uint32_t)u);
    saferl_rl__put_u32(p + 4, (uint32_t)(u >> 32));
}

static double saferl_rl__get_f64(const unsigned char *p) {
    uint64_t u = (uint64_t)saferl_rl__get_u32(p) | (uint64_t)saferl_rl__get_u32(p + 4) << 32;
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* One walk over the agent states the format for every use: measuring, saving, checking a
   buffer without writing anything, and loading what the check accepted (which then cannot
   fail). So the saver and the loader cannot disagree, and loading is two-phase. */
typedef enum saferl_rl__checkpoint_mode {
    SAFERL_RL__MEASURE,
    SAFERL_RL__SAVE,
    SAFERL_RL__CHECK,
    SAFERL_RL__LOAD
} saferl_rl__checkpoint_mode;

typedef struct saferl_rl__checkpoint_io {
    saferl_rl__checkpoint_mode mode;
    unsigned char *data;          /* written only when saving; NULL when measuring */
    size_t at, size, section;     /* the cursor, the end of the sections, the open section */
    saferl_result result;         /* the first failure (checking) */
    const char *message;
} saferl_rl__checkpoint_io;

static void saferl_rl__checkpoint_fail(saferl_rl__checkpoint_io *io, saferl_result r, const char *message) {
    if (io->result != SAFERL_OK) return;
    io->result = r;
    io->message = message;
}

/* The next n bytes (NULL when measuring or after a failure); reading past the end fails. */
static unsigned char *saferl_rl__checkpoint_take(saferl_rl__checkpoint_io *io, size_t n) {
    unsigned char *p;
    if (io->result != SAFERL_OK) return NULL;
    if (io->mode != SAFERL_RL__MEASURE && n > io->size - io->at) {
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, "checkpoint: truncated (a section runs past the end)");
        return NULL;
    }
    p = io->mode == SAFERL_RL__MEASURE ? NULL : io->data + io->at;
    io->at += n;
    return p;
}

/* A uint32 in [lo, hi]: written when saving; the value read when checking or loading. */
static uint32_t saferl_rl__checkpoint_u32(saferl_rl__checkpoint_io *io, uint32_t value, uint32_t lo, uint32_t hi,
                                          const char *what) {
    unsigned char *p = saferl_rl__checkpoint_take(io, 4);
    if (!p) return value;
    if (io->mode == SAFERL_RL__SAVE) {
        saferl_rl__put_u32(p, value);
        return value;
    }
    value = saferl_rl__get_u32(p);
    if (value < lo || value > hi) saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, what);
    return value;
}

/* An int field in [lo, hi] (lo >= 0), loaded into *field; returns the checkpoint's value. */
static int saferl_rl__checkpoint_int(saferl_rl__checkpoint_io *io, int *field, int lo, int hi, const char *what) {
    int v = (int)saferl_rl__checkpoint_u32(io, (uint32_t)*field, (uint32_t)lo, (uint32_t)hi, what);
    if (io->mode == SAFERL_RL__LOAD) *field = v;
    return v;
}

static uint64_t saferl_rl__checkpoint_u64(saferl_rl__checkpoint_io *io, uint64_t value) {
    uint64_t lo = saferl_rl__checkpoint_u32(io, (uint32_t)value, 0, 0xFFFFFFFFu, NULL);
    return lo | (uint64_t)saferl_rl__checkpoint_u32(io, (uint32_t)(value >> 32), 0, 0xFFFFFFFFu, NULL) << 32;
}

/* A step counter (a long: 32 bits in wasm32, so a larger count is refused there). */
static void saferl_rl__checkpoint_count(saferl_rl__checkpoint_io *io, long *field, const char *what) {
    uint64_t v = saferl_rl__checkpoint_u64(io, (uint64_t)*field);
    if (io->mode == SAFERL_RL__CHECK && v > (uint64_t)(~0ul >> 1)) saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, what);
    if (io->mode == SAFERL_RL__LOAD) *field = (long)v;
}

/* n floats (4 bytes) or doubles (8), finite and in [lo, hi]. */
static void saferl_rl__checkpoint_reals(saferl_rl__checkpoint_io *io, float *f, double *d, size_t n, double lo, double hi,
                                        const char *what) {
    const size_t width = f ? 4 : 8;
    unsigned char *p = saferl_rl__checkpoint_take(io, width * n);
    size_t i;
    if (!p) return;
    for (i = 0; i < n; ++i, p += width) {
        double v;
        if (io->mode == SAFERL_RL__SAVE) {
            if (f) saferl_rl__put_f32(p, f[i]);
            else saferl_rl__put_f64(p, d[i]);
            continue;
        }
        v = f ? (double)saferl_rl__get_f32(p) : saferl_rl__get_f64(p);
        if (io->mode == SAFERL_RL__CHECK) {
            const double big = f ? 3.4e38 : 1.7976931348623157e308;
            if (!(v == v && v <= big && v >= -big) || v < lo || v > hi) {
                saferl_rl__checkpoint_fail(io, v == v && v <= big && v >= -big ? SAFERL_ERR_CORRUPT : SAFERL_ERR_NOT_FINITE,
                                           what);
                return;
            }
        } else if (f) {
            f[i] = (float)v;
        } else {
            d[i] = v;
        }
    }
}

#define SAFERL_RL__FLOATS(io, x, n, lo, what) saferl_rl__checkpoint_reals(io, x, NULL, n, lo, SAFERL_RL__ANY, what)
#define SAFERL_RL__DOUBLES(io, x, n, lo, what) saferl_rl__checkpoint_reals(io, NULL, x, n, lo, SAFERL_RL__ANY, what)

/* A value the agent already has (its desc, its shape): another one is refused with what. */
static void saferl_rl__checkpoint_same(saferl_rl__checkpoint_io *io, uint32_t value, const char *what) {
    unsigned char *p = saferl_rl__checkpoint_take(io, 4);
    if (p && io->mode == SAFERL_RL__SAVE) saferl_rl__put_u32(p, value);
    else if (p && io->mode == SAFERL_RL__CHECK && saferl_rl__get_u32(p) != value)
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_INVALID_ARGUMENT, what);
}

static void saferl_rl__checkpoint_same_real(saferl_rl__checkpoint_io *io, double value, const char *what) {
    unsigned char *p = saferl_rl__checkpoint_take(io, 8);
    unsigned char bits[8];
    saferl_rl__put_f64(bits, value); /* compared bit for bit: SAFERL_RL_NONE stays itself */
    if (p && io->mode == SAFERL_RL__SAVE) memcpy(p, bits, 8);
    else if (p && io->mode == SAFERL_RL__CHECK && memcmp(p, bits, 8) != 0)
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_INVALID_ARGUMENT, what);
}

static void saferl_rl__checkpoint_rng(saferl_rl__checkpoint_io *io, saferl_rng *rng) {
    uint64_t s[4];
    int i;
    for (i = 0; i < 4; ++i) s[i] = saferl_rl__checkpoint_u64(io, rng->s[i]);
    if (io->mode == SAFERL_RL__CHECK && !(s[0] | s[1] | s[2] | s[3])) /* xoshiro's one fixed point */
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, "random generator: an all-zero state");
    if (io->mode == SAFERL_RL__LOAD) memcpy(rng->s, s, sizeof s);
}

/* A section: a tag, its byte length, its fields. */
static void saferl_rl__checkpoint_begin(saferl_rl__checkpoint_io *io, uint32_t tag, const char *missing) {
    io->section = io->at;
    saferl_rl__checkpoint_u32(io, tag, tag, tag, missing);
    saferl_rl__checkpoint_u32(io, 0, 0, 0xFFFFFFFFu, NULL); /* the length, known at the end */
}

static void saferl_rl__checkpoint_end(saferl_rl__checkpoint_io *io, const char *what) {
    size_t length = io->at - io->section - 8;
    if (io->result != SAFERL_OK) return;
    if (io->mode == SAFERL_RL__SAVE) saferl_rl__put_u32(io->data + io->section + 4, (uint32_t)length);
    else if (io->mode == SAFERL_RL__CHECK && saferl_rl__get_u32(io->data + io->section + 4) != length)
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, what);
}

#define SAFERL_RL__DIFFERS ": the checkpoint's differs from this agent's desc"
#define SAFERL_RL__SAME_INT(io, field) saferl_rl__checkpoint_same(io, (uint32_t)(d->field), #field SAFERL_RL__DIFFERS)
#define SAFERL_RL__SAME_REAL(io, field) saferl_rl__checkpoint_same_real(io, d->field, #field SAFERL_RL__DIFFERS)

/* "DESC": every desc field with its defaults filled in (the seed is only recorded: the
   generators below replace it) and the environments' shape. */
static void saferl_rl__checkpoint_desc(saferl_rl__checkpoint_io *io, saferl_rl_agent *a) {
    const saferl_rl_desc *d = &a->desc;
    const saferl_rl_env *env = &a->environments.envs[0];
    uint32_t seed;
    int i;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('D', 'E', 'S', 'C'), "checkpoint: the DESC section is missing (an off-policy agent's checkpoint starts with OFFP)");
    SAFERL_RL__SAME_INT(io, algorithm);
    seed = saferl_rl__checkpoint_u32(io, d->seed, 0, 0xFFFFFFFFu, NULL);
    if (io->mode == SAFERL_RL__LOAD) a->desc.seed = seed;
    SAFERL_RL__SAME_INT(io, hidden_count);
    for (i = 0; i < SAFERL_RL_MAX_LAYERS - 1; ++i)
        saferl_rl__checkpoint_same(io, (uint32_t)d->hidden[i], "hidden" SAFERL_RL__DIFFERS);
    SAFERL_RL__SAME_INT(io, activation);
    SAFERL_RL__SAME_INT(io, steps_per_epoch);
    SAFERL_RL__SAME_INT(io, update_iters);
    SAFERL_RL__SAME_INT(io, minibatch);
    SAFERL_RL__SAME_REAL(io, clip);
    SAFERL_RL__SAME_REAL(io, target_kl);
    SAFERL_RL__SAME_REAL(io, gamma);
    SAFERL_RL__SAME_REAL(io, lambda);
    SAFERL_RL__SAME_REAL(io, cost_gamma);
    SAFERL_RL__SAME_REAL(io, cost_lambda);
    SAFERL_RL__SAME_REAL(io, actor_lr);
    SAFERL_RL__SAME_REAL(io, critic_lr);
    SAFERL_RL__SAME_INT(io, total_epochs);
    SAFERL_RL__SAME_REAL(io, max_grad_norm);
    SAFERL_RL__SAME_REAL(io, critic_norm_coef);
    SAFERL_RL__SAME_REAL(io, init_log_std);
    SAFERL_RL__SAME_INT(io, no_obs_normalize);
    SAFERL_RL__SAME_INT(io, cost_count);
    for (i = 0; i < SAFERL_RL_MAX_COSTS; ++i)
        saferl_rl__checkpoint_same_real(io, d->cost_limits[i], "cost_limits" SAFERL_RL__DIFFERS);
    SAFERL_RL__SAME_REAL(io, lagrange_init);
    SAFERL_RL__SAME_INT(io, multiplier_scale);
    SAFERL_RL__SAME_REAL(io, lambda_lr);
    SAFERL_RL__SAME_INT(io, lambda_optimizer);
    SAFERL_RL__SAME_REAL(io, lambda_kp);
    SAFERL_RL__SAME_REAL(io, pid_kp);
    SAFERL_RL__SAME_REAL(io, pid_ki);
    SAFERL_RL__SAME_REAL(io, pid_kd);
    SAFERL_RL__SAME_REAL(io, pid_ema_alpha);
    SAFERL_RL__SAME_INT(io, pid_delay);
    SAFERL_RL__SAME_INT(io, episode_window);
    SAFERL_RL__SAME_INT(io, cost_estimate);
    SAFERL_RL__SAME_REAL(io, lagrange_max);
    SAFERL_RL__SAME_REAL(io, focops_temperature);
    SAFERL_RL__SAME_REAL(io, focops_kl_bound);
    SAFERL_RL__SAME_REAL(io, trust_region);
    SAFERL_RL__SAME_INT(io, cg_iters);
    SAFERL_RL__SAME_REAL(io, cg_damping);
    SAFERL_RL__SAME_INT(io, cg_damping_scale);
    SAFERL_RL__SAME_INT(io, line_search_steps);
    SAFERL_RL__SAME_REAL(io, cost_test_z);
    saferl_rl__checkpoint_same(io, (uint32_t)a->environments.count, "env_count: the checkpoint's differs from this agent's");
    saferl_rl__checkpoint_same(io, (uint32_t)env->observation_dim, "env: observation_dim differs from the checkpoint's");
    saferl_rl__checkpoint_same(io, (uint32_t)env->action_dim, "env: action_dim differs from the checkpoint's");
    saferl_rl__checkpoint_same(io, (uint32_t)env->action_count, "env: action_count differs from the checkpoint's");
    saferl_rl__checkpoint_same(io, (uint32_t)a->networks.cost_count, "env: cost_count differs from the checkpoint's");
    saferl_rl__checkpoint_end(io, "checkpoint: the DESC section's length is wrong");
}

/* Whether the actor and every critic in the parameter block (params: its bytes) pass the
   policy loader's interval bound: no forward pass on a normalised input can overflow. */
static int saferl_rl__networks_bounded(const saferl_rl_agent *a, const unsigned char *params) {
    saferl_rl_policy critic;
    int k;
    if (!saferl_rl__policy_bounded(&a->actor, params)) return 0;
    memset(&critic, 0, sizeof critic);
    critic.net = a->networks.reward_critic; /* every cost critic has its shape */
    critic.action_kind = SAFERL_RL_DISCRETE;
    for (k = 0; k <= a->networks.cost_count; ++k)
        if (!saferl_rl__policy_bounded(&critic, params + 4 * (a->networks.actor_count + (size_t)k * a->networks.critic_count)))
            return 0;
    return 1;
}

/* "NETS": actor, log std, reward and cost critics in one block, Adam's moments and step. The
   moments average gradients clipped to max_grad_norm, so training never leaves |m| <= c and
   v <= c^2 (c = max_grad_norm, here with room for rounding); beyond that is refused. */
static void saferl_rl__checkpoint_networks(saferl_rl__checkpoint_io *io, saferl_rl_agent *a) {
    const size_t P = a->networks.param_total, at = io->at + 8;
    const double c = 1.001 * a->desc.max_grad_norm;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('N', 'E', 'T', 'S'), "checkpoint: the NETS section is missing");
    SAFERL_RL__FLOATS(io, a->networks.params, P, -SAFERL_RL__ANY, "networks: a parameter is not finite");
    if (io->mode == SAFERL_RL__CHECK && io->result == SAFERL_OK && !saferl_rl__networks_bounded(a, io->data + at))
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_NOT_FINITE, "networks: weights that could overflow a forward pass");
    saferl_rl__checkpoint_reals(io, a->networks.adam_m, NULL, P, -c, c, "networks: an Adam first moment beyond max_grad_norm");
    saferl_rl__checkpoint_reals(io, a->networks.adam_v, NULL, P, 0.0, c * c,
                                "networks: an Adam second moment negative or beyond max_grad_norm^2");
    saferl_rl__checkpoint_count(io, &a->networks.adam_step, "networks: Adam's step count is out of range");
    saferl_rl__checkpoint_end(io, "checkpoint: the NETS section's length is wrong");
}

/* "NORM": the normaliser the actor reads (mean, std) and its running count, mean and M2. */
static void saferl_rl__checkpoint_normalizer(saferl_rl__checkpoint_io *io, saferl_rl_agent *a) {
    const size_t O = (size_t)a->actor.observation_dim;
    double *s = a->normalizer.count_mean_m2;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('N', 'O', 'R', 'M'), "checkpoint: the NORM section is missing");
    if (a->actor.obs_mean) {
        SAFERL_RL__FLOATS(io, a->actor.obs_mean, O, -SAFERL_RL__ANY, "normalizer: a mean is not finite");
        SAFERL_RL__FLOATS(io, a->actor.obs_std, O, (double)1e-2f, "normalizer: a std is below its floor 0.01");
    }
    SAFERL_RL__DOUBLES(io, s, 1, 0.0, "normalizer: the count is negative");
    SAFERL_RL__DOUBLES(io, s + 1, O, -SAFERL_RL__ANY, "normalizer: a running mean is not finite");
    SAFERL_RL__DOUBLES(io, s + 1 + O, O, 0.0, "normalizer: a running M2 is negative");
    saferl_rl__checkpoint_end(io, "checkpoint: the NORM section's length is wrong");
}

/* "MULT": a multiplier per constraint, the Adam state of lambda_optimizer, the PID state. */
static void saferl_rl__checkpoint_multipliers(saferl_rl__checkpoint_io *io, saferl_rl_agent *a) {
    const size_t K = (size_t)a->networks.cost_count;
    const int delay = a->desc.pid_delay;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('M', 'U', 'L', 'T'), "checkpoint: the MULT section is missing");
    SAFERL_RL__DOUBLES(io, a->multiplier.value, K, 0.0, "multipliers: a multiplier is negative");
    saferl_rl__checkpoint_count(io, &a->multiplier.adam_step, "multipliers: Adam's step count is out of range");
    SAFERL_RL__DOUBLES(io, a->multiplier.adam_m, K, -SAFERL_RL__ANY, "multipliers: an Adam moment is not finite");
    SAFERL_RL__DOUBLES(io, a->multiplier.adam_v, K, 0.0, "multipliers: an Adam second moment is negative");
    SAFERL_RL__DOUBLES(io, a->multiplier.pid_integral, K, 0.0, "multipliers: a PID integral is negative");
    SAFERL_RL__DOUBLES(io, a->multiplier.pid_error, K, -SAFERL_RL__ANY, "multipliers: a PID error is not finite");
    SAFERL_RL__DOUBLES(io, a->multiplier.pid_cost, K, -SAFERL_RL__ANY, "multipliers: a PID cost is not finite");
    SAFERL_RL__DOUBLES(io, a->multiplier.pid_history, K * (size_t)delay, -SAFERL_RL__ANY,
                       "multipliers: a PID delayed cost is not finite");
    saferl_rl__checkpoint_int(io, &a->multiplier.pid_history_next, 0, delay - 1, "multipliers: the PID delay line's position");
    saferl_rl__checkpoint_end(io, "checkpoint: the MULT section's length is wrong");
}

/* "EPIS": the window of finished episodes J_R and J_C are measured over (only its filled
   entries), then "PROG": epochs, steps, each cost's total, the agent's generator. */
static void saferl_rl__checkpoint_progress(saferl_rl__checkpoint_io *io, saferl_rl_agent *a) {
    const int W = a->desc.episode_window, K = a->networks.cost_count;
    int count, next;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('E', 'P', 'I', 'S'), "checkpoint: the EPIS section is missing");
    count = saferl_rl__checkpoint_int(io, &a->episodes.count, 0, W, "episodes: more than episode_window");
    next = saferl_rl__checkpoint_int(io, &a->episodes.next, 0, W - 1, "episodes: the window's position");
    if (io->mode == SAFERL_RL__CHECK && count < W && next != count)
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, "episodes: a window not yet full must end at its count");
    SAFERL_RL__FLOATS(io, a->episodes.returns, (size_t)count, -SAFERL_RL__ANY, "episodes: a return is not finite");
    SAFERL_RL__FLOATS(io, a->episodes.costs, (size_t)count * K, -SAFERL_RL__ANY, "episodes: a cost is not finite");
    saferl_rl__checkpoint_int(io, &a->episodes.epoch_count, 0, 0x7FFFFFFF, "episodes: the epoch's count is out of range");
    SAFERL_RL__DOUBLES(io, a->episodes.epoch_costs, (size_t)K, -SAFERL_RL__ANY, "episodes: an epoch's mean cost is not finite");
    saferl_rl__checkpoint_end(io, "checkpoint: the EPIS section's length is wrong");
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('P', 'R', 'O', 'G'), "checkpoint: the PROG section is missing");
    saferl_rl__checkpoint_int(io, &a->epoch, 0, 0x7FFFFFFF, "progress: the epoch is out of range");
    saferl_rl__checkpoint_count(io, &a->total_steps, "progress: the step count is out of range");
    SAFERL_RL__DOUBLES(io, a->total_cost, (size_t)K, -SAFERL_RL__ANY, "progress: a total cost is not finite");
    saferl_rl__checkpoint_rng(io, &a->rng);
    saferl_rl__checkpoint_end(io, "checkpoint: the PROG section's length is wrong");
}

/* A built-in environment's state (saferl_rl_builtin); its kind and max_steps must be the
   live one's, omega must lie in the kind's box. */
static void saferl_rl__checkpoint_builtin(saferl_rl__checkpoint_io *io, saferl_rl_builtin *b) {
    double lower[SAFERL_RL_MAX_OMEGA], upper[SAFERL_RL_MAX_OMEGA];
    int n = saferl_rl_builtin_omega_box(b->kind, lower, upper, NULL), i, j;
    int cells = b->kind == SAFERL_RL_ENV_CLIFF ? SAFERL_RL_CLIFF_STATES : SAFERL_RL_GRID_ROWS * SAFERL_RL_GRID_COLUMNS;
    saferl_rl__checkpoint_same(io, (uint32_t)b->kind, "environments: a built-in environment of another kind");
    saferl_rl__checkpoint_same(io, (uint32_t)b->max_steps, "environments: a built-in environment with another max_steps");
    saferl_rl__checkpoint_int(io, &b->steps, 0, b->max_steps > 0 ? b->max_steps : 0, "environments: steps out of range");
    saferl_rl__checkpoint_int(io, &b->cell, 0, cells - 1, "environments: a cell out of range");
    saferl_rl__checkpoint_int(io, &b->goals_reached, 0, 0x7FFFFFFF, "environments: goals_reached out of range");
    SAFERL_RL__DOUBLES(io, b->x, 4, -SAFERL_RL__ANY, "environments: a state variable is not finite");
    SAFERL_RL__DOUBLES(io, &b->heading, 1, -SAFERL_RL__ANY, "environments: the heading is not finite");
    SAFERL_RL__DOUBLES(io, &b->yaw_rate, 1, -SAFERL_RL__ANY, "environments: the yaw rate is not finite");
    SAFERL_RL__DOUBLES(io, b->goal, 2, -SAFERL_RL__ANY, "environments: the goal is not finite");
    SAFERL_RL__DOUBLES(io, &b->goal_distance, 1, -SAFERL_RL__ANY, "environments: the goal distance is not finite");
    for (i = 0; i < SAFERL_RL_POINTGOAL_HAZARDS; ++i)
        SAFERL_RL__DOUBLES(io, b->hazards[i], 2, -SAFERL_RL__ANY, "environments: a hazard is not finite");
    for (j = 0; j < 2; ++j) {
        double *omega = j == 0 ? b->omega : b->omega_next;
        for (i = 0; i < SAFERL_RL_MAX_OMEGA; ++i)
            saferl_rl__checkpoint_reals(io, NULL, omega + i, 1, i < n ? lower[i] : -SAFERL_RL__ANY,
                                        i < n ? upper[i] : SAFERL_RL__ANY, "environments: omega outside its box");
    }
}

/* "ENVS": whether the episodes are open; per environment its generator, and for an open
   episode its current observation and return and costs so far; a built-in's state. */
static void saferl_rl__checkpoint_environments(saferl_rl__checkpoint_io *io, saferl_rl_agent *a) {
    const int E = a->environments.count, O = a->actor.observation_dim, K = a->networks.cost_count;
    int e, closed;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('E', 'N', 'V', 'S'), "checkpoint: the ENVS section is missing");
    closed = saferl_rl__checkpoint_int(io, &a->environments.needs_reset, 0, 1, "environments: needs_reset is 0 or 1");
    for (e = 0; e < E && io->result == SAFERL_OK; ++e) {
        saferl_rl_env *env = &a->environments.envs[e];
        int builtin = env->reset == saferl_rl__builtin_reset;
        saferl_rl__checkpoint_rng(io, &a->environments.rngs[e]);
        if (!closed) {
            SAFERL_RL__FLOATS(io, a->environments.observations + (size_t)e * O, (size_t)O, -SAFERL_RL__ANY,
                              "environments: an observation is not finite");
            SAFERL_RL__DOUBLES(io, a->environments.episode_return + e, 1, -SAFERL_RL__ANY,
                               "environments: an open episode's return is not finite");
            SAFERL_RL__DOUBLES(io, a->environments.episode_cost + (size_t)e * K, (size_t)K, -SAFERL_RL__ANY,
                               "environments: an open episode's cost is not finite");
        }
        saferl_rl__checkpoint_same(io, (uint32_t)builtin,
                                   "environments: a built-in environment in one of agent and checkpoint, a user's in the other");
        if (builtin && io->result == SAFERL_OK) saferl_rl__checkpoint_builtin(io, (saferl_rl_builtin *)env->state);
    }
    saferl_rl__checkpoint_end(io, "checkpoint: the ENVS section's length is wrong");
}

/* The on-policy agent's sections in their order, after the 8-byte magic and version. */
static void saferl_rl__agent_sections(saferl_rl__checkpoint_io *io, void *subject) {
    saferl_rl_agent *a = (saferl_rl_agent *)subject;
    saferl_rl__checkpoint_desc(io, a);
    saferl_rl__checkpoint_networks(io, a);
    saferl_rl__checkpoint_normalizer(io, a);
    saferl_rl__checkpoint_multipliers(io, a);
    saferl_rl__checkpoint_progress(io, a);
    saferl_rl__checkpoint_environments(io, a);
}

/* The drivers every kind of checkpoint shares (the off-policy agent's sections are with it,
   below): measure, save, and load in two phases, on memory and on files. Saving and measuring
   only read the subject. */
typedef void (*saferl_rl__checkpoint_sections)(saferl_rl__checkpoint_io *io, void *subject);

static void saferl_rl__checkpoint_walk(saferl_rl__checkpoint_io *io, saferl_rl__checkpoint_sections sections, void *subject) {
    io->at = 8;
    sections(io, subject);
    if (io->mode == SAFERL_RL__CHECK && io->at != io->size)
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, "checkpoint: bytes after the last section");
}

static size_t saferl_rl__checkpoint_measure(saferl_rl__checkpoint_sections sections, void *subject) {
    saferl_rl__checkpoint_io io;
    memset(&io, 0, sizeof io);
    io.mode = SAFERL_RL__MEASURE;
    saferl_rl__checkpoint_walk(&io, sections, subject);
    return io.at + 4;
}

static saferl_result saferl_rl__checkpoint_write(saferl_rl__checkpoint_sections sections, void *subject, void *buffer,
                                                 size_t capacity, size_t *written) {
    size_t need = saferl_rl__checkpoint_measure(sections, subject);
    saferl_rl__checkpoint_io io;
    if (!buffer || capacity < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(&io, 0, sizeof io);
    io.mode = SAFERL_RL__SAVE;
    io.data = (unsigned char *)buffer;
    io.size = need - 4;
    saferl_rl__put_u32(io.data, SAFERL_RL__CHECKPOINT_MAGIC);
    saferl_rl__put_u32(io.data + 4, SAFERL_RL__CHECKPOINT_VERSION);
    saferl_rl__checkpoint_walk(&io, sections, subject);
    saferl_rl__put_u32(io.data + io.size, saferl_rl__crc32(io.data, io.size));
    if (written) *written = need;
    return SAFERL_OK;
}

static saferl_result saferl_rl__checkpoint_read(saferl_rl__checkpoint_sections sections, void *subject, const void *data,
                                                size_t size, const char **message) {
    const unsigned char *in = (const unsigned char *)data;
    saferl_rl__checkpoint_io io;
    memset(&io, 0, sizeof io);
    if (!in || size < 12 || saferl_rl__get_u32(in) != SAFERL_RL__CHECKPOINT_MAGIC)
        saferl_rl__checkpoint_fail(&io, SAFERL_ERR_CORRUPT, "checkpoint: not a checkpoint (magic \"SRLK\")");
    else if (saferl_rl__get_u32(in + 4) != SAFERL_RL__CHECKPOINT_VERSION)
        saferl_rl__checkpoint_fail(&io, SAFERL_ERR_VERSION, "checkpoint: another format version");
    else if (saferl_rl__get_u32(in + size - 4) != saferl_rl__crc32(in, size - 4))
        saferl_rl__checkpoint_fail(&io, SAFERL_ERR_CORRUPT, "checkpoint: the checksum does not match");
    if (io.result == SAFERL_OK) { /* phase one: check every byte, write nothing */
        io.mode = SAFERL_RL__CHECK;
        io.data = (unsigned char *)(uintptr_t)in; /* read only: written when saving alone */
        io.size = size - 4;
        saferl_rl__checkpoint_walk(&io, sections, subject);
    }
    if (io.result == SAFERL_OK) { /* phase two: what phase one accepted, into the subject */
        io.mode = SAFERL_RL__LOAD;
        saferl_rl__checkpoint_walk(&io, sections, subject);
        io.message = "ok";
    }
    if (message) *message = io.message;
    return io.result;
}

#ifndef SAFERL_NO_STDIO
static saferl_result saferl_rl__checkpoint_save_file(saferl_rl__checkpoint_sections sections, void *subject,
                                                     const saferl_allocator *allocator, const char *path) {
    size_t size = saferl_rl__checkpoint_measure(sections, subject);
    unsigned char *buffer = (unsigned char *)saferl_rl__allocate(allocator, size);
    saferl_result r;
    if (!buffer) return SAFERL_ERR_OUT_OF_MEMORY;
    saferl_rl__checkpoint_write(sections, subject, buffer, size, NULL);
    r = saferl_rl__write_file(path, buffer, size);
    saferl_rl__release(allocator, buffer);
    return r;
}

static saferl_result saferl_rl__checkpoint_load_file(saferl_rl__checkpoint_sections sections, void *subject,
                                                     const saferl_allocator *allocator, const char *path,
                                                     const char **message) {
    unsigned char *data = NULL;
    size_t size = 0;
    saferl_result r = saferl_rl__read_file(path, allocator, &data, &size);
    if (r != SAFERL_OK) {
        if (message) *message = "checkpoint: the file could not be read (errno says why)";
        return r;
    }
    r = saferl_rl__checkpoint_read(sections, subject, data, size, message);
    saferl_rl__release(allocator, data);
    return r;
}
#endif

SAFERL_RL_API size_t saferl_rl_agent_checkpoint_size(const saferl_rl_agent *agent) {
    SAFERL_ASSERT(agent != NULL && agent->networks.params != NULL);
    return saferl_rl__checkpoint_measure(saferl_rl__agent_sections, (void *)(uintptr_t)agent); /* only read */
}

SAFERL_RL_API saferl_result saferl_rl_agent_checkpoint_save(const saferl_rl_agent *agent, void *buffer,
                                                            size_t capacity, size_t *written) {
    SAFERL_ASSERT(agent != NULL && agent->networks.params != NULL);
    return saferl_rl__checkpoint_write(saferl_rl__agent_sections, (void *)(uintptr_t)agent, buffer, capacity, written);
}

SAFERL_RL_API saferl_result saferl_rl_agent_checkpoint_load(saferl_rl_agent *agent, const void *data, size_t size,
                                                            const char **message) {
    SAFERL_ASSERT(agent != NULL && agent->networks.params != NULL);
    return saferl_rl__checkpoint_read(saferl_rl__agent_sections, agent, data, size, message);
}

SAFERL_RL_API void saferl_rl_agent_restart_episodes(saferl_rl_agent *agent) {
    SAFERL_ASSERT(agent != NULL);
    agent->environments.needs_reset = 1;
}

#ifndef SAFERL_NO_STDIO
SAFERL_RL_API saferl_result saferl_rl_agent_checkpoint_save_file(const saferl_rl_agent *agent, const char *path) {
    SAFERL_ASSERT(agent != NULL && agent->networks.params != NULL);
    return saferl_rl__checkpoint_save_file(saferl_rl__agent_sections, (void *)(uintptr_t)agent, &agent->desc.allocator,
                                           path);
}

SAFERL_RL_API saferl_result saferl_rl_agent_checkpoint_load_file(saferl_rl_agent *agent, const char *path,
                                                                 const char **message) {
    SAFERL_ASSERT(agent != NULL && agent->networks.params != NULL);
    return saferl_rl__checkpoint_load_file(saferl_rl__agent_sections, agent, &agent->desc.allocator, path, message);
}
#endif

/* ---- offline data ------------------------------------------------------------------------------ */

#define SAFERL_RL__DATASET_MAGIC 0x444C5253u /* "SRLD" */
#define SAFERL_RL__DATASET_VERSION 1u
#define SAFERL_RL__RCSL_MAGIC 0x434C5253u /* "SRLC" */
#define SAFERL_RL__RCSL_VERSION 1u

static size_t saferl_rl__round8(size_t n) { return (n + 7u) & ~(size_t)7u; }

/* a * b, or 0 when it overflows size_t (wasm32 has a 32-bit size_t) */
static size_t saferl_rl__mul_size(size_t a, size_t b) {
    if (a != 0 && b > (size_t)-1 / a) return 0;
    return a * b;
}

static int saferl_rl__dataset_desc_ok(const saferl_rl_dataset_desc *d) {
    if (!d || d->observation_dim < 1 || d->observation_dim > SAFERL_RL_MAX_WIDTH) return 0;
    if (d->action_count == 0) return d->action_dim >= 1 && d->action_dim <= SAFERL_RL_MAX_WIDTH && d->max_steps >= 0 &&
                                      d->max_episodes >= 0;
    return d->action_dim == 1 && d->action_count >= 2 && d->action_count <= SAFERL_RL_MAX_WIDTH && d->max_steps >= 0 &&
           d->max_episodes >= 0;
}

/* The dataset's memory: episode starts (long), then the float arrays, then the end flags;
   each block 8-byte aligned. Returns 0 on overflow. */
static size_t saferl_rl__dataset_layout(const saferl_rl_dataset_desc *d, size_t *offsets) {
    size_t steps = (size_t)d->max_steps, per_step = (size_t)d->observation_dim + (size_t)d->action_dim + 2u, total = 0,
           block;
    if ((long)steps != d->max_steps || (long)(size_t)d->max_episodes != d->max_episodes) return 0;
    block = saferl_rl__mul_size((size_t)d->max_episodes + 1u, sizeof(long));
    if (!block) return 0;
    offsets[0] = 0;
    total = saferl_rl__round8(block);
    block = saferl_rl__mul_size(saferl_rl__mul_size(steps, per_step), sizeof(float));
    if (!block && steps) return 0;
    offsets[1] = total;
    if (total + block < total) return 0;
    total = saferl_rl__round8(total + block);
    offsets[2] = total;
    if (total + (size_t)d->max_episodes + 8u < total) return 0;
    return saferl_rl__round8(total + (size_t)d->max_episodes);
}

SAFERL_RL_API size_t saferl_rl_dataset_memory_size(const saferl_rl_dataset_desc *desc) {
    size_t offsets[3];
    if (!saferl_rl__dataset_desc_ok(desc)) return 0;
    return saferl_rl__dataset_layout(desc, offsets);
}

SAFERL_RL_API saferl_result saferl_rl_dataset_init(saferl_rl_dataset *dataset, const saferl_rl_dataset_desc *desc,
                                                   void *memory, size_t memory_size) {
    size_t offsets[3], need;
    unsigned char *base = (unsigned char *)memory;
    float *f;
    SAFERL_ASSERT(dataset != NULL);
    if (!saferl_rl__dataset_desc_ok(desc)) return SAFERL_ERR_INVALID_ARGUMENT;
    need = saferl_rl__dataset_layout(desc, offsets);
    if (!need) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(dataset, 0, sizeof *dataset);
    dataset->observation_dim = desc->observation_dim;
    dataset->action_dim = desc->action_dim;
    dataset->action_count = desc->action_count;
    dataset->max_steps = desc->max_steps;
    dataset->max_episodes = desc->max_episodes;
    dataset->allocator = desc->allocator;
    dataset->episode_start = (long *)(void *)(base + offsets[0]);
    f = (float *)(void *)(base + offsets[1]);
    dataset->observations = f;
    f += (size_t)desc->max_steps * (size_t)desc->observation_dim;
    dataset->actions = f;
    f += (size_t)desc->max_steps * (size_t)desc->action_dim;
    dataset->rewards = f;
    dataset->costs = f + desc->max_steps;
    dataset->terminated = base + offsets[2];
    dataset->episode_start[0] = 0;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_dataset_create(saferl_rl_dataset *dataset, const saferl_rl_dataset_desc *desc) {
    size_t need = saferl_rl_dataset_memory_size(desc);
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(dataset != NULL);
    if (!need) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = saferl_rl__allocate(&desc->allocator, need);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_rl_dataset_init(dataset, desc, memory, need);
    if (r != SAFERL_OK) {
        saferl_rl__release(&desc->allocator, memory);
        return r;
    }
    dataset->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_RL_API void saferl_rl_dataset_destroy(saferl_rl_dataset *dataset) {
    if (!dataset) return;
    if (dataset->owned_memory) saferl_rl__release(&dataset->allocator, dataset->owned_memory);
    memset(dataset, 0, sizeof *dataset);
}

SAFERL_RL_API void saferl_rl_dataset_clear(saferl_rl_dataset *dataset) {
    SAFERL_ASSERT(dataset != NULL);
    dataset->step_count = dataset->episode_count = 0;
    dataset->episode_start[0] = 0;
}

SAFERL_RL_API saferl_rl_dataset_desc saferl_rl_dataset_desc_for_env(const saferl_rl_env *env, long max_steps,
                                                                    long max_episodes) {
    saferl_rl_dataset_desc d;
    memset(&d, 0, sizeof d);
    if (!env) return d;
    d.observation_dim = env->observation_dim;
    d.action_dim = env->action_dim;
    d.action_count = env->action_count;
    d.max_steps = max_steps;
    d.max_episodes = max_episodes;
    return d;
}

/* A discrete action is a whole number in [0, count); count 0: continuous, any finite value. */
static int saferl_rl__action_ok(const float *action, int dim, int count) {
    if (count > 0) return action[0] >= 0.0f && action[0] < (float)count && action[0] == (float)(int)action[0];
    return saferl_rl__all_finite(action, dim);
}

SAFERL_RL_API saferl_result saferl_rl_dataset_append_episode(saferl_rl_dataset *dataset, const float *observations,
                                                             const float *actions, const float *rewards,
                                                             const float *costs, long length, int terminated) {
    long t, at;
    int O, A;
    SAFERL_ASSERT(dataset != NULL);
    if (!observations || !actions || !rewards || !costs || length < 1) return SAFERL_ERR_INVALID_ARGUMENT;
    O = dataset->observation_dim;
    A = dataset->action_dim;
    if (dataset->episode_count >= dataset->max_episodes || length > dataset->max_steps - dataset->step_count)
        return SAFERL_ERR_BUFFER_TOO_SMALL;
    for (t = 0; t < length; ++t) {
        if (!saferl_rl__all_finite(observations + (size_t)t * O, O) || !saferl_rl__finite(rewards[t]) ||
            !saferl_rl__finite(costs[t]) || (dataset->action_count == 0 && !saferl_rl__all_finite(actions + (size_t)t * A, A)))
            return SAFERL_ERR_NOT_FINITE;
        if (!saferl_rl__action_ok(actions + (size_t)t * A, A, dataset->action_count)) return SAFERL_ERR_INVALID_ARGUMENT;
    }
    at = dataset->step_count;
    memcpy(dataset->observations + (size_t)at * O, observations, sizeof(float) * (size_t)length * O);
    memcpy(dataset->actions + (size_t)at * A, actions, sizeof(float) * (size_t)length * A);
    memcpy(dataset->rewards + at, rewards, sizeof(float) * (size_t)length);
    memcpy(dataset->costs + at, costs, sizeof(float) * (size_t)length);
    dataset->terminated[dataset->episode_count] = (unsigned char)(terminated != 0);
    dataset->episode_count += 1;
    dataset->step_count += length;
    dataset->episode_start[dataset->episode_count] = dataset->step_count;
    return SAFERL_OK;
}

/* A uniformly random action: an index, or U[-1, 1] per dimension. */
static void saferl_rl__random_action(const saferl_rl_env *env, saferl_rng *rng, float *action) {
    int j;
    if (env->action_count > 0) action[0] = (float)saferl_rng_bounded(rng, (uint32_t)env->action_count);
    else
        for (j = 0; j < env->action_dim; ++j) action[j] = (float)(-1.0 + 2.0 * saferl_rng_uniform(rng));
}

SAFERL_RL_API saferl_result saferl_rl_dataset_collect(saferl_rl_dataset *dataset, const saferl_rl_policy *policy,
                                                      saferl_rl_policy_context *context, const saferl_rl_env *env,
                                                      int episodes, int max_steps, int deterministic, double epsilon,
                                                      saferl_rng *rng,
                                                      double *episode_returns, double *episode_costs) {
    float obs[SAFERL_RL_MAX_WIDTH], action[SAFERL_RL_MAX_WIDTH];
    long steps0, episodes0;
    int e, O, A;
    saferl_result r = SAFERL_OK;
    SAFERL_ASSERT(dataset != NULL);
    if (!env || !rng || episodes < 0 || max_steps < 0 || !(epsilon >= 0.0 && epsilon <= 1.0))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (env->observation_dim != dataset->observation_dim || env->action_dim != dataset->action_dim ||
        env->action_count != dataset->action_count)
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (policy && saferl_rl_policy_check_env(policy, env) != SAFERL_OK) return SAFERL_ERR_INVALID_ARGUMENT;
    O = env->observation_dim;
    A = env->action_dim;
    steps0 = dataset->step_count;
    episodes0 = dataset->episode_count;
    for (e = 0; e < episodes && r == SAFERL_OK; ++e) {
        double ret = 0.0, cost_sum = 0.0;
        int t, ended = 0;
        if (dataset->episode_count >= dataset->max_episodes) {
            r = SAFERL_ERR_BUFFER_TOO_SMALL;
            break;
        }
        r = env->reset(env->state, rng, obs);
        if (r == SAFERL_OK && !saferl_rl__all_finite(obs, O)) r = SAFERL_ERR_NOT_FINITE;
        for (t = 0; r == SAFERL_OK && (max_steps == 0 || t < max_steps); ++t) {
            long at = dataset->step_count;
            float reward = 0.0f, cost = 0.0f, costs[SAFERL_RL_MAX_COSTS] = {0.0f}; /* several: the first */
            int terminated = 0, truncated = 0;
            if (at >= dataset->max_steps) {
                r = SAFERL_ERR_BUFFER_TOO_SMALL;
                break;
            }
            if (!policy || (epsilon > 0.0 && saferl_rng_uniform(rng) < epsilon)) saferl_rl__random_action(env, rng, action);
            else r = saferl_rl_policy_act(policy, context, obs, action, deterministic ? NULL : rng);
            if (r != SAFERL_OK) break;
            memcpy(dataset->observations + (size_t)at * O, obs, sizeof(float) * (size_t)O);
            memcpy(dataset->actions + (size_t)at * A, action, sizeof(float) * (size_t)A);
            r = env->step(env->state, rng, action, obs, &reward, costs, &terminated, &truncated);
            cost = costs[0];
            if (r != SAFERL_OK) break;
            if (!saferl_rl__finite(reward) || !saferl_rl__finite(cost) || !saferl_rl__all_finite(obs, O)) {
                r = SAFERL_ERR_NOT_FINITE;
                break;
            }
            dataset->rewards[at] = reward;
            dataset->costs[at] = cost;
            dataset->step_count = at + 1;
            ret += reward;
            cost_sum += cost;
            if (terminated || truncated) {
                ended = terminated ? 1 : 2;
                break;
            }
        }
        if (r != SAFERL_OK) break;
        dataset->terminated[dataset->episode_count] = (unsigned char)(ended == 1);
        dataset->episode_count += 1;
        dataset->episode_start[dataset->episode_count] = dataset->step_count;
        if (episode_returns) episode_returns[e] = ret;
        if (episode_costs) episode_costs[e] = cost_sum;
    }
    if (r != SAFERL_OK) { /* leave the dataset as it was */
        dataset->step_count = steps0;
        dataset->episode_count = episodes0;
        dataset->episode_start[episodes0] = steps0;
    }
    return r;
}

SAFERL_RL_API void saferl_rl_dataset_episode_return(const saferl_rl_dataset *dataset, long e, double *episode_return,
                                                    double *episode_cost) {
    double ret = 0.0, cost = 0.0;
    long t;
    SAFERL_ASSERT(dataset != NULL && e >= 0 && e < dataset->episode_count);
    for (t = dataset->episode_start[e]; t < dataset->episode_start[e + 1]; ++t) {
        ret += dataset->rewards[t];
        cost += dataset->costs[t];
    }
    if (episode_return) *episode_return = ret;
    if (episode_cost) *episode_cost = cost;
}

SAFERL_RL_API saferl_result saferl_rl_dataset_mtro_targets(const saferl_rl_dataset *dataset, double cost_limit,
                                                           double kappa, double *reward_target,
                                                           double *cost_target) {
    double low = 0.0, high = 0.0, ret, cost, weight, sum_w = 0.0, sum_r = 0.0, sum_c = 0.0;
    long e, feasible = 0;
    if (!dataset || !reward_target || !cost_target) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_rl__finite(cost_limit) || !saferl_rl__finite(kappa)) return SAFERL_ERR_NOT_FINITE;
    if (kappa <= 0.0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (dataset->episode_count <= 0) return SAFERL_ERR_NO_DATA;
    for (e = 0; e < dataset->episode_count; ++e) {
        saferl_rl_dataset_episode_return(dataset, e, &ret, &cost);
        if (cost > cost_limit) continue;
        if (feasible++ == 0 || ret < low) low = ret;
        if (feasible == 1 || ret > high) high = ret;
    }
    if (feasible == 0) return SAFERL_ERR_INFEASIBLE;
    for (e = 0; e < dataset->episode_count; ++e) {
        saferl_rl_dataset_episode_return(dataset, e, &ret, &cost);
        if (cost > cost_limit) continue;
        /* exp(kappa (x - 1)) with x in [0, 1]: the top episode weighs 1, so nothing overflows */
        weight = high > low ? exp(kappa * ((ret - low) / (high - low) - 1.0)) : 1.0;
        sum_w += weight;
        sum_r += weight * ret;
        sum_c += weight * cost;
    }
    *reward_target = sum_r / sum_w;
    *cost_target = sum_c / sum_w;
    return SAFERL_OK;
}

SAFERL_RL_API size_t saferl_rl_dataset_saved_size(const saferl_rl_dataset *dataset) {
    SAFERL_ASSERT(dataset != NULL);
    return 28 + 8 * (size_t)dataset->episode_count +
           4 * (size_t)dataset->step_count * ((size_t)dataset->observation_dim + (size_t)dataset->action_dim + 2) + 4;
}

static size_t saferl_rl__put_floats(unsigned char *out, const float *x, size_t n) {
    size_t i;
    for (i = 0; i < n; ++i) saferl_rl__put_f32(out + 4 * i, x[i]);
    return 4 * n;
}

SAFERL_RL_API saferl_result saferl_rl_dataset_save(const saferl_rl_dataset *dataset, void *buffer, size_t capacity,
                                                   size_t *written) {
    unsigned char *out = (unsigned char *)buffer;
    size_t need, off = 28, N;
    long e;
    SAFERL_ASSERT(dataset != NULL);
    need = saferl_rl_dataset_saved_size(dataset);
    if (written) *written = need;
    if (!buffer || capacity < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    N = (size_t)dataset->step_count;
    saferl_rl__put_u32(out + 0, SAFERL_RL__DATASET_MAGIC);
    saferl_rl__put_u32(out + 4, SAFERL_RL__DATASET_VERSION);
    saferl_rl__put_u32(out + 8, (uint32_t)dataset->observation_dim);
    saferl_rl__put_u32(out + 12, (uint32_t)dataset->action_dim);
    saferl_rl__put_u32(out + 16, (uint32_t)dataset->action_count);
    saferl_rl__put_u32(out + 20, (uint32_t)dataset->episode_count);
    saferl_rl__put_u32(out + 24, (uint32_t)dataset->step_count);
    for (e = 0; e < dataset->episode_count; ++e, off += 4)
        saferl_rl__put_u32(out + off, (uint32_t)(dataset->episode_start[e + 1] - dataset->episode_start[e]));
    for (e = 0; e < dataset->episode_count; ++e, off += 4) saferl_rl__put_u32(out + off, dataset->terminated[e]);
    off += saferl_rl__put_floats(out + off, dataset->observations, N * (size_t)dataset->observation_dim);
    off += saferl_rl__put_floats(out + off, dataset->actions, N * (size_t)dataset->action_dim);
    off += saferl_rl__put_floats(out + off, dataset->rewards, N);
    off += saferl_rl__put_floats(out + off, dataset->costs, N);
    saferl_rl__put_u32(out + off, saferl_rl__crc32(out, off));
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_dataset_load_info(const void *buffer, size_t size, saferl_rl_dataset_desc *desc) {
    const unsigned char *in = (const unsigned char *)buffer;
    uint32_t O, A, count, E, N, e;
    size_t per_step, data_bytes, need, off, i, floats;
    uint64_t sum = 0;
    if (!buffer) return SAFERL_ERR_INVALID_ARGUMENT;
    if (size < 8 || saferl_rl__get_u32(in) != SAFERL_RL__DATASET_MAGIC) return SAFERL_ERR_CORRUPT;
    if (saferl_rl__get_u32(in + 4) != SAFERL_RL__DATASET_VERSION) return SAFERL_ERR_VERSION;
    if (size < 32) return SAFERL_ERR_CORRUPT;
    O = saferl_rl__get_u32(in + 8);
    A = saferl_rl__get_u32(in + 12);
    count = saferl_rl__get_u32(in + 16);
    E = saferl_rl__get_u32(in + 20);
    N = saferl_rl__get_u32(in + 24);
    if (O < 1 || O > SAFERL_RL_MAX_WIDTH || A < 1 || A > SAFERL_RL_MAX_WIDTH) return SAFERL_ERR_CORRUPT;
    if (count != 0 && (A != 1 || count < 2 || count > SAFERL_RL_MAX_WIDTH)) return SAFERL_ERR_CORRUPT;
    if (E > 0x7FFFFFFFu || N > 0x7FFFFFFFu || (E == 0) != (N == 0)) return SAFERL_ERR_CORRUPT;
    /* sizes checked by division: the buffer must hold exactly what the counts say */
    if ((size - 32) / 8 < E) return SAFERL_ERR_CORRUPT;
    per_step = 4 * ((size_t)O + A + 2);
    data_bytes = size - 32 - 8 * (size_t)E;
    if (data_bytes / per_step < N) return SAFERL_ERR_CORRUPT; /* truncated */
    need = 32 + 8 * (size_t)E + per_step * (size_t)N;
    if (size != need) return SAFERL_ERR_CORRUPT;              /* trailing bytes */
    if (saferl_rl__get_u32(in + need - 4) != saferl_rl__crc32(in, need - 4)) return SAFERL_ERR_CORRUPT;
    for (e = 0; e < E; ++e) {
        uint32_t length = saferl_rl__get_u32(in + 28 + 4 * (size_t)e);
        if (length < 1) return SAFERL_ERR_CORRUPT;
        sum += length;
        if (saferl_rl__get_u32(in + 28 + 4 * ((size_t)E + e)) > 1) return SAFERL_ERR_CORRUPT;
    }
    if (sum != N) return SAFERL_ERR_CORRUPT;
    off = 28 + 8 * (size_t)E;
    floats = (size_t)N * ((size_t)O + A + 2);
    for (i = 0; i < floats; ++i)
        if (!saferl_rl__finite(saferl_rl__get_f32(in + off + 4 * i))) return SAFERL_ERR_NOT_FINITE;
    if (count) {
        off += 4 * (size_t)N * O;
        for (i = 0; i < N; ++i) {
            float a = saferl_rl__get_f32(in + off + 4 * i);
            if (!saferl_rl__action_ok(&a, 1, (int)count)) return SAFERL_ERR_CORRUPT;
        }
    }
    if (desc) {
        memset(desc, 0, sizeof *desc);
        desc->observation_dim = (int)O;
        desc->action_dim = (int)A;
        desc->action_count = (int)count;
        desc->max_steps = (long)N;
        desc->max_episodes = (long)E;
    }
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_dataset_load(saferl_rl_dataset *dataset, const void *buffer, size_t size) {
    const unsigned char *in = (const unsigned char *)buffer;
    saferl_rl_dataset_desc d;
    size_t off = 28, i;
    long e, N, E;
    saferl_result r;
    SAFERL_ASSERT(dataset != NULL);
    r = saferl_rl_dataset_load_info(buffer, size, &d);
    if (r != SAFERL_OK) return r;
    if (d.observation_dim != dataset->observation_dim || d.action_dim != dataset->action_dim ||
        d.action_count != dataset->action_count)
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (d.max_steps > dataset->max_steps || d.max_episodes > dataset->max_episodes) return SAFERL_ERR_BUFFER_TOO_SMALL;
    N = d.max_steps;
    E = d.max_episodes;
    dataset->episode_start[0] = 0;
    for (e = 0; e < E; ++e, off += 4)
        dataset->episode_start[e + 1] = dataset->episode_start[e] + (long)saferl_rl__get_u32(in + off);
    for (e = 0; e < E; ++e, off += 4) dataset->terminated[e] = (unsigned char)saferl_rl__get_u32(in + off);
    for (i = 0; i < (size_t)N * (size_t)d.observation_dim; ++i, off += 4)
        dataset->observations[i] = saferl_rl__get_f32(in + off);
    for (i = 0; i < (size_t)N * (size_t)d.action_dim; ++i, off += 4) dataset->actions[i] = saferl_rl__get_f32(in + off);
    for (i = 0; i < (size_t)N; ++i, off += 4) dataset->rewards[i] = saferl_rl__get_f32(in + off);
    for (i = 0; i < (size_t)N; ++i, off += 4) dataset->costs[i] = saferl_rl__get_f32(in + off);
    dataset->step_count = N;
    dataset->episode_count = E;
    return SAFERL_OK;
}

#ifndef SAFERL_NO_STDIO
SAFERL_RL_API saferl_result saferl_rl_dataset_save_file(const saferl_rl_dataset *dataset, const char *path) {
    size_t size = saferl_rl_dataset_saved_size(dataset);
    unsigned char *buffer = (unsigned char *)saferl_rl__allocate(&dataset->allocator, size);
    saferl_result r;
    if (!buffer) return SAFERL_ERR_OUT_OF_MEMORY;
    saferl_rl_dataset_save(dataset, buffer, size, NULL);
    r = saferl_rl__write_file(path, buffer, size);
    saferl_rl__release(&dataset->allocator, buffer);
    return r;
}

SAFERL_RL_API saferl_result saferl_rl_dataset_load_file(saferl_rl_dataset *dataset, const char *path,
                                                        const saferl_allocator *allocator) {
    unsigned char *data = NULL;
    size_t size = 0;
    saferl_rl_dataset_desc d;
    saferl_result r;
    SAFERL_ASSERT(dataset != NULL);
    r = saferl_rl__read_file(path, allocator, &data, &size);
    if (r != SAFERL_OK) return r;
    r = saferl_rl_dataset_load_info(data, size, &d);
    if (r == SAFERL_OK) {
        saferl_rl_dataset loaded;
        if (allocator) d.allocator = *allocator;
        r = saferl_rl_dataset_create(&loaded, &d);
        if (r == SAFERL_OK) r = saferl_rl_dataset_load(&loaded, data, size);
        if (r == SAFERL_OK) *dataset = loaded;
        else if (loaded.owned_memory) saferl_rl_dataset_destroy(&loaded);
    }
    saferl_rl__release(allocator, data);
    return r;
}
#endif

/* ---- the transformer form (CDT) -------------------------------------------------------------- */

SAFERL_RL_API void saferl_rl_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                               const float *weight, const float *bias, int N, int C) {
    /* inp and out are (N,C), weight and bias (C), mean and rstd (N): the statistics backward
       reuses; eps 1e-5 inside the square root (PyTorch's) */
    int n, i;
    for (n = 0; n < N; ++n) {
        const float *x = inp + (size_t)n * C;
        float *y = out + (size_t)n * C;
        float m = 0.0f, v = 0.0f, s;
        for (i = 0; i < C; ++i) m += x[i];
        m /= (float)C;
        for (i = 0; i < C; ++i) v += (x[i] - m) * (x[i] - m);
        v /= (float)C;
        s = 1.0f / sqrtf(v + 1e-5f);
        for (i = 0; i < C; ++i) y[i] = (x[i] - m) * s * weight[i] + bias[i];
        mean[n] = m;
        rstd[n] = s;
    }
}

SAFERL_RL_API void saferl_rl_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                                const float *inp, const float *weight, const float *mean,
                                                const float *rstd, int N, int C) {
    /* dout and inp are (N,C); accumulates dinp (N,C), dweight and dbias (C) */
    int n, i;
    for (n = 0; n < N; ++n) {
        const float *x = inp + (size_t)n * C, *dy = dout + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        const float m = mean[n], s = rstd[n];
        float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
        for (i = 0; i < C; ++i) {
            const float norm = (x[i] - m) * s, dnorm = weight[i] * dy[i];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= (float)C;
        dnorm_norm_mean /= (float)C;
        for (i = 0; i < C; ++i) {
            const float norm = (x[i] - m) * s, dnorm = weight[i] * dy[i];
            dbias[i] += dy[i];
            dweight[i] += norm * dy[i];
            dx[i] += s * (dnorm - dnorm_mean - norm * dnorm_norm_mean);
        }
    }
}

#define SAFERL_RL__GELU_SCALE 0.7978845608028654f /* sqrt(2 / pi) */

SAFERL_RL_API void saferl_rl_gelu_forward(float *out, const float *inp, int N) {
    /* inp and out are (N): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), tanh vectorised */
    int i;
    for (i = 0; i < N; ++i) out[i] = SAFERL_RL__GELU_SCALE * (inp[i] + 0.044715f * inp[i] * inp[i] * inp[i]);
    saferl_rl_tanh_forward(out, out, N);
    for (i = 0; i < N; ++i) out[i] = 0.5f * inp[i] * (1.0f + out[i]);
}

SAFERL_RL_API void saferl_rl_gelu_backward(float *dinp, const float *inp, const float *dout, int N) {
    /* inp (the forward's input) and dout are (N); accumulates dinp (N) */
    float th[256];
    int i0, i;
    for (i0 = 0; i0 < N; i0 += 256) {
        const int n = N - i0 < 256 ? N - i0 : 256;
        const float *x = inp + i0;
        for (i = 0; i < n; ++i) th[i] = SAFERL_RL__GELU_SCALE * (x[i] + 0.044715f * x[i] * x[i] * x[i]);
        saferl_rl_tanh_forward(th, th, n);
        for (i = 0; i < n; ++i) {
            const float du = SAFERL_RL__GELU_SCALE * (1.0f + 3.0f * 0.044715f * x[i] * x[i]);
            dinp[i0 + i] += dout[i0 + i] * (0.5f * (1.0f + th[i]) + 0.5f * x[i] * (1.0f - th[i] * th[i]) * du);
        }
    }
}

SAFERL_RL_API void saferl_rl_attention_forward(float *out, float *att, const float *inp, int B, int T, int C, int NH) {
    /* inp is (B,T,3C): each token's query, key and value, NH heads of C/NH each; att is
       (B,NH,T,T), the softmax weights, zero above the diagonal (the causal mask: token t
       attends to tokens <= t); out is (B,T,C) */
    const int hs = C / NH;
    const float scale = 1.0f / sqrtf((float)hs);
    int b, t, h, t2, i;
    for (b = 0; b < B; ++b)
        for (t = 0; t < T; ++t)
            for (h = 0; h < NH; ++h) {
                const float *q = inp + ((size_t)b * T + t) * 3 * C + h * hs;
                float *w = att + (((size_t)b * NH + h) * T + t) * T, *o = out + ((size_t)b * T + t) * C + h * hs;
                float top = -3.4e38f, sum = 0.0f;
                for (t2 = 0; t2 <= t; ++t2) {
                    const float *k = inp + ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    float dot = 0.0f;
                    for (i = 0; i < hs; ++i) dot += q[i] * k[i];
                    w[t2] = dot * scale;
                    if (w[t2] > top) top = w[t2];
                }
                for (t2 = 0; t2 <= t; ++t2) {
                    w[t2] = expf(w[t2] - top);
                    sum += w[t2];
                }
                for (t2 = 0; t2 <= t; ++t2) w[t2] /= sum;
                for (t2 = t + 1; t2 < T; ++t2) w[t2] = 0.0f;
                for (i = 0; i < hs; ++i) o[i] = 0.0f;
                for (t2 = 0; t2 <= t; ++t2) {
                    const float *v = inp + ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs;
                    for (i = 0; i < hs; ++i) o[i] += w[t2] * v[i];
                }
            }
}

SAFERL_RL_API void saferl_rl_attention_backward(float *dinp, const float *dout, const float *inp, const float *att,
                                                int B, int T, int C, int NH) {
    /* dout is (B,T,C), inp (B,T,3C), att (B,NH,T,T) from the forward pass; accumulates dinp
       (B,T,3C). T <= SAFERL_RL_CDT_MAX_TOKENS (the row's weight gradients live on the stack). */
    const int hs = C / NH;
    const float scale = 1.0f / sqrtf((float)hs);
    float datt[SAFERL_RL_CDT_MAX_TOKENS];
    int b, t, h, t2, i;
    SAFERL_ASSERT(T <= SAFERL_RL_CDT_MAX_TOKENS);
    for (b = 0; b < B; ++b)
        for (t = 0; t < T; ++t)
            for (h = 0; h < NH; ++h) {
                const float *q = inp + ((size_t)b * T + t) * 3 * C + h * hs;
                const float *w = att + (((size_t)b * NH + h) * T + t) * T, *dy = dout + ((size_t)b * T + t) * C + h * hs;
                float *dq = dinp + ((size_t)b * T + t) * 3 * C + h * hs;
                float weighted = 0.0f;
                for (t2 = 0; t2 <= t; ++t2) {
                    const float *v = inp + ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs;
                    float *dv = dinp + ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs;
                    float d = 0.0f;
                    for (i = 0; i < hs; ++i) {
                        d += v[i] * dy[i];
                        dv[i] += w[t2] * dy[i];
                    }
                    datt[t2] = d;
                    weighted += w[t2] * d;
                }
                for (t2 = 0; t2 <= t; ++t2) { /* through the softmax, then the scaled dot product */
                    const float dpre = w[t2] * (datt[t2] - weighted) * scale;
                    const float *k = inp + ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    float *dk = dinp + ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    for (i = 0; i < hs; ++i) {
                        dq[i] += dpre * k[i];
                        dk[i] += dpre * q[i];
                    }
                }
            }
}

SAFERL_RL_API saferl_result saferl_rl_cdt_check(const saferl_rl_cdt *m) {
    if (!m || m->observation_dim < 1 || m->observation_dim > SAFERL_RL_MAX_WIDTH - 2 || m->action_input < 1 ||
        m->action_input > SAFERL_RL_MAX_WIDTH || m->head_dim != m->action_input || (m->gaussian != 0 && m->gaussian != 1) ||
        m->context < 1 || m->context > SAFERL_RL_CDT_MAX_CONTEXT || m->layer_count < 1 ||
        m->layer_count > SAFERL_RL_MAX_LAYERS || m->head_count < 1 || m->head_count > 16 || m->d_model < 1 ||
        m->d_model > 1024 || m->d_model % m->head_count != 0 || m->mlp_width < 1 || m->mlp_width > SAFERL_RL_MAX_WIDTH ||
        m->max_timestep < 1 || m->max_timestep > 100000)
        return SAFERL_ERR_INVALID_ARGUMENT;
    return SAFERL_OK;
}

/* Offsets into the parameter block, in this order. */
typedef struct saferl_rl__cdt_params {
    size_t reward_w, reward_b, cost_w, cost_b, state_w, state_b, action_w, action_b, timestep, emb_ln_w, emb_ln_b;
    size_t blocks, block_size;
    size_t ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, fc_w, fc_b, fc_proj_w, fc_proj_b; /* in a block */
    size_t lnf_w, lnf_b, head_w, head_b, log_std, total;
} saferl_rl__cdt_params;

static void saferl_rl__cdt_param_layout(const saferl_rl_cdt *m, saferl_rl__cdt_params *o) {
    const size_t C = (size_t)m->d_model, F = (size_t)m->mlp_width, O = (size_t)m->observation_dim,
                 A = (size_t)m->action_input, H = (size_t)m->head_dim;
    size_t at = 0;
    o->reward_w = at, at += C;
    o->reward_b = at, at += C;
    o->cost_w = at, at += C;
    o->cost_b = at, at += C;
    o->state_w = at, at += C * O;
    o->state_b = at, at += C;
    o->action_w = at, at += C * A;
    o->action_b = at, at += C;
    o->timestep = at, at += (size_t)m->max_timestep * C;
    o->emb_ln_w = at, at += C;
    o->emb_ln_b = at, at += C;
    o->ln1_w = 0, o->ln1_b = C, o->qkv_w = 2 * C, o->qkv_b = o->qkv_w + 3 * C * C, o->proj_w = o->qkv_b + 3 * C;
    o->proj_b = o->proj_w + C * C, o->ln2_w = o->proj_b + C, o->ln2_b = o->ln2_w + C, o->fc_w = o->ln2_b + C;
    o->fc_b = o->fc_w + F * C, o->fc_proj_w = o->fc_b + F, o->fc_proj_b = o->fc_proj_w + C * F;
    o->block_size = o->fc_proj_b + C;
    o->blocks = at, at += (size_t)m->layer_count * o->block_size;
    o->lnf_w = at, at += C;
    o->lnf_b = at, at += C;
    o->head_w = at, at += H * C;
    o->head_b = at, at += H;
    o->log_std = at, at += m->gaussian ? H : 0;
    o->total = at;
}

SAFERL_RL_API size_t saferl_rl_cdt_param_count(const saferl_rl_cdt *cdt) {
    saferl_rl__cdt_params o;
    saferl_rl__cdt_param_layout(cdt, &o);
    return o.total;
}

/* Activations of B windows of K steps (T = 4K tokens, M = BK state tokens), in this order:
   encoded, x0 (B,T,C); emb_mean, emb_rstd (B,T); per block ln1 (B,T,C), ln1_mean, ln1_rstd
   (B,T), qkv (B,T,3C), att (B,NH,T,T), atty, res2, ln2 (B,T,C), ln2_mean, ln2_rstd (B,T),
   fch, fch_gelu (B,T,F), res3 (B,T,C); then state, lnf (M,C), lnf_mean, lnf_rstd (M), head (M,H). */
typedef struct saferl_rl__cdt_acts {
    float *encoded, *x0, *emb_mean, *emb_rstd, *state, *lnf, *lnf_mean, *lnf_rstd, *head;
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *att, *atty, *res2, *ln2, *ln2_mean, *ln2_rstd, *fch, *fch_gelu, *res3;
} saferl_rl__cdt_acts;

static size_t saferl_rl__cdt_block_acts(const saferl_rl_cdt *m, int B, int K) {
    const size_t BT = (size_t)B * 4 * K, C = (size_t)m->d_model, T = 4 * (size_t)K;
    return BT * (8 * C + 4 + 2 * (size_t)m->mlp_width) + (size_t)B * m->head_count * T * T;
}

/* Points a at block l's activations (l = -1: the rest) inside acts. */
static void saferl_rl__cdt_acts_at(const saferl_rl_cdt *m, float *acts, int B, int K, int l, saferl_rl__cdt_acts *a) {
    const size_t BT = (size_t)B * 4 * K, C = (size_t)m->d_model, F = (size_t)m->mlp_width, M = (size_t)B * K;
    float *p = acts + 2 * BT * C + 2 * BT;
    a->encoded = acts;
    a->x0 = acts + BT * C;
    a->emb_mean = acts + 2 * BT * C;
    a->emb_rstd = a->emb_mean + BT;
    if (l < 0) {
        p += (size_t)m->layer_count * saferl_rl__cdt_block_acts(m, B, K);
        a->state = p, p += M * C;
        a->lnf = p, p += M * C;
        a->lnf_mean = p, p += M;
        a->lnf_rstd = p, p += M;
        a->head = p;
        return;
    }
    p += (size_t)l * saferl_rl__cdt_block_acts(m, B, K);
    a->ln1 = p, p += BT * C;
    a->ln1_mean = p, p += BT;
    a->ln1_rstd = p, p += BT;
    a->qkv = p, p += 3 * BT * C;
    a->att = p, p += (size_t)B * m->head_count * 16 * (size_t)K * K;
    a->atty = p, p += BT * C;
    a->res2 = p, p += BT * C;
    a->ln2 = p, p += BT * C;
    a->ln2_mean = p, p += BT;
    a->ln2_rstd = p, p += BT;
    a->fch = p, p += BT * F;
    a->fch_gelu = p, p += BT * F;
    a->res3 = p;
}

SAFERL_RL_API size_t saferl_rl_cdt_activation_count(const saferl_rl_cdt *cdt, int B) {
    const size_t BT = (size_t)B * 4 * cdt->context, M = (size_t)B * cdt->context, C = (size_t)cdt->d_model;
    return 2 * BT * C + 2 * BT + (size_t)cdt->layer_count * saferl_rl__cdt_block_acts(cdt, B, cdt->context) +
           2 * M * C + 2 * M + M * (size_t)cdt->head_dim;
}

/* backward's scratch: dres, dln, datty (B,T,C), dqkv (B,T,3C), dfch, dfch_gelu (B,T,F),
   dstate, dlnf (M,C) */
SAFERL_RL_API size_t saferl_rl_cdt_scratch_count(const saferl_rl_cdt *cdt, int B) {
    const size_t BT = (size_t)B * 4 * cdt->context, M = (size_t)B * cdt->context, C = (size_t)cdt->d_model;
    return BT * (6 * C + 2 * (size_t)cdt->mlp_width) + 2 * M * C;
}

static void saferl_rl__normal_fill(float *x, size_t n, double std, saferl_rng *rng) {
    size_t i;
    for (i = 0; i < n; ++i) x[i] = (float)(std * saferl_rng_normal(rng));
}

SAFERL_RL_API void saferl_rl_cdt_init_params(const saferl_rl_cdt *cdt, float *params, saferl_rng *rng, float log_std) {
    saferl_rl__cdt_params o;
    const size_t C = (size_t)cdt->d_model, F = (size_t)cdt->mlp_width;
    const double out_std = 0.02 / sqrt(2.0 * cdt->layer_count);
    size_t i;
    int l;
    saferl_rl__cdt_param_layout(cdt, &o);
    memset(params, 0, sizeof(float) * o.total);
    saferl_rl__normal_fill(params + o.reward_w, C, 0.02, rng);
    saferl_rl__normal_fill(params + o.cost_w, C, 0.02, rng);
    saferl_rl__normal_fill(params + o.state_w, C * (size_t)cdt->observation_dim, 0.02, rng);
    saferl_rl__normal_fill(params + o.action_w, C * (size_t)cdt->action_input, 0.02, rng);
    saferl_rl__normal_fill(params + o.timestep, C * (size_t)cdt->max_timestep, 0.02, rng);
    for (i = 0; i < C; ++i) params[o.emb_ln_w + i] = params[o.lnf_w + i] = 1.0f;
    for (l = 0; l < cdt->layer_count; ++l) {
        float *p = params + o.blocks + (size_t)l * o.block_size;
        for (i = 0; i < C; ++i) p[o.ln1_w + i] = p[o.ln2_w + i] = 1.0f;
        saferl_rl__normal_fill(p + o.qkv_w, 3 * C * C, 0.02, rng);
        saferl_rl__normal_fill(p + o.proj_w, C * C, out_std, rng);
        saferl_rl__normal_fill(p + o.fc_w, F * C, 0.02, rng);
        saferl_rl__normal_fill(p + o.fc_proj_w, C * F, out_std, rng);
    }
    saferl_rl__normal_fill(params + o.head_w, (size_t)cdt->head_dim * C, 0.02, rng);
    if (cdt->gaussian)
        for (i = 0; i < (size_t)cdt->head_dim; ++i) params[o.log_std + i] = log_std;
}

static int saferl_rl__cdt_time(const saferl_rl_cdt *m, int t) { return t < 0 ? 0 : (t >= m->max_timestep ? m->max_timestep - 1 : t); }

SAFERL_RL_API void saferl_rl_cdt_embed_forward(const saferl_rl_cdt *cdt, const float *params, float *out,
                                               const float *steps, const int *timesteps, int B, int K) {
    /* steps (B,K,E), E = observation_dim + 2 + action_input; timesteps (B,K); out (B,4K,C):
       tokens 4k .. 4k+3 are step k's reward to go, cost to go, state and action */
    saferl_rl__cdt_params o;
    const int C = cdt->d_model, O = cdt->observation_dim, A = cdt->action_input, E = O + 2 + A;
    int n, i, j;
    saferl_rl__cdt_param_layout(cdt, &o);
    for (n = 0; n < B * K; ++n) {
        const float *row = steps + (size_t)n * E, *time = params + o.timestep + (size_t)saferl_rl__cdt_time(cdt, timesteps[n]) * C;
        float *tok = out + (size_t)n * 4 * C;
        for (i = 0; i < C; ++i) {
            const float *ws = params + o.state_w + (size_t)i * O, *wa = params + o.action_w + (size_t)i * A;
            float s = params[o.state_b + i], a = params[o.action_b + i];
            for (j = 0; j < O; ++j) s += ws[j] * row[j];
            for (j = 0; j < A; ++j) a += wa[j] * row[O + 2 + j];
            tok[i] = params[o.reward_w + i] * row[O] + params[o.reward_b + i] + time[i];
            tok[C + i] = params[o.cost_w + i] * row[O + 1] + params[o.cost_b + i] + time[i];
            tok[2 * C + i] = s + time[i];
            tok[3 * C + i] = a + time[i];
        }
    }
}

SAFERL_RL_API void saferl_rl_cdt_embed_backward(const saferl_rl_cdt *cdt, const float *params, float *grads,
                                                float *dsteps, const float *dout, const float *steps,
                                                const int *timesteps, int B, int K) {
    /* dout (B,4K,C); accumulates grads and, if not NULL, dsteps (B,K,E) */
    saferl_rl__cdt_params o;
    const int C = cdt->d_model, O = cdt->observation_dim, A = cdt->action_input, E = O + 2 + A;
    int n, i, j;
    saferl_rl__cdt_param_layout(cdt, &o);
    for (n = 0; n < B * K; ++n) {
        const float *row = steps + (size_t)n * E, *d = dout + (size_t)n * 4 * C;
        float *dtime = grads + o.timestep + (size_t)saferl_rl__cdt_time(cdt, timesteps[n]) * C;
        float *drow = dsteps ? dsteps + (size_t)n * E : NULL;
        for (i = 0; i < C; ++i) {
            const float *ws = params + o.state_w + (size_t)i * O, *wa = params + o.action_w + (size_t)i * A;
            float *dws = grads + o.state_w + (size_t)i * O, *dwa = grads + o.action_w + (size_t)i * A;
            grads[o.reward_w + i] += d[i] * row[O];
            grads[o.reward_b + i] += d[i];
            grads[o.cost_w + i] += d[C + i] * row[O + 1];
            grads[o.cost_b + i] += d[C + i];
            grads[o.state_b + i] += d[2 * C + i];
            grads[o.action_b + i] += d[3 * C + i];
            dtime[i] += d[i] + d[C + i] + d[2 * C + i] + d[3 * C + i];
            for (j = 0; j < O; ++j) dws[j] += d[2 * C + i] * row[j];
            for (j = 0; j < A; ++j) dwa[j] += d[3 * C + i] * row[O + 2 + j];
            if (drow) {
                drow[O] += params[o.reward_w + i] * d[i];
                drow[O + 1] += params[o.cost_w + i] * d[C + i];
                for (j = 0; j < O; ++j) drow[j] += ws[j] * d[2 * C + i];
                for (j = 0; j < A; ++j) drow[O + 2 + j] += wa[j] * d[3 * C + i];
            }
        }
    }
}

SAFERL_RL_API float *saferl_rl_cdt_forward(const saferl_rl_cdt *cdt, const float *params, const float *steps,
                                           const int *timesteps, float *acts, int B, int K) {
    saferl_rl__cdt_params o;
    saferl_rl__cdt_acts a, f;
    const int C = cdt->d_model, F = cdt->mlp_width, T = 4 * K, BT = B * T, M = B * K;
    const float *res;
    int l, n;
    size_t i;
    saferl_rl__cdt_param_layout(cdt, &o);
    saferl_rl__cdt_acts_at(cdt, acts, B, K, -1, &f);
    saferl_rl_cdt_embed_forward(cdt, params, f.encoded, steps, timesteps, B, K);
    saferl_rl_layernorm_forward(f.x0, f.emb_mean, f.emb_rstd, f.encoded, params + o.emb_ln_w, params + o.emb_ln_b, BT, C);
    res = f.x0;
    for (l = 0; l < cdt->layer_count; ++l) { /* pre-LN GPT block */
        const float *p = params + o.blocks + (size_t)l * o.block_size;
        saferl_rl__cdt_acts_at(cdt, acts, B, K, l, &a);
        saferl_rl_layernorm_forward(a.ln1, a.ln1_mean, a.ln1_rstd, res, p + o.ln1_w, p + o.ln1_b, BT, C);
        saferl_rl_linear_forward(a.qkv, a.ln1, p + o.qkv_w, p + o.qkv_b, BT, C, 3 * C);
        saferl_rl_attention_forward(a.atty, a.att, a.qkv, B, T, C, cdt->head_count);
        saferl_rl_linear_forward(a.res2, a.atty, p + o.proj_w, p + o.proj_b, BT, C, C);
        for (i = 0; i < (size_t)BT * C; ++i) a.res2[i] += res[i];
        saferl_rl_layernorm_forward(a.ln2, a.ln2_mean, a.ln2_rstd, a.res2, p + o.ln2_w, p + o.ln2_b, BT, C);
        saferl_rl_linear_forward(a.fch, a.ln2, p + o.fc_w, p + o.fc_b, BT, C, F);
        saferl_rl_gelu_forward(a.fch_gelu, a.fch, BT * F);
        saferl_rl_linear_forward(a.res3, a.fch_gelu, p + o.fc_proj_w, p + o.fc_proj_b, BT, F, C);
        for (i = 0; i < (size_t)BT * C; ++i) a.res3[i] += a.res2[i];
        res = a.res3;
    }
    for (n = 0; n < M; ++n) /* the state tokens: 4k + 2 */
        memcpy(f.state + (size_t)n * C, res + ((size_t)(n / K) * T + 4 * (n % K) + 2) * C, sizeof(float) * (size_t)C);
    saferl_rl_layernorm_forward(f.lnf, f.lnf_mean, f.lnf_rstd, f.state, params + o.lnf_w, params + o.lnf_b, M, C);
    saferl_rl_linear_forward(f.head, f.lnf, params + o.head_w, params + o.head_b, M, C, cdt->head_dim);
    return f.head;
}

SAFERL_RL_API void saferl_rl_cdt_backward(const saferl_rl_cdt *cdt, const float *params, float *grads,
                                          const float *steps, const int *timesteps, const float *acts,
                                          const float *dhead, float *dsteps, float *scratch, int B, int K) {
    saferl_rl__cdt_params o;
    saferl_rl__cdt_acts a, f;
    const int C = cdt->d_model, F = cdt->mlp_width, T = 4 * K, BT = B * T, M = B * K;
    const size_t btc = (size_t)BT * C, btf = (size_t)BT * F;
    float *dres = scratch, *dln = dres + btc, *datty = dln + btc, *dqkv = datty + btc, *dfch = dqkv + 3 * btc,
          *dfch_gelu = dfch + btf, *dstate = dfch_gelu + btf, *dlnf = dstate + (size_t)M * C;
    int l, n;
    saferl_rl__cdt_param_layout(cdt, &o);
    saferl_rl__cdt_acts_at(cdt, (float *)acts, B, K, -1, &f);
    memset(dlnf, 0, sizeof(float) * (size_t)M * C);
    memset(dstate, 0, sizeof(float) * (size_t)M * C);
    saferl_rl_linear_backward(dlnf, grads + o.head_w, grads + o.head_b, dhead, f.lnf, params + o.head_w, M, C,
                              cdt->head_dim);
    saferl_rl_layernorm_backward(dstate, grads + o.lnf_w, grads + o.lnf_b, dlnf, f.state, params + o.lnf_w, f.lnf_mean,
                                 f.lnf_rstd, M, C);
    memset(dres, 0, sizeof(float) * btc);
    for (n = 0; n < M; ++n)
        memcpy(dres + ((size_t)(n / K) * T + 4 * (n % K) + 2) * C, dstate + (size_t)n * C, sizeof(float) * (size_t)C);
    for (l = cdt->layer_count - 1; l >= 0; --l) {
        const float *p = params + o.blocks + (size_t)l * o.block_size, *res;
        float *g = grads + o.blocks + (size_t)l * o.block_size;
        if (l > 0) {
            saferl_rl__cdt_acts_at(cdt, (float *)acts, B, K, l - 1, &a);
            res = a.res3;
        } else res = f.x0;
        saferl_rl__cdt_acts_at(cdt, (float *)acts, B, K, l, &a);
        /* res3 = res2 + fc_proj(gelu(fc(ln2(res2)))): dres holds d res3 */
        memset(dfch_gelu, 0, sizeof(float) * btf);
        saferl_rl_linear_backward(dfch_gelu, g + o.fc_proj_w, g + o.fc_proj_b, dres, a.fch_gelu, p + o.fc_proj_w, BT, F, C);
        memset(dfch, 0, sizeof(float) * btf);
        saferl_rl_gelu_backward(dfch, a.fch, dfch_gelu, BT * F);
        memset(dln, 0, sizeof(float) * btc);
        saferl_rl_linear_backward(dln, g + o.fc_w, g + o.fc_b, dfch, a.ln2, p + o.fc_w, BT, C, F);
        saferl_rl_layernorm_backward(dres, g + o.ln2_w, g + o.ln2_b, dln, a.res2, p + o.ln2_w, a.ln2_mean, a.ln2_rstd, BT, C);
        /* res2 = res + proj(attention(qkv(ln1(res)))): dres now holds d res2 */
        memset(datty, 0, sizeof(float) * btc);
        saferl_rl_linear_backward(datty, g + o.proj_w, g + o.proj_b, dres, a.atty, p + o.proj_w, BT, C, C);
        memset(dqkv, 0, sizeof(float) * 3 * btc);
        saferl_rl_attention_backward(dqkv, datty, a.qkv, a.att, B, T, C, cdt->head_count);
        memset(dln, 0, sizeof(float) * btc);
        saferl_rl_linear_backward(dln, g + o.qkv_w, g + o.qkv_b, dqkv, a.ln1, p + o.qkv_w, BT, C, 3 * C);
        saferl_rl_layernorm_backward(dres, g + o.ln1_w, g + o.ln1_b, dln, res, p + o.ln1_w, a.ln1_mean, a.ln1_rstd, BT, C);
    }
    memset(dln, 0, sizeof(float) * btc);
    saferl_rl_layernorm_backward(dln, grads + o.emb_ln_w, grads + o.emb_ln_b, dres, f.encoded, params + o.emb_ln_w,
                                 f.emb_mean, f.emb_rstd, BT, C);
    saferl_rl_cdt_embed_backward(cdt, params, grads, dsteps, dln, steps, timesteps, B, K);
}

/* ---- acting with a context ------------------------------------------------------------------- */

static size_t saferl_rl__cdt_step_width(const saferl_rl_cdt *m) { return (size_t)m->observation_dim + 2 + (size_t)m->action_input; }

/* The context's memory. Transformer: context + 1 rows of step inputs and timesteps (a new
   step goes to the spare row while the window is full, so a step that fails changes
   nothing), one window's activations. MLP: the input row, the network's scratch. */
static size_t saferl_rl__context_layout(const saferl_rl_rcsl_policy *policy, saferl_rl_rcsl_context *c,
                                        unsigned char *base) {
    const saferl_rl_cdt *m = &policy->cdt;
    size_t cursor = 0, network;
    void *p;
    memset(c, 0, sizeof *c);
    if (policy->architecture == SAFERL_RL_RCSL_TRANSFORMER) {
        saferl_rl__take(base, &cursor, sizeof(float) * (size_t)(m->context + 1) * saferl_rl__cdt_step_width(m), &p);
        c->steps = (float *)p;
        saferl_rl__take(base, &cursor, sizeof(int) * (size_t)(m->context + 1), &p);
        c->timesteps = (int *)p;
        saferl_rl__take(base, &cursor, sizeof(float) * saferl_rl_cdt_activation_count(m, 1), &p);
        c->acts = (float *)p;
        return cursor;
    }
    saferl_rl__take(base, &cursor, sizeof(float) * ((size_t)policy->observation_dim + 2), &p);
    c->input = (float *)p;
    network = saferl_rl_policy_context_memory_size(&policy->policy);
    saferl_rl__take(base, &cursor, network, &p);
    if (base) saferl_rl_policy_context_init(&c->network, p, network);
    return cursor;
}

SAFERL_RL_API size_t saferl_rl_rcsl_context_memory_size(const saferl_rl_rcsl_policy *policy) {
    saferl_rl_rcsl_context c;
    SAFERL_ASSERT(policy != NULL);
    return saferl_rl__context_layout(policy, &c, NULL);
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_context_init(saferl_rl_rcsl_context *context,
                                                        const saferl_rl_rcsl_policy *policy, void *memory,
                                                        size_t memory_size) {
    SAFERL_ASSERT(context != NULL && policy != NULL);
    if (!memory || memory_size < saferl_rl_rcsl_context_memory_size(policy)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    saferl_rl__context_layout(policy, context, (unsigned char *)memory);
    return SAFERL_OK;
}

SAFERL_RL_API void saferl_rl_rcsl_context_reset(saferl_rl_rcsl_context *context) {
    if (!context) return;
    context->length = 0;
    context->timestep = 0;
}

/* The MLP form's step: (observation, R, C) through the plain policy. */
static saferl_result saferl_rl__rcsl_mlp_step(const saferl_rl_rcsl_policy *policy, saferl_rl_rcsl_context *context,
                                              const float *observation, double reward_to_go, double cost_to_go,
                                              float *action, saferl_rng *rng) {
    const int O = policy->observation_dim;
    if (!context || !context->input || !observation || !action) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_rl__finite(reward_to_go) || !saferl_rl__finite(cost_to_go)) return SAFERL_ERR_NOT_FINITE;
    if (!saferl_rl__all_finite(observation, O)) return SAFERL_ERR_NOT_FINITE;
    memcpy(context->input, observation, sizeof(float) * (size_t)O);
    context->input[O] = (float)reward_to_go;
    context->input[O + 1] = (float)cost_to_go;
    return saferl_rl_policy_act(&policy->policy, &context->network, context->input, action, rng);
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_step(const saferl_rl_rcsl_policy *policy, saferl_rl_rcsl_context *context,
                                                const float *observation, double reward_to_go, double cost_to_go,
                                                float *action, saferl_rng *rng) {
    const saferl_rl_cdt *m;
    saferl_rl__cdt_params o;
    saferl_rl_policy head_view;
    size_t E;
    int O, K, first, length;
    float *row, *head, *drawn;
    saferl_result r;
    SAFERL_ASSERT(policy != NULL);
    if (policy->architecture != SAFERL_RL_RCSL_TRANSFORMER)
        return saferl_rl__rcsl_mlp_step(policy, context, observation, reward_to_go, cost_to_go, action, rng);
    if (!context || !context->steps || !observation || !action) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_rl__finite(reward_to_go) || !saferl_rl__finite(cost_to_go)) return SAFERL_ERR_NOT_FINITE;
    m = &policy->cdt;
    O = m->observation_dim;
    K = m->context;
    E = saferl_rl__cdt_step_width(m);
    if (!saferl_rl__all_finite(observation, O)) return SAFERL_ERR_NOT_FINITE;
    first = context->length >= K ? 1 : 0; /* a full window drops its oldest step, on success */
    length = context->length - first + 1;
    row = context->steps + (size_t)context->length * E; /* the spare row when full */
    memcpy(row, observation, sizeof(float) * (size_t)O);
    row[O] = (float)reward_to_go;
    row[O + 1] = (float)cost_to_go;
    saferl_rl__normalize(&policy->policy, row, row, 1);
    memset(row + O + 2, 0, sizeof(float) * (size_t)m->action_input); /* unknown yet; the state token never sees it */
    context->timesteps[context->length] = saferl_rl__cdt_time(m, context->timestep > 100000 ? 100000 : (int)context->timestep);
    head = saferl_rl_cdt_forward(m, policy->policy.params, context->steps + (size_t)first * E, context->timesteps + first,
                                 context->acts, 1, length);
    head += (size_t)(length - 1) * m->head_dim;
    if (!saferl_rl__all_finite(head, m->head_dim)) return SAFERL_ERR_NOT_FINITE; /* weights that overflow */
    saferl_rl__cdt_param_layout(m, &o);
    memset(&head_view, 0, sizeof head_view); /* an empty net: the log sigma block is params[0..] */
    head_view.action_kind = policy->policy.action_kind;
    head_view.action_dim = policy->policy.action_dim;
    head_view.params = policy->policy.params + o.log_std;
    drawn = row + O + 2; /* the action slot, rewritten below */
    r = saferl_rl__act_from_head(&head_view, head, drawn, action, rng);
    if (r != SAFERL_OK) return r;
    memset(drawn, 0, sizeof(float) * (size_t)m->action_input);
    if (policy->policy.action_kind == SAFERL_RL_GAUSSIAN)
        memcpy(drawn, action, sizeof(float) * (size_t)m->head_dim);
    else
        drawn[(int)action[0]] = 1.0f;
    if (first) {
        memmove(context->steps, context->steps + E, sizeof(float) * E * (size_t)K);
        memmove(context->timesteps, context->timesteps + 1, sizeof(int) * (size_t)K);
    }
    context->length = length;
    context->timestep += 1;
    return SAFERL_OK;
}

/* ---- return-conditioned policies ------------------------------------------------------------- */

SAFERL_RL_API saferl_result saferl_rl_rcsl_act(const saferl_rl_rcsl_policy *policy, saferl_rl_rcsl_context *context,
                                               const float *observation, double reward_to_go, double cost_to_go,
                                               float *action, saferl_rng *rng) {
    SAFERL_ASSERT(policy != NULL);
    saferl_rl_rcsl_context_reset(context); /* the transformer: the first step of an episode */
    return saferl_rl_rcsl_step(policy, context, observation, reward_to_go, cost_to_go, action, rng);
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_evaluate(const saferl_rl_rcsl_policy *policy, saferl_rl_rcsl_context *context,
                                                    const saferl_rl_env *env,
                                                    double reward_target, double cost_target, int episodes,
                                                    int max_steps, int deterministic, saferl_rng *rng,
                                                    double *episode_returns, double *episode_costs,
                                                    double *mean_return, double *mean_cost) {
    float obs[SAFERL_RL_MAX_WIDTH], action[SAFERL_RL_MAX_WIDTH];
    double total_return = 0.0, total_cost = 0.0;
    int e, t;
    saferl_result r;
    SAFERL_ASSERT(policy != NULL);
    if (!context || !env || !rng || episodes < 1 || max_steps < 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_rl__finite(reward_target) || !saferl_rl__finite(cost_target)) return SAFERL_ERR_NOT_FINITE;
    if (env->observation_dim != policy->observation_dim) return SAFERL_ERR_INVALID_ARGUMENT;
    if (policy->policy.action_kind == SAFERL_RL_DISCRETE
            ? env->action_count != policy->policy.action_dim || env->action_dim != 1
            : env->action_count != 0 || env->action_dim != policy->policy.action_dim)
        return SAFERL_ERR_INVALID_ARGUMENT;
    for (e = 0; e < episodes; ++e) {
        double reward_to_go = reward_target, cost_to_go = cost_target, ret = 0.0, cost_sum = 0.0;
        saferl_rl_rcsl_context_reset(context);
        r = env->reset(env->state, rng, obs);
        if (r != SAFERL_OK) return r;
        for (t = 0; max_steps == 0 || t < max_steps; ++t) {
            float reward, cost, costs[SAFERL_RL_MAX_COSTS] = {0.0f}; /* several costs: the first is measured */
            int terminated = 0, truncated = 0;
            if (max_steps == 0 && t >= SAFERL_RL_EPISODE_STEP_LIMIT) return SAFERL_ERR_DID_NOT_CONVERGE;
            r = saferl_rl_rcsl_step(policy, context, obs, reward_to_go, cost_to_go, action, deterministic ? NULL : rng);
            if (r != SAFERL_OK) return r;
            r = env->step(env->state, rng, action, obs, &reward, costs, &terminated, &truncated);
            cost = costs[0];
            if (r != SAFERL_OK) return r;
            if (!saferl_rl__finite(reward) || !saferl_rl__finite(cost)) return SAFERL_ERR_NOT_FINITE;
            reward_to_go -= reward; /* Decision Transformer / CDT: what is left to collect */
            cost_to_go -= cost;
            ret += reward;
            cost_sum += cost;
            if (terminated || truncated) break;
        }
        if (episode_returns) episode_returns[e] = ret;
        if (episode_costs) episode_costs[e] = cost_sum;
        total_return += ret;
        total_cost += cost_sum;
    }
    if (mean_return) *mean_return = total_return / episodes;
    if (mean_cost) *mean_cost = total_cost / episodes;
    return SAFERL_OK;
}

/* ---- the transformer form in "SRLC" version 2 ------------------------------------------------ */

#define SAFERL_RL__RCSL_TRANSFORMER_VERSION 2u
#define SAFERL_RL__CDT_HEADER 44u

static size_t saferl_rl__cdt_saved_size(const saferl_rl_rcsl_policy *p) {
    return SAFERL_RL__CDT_HEADER + 4 * (saferl_rl_cdt_param_count(&p->cdt) + 2 * (size_t)p->observation_dim + 2) + 4;
}

static void saferl_rl__cdt_save(const saferl_rl_rcsl_policy *p, unsigned char *out) {
    const saferl_rl_cdt *m = &p->cdt;
    size_t at = SAFERL_RL__CDT_HEADER;
    const uint32_t fields[11] = {SAFERL_RL__RCSL_MAGIC, SAFERL_RL__RCSL_TRANSFORMER_VERSION, (uint32_t)m->observation_dim,
                                 (uint32_t)m->gaussian, (uint32_t)m->head_dim, (uint32_t)m->context,
                                 (uint32_t)m->layer_count, (uint32_t)m->head_count, (uint32_t)m->d_model,
                                 (uint32_t)m->mlp_width, (uint32_t)m->max_timestep};
    int k;
    for (k = 0; k < 11; ++k) saferl_rl__put_u32(out + 4 * k, fields[k]);
    at += saferl_rl__put_floats(out + at, p->policy.params, saferl_rl_cdt_param_count(m));
    at += saferl_rl__put_floats(out + at, p->policy.obs_mean, (size_t)m->observation_dim);
    at += saferl_rl__put_floats(out + at, p->policy.obs_std, (size_t)m->observation_dim);
    saferl_rl__put_f32(out + at, p->reward_scale);
    saferl_rl__put_f32(out + at + 4, p->cost_scale);
    at += 8;
    saferl_rl__put_u32(out + at, saferl_rl__crc32(out, at));
}

/* Checks a version-2 buffer completely; fills *m. */
static saferl_result saferl_rl__cdt_check_buffer(const unsigned char *in, size_t size, saferl_rl_cdt *m) {
    uint32_t v[11];
    size_t floats, k;
    int i;
    if (size < SAFERL_RL__CDT_HEADER + 4) return SAFERL_ERR_CORRUPT;
    for (i = 0; i < 11; ++i) v[i] = saferl_rl__get_u32(in + 4 * i);
    for (i = 2; i < 11; ++i)
        if (v[i] > 100000u) return SAFERL_ERR_CORRUPT;
    memset(m, 0, sizeof *m);
    m->observation_dim = (int)v[2];
    m->gaussian = (int)v[3];
    m->head_dim = m->action_input = (int)v[4];
    m->context = (int)v[5];
    m->layer_count = (int)v[6];
    m->head_count = (int)v[7];
    m->d_model = (int)v[8];
    m->mlp_width = (int)v[9];
    m->max_timestep = (int)v[10];
    if (v[3] > 1u || (v[3] == 0u && v[4] < 2u) || saferl_rl_cdt_check(m) != SAFERL_OK) return SAFERL_ERR_CORRUPT;
    floats = saferl_rl_cdt_param_count(m) + 2 * (size_t)m->observation_dim + 2;
    if ((size - SAFERL_RL__CDT_HEADER - 4) % 4 != 0 || (size - SAFERL_RL__CDT_HEADER - 4) / 4 != floats)
        return SAFERL_ERR_CORRUPT; /* truncated or trailing bytes */
    if (saferl_rl__get_u32(in + size - 4) != saferl_rl__crc32(in, size - 4)) return SAFERL_ERR_CORRUPT;
    for (k = 0; k < floats; ++k)
        if (!saferl_rl__finite(saferl_rl__get_f32(in + SAFERL_RL__CDT_HEADER + 4 * k))) return SAFERL_ERR_NOT_FINITE;
    for (k = floats - 2 - (size_t)m->observation_dim; k < floats; ++k) /* the stds and the two scales */
        if (!(saferl_rl__get_f32(in + SAFERL_RL__CDT_HEADER + 4 * k) > 0.0f)) return SAFERL_ERR_CORRUPT;
    return SAFERL_OK;
}

/* A loaded transformer policy's memory: params, obs_mean, obs_std (O + 2 each). */
static size_t saferl_rl__cdt_policy_layout(saferl_rl_rcsl_policy *p, unsigned char *base) {
    const size_t I = (size_t)p->observation_dim + 2;
    size_t cursor = 0;
    void *q;
    saferl_rl__take(base, &cursor, sizeof(float) * saferl_rl_cdt_param_count(&p->cdt), &q);
    p->policy.params = (float *)q;
    saferl_rl__take(base, &cursor, sizeof(float) * I, &q);
    p->policy.obs_mean = (float *)q;
    saferl_rl__take(base, &cursor, sizeof(float) * I, &q);
    p->policy.obs_std = (float *)q;
    return cursor;
}

static void saferl_rl__cdt_policy_shape(saferl_rl_rcsl_policy *p, const saferl_rl_cdt *m) {
    memset(p, 0, sizeof *p);
    p->architecture = SAFERL_RL_RCSL_TRANSFORMER;
    p->cdt = *m;
    p->observation_dim = m->observation_dim;
    p->policy.action_kind = m->gaussian ? SAFERL_RL_GAUSSIAN : SAFERL_RL_DISCRETE;
    p->policy.observation_dim = m->observation_dim + 2;
    p->policy.action_dim = m->head_dim;
}

static saferl_result saferl_rl__cdt_load(saferl_rl_rcsl_policy *policy, const unsigned char *in, size_t size,
                                         void *memory, size_t memory_size, size_t *memory_needed) {
    saferl_rl_cdt m;
    saferl_rl_rcsl_policy loaded;
    size_t need, at = SAFERL_RL__CDT_HEADER, k, P;
    int O;
    saferl_result r = saferl_rl__cdt_check_buffer(in, size, &m);
    if (r != SAFERL_OK) return r;
    saferl_rl__cdt_policy_shape(&loaded, &m);
    need = saferl_rl__cdt_policy_layout(&loaded, NULL);
    if (memory_needed) *memory_needed = need;
    if (!policy) return SAFERL_OK;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    saferl_rl__cdt_policy_layout(&loaded, (unsigned char *)memory);
    P = saferl_rl_cdt_param_count(&m);
    O = m.observation_dim;
    for (k = 0; k < P; ++k, at += 4) loaded.policy.params[k] = saferl_rl__get_f32(in + at);
    for (k = 0; k < (size_t)O; ++k, at += 4) loaded.policy.obs_mean[k] = saferl_rl__get_f32(in + at);
    for (k = 0; k < (size_t)O; ++k, at += 4) loaded.policy.obs_std[k] = saferl_rl__get_f32(in + at);
    loaded.reward_scale = saferl_rl__get_f32(in + at);
    loaded.cost_scale = saferl_rl__get_f32(in + at + 4);
    loaded.policy.obs_mean[O] = loaded.policy.obs_mean[O + 1] = 0.0f;
    loaded.policy.obs_std[O] = loaded.reward_scale;
    loaded.policy.obs_std[O + 1] = loaded.cost_scale;
    *policy = loaded;
    return SAFERL_OK;
}

/* 2 for a buffer that claims to be a version-2 ("SRLC", transformer) file. */
static int saferl_rl__rcsl_is_transformer(const void *buffer, size_t size) {
    const unsigned char *in = (const unsigned char *)buffer;
    return in && size >= 8 && saferl_rl__get_u32(in) == SAFERL_RL__RCSL_MAGIC &&
           saferl_rl__get_u32(in + 4) == SAFERL_RL__RCSL_TRANSFORMER_VERSION;
}

SAFERL_RL_API size_t saferl_rl_rcsl_saved_size(const saferl_rl_rcsl_policy *policy) {
    if (policy->architecture == SAFERL_RL_RCSL_TRANSFORMER) return saferl_rl__cdt_saved_size(policy);
    return 16 + saferl_rl_policy_saved_size(&policy->policy) + 4;
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_save(const saferl_rl_rcsl_policy *policy, void *buffer, size_t capacity,
                                                size_t *written) {
    unsigned char *out = (unsigned char *)buffer;
    size_t need, inner;
    SAFERL_ASSERT(policy != NULL);
    need = saferl_rl_rcsl_saved_size(policy);
    if (written) *written = need;
    if (!buffer || capacity < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (policy->architecture == SAFERL_RL_RCSL_TRANSFORMER) {
        saferl_rl__cdt_save(policy, out);
        return SAFERL_OK;
    }
    inner = need - 20;
    saferl_rl__put_u32(out + 0, SAFERL_RL__RCSL_MAGIC);
    saferl_rl__put_u32(out + 4, SAFERL_RL__RCSL_VERSION);
    saferl_rl__put_u32(out + 8, (uint32_t)policy->observation_dim);
    saferl_rl__put_u32(out + 12, (uint32_t)inner);
    saferl_rl_policy_save(&policy->policy, out + 16, inner, NULL);
    saferl_rl__put_u32(out + 16 + inner, saferl_rl__crc32(out, 16 + inner));
    return SAFERL_OK;
}

/* Checks an "SRLC" buffer: the wrapper, then the embedded policy and the conditioning
   normaliser entries; *inner_size the embedded policy's bytes. */
static saferl_result saferl_rl__rcsl_check(const unsigned char *in, size_t size, size_t *inner_size,
                                           size_t *policy_memory) {
    uint32_t O;
    size_t inner;
    saferl_rl_policy shape;
    size_t float_offset;
    saferl_result r;
    int k;
    if (!in) return SAFERL_ERR_INVALID_ARGUMENT;
    if (size < 8 || saferl_rl__get_u32(in) != SAFERL_RL__RCSL_MAGIC) return SAFERL_ERR_CORRUPT;
    if (saferl_rl__get_u32(in + 4) != SAFERL_RL__RCSL_VERSION) return SAFERL_ERR_VERSION;
    if (size < 20) return SAFERL_ERR_CORRUPT;
    O = saferl_rl__get_u32(in + 8);
    inner = saferl_rl__get_u32(in + 12);
    if (inner != size - 20) return SAFERL_ERR_CORRUPT; /* truncated or trailing bytes */
    if (saferl_rl__get_u32(in + size - 4) != saferl_rl__crc32(in, size - 4)) return SAFERL_ERR_CORRUPT;
    r = saferl_rl_policy_load_size(in + 16, inner, policy_memory);
    if (r != SAFERL_OK) return r;
    saferl_rl__parse_header(in + 16, inner, &shape, &float_offset);
    if (O < 1 || (uint64_t)O + 2 != (uint64_t)shape.observation_dim) return SAFERL_ERR_CORRUPT;
    for (k = 0; k < 2; ++k) { /* the conditioning inputs: mean 0, a positive scale */
        size_t mean_at = 16 + float_offset + 4 * (saferl_rl_policy_param_count(&shape) + O + (size_t)k);
        if (saferl_rl__get_f32(in + mean_at) != 0.0f) return SAFERL_ERR_CORRUPT;
    }
    *inner_size = inner;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_load_size(const void *buffer, size_t size, size_t *memory_size) {
    size_t inner, policy_memory = 0;
    saferl_result r;
    if (saferl_rl__rcsl_is_transformer(buffer, size))
        return saferl_rl__cdt_load(NULL, (const unsigned char *)buffer, size, NULL, 0, memory_size);
    r = saferl_rl__rcsl_check((const unsigned char *)buffer, size, &inner, &policy_memory);
    if (r != SAFERL_OK) return r;
    if (memory_size) *memory_size = policy_memory;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_load(saferl_rl_rcsl_policy *policy, const void *buffer, size_t size,
                                                void *memory, size_t memory_size) {
    const unsigned char *in = (const unsigned char *)buffer;
    size_t inner, policy_memory = 0;
    saferl_rl_rcsl_policy loaded;
    saferl_result r;
    SAFERL_ASSERT(policy != NULL);
    if (saferl_rl__rcsl_is_transformer(buffer, size)) return saferl_rl__cdt_load(policy, in, size, memory, memory_size, NULL);
    r = saferl_rl__rcsl_check(in, size, &inner, &policy_memory);
    if (r != SAFERL_OK) return r;
    if (!memory || memory_size < policy_memory) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(&loaded, 0, sizeof loaded);
    saferl_rl_policy_load(&loaded.policy, in + 16, inner, memory, policy_memory);
    loaded.observation_dim = (int)saferl_rl__get_u32(in + 8);
    loaded.reward_scale = loaded.policy.obs_std[loaded.observation_dim];
    loaded.cost_scale = loaded.policy.obs_std[loaded.observation_dim + 1];
    *policy = loaded;
    return SAFERL_OK;
}

#ifndef SAFERL_NO_STDIO
SAFERL_RL_API saferl_result saferl_rl_rcsl_save_file(const saferl_rl_rcsl_policy *policy, const char *path) {
    size_t size = saferl_rl_rcsl_saved_size(policy);
    unsigned char *buffer = (unsigned char *)SAFERL_MALLOC(size, NULL);
    saferl_result r;
    if (!buffer) return SAFERL_ERR_OUT_OF_MEMORY;
    saferl_rl_rcsl_save(policy, buffer, size, NULL);
    r = saferl_rl__write_file(path, buffer, size);
    SAFERL_FREE(buffer, NULL);
    return r;
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_load_file(saferl_rl_rcsl_policy *policy, const char *path,
                                                     const saferl_allocator *allocator) {
    unsigned char *data = NULL;
    size_t size = 0, need = 0;
    void *memory = NULL;
    saferl_result r;
    SAFERL_ASSERT(policy != NULL);
    r = saferl_rl__read_for_load(path, allocator, saferl_rl_rcsl_load_size, &data, &size, &memory, &need);
    if (r != SAFERL_OK) return r;
    r = saferl_rl_rcsl_load(policy, data, size, memory, need);
    saferl_rl__release(allocator, data);
    if (r != SAFERL_OK) saferl_rl__release(allocator, memory);
    return r;
}

SAFERL_RL_API void saferl_rl_rcsl_free_file(saferl_rl_rcsl_policy *policy, const saferl_allocator *allocator) {
    if (!policy || !policy->policy.params) return;
    saferl_rl__release(allocator, policy->policy.params); /* the block starts with the parameters */
    memset(policy, 0, sizeof *policy);
}
#endif

/* ---- RCSL training ------------------------------------------------------------------------------ */

SAFERL_RL_API saferl_rl_rcsl_desc saferl_rl_rcsl_desc_defaults(const saferl_rl_rcsl_desc *desc) {
    saferl_rl_rcsl_desc d;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (d.hidden_count == 0 && d.hidden[0] == 0) {
        d.hidden[0] = d.hidden[1] = 128;
        d.hidden_count = 2;
    } else if (d.hidden_count < 0) d.hidden_count = 0;
    if (d.minibatch == 0) d.minibatch = d.architecture == SAFERL_RL_RCSL_TRANSFORMER ? 64 : 256;
    if (d.learning_rate == 0.0) d.learning_rate = 1e-3;
    if (d.max_grad_norm == 0.0) d.max_grad_norm = 40.0;
    if (d.architecture == SAFERL_RL_RCSL_TRANSFORMER) {
        if (d.context == 0) d.context = 10;
        if (d.layer_count == 0) d.layer_count = 2;
        if (d.head_count == 0) d.head_count = 2;
        if (d.d_model == 0) d.d_model = 32;
        if (d.mlp_width == 0) d.mlp_width = 4 * d.d_model;
    }
    return d;
}

/* The transformer trainer's memory (the MLP's is saferl_rl__rcsl_layout below): parameters,
   gradients, Adam moments, the normaliser, each step's inputs, action, timestep and window
   length, a minibatch of windows, activations, backward scratch. */
static size_t saferl_rl__cdt_trainer_layout(saferl_rl_rcsl_trainer *t, unsigned char *base) {
    const saferl_rl_cdt *m = &t->policy.cdt;
    const size_t P = saferl_rl_cdt_param_count(m), N = (size_t)t->sample_count, I = (size_t)t->input_dim,
                 B = (size_t)t->minibatch, K = (size_t)m->context, E = saferl_rl__cdt_step_width(m),
                 Ad = (size_t)t->stored_action_dim, H = (size_t)t->head_dim;
    size_t cursor = 0;
    double floats = (double)N * (double)(I + Ad + 6) +
                    (double)B * K * (16.0 * K * m->head_count * m->layer_count + 4.0 * (14.0 * m->d_model + 4.0 * m->mlp_width) * m->layer_count);
    if (floats > (double)((size_t)-1 / 16)) return 0; /* sizes fit size_t (wasm32: 32 bits) */
    SAFERL_RL__TAKE(t->policy.policy.params, float, P);
    SAFERL_RL__TAKE(t->grads, float, P);
    SAFERL_RL__TAKE(t->adam_m, float, P);
    SAFERL_RL__TAKE(t->adam_v, float, P);
    SAFERL_RL__TAKE(t->policy.policy.obs_mean, float, I);
    SAFERL_RL__TAKE(t->policy.policy.obs_std, float, I);
    SAFERL_RL__TAKE(t->inputs, float, N * I);
    SAFERL_RL__TAKE(t->targets, float, N * Ad);
    SAFERL_RL__TAKE(t->timesteps, int, N);
    SAFERL_RL__TAKE(t->window, int, N);
    SAFERL_RL__TAKE(t->order, long, N);
    SAFERL_RL__TAKE(t->mb_steps, float, B * K * E);
    SAFERL_RL__TAKE(t->mb_timesteps, int, B * K);
    SAFERL_RL__TAKE(t->mb_lengths, int, B);
    SAFERL_RL__TAKE(t->mb_targets, float, B * K * Ad);
    SAFERL_RL__TAKE(t->acts, float, saferl_rl_cdt_activation_count(m, (int)B));
    SAFERL_RL__TAKE(t->cdt_scratch, float, saferl_rl_cdt_scratch_count(m, (int)B));
    SAFERL_RL__TAKE(t->dhead, float, B * K * H);
    SAFERL_RL__TAKE(t->logp, float, B * K);
    SAFERL_RL__TAKE(t->dlogp, float, B * K);
    return cursor;
}

/* Window b of the minibatch: the steps first .. first + window[first] - 1 of one episode,
   left-aligned; the rest of the K slots zero (padding after an episode's end: under the
   causal mask it never reaches the valid steps, and the loss skips it). */
static void saferl_rl__cdt_gather(saferl_rl_rcsl_trainer *t, int b, long first) {
    const saferl_rl_cdt *m = &t->policy.cdt;
    const int K = m->context, O = m->observation_dim, L = t->window[first];
    const size_t E = saferl_rl__cdt_step_width(m), I = (size_t)t->input_dim, Ad = (size_t)t->stored_action_dim;
    float *steps = t->mb_steps + (size_t)b * K * E, *targets = t->mb_targets + (size_t)b * K * Ad;
    int k;
    memset(steps, 0, sizeof(float) * E * (size_t)K);
    memset(targets, 0, sizeof(float) * Ad * (size_t)K);
    for (k = 0; k < K; ++k) t->mb_timesteps[b * K + k] = 0;
    for (k = 0; k < L; ++k) {
        const size_t s = (size_t)first + (size_t)k;
        float *row = steps + (size_t)k * E;
        memcpy(row, t->inputs + s * I, sizeof(float) * I);
        memcpy(targets + (size_t)k * Ad, t->targets + s * Ad, sizeof(float) * Ad);
        if (t->policy.policy.action_kind == SAFERL_RL_DISCRETE) row[O + 2 + (int)t->targets[s]] = 1.0f;
        else memcpy(row + O + 2, t->targets + s * Ad, sizeof(float) * Ad);
        t->mb_timesteps[b * K + k] = t->timesteps[s];
    }
    t->mb_lengths[b] = L;
}

/* The mean negative log-likelihood over the valid steps of the B gathered windows; the
   gradient accumulates into grads (if not NULL). */
static double saferl_rl__cdt_loss(saferl_rl_rcsl_trainer *t, int B, float *grads) {
    const saferl_rl_cdt *m = &t->policy.cdt;
    const float *params = t->policy.policy.params;
    const int K = m->context, H = t->head_dim, R = B * K;
    saferl_rl__cdt_params o;
    const float *head = saferl_rl_cdt_forward(m, params, t->mb_steps, t->mb_timesteps, t->acts, B, K);
    double loss = 0.0;
    long valid = 0;
    int b, k;
    saferl_rl__cdt_param_layout(m, &o);
    if (t->policy.policy.action_kind == SAFERL_RL_DISCRETE)
        saferl_rl_categorical_logprob_forward(t->logp, head, t->mb_targets, R, H);
    else
        saferl_rl_gaussian_logprob_forward(t->logp, head, params + o.log_std, t->mb_targets, R, H);
    for (b = 0; b < B; ++b) {
        for (k = 0; k < t->mb_lengths[b]; ++k) loss -= t->logp[b * K + k];
        valid += t->mb_lengths[b];
    }
    loss /= (double)valid;
    if (!grads) return loss;
    for (b = 0; b < B; ++b)
        for (k = 0; k < K; ++k) t->dlogp[b * K + k] = k < t->mb_lengths[b] ? -1.0f / (float)valid : 0.0f;
    memset(t->dhead, 0, sizeof(float) * (size_t)R * H);
    if (t->policy.policy.action_kind == SAFERL_RL_DISCRETE)
        saferl_rl_categorical_logprob_backward(t->dhead, head, t->mb_targets, t->dlogp, R, H);
    else
        saferl_rl_gaussian_logprob_backward(t->dhead, grads + o.log_std, head, params + o.log_std, t->mb_targets, t->dlogp,
                                            R, H);
    saferl_rl_cdt_backward(m, params, grads, t->mb_steps, t->mb_timesteps, t->acts, t->dhead, NULL, t->cdt_scratch, B, K);
    return loss;
}

/* ---- CDT's return relabelling (the RCSL notes above say what and why) ---- */

typedef struct saferl_rl__frontier_point {
    double cost, ret; /* a logged episode's cost and return */
    long episode;     /* its index in the dataset */
    long best;        /* in cost order: the position of the best return among positions 0..this */
} saferl_rl__frontier_point;

/* The trainer's memory after cursor: the relabelling's per-episode table (none without). */
static size_t saferl_rl__frontier_layout(saferl_rl_rcsl_trainer *t, const saferl_rl_dataset *ds, unsigned char *base,
                                         size_t cursor) {
    if (t->relabelled_episodes > 0) SAFERL_RL__TAKE(t->frontier, saferl_rl__frontier_point, ds->episode_count);
    return cursor;
}

/* The frontier's order, a total one: cost ascending, then return descending, then index. */
static int saferl_rl__frontier_before(const saferl_rl__frontier_point *a, const saferl_rl__frontier_point *b) {
    if (a->cost != b->cost) return a->cost < b->cost;
    if (a->ret != b->ret) return a->ret > b->ret;
    return a->episode < b->episode;
}

static void saferl_rl__frontier_sift(saferl_rl__frontier_point *x, long root, long last) {
    long child;
    while ((child = 2 * root + 1) <= last) {
        saferl_rl__frontier_point tmp;
        if (child < last && saferl_rl__frontier_before(&x[child], &x[child + 1])) ++child;
        if (!saferl_rl__frontier_before(&x[root], &x[child])) return;
        tmp = x[root];
        x[root] = x[child];
        x[child] = tmp;
        root = child;
    }
}

/* Sorts the n episodes into the frontier's order (a heap sort: no allocation, and libc's
   qsort is not at hand when the user brings SAFERL_MALLOC) and fills each one's `best`. */
static void saferl_rl__frontier_build(saferl_rl__frontier_point *x, long n) {
    long k;
    for (k = n / 2 - 1; k >= 0; --k) saferl_rl__frontier_sift(x, k, n - 1);
    for (k = n - 1; k > 0; --k) {
        saferl_rl__frontier_point tmp = x[0];
        x[0] = x[k];
        x[k] = tmp;
        saferl_rl__frontier_sift(x, 0, k - 1);
    }
    x[0].best = 0; /* strictly better only: ties keep the least cost, then the first logged */
    for (k = 1; k < n; ++k) x[k].best = x[k].ret > x[x[k - 1].best].ret ? k : x[k - 1].best;
}

/* The episode attaining F(c) = max { R_i : C_i <= c }, for c >= the least cost. */
static const saferl_rl__frontier_point *saferl_rl__frontier_at(const saferl_rl__frontier_point *x, long n, double c) {
    long lo = 0, hi = n - 1; /* invariant: x[lo].cost <= c */
    while (lo < hi) {
        long mid = lo + (hi - lo + 1) / 2;
        if (x[mid].cost <= c) lo = mid;
        else hi = mid - 1;
    }
    return &x[x[lo].best];
}

/* Writes the relabelled episodes' rows after the logged ones (observations, raw reward and cost
   to go, actions, and the transformer's timesteps and windows); returns the rows in all, or -1
   when a shifted target leaves the float range. */
static long saferl_rl__rcsl_relabel(saferl_rl_rcsl_trainer *t, const saferl_rl_dataset *ds) {
    saferl_rl__frontier_point *x = (saferl_rl__frontier_point *)t->frontier;
    const long E = ds->episode_count, S = t->relabelled_episodes;
    const int O = ds->observation_dim, K = t->policy.cdt.context;
    const size_t I = (size_t)t->input_dim, A = (size_t)ds->action_dim;
    long row = ds->step_count, e, j, s;
    double reward_max, low, high;
    saferl_rng rng;
    if (S <= 0) return row;
    for (e = 0; e < E; ++e) {
        saferl_rl_dataset_episode_return(ds, e, &x[e].ret, &x[e].cost);
        x[e].episode = e;
    }
    saferl_rl__frontier_build(x, E);
    low = x[0].cost;
    high = x[E - 1].cost;
    reward_max = t->desc.relabel_reward_max != 0.0 ? t->desc.relabel_reward_max : x[x[E - 1].best].ret;
    saferl_rng_seed(&rng, t->desc.seed ^ 0x7e1abe15u); /* its own stream: the training order is unmoved */
    for (j = 0; j < S; ++j) {
        /* evenly spaced as numpy's linspace: the last exactly the largest cost */
        const double c = j == S - 1 && S > 1 ? high : low + (S > 1 ? (high - low) / (double)(S - 1) : 0.0) * (double)j;
        const saferl_rl__frontier_point *f = saferl_rl__frontier_at(x, E, c);
        const double top = reward_max > f->ret ? reward_max : f->ret;
        const double reward_target = f->ret + (top - f->ret) * saferl_rng_uniform(&rng);
        const double reward_shift = reward_target - f->ret, cost_shift = c - f->cost;
        const long first = ds->episode_start[f->episode], end = ds->episode_start[f->episode + 1];
        double reward_to_go = 0.0, cost_to_go = 0.0;
        for (s = end - 1; s >= first; --s) {
            const size_t at = (size_t)(row + s - first);
            float *in = t->inputs + at * I;
            reward_to_go += ds->rewards[s];
            cost_to_go += ds->costs[s];
            memcpy(in, ds->observations + (size_t)s * (size_t)O, sizeof(float) * (size_t)O);
            in[O] = (float)(reward_to_go + reward_shift);
            in[O + 1] = (float)(cost_to_go + cost_shift);
            if (!saferl_rl__finite(in[O]) || !saferl_rl__finite(in[O + 1])) return -1;
            memcpy(t->targets + at * A, ds->actions + (size_t)s * A, sizeof(float) * A);
            if (t->policy.architecture == SAFERL_RL_RCSL_TRANSFORMER) {
                t->timesteps[at] = t->timesteps[s];
                t->window[at] = (int)(end - s < K ? end - s : K);
            }
        }
        row += end - first;
    }
    return row;
}

/* The trained parameters' count for either architecture. */
static size_t saferl_rl__rcsl_param_count(const saferl_rl_rcsl_policy *p) {
    return p->architecture == SAFERL_RL_RCSL_TRANSFORMER ? saferl_rl_cdt_param_count(&p->cdt)
                                                         : saferl_rl_policy_param_count(&p->policy);
}

/* Shapes the trainer from desc and dataset without touching memory; returns the bytes. */
static size_t saferl_rl__rcsl_layout(saferl_rl_rcsl_trainer *t, const saferl_rl_dataset *ds, unsigned char *base) {
    size_t cursor = 0, P, N = (size_t)t->sample_count, I = (size_t)t->input_dim, B = (size_t)t->minibatch;
    const saferl_rl_mlp *net = &t->policy.policy.net;
    void *p;
    if (t->policy.architecture == SAFERL_RL_RCSL_TRANSFORMER) {
        cursor = saferl_rl__cdt_trainer_layout(t, base);
        return cursor ? saferl_rl__frontier_layout(t, ds, base, cursor) : 0;
    }
    P = saferl_rl_policy_param_count(&t->policy.policy);
    /* sizes fit size_t (wasm32: 32 bits) when the per-sample block does */
    if (N > ((size_t)-1 / 8) / (I + (size_t)t->stored_action_dim + 2)) return 0;
#define SAFERL_RL__RCSL_TAKE(field, type, count)                                                 \
    do {                                                                                         \
        saferl_rl__take(base, &cursor, sizeof(type) * (size_t)(count), &p);                     \
        field = (type *)p;                                                                       \
    } while (0)
    SAFERL_RL__RCSL_TAKE(t->policy.policy.params, float, P);
    SAFERL_RL__RCSL_TAKE(t->grads, float, P);
    SAFERL_RL__RCSL_TAKE(t->adam_m, float, P);
    SAFERL_RL__RCSL_TAKE(t->adam_v, float, P);
    SAFERL_RL__RCSL_TAKE(t->policy.policy.obs_mean, float, I);
    SAFERL_RL__RCSL_TAKE(t->policy.policy.obs_std, float, I);
    SAFERL_RL__RCSL_TAKE(t->inputs, float, N * I);
    SAFERL_RL__RCSL_TAKE(t->targets, float, N * (size_t)t->stored_action_dim);
    SAFERL_RL__RCSL_TAKE(t->acts, float, saferl_rl_mlp_activation_count(net, (int)B));
    SAFERL_RL__RCSL_TAKE(t->scratch, float, 2 * B * (size_t)saferl_rl__mlp_max_width(net));
    SAFERL_RL__RCSL_TAKE(t->dhead, float, B * (size_t)t->head_dim);
    SAFERL_RL__RCSL_TAKE(t->logp, float, B);
    SAFERL_RL__RCSL_TAKE(t->dlogp, float, B);
    SAFERL_RL__RCSL_TAKE(t->mb_inputs, float, B * I);
    SAFERL_RL__RCSL_TAKE(t->mb_targets, float, B * (size_t)t->stored_action_dim);
    SAFERL_RL__RCSL_TAKE(t->order, long, N);
#undef SAFERL_RL__RCSL_TAKE
    return saferl_rl__frontier_layout(t, ds, base, cursor);
}

/* Fills everything in t that does not live in memory. */
static saferl_result saferl_rl__rcsl_shape(saferl_rl_rcsl_trainer *t, const saferl_rl_rcsl_desc *desc,
                                           const saferl_rl_dataset *ds) {
    saferl_rl_rcsl_desc d = saferl_rl_rcsl_desc_defaults(desc);
    saferl_rl_policy *p = &t->policy.policy;
    int head;
    memset(t, 0, sizeof *t);
    if (!ds || ds->observation_dim < 1 || ds->observation_dim > SAFERL_RL_MAX_WIDTH - 2) return SAFERL_ERR_INVALID_ARGUMENT;
    if (ds->step_count < 1) return SAFERL_ERR_NO_DATA;
    if (d.minibatch < 1 || !(d.learning_rate > 0.0) || !saferl_rl__finite(d.learning_rate) ||
        !saferl_rl__finite(d.max_grad_norm) || !(d.reward_scale >= 0.0) || !(d.cost_scale >= 0.0) ||
        !saferl_rl__finite(d.reward_scale) || !saferl_rl__finite(d.cost_scale) || !saferl_rl__finite(d.init_log_std) ||
        (d.activation != SAFERL_RL_TANH && d.activation != SAFERL_RL_RELU))
        return SAFERL_ERR_INVALID_ARGUMENT;
    head = ds->action_count > 0 ? ds->action_count : ds->action_dim;
    if (d.architecture == SAFERL_RL_RCSL_TRANSFORMER) {
        saferl_rl_cdt *m = &t->policy.cdt;
        long e, longest = 1;
        for (e = 0; e < ds->episode_count; ++e)
            if (ds->episode_start[e + 1] - ds->episode_start[e] > longest) longest = ds->episode_start[e + 1] - ds->episode_start[e];
        t->policy.architecture = SAFERL_RL_RCSL_TRANSFORMER;
        m->observation_dim = ds->observation_dim;
        m->action_input = m->head_dim = head;
        m->gaussian = ds->action_count == 0;
        m->context = d.context;
        m->layer_count = d.layer_count;
        m->head_count = d.head_count;
        m->d_model = d.d_model;
        m->mlp_width = d.mlp_width;
        m->max_timestep = d.max_timestep > 0 ? d.max_timestep : (int)(longest < 100000 ? longest : 100000);
        if (saferl_rl_cdt_check(m) != SAFERL_OK) return SAFERL_ERR_INVALID_ARGUMENT;
    } else if (d.architecture != SAFERL_RL_RCSL_MLP ||
               saferl_rl_mlp_define(&p->net, ds->observation_dim + 2, d.hidden, d.hidden_count, head, d.activation) !=
                   SAFERL_OK)
        return SAFERL_ERR_INVALID_ARGUMENT;
    t->desc = d;
    p->action_kind = ds->action_count > 0 ? SAFERL_RL_DISCRETE : SAFERL_RL_GAUSSIAN;
    p->observation_dim = ds->observation_dim + 2;
    p->action_dim = head;
    t->policy.observation_dim = ds->observation_dim;
    t->sample_count = ds->step_count;
    t->input_dim = ds->observation_dim + 2;
    t->head_dim = head;
    t->stored_action_dim = ds->action_dim;
    t->minibatch = d.minibatch < ds->step_count ? d.minibatch : (int)ds->step_count;
    /* relabelling: room for its episodes at the longest logged length (the count of rows is
       known only once the frontier is) */
    if (!(d.relabel_fraction >= 0.0 && d.relabel_fraction <= 1.0) || !saferl_rl__finite(d.relabel_reward_max))
        return SAFERL_ERR_INVALID_ARGUMENT;
    t->relabelled_episodes = (long)floor(d.relabel_fraction * (double)ds->episode_count);
    if (t->relabelled_episodes > 0) {
        long e, longest = 1;
        for (e = 0; e < ds->episode_count; ++e)
            if (ds->episode_start[e + 1] - ds->episode_start[e] > longest) longest = ds->episode_start[e + 1] - ds->episode_start[e];
        if ((double)ds->step_count + (double)t->relabelled_episodes * (double)longest > 2147483647.0)
            return SAFERL_ERR_INVALID_ARGUMENT; /* the trainer's cursor is an int */
        t->relabel_capacity = t->relabelled_episodes * longest;
        t->sample_count += t->relabel_capacity;
    }
    return SAFERL_OK;
}

SAFERL_RL_API size_t saferl_rl_rcsl_trainer_memory_size(const saferl_rl_rcsl_desc *desc,
                                                        const saferl_rl_dataset *dataset) {
    saferl_rl_rcsl_trainer t;
    if (saferl_rl__rcsl_shape(&t, desc, dataset) != SAFERL_OK) return 0;
    return saferl_rl__rcsl_layout(&t, dataset, NULL);
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_trainer_init(saferl_rl_rcsl_trainer *trainer, const saferl_rl_rcsl_desc *desc,
                                                        const saferl_rl_dataset *dataset, void *memory,
                                                        size_t memory_size) {
    saferl_rl_rcsl_trainer t;
    saferl_rl_policy *p;
    size_t need, P, N, I, i;
    double max_reward_to_go = 0.0, max_cost_to_go = 0.0;
    int O, A, j;
    long e, s, rows;
    saferl_result r;
    SAFERL_ASSERT(trainer != NULL);
    r = saferl_rl__rcsl_shape(&t, desc, dataset);
    if (r != SAFERL_OK) return r;
    need = saferl_rl__rcsl_layout(&t, dataset, NULL);
    if (!need) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    memset(memory, 0, need);
    saferl_rl__rcsl_layout(&t, dataset, (unsigned char *)memory);
    p = &t.policy.policy;
    P = saferl_rl__rcsl_param_count(&t.policy);
    N = (size_t)dataset->step_count; /* the logged steps; relabelled rows follow them */
    I = (size_t)t.input_dim;
    O = dataset->observation_dim;
    A = dataset->action_dim;
    saferl_rng_seed(&t.rng, t.desc.seed);
    if (t.policy.architecture == SAFERL_RL_RCSL_TRANSFORMER) {
        saferl_rl_cdt_init_params(&t.policy.cdt, p->params, &t.rng, (float)t.desc.init_log_std);
        for (e = 0; e < dataset->episode_count; ++e) /* timesteps and window lengths */
            for (s = dataset->episode_start[e]; s < dataset->episode_start[e + 1]; ++s) {
                long left = dataset->episode_start[e + 1] - s;
                t.timesteps[s] = saferl_rl__cdt_time(&t.policy.cdt, (int)(s - dataset->episode_start[e] < 100000 ? s - dataset->episode_start[e] : 100000));
                t.window[s] = (int)(left < t.policy.cdt.context ? left : t.policy.cdt.context);
            }
    } else {
        saferl_rl_mlp_init_params(&p->net, p->params, &t.rng, 0.01f);
        for (i = saferl_rl_mlp_param_count(&p->net); i < P; ++i) p->params[i] = (float)t.desc.init_log_std;
    }
    /* hindsight targets: the undiscounted reward and cost to go of each logged step, kept in
       the last two input columns until they are scaled below */
    for (e = 0; e < dataset->episode_count; ++e) {
        double reward_to_go = 0.0, cost_to_go = 0.0;
        for (s = dataset->episode_start[e + 1] - 1; s >= dataset->episode_start[e]; --s) {
            reward_to_go += dataset->rewards[s];
            cost_to_go += dataset->costs[s];
            t.inputs[(size_t)s * I + O] = (float)reward_to_go;
            t.inputs[(size_t)s * I + O + 1] = (float)cost_to_go;
            if (fabs(reward_to_go) > max_reward_to_go) max_reward_to_go = fabs(reward_to_go);
            if (fabs(cost_to_go) > max_cost_to_go) max_cost_to_go = fabs(cost_to_go);
        }
    }
    t.policy.reward_scale = (float)(t.desc.reward_scale > 0.0 ? t.desc.reward_scale
                                                             : (max_reward_to_go > 0.0 ? max_reward_to_go : 1.0));
    t.policy.cost_scale = (float)(t.desc.cost_scale > 0.0 ? t.desc.cost_scale : (max_cost_to_go > 0.0 ? max_cost_to_go : 1.0));
    if (!(t.policy.reward_scale > 0.0f) || !(t.policy.cost_scale > 0.0f)) return SAFERL_ERR_INVALID_ARGUMENT;
    /* finite floats whose sums to go overflow a float (or a scale beyond one) would train on
       inf / inf = NaN inputs */
    if (!saferl_rl__finite(max_reward_to_go) || !saferl_rl__finite(max_cost_to_go) ||
        !saferl_rl__finite(t.policy.reward_scale) || !saferl_rl__finite(t.policy.cost_scale))
        return SAFERL_ERR_NOT_FINITE;
    rows = saferl_rl__rcsl_relabel(&t, dataset);
    if (rows < 0) return SAFERL_ERR_NOT_FINITE;
    /* the observation normaliser: the dataset's mean and standard deviation */
    for (j = 0; j < O; ++j) {
        double sum = 0.0, sum2 = 0.0, mean, var;
        for (i = 0; i < N; ++i) sum += dataset->observations[i * (size_t)O + j];
        mean = sum / (double)N;
        for (i = 0; i < N; ++i) {
            double dv = dataset->observations[i * (size_t)O + j] - mean;
            sum2 += dv * dv;
        }
        var = sum2 / (double)N;
        p->obs_mean[j] = t.desc.no_obs_normalize ? 0.0f : (float)mean;
        p->obs_std[j] = t.desc.no_obs_normalize ? 1.0f : (float)(sqrt(var) > 1e-2 ? sqrt(var) : 1e-2);
    }
    p->obs_mean[O] = p->obs_mean[O + 1] = 0.0f;
    p->obs_std[O] = t.policy.reward_scale;
    p->obs_std[O + 1] = t.policy.cost_scale;
    /* the network's inputs, normalised exactly as saferl_rl_rcsl_act will (the relabelled rows
       hold their observations and actions already) */
    for (i = 0; i < (size_t)rows; ++i) {
        float *row = t.inputs + i * I;
        if (i < N) {
            memcpy(row, dataset->observations + i * (size_t)O, sizeof(float) * (size_t)O);
            memcpy(t.targets + i * (size_t)A, dataset->actions + i * (size_t)A, sizeof(float) * (size_t)A);
        }
        saferl_rl__normalize(p, row, row, 1);
        t.order[i] = (long)i;
    }
    t.sample_count = rows;
    *trainer = t;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_trainer_create(saferl_rl_rcsl_trainer *trainer,
                                                          const saferl_rl_rcsl_desc *desc,
                                                          const saferl_rl_dataset *dataset) {
    size_t need = saferl_rl_rcsl_trainer_memory_size(desc, dataset);
    const saferl_allocator *a = desc ? &desc->allocator : NULL;
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(trainer != NULL);
    if (!need) return dataset && dataset->step_count < 1 ? SAFERL_ERR_NO_DATA : SAFERL_ERR_INVALID_ARGUMENT;
    memory = saferl_rl__allocate(a, need);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_rl_rcsl_trainer_init(trainer, desc, dataset, memory, need);
    if (r != SAFERL_OK) {
        saferl_rl__release(a, memory);
        return r;
    }
    trainer->owned_memory = memory;
    return SAFERL_OK;
}

SAFERL_RL_API void saferl_rl_rcsl_trainer_destroy(saferl_rl_rcsl_trainer *trainer) {
    if (!trainer) return;
    if (trainer->owned_memory) saferl_rl__release(&trainer->desc.allocator, trainer->owned_memory);
    memset(trainer, 0, sizeof *trainer);
}

/* Forward and backward of the mean negative log-likelihood on B rows of mb_inputs /
   mb_targets; gradients accumulate into grads and (optionally) dinputs. */
static double saferl_rl__rcsl_loss_rows(saferl_rl_rcsl_trainer *t, const float *inputs, const float *targets, int B,
                                        float *grads, float *dinputs) {
    const saferl_rl_policy *p = &t->policy.policy;
    const size_t net_count = saferl_rl_mlp_param_count(&p->net);
    const int H = t->head_dim;
    const float *head = saferl_rl_mlp_forward(&p->net, p->params, inputs, t->acts, B);
    double loss = 0.0;
    int b;
    if (p->action_kind == SAFERL_RL_DISCRETE) saferl_rl_categorical_logprob_forward(t->logp, head, targets, B, H);
    else saferl_rl_gaussian_logprob_forward(t->logp, head, p->params + net_count, targets, B, H);
    for (b = 0; b < B; ++b) loss -= t->logp[b];
    loss /= B;
    if (!grads) return loss;
    for (b = 0; b < B; ++b) t->dlogp[b] = -1.0f / (float)B; /* d loss / d logp */
    memset(t->dhead, 0, sizeof(float) * (size_t)B * H);
    if (p->action_kind == SAFERL_RL_DISCRETE)
        saferl_rl_categorical_logprob_backward(t->dhead, head, targets, t->dlogp, B, H);
    else
        saferl_rl_gaussian_logprob_backward(t->dhead, grads + net_count, head, p->params + net_count, targets, t->dlogp,
                                            B, H);
    saferl_rl_mlp_backward(&p->net, p->params, grads, inputs, t->acts, t->dhead, dinputs, t->scratch, B);
    return loss;
}

SAFERL_RL_API double saferl_rl_rcsl_loss(saferl_rl_rcsl_trainer *trainer, long first, int count, float *grads,
                                         float *dinputs) {
    SAFERL_ASSERT(trainer != NULL);
    if (count < 1 || count > trainer->minibatch || first < 0 || first > trainer->sample_count - count)
        return saferl_rl__nan();
    if (dinputs && !grads) return saferl_rl__nan(); /* the input gradient comes with the backward pass */
    if (trainer->policy.architecture == SAFERL_RL_RCSL_TRANSFORMER) {
        int b;
        if (dinputs) return saferl_rl__nan();
        for (b = 0; b < count; ++b) saferl_rl__cdt_gather(trainer, b, first + b);
        return saferl_rl__cdt_loss(trainer, count, grads);
    }
    return saferl_rl__rcsl_loss_rows(trainer, trainer->inputs + (size_t)first * trainer->input_dim,
                                     trainer->targets + (size_t)first * trainer->stored_action_dim, count, grads,
                                     dinputs);
}

SAFERL_RL_API saferl_result saferl_rl_rcsl_train(saferl_rl_rcsl_trainer *trainer, int steps, double *mean_loss) {
    saferl_rl_rcsl_trainer *t = trainer;
    const size_t P = saferl_rl__rcsl_param_count(&trainer->policy), I = (size_t)trainer->input_dim,
                 Ad = (size_t)trainer->stored_action_dim;
    double total = 0.0;
    int k, b;
    SAFERL_ASSERT(trainer != NULL && trainer->inputs != NULL);
    if (steps < 0) return SAFERL_ERR_INVALID_ARGUMENT;
    for (k = 0; k < steps; ++k) {
        const int B = t->minibatch;
        double loss;
        for (b = 0; b < B; ++b) {
            long i;
            if (t->cursor == 0) { /* a new pass: Fisher-Yates shuffle of the order */
                long n;
                for (n = (long)t->sample_count - 1; n > 0; --n) {
                    long m = (long)saferl_rng_bounded(&t->rng, (uint32_t)(n + 1)), tmp = t->order[n];
                    t->order[n] = t->order[m];
                    t->order[m] = tmp;
                }
            }
            i = t->order[t->cursor];
            t->cursor = t->cursor + 1 >= t->sample_count ? 0 : t->cursor + 1;
            if (t->policy.architecture == SAFERL_RL_RCSL_TRANSFORMER) {
                saferl_rl__cdt_gather(t, b, i); /* the window starting at step i */
                continue;
            }
            memcpy(t->mb_inputs + (size_t)b * I, t->inputs + (size_t)i * I, sizeof(float) * I);
            memcpy(t->mb_targets + (size_t)b * Ad, t->targets + (size_t)i * Ad, sizeof(float) * Ad);
        }
        memset(t->grads, 0, sizeof(float) * P);
        loss = t->policy.architecture == SAFERL_RL_RCSL_TRANSFORMER
                   ? saferl_rl__cdt_loss(t, B, t->grads)
                   : saferl_rl__rcsl_loss_rows(t, t->mb_inputs, t->mb_targets, B, t->grads, NULL);
        if (!saferl_rl__finite(loss)) return SAFERL_ERR_NOT_FINITE;
        if (t->desc.max_grad_norm > 0.0) saferl_rl_clip_grad_norm(t->grads, P, (float)t->desc.max_grad_norm);
        t->steps += 1;
        saferl_rl_adam_update(t->policy.policy.params, t->grads, t->adam_m, t->adam_v, P, (float)t->desc.learning_rate,
                              0.9f, 0.999f, 1e-8f, t->steps);
        total += loss;
    }
    t->last_loss = steps > 0 ? total / steps : t->last_loss;
    if (mean_loss) *mean_loss = steps > 0 ? total / steps : t->last_loss;
    return SAFERL_OK;
}

/* ---- off-policy: a replay buffer, TD3 and SAC ------------------------------------------------ */

SAFERL_RL_API size_t saferl_rl_replay_memory_size(int capacity, int observation_dim, int action_dim, int cost_count) {
    size_t per;
    if (capacity < 1 || observation_dim < 1 || action_dim < 1 || observation_dim > SAFERL_RL_MAX_WIDTH ||
        action_dim > SAFERL_RL_MAX_WIDTH || cost_count < 0 || cost_count > SAFERL_RL_MAX_COSTS)
        return 0;
    per = sizeof(float) * (2 * (size_t)observation_dim + (size_t)action_dim + 2 + (size_t)(cost_count ? cost_count : 1));
    if ((size_t)capacity > ((size_t)-1) / per) return 0; /* wasm32: size_t is 32 bits */
    return per * (size_t)capacity;
}

SAFERL_RL_API saferl_result saferl_rl_replay_init(saferl_rl_replay *replay, int capacity, int observation_dim,
                                                  int action_dim, int cost_count, void *memory, size_t memory_size) {
    size_t need = saferl_rl_replay_memory_size(capacity, observation_dim, action_dim, cost_count), n = (size_t)capacity;
    float *f = (float *)memory;
    SAFERL_ASSERT(replay != NULL);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (memory == NULL || memory_size < need) return SAFERL_ERR_OUT_OF_MEMORY;
    replay->capacity = capacity;
    replay->observation_dim = observation_dim;
    replay->action_dim = action_dim;
    replay->cost_count = cost_count ? cost_count : 1;
    replay->size = replay->next = 0;
    replay->observations = f;
    replay->next_observations = f + n * observation_dim;
    replay->actions = replay->next_observations + n * observation_dim;
    replay->rewards = replay->actions + n * action_dim;
    replay->costs = replay->rewards + n;
    replay->dones = replay->costs + n * (size_t)replay->cost_count;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_replay_add(saferl_rl_replay *replay, const float *observation,
                                                 const float *action, float reward, const float *costs,
                                                 const float *next_observation, int terminated) {
    int O = replay->observation_dim, A = replay->action_dim, C = replay->cost_count;
    size_t at = (size_t)replay->next;
    if (!saferl_rl__all_finite(observation, O) || !saferl_rl__all_finite(next_observation, O) ||
        !saferl_rl__all_finite(action, A) || !saferl_rl__finite(reward) || !saferl_rl__all_finite(costs, C))
        return SAFERL_ERR_NOT_FINITE;
    memcpy(replay->observations + at * O, observation, sizeof(float) * (size_t)O);
    memcpy(replay->next_observations + at * O, next_observation, sizeof(float) * (size_t)O);
    memcpy(replay->actions + at * A, action, sizeof(float) * (size_t)A);
    replay->rewards[at] = reward;
    memcpy(replay->costs + at * C, costs, sizeof(float) * (size_t)C);
    replay->dones[at] = terminated ? 1.0f : 0.0f;
    replay->next = (replay->next + 1) % replay->capacity;
    if (replay->size < replay->capacity) replay->size += 1;
    return SAFERL_OK;
}

static int saferl_rl__is_discrete_sac(saferl_rl_offpolicy_algorithm algorithm) {
    return algorithm == SAFERL_RL_SAC_DISCRETE || algorithm == SAFERL_RL_SAC_DISCRETE_LAG;
}
static int saferl_rl__is_lagrangian(saferl_rl_offpolicy_algorithm algorithm) {
    return algorithm == SAFERL_RL_TD3_LAG || algorithm == SAFERL_RL_SAC_LAG || algorithm == SAFERL_RL_SAC_DISCRETE_LAG;
}
/* Every SAC form: no policy delay, a temperature, no target actor. */
static int saferl_rl__is_sac(const saferl_rl_offpolicy_agent *a) {
    return a->desc.algorithm == SAFERL_RL_SAC || a->desc.algorithm == SAFERL_RL_SAC_LAG ||
           saferl_rl__is_discrete_sac(a->desc.algorithm);
}
/* The constraints (Lagrangian forms: cost_count; others 0), and the critics an update trains:
   the twin reward critics, then a cost critic per constraint (critic 2 + i for constraint i),
   then with twin_cost_critics a second one each (critic 2 + C + i). */
static int saferl_rl__constraints(const saferl_rl_offpolicy_agent *a) {
    return saferl_rl__is_lagrangian(a->desc.algorithm) ? a->desc.cost_count : 0;
}
static int saferl_rl__critics(const saferl_rl_offpolicy_agent *a) {
    return 2 + saferl_rl__constraints(a) * (a->desc.twin_cost_critics ? 2 : 1);
}
/* The constraint a cost critic (index >= 2) learns. */
static int saferl_rl__constraint_of(const saferl_rl_offpolicy_agent *a, int critic) {
    return (critic - 2) % saferl_rl__constraints(a);
}
/* The cost critic whose value constraint i takes at entry `at` of the critics' outputs q: the
   larger of the pair with twin_cost_critics (the first of equals), else the one. */
static int saferl_rl__cost_critic_at(const saferl_rl_offpolicy_agent *a, const float *const *q, int i, size_t at) {
    const int first = 2 + i, second = 2 + saferl_rl__constraints(a) + i;
    return a->desc.twin_cost_critics && q[second][at] > q[first][at] ? second : first;
}

/* M2TD3's and DR-TD3's part of the desc: Omega is required, the rest defaults. */
static saferl_result saferl_rl__robust_defaults(saferl_rl_offpolicy_desc *d) {
    int i;
    if (d->omega_dim < 1 || d->omega_dim > SAFERL_RL_MAX_OMEGA) return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < d->omega_dim; ++i)
        if (!(d->omega_lower[i] < d->omega_upper[i]) || !saferl_rl__finite(d->omega_lower[i]) ||
            !saferl_rl__finite(d->omega_upper[i]))
            return SAFERL_ERR_INVALID_ARGUMENT;
    if (d->algorithm == SAFERL_RL_DR_TD3) return SAFERL_OK;
    if (d->candidate_count == 0) d->candidate_count = 5;
    if (d->candidate_lr == 0.0) d->candidate_lr = 3e-4;
    if (d->omega_std_start == 0.0) d->omega_std_start = 1.0;
    if (d->omega_std_end == 0.0) d->omega_std_end = 0.1;
    if (d->omega_target_noise == 0.0) d->omega_target_noise = 0.2;
    if (d->omega_target_clip == 0.0) d->omega_target_clip = 0.5;
    if (d->restart_probability == 0.0) d->restart_probability = 0.05;
    if (d->restart_distance == 0.0) d->restart_distance = 0.1;
    if (d->omega_schedule_steps < 1 || d->candidate_count < 2 || d->candidate_count > SAFERL_RL_MAX_CANDIDATES ||
        !(d->candidate_lr > 0.0) || !(d->omega_std_start > 0.0 && d->omega_std_start < 1e30) ||
        !(d->omega_std_end > 0.0 && d->omega_std_end <= d->omega_std_start) || !(d->omega_target_noise > 0.0) ||
        !(d->omega_target_clip > 0.0) || !(d->restart_probability > 0.0 && d->restart_probability < 1.0) ||
        !(d->restart_distance > 0.0 && d->restart_distance < 1e30))
        return SAFERL_ERR_INVALID_ARGUMENT;
    return SAFERL_OK;
}

/* The desc with its defaults; SAFERL_ERR_INVALID_ARGUMENT for a value out of range. */
static saferl_result saferl_rl__offpolicy_defaults(saferl_rl_offpolicy_desc *d, const saferl_rl_offpolicy_desc *in,
                                                   int action_dim) {
    const int discrete = saferl_rl__is_discrete_sac(in->algorithm);
    int i;
    *d = *in;
    if (discrete && (d->action_count < 2 || d->action_count > SAFERL_RL_MAX_WIDTH || action_dim != 1))
        return SAFERL_ERR_INVALID_ARGUMENT; /* required */
    if (d->hidden_count == 0) {
        d->hidden_count = 2;
        d->hidden_sizes[0] = d->hidden_sizes[0] ? d->hidden_sizes[0] : 256;
        d->hidden_sizes[1] = d->hidden_sizes[1] ? d->hidden_sizes[1] : 256;
    } else if (d->hidden_count == SAFERL_RL_OFFPOLICY_LINEAR) {
        d->hidden_count = 0;
    }
    if (d->hidden_count < 0 || d->hidden_count > SAFERL_RL_MAX_LAYERS - 1 || (d->tanh_hidden & ~1) != 0)
        return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < d->hidden_count; ++i)
        if (d->hidden_sizes[i] < 1 || d->hidden_sizes[i] > SAFERL_RL_MAX_WIDTH) return SAFERL_ERR_INVALID_ARGUMENT;
    if (d->batch_size == 0) d->batch_size = 256;
    if (d->random_steps == 0) d->random_steps = 1000;
    else if (d->random_steps == (int)SAFERL_RL_NONE) d->random_steps = 0;
    if (d->gradient_steps == 0) d->gradient_steps = 1;
    if (d->gamma == 0.0) d->gamma = 0.99;
    if (d->polyak_tau == 0.0) d->polyak_tau = 0.005;
    if (d->actor_lr == 0.0) d->actor_lr = 3e-4;
    if (d->critic_lr == 0.0) d->critic_lr = 3e-4;
    if (d->exploration_noise == 0.0) d->exploration_noise = 0.1;
    if (d->target_noise == 0.0) d->target_noise = 0.2;
    if (d->target_noise_clip == 0.0) d->target_noise_clip = 0.5;
    if (d->policy_delay == 0) d->policy_delay = 2;
    if (d->initial_temperature == 0.0) d->initial_temperature = 1.0;
    if (d->temperature_lr == 0.0) d->temperature_lr = 3e-4;
    if (d->target_entropy == 0.0) d->target_entropy = discrete ? 0.98 * log((double)d->action_count) : -(double)action_dim;
    else if (d->target_entropy == SAFERL_RL_OFFPOLICY_ZERO_ENTROPY) d->target_entropy = 0.0;
    if (d->presquash_penalty == 0.0) d->presquash_penalty = SAFERL_RL_NONE;
    if (d->cost_gamma == 0.0) d->cost_gamma = 0.99;
    if (d->lagrange_lr == 0.0) d->lagrange_lr = 0.01;
    if (d->lagrange_kp == 0.0) d->lagrange_kp = SAFERL_RL_NONE;
    if (d->lagrange_space == SAFERL_RL_LAGRANGE_DEFAULT) /* LOG where it won held out (ALGORITHMS) */
        d->lagrange_space = d->algorithm == SAFERL_RL_SAC_DISCRETE_LAG && d->multiplier_scale == SAFERL_RL_MULTIPLIER_RELATIVE
                                ? SAFERL_RL_LAGRANGE_LOG : SAFERL_RL_LAGRANGE_LINEAR;
    if (d->lagrange_init == 0.0 && d->lagrange_space == SAFERL_RL_LAGRANGE_LOG) d->lagrange_init = 1.0; /* log 0 is no start */
    if (d->augmented_penalty == 0.0) /* 1: SAC-Lag's under RELATIVE, where it won held out (ALGORITHMS) */
        d->augmented_penalty = d->algorithm == SAFERL_RL_SAC_LAG && d->multiplier_scale == SAFERL_RL_MULTIPLIER_RELATIVE
                                   ? 1.0 : SAFERL_RL_NONE;
    if ((d->algorithm == SAFERL_RL_M2TD3 || d->algorithm == SAFERL_RL_DR_TD3) && saferl_rl__robust_defaults(d) != SAFERL_OK)
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (discrete && !(d->target_entropy < log((double)d->action_count))) /* alpha would grow without end */
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (saferl_rl__is_lagrangian(d->algorithm)) {
        if (d->cost_count < 1 || d->cost_count > SAFERL_RL_MAX_COSTS) return SAFERL_ERR_INVALID_ARGUMENT; /* required */
        for (i = 0; i < d->cost_count; ++i)
            if (!(d->cost_limits[i] >= 0.0 && d->cost_limits[i] < 1e300)) return SAFERL_ERR_INVALID_ARGUMENT;
        if (!(d->lagrange_init >= 0.0 && d->lagrange_init < 1e30) || !(d->lagrange_lr > 0.0) ||
            (!(d->lagrange_kp >= 0.0 && d->lagrange_kp < 1e30) && d->lagrange_kp != SAFERL_RL_NONE) ||
            (!(d->augmented_penalty >= 0.0 && d->augmented_penalty < 1e30) && d->augmented_penalty != SAFERL_RL_NONE) ||
            d->twin_cost_critics < 0 || d->twin_cost_critics > 1 || (int)d->lagrange_space < SAFERL_RL_LAGRANGE_LINEAR ||
            (int)d->lagrange_space > SAFERL_RL_LAGRANGE_LOG ||
            (d->lagrange_space == SAFERL_RL_LAGRANGE_LOG && !(d->lagrange_init >= 1e-30)) || /* exp(nu)'s floor a float > 0 */
            !(d->cost_gamma >= 0.0 && d->cost_gamma <= 1.0) || (int)d->multiplier_scale < 0 ||
            (int)d->multiplier_scale > SAFERL_RL_MULTIPLIER_COST_UNITS)
            return SAFERL_ERR_INVALID_ARGUMENT;
    }
    if ((int)d->algorithm < 0 || (int)d->algorithm > SAFERL_RL_SAC_DISCRETE_LAG || d->batch_size < 1 ||
        d->batch_size > 65536 || d->random_steps < 0 || d->gradient_steps < 1 || d->gradient_steps > 64 || !(d->gamma >= 0.0 && d->gamma <= 1.0) ||
        !(d->polyak_tau > 0.0 && d->polyak_tau <= 1.0) || !(d->actor_lr > 0.0) || !(d->critic_lr > 0.0) ||
        !(d->exploration_noise > 0.0) || !(d->target_noise > 0.0) || !(d->target_noise_clip > 0.0) ||
        d->policy_delay < 1 || !(d->initial_temperature > 0.0 && d->initial_temperature < 1e30) ||
        !(d->temperature_lr > 0.0) || !saferl_rl__finite(d->target_entropy) ||
        (!(d->presquash_penalty > 0.0 && d->presquash_penalty < 1e30) && d->presquash_penalty != SAFERL_RL_NONE) ||
        (d->presquash_penalty != SAFERL_RL_NONE && discrete) || (d->inverting_gradients & ~1) != 0 ||
        (d->inverting_gradients && d->algorithm != SAFERL_RL_TD3 && d->algorithm != SAFERL_RL_TD3_LAG))
        return SAFERL_ERR_INVALID_ARGUMENT;
    return SAFERL_OK;
}

/* Lays the agent's arrays out from base (NULL: only measures); returns the bytes used. */
static size_t saferl_rl__offpolicy_layout(saferl_rl_offpolicy_agent *a, unsigned char *base) {
    const size_t B = (size_t)a->desc.batch_size, O = (size_t)a->observation_dim, A = (size_t)a->action_dim;
    const size_t W = (size_t)a->omega_width, K = W ? (size_t)a->desc.candidate_count : 0;
    const size_t in = O + A + W, Pa = a->actor_count, Pc = a->critic_count;
    const size_t Q = saferl_rl__is_discrete_sac(a->desc.algorithm) ? (size_t)a->desc.action_count : 1; /* a Q per action */
    size_t cursor = 0;
    int width = saferl_rl__mlp_max_width(&a->actor_net), i;
    float **actor_parts[5];
    float **critic_parts[5];
    const int critics = saferl_rl__critics(a);
    actor_parts[0] = &a->actor; actor_parts[1] = &a->actor_target; actor_parts[2] = &a->actor_grad;
    actor_parts[3] = &a->actor_m; actor_parts[4] = &a->actor_v;
    critic_parts[0] = a->critic; critic_parts[1] = a->critic_target; critic_parts[2] = a->critic_grad;
    critic_parts[3] = a->critic_m; critic_parts[4] = a->critic_v;
    if (saferl_rl__mlp_max_width(&a->critic_net) > width) width = saferl_rl__mlp_max_width(&a->critic_net);
    for (i = 0; i < 5; ++i) SAFERL_RL__TAKE(*actor_parts[i], float, Pa);
    for (i = 0; i < 5 * critics; ++i) SAFERL_RL__TAKE(critic_parts[i / critics][i % critics], float, Pc);
    SAFERL_RL__TAKE(a->obs, float, B * O);
    SAFERL_RL__TAKE(a->next_obs, float, B * O);
    SAFERL_RL__TAKE(a->act, float, B * A);
    SAFERL_RL__TAKE(a->noise, float, B * A);
    SAFERL_RL__TAKE(a->pre_tanh, float, B * (A > Q ? A : Q));
    SAFERL_RL__TAKE(a->new_act, float, B * (A > Q ? A : Q));
    SAFERL_RL__TAKE(a->rew, float, B);
    SAFERL_RL__TAKE(a->cost, float, B * (size_t)(saferl_rl__constraints(a) + 1));
    SAFERL_RL__TAKE(a->cost_target, float, B * (size_t)(saferl_rl__constraints(a) + 1));
    SAFERL_RL__TAKE(a->done, float, B);
    SAFERL_RL__TAKE(a->target, float, B);
    SAFERL_RL__TAKE(a->logp, float, B);
    SAFERL_RL__TAKE(a->q_input, float, B * in);
    SAFERL_RL__TAKE(a->q_input_grad, float, B * in);
    SAFERL_RL__TAKE(a->actor_acts, float, saferl_rl_mlp_activation_count(&a->actor_net, (int)B));
    for (i = 0; i < saferl_rl__critics(a); ++i) {
        SAFERL_RL__TAKE(a->critic_acts[i], float, saferl_rl_mlp_activation_count(&a->critic_net, (int)B));
        SAFERL_RL__TAKE(a->q_grad[i], float, B * Q);
    }
    SAFERL_RL__TAKE(a->head_grad, float, B * (size_t)a->actor_net.sizes[a->actor_net.layer_count]);
    SAFERL_RL__TAKE(a->scratch, float, 2 * B * (size_t)width);
    SAFERL_RL__TAKE(a->env_obs, float, O + W);
    SAFERL_RL__TAKE(a->env_next_obs, float, O + W);
    SAFERL_RL__TAKE(a->env_action, float, A);
    SAFERL_RL__TAKE(a->omega, float, B * W);
    SAFERL_RL__TAKE(a->next_omega, float, B * W);
    SAFERL_RL__TAKE(a->omega_noise, float, B * W);
    SAFERL_RL__TAKE(a->candidates, float, K * W);
    SAFERL_RL__TAKE(a->candidate_u, float, K * W);
    SAFERL_RL__TAKE(a->candidate_m, float, K * W);
    SAFERL_RL__TAKE(a->candidate_v, float, K * W);
    SAFERL_RL__TAKE(a->candidate_steps, long, K);
    SAFERL_RL__TAKE(a->candidate_prob, double, K);
    return cursor;
}

/* The networks and desc of an agent (no memory yet). */
static saferl_result saferl_rl__offpolicy_shape(saferl_rl_offpolicy_agent *a, const saferl_rl_offpolicy_desc *desc,
                                                int observation_dim, int action_dim) {
    saferl_rl_activation activation;
    saferl_result r;
    if (observation_dim < 1 || action_dim < 1 || observation_dim + action_dim > SAFERL_RL_MAX_WIDTH)
        return SAFERL_ERR_INVALID_ARGUMENT;
    memset(a, 0, sizeof *a);
    if ((r = saferl_rl__offpolicy_defaults(&a->desc, desc, action_dim)) != SAFERL_OK) return r;
    a->observation_dim = observation_dim;
    a->action_dim = action_dim;
    a->omega_width = a->desc.algorithm == SAFERL_RL_M2TD3 ? a->desc.omega_dim : 0;
    if (observation_dim + action_dim + a->omega_width > SAFERL_RL_MAX_WIDTH) return SAFERL_ERR_INVALID_ARGUMENT;
    activation = a->desc.tanh_hidden ? SAFERL_RL_TANH : SAFERL_RL_RELU;
    if (saferl_rl__is_discrete_sac(a->desc.algorithm)) { /* logits; Q(s, .) */
        r = saferl_rl_mlp_define(&a->actor_net, observation_dim, a->desc.hidden_sizes, a->desc.hidden_count,
                                 a->desc.action_count, activation);
        if (r == SAFERL_OK)
            r = saferl_rl_mlp_define(&a->critic_net, observation_dim, a->desc.hidden_sizes, a->desc.hidden_count,
                                     a->desc.action_count, activation);
    } else {
        r = saferl_rl_mlp_define(&a->actor_net, observation_dim, a->desc.hidden_sizes, a->desc.hidden_count,
                                 saferl_rl__is_sac(a) ? 2 * action_dim : action_dim, activation);
        if (r == SAFERL_OK)
            r = saferl_rl_mlp_define(&a->critic_net, observation_dim + action_dim + a->omega_width, a->desc.hidden_sizes,
                                     a->desc.hidden_count, 1, activation);
    }
    a->actor_count = saferl_rl_mlp_param_count(&a->actor_net);
    a->critic_count = saferl_rl_mlp_param_count(&a->critic_net);
    return r;
}

/* q_input (B, O + A + W) = [observations, actions, omega] row by row; omega_stride 0 repeats
   one omega in every row (a candidate), W (M2TD3's omega_width) may be 0. */
static void saferl_rl__critic_input(saferl_rl_offpolicy_agent *a, const float *s, const float *act, const float *omega,
                                    int omega_stride, int B) {
    const int O = a->observation_dim, A = a->action_dim, W = a->omega_width, in = O + A + W;
    int b;
    for (b = 0; b < B; ++b) {
        memcpy(a->q_input + (size_t)b * in, s + (size_t)b * O, sizeof(float) * (size_t)O);
        memcpy(a->q_input + (size_t)b * in + O, act + (size_t)b * A, sizeof(float) * (size_t)A);
        if (W) memcpy(a->q_input + (size_t)b * in + O + A, omega + (size_t)b * omega_stride, sizeof(float) * (size_t)W);
    }
}

/* Candidate k redrawn uniformly on Omega with fresh Adam moments (init and the restart rule). */
static void saferl_rl__candidate_draw(saferl_rl_offpolicy_agent *a, int k) {
    const int W = a->omega_width;
    int i;
    for (i = 0; i < W; ++i) {
        double lo = a->desc.omega_lower[i], hi = a->desc.omega_upper[i], u = saferl_rng_uniform(&a->rng);
        a->candidate_u[k * W + i] = (float)u;
        a->candidates[k * W + i] = (float)(lo + u * (hi - lo));
        a->candidate_m[k * W + i] = a->candidate_v[k * W + i] = 0.0f;
    }
    a->candidate_steps[k] = 0;
}

SAFERL_RL_API size_t saferl_rl_offpolicy_memory_size(const saferl_rl_offpolicy_desc *desc, int observation_dim,
                                                     int action_dim) {
    saferl_rl_offpolicy_agent a;
    if (desc == NULL || saferl_rl__offpolicy_shape(&a, desc, observation_dim, action_dim) != SAFERL_OK) return 0;
    return saferl_rl__offpolicy_layout(&a, NULL);
}

/* lagrange_space LOG's bounds on nu = log of the integral: eight decades around the initial price,
   lambda_0 1e-4 .. lambda_0 1e4 (ALGORITHMS, "TD3-Lag and SAC-Lag": the floor bounds a slack
   constraint's windup, the ceiling keeps lambda Q_C finite). */
#define SAFERL_RL__LAGRANGE_LOG_RANGE 9.210340371976184 /* log 1e4 */

/* Those bounds as the floats nu is kept in (0 and 0 unless lagrange_space is LOG). */
static void saferl_rl__lagrange_log_bounds(const saferl_rl_offpolicy_agent *a, float *lo, float *hi) {
    const double center = a->desc.lagrange_space == SAFERL_RL_LAGRANGE_LOG ? log(a->desc.lagrange_init) : 0.0;
    const double range = a->desc.lagrange_space == SAFERL_RL_LAGRANGE_LOG ? SAFERL_RL__LAGRANGE_LOG_RANGE : 0.0;
    *lo = (float)(center - range);
    *hi = (float)(center + range);
}

/* Clamps *nu into its bounds and returns the integral exp(nu) (> 0). */
static float saferl_rl__lagrange_from_log(const saferl_rl_offpolicy_agent *a, float *nu) {
    float lo, hi;
    saferl_rl__lagrange_log_bounds(a, &lo, &hi);
    *nu = *nu < lo ? lo : *nu > hi ? hi : *nu;
    return (float)exp((double)*nu);
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_init(saferl_rl_offpolicy_agent *agent, const saferl_rl_offpolicy_desc *desc,
                                                     int observation_dim, int action_dim, void *memory,
                                                     size_t memory_size) {
    saferl_rl_offpolicy_agent a;
    saferl_result r;
    size_t need;
    int i;
    SAFERL_ASSERT(agent != NULL && desc != NULL);
    if ((r = saferl_rl__offpolicy_shape(&a, desc, observation_dim, action_dim)) != SAFERL_OK) return r;
    need = saferl_rl__offpolicy_layout(&a, NULL);
    if (memory == NULL || memory_size < need) return SAFERL_ERR_OUT_OF_MEMORY;
    memset(memory, 0, need);
    saferl_rl__offpolicy_layout(&a, (unsigned char *)memory);
    saferl_rng_seed(&a.rng, a.desc.seed);
    saferl_rl_mlp_init_params(&a.actor_net, a.actor, &a.rng, 1.0f);
    memcpy(a.actor_target, a.actor, sizeof(float) * a.actor_count);
    for (i = 0; i < saferl_rl__critics(&a); ++i) {
        saferl_rl_mlp_init_params(&a.critic_net, a.critic[i], &a.rng, 1.0f);
        memcpy(a.critic_target[i], a.critic[i], sizeof(float) * a.critic_count);
    }
    for (i = 0; i < (a.omega_width ? a.desc.candidate_count : 0); ++i) {
        saferl_rl__candidate_draw(&a, i);
        a.candidate_prob[i] = 1.0 / a.desc.candidate_count;
    }
    a.log_temperature = (float)log(a.desc.initial_temperature);
    for (i = 0; i < saferl_rl__constraints(&a); ++i) { /* others: 0 */
        a.lagrange[i] = a.lagrange_integral[i] = (float)a.desc.lagrange_init;
        if (a.desc.lagrange_space != SAFERL_RL_LAGRANGE_LOG) continue;
        a.lagrange_log[i] = (float)log(a.desc.lagrange_init);
        a.lagrange[i] = a.lagrange_integral[i] = saferl_rl__lagrange_from_log(&a, &a.lagrange_log[i]); /* as every step derives it */
    }
    for (i = 0; i < SAFERL_RL_MAX_COSTS; ++i) a.cost_weight[i] = 1.0f;
    *agent = a;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_create(saferl_rl_offpolicy_agent *agent,
                                                       const saferl_rl_offpolicy_desc *desc, int observation_dim,
                                                       int action_dim) {
    size_t size = saferl_rl_offpolicy_memory_size(desc, observation_dim, action_dim);
    void *memory;
    saferl_result r;
    SAFERL_ASSERT(agent != NULL && desc != NULL);
    if (size == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = SAFERL_MALLOC(size, NULL);
    if (memory == NULL) return SAFERL_ERR_OUT_OF_MEMORY;
    if ((r = saferl_rl_offpolicy_init(agent, desc, observation_dim, action_dim, memory, size)) != SAFERL_OK) {
        SAFERL_FREE(memory, NULL);
        return r;
    }
    agent->memory = memory;
    return SAFERL_OK;
}

SAFERL_RL_API void saferl_rl_offpolicy_destroy(saferl_rl_offpolicy_agent *agent) {
    if (agent == NULL) return;
    if (agent->memory) SAFERL_FREE(agent->memory, NULL);
    memset(agent, 0, sizeof *agent);
}

/* SAC's tanh-squashed Gaussian from the actor's head (B, 2A: means, log-stds) and standard
   normal noise: pre_tanh u = mean + std noise, new_act = tanh(u), logp = sum_j log N(u_j; mean,
   std) - log(1 - tanh(u_j)^2), the last term as 2 (log 2 - u - softplus(-2u)) (stable for
   large |u|). */
static void saferl_rl__squash(saferl_rl_offpolicy_agent *a, const float *head, const float *noise, int B) {
    const int A = a->action_dim;
    const double half_log_two_pi = 0.91893853320467274178, log_two = 0.69314718055994530942;
    int b, j;
    for (b = 0; b < B; ++b) {
        double logp = 0.0;
        for (j = 0; j < A; ++j) {
            double log_std = saferl_rl__clampf(head[b * 2 * A + A + j], -20.0f, 2.0f), n = noise[b * A + j];
            double u = head[b * 2 * A + j] + exp(log_std) * n, m2u = -2.0 * u;
            double softplus = m2u > 0.0 ? m2u + log1p(exp(-m2u)) : log1p(exp(m2u));
            a->pre_tanh[b * A + j] = (float)u;
            a->new_act[b * A + j] = (float)tanh(u);
            logp += -0.5 * n * n - log_std - half_log_two_pi - 2.0 * (log_two - u - softplus);
        }
        a->logp[b] = (float)logp;
    }
}

/* TD3's action from its actor's output x: tanh(x), or x clipped to [-1, 1] under inverting_gradients. */
static float saferl_rl__td3_action(const saferl_rl_offpolicy_agent *a, float x) {
    return a->desc.inverting_gradients ? saferl_rl__clampf(x, -1.0f, 1.0f) : tanhf(x);
}

/* Discrete SAC's policy from the actor's logits (B, K): new_act = pi(.|s), pre_tanh = log pi(.|s)
   (a log-sum-exp apart, so no probability underflows to a log of -inf), logp[b] = sum_a pi log pi
   (minus the entropy: what the temperature's step reads). */
static void saferl_rl__discrete_policy(saferl_rl_offpolicy_agent *a, const float *logits, int B) {
    const int K = a->desc.action_count;
    int b, k;
    for (b = 0; b < B; ++b) {
        const float *z = logits + (size_t)b * K;
        float lse = saferl_rl__logsumexp(z, K);
        double negentropy = 0.0;
        for (k = 0; k < K; ++k) {
            float logp = z[k] - lse;
            a->pre_tanh[(size_t)b * K + k] = logp;
            a->new_act[(size_t)b * K + k] = expf(logp);
            negentropy += (double)a->new_act[(size_t)b * K + k] * logp;
        }
        a->logp[b] = (float)negentropy;
    }
}

/* Discrete SAC's critic targets (Christodoulou 2019, eq. 10: the soft state value as the exact
   expectation over the next action, no sample): y = r + gamma (1 - done) sum_a' pi(a'|s')
   (min_i Q_i'(s', a') - alpha log pi(a'|s')); each cost critic's yc = c + gamma_c (1 - done)
   sum_a' pi(a'|s') Q_C'(s', a'). */
static void saferl_rl__discrete_targets(saferl_rl_offpolicy_agent *a, float *y, float *yc) {
    const int B = a->desc.batch_size, K = a->desc.action_count, critics = saferl_rl__critics(a);
    const double alpha = exp((double)a->log_temperature);
    const float *q[SAFERL_RL_OFFPOLICY_CRITICS];
    int b, k, i;
    saferl_rl__discrete_policy(a, saferl_rl_mlp_forward(&a->actor_net, a->actor, a->next_obs, a->actor_acts, B), B);
    for (i = 0; i < critics; ++i)
        q[i] = saferl_rl_mlp_forward(&a->critic_net, a->critic_target[i], a->next_obs, a->critic_acts[i], B);
    for (b = 0; b < B; ++b) {
        const float *p = a->new_act + (size_t)b * K, *logp = a->pre_tanh + (size_t)b * K;
        const size_t row = (size_t)b * K;
        double value = 0.0;
        for (k = 0; k < K; ++k) {
            double q_min = q[0][row + k] < q[1][row + k] ? q[0][row + k] : q[1][row + k];
            value += p[k] * (q_min - alpha * logp[k]);
        }
        y[b] = (float)(a->rew[b] + a->desc.gamma * (1.0 - a->done[b]) * value);
        for (i = 0; i < saferl_rl__constraints(a); ++i) {
            double cost_value = 0.0;
            for (k = 0; k < K; ++k) cost_value += p[k] * (double)q[saferl_rl__cost_critic_at(a, q, i, row + k)][row + k];
            yc[i * B + b] = (float)(a->cost[i * B + b] + a->desc.cost_gamma * (1.0 - a->done[b]) * cost_value);
        }
    }
}

/* The standard deviation of n values (about their mean, divided by n). */
static double saferl_rl__spread(const float *x, int n) {
    double mean = 0.0, var = 0.0;
    int i;
    for (i = 0; i < n; ++i) mean += x[i];
    mean /= n;
    for (i = 0; i < n; ++i) var += ((double)x[i] - mean) * ((double)x[i] - mean);
    return sqrt(var / n);
}

/* The relative multiplier's exchange rate (ALGORITHMS, "TD3-Lag and SAC-Lag"): Q_Ci enters the
   actor's loss as lambda_i (s_R / s_Ci) Q_Ci, s_R and s_Ci the spreads of this batch's reward
   and cost targets, so that costs (or rewards) k times larger leave lambda_i unchanged. A
   constant target (no cost met, a flat reward: no spread to measure) gives the weight 1, as
   does COST_UNITS always. */
static void saferl_rl__cost_weights(saferl_rl_offpolicy_agent *a, const float *y, const float *yc) {
    const int B = a->desc.batch_size;
    const double reward_spread = saferl_rl__spread(y, B);
    int i;
    for (i = 0; i < saferl_rl__constraints(a); ++i) {
        const double cost_spread = saferl_rl__spread(yc + (size_t)i * B, B);
        a->cost_weight[i] = a->desc.multiplier_scale == SAFERL_RL_MULTIPLIER_RELATIVE && reward_spread > 0.0 && cost_spread > 0.0
                                ? (float)(reward_spread / cost_spread) : 1.0f;
    }
}

/* Continuous actions: TD3's smoothed target action or SAC's sampled one, the twin minimum. */
static void saferl_rl__continuous_targets(saferl_rl_offpolicy_agent *a, const float *noise, float *y, float *yc) {
    const int B = a->desc.batch_size, A = a->action_dim, critics = saferl_rl__critics(a);
    const float *q[SAFERL_RL_OFFPOLICY_CRITICS];
    int b, i;
    if (!saferl_rl__is_sac(a)) { /* target policy smoothing */
        const float *head = saferl_rl_mlp_forward(&a->actor_net, a->actor_target, a->next_obs, a->actor_acts, B);
        float clip = (float)a->desc.target_noise_clip;
        for (b = 0; b < B * A; ++b) {
            float eps = saferl_rl__clampf((float)a->desc.target_noise * noise[b], -clip, clip);
            a->new_act[b] = saferl_rl__clampf(saferl_rl__td3_action(a, head[b]) + eps, -1.0f, 1.0f);
        }
    } else { /* SAC: a' from the current policy */
        saferl_rl__squash(a, saferl_rl_mlp_forward(&a->actor_net, a->actor, a->next_obs, a->actor_acts, B), noise, B);
    }
    if (a->omega_width) { /* M2TD3: target smoothing of omega too, inside Omega */
        const int W = a->omega_width;
        for (b = 0; b < B * W; ++b) {
            double half = 0.5 * (a->desc.omega_upper[b % W] - a->desc.omega_lower[b % W]);
            double clip = a->desc.omega_target_clip * half;
            double eps = saferl_rl__clamp(a->desc.omega_target_noise * half * a->omega_noise[b], -clip, clip);
            a->next_omega[b] = (float)saferl_rl__clamp(a->omega[b] + eps, a->desc.omega_lower[b % W], a->desc.omega_upper[b % W]);
        }
    }
    saferl_rl__critic_input(a, a->next_obs, a->new_act, a->next_omega, a->omega_width, B);
    for (i = 0; i < critics; ++i)
        q[i] = saferl_rl_mlp_forward(&a->critic_net, a->critic_target[i], a->q_input, a->critic_acts[i], B);
    for (b = 0; b < B; ++b) {
        double next = q[0][b] < q[1][b] ? q[0][b] : q[1][b];
        if (saferl_rl__is_sac(a)) next -= exp((double)a->log_temperature) * a->logp[b];
        y[b] = (float)(a->rew[b] + a->desc.gamma * (1.0 - a->done[b]) * next);
        for (i = 0; i < saferl_rl__constraints(a); ++i) /* cost critics, with the reward target's a' */
            yc[i * B + b] = (float)(a->cost[i * B + b] +
                                    a->desc.cost_gamma * (1.0 - a->done[b]) * q[saferl_rl__cost_critic_at(a, q, i, b)][b]);
    }
}

SAFERL_RL_API void saferl_rl_offpolicy_critic_targets(saferl_rl_offpolicy_agent *a, const float *noise, float *y,
                                                      float *yc) {
    if (saferl_rl__is_discrete_sac(a->desc.algorithm)) saferl_rl__discrete_targets(a, y, yc);
    else saferl_rl__continuous_targets(a, noise, y, yc);
    saferl_rl__cost_weights(a, y, yc);
}

SAFERL_RL_API double saferl_rl_offpolicy_critic_loss(saferl_rl_offpolicy_agent *a, const float *y, const float *yc,
                                                     int gradient) {
    const int B = a->desc.batch_size, discrete = saferl_rl__is_discrete_sac(a->desc.algorithm);
    const int K = discrete ? a->desc.action_count : 1;
    const float *input = discrete ? a->obs : a->q_input; /* discrete SAC's critics read s alone */
    double loss = 0.0;
    int i, b;
    if (!discrete) saferl_rl__critic_input(a, a->obs, a->act, a->omega, a->omega_width, B);
    for (i = 0; i < saferl_rl__critics(a); ++i) {
        const float *q = saferl_rl_mlp_forward(&a->critic_net, a->critic[i], input, a->critic_acts[i], B);
        const float *target = i >= 2 ? yc + (size_t)saferl_rl__constraint_of(a, i) * B : y;
        if (gradient) memset(a->q_grad[i], 0, sizeof(float) * (size_t)B * K);
        if (!discrete) {
            loss += saferl_rl_value_loss_forward(q, target, B);
            if (gradient) saferl_rl_value_loss_backward(a->q_grad[i], q, target, 1.0f, B);
        } else { /* mean (Q_i(s, a) - y)^2 on the taken action's entry only */
            double sum = 0.0;
            for (b = 0; b < B; ++b) {
                const size_t at = (size_t)b * K + (size_t)a->act[b];
                double diff = (double)q[at] - target[b];
                sum += diff * diff;
                if (gradient) a->q_grad[i][at] = (float)(2.0 * diff / B);
            }
            loss += sum / B;
        }
        if (gradient)
            saferl_rl_mlp_backward(&a->critic_net, a->critic[i], a->critic_grad[i], input, a->critic_acts[i],
                                   a->q_grad[i], NULL, a->scratch, B);
    }
    return loss;
}

/* 1 + sum_i lambda_i: the Lagrangian forms' actor loss is divided by it (0 multipliers otherwise). */
static double saferl_rl__lagrange_scale(const saferl_rl_offpolicy_agent *a) {
    double sum = 1.0;
    int i;
    for (i = 0; i < saferl_rl__constraints(a); ++i) sum += a->lagrange[i];
    return sum;
}

/* presquash_penalty's term before the Lagrangian's normaliser: c/2 times the mean square over the
   batch and the action's coordinates of the actor's outputs before the squash (SAC: the means,
   plus the same of the log stds clamped to [-20, 2], as the two terms of SAC's original code;
   TD3: the action's outputs). 0 without it. */
static double saferl_rl__presquash_penalty(const saferl_rl_offpolicy_agent *a, const float *head) {
    const int B = a->desc.batch_size, A = a->action_dim, sac = saferl_rl__is_sac(a);
    const double c = saferl_rl__setting(a->desc.presquash_penalty);
    double sum = 0.0;
    int b, j;
    if (!(c > 0.0)) return 0.0;
    for (b = 0; b < B; ++b)
        for (j = 0; j < A; ++j) {
            const double mean = head[b * (sac ? 2 * A : A) + j];
            sum += mean * mean;
            if (sac) {
                const double log_std = saferl_rl__clampf(head[b * 2 * A + A + j], -20.0f, 2.0f);
                sum += log_std * log_std;
            }
        }
    return 0.5 * c * sum / ((double)B * A);
}

/* The actor's loss through the critics: q_grad[i] holds dloss/dQ_i; back through both critics
   to the actions (input gradients only: the critics' parameters do not move here), then
   through the head. */
static void saferl_rl__actor_backward(saferl_rl_offpolicy_agent *a, const float *head, const float *noise) {
    const int B = a->desc.batch_size, O = a->observation_dim, A = a->action_dim, W = a->omega_width, in = O + A + W;
    const float alpha = (float)(exp((double)a->log_temperature) / saferl_rl__lagrange_scale(a)); /* as in the loss */
    const double c = saferl_rl__setting(a->desc.presquash_penalty);
    const float penalty = c > 0.0 ? (float)(c / saferl_rl__lagrange_scale(a) / ((double)B * A)) : 0.0f; /* its d/dx is penalty x */
    const int outputs = saferl_rl__is_sac(a) ? 2 * A : A; /* SAC: A means, then A log stds */
    int b, j, i;
    memset(a->q_input_grad, 0, sizeof(float) * (size_t)B * in);
    for (i = 0; i < saferl_rl__critics(a); ++i) {
        if (i == 1 && !saferl_rl__is_sac(a)) continue; /* TD3's actor follows Q1 only */
        saferl_rl_mlp_backward(&a->critic_net, a->critic[i], NULL, a->q_input, a->critic_acts[i], a->q_grad[i],
                               a->q_input_grad, a->scratch, B);
    }
    for (j = 0; j < W; ++j) { /* M2TD3: the loss is -mean Q1, the candidate's gradient + mean Q1 */
        double sum = 0.0;
        for (b = 0; b < B; ++b) sum += a->q_input_grad[b * in + O + A + j];
        a->candidate_grad[j] = (float)-sum;
    }
    for (b = 0; b < B; ++b)
        for (j = 0; j < A; ++j) {
            float act = a->new_act[b * A + j], dact = a->q_input_grad[b * in + O + j];
            if (!saferl_rl__is_sac(a) && a->desc.inverting_gradients) { /* dact < 0 asks p to increase */
                a->head_grad[b * A + j] = dact * (dact < 0.0f ? 1.0f - act : act + 1.0f) * 0.5f;
            } else if (!saferl_rl__is_sac(a)) {
                a->head_grad[b * A + j] = dact * (1.0f - act * act);
            } else { /* d/du of alpha logp / B is alpha 2 tanh(u) / B; d/dlog_std adds -alpha / B */
                float raw_log_std = head[b * 2 * A + A + j], log_std = saferl_rl__clampf(raw_log_std, -20.0f, 2.0f);
                float du = alpha * 2.0f * act / (float)B + dact * (1.0f - act * act);
                a->head_grad[b * 2 * A + j] = du;
                a->head_grad[b * 2 * A + A + j] = raw_log_std == log_std
                    ? -alpha / (float)B + du * expf(log_std) * noise[b * A + j] : 0.0f;
                if (penalty != 0.0f && raw_log_std == log_std) a->head_grad[b * 2 * A + A + j] += penalty * log_std;
            }
            /* presquash_penalty: d/dx of its term is penalty x for the mean (not through the sample) */
            if (penalty != 0.0f) a->head_grad[b * outputs + j] += penalty * head[b * outputs + j];
        }
    saferl_rl_mlp_backward(&a->actor_net, a->actor, a->actor_grad, a->obs, a->actor_acts, a->head_grad, NULL,
                           a->scratch, B);
}

/* Discrete SAC's policy loss (Christodoulou 2019, eq. 12, the expectation over actions exact):
   mean_b sum_a pi(a|s) f(s, a), f = alpha log pi - min_i Q_i + sum_j lambda_j Q_Cj, over
   (1 + sum_j lambda_j). In the logits z its gradient is pi_a (f_a - sum_a' pi_a' f_a'): the
   alpha log pi term's own derivative, sum_a pi_a d log pi_a / dz, is zero. */
static double saferl_rl__discrete_actor_loss(saferl_rl_offpolicy_agent *a, int gradient) {
    const int B = a->desc.batch_size, K = a->desc.action_count, critics = saferl_rl__critics(a);
    const double alpha = exp((double)a->log_temperature), scale = 1.0 / saferl_rl__lagrange_scale(a);
    const float *q[SAFERL_RL_OFFPOLICY_CRITICS];
    double loss = 0.0;
    int b, k, i;
    saferl_rl__discrete_policy(a, saferl_rl_mlp_forward(&a->actor_net, a->actor, a->obs, a->actor_acts, B), B);
    for (i = 0; i < critics; ++i) q[i] = saferl_rl_mlp_forward(&a->critic_net, a->critic[i], a->obs, a->critic_acts[i], B);
    for (b = 0; b < B; ++b) {
        const size_t row = (size_t)b * K;
        double mean_f = 0.0;
        for (k = 0; k < K; ++k) {
            double f = alpha * a->pre_tanh[row + k] - (q[0][row + k] < q[1][row + k] ? q[0][row + k] : q[1][row + k]);
            for (i = 0; i < saferl_rl__constraints(a); ++i)
                f += (double)a->lagrange[i] * a->cost_weight[i] * q[saferl_rl__cost_critic_at(a, q, i, row + k)][row + k];
            a->head_grad[row + k] = (float)f; /* f for now; its gradient below */
            mean_f += a->new_act[row + k] * f;
        }
        loss += mean_f;
        for (k = 0; k < K; ++k)
            a->head_grad[row + k] = (float)(scale / B * a->new_act[row + k] * (a->head_grad[row + k] - mean_f));
    }
    if (gradient)
        saferl_rl_mlp_backward(&a->actor_net, a->actor, a->actor_grad, a->obs, a->actor_acts, a->head_grad, NULL,
                               a->scratch, B);
    return loss * scale / B;
}

SAFERL_RL_API double saferl_rl_offpolicy_actor_loss(saferl_rl_offpolicy_agent *a, const float *noise, int gradient) {
    const int B = a->desc.batch_size, A = a->action_dim, sac = saferl_rl__is_sac(a), critics = saferl_rl__critics(a);
    const float *head;
    const float *q[SAFERL_RL_OFFPOLICY_CRITICS] = {NULL};
    const double alpha = exp((double)a->log_temperature), scale = 1.0 / saferl_rl__lagrange_scale(a);
    double loss = 0.0, penalty;
    int b, i;
    if (saferl_rl__is_discrete_sac(a->desc.algorithm)) return saferl_rl__discrete_actor_loss(a, gradient);
    head = saferl_rl_mlp_forward(&a->actor_net, a->actor, a->obs, a->actor_acts, B);
    if (sac) saferl_rl__squash(a, head, noise, B);
    else /* inverting_gradients: the critic reads the linear output itself (Hausknecht and Stone) */
        for (b = 0; b < B * A; ++b) a->new_act[b] = a->desc.inverting_gradients ? head[b] : tanhf(head[b]);
    saferl_rl__critic_input(a, a->obs, a->new_act, a->candidates + (size_t)a->worst * a->omega_width, 0, B);
    for (i = 0; i < critics; ++i)
        if (i != 1 || sac) q[i] = saferl_rl_mlp_forward(&a->critic_net, a->critic[i], a->q_input, a->critic_acts[i], B);
    for (b = 0; b < B; ++b) {
        int k = sac && q[1][b] < q[0][b]; /* the smaller critic, as min(Q1, Q2) */
        loss += (sac ? alpha * a->logp[b] : 0.0) - q[k][b];
        a->q_grad[k][b] = (float)(-scale / B);
        if (sac) a->q_grad[1 - k][b] = 0.0f;
        for (i = 2; i < critics; ++i) a->q_grad[i][b] = 0.0f; /* the twin not taken has none */
        for (i = 0; i < saferl_rl__constraints(a); ++i) {
            const double weight = (double)a->lagrange[i] * a->cost_weight[i];
            const int taken = saferl_rl__cost_critic_at(a, q, i, (size_t)b);
            loss += weight * q[taken][b];
            a->q_grad[taken][b] = (float)(weight * scale / B);
        }
    }
    if (gradient) saferl_rl__actor_backward(a, head, noise);
    penalty = saferl_rl__presquash_penalty(a, head);
    return penalty > 0.0 ? (loss / B + penalty) * scale : loss * scale / B;
}

SAFERL_RL_API double saferl_rl_offpolicy_worst_candidate(saferl_rl_offpolicy_agent *a) {
    const int B = a->desc.batch_size, A = a->action_dim, W = a->omega_width;
    const float *head;
    double least = 0.0;
    int b, k;
    SAFERL_ASSERT(a != NULL && W > 0);
    head = saferl_rl_mlp_forward(&a->actor_net, a->actor, a->obs, a->actor_acts, B);
    for (b = 0; b < B * A; ++b) a->new_act[b] = tanhf(head[b]);
    for (k = 0; k < a->desc.candidate_count; ++k) {
        const float *q;
        double mean = 0.0;
        saferl_rl__critic_input(a, a->obs, a->new_act, a->candidates + (size_t)k * W, 0, B);
        q = saferl_rl_mlp_forward(&a->critic_net, a->critic[0], a->q_input, a->critic_acts[0], B);
        for (b = 0; b < B; ++b) mean += q[b];
        mean /= B;
        if (k == 0 || mean <= least) { /* the last of equals, as the paper's code */
            least = mean;
            a->worst = k;
        }
    }
    return least;
}

static void saferl_rl__polyak(float *target, const float *online, size_t count, float tau) {
    size_t i;
    for (i = 0; i < count; ++i) target[i] += tau * (online[i] - target[i]);
}

/* M2TD3's replay rows are [s, omega] (width O + W): s and omega go to their own batches; the
   constraints' costs to a row of B each, in units of their limits (RELATIVE, d_i > 0: the cost
   critics then learn the same numbers on any cost scale). 0 if discrete SAC drew an action
   that is not an index below action_count (the batch then indexes nothing). */
static int saferl_rl__offpolicy_sample(saferl_rl_offpolicy_agent *a, const saferl_rl_replay *replay) {
    const int B = a->desc.batch_size, O = a->observation_dim, A = a->action_dim, W = a->omega_width, row = O + W;
    const int C = saferl_rl__constraints(a);
    double unit[SAFERL_RL_MAX_COSTS];
    int b, i, indices = 1;
    for (i = 0; i < C; ++i)
        unit[i] = a->desc.multiplier_scale == SAFERL_RL_MULTIPLIER_RELATIVE && a->desc.cost_limits[i] > 0.0
                      ? a->desc.cost_limits[i] : 1.0;
    for (b = 0; b < B; ++b) {
        size_t k = saferl_rng_bounded(&a->rng, (uint32_t)replay->size);
        memcpy(a->obs + (size_t)b * O, replay->observations + k * row, sizeof(float) * (size_t)O);
        memcpy(a->next_obs + (size_t)b * O, replay->next_observations + k * row, sizeof(float) * (size_t)O);
        if (W) memcpy(a->omega + (size_t)b * W, replay->observations + k * row + O, sizeof(float) * (size_t)W);
        memcpy(a->act + (size_t)b * A, replay->actions + k * A, sizeof(float) * (size_t)A);
        a->rew[b] = replay->rewards[k];
        for (i = 0; i < C; ++i) a->cost[i * B + b] = (float)(replay->costs[k * (size_t)replay->cost_count + i] / unit[i]);
        a->done[b] = replay->dones[k];
        indices &= a->act[b] >= 0.0f && a->act[b] < (float)a->desc.action_count && a->act[b] == floorf(a->act[b]);
    }
    return indices || !saferl_rl__is_discrete_sac(a->desc.algorithm);
}

static void saferl_rl__fill_normal(float *x, size_t n, saferl_rng *rng) {
    size_t i;
    for (i = 0; i < n; ++i) x[i] = (float)saferl_rng_normal(rng);
}

/* SAC's temperature: loss -log alpha mean(logp + target entropy), one Adam step on log alpha. */
static void saferl_rl__temperature_step(saferl_rl_offpolicy_agent *a) {
    const int B = a->desc.batch_size;
    double mean = 0.0;
    float grad;
    int b;
    for (b = 0; b < B; ++b) mean += a->logp[b];
    grad = (float)-(mean / B + a->desc.target_entropy);
    a->temperature_steps += 1;
    saferl_rl_adam_update(&a->log_temperature, &grad, &a->temperature_m, &a->temperature_v, 1,
                          (float)a->desc.temperature_lr, 0.9f, 0.999f, 1e-8f, a->temperature_steps);
}

/* M2TD3: the worst candidate descends mean Q1 (Adam in box coordinates u, then projected onto
   [0, 1]); each candidate's probability moves toward "was the worst" by 1 / (the last
   episode's length), so it estimates how often it is the worst per step. */
static void saferl_rl__candidate_step(saferl_rl_offpolicy_agent *a) {
    const int W = a->omega_width, k = a->worst;
    float grad[SAFERL_RL_MAX_OMEGA];
    int i;
    for (i = 0; i < W; ++i) grad[i] = a->candidate_grad[i] * (float)(a->desc.omega_upper[i] - a->desc.omega_lower[i]);
    a->candidate_steps[k] += 1;
    saferl_rl_adam_update(a->candidate_u + k * W, grad, a->candidate_m + k * W, a->candidate_v + k * W, (size_t)W,
                          (float)a->desc.candidate_lr, 0.9f, 0.999f, 1e-8f, a->candidate_steps[k]);
    for (i = 0; i < W; ++i) {
        double lo = a->desc.omega_lower[i], hi = a->desc.omega_upper[i];
        a->candidate_u[k * W + i] = saferl_rl__clampf(a->candidate_u[k * W + i], 0.0f, 1.0f);
        a->candidates[k * W + i] = (float)saferl_rl__clamp(lo + a->candidate_u[k * W + i] * (hi - lo), lo, hi);
    }
    if (a->last_episode_length > 0) {
        double c = 1.0 / (double)a->last_episode_length;
        for (i = 0; i < a->desc.candidate_count; ++i) a->candidate_prob[i] = (1.0 - c) * a->candidate_prob[i] + c * (i == k);
    }
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_update(saferl_rl_offpolicy_agent *a, const saferl_rl_replay *replay) {
    const int B = a->desc.batch_size, A = a->action_dim, sac = saferl_rl__is_sac(a), critics = saferl_rl__critics(a);
    const float tau = (float)a->desc.polyak_tau;
    const saferl_rng before = a->rng;
    int i;
    SAFERL_ASSERT(a != NULL && replay != NULL);
    if (replay->size < 1) return SAFERL_ERR_NO_DATA;
    if (replay->observation_dim != a->observation_dim + a->omega_width || replay->action_dim != A ||
        replay->cost_count < saferl_rl__constraints(a))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_rl__offpolicy_sample(a, replay)) {
        a->rng = before; /* the batch buffers are scratch: nothing else moved */
        return SAFERL_ERR_INVALID_ARGUMENT;
    }
    saferl_rl__fill_normal(a->noise, (size_t)B * A, &a->rng);
    saferl_rl__fill_normal(a->omega_noise, (size_t)B * a->omega_width, &a->rng);
    saferl_rl_offpolicy_critic_targets(a, a->noise, a->target, a->cost_target);
    for (i = 0; i < critics; ++i) memset(a->critic_grad[i], 0, sizeof(float) * a->critic_count);
    saferl_rl_offpolicy_critic_loss(a, a->target, a->cost_target, 1);
    /* a gradient that overflowed (rewards or loaded weights near the float range) never
       reaches the weights: every network keeps its last finite values */
    for (i = 0; i < critics; ++i)
        if (!saferl_rl__all_finite(a->critic_grad[i], (int)a->critic_count)) return SAFERL_ERR_NOT_FINITE;
    a->critic_steps += 1;
    for (i = 0; i < critics; ++i)
        saferl_rl_adam_update(a->critic[i], a->critic_grad[i], a->critic_m[i], a->critic_v[i], a->critic_count,
                              (float)a->desc.critic_lr, 0.9f, 0.999f, 1e-8f, a->critic_steps);
    if (!sac && a->critic_steps % a->desc.policy_delay != 0) return SAFERL_OK;
    if (sac) saferl_rl__fill_normal(a->noise, (size_t)B * A, &a->rng);
    if (a->omega_width) saferl_rl_offpolicy_worst_candidate(a);
    memset(a->actor_grad, 0, sizeof(float) * a->actor_count);
    saferl_rl_offpolicy_actor_loss(a, a->noise, 1);
    if (!saferl_rl__all_finite(a->actor_grad, (int)a->actor_count) ||
        !saferl_rl__all_finite(a->candidate_grad, a->omega_width))
        return SAFERL_ERR_NOT_FINITE; /* the critics hold this step; the actor does not */
    a->actor_steps += 1;
    saferl_rl_adam_update(a->actor, a->actor_grad, a->actor_m, a->actor_v, a->actor_count, (float)a->desc.actor_lr,
                          0.9f, 0.999f, 1e-8f, a->actor_steps);
    if (a->omega_width) saferl_rl__candidate_step(a);
    if (sac) saferl_rl__temperature_step(a);
    else saferl_rl__polyak(a->actor_target, a->actor, a->actor_count, tau);
    for (i = 0; i < critics; ++i) saferl_rl__polyak(a->critic_target[i], a->critic[i], a->critic_count, tau);
    return SAFERL_OK;
}

/* offpolicy_act with the actor parameters `actor` (the agent's, or a snapshot of them of the
   same shape): rng NULL gives the deterministic action, otherwise explores drawing from rng.
   Writes the agent's acting scratch (actor_acts, noise, new_act), which no update reads. */
static saferl_result saferl_rl__offpolicy_act_with(saferl_rl_offpolicy_agent *a, const float *actor,
                                                   const float *observation, saferl_rng *rng, float *action) {
    const int A = a->action_dim;
    const float *head;
    int j;
    if (!saferl_rl__all_finite(observation, a->observation_dim)) return SAFERL_ERR_NOT_FINITE;
    head = saferl_rl_mlp_forward(&a->actor_net, actor, observation, a->actor_acts, 1);
    if (saferl_rl__is_discrete_sac(a->desc.algorithm)) { /* a draw from pi(.|s), or its mode */
        const int K = a->desc.action_count;
        double u = rng ? saferl_rng_uniform(rng) : 0.0;
        int k = 0;
        saferl_rl__discrete_policy(a, head, 1);
        if (!saferl_rl__all_finite(a->new_act, K)) return SAFERL_ERR_NOT_FINITE;
        if (rng)
            for (k = 0; k < K - 1 && u >= a->new_act[k]; ++k) u -= a->new_act[k];
        else
            for (j = 1; j < K; ++j) k = a->new_act[j] > a->new_act[k] ? j : k;
        action[0] = (float)k;
        return SAFERL_OK;
    }
    if (saferl_rl__is_sac(a) && rng) {
        saferl_rl__fill_normal(a->noise, (size_t)A, rng);
        saferl_rl__squash(a, head, a->noise, 1);
        memcpy(action, a->new_act, sizeof(float) * (size_t)A);
    } else {
        for (j = 0; j < A; ++j) {
            float noise = rng ? (float)(a->desc.exploration_noise * saferl_rng_normal(rng)) : 0.0f;
            action[j] = saferl_rl__clampf(saferl_rl__td3_action(a, head[j]) + noise, -1.0f, 1.0f);
        }
    }
    return saferl_rl__all_finite(action, A) ? SAFERL_OK : SAFERL_ERR_NOT_FINITE;
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_act(saferl_rl_offpolicy_agent *a, const float *observation,
                                                    int explore, float *action) {
    SAFERL_ASSERT(a != NULL && observation != NULL && action != NULL);
    return saferl_rl__offpolicy_act_with(a, a->actor, observation, explore ? &a->rng : NULL, action);
}

/* ---- the iterate mixture ------------------------------------------------------------------- */

#define SAFERL_RL__SNAPSHOT_COUNT 5
#define SAFERL_RL__SNAPSHOT_SPACING 2000
#define SAFERL_RL__EVALUATION_EPISODES 400

SAFERL_RL_API size_t saferl_rl_iterate_mixture_parameter_count(const saferl_rl_offpolicy_agent *agent,
                                                               int snapshot_count) {
    if (!agent) return 0;
    if (snapshot_count == 0) snapshot_count = SAFERL_RL__SNAPSHOT_COUNT;
    if (snapshot_count < 1 || snapshot_count > SAFERL_RL_MAX_SNAPSHOTS) return 0;
    return (size_t)snapshot_count * agent->actor_count;
}

SAFERL_RL_API saferl_result saferl_rl_iterate_mixture_init(saferl_rl_iterate_mixture *m,
                                                           const saferl_rl_offpolicy_agent *agent) {
    const saferl_rl_offpolicy_algorithm algorithm = agent ? agent->desc.algorithm : SAFERL_RL_TD3;
    SAFERL_ASSERT(m != NULL);
    if (!agent || (algorithm != SAFERL_RL_TD3_LAG && algorithm != SAFERL_RL_SAC_LAG &&
                   algorithm != SAFERL_RL_SAC_DISCRETE_LAG) ||
        agent->desc.cost_count != 1 || !(agent->desc.cost_limits[0] >= 0.0))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (m->snapshot_count == 0) m->snapshot_count = SAFERL_RL__SNAPSHOT_COUNT;
    if (m->snapshot_spacing == 0) m->snapshot_spacing = SAFERL_RL__SNAPSHOT_SPACING;
    if (m->evaluation_episodes == 0) m->evaluation_episodes = SAFERL_RL__EVALUATION_EPISODES;
    if (m->snapshot_count < 1 || m->snapshot_count > SAFERL_RL_MAX_SNAPSHOTS || m->snapshot_spacing < 1 ||
        m->evaluation_episodes < 1 || m->evaluation_max_steps < 0 || (m->sample_actions != 0 && m->sample_actions != 1))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (!m->parameters || m->parameter_count < (size_t)m->snapshot_count * agent->actor_count)
        return SAFERL_ERR_BUFFER_TOO_SMALL;
    m->stored = m->next = 0;
    m->next_snapshot_step = agent->env_steps + m->snapshot_spacing;
    m->evaluation_steps = m->evaluations = 0;
    memset(&m->mixture, 0, sizeof m->mixture);
    m->mixture.first_weight = 1.0;
    m->current = 0;
    saferl_rng_seed(&m->rng, m->seed ^ 0x2545f491u);
    saferl_rng_seed(&m->coin, m->seed ^ 0x9e3779b9u);
    return SAFERL_OK;
}

SAFERL_RL_API const float *saferl_rl_iterate_mixture_snapshot(const saferl_rl_iterate_mixture *m,
                                                              const saferl_rl_offpolicy_agent *agent, int which) {
    SAFERL_ASSERT(m != NULL && agent != NULL && which >= 0 && which < m->snapshot_count);
    return m->parameters + (size_t)which * agent->actor_count;
}

/* A snapshot acting as deployed (the episode runner's actor). */
typedef struct saferl_rl__snapshot_actor {
    saferl_rl_iterate_mixture *mixture;
    saferl_rl_offpolicy_agent *agent;
    const float *actor;
} saferl_rl__snapshot_actor;

/* SAC's snapshots sample when asked (from the mixture's stream); TD3's act deterministically. */
static saferl_rng *saferl_rl__snapshot_rng(saferl_rl_iterate_mixture *m, const saferl_rl_offpolicy_agent *agent) {
    return m->sample_actions && saferl_rl__is_sac(agent) ? &m->rng : NULL;
}

static saferl_result saferl_rl__snapshot_actor_act(void *actor, const float *observation, float *action) {
    saferl_rl__snapshot_actor *s = (saferl_rl__snapshot_actor *)actor;
    return saferl_rl__offpolicy_act_with(s->agent, s->actor, observation, saferl_rl__snapshot_rng(s->mixture, s->agent),
                                         action);
}

SAFERL_RL_API saferl_result saferl_rl_iterate_mixture_observe(saferl_rl_iterate_mixture *m,
                                                              saferl_rl_offpolicy_agent *agent,
                                                              const saferl_rl_env *eval_env, int *taken) {
    saferl_rl__snapshot_actor s;
    saferl_rl__episode_actor actor;
    float *slot;
    double value, cost;
    long steps = 0;
    saferl_result r;
    SAFERL_ASSERT(m != NULL && agent != NULL);
    if (taken) *taken = 0;
    if (!eval_env || eval_env->cost_count < 1) return SAFERL_ERR_INVALID_ARGUMENT;
    if (agent->env_steps < m->next_snapshot_step) return SAFERL_OK;
    slot = m->parameters + (size_t)m->next * agent->actor_count;
    memcpy(slot, agent->actor, sizeof(float) * agent->actor_count);
    s.mixture = m;
    s.agent = agent;
    s.actor = slot;
    actor.begin = NULL;
    actor.act = saferl_rl__snapshot_actor_act;
    actor.actor = &s;
    /* each evaluation its own environment stream: the estimates' errors are independent */
    r = saferl_rl__run_episodes(eval_env, &actor, m->evaluation_episodes, m->evaluation_max_steps,
                                saferl_rng_u32(&m->rng), &value, &cost, NULL, &steps);
    m->next_snapshot_step += m->snapshot_spacing * (1 + (agent->env_steps - m->next_snapshot_step) / m->snapshot_spacing);
    if (r != SAFERL_OK) return r;
    m->value[m->next] = value;
    m->cost[m->next] = cost;
    m->taken_at[m->next] = agent->env_steps;
    m->next = (m->next + 1) % m->snapshot_count;
    if (m->stored < m->snapshot_count) m->stored += 1;
    m->evaluation_steps += steps;
    m->evaluations += 1;
    if (taken) *taken = 1;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_iterate_mixture_solve(saferl_rl_iterate_mixture *m,
                                                            const saferl_rl_offpolicy_agent *agent) {
    saferl_result r;
    int i;
    SAFERL_ASSERT(m != NULL && agent != NULL);
    if (m->stored < 1) return SAFERL_ERR_NO_DATA;
    /* the slots held are 0..stored-1 (the ring fills from 0 before it wraps) */
    r = saferl_rl_mixture_solve(m->value, m->cost, m->stored, agent->desc.cost_limits[0], &m->mixture);
    if (r != SAFERL_ERR_INFEASIBLE) return r;
    m->mixture.first = 0; /* nothing estimated within d: the least costly snapshot */
    for (i = 1; i < m->stored; ++i)
        if (m->cost[i] < m->cost[m->mixture.first]) m->mixture.first = i;
    m->mixture.second = m->mixture.first;
    m->mixture.first_weight = 1.0;
    m->mixture.value = m->value[m->mixture.first];
    m->mixture.constraint = m->cost[m->mixture.first];
    return SAFERL_OK;
}

SAFERL_RL_API void saferl_rl_iterate_mixture_begin_episode(saferl_rl_iterate_mixture *m) {
    SAFERL_ASSERT(m != NULL);
    m->current = saferl_rl__toss(&m->coin, m->mixture.first_weight);
}

SAFERL_RL_API saferl_result saferl_rl_iterate_mixture_act(saferl_rl_iterate_mixture *m, saferl_rl_offpolicy_agent *agent,
                                                          const float *observation, float *action) {
    SAFERL_ASSERT(m != NULL && agent != NULL && observation != NULL && action != NULL);
    if (m->stored < 1) return SAFERL_ERR_NO_DATA;
    return saferl_rl__offpolicy_act_with(
        agent, saferl_rl_iterate_mixture_snapshot(m, agent, m->current ? m->mixture.second : m->mixture.first),
        observation, saferl_rl__snapshot_rng(m, agent), action);
}

/* Adam's first-moment decay on the off-policy multipliers: the step's own beta1 and the bias
   correction of the running mean the proportional term reads (about the last 10 episodes). */
#define SAFERL_RL__MULTIPLIER_BETA1 0.9

/* lambda_i = max(0, integral_i + lagrange_kp e_i + augmented_penalty g_i), e_i the running mean
   of the violation that Adam's first moment keeps (bias-corrected; the moment is of -e), g_i the
   cost critic's estimate of it (violation_estimate); lambda_i = integral_i without the terms, bit
   for bit (ALGORITHMS, "TD3-Lag and SAC-Lag"). */
static void saferl_rl__offpolicy_apply_multipliers(saferl_rl_offpolicy_agent *a) {
    const double kp = saferl_rl__setting(a->desc.lagrange_kp), c = saferl_rl__setting(a->desc.augmented_penalty);
    int i;
    for (i = 0; i < saferl_rl__constraints(a); ++i) {
        double lambda = a->lagrange_integral[i];
        if (kp > 0.0 && a->lagrange_steps > 0)
            lambda -= kp * (double)a->lagrange_m[i] / (1.0 - pow(SAFERL_RL__MULTIPLIER_BETA1, (double)a->lagrange_steps));
        if (c > 0.0) lambda += c * (double)a->violation_estimate[i];
        a->lagrange[i] = lambda > 0.0 ? (float)lambda : 0.0f;
    }
}

/* augmented_penalty's g_i (ALGORITHMS, "TD3-Lag and SAC-Lag"): the cost critic's estimate of the
   policy's J_Ci at s0, the first state of the episode that just ended (still in the replay unless
   the episode outgrew it: then g keeps its last value), E over a ~ pi(.|s0) of Q_Ci(s0, a) (the
   larger twin with twin_cost_critics) in the violation's units: Q_Ci - 1 under RELATIVE (the critic
   learns costs per limit), Q_Ci - d_i otherwise. Discrete SAC sums over the actions, SAC averages
   batch_size draws, TD3 takes pi's action. Uses the batch buffers between two updates. */
static void saferl_rl__estimate_violations(saferl_rl_offpolicy_agent *a, const saferl_rl_replay *replay) {
    const int O = a->observation_dim, A = a->action_dim, critics = saferl_rl__critics(a);
    const int discrete = saferl_rl__is_discrete_sac(a->desc.algorithm), sac = saferl_rl__is_sac(a);
    const int rows = sac && !discrete ? a->desc.batch_size : 1, K = discrete ? a->desc.action_count : 1;
    const float *q[SAFERL_RL_OFFPOLICY_CRITICS] = {NULL}, *head;
    const float *s0;
    int b, k, i;
    if (a->episode_length > replay->size) return;
    s0 = replay->observations +
         (size_t)((replay->next - a->episode_length + replay->capacity) % replay->capacity) * replay->observation_dim;
    for (b = 0; b < rows; ++b) memcpy(a->obs + (size_t)b * O, s0, sizeof(float) * (size_t)O);
    head = saferl_rl_mlp_forward(&a->actor_net, a->actor, a->obs, a->actor_acts, rows);
    if (discrete) {
        saferl_rl__discrete_policy(a, head, 1);
    } else if (sac) {
        saferl_rl__fill_normal(a->noise, (size_t)rows * A, &a->rng);
        saferl_rl__squash(a, head, a->noise, rows);
    } else {
        for (b = 0; b < A; ++b) a->new_act[b] = saferl_rl__td3_action(a, head[b]);
    }
    if (!discrete) saferl_rl__critic_input(a, a->obs, a->new_act, NULL, 0, rows);
    for (i = 2; i < critics; ++i)
        q[i] = saferl_rl_mlp_forward(&a->critic_net, a->critic[i], discrete ? a->obs : a->q_input, a->critic_acts[i], rows);
    for (i = 0; i < saferl_rl__constraints(a); ++i) {
        const double d = a->desc.cost_limits[i];
        double estimate = 0.0;
        for (b = 0; b < rows; ++b)
            for (k = 0; k < K; ++k) {
                const size_t at = (size_t)b * K + k;
                estimate += (discrete ? a->new_act[at] : 1.0f / (float)rows) * (double)q[saferl_rl__cost_critic_at(a, q, i, at)][at];
            }
        a->violation_estimate[i] =
            (float)(a->desc.multiplier_scale == SAFERL_RL_MULTIPLIER_RELATIVE && d > 0.0 ? estimate - 1.0 : estimate - d);
    }
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_multiplier_step(saferl_rl_offpolicy_agent *a,
                                                                const double *episode_costs) {
    const int C = saferl_rl__constraints(a);
    int i;
    SAFERL_ASSERT(a != NULL && episode_costs != NULL);
    if (C == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    for (i = 0; i < C; ++i)
        if (!saferl_rl__finite(episode_costs[i])) return SAFERL_ERR_NOT_FINITE;
    for (i = 0; i < C; ++i) {
        const double J = episode_costs[i], d = a->desc.cost_limits[i];
        const int relative = a->desc.multiplier_scale == SAFERL_RL_MULTIPLIER_RELATIVE && d > 0.0;
        float grad = (float)-(relative ? saferl_rl__violation_per_limit(J, d) : J - d); /* ascent on lambda_i times the violation */
        const int log_space = a->desc.lagrange_space == SAFERL_RL_LAGRANGE_LOG;
        saferl_rl_adam_update(log_space ? &a->lagrange_log[i] : &a->lagrange_integral[i], &grad, &a->lagrange_m[i],
                              &a->lagrange_v[i], 1, (float)a->desc.lagrange_lr, (float)SAFERL_RL__MULTIPLIER_BETA1, 0.999f,
                              1e-8f, a->lagrange_steps + 1);
        if (log_space) a->lagrange_integral[i] = saferl_rl__lagrange_from_log(a, &a->lagrange_log[i]);
        else a->lagrange_integral[i] = a->lagrange_integral[i] > 0.0f ? a->lagrange_integral[i] : 0.0f;
    }
    a->lagrange_steps += 1;
    saferl_rl__offpolicy_apply_multipliers(a);
    return SAFERL_OK;
}

/* M2TD3's restart rule, before an episode's omega is drawn: of two candidates within
   restart_distance (L1, box coordinates) the first is redrawn, then every candidate less likely
   than restart_probability; a redrawn candidate's probability is the mean of the others'. */
static void saferl_rl__candidate_restarts(saferl_rl_offpolicy_agent *a) {
    const int K = a->desc.candidate_count, W = a->omega_width;
    unsigned char close[SAFERL_RL_MAX_CANDIDATES];
    int i, j, k;
    for (i = 0; i < K; ++i) {
        close[i] = 0;
        for (j = i + 1; j < K && !close[i]; ++j) {
            double distance = 0.0;
            for (k = 0; k < W; ++k) distance += fabs((double)a->candidate_u[i * W + k] - a->candidate_u[j * W + k]);
            close[i] = distance <= a->desc.restart_distance;
        }
    }
    for (i = 0; i < K; ++i) {
        double others = 0.0;
        if (!close[i] && a->candidate_prob[i] >= a->desc.restart_probability) continue;
        saferl_rl__candidate_draw(a, i);
        for (j = 0; j < K; ++j) others += j == i ? 0.0 : a->candidate_prob[j];
        a->candidate_prob[i] = others / (K - 1);
        a->restarts += 1;
    }
}

/* The next episode's omega: DR-TD3 and M2TD3's random steps uniform on Omega; M2TD3 then a
   candidate by candidate_prob plus noise of std omega_std (annealed from start to end over
   omega_schedule_steps, times the half-width), clipped to Omega. */
static void saferl_rl__episode_omega(saferl_rl_offpolicy_agent *a) {
    const int W = a->desc.omega_dim, K = a->desc.candidate_count;
    const double progress = a->env_steps < a->desc.omega_schedule_steps ? (double)a->env_steps / a->desc.omega_schedule_steps : 1.0;
    double total = 0.0, x;
    int i, k;
    if (a->desc.algorithm == SAFERL_RL_DR_TD3 || a->env_steps < a->desc.random_steps) {
        for (i = 0; i < W; ++i)
            a->env_omega[i] = a->desc.omega_lower[i] + saferl_rng_uniform(&a->rng) * (a->desc.omega_upper[i] - a->desc.omega_lower[i]);
        return;
    }
    saferl_rl__candidate_restarts(a);
    for (k = 0; k < K; ++k) total += a->candidate_prob[k];
    for (k = 0; k < K; ++k) a->candidate_prob[k] /= total;
    x = saferl_rng_uniform(&a->rng);
    for (k = 0; k < K - 1 && x >= a->candidate_prob[k]; ++k) x -= a->candidate_prob[k];
    for (i = 0; i < W; ++i) {
        double lo = a->desc.omega_lower[i], hi = a->desc.omega_upper[i];
        double std = 0.5 * (hi - lo) * (a->desc.omega_std_start + progress * (a->desc.omega_std_end - a->desc.omega_std_start));
        a->env_omega[i] = saferl_rl__clamp(a->candidates[k * W + i] + std * saferl_rng_normal(&a->rng), lo, hi);
    }
}

SAFERL_RL_API saferl_result saferl_rl_builtin_omega_hook(void *builtin_state, const double *omega) {
    return saferl_rl_builtin_set_omega((saferl_rl_builtin *)builtin_state, omega);
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_train_robust(saferl_rl_offpolicy_agent *a, const saferl_rl_env *env,
                                                             saferl_rl_omega_setter set_omega, saferl_rl_replay *replay,
                                                             long steps) {
    const int O = a->observation_dim, A = a->action_dim, W = a->omega_width;
    const int robust = a->desc.algorithm == SAFERL_RL_M2TD3 || a->desc.algorithm == SAFERL_RL_DR_TD3;
    const int C = env->cost_count ? env->cost_count : 1, constraints = saferl_rl__constraints(a);
    const int action_count = saferl_rl__is_discrete_sac(a->desc.algorithm) ? a->desc.action_count : 0;
    long t;
    int j, g;
    SAFERL_ASSERT(a != NULL && env != NULL && replay != NULL);
    if (env->action_count != action_count || env->observation_dim != O || env->action_dim != A || C > SAFERL_RL_MAX_COSTS ||
        replay->cost_count != C || (constraints && constraints != C) || replay->observation_dim != O + W ||
        replay->action_dim != A || steps < 0 || robust != (set_omega != NULL))
        return SAFERL_ERR_INVALID_ARGUMENT;
    for (t = 0; t < steps; ++t) {
        float reward, cost[SAFERL_RL_MAX_COSTS];
        int terminated = 0, truncated = 0;
        saferl_result r;
        if (!a->episode_started) {
            if (robust) {
                saferl_rl__episode_omega(a);
                if ((r = set_omega(env->state, a->env_omega)) != SAFERL_OK) return r;
            }
            if ((r = env->reset(env->state, &a->rng, a->env_obs)) != SAFERL_OK) return r;
            a->episode_started = 1;
            a->episode_return = 0.0;
            memset(a->episode_cost, 0, sizeof a->episode_cost);
            a->episode_length = 0;
        }
        if (a->env_steps < a->desc.random_steps && action_count) {
            a->env_action[0] = (float)saferl_rng_bounded(&a->rng, (uint32_t)action_count);
        } else if (a->env_steps < a->desc.random_steps) {
            for (j = 0; j < A; ++j) a->env_action[j] = (float)(2.0 * saferl_rng_uniform(&a->rng) - 1.0);
        } else if ((r = saferl_rl_offpolicy_act(a, a->env_obs, 1, a->env_action)) != SAFERL_OK) {
            return r;
        }
        r = env->step(env->state, &a->rng, a->env_action, a->env_next_obs, &reward, cost, &terminated, &truncated);
        if (r != SAFERL_OK) return r;
        for (j = 0; j < W; ++j) a->env_obs[O + j] = a->env_next_obs[O + j] = (float)a->env_omega[j];
        if ((r = saferl_rl_replay_add(replay, a->env_obs, a->env_action, reward, cost, a->env_next_obs, terminated)) != SAFERL_OK)
            return r;
        a->episode_return += reward;
        for (j = 0; j < C; ++j) a->episode_cost[j] += cost[j];
        a->episode_length += 1;
        a->env_steps += 1;
        if (terminated || truncated) {
            a->episodes += 1;
            a->last_return = a->episode_return;
            memcpy(a->last_cost, a->episode_cost, sizeof a->last_cost);
            a->last_episode_length = a->episode_length;
            a->episode_started = 0;
            if (constraints && saferl_rl__setting(a->desc.augmented_penalty) > 0.0) saferl_rl__estimate_violations(a, replay);
            if (constraints && (r = saferl_rl_offpolicy_multiplier_step(a, a->episode_cost)) != SAFERL_OK)
                return r;
        } else {
            memcpy(a->env_obs, a->env_next_obs, sizeof(float) * (size_t)(O + W));
        }
        if (a->env_steps >= a->desc.random_steps)
            for (g = 0; g < a->desc.gradient_steps; ++g) /* each a full update: TD3's delay counts critic steps */
                if ((r = saferl_rl_offpolicy_update(a, replay)) != SAFERL_OK) return r;
    }
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_train(saferl_rl_offpolicy_agent *a, const saferl_rl_env *env,
                                                      saferl_rl_replay *replay, long steps) {
    return saferl_rl_offpolicy_train_robust(a, env, NULL, replay, steps);
}

/* ---- off-policy checkpoints (SRLK; sections in CHECKPOINT FORMAT) ---------------------------- */

/* What an off-policy checkpoint holds: the agent, its replay (training state too: the batches
   are drawn from it) and the environment it trains on (a built-in's state; NULL or a user's:
   none). */
typedef struct saferl_rl__offpolicy_run {
    saferl_rl_offpolicy_agent *agent;
    saferl_rl_replay *replay;
    const saferl_rl_env *env;
} saferl_rl__offpolicy_run;

#define SAFERL_RL__SAME_LONG(io, field)                                                                            \
    do {                                                                                                            \
        saferl_rl__checkpoint_same(io, (uint32_t)(uint64_t)d->field, #field SAFERL_RL__DIFFERS);                    \
        saferl_rl__checkpoint_same(io, (uint32_t)((uint64_t)d->field >> 32), #field SAFERL_RL__DIFFERS);            \
    } while (0)

/* "OFFP": every desc field with its defaults filled in, in the desc's order (hidden_sizes all
   7, cost_limits all 8, omega_lower and omega_upper all 8; the seed recorded, not compared),
   then observation_dim and action_dim. */
static void saferl_rl__offpolicy_checkpoint_desc(saferl_rl__checkpoint_io *io, saferl_rl_offpolicy_agent *a) {
    const saferl_rl_offpolicy_desc *d = &a->desc;
    uint32_t seed;
    int i;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('O', 'F', 'F', 'P'),
                                "checkpoint: the OFFP section is missing (an on-policy agent's checkpoint starts with DESC)");
    SAFERL_RL__SAME_INT(io, algorithm);
    for (i = 0; i < SAFERL_RL_MAX_LAYERS - 1; ++i)
        saferl_rl__checkpoint_same(io, (uint32_t)d->hidden_sizes[i], "hidden_sizes" SAFERL_RL__DIFFERS);
    SAFERL_RL__SAME_INT(io, tanh_hidden);
    SAFERL_RL__SAME_INT(io, hidden_count);
    SAFERL_RL__SAME_INT(io, batch_size);
    SAFERL_RL__SAME_INT(io, random_steps);
    SAFERL_RL__SAME_INT(io, gradient_steps);
    SAFERL_RL__SAME_REAL(io, gamma);
    SAFERL_RL__SAME_REAL(io, polyak_tau);
    SAFERL_RL__SAME_REAL(io, actor_lr);
    SAFERL_RL__SAME_REAL(io, critic_lr);
    SAFERL_RL__SAME_REAL(io, exploration_noise);
    SAFERL_RL__SAME_REAL(io, target_noise);
    SAFERL_RL__SAME_REAL(io, target_noise_clip);
    SAFERL_RL__SAME_INT(io, policy_delay);
    SAFERL_RL__SAME_REAL(io, initial_temperature);
    SAFERL_RL__SAME_REAL(io, temperature_lr);
    SAFERL_RL__SAME_REAL(io, target_entropy);
    SAFERL_RL__SAME_REAL(io, presquash_penalty);
    SAFERL_RL__SAME_INT(io, inverting_gradients);
    SAFERL_RL__SAME_INT(io, action_count);
    SAFERL_RL__SAME_INT(io, cost_count);
    for (i = 0; i < SAFERL_RL_MAX_COSTS; ++i)
        saferl_rl__checkpoint_same_real(io, d->cost_limits[i], "cost_limits" SAFERL_RL__DIFFERS);
    SAFERL_RL__SAME_REAL(io, cost_gamma);
    SAFERL_RL__SAME_REAL(io, lagrange_init);
    SAFERL_RL__SAME_REAL(io, lagrange_lr);
    SAFERL_RL__SAME_REAL(io, lagrange_kp);
    SAFERL_RL__SAME_INT(io, multiplier_scale);
    SAFERL_RL__SAME_INT(io, twin_cost_critics);
    SAFERL_RL__SAME_REAL(io, augmented_penalty);
    SAFERL_RL__SAME_INT(io, lagrange_space);
    SAFERL_RL__SAME_INT(io, omega_dim);
    for (i = 0; i < SAFERL_RL_MAX_OMEGA; ++i)
        saferl_rl__checkpoint_same_real(io, d->omega_lower[i], "omega_lower" SAFERL_RL__DIFFERS);
    for (i = 0; i < SAFERL_RL_MAX_OMEGA; ++i)
        saferl_rl__checkpoint_same_real(io, d->omega_upper[i], "omega_upper" SAFERL_RL__DIFFERS);
    SAFERL_RL__SAME_LONG(io, omega_schedule_steps);
    SAFERL_RL__SAME_INT(io, candidate_count);
    SAFERL_RL__SAME_REAL(io, candidate_lr);
    SAFERL_RL__SAME_REAL(io, omega_std_start);
    SAFERL_RL__SAME_REAL(io, omega_std_end);
    SAFERL_RL__SAME_REAL(io, omega_target_noise);
    SAFERL_RL__SAME_REAL(io, omega_target_clip);
    SAFERL_RL__SAME_REAL(io, restart_probability);
    SAFERL_RL__SAME_REAL(io, restart_distance);
    seed = saferl_rl__checkpoint_u32(io, d->seed, 0, 0xFFFFFFFFu, NULL);
    if (io->mode == SAFERL_RL__LOAD) a->desc.seed = seed;
    saferl_rl__checkpoint_same(io, (uint32_t)a->observation_dim, "observation_dim: the checkpoint's differs from this agent's");
    saferl_rl__checkpoint_same(io, (uint32_t)a->action_dim, "action_dim: the checkpoint's differs from this agent's");
    saferl_rl__checkpoint_end(io, "checkpoint: the OFFP section's length is wrong");
}

/* One network's parameters and Adam moments (TD3 and SAC clip no gradients, so the moments
   are only asked to be finite, the second >= 0). */
static void saferl_rl__offpolicy_checkpoint_net(saferl_rl__checkpoint_io *io, float *w, float *m, float *v, size_t n) {
    SAFERL_RL__FLOATS(io, w, n, -SAFERL_RL__ANY, "networks: a parameter is not finite");
    SAFERL_RL__FLOATS(io, m, n, -SAFERL_RL__ANY, "networks: an Adam first moment is not finite");
    SAFERL_RL__FLOATS(io, v, n, 0.0, "networks: an Adam second moment is negative");
}

/* lagrange_space LOG keeps both nu and the integral exp(nu) in OMUL: a checkpoint whose integrals
   (the n floats at integral_at) are not exp of its log multipliers (at log_at) is refused, so
   that an accepted one resumes the step that wrote it and saves back to the same bytes (the
   integral is kept as written). Within relative 1e-6 (8 float ulps): exp of another libm may
   round the float the step derives to a neighbour, a different price is a corrupt file. */
static void saferl_rl__checkpoint_log_agrees(saferl_rl__checkpoint_io *io, size_t integral_at, size_t log_at, size_t n) {
    size_t i;
    if (io->mode != SAFERL_RL__CHECK || io->result != SAFERL_OK) return;
    for (i = 0; i < n; ++i) {
        const double integral = (double)saferl_rl__get_f32(io->data + integral_at + 4 * i);
        const double derived = exp((double)saferl_rl__get_f32(io->data + log_at + 4 * i));
        if (!(fabs(integral - derived) <= 1e-6 * derived)) {
            saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT,
                                       "multipliers: an integral is not exp of its log multiplier (lagrange_space LOG)");
            return;
        }
    }
}

/* "ONET": the actor (parameters, Adam moments) and its target, then each critic the algorithm
   trains (the twin reward critics, a cost critic per constraint) with its target; the critic
   and actor step counts. "OMUL": each constraint's multiplier integral (>= 0; lambda is derived
   from it and Adam's first moment) and its Adam moments and step count, its violation estimate
   and log multiplier (within its bounds; under LOG the integral must be its exp); SAC's log
   temperature (below log FLT_MAX) with its moments and step count. */
static void saferl_rl__offpolicy_checkpoint_networks(saferl_rl__checkpoint_io *io, saferl_rl_offpolicy_agent *a) {
    const size_t C = (size_t)saferl_rl__constraints(a);
    const int log_space = a->desc.lagrange_space == SAFERL_RL_LAGRANGE_LOG;
    float log_low, log_high;
    size_t integral_at, log_at;
    int i;
    saferl_rl__lagrange_log_bounds(a, &log_low, &log_high);
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('O', 'N', 'E', 'T'), "checkpoint: the ONET section is missing");
    saferl_rl__offpolicy_checkpoint_net(io, a->actor, a->actor_m, a->actor_v, a->actor_count);
    SAFERL_RL__FLOATS(io, a->actor_target, a->actor_count, -SAFERL_RL__ANY, "networks: a target parameter is not finite");
    for (i = 0; i < saferl_rl__critics(a); ++i) {
        saferl_rl__offpolicy_checkpoint_net(io, a->critic[i], a->critic_m[i], a->critic_v[i], a->critic_count);
        SAFERL_RL__FLOATS(io, a->critic_target[i], a->critic_count, -SAFERL_RL__ANY,
                          "networks: a target parameter is not finite");
    }
    saferl_rl__checkpoint_count(io, &a->critic_steps, "networks: the critic step count is out of range");
    saferl_rl__checkpoint_count(io, &a->actor_steps, "networks: the actor step count is out of range");
    saferl_rl__checkpoint_end(io, "checkpoint: the ONET section's length is wrong");
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('O', 'M', 'U', 'L'), "checkpoint: the OMUL section is missing");
    integral_at = io->at;
    SAFERL_RL__FLOATS(io, a->lagrange_integral, C, 0.0, "multipliers: an integral is negative");
    SAFERL_RL__FLOATS(io, a->lagrange_m, C, -SAFERL_RL__ANY, "multipliers: an Adam moment is not finite");
    SAFERL_RL__FLOATS(io, a->lagrange_v, C, 0.0, "multipliers: an Adam second moment is negative");
    saferl_rl__checkpoint_count(io, &a->lagrange_steps, "multipliers: Adam's step count is out of range");
    SAFERL_RL__FLOATS(io, a->violation_estimate, C, -SAFERL_RL__ANY, "multipliers: a violation estimate is not finite");
    log_at = io->at;
    saferl_rl__checkpoint_reals(io, a->lagrange_log, NULL, C, log_low, log_high,
                                "multipliers: a log multiplier is outside its bounds (0 unless lagrange_space is LOG)");
    if (log_space) saferl_rl__checkpoint_log_agrees(io, integral_at, log_at, C);
    saferl_rl__checkpoint_reals(io, &a->log_temperature, NULL, 1, -SAFERL_RL__ANY, 88.0,
                                "temperature: log alpha is not finite or its exp overflows");
    SAFERL_RL__FLOATS(io, &a->temperature_m, 1, -SAFERL_RL__ANY, "temperature: an Adam moment is not finite");
    SAFERL_RL__FLOATS(io, &a->temperature_v, 1, 0.0, "temperature: an Adam second moment is negative");
    saferl_rl__checkpoint_count(io, &a->temperature_steps, "temperature: Adam's step count is out of range");
    if (io->mode == SAFERL_RL__LOAD) saferl_rl__offpolicy_apply_multipliers(a); /* lambda is derived */
    saferl_rl__checkpoint_end(io, "checkpoint: the OMUL section's length is wrong");
}

/* "OCAN" (M2TD3; empty for the others): per candidate its omega (in Omega), box coordinates
   (in [0, 1]) and their Adam moments, its step count and probability (in [0, 1], a positive
   sum); the candidate of the last actor update, the restart count. */
static void saferl_rl__offpolicy_checkpoint_candidates(saferl_rl__checkpoint_io *io, saferl_rl_offpolicy_agent *a) {
    const int W = a->omega_width, K = W ? a->desc.candidate_count : 0;
    double total = 0.0;
    int k, i;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('O', 'C', 'A', 'N'), "checkpoint: the OCAN section is missing");
    for (k = 0; k < K; ++k)
        for (i = 0; i < W; ++i)
            saferl_rl__checkpoint_reals(io, a->candidates + k * W + i, NULL, 1, a->desc.omega_lower[i], a->desc.omega_upper[i],
                                        "candidates: a candidate outside Omega");
    saferl_rl__checkpoint_reals(io, a->candidate_u, NULL, (size_t)K * W, 0.0, 1.0, "candidates: box coordinates outside [0, 1]");
    SAFERL_RL__FLOATS(io, a->candidate_m, (size_t)K * W, -SAFERL_RL__ANY, "candidates: an Adam moment is not finite");
    SAFERL_RL__FLOATS(io, a->candidate_v, (size_t)K * W, 0.0, "candidates: an Adam second moment is negative");
    for (k = 0; k < K; ++k) saferl_rl__checkpoint_count(io, a->candidate_steps + k, "candidates: a step count is out of range");
    saferl_rl__checkpoint_reals(io, NULL, a->candidate_prob, (size_t)K, 0.0, 1.0, "candidates: a probability outside [0, 1]");
    for (k = 0; k < K && io->mode == SAFERL_RL__CHECK && io->result == SAFERL_OK; ++k) /* the bytes just checked */
        total += saferl_rl__get_f64(io->data + io->at - 8 * (size_t)(K - k));
    if (K && io->mode == SAFERL_RL__CHECK && io->result == SAFERL_OK && !(total > 0.0)) /* episode_omega divides by it */
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, "candidates: the probabilities sum to zero");
    saferl_rl__checkpoint_int(io, &a->worst, 0, K ? K - 1 : 0, "candidates: the last worst candidate is out of range");
    saferl_rl__checkpoint_count(io, &a->restarts, "candidates: the restart count is out of range");
    saferl_rl__checkpoint_end(io, "checkpoint: the OCAN section's length is wrong");
}

/* "OPRG": the environment loop's counters, the episode in progress (episode_started; the
   current observation, with omega for M2TD3; its return and costs so far; its omega, in Omega
   for M2TD3 and DR-TD3), the last finished episode's return and costs, the generator. */
static void saferl_rl__offpolicy_checkpoint_progress(saferl_rl__checkpoint_io *io, saferl_rl_offpolicy_agent *a) {
    const int robust = a->desc.algorithm == SAFERL_RL_M2TD3 || a->desc.algorithm == SAFERL_RL_DR_TD3;
    int i;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('O', 'P', 'R', 'G'), "checkpoint: the OPRG section is missing");
    saferl_rl__checkpoint_count(io, &a->env_steps, "progress: the step count is out of range");
    saferl_rl__checkpoint_count(io, &a->episodes, "progress: the episode count is out of range");
    saferl_rl__checkpoint_count(io, &a->episode_length, "progress: the episode length is out of range");
    saferl_rl__checkpoint_count(io, &a->last_episode_length, "progress: the last episode length is out of range");
    saferl_rl__checkpoint_int(io, &a->episode_started, 0, 1, "progress: episode_started is 0 or 1");
    SAFERL_RL__FLOATS(io, a->env_obs, (size_t)(a->observation_dim + a->omega_width), -SAFERL_RL__ANY,
                      "progress: the observation is not finite");
    SAFERL_RL__DOUBLES(io, &a->episode_return, 1, -SAFERL_RL__ANY, "progress: the episode's return is not finite");
    SAFERL_RL__DOUBLES(io, a->episode_cost, SAFERL_RL_MAX_COSTS, -SAFERL_RL__ANY, "progress: the episode's cost is not finite");
    for (i = 0; i < SAFERL_RL_MAX_OMEGA; ++i)
        saferl_rl__checkpoint_reals(io, NULL, a->env_omega + i, 1, robust && i < a->desc.omega_dim ? a->desc.omega_lower[i] : -SAFERL_RL__ANY,
                                    robust && i < a->desc.omega_dim ? a->desc.omega_upper[i] : SAFERL_RL__ANY,
                                    "progress: the episode's omega is outside Omega");
    SAFERL_RL__DOUBLES(io, &a->last_return, 1, -SAFERL_RL__ANY, "progress: the last return is not finite");
    SAFERL_RL__DOUBLES(io, a->last_cost, SAFERL_RL_MAX_COSTS, -SAFERL_RL__ANY, "progress: the last cost is not finite");
    saferl_rl__checkpoint_rng(io, &a->rng);
    saferl_rl__checkpoint_end(io, "checkpoint: the OPRG section's length is wrong");
}

/* "RPLY": the replay's shape (the loading replay's must be the same), size and next slot (a
   ring not yet full ends at its size), then its size transitions in slot order: observations,
   next observations, actions, rewards, costs, dones (0 or 1). */
static void saferl_rl__offpolicy_checkpoint_replay(saferl_rl__checkpoint_io *io, saferl_rl_replay *r) {
    const size_t O = (size_t)r->observation_dim, A = (size_t)r->action_dim, C = (size_t)r->cost_count;
    size_t n;
    int size, next, i;
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('R', 'P', 'L', 'Y'), "checkpoint: the RPLY section is missing");
    saferl_rl__checkpoint_same(io, (uint32_t)r->capacity, "replay: capacity differs from the checkpoint's");
    saferl_rl__checkpoint_same(io, (uint32_t)r->observation_dim, "replay: observation_dim differs from the checkpoint's");
    saferl_rl__checkpoint_same(io, (uint32_t)r->action_dim, "replay: action_dim differs from the checkpoint's");
    saferl_rl__checkpoint_same(io, (uint32_t)r->cost_count, "replay: cost_count differs from the checkpoint's");
    size = saferl_rl__checkpoint_int(io, &r->size, 0, r->capacity, "replay: more transitions than its capacity");
    next = saferl_rl__checkpoint_int(io, &r->next, 0, r->capacity - 1, "replay: the next slot is out of range");
    if (io->mode == SAFERL_RL__CHECK && size < r->capacity && next != size)
        saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, "replay: a ring not yet full must end at its size");
    n = io->result == SAFERL_OK ? (size_t)size : 0;
    SAFERL_RL__FLOATS(io, r->observations, n * O, -SAFERL_RL__ANY, "replay: an observation is not finite");
    SAFERL_RL__FLOATS(io, r->next_observations, n * O, -SAFERL_RL__ANY, "replay: a next observation is not finite");
    SAFERL_RL__FLOATS(io, r->actions, n * A, -SAFERL_RL__ANY, "replay: an action is not finite");
    SAFERL_RL__FLOATS(io, r->rewards, n, -SAFERL_RL__ANY, "replay: a reward is not finite");
    SAFERL_RL__FLOATS(io, r->costs, n * C, -SAFERL_RL__ANY, "replay: a cost is not finite");
    saferl_rl__checkpoint_reals(io, r->dones, NULL, n, 0.0, 1.0, "replay: a done flag is neither 0 nor 1");
    for (i = 0; i < (int)n && io->mode == SAFERL_RL__CHECK && io->result == SAFERL_OK; ++i) {
        float done = saferl_rl__get_f32(io->data + io->at - 4 * (n - (size_t)i));
        if (done != 0.0f && done != 1.0f) saferl_rl__checkpoint_fail(io, SAFERL_ERR_CORRUPT, "replay: a done flag is neither 0 nor 1");
    }
    saferl_rl__checkpoint_end(io, "checkpoint: the RPLY section's length is wrong");
}

/* The off-policy sections in their order; "OENV" last: 1 and a built-in's state (as in ENVS)
   when the environment is a built-in, 0 for a user's environment or none. */
static void saferl_rl__offpolicy_sections(saferl_rl__checkpoint_io *io, void *subject) {
    saferl_rl__offpolicy_run *run = (saferl_rl__offpolicy_run *)subject;
    int builtin = run->env != NULL && run->env->reset == saferl_rl__builtin_reset;
    saferl_rl__offpolicy_checkpoint_desc(io, run->agent);
    saferl_rl__offpolicy_checkpoint_networks(io, run->agent);
    saferl_rl__offpolicy_checkpoint_candidates(io, run->agent);
    saferl_rl__offpolicy_checkpoint_progress(io, run->agent);
    saferl_rl__offpolicy_checkpoint_replay(io, run->replay);
    saferl_rl__checkpoint_begin(io, SAFERL_RL__TAG('O', 'E', 'N', 'V'), "checkpoint: the OENV section is missing");
    saferl_rl__checkpoint_same(io, (uint32_t)builtin,
                               "environments: a built-in environment in one of the run and the checkpoint, a user's or none in the other");
    if (builtin && io->result == SAFERL_OK) saferl_rl__checkpoint_builtin(io, (saferl_rl_builtin *)run->env->state);
    saferl_rl__checkpoint_end(io, "checkpoint: the OENV section's length is wrong");
}

static saferl_rl__offpolicy_run saferl_rl__offpolicy_run_of(const saferl_rl_offpolicy_agent *agent,
                                                            const saferl_rl_replay *replay, const saferl_rl_env *env) {
    saferl_rl__offpolicy_run run;
    SAFERL_ASSERT(agent != NULL && agent->actor != NULL && replay != NULL && replay->observations != NULL);
    run.agent = (saferl_rl_offpolicy_agent *)(uintptr_t)agent; /* written only by a load */
    run.replay = (saferl_rl_replay *)(uintptr_t)replay;
    run.env = env;
    return run;
}

SAFERL_RL_API size_t saferl_rl_offpolicy_checkpoint_size(const saferl_rl_offpolicy_agent *agent,
                                                         const saferl_rl_replay *replay, const saferl_rl_env *env) {
    saferl_rl__offpolicy_run run = saferl_rl__offpolicy_run_of(agent, replay, env);
    return saferl_rl__checkpoint_measure(saferl_rl__offpolicy_sections, &run);
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_checkpoint_save(const saferl_rl_offpolicy_agent *agent,
                                                                const saferl_rl_replay *replay, const saferl_rl_env *env,
                                                                void *buffer, size_t capacity, size_t *written) {
    saferl_rl__offpolicy_run run = saferl_rl__offpolicy_run_of(agent, replay, env);
    return saferl_rl__checkpoint_write(saferl_rl__offpolicy_sections, &run, buffer, capacity, written);
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_checkpoint_load(saferl_rl_offpolicy_agent *agent, saferl_rl_replay *replay,
                                                                const saferl_rl_env *env, const void *data, size_t size,
                                                                const char **message) {
    saferl_rl__offpolicy_run run = saferl_rl__offpolicy_run_of(agent, replay, env);
    return saferl_rl__checkpoint_read(saferl_rl__offpolicy_sections, &run, data, size, message);
}

SAFERL_RL_API void saferl_rl_offpolicy_restart_episode(saferl_rl_offpolicy_agent *agent) {
    SAFERL_ASSERT(agent != NULL);
    agent->episode_started = 0;
}

#ifndef SAFERL_NO_STDIO
SAFERL_RL_API saferl_result saferl_rl_offpolicy_checkpoint_save_file(const saferl_rl_offpolicy_agent *agent,
                                                                     const saferl_rl_replay *replay,
                                                                     const saferl_rl_env *env, const char *path) {
    saferl_rl__offpolicy_run run = saferl_rl__offpolicy_run_of(agent, replay, env);
    return saferl_rl__checkpoint_save_file(saferl_rl__offpolicy_sections, &run, &agent->allocator, path);
}

SAFERL_RL_API saferl_result saferl_rl_offpolicy_checkpoint_load_file(saferl_rl_offpolicy_agent *agent,
                                                                     saferl_rl_replay *replay, const saferl_rl_env *env,
                                                                     const char *path, const char **message) {
    saferl_rl__offpolicy_run run = saferl_rl__offpolicy_run_of(agent, replay, env);
    return saferl_rl__checkpoint_load_file(saferl_rl__offpolicy_sections, &run, &agent->allocator, path, message);
}
#endif

/* ---- preference optimisation ------------------------------------------------------------------ */

static int saferl_rl__pref_shape_ok(int prompt_count, int response_count) {
    return prompt_count >= 1 && response_count >= 1 && (size_t)prompt_count <= ((size_t)-1 >> 4) / (size_t)response_count;
}

/* log sum_y exp(z_y) of one row, shifted by its maximum so no term overflows */
static double saferl_rl__row_log_normaliser(const double *z, int K) {
    double m = z[0], s = 0.0;
    int y;
    for (y = 1; y < K; ++y) m = z[y] > m ? z[y] : m;
    for (y = 0; y < K; ++y) s += exp(z[y] - m);
    return m + log(s);
}

/* log sigmoid(z) = -softplus(-z), without overflow for either sign */
static double saferl_rl__log_sigmoid(double z) {
    return (z < 0.0 ? z : 0.0) - log1p(exp(-fabs(z)));
}
static double saferl_rl__sigmoid(double z) {
    return z >= 0.0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

/* sum_y softmax(z)_y value_y for the row z_y = base_y + c_r r_y + c_g g_y (r, g may be NULL):
   a policy's row (c_r = c_g = 0) or the closed-form optimum's, without a buffer */
static double saferl_rl__softmax_expectation(const double *base, const double *r, const double *g, double c_r,
                                             double c_g, const double *value, int K) {
    double m = -HUGE_VAL, s = 0.0, e = 0.0;
    int y;
    for (y = 0; y < K; ++y) {
        double z = base[y] + (r ? c_r * r[y] : 0.0) + (g ? c_g * g[y] : 0.0);
        m = z > m ? z : m;
    }
    for (y = 0; y < K; ++y) {
        double z = base[y] + (r ? c_r * r[y] : 0.0) + (g ? c_g * g[y] : 0.0), w = exp(z - m);
        s += w;
        e += w * value[y];
    }
    return e / s;
}

SAFERL_RL_API void saferl_rl_tabular_probabilities(double *probabilities, const double *logits, int prompt_count,
                                                   int response_count) {
    const int K = response_count;
    int x, y;
    SAFERL_ASSERT(probabilities != NULL && logits != NULL && saferl_rl__pref_shape_ok(prompt_count, K));
    for (x = 0; x < prompt_count; ++x) {
        const double *z = logits + (size_t)x * K;
        const double lse = saferl_rl__row_log_normaliser(z, K);
        for (y = 0; y < K; ++y) probabilities[(size_t)x * K + y] = exp(z[y] - lse);
    }
}

SAFERL_RL_API double saferl_rl_tabular_expectation(const double *logits, const double *value, int prompt_count,
                                                   int response_count) {
    double total = 0.0;
    int x;
    SAFERL_ASSERT(logits != NULL && value != NULL && saferl_rl__pref_shape_ok(prompt_count, response_count));
    for (x = 0; x < prompt_count; ++x) {
        const size_t row = (size_t)x * response_count;
        total += saferl_rl__softmax_expectation(logits + row, NULL, NULL, 0.0, 0.0, value + row, response_count);
    }
    return total / prompt_count;
}

SAFERL_RL_API double saferl_rl_tabular_total_variation(const double *logits_a, const double *logits_b,
                                                       int prompt_count, int response_count) {
    const int K = response_count;
    double total = 0.0;
    int x, y;
    SAFERL_ASSERT(logits_a != NULL && logits_b != NULL && saferl_rl__pref_shape_ok(prompt_count, K));
    for (x = 0; x < prompt_count; ++x) {
        const double *a = logits_a + (size_t)x * K, *b = logits_b + (size_t)x * K;
        const double la = saferl_rl__row_log_normaliser(a, K), lb = saferl_rl__row_log_normaliser(b, K);
        double row = 0.0;
        for (y = 0; y < K; ++y) row += fabs(exp(a[y] - la) - exp(b[y] - lb));
        total += 0.5 * row;
    }
    return total / prompt_count;
}

SAFERL_RL_API saferl_result saferl_rl_preferences_sample(saferl_rl_preference *preferences, long count,
                                                         const double *score, int prompt_count,
                                                         int response_count, saferl_rng *rng) {
    const int K = response_count;
    long i;
    size_t j;
    SAFERL_ASSERT(preferences != NULL && score != NULL && rng != NULL);
    if (count < 0 || K < 2 || !saferl_rl__pref_shape_ok(prompt_count, K)) return SAFERL_ERR_INVALID_ARGUMENT;
    for (j = 0; j < (size_t)prompt_count * K; ++j)
        if (!saferl_rl__finite(score[j])) return SAFERL_ERR_NOT_FINITE;
    for (i = 0; i < count; ++i) {
        const int x = (int)saferl_rng_bounded(rng, (uint32_t)prompt_count);
        const int y1 = (int)saferl_rng_bounded(rng, (uint32_t)K);
        int y2 = (int)saferl_rng_bounded(rng, (uint32_t)(K - 1));
        const double *s = score + (size_t)x * K;
        y2 += y2 >= y1; /* uniform over the other K - 1 responses */
        preferences[i].prompt = x;
        if (saferl_rng_uniform(rng) < saferl_rl__sigmoid(s[y1] - s[y2])) {
            preferences[i].chosen = y1;
            preferences[i].rejected = y2;
        } else {
            preferences[i].chosen = y2;
            preferences[i].rejected = y1;
        }
    }
    return SAFERL_OK;
}

static int saferl_rl__preferences_ok(const saferl_rl_preference *preferences, long count, int prompt_count,
                                     int response_count) {
    long i;
    for (i = 0; i < count; ++i) {
        const saferl_rl_preference *p = preferences + i;
        if (p->prompt < 0 || p->prompt >= prompt_count || p->chosen < 0 || p->chosen >= response_count ||
            p->rejected < 0 || p->rejected >= response_count || p->chosen == p->rejected)
            return 0;
    }
    return 1;
}

SAFERL_RL_API double saferl_rl_dpo_loss(const double *logits, const double *reference_logits, int prompt_count,
                                        int response_count, const saferl_rl_preference *preferences, long count,
                                        double beta, double *grad) {
    const int K = response_count;
    double loss = 0.0;
    long i;
    SAFERL_ASSERT(logits != NULL && reference_logits != NULL && preferences != NULL);
    if (count < 1 || !(beta > 0.0) || !saferl_rl__finite(beta) || !saferl_rl__pref_shape_ok(prompt_count, K) ||
        !saferl_rl__preferences_ok(preferences, count, prompt_count, K))
        return saferl_rl__nan();
    for (i = 0; i < count; ++i) {
        const size_t row = (size_t)preferences[i].prompt * K, w = row + preferences[i].chosen,
                     l = row + preferences[i].rejected;
        /* log pi(y_w) - log pi(y_l) is a logit difference: the row's normaliser cancels */
        const double z = beta * ((logits[w] - reference_logits[w]) - (logits[l] - reference_logits[l]));
        loss -= saferl_rl__log_sigmoid(z);
        if (grad) {
            const double dz = -saferl_rl__sigmoid(-z) / (double)count; /* d(-log sigmoid z)/dz / n */
            grad[w] += beta * dz;
            grad[l] -= beta * dz;
        }
    }
    return loss / (double)count;
}

SAFERL_RL_API size_t saferl_rl_dpo_scratch_count(int prompt_count, int response_count) {
    const size_t K = (size_t)response_count;
    if (!saferl_rl__pref_shape_ok(prompt_count, response_count)) return 0;
    return 2 * (size_t)prompt_count * K + 2 * K * K + 3 * K;
}

/* Marks every response reachable from response 0 through the comparison counts W (K x K,
   W[i K + j] = times i beat j): along wins (direction 1), losses (-1) or either (0). */
static int saferl_rl__comparisons_reach_all(const double *W, int K, int direction, double *mark) {
    int changed = 1, i, j, reached = 1;
    for (i = 0; i < K; ++i) mark[i] = i == 0;
    while (changed) { /* K passes at most; K is small */
        changed = 0;
        for (i = 0; i < K; ++i)
            for (j = 0; j < K; ++j) {
                const double e = direction > 0 ? W[i * K + j] : direction < 0 ? W[j * K + i] : W[i * K + j] + W[j * K + i];
                if (mark[i] != 0.0 && mark[j] == 0.0 && e > 0.0) mark[j] = 1.0, changed = 1, ++reached;
            }
    }
    return reached == K;
}

/* One prompt's DPO loss in d = logits - reference, f = -(1/n) sum W_ij log sigmoid(beta (d_i - d_j)),
   and (when grad is not NULL) its gradient and Hessian (K x K). */
static double saferl_rl__dpo_prompt(const double *W, const double *d, int K, double beta, double n, double *grad,
                                    double *hess) {
    double f = 0.0;
    int i, j;
    if (grad) memset(grad, 0, sizeof(double) * K), memset(hess, 0, sizeof(double) * K * K);
    for (i = 0; i < K; ++i)
        for (j = 0; j < K; ++j) {
            const double w = W[i * K + j], z = beta * (d[i] - d[j]);
            if (w == 0.0) continue;
            f -= w * saferl_rl__log_sigmoid(z) / n;
            if (grad) {
                const double s = saferl_rl__sigmoid(-z), h = w * beta * beta * s * (1.0 - s) / n;
                grad[i] -= w * beta * s / n;
                grad[j] += w * beta * s / n;
                hess[i * K + i] += h, hess[j * K + j] += h, hess[i * K + j] -= h, hess[j * K + i] -= h;
            }
        }
    return f;
}

/* Solves A x = b in place (b becomes x) for a symmetric positive definite n x n A with row
   stride `stride`, by Cholesky (A is overwritten). 0 if A is not positive definite. */
static int saferl_rl__cholesky_solve(double *A, int n, int stride, double *b) {
    int i, j, k;
    for (j = 0; j < n; ++j) {
        double s = A[j * stride + j];
        for (k = 0; k < j; ++k) s -= A[j * stride + k] * A[j * stride + k];
        if (!(s > 0.0)) return 0;
        A[j * stride + j] = sqrt(s);
        for (i = j + 1; i < n; ++i) {
            double t = A[i * stride + j];
            for (k = 0; k < j; ++k) t -= A[i * stride + k] * A[j * stride + k];
            A[i * stride + j] = t / A[j * stride + j];
        }
    }
    for (i = 0; i < n; ++i) { /* L y = b */
        for (k = 0; k < i; ++k) b[i] -= A[i * stride + k] * b[k];
        b[i] /= A[i * stride + i];
    }
    for (i = n - 1; i >= 0; --i) { /* L^T x = y */
        for (k = i + 1; k < n; ++k) b[i] -= A[k * stride + i] * b[k];
        b[i] /= A[i * stride + i];
    }
    return 1;
}

/* Newton's method on one prompt's d (d[0] held at 0, the loss's free shift). W holds the
   comparison counts; scratch is 2 K + K^2 (the K x K Hessian, the gradient, a trial point). */
static saferl_result saferl_rl__dpo_newton(const double *W, double *d, int K, double beta, double *scratch) {
    double *hess = scratch, *grad = hess + (size_t)K * K, *trial = grad + K, n = 0.0, f;
    int i, iteration;
    for (i = 0; i < K * K; ++i) n += W[i];
    memset(d, 0, sizeof(double) * K);
    if (K == 1) return SAFERL_OK;
    for (iteration = 0; iteration < 200; ++iteration) {
        double gmax = 0.0, slope = 0.0, t = 1.0, ft;
        f = saferl_rl__dpo_prompt(W, d, K, beta, n, grad, hess);
        for (i = 1; i < K; ++i) gmax = fabs(grad[i]) > gmax ? fabs(grad[i]) : gmax;
        if (gmax <= 1e-10 * beta) return SAFERL_OK;
        for (i = 1; i < K; ++i) trial[i] = -grad[i];
        /* the Hessian without row and column 0 is positive definite on connected data */
        if (!saferl_rl__cholesky_solve(hess + K + 1, K - 1, K, trial + 1)) return SAFERL_ERR_DID_NOT_CONVERGE;
        for (i = 1; i < K; ++i) slope += grad[i] * trial[i], grad[i] = trial[i]; /* grad now holds the step */
        /* Near the minimum the step's decrease, about -slope / 2, is below the rounding of f
           (K^2 terms): the loss cannot judge it, but the problem is convex and the Newton step
           is then exact to second order, so it is taken whole. Without this the line search
           stalls a few 1e-11 short of the gradient tolerance on large data sets. */
        if (-slope <= 1e-14 * (f + 1.0)) {
            for (i = 1; i < K; ++i) d[i] += grad[i];
            continue;
        }
        for (;;) { /* backtracking (Armijo) */
            trial[0] = 0.0;
            for (i = 1; i < K; ++i) trial[i] = d[i] + t * grad[i];
            ft = saferl_rl__dpo_prompt(W, trial, K, beta, n, NULL, NULL);
            if (ft <= f + 1e-4 * t * slope || t < 1e-12) break;
            t *= 0.5;
        }
        if (!(ft < f)) return SAFERL_OK; /* no further decrease at rounding level */
        memcpy(d, trial, sizeof(double) * K);
    }
    return SAFERL_ERR_DID_NOT_CONVERGE;
}

/* The fit into `out` (P x K), leaving `out` untouched on error; scratch as the public count
   less P K. */
static saferl_result saferl_rl__dpo_fit_into(double *out, const double *reference_logits, int P, int K,
                                             const saferl_rl_preference *preferences, long count, double beta,
                                             double *scratch) {
    double *fit = scratch, *W = fit + (size_t)P * K, *work = W + (size_t)K * K;
    long i;
    int x, y;
    for (x = 0; x < P; ++x) {
        double *d = fit + (size_t)x * K;
        saferl_result r;
        memset(W, 0, sizeof(double) * K * K);
        for (i = 0; i < count; ++i) /* P is small: one scan of the data per prompt */
            if (preferences[i].prompt == x) W[preferences[i].chosen * K + preferences[i].rejected] += 1.0;
        /* Zermelo's condition: the maximiser exists and is unique (up to the shift) iff
           every response beats and is beaten along a path to every other one */
        if (!saferl_rl__comparisons_reach_all(W, K, 0, work)) return SAFERL_ERR_NO_DATA;
        if (!saferl_rl__comparisons_reach_all(W, K, 1, work) || !saferl_rl__comparisons_reach_all(W, K, -1, work))
            return SAFERL_ERR_DID_NOT_CONVERGE;
        r = saferl_rl__dpo_newton(W, d, K, beta, work);
        if (r < 0) return r;
        for (y = 0; y < K; ++y) d[y] += reference_logits[(size_t)x * K + y];
    }
    memcpy(out, fit, sizeof(double) * P * K);
    return SAFERL_OK;
}

static saferl_result saferl_rl__dpo_check(const double *reference_logits, int P, int K,
                                          const saferl_rl_preference *preferences, long count, double beta,
                                          size_t scratch_count) {
    size_t j;
    if (!saferl_rl__pref_shape_ok(P, K) || count < 0 || !(beta > 0.0) || !saferl_rl__finite(beta))
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (scratch_count < saferl_rl_dpo_scratch_count(P, K)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (!saferl_rl__preferences_ok(preferences, count, P, K)) return SAFERL_ERR_INVALID_ARGUMENT;
    for (j = 0; j < (size_t)P * K; ++j)
        if (!saferl_rl__finite(reference_logits[j])) return SAFERL_ERR_NOT_FINITE;
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_dpo_fit(double *logits, const double *reference_logits, int prompt_count,
                                              int response_count, const saferl_rl_preference *preferences,
                                              long count, double beta, double *scratch, size_t scratch_count) {
    saferl_result r;
    SAFERL_ASSERT(logits != NULL && reference_logits != NULL && scratch != NULL && (preferences || count == 0));
    r = saferl_rl__dpo_check(reference_logits, prompt_count, response_count, preferences, count, beta,
                             scratch_count);
    if (r < 0) return r;
    return saferl_rl__dpo_fit_into(logits, reference_logits, prompt_count, response_count, preferences, count, beta,
                                   scratch);
}

SAFERL_RL_API saferl_result saferl_rl_sacpo(double *logits, double *reward_logits, const double *reference_logits,
                                            int prompt_count, int response_count,
                                            const saferl_rl_preference *reward_preferences, long reward_count,
                                            const saferl_rl_preference *safety_preferences, long safety_count,
                                            double beta, double lambda, double *scratch, size_t scratch_count) {
    const int P = prompt_count, K = response_count;
    double *step1 = scratch, *rest = scratch + (size_t)P * K;
    saferl_result r;
    SAFERL_ASSERT(logits != NULL && reward_logits != NULL && reference_logits != NULL && scratch != NULL);
    if (!(lambda >= 0.0) || !saferl_rl__finite(lambda)) return SAFERL_ERR_INVALID_ARGUMENT;
    r = saferl_rl__dpo_check(reference_logits, P, K, reward_preferences, reward_count, beta, scratch_count);
    if (r < 0) return r;
    if (lambda > 0.0) {
        r = saferl_rl__dpo_check(reference_logits, P, K, safety_preferences, safety_count, beta / lambda,
                                 scratch_count);
        if (r < 0) return r;
    }
    r = saferl_rl__dpo_fit_into(step1, reference_logits, P, K, reward_preferences, reward_count, beta, rest);
    if (r < 0) return r;
    if (lambda > 0.0) { /* realign the reward-aligned policy to safety: pi_r exp(lambda g / beta) */
        r = saferl_rl__dpo_fit_into(logits, step1, P, K, safety_preferences, safety_count, beta / lambda, rest);
        if (r < 0) return r;
    } else {
        memcpy(logits, step1, sizeof(double) * P * K);
    }
    memcpy(reward_logits, step1, sizeof(double) * P * K);
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_preference_optimum(double *logits, const double *reference_logits,
                                                         const double *reward, const double *safety,
                                                         int prompt_count, int response_count, double beta,
                                                         double lambda) {
    size_t j, n;
    SAFERL_ASSERT(logits != NULL && reference_logits != NULL && reward != NULL && (safety || lambda == 0.0));
    if (!saferl_rl__pref_shape_ok(prompt_count, response_count) || !(beta > 0.0) || !(lambda >= 0.0) ||
        !saferl_rl__finite(beta) || !saferl_rl__finite(lambda))
        return SAFERL_ERR_INVALID_ARGUMENT;
    n = (size_t)prompt_count * response_count;
    for (j = 0; j < n; ++j)
        if (!saferl_rl__finite(reference_logits[j]) || !saferl_rl__finite(reward[j]) ||
            (safety && !saferl_rl__finite(safety[j])))
            return SAFERL_ERR_NOT_FINITE;
    for (j = 0; j < n; ++j)
        logits[j] = reference_logits[j] + (reward[j] + (lambda > 0.0 ? lambda * safety[j] : 0.0)) / beta;
    return SAFERL_OK;
}

/* E[g] of the closed-form optimum at multiplier lambda */
static double saferl_rl__optimum_safety(const double *reference_logits, const double *reward, const double *safety,
                                        int P, int K, double beta, double lambda) {
    double total = 0.0;
    int x;
    for (x = 0; x < P; ++x) {
        const size_t row = (size_t)x * K;
        total += saferl_rl__softmax_expectation(reference_logits + row, reward + row, safety + row, 1.0 / beta,
                                                lambda / beta, safety + row, K);
    }
    return total / P;
}

SAFERL_RL_API saferl_result saferl_rl_preference_multiplier(const double *reference_logits, const double *reward,
                                                            const double *safety, int prompt_count,
                                                            int response_count, double beta, double threshold,
                                                            double *lambda) {
    const int P = prompt_count, K = response_count;
    double lo = 0.0, hi = 1.0, best = 0.0;
    size_t j;
    int x, y;
    SAFERL_ASSERT(reference_logits != NULL && reward != NULL && safety != NULL && lambda != NULL);
    if (!saferl_rl__pref_shape_ok(P, K) || !(beta > 0.0) || !saferl_rl__finite(beta)) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!saferl_rl__finite(threshold)) return SAFERL_ERR_NOT_FINITE;
    for (j = 0; j < (size_t)P * K; ++j)
        if (!saferl_rl__finite(reference_logits[j]) || !saferl_rl__finite(reward[j]) || !saferl_rl__finite(safety[j]))
            return SAFERL_ERR_NOT_FINITE;
    if (saferl_rl__optimum_safety(reference_logits, reward, safety, P, K, beta, 0.0) >= threshold) {
        *lambda = 0.0;
        return SAFERL_OK;
    }
    for (x = 0; x < P; ++x) { /* lambda -> infinity puts each row's mass on its safest responses */
        double m = safety[(size_t)x * K];
        for (y = 1; y < K; ++y) m = safety[(size_t)x * K + y] > m ? safety[(size_t)x * K + y] : m;
        best += m / P;
    }
    if (threshold >= best) return SAFERL_ERR_INFEASIBLE;
    /* E[g] grows with lambda (its derivative is the policy's variance of g over beta) */
    while (saferl_rl__optimum_safety(reference_logits, reward, safety, P, K, beta, hi) < threshold) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e300) return SAFERL_ERR_DID_NOT_CONVERGE;
    }
    while (hi - lo > 1e-12 * hi) {
        const double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (saferl_rl__optimum_safety(reference_logits, reward, safety, P, K, beta, mid) >= threshold) hi = mid;
        else lo = mid;
    }
    *lambda = hi; /* the end that meets the threshold */
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_weight_merge(double *merged, const double *a, const double *b, size_t count,
                                                   double q) {
    size_t j;
    SAFERL_ASSERT(merged != NULL && a != NULL && b != NULL);
    if (!(q >= 0.0 && q <= 1.0)) return SAFERL_ERR_INVALID_ARGUMENT;
    for (j = 0; j < count; ++j) merged[j] = (1.0 - q) * a[j] + q * b[j];
    return SAFERL_OK;
}

/* ---- the poisoning LP: a dense bounded-variable simplex ----------------------------------------- */

/* min c^T x  s.t.  T x = x_B (T = B^-1 [A I] as a d x n tableau), 0 <= x <= upper */
typedef struct saferl_rl__simplex {
    int m, n;            /* rows, columns (2N structural, then m artificial) */
    double *tableau;     /* m x n */
    double *basic_value; /* m: the values of the basic variables */
    double *upper;       /* n: the upper bounds (HUGE_VAL: none) */
    double *cost;        /* n */
    double *reduced;     /* n: reduced costs */
    int *basis;          /* m: the column basic in each row */
    int *state;          /* n: 0 at its lower bound, 1 at its upper, 2 basic */
} saferl_rl__simplex;

static void saferl_rl__simplex_price(saferl_rl__simplex *s) { /* reduced = c - c_B^T T */
    int i, j;
    memcpy(s->reduced, s->cost, sizeof(double) * s->n);
    for (i = 0; i < s->m; ++i) {
        const double cb = s->cost[s->basis[i]];
        const double *row = s->tableau + (size_t)i * s->n;
        if (cb != 0.0)
            for (j = 0; j < s->n; ++j) s->reduced[j] -= cb * row[j];
    }
}

/* the entering column (-1: optimal): Dantzig's largest improvement, or Bland's lowest index */
static int saferl_rl__simplex_enter(const saferl_rl__simplex *s, double tolerance, int bland) {
    int j, best = -1;
    double best_gain = tolerance;
    for (j = 0; j < s->n; ++j) {
        double gain;
        if (s->state[j] == 2 || s->upper[j] <= 0.0) continue;
        gain = s->state[j] == 0 ? -s->reduced[j] : s->reduced[j];
        if (gain > best_gain) {
            best = j;
            if (bland) break;
            best_gain = gain;
        }
    }
    return best;
}

/* Exchanges column j into the basis in row r: row r scaled to a unit pivot, eliminated from
   the other rows and the reduced costs. */
static void saferl_rl__simplex_pivot(saferl_rl__simplex *s, int r, int j) {
    const int n = s->n;
    double *pivot_row = s->tableau + (size_t)r * n;
    const double inv = 1.0 / pivot_row[j];
    int i, k;
    for (k = 0; k < n; ++k) pivot_row[k] *= inv;
    for (i = 0; i < s->m; ++i) {
        double *row = s->tableau + (size_t)i * n;
        const double f = row[j];
        if (i == r || f == 0.0) continue;
        for (k = 0; k < n; ++k) row[k] -= f * pivot_row[k];
    }
    {
        const double f = s->reduced[j];
        for (k = 0; k < n; ++k) s->reduced[k] -= f * pivot_row[k];
    }
}

/* Runs the simplex from a feasible basis to an optimum. 0 on success. */
static saferl_result saferl_rl__simplex_solve(saferl_rl__simplex *s, double cost_tolerance) {
    const long cap = 50L * (s->n + s->m);
    long iteration;
    int degenerate_run = 0;
    saferl_rl__simplex_price(s);
    for (iteration = 0; iteration < cap; ++iteration) {
        const int j = saferl_rl__simplex_enter(s, cost_tolerance, degenerate_run > 50);
        double step, direction;
        int i, leave = -1, leave_to_upper = 0;
        if (j < 0) return SAFERL_OK;
        direction = s->state[j] == 0 ? 1.0 : -1.0;
        step = s->upper[j]; /* the entering variable's own box, a bound flip */
        for (i = 0; i < s->m; ++i) { /* the ratio test on each basic variable's box */
            const double alpha = direction * s->tableau[(size_t)i * s->n + j], ub = s->upper[s->basis[i]];
            double limit;
            if (alpha > 1e-9) limit = s->basic_value[i] / alpha;
            else if (alpha < -1e-9 && ub < HUGE_VAL) limit = (ub - s->basic_value[i]) / -alpha;
            else continue;
            limit = limit > 0.0 ? limit : 0.0;
            if (limit < step || (limit == step && leave >= 0 && s->basis[i] < s->basis[leave])) {
                step = limit;
                leave = i;
                leave_to_upper = alpha < 0.0;
            }
        }
        if (step >= HUGE_VAL) return SAFERL_ERR_UNSUPPORTED; /* unbounded: not for this LP's boxes */
        degenerate_run = step > 0.0 ? 0 : degenerate_run + 1;
        for (i = 0; i < s->m; ++i) s->basic_value[i] -= step * direction * s->tableau[(size_t)i * s->n + j];
        if (leave < 0) { /* the entering variable reached its other bound first */
            s->state[j] = 1 - s->state[j];
            continue;
        }
        s->state[s->basis[leave]] = leave_to_upper;
        s->basic_value[leave] = direction > 0.0 ? step : s->upper[j] - step;
        s->basis[leave] = j;
        s->state[j] = 2;
        saferl_rl__simplex_pivot(s, leave, j);
    }
    return SAFERL_ERR_DID_NOT_CONVERGE;
}

SAFERL_RL_API size_t saferl_rl_poison_lp_memory_size(int sample_count, int feature_dim) {
    size_t m, n;
    if (sample_count < 1 || feature_dim < 1 || sample_count > (1 << 24) || feature_dim > (1 << 12)) return 0;
    m = (size_t)feature_dim;
    n = 2 * (size_t)sample_count + m;
    if (m > ((size_t)-1 / sizeof(double) - 4 * n - m) / n) return 0; /* wasm32: no wrap-around */
    return sizeof(double) * (m * n + m + 3 * n) + sizeof(int) * (m + n);
}

static saferl_result saferl_rl__poison_check(const double *features, const double *original, const double *attack,
                                             const double *flip_costs, int N, int d) {
    size_t k;
    for (k = 0; k < (size_t)N * d; ++k)
        if (!saferl_rl__finite(features[k])) return SAFERL_ERR_NOT_FINITE;
    for (k = 0; k < (size_t)N; ++k) {
        if (!saferl_rl__finite(original[k]) || !saferl_rl__finite(attack[k]) ||
            (flip_costs && !saferl_rl__finite(flip_costs[k])))
            return SAFERL_ERR_NOT_FINITE;
        if (!(original[k] >= 0.0 && original[k] <= 1.0 && attack[k] >= 0.0 && attack[k] <= 1.0) ||
            (flip_costs && !(flip_costs[k] > 0.0)))
            return SAFERL_ERR_INVALID_ARGUMENT;
    }
    return SAFERL_OK;
}

/* The phase-one tableau: rows Phi^T zeta+ - Phi^T zeta- + a = b, each signed so b >= 0, the
   artificials a basic. Returns max |Phi|. */
static double saferl_rl__poison_setup(saferl_rl__simplex *s, const double *features, const double *original,
                                      const double *attack, int N, int d) {
    double largest = 0.0;
    int i, k;
    memset(s->tableau, 0, sizeof(double) * (size_t)s->m * s->n);
    for (i = 0; i < d; ++i) {
        double b = 0.0, sign;
        for (k = 0; k < N; ++k) b += features[(size_t)k * d + i] * (attack[k] - original[k]);
        sign = b < 0.0 ? -1.0 : 1.0;
        for (k = 0; k < N; ++k) {
            const double phi = features[(size_t)k * d + i];
            s->tableau[(size_t)i * s->n + k] = sign * phi;
            s->tableau[(size_t)i * s->n + N + k] = -sign * phi;
            largest = fabs(phi) > largest ? fabs(phi) : largest;
        }
        s->tableau[(size_t)i * s->n + 2 * N + i] = 1.0;
        s->basic_value[i] = sign * b;
        s->basis[i] = 2 * N + i;
    }
    for (k = 0; k < N; ++k) {
        s->upper[k] = 1.0 - original[k]; /* zeta+ raises the label up to 1 */
        s->upper[N + k] = original[k];   /* zeta- lowers it down to 0 */
        s->state[k] = s->state[N + k] = 0;
    }
    for (i = 0; i < d; ++i) s->upper[2 * N + i] = HUGE_VAL, s->state[2 * N + i] = 2;
    return largest;
}

SAFERL_RL_API saferl_result saferl_rl_poison_lp(double *labels, double *total_cost, const double *features,
                                                const double *original_labels, const double *attack_labels,
                                                const double *flip_costs, int sample_count, int feature_dim,
                                                void *memory, size_t memory_size) {
    const int N = sample_count, d = feature_dim;
    const size_t need = saferl_rl_poison_lp_memory_size(N, d);
    saferl_rl__simplex s;
    double largest, residual = 0.0, max_cost = 0.0, total = 0.0;
    saferl_result r;
    int i, k;
    SAFERL_ASSERT(labels != NULL && features != NULL && original_labels != NULL && attack_labels != NULL);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || memory_size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    r = saferl_rl__poison_check(features, original_labels, attack_labels, flip_costs, N, d);
    if (r < 0) return r;
    s.m = d;
    s.n = 2 * N + d;
    s.tableau = (double *)memory;
    s.basic_value = s.tableau + (size_t)s.m * s.n;
    s.upper = s.basic_value + s.m;
    s.cost = s.upper + s.n;
    s.reduced = s.cost + s.n;
    s.basis = (int *)(void *)(s.reduced + s.n);
    s.state = s.basis + s.m;
    largest = saferl_rl__poison_setup(&s, features, original_labels, attack_labels, N, d);
    /* phase one: drive the artificials to zero (theta_A - theta_O is feasible, so it can) */
    for (k = 0; k < s.n; ++k) s.cost[k] = k >= 2 * N ? 1.0 : 0.0;
    r = saferl_rl__simplex_solve(&s, 1e-9);
    if (r < 0) return r;
    for (i = 0; i < d; ++i)
        if (s.basis[i] >= 2 * N) residual += s.basic_value[i];
    if (residual > 1e-9 * N * largest) return SAFERL_ERR_DID_NOT_CONVERGE;
    /* phase two: the artificials are held at zero (a box [0, 0]) and the flip costs priced */
    for (i = 0; i < d; ++i) s.upper[2 * N + i] = 0.0;
    for (k = 0; k < N; ++k) {
        s.cost[k] = s.cost[N + k] = flip_costs ? flip_costs[k] : 1.0;
        max_cost = s.cost[k] > max_cost ? s.cost[k] : max_cost;
    }
    for (i = 0; i < d; ++i) s.cost[2 * N + i] = 0.0;
    r = saferl_rl__simplex_solve(&s, 1e-9 * max_cost);
    if (r < 0) return r;
    /* read the vertex off: nonbasic columns at a bound, basic ones from the tableau */
    for (k = 0; k < N; ++k) {
        double x[2];
        int h;
        for (h = 0; h < 2; ++h) x[h] = s.state[h * N + k] == 1 ? s.upper[h * N + k] : 0.0;
        labels[k] = x[0] - x[1];
    }
    for (i = 0; i < d; ++i) {
        const int j = s.basis[i];
        double v = s.basic_value[i] < 0.0 ? 0.0 : s.basic_value[i];
        if (j >= 2 * N) continue;
        v = v > s.upper[j] ? s.upper[j] : v;
        labels[j % N] += j < N ? v : -v;
    }
    for (k = 0; k < N; ++k) {
        total += s.cost[k] * fabs(labels[k]);
        labels[k] += original_labels[k];
        labels[k] = labels[k] < 0.0 ? 0.0 : labels[k] > 1.0 ? 1.0 : labels[k];
    }
    if (total_cost) *total_cost = total;
    return SAFERL_OK;
}


/* ---- leader-follower games: BC-HG's hypergradient ------------------------------------------- */

/* the doubles a game needs, or 0 when they overflow a size_t (wasm32 included) or an int */
static size_t saferl_rl__stackelberg_doubles(int S, int L, int F) {
    const size_t cap = ((size_t)-1 >> 4) / sizeof(double);
    size_t slf, total;
    if (S < 1 || L < 1 || F < 1 || (size_t)S > cap / (size_t)L || (size_t)S * L > cap / (size_t)F) return 0;
    slf = (size_t)S * L * F;
    if (slf > cap / (size_t)S || (size_t)S * L > cap / (size_t)S) return 0;
    total = slf * S + 6 * slf + 4 * (size_t)S * L + 5 * (size_t)S + (size_t)S * S + (size_t)S * S * L;
    return total < cap && total <= 0x7fffffff ? total : 0; /* int indices reach every table */
}

/* 1 for a probability row (finite, >= 0, summing to 1 within the rounding of n additions),
   0 for another finite row, -1 for NaN or infinity */
static int saferl_rl__probability_row(const double *p, size_t n) {
    double total = 0.0;
    int ok = 1;
    size_t i;
    for (i = 0; i < n; ++i) {
        if (!(p[i] - p[i] == 0.0)) return -1;
        ok &= p[i] >= 0.0;
        total += p[i];
    }
    return ok && fabs(total - 1.0) <= 4.0 * (double)n * 2.220446049250313e-16; /* DBL_EPSILON */
}

/* the desc's first fault: its result code, and *why naming the field ("ok" if none) */
static saferl_result saferl_rl__stackelberg_check(const saferl_rl_stackelberg_desc *desc, const char **why) {
    size_t S, slf, i;
    int row;
#define SAFERL_RL__FAULT(code, text) return (*why = (text), (code))
    if (desc->state_count < 1) SAFERL_RL__FAULT(SAFERL_ERR_INVALID_ARGUMENT, "state_count: required, >= 1");
    if (desc->leader_action_count < 1)
        SAFERL_RL__FAULT(SAFERL_ERR_INVALID_ARGUMENT, "leader_action_count: required, >= 1");
    if (desc->follower_action_count < 1)
        SAFERL_RL__FAULT(SAFERL_ERR_INVALID_ARGUMENT, "follower_action_count: required, >= 1");
    if (!saferl_rl__stackelberg_doubles(desc->state_count, desc->leader_action_count, desc->follower_action_count))
        SAFERL_RL__FAULT(SAFERL_ERR_INVALID_ARGUMENT, "state_count: the tables would not fit in memory");
    if (!desc->transition || !desc->leader_reward || !desc->follower_reward || !desc->initial_state)
        SAFERL_RL__FAULT(SAFERL_ERR_INVALID_ARGUMENT,
                         "transition, leader_reward, follower_reward, initial_state: required");
    if (!(desc->discount >= 0.0 && desc->discount < 1.0))
        SAFERL_RL__FAULT(desc->discount == desc->discount ? SAFERL_ERR_INVALID_ARGUMENT : SAFERL_ERR_NOT_FINITE,
                         "discount: in [0, 1)");
    if (!(desc->temperature > 0.0 && desc->temperature <= 1.7976931348623157e308))
        SAFERL_RL__FAULT(desc->temperature > 0.0 || desc->temperature != desc->temperature ? SAFERL_ERR_NOT_FINITE
                                                                                        : SAFERL_ERR_INVALID_ARGUMENT,
                         "temperature: required, > 0");
    S = (size_t)desc->state_count;
    slf = S * desc->leader_action_count * desc->follower_action_count;
    for (i = 0; i < slf; ++i) {
        if (!saferl_rl__finite(desc->leader_reward[i]))
            SAFERL_RL__FAULT(SAFERL_ERR_NOT_FINITE, "leader_reward: not finite (or beyond 3.4e38)");
        if (!saferl_rl__finite(desc->follower_reward[i]))
            SAFERL_RL__FAULT(SAFERL_ERR_NOT_FINITE, "follower_reward: not finite (or beyond 3.4e38)");
        if ((row = saferl_rl__probability_row(desc->transition + i * S, S)) != 1)
            SAFERL_RL__FAULT(row < 0 ? SAFERL_ERR_NOT_FINITE : SAFERL_ERR_INVALID_ARGUMENT,
                             "transition: a row P(.|s,l,f) is not a distribution");
    }
    if ((row = saferl_rl__probability_row(desc->initial_state, S)) != 1)
        SAFERL_RL__FAULT(row < 0 ? SAFERL_ERR_NOT_FINITE : SAFERL_ERR_INVALID_ARGUMENT,
                         "initial_state: not a distribution");
#undef SAFERL_RL__FAULT
    *why = "ok";
    return SAFERL_OK;
}

SAFERL_RL_API const char *saferl_rl_stackelberg_desc_check(const saferl_rl_stackelberg_desc *desc) {
    const char *why;
    SAFERL_ASSERT(desc != NULL);
    saferl_rl__stackelberg_check(desc, &why);
    return why;
}

SAFERL_RL_API size_t saferl_rl_stackelberg_memory_size(const saferl_rl_stackelberg_desc *desc) {
    size_t doubles;
    SAFERL_ASSERT(desc != NULL);
    doubles = saferl_rl__stackelberg_doubles(desc->state_count, desc->leader_action_count, desc->follower_action_count);
    return doubles ? doubles * sizeof(double) + (size_t)desc->state_count * sizeof(int) : 0;
}

SAFERL_RL_API saferl_result saferl_rl_stackelberg_init(saferl_rl_stackelberg *game,
                                                       const saferl_rl_stackelberg_desc *desc, void *memory,
                                                       size_t memory_size) {
    const char *why;
    size_t S, SL, SLF;
    double *next;
    saferl_result r;
    SAFERL_ASSERT(game != NULL && desc != NULL);
    if ((r = saferl_rl__stackelberg_check(desc, &why)) < 0) return r;
    if (!memory || memory_size < saferl_rl_stackelberg_memory_size(desc)) return SAFERL_ERR_BUFFER_TOO_SMALL;
    S = (size_t)desc->state_count, SL = S * desc->leader_action_count, SLF = SL * desc->follower_action_count;
    memset(game, 0, sizeof *game);
    game->state_count = desc->state_count, game->leader_action_count = desc->leader_action_count;
    game->follower_action_count = desc->follower_action_count;
    game->discount = desc->discount, game->temperature = desc->temperature;
    next = (double *)memory;
#define SAFERL_RL__CARVE(field, n) game->field = next, next += (n)
    SAFERL_RL__CARVE(transition, SLF * S), SAFERL_RL__CARVE(leader_reward, SLF);
    SAFERL_RL__CARVE(follower_reward, SLF), SAFERL_RL__CARVE(initial_state, S);
    SAFERL_RL__CARVE(leader_policy, SL), SAFERL_RL__CARVE(follower_q, SLF), SAFERL_RL__CARVE(follower_policy, SLF);
    SAFERL_RL__CARVE(follower_value_sl, SL), SAFERL_RL__CARVE(follower_value, S);
    SAFERL_RL__CARVE(follower_influence, S * SL), SAFERL_RL__CARVE(leader_q, SLF);
    SAFERL_RL__CARVE(leader_value, S), SAFERL_RL__CARVE(visitation, S), SAFERL_RL__CARVE(scratch, SLF + 2 * SL + S);
    SAFERL_RL__CARVE(factor, S * S);
#undef SAFERL_RL__CARVE
    game->pivot = (int *)next;
    memset(memory, 0, saferl_rl_stackelberg_memory_size(desc));
    memcpy(game->transition, desc->transition, SLF * S * sizeof(double));
    memcpy(game->leader_reward, desc->leader_reward, SLF * sizeof(double));
    memcpy(game->follower_reward, desc->follower_reward, SLF * sizeof(double));
    memcpy(game->initial_state, desc->initial_state, S * sizeof(double));
    return SAFERL_OK;
}

/* V_f(s,l) = tau log sum_f exp(Q_f(s,l,f) / tau), shifted by the row's maximum */
static double saferl_rl__soft_value(const double *q, int F, double tau) {
    double m = q[0], total = 0.0;
    int f;
    for (f = 1; f < F; ++f) m = q[f] > m ? q[f] : m;
    for (f = 0; f < F; ++f) total += exp((q[f] - m) / tau);
    return m + tau * log(total);
}

/* Soft Q iteration from game->follower_q into the first S L F doubles of game->scratch (the game's
   tables untouched):
   V_f(s,l) = tau log sum_f exp(Q_f / tau), V_f(s) = sum_l pi_l V_f(s,l),
   Q_f(s,l,f) <- r_f(s,l,f) + gamma sum_s' P(s'|s,l,f) V_f(s'). Returns the sweeps taken, or -1
   when the cap is reached (or Q_f leaves the double range). `value_sl` and `value` are scratch. */
static long saferl_rl__soft_q_iteration(const saferl_rl_stackelberg *game, const double *policy, double *value_sl,
                                        double *value) {
    const int S = game->state_count, L = game->leader_action_count, F = game->follower_action_count;
    const double tau = game->temperature, gamma = game->discount;
    double *q = game->scratch;
    long sweep;
    int s, l, k;
    memcpy(q, game->follower_q, (size_t)S * L * F * sizeof(double));
    for (sweep = 1; sweep <= 1000000L; ++sweep) {
        double change = 0.0, largest = 0.0;
        for (s = 0; s < S; ++s) {
            value[s] = 0.0;
            for (l = 0; l < L; ++l) {
                value_sl[(size_t)s * L + l] = saferl_rl__soft_value(q + ((size_t)s * L + l) * F, F, tau);
                value[s] += policy[(size_t)s * L + l] * value_sl[(size_t)s * L + l];
            }
        }
        for (k = 0; k < S * L * F; ++k) {
            const double *p = game->transition + (size_t)k * S;
            double next = 0.0, updated;
            for (s = 0; s < S; ++s) next += p[s] * value[s];
            updated = game->follower_reward[k] + gamma * next;
            change = fmax(change, fabs(updated - q[k]));
            largest = fmax(largest, fabs(updated));
            q[k] = updated;
        }
        if (!(change == change) || largest > 1e300) return -1;
        if (change <= 1e-14 * (1.0 + largest)) return sweep;
    }
    return -1;
}

/* I - gamma P (S x S) into its LU factors with partial pivoting, in place (PA = LU, the row
   swaps in pivot[]). Rows of P are distributions and gamma < 1, so the matrix is strictly
   diagonally dominant: never singular. */
static void saferl_rl__stackelberg_factor(saferl_rl_stackelberg *game) {
    const int S = game->state_count;
    double *a = game->factor;
    int i, j, k;
    for (i = 0; i < S * S; ++i) a[i] = (i / S == i % S) - game->discount * a[i];
    for (k = 0; k < S; ++k) {
        int p = k;
        for (i = k + 1; i < S; ++i) p = fabs(a[i * S + k]) > fabs(a[p * S + k]) ? i : p;
        game->pivot[k] = p;
        for (j = 0; j < S; ++j) { double t = a[k * S + j]; a[k * S + j] = a[p * S + j], a[p * S + j] = t; }
        for (i = k + 1; i < S; ++i) {
            const double m = a[i * S + k] /= a[k * S + k];
            for (j = k + 1; j < S; ++j) a[i * S + j] -= m * a[k * S + j];
        }
    }
}

/* b (S x columns, row-major) <- (I - gamma P)^-1 b, or (I - gamma P)^-T b when transpose */
static void saferl_rl__stackelberg_lu_solve(const saferl_rl_stackelberg *game, int transpose, double *b, size_t columns) {
    const int S = game->state_count;
    const double *a = game->factor;
    size_t c;
    int i, k;
#define SAFERL_RL__SWAP_ROWS(r1, r2) \
    for (c = 0; c < columns; ++c) { double t = b[(r1) * columns + c]; b[(r1) * columns + c] = b[(r2) * columns + c], b[(r2) * columns + c] = t; }
    if (!transpose) { /* L U x = P b */
        for (k = 0; k < S; ++k) SAFERL_RL__SWAP_ROWS((size_t)k, (size_t)game->pivot[k])
        for (i = 0; i < S; ++i)
            for (k = 0; k < i; ++k)
                for (c = 0; c < columns; ++c) b[i * columns + c] -= a[i * S + k] * b[k * columns + c];
        for (i = S - 1; i >= 0; --i)
            for (c = 0; c < columns; ++c) {
                double t = b[i * columns + c];
                for (k = i + 1; k < S; ++k) t -= a[i * S + k] * b[k * columns + c];
                b[i * columns + c] = t / a[i * S + i];
            }
    } else { /* U^T L^T P x = b */
        for (i = 0; i < S; ++i)
            for (c = 0; c < columns; ++c) {
                double t = b[i * columns + c];
                for (k = 0; k < i; ++k) t -= a[k * S + i] * b[k * columns + c];
                b[i * columns + c] = t / a[i * S + i];
            }
        for (i = S - 1; i >= 0; --i)
            for (k = i + 1; k < S; ++k)
                for (c = 0; c < columns; ++c) b[i * columns + c] -= a[k * S + i] * b[k * columns + c];
        for (k = S - 1; k >= 0; --k) SAFERL_RL__SWAP_ROWS((size_t)k, (size_t)game->pivot[k])
    }
#undef SAFERL_RL__SWAP_ROWS
}

/* With Q_f final: the follower's values and policy, the chain P(s'|s) under both policies
   (into factor) and the leader's expected reward per state (into leader_value). */
static void saferl_rl__stackelberg_follower_tables(saferl_rl_stackelberg *game) {
    const int S = game->state_count, L = game->leader_action_count, F = game->follower_action_count;
    const double tau = game->temperature;
    int s, l, f, t;
    memset(game->factor, 0, (size_t)S * S * sizeof(double));
    for (s = 0; s < S; ++s) {
        game->follower_value[s] = 0.0, game->leader_value[s] = 0.0;
        for (l = 0; l < L; ++l) {
            const size_t sl = (size_t)s * L + l;
            const double value = saferl_rl__soft_value(game->follower_q + sl * F, F, tau);
            game->follower_value_sl[sl] = value;
            game->follower_value[s] += game->leader_policy[sl] * value;
            for (f = 0; f < F; ++f) {
                const size_t k = sl * F + f;
                const double p = exp((game->follower_q[k] - value) / tau), w = game->leader_policy[sl] * p;
                game->follower_policy[k] = p;
                game->leader_value[s] += w * game->leader_reward[k];
                for (t = 0; t < S; ++t) game->factor[(size_t)s * S + t] += w * game->transition[k * S + t];
            }
        }
    }
}

/* With the chain factored: V_l, Q_l, d, F and the influence grad_x V_f(s) =
   (I - gamma P)^-1 [pi_l(k|s') (V_f(s',k) - V_f(s')) at column (s', k) of row s'] */
static void saferl_rl__stackelberg_leader_tables(saferl_rl_stackelberg *game) {
    const int S = game->state_count, L = game->leader_action_count, F = game->follower_action_count;
    const size_t SL = (size_t)S * L;
    size_t k;
    int s, t;
    saferl_rl__stackelberg_lu_solve(game, 0, game->leader_value, 1);
    for (k = 0; k < SL * F; ++k) {
        double next = 0.0;
        for (t = 0; t < S; ++t) next += game->transition[k * S + t] * game->leader_value[t];
        game->leader_q[k] = game->leader_reward[k] + game->discount * next;
    }
    memcpy(game->visitation, game->initial_state, (size_t)S * sizeof(double));
    saferl_rl__stackelberg_lu_solve(game, 1, game->visitation, 1);
    for (s = 0; s < S; ++s) /* >= 0 exactly; rounding may leave -1e-17 at an unreachable state */
        game->visitation[s] = game->visitation[s] > 0.0 ? game->visitation[s] : 0.0;
    game->objective = 0.0;
    for (s = 0; s < S; ++s) game->objective += game->initial_state[s] * game->leader_value[s];
    memset(game->follower_influence, 0, (size_t)S * SL * sizeof(double));
    for (k = 0; k < SL; ++k) /* row s = k / L, column k */
        game->follower_influence[(k / L) * SL + k] =
            game->leader_policy[k] * (game->follower_value_sl[k] - game->follower_value[k / L]);
    saferl_rl__stackelberg_lu_solve(game, 0, game->follower_influence, SL);
}

SAFERL_RL_API saferl_result saferl_rl_stackelberg_solve(saferl_rl_stackelberg *game, const double *leader_logits) {
    const int S = game->state_count, L = game->leader_action_count, F = game->follower_action_count;
    const size_t SL = (size_t)S * L, SLF = SL * F;
    double *policy = game->scratch + SLF, *value_sl = policy + SL, *value = value_sl + SL;
    size_t k;
    SAFERL_ASSERT(game != NULL && leader_logits != NULL);
    for (k = 0; k < SL; ++k)
        if (!saferl_rl__finite(leader_logits[k])) return SAFERL_ERR_NOT_FINITE;
    saferl_rl_tabular_probabilities(policy, leader_logits, S, L);
    if (saferl_rl__soft_q_iteration(game, policy, value_sl, value) < 0) return SAFERL_ERR_DID_NOT_CONVERGE;
    memcpy(game->follower_q, game->scratch, SLF * sizeof(double));
    memcpy(game->leader_policy, policy, SL * sizeof(double));
    saferl_rl__stackelberg_follower_tables(game);
    saferl_rl__stackelberg_factor(game);
    saferl_rl__stackelberg_leader_tables(game);
    game->solved = 1;
    return SAFERL_OK;
}

/* sum_f pi_f(f|s,l) Q_l(s,l,f) */
static double saferl_rl__stackelberg_leader_q_sl(const saferl_rl_stackelberg *game, size_t sl) {
    const int F = game->follower_action_count;
    double q = 0.0;
    int f;
    for (f = 0; f < F; ++f) q += game->follower_policy[sl * F + f] * game->leader_q[sl * F + f];
    return q;
}

SAFERL_RL_API saferl_result saferl_rl_stackelberg_hypergradient(const saferl_rl_stackelberg *game,
                                                                int with_guidance, double *gradient) {
    const int S = game->state_count, L = game->leader_action_count, F = game->follower_action_count;
    const size_t SL = (size_t)S * L;
    size_t j, sl;
    int k, f, t;
    SAFERL_ASSERT(game != NULL && gradient != NULL);
    if (!game->solved) return SAFERL_ERR_NO_DATA;
    for (j = 0; j < SL; ++j) gradient[j] = 0.0;
    for (sl = 0; sl < SL; ++sl) {
        const size_t s = sl / L;
        const double weight = game->visitation[s] * game->leader_policy[sl];
        const double q_sl = saferl_rl__stackelberg_leader_q_sl(game, sl);
        for (k = 0; k < L; ++k) /* direct: grad log pi_l(l|s) = e_l - pi_l(.|s) in state s's block */
            gradient[s * L + k] += weight * (((size_t)k == sl % L) - game->leader_policy[s * L + k]) * q_sl;
        if (!with_guidance) continue;
        for (f = 0; f < F; ++f) { /* Cov_f(Q_l, grad Q_f) = sum_f pi_f (Q_l - q_sl) gamma sum_s' P grad V_f(s') */
            const size_t sf = sl * F + f;
            const double c = weight * game->follower_policy[sf] * (game->leader_q[sf] - q_sl) * game->discount /
                             game->temperature;
            for (t = 0; t < S; ++t) {
                const double ct = c * game->transition[sf * S + t];
                const double *influence = game->follower_influence + (size_t)t * SL;
                if (ct != 0.0)
                    for (j = 0; j < SL; ++j) gradient[j] += ct * influence[j];
            }
        }
    }
    return SAFERL_OK;
}

SAFERL_RL_API saferl_result saferl_rl_stackelberg_sample_hypergradient(const saferl_rl_stackelberg *game,
                                                                       int with_guidance, int follower_draws,
                                                                       saferl_rng *rng, double *gradient) {
    const int S = game->state_count, L = game->leader_action_count, F = game->follower_action_count;
    const size_t SL = (size_t)S * L;
    double mass = 0.0, benefit, coefficient, q_sl;
    size_t s, sl, sf, u, j;
    int k, m;
    SAFERL_ASSERT(game != NULL && rng != NULL && gradient != NULL);
    if (!game->solved) return SAFERL_ERR_NO_DATA;
    if (with_guidance && follower_draws < 1) return SAFERL_ERR_INVALID_ARGUMENT;
    for (s = 0; s < (size_t)S; ++s) mass += game->visitation[s];
    s = saferl_rng_categorical(rng, game->visitation, (size_t)S);
    sl = s * L + saferl_rng_categorical(rng, game->leader_policy + s * L, (size_t)L);
    sf = sl * F + saferl_rng_categorical(rng, game->follower_policy + sl * F, (size_t)F);
    q_sl = saferl_rl__stackelberg_leader_q_sl(game, sl);
    for (j = 0; j < SL; ++j) gradient[j] = 0.0;
    for (k = 0; k < L; ++k) /* direct: the leader's advantage Q_l(s,l) - V_l(s) */
        gradient[s * L + k] = mass * (((size_t)k == sl % L) - game->leader_policy[s * L + k]) *
                              (q_sl - game->leader_value[s]);
    if (!with_guidance) return SAFERL_OK;
    benefit = game->leader_q[sf]; /* Q_l(s,l,f) less a baseline from independent follower draws */
    for (m = 0; m < follower_draws; ++m)
        benefit -= game->leader_q[sl * F + saferl_rng_categorical(rng, game->follower_policy + sl * F, (size_t)F)] /
                   follower_draws;
    coefficient = mass * benefit * game->discount / game->temperature;
    u = saferl_rng_categorical(rng, game->transition + sf * S, (size_t)S);
    do { /* the follower's path from s': sum_k grad log pi_l(l_k|u_k) (V_f(u_k,l_k) - V_f(u_k)) */
        const size_t ul = u * L + saferl_rng_categorical(rng, game->leader_policy + u * L, (size_t)L);
        const size_t uf = ul * F + saferl_rng_categorical(rng, game->follower_policy + ul * F, (size_t)F);
        const double advantage = game->follower_value_sl[ul] - game->follower_value[u];
        for (k = 0; k < L; ++k)
            gradient[u * L + k] += coefficient * (((size_t)k == ul % L) - game->leader_policy[u * L + k]) * advantage;
        u = saferl_rng_categorical(rng, game->transition + uf * S, (size_t)S);
    } while (saferl_rng_uniform(rng) < game->discount);
    return SAFERL_OK;
}


SAFERL_RL_API saferl_rl_stackelberg_desc saferl_rl_discrete_toy4_desc(saferl_rl_discrete_toy4 *tables, double bonus) {
    static const signed char next[3][2][3] = { /* next state; -1 stays */
        {{-1, 1, 2}, {-1, 1, 2}}, {{0, -1, 2}, {0, 0, 0}}, {{0, -1, -1}, {0, -1, -1}}};
    saferl_rl_stackelberg_desc desc;
    int s, l, f;
    SAFERL_ASSERT(tables != NULL);
    memset(tables, 0, sizeof *tables);
    memset(&desc, 0, sizeof desc);
    for (s = 0; s < 3; ++s)
        for (l = 0; l < 2; ++l)
            for (f = 0; f < 3; ++f) {
                const int k = (s * 2 + l) * 3 + f;
                tables->transition[k * 3 + (next[s][l][f] < 0 ? s : next[s][l][f])] = 1.0;
                tables->follower_reward[k] = s == 0 && f > 0 ? 1.0 : s == 1 && l == 1 ? -1.0 : 0.0;
                tables->leader_reward[k] = s == 0 && f == 1;
            }
    tables->follower_reward[(1 * 2 + 0) * 3 + 2] = bonus; /* R: from A on to B */
    tables->initial_state[0] = 1.0;
    desc.state_count = 3, desc.leader_action_count = 2, desc.follower_action_count = 3;
    desc.transition = tables->transition, desc.leader_reward = tables->leader_reward;
    desc.follower_reward = tables->follower_reward, desc.initial_state = tables->initial_state;
    desc.discount = 0.99, desc.temperature = 0.05;
    return desc;
}

#if defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#  pragma float_control(pop)
#elif defined(__GNUC__) && !defined(__clang__)
#  pragma GCC pop_options
#endif

#endif /* SAFERL_RL_IMPLEMENTATION_ONCE */
#endif /* SAFERL_RL_IMPLEMENTATION */
/*
------------------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the saferl authors
Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this software,
either in source code form or as a compiled binary, for any purpose, commercial or
non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this software
dedicate any and all copyright interest in the software to the public domain. We make this
dedication for the benefit of the public at large and to the detriment of our heirs and
successors. We intend this dedication to be an overt act of relinquishment in perpetuity of
all present and future rights to this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------------------
*/
