// SPDX-License-Identifier: MIT OR Unlicense
/* saferl_shield.h - v0.5.8 - safety specifications, monitors, shields and progressive safeguards
                              public domain or MIT; see the end of the file

   A safeguard (Omi, Hasanbeig et al., "Progressive Safeguards for Safe and Model-Agnostic
   RL", arXiv 2410.24096) and a shield (Alshiekh et al., AAAI 2018) both watch an agent
   through a deterministic automaton built from a safety rule. This header turns a rule
   written as text into that automaton and steps it at the cost of one table lookup:

      safety LTL   "G(lava -> X !lava)"      minimal DFA by formula progression; a finite
                                             trace is a violation exactly when every infinite
                                             continuation of it violates the formula
      past-time    "G(alarm -> O armed)"     Y Z O H S; the step where the past formula fails
      LTLf         "F goal & G !lava"        LTL on finite traces, a separate explicit mode
      HOA files    Spot's monitors (ltl2tgba -D -M) and complete safety automata
      reward machines in Toro Icarte's text format (edges keyed by source and guard)

   and gives minimisation, product, complement, language equivalence with a shortest
   counterexample, DOT, HOA and reward-machine output. On top of the automaton it solves the
   safety game against a finite abstraction of the environment (Alshiekh et al.'s shields:
   preemptive, post-posed, and a probabilistic one for abstractions with probabilities),
   reads gridworlds from ASCII or decoded RGBA with a colour legend, and trains tabular
   Q-learning over (cell, safeguard state) with counterfactual updates and the transfer of
   values between the stages of a progression of safeguards.

   Do this:
      #define SAFERL_SHIELD_IMPLEMENTATION   (or SAFERL_IMPLEMENTATION for every saferl header)
   before you include this file in *one* C or C++ file to create the implementation.

   Optional, before the implementation include:
      #define SAFERL_ASSERT(x)        your assert, for programmer errors only (default: assert)
      #define SAFERL_MALLOC(sz,ctx)   default allocation   (default: malloc(sz))
      #define SAFERL_FREE(p,ctx)      default release      (default: free(p))
      #define SAFERL_SHIELD_API       declaration prefix   (default: extern)
      #define SAFERL_SHIELD_STATIC    every function static: a private copy per translation unit
      #define SAFERL_SHIELD_MEMO_RESET  entries of the progression memo, and words of the flat
                                      cube lists, past which the LTL compiler drops them to bound
                                      its memory on large formulas (default: 1 << 20); results
                                      do not depend on it, only time and memory. It exists so a
                                      test can force that path: test_shield passes built with 64

   The header does no file I/O: parsers take text in memory, writers fill your buffer.

   QUICK START
      #define SAFERL_SHIELD_IMPLEMENTATION
      #include "saferl_shield.h"
      #include <stdio.h>
      #include <string.h>
      int main(void) {
          const char *rule = "G(lava -> X !lava)";      // never two lava steps in a row
          saferl_shield_desc desc = {0};                 // zero: safety LTL, default limits (C++: = {})
          saferl_shield_dfa dfa;
          saferl_shield_error error;
          saferl_shield_monitor monitor;
          uint32_t trace[4] = {0, 1, 1, 0};              // label bit 0 = "lava"
          int i;
          if (saferl_shield_compile(rule, strlen(rule), &desc, &dfa, &error) < 0) {
              printf("%u:%u: %s\n", error.line, error.column, error.message);
              return 1;
          }
          saferl_shield_monitor_init(&monitor, &dfa, 0.1, -1.0);
          for (i = 0; i < 4; ++i) {
              double reward;
              saferl_shield_monitor_step(&monitor, trace[i], &reward);
              printf("step %d: state %u reward %g%s\n", i + 1, monitor.state, reward,
                     saferl_shield_monitor_violated(&monitor) ? " violation" : "");
          }
          saferl_shield_dfa_destroy(&dfa);
          return 0;
      }

   WHAT IS HERE, top to bottom
      the automaton            saferl_shield_dfa: states x letters table, violation sink,
                               accepting flags, stages, optional per-edge rewards; build one by
                               hand with _memory_size/_init (your memory) or _create
      monitors                 saferl_shield_monitor_*: O(1) step, no allocation, any number of
                               monitors share one automaton's tables
      specifications           saferl_shield_compile (safety LTL, past-time LTL, LTLf)
      operations               minimise, product, complement, equivalence (+ counterexample)
      files                    HOA read/write, reward machines read/write, DOT, and
                               saferl_shield_load which recognises a text by its content
      shields                  saferl_shield_abstraction (states, actions, successor sets or
                               distributions, labels; also read from text) and
                               saferl_shield_game: winning region, preemptive masks, post-posed
                               correction, probabilistic masks, unrealisability explained
      gridworlds               saferl_shield_grid from ASCII or RGBA + legend; SlipperyGrid
                               steps, item placement, the grid as an abstraction; the
                               Minecraft-inspired legend, map and four safeguards
      progressive safeguards   saferl_shield_qtable: epsilon-greedy under a mask, Q-learning,
                               CRM over every automaton state, transfer between stages
                               (copied values, or a replay of the stored steps)

   SHIELDS (what is computed)
      * Game state (s, q): abstraction state s, q the automaton's state after reading s's
        label. The agent picks an available action, the environment any successor; the
        violation is entering the sink. W is the greatest fixpoint of "not the sink and some
        action keeps every successor in W", computed as the complement of the environment's
        attractor with one bit per (game state, action): each losing state is popped once and
        clears its predecessors' action bits, so the solve is linear in game edges. A state
        with no available action loses. losing_rank is the attractor level.
      * Preemptive mask(s, q) = the actions all of whose successors stay in W (0 outside W):
        maximally permissive, it blocks no action from which safety can still be kept. Post-
        posed: the first safe action of the agent's ranking, else the lowest-numbered allowed
        action (a fixed rule, as the convergence argument needs).
      * Probabilistic: V_0 = 1 off the sink, V_h = max_a E[V_{h-1}(next)]; a is allowed when
        E[V_{H-1}(next) | a] >= threshold, and where no action reaches it the safest ones are.
        Probability-one guarantees need the sure game; this one bounds risk over a horizon.
      * Item placement is observed at reset: solve the game again (saferl_shield_game_solve,
        no allocation) on the placed map. SlipperyGrid's slips go in any direction, so on a
        map with reachable lava the sure game is unrealisable (the environment can walk the
        agent into it one slip at a time): saferl_shield_game_realisable reports it (the game
        is still SAFERL_OK and complete), and the probabilistic shield is the one to use.

   PROGRESSIVE SAFEGUARDS (after the official code, grockious/safeguardedRL)
      A level's automaton uses states 0 .. n-1 with stable ids (state k = stage k) and a
      shared sink; one table Q(s, q, a) serves every level. The safeguard reward is task
      reward + r_safe per step, r_violation on entering the sink, which ends the episode. CRM
      learns one real step for every active automaton state. Greedy choices break near-ties
      (within tie_tolerance x the largest reward, 1e-6) at random: where no reward is
      reachable yet, values are tiny echoes of distant violations, and exact ties freeze one
      walk. At a level change, each (s, q) new to the table gets the mean of Q(s, i, .) over
      the earlier i whose rule is at least as strict as q's (or exactly as strict: the
      official code averages every earlier i, and saferl_shield_qtable_transfer_state gives
      that lazy rule too). Or, with the earlier stages' real steps kept in a bounded store
      (saferl_shield_replay), saferl_shield_qtable_transfer_replay learns the new states
      from those steps by CRM under the new automaton: the values they would have had, had
      they been active all along. examples/safeguard_gridworld measures all of these.

   LABELS, PROPOSITIONS, LETTERS
      A label is a uint32_t: bit i set means proposition i of your vocabulary is true at this
      step, so a vocabulary holds up to 32 propositions (SAFERL_SHIELD_LABEL_BITS), and one
      automaton may read all 32 (SAFERL_SHIELD_MAX_PROPS). Without a vocabulary in the desc,
      propositions get bits 0, 1, ... in order of first appearance; with one, a name outside
      it is an error. Proposition j of an automaton sits at label bit prop_bit[j].
      * Dense (k <= 16 propositions, SAFERL_SHIELD_DENSE_PROPS): the table is dense over the
        2^k letters; four byte-indexed tables gather a label's bits into the letter, so a step
        is four independent loads and one dependent one.
      * Symbolic (k > 16): the letters are the classes of labels that every state treats
        alike (at most 65536); a reduced decision diagram over the label bits (tests in
        increasing bit) maps a label to its class, then the same table lookup. The diagram
        is stored as rows that each read up to 8 label bits at once (node[], node_bits; the
        widest rows whose table stays within 8 words per diagram node), so a label's class
        costs at most 4 dependent loads with byte rows. Every operation works on both:
        product and equivalence over the joint classes of the two automata, complement and
        minimisation over the automaton's own. Safety LTL and LTLf compile without
        enumerating 2^k letters: each residual's transition is split on the propositions it
        reads now (Shannon expansion, one step of every temporal operator unrolled), shared
        in a diagram, and the classes are the joint refinement of all residuals' diagrams;
        formulas with F, U or M are decided safety or not on the same diagrams.
        HOA files read guards the same way: each label expression becomes a diagram (and,
        or, not on diagrams), each state's edges merge into one diagram from labels to
        (target, mark) in file order (a label two edges give different targets is the
        non-determinism error), and the letters are the joint classes of the states'
        diagrams; up to 16 propositions the same diagrams fill the dense table. Limits,
        refused with a message: more than 65536 classes; past-time formulas and reward
        machines over more than 16 propositions (they are still read over every letter).
        Writers, over more than 16 propositions: HOA and DOT factor a guard along its own
        reduced diagram (the classifier with leaves in and out, one pass per guard; a node
        every path into the set passes splits it into A & B, one every path out of it
        passes into A | B, otherwise a Shannon split with constant halves folded), so
        !(a & b) & !(c & d) & ... is written as (!a | !b) & (!c | !d) & ...; reward
        machines keep one cube per classifier path (that format wants a sum of cubes,
        2^pairs of them for that guard). Up to 16, cubes grown from letters, each trial
        cube checked on its own letters.

   SEMANTICS (what a state means)
      SAFERL_SHIELD_SAFETY  the automaton recognises the bad prefixes of a safety property of
                            infinite traces: the trace so far is a violation iff the monitor is
                            in the sink. Every other state is accepting (a good prefix).
      SAFERL_SHIELD_FINITE  the automaton recognises a language of finite, non-empty traces
                            (LTLf, a past-time formula without an outer G, a complement): the
                            trace so far is in it iff the state is accepting. The sink, when
                            there is one, is the state from which no continuation is accepted.

   CONSTRUCTIONS (say what is computed, so results can be checked)
      * Parsing follows Spot's syntax and precedence, lowest first: -> <-> (right), |, xor, &,
        U W R M S (right), then the prefix operators ! X F G Y Z O H N ([] is G and <> is F, as
        in Spot) and the bounded X[n], F[a..b], G[a..b] (also written [a:b] or [a,b]; G[a..]
        has no upper bound). As in Spot,
        "GFa" reads G F a; quote a proposition ("Fire") that starts with an operator letter.
      * Safety LTL: the formula goes to negation normal form (!(a U b) = !a R !b, !(a W b) =
        !a M !b, !X a = X !a, ..., and F F a = F a, G G a = G a). Where only X, G, W, R, bounded F and G, & and | over
        literals remain, the formula is a safety property by its syntax. Where F, U or M
        remain, it may still be one ((p U q) | G p is p W q; Dwyer et al.'s "absence of p
        before q", F q -> (!p U q)): it is compiled when it is, and refused with the position
        of its first F, U or M when it is not (see "eventualities" below). The DFA's states
        are residual formulas (Bacchus-Kabanza progression), explored breadth first over all
        letters (above 16 propositions over the leaves of each residual's diagram); then every
        state with no infinite safe future (the greatest fixpoint of "has a successor that
        is alive") joins the sink, which gives the earliest detection the bad-prefix semantics
        asks for (G(X p & X !p) is violated at step 1); then minimisation.
      * Eventualities: progression marks each step at which an F, U or M is put off
        (PENDING e, true for the language). A residual's cubes are the states of a
        nondeterministic automaton (Gerth et al.'s tableau, as Couvreur's ltl2tgba), and a
        residual is satisfiable iff one of its cubes reaches a fair cycle: strongly connected
        cubes, an edge inside, and for each mark a cube without it (Tarjan; linear in the
        cube graph). The states whose residual is unsatisfiable become the sink: that is the
        monitor of the formula's safety closure (its bad prefixes). The formula is a safety
        property iff it equals its closure: no word keeps the monitor out of the sink and
        satisfies the negation, the same check on pairs (monitor state, cube of the
        negation's residual). Both graphs come from the same finite set of atoms (marks
        included) and are bounded by desc.max_states nodes. Above 16 propositions no letter
        is enumerated here either: a cube is split into a diagram like a residual, and a
        node's successors are the leaves of that diagram paired with the monitor state's
        (the pairs of residuals some label reaches together). Checked against lbt on the 55
        formulas of Dwyer et al.'s pattern table and seeded random formulas
        (tests/oracle/shield_liveness.py, also over 17-24 propositions), and against the
        dense construction on random formulas (the unit tests force the diagrams).
      * Why it terminates (and its bound): progression only rebuilds & and | over the atoms of
        the formula (its literals and temporal subformulas, and the bounded ones with smaller
        bounds: a set of n atoms fixed by the formula). Every residual is put in one form:
        the antichain of its minimal cubes (sorted, hash-consed conjunctions of atoms; a
        residual is positive in its atoms, and such a function has exactly one antichain of
        minimal cubes, so propositionally equal residuals are one state), sharpened by sure
        implications between atoms as in Spot: G a & a = G a, (a R b) & b = a R b, F[0..i] x &
        F[0..j] x = F[0..min] x (pending deadlines merge), G[0..i] x & G[0..j] x = G[0..max] x,
        and a cube implied by another is dropped. Next steps and bounded operators over one
        operand are one window before they become atoms (X^i a = F[i..i] a, X F[a..b] a =
        F[a+1..b+1] a, nested windows of one kind add up, G[a..b] G a = G[a..a] G a; in LTLf
        the strong X^i is F[i..i] and the weak N^i G[i..i]), rules over one operand with
        touching windows merge (G[a..b] x & G[b+1..c] x = G[a..c] x), and X^i G a => X^j G a
        for i <= j: a pending deadline is one window, not a chain of X of its own. So there
        are at most 2^(2^n) states (in
        practice a few per state of the minimal monitor: G(a) R G(b) needs 2 residuals,
        G(p -> F[0..k] s) k + 2). Progression is memoised per (node, letter) (letters 0-3,
        every letter of one or two propositions, in an array by node; the others in a hash
        table); a successor is
        the union over the state's cubes of the conjunction of their atoms' residuals, and
        both are memoised across states and letters by their sorted operand lists (a hash
        table of id lists, not nodes: the cubes of G over overlapping F windows recur, 24,663
        conjunctions but 1,155 distinct in a 180-state monitor; a missed conjunction is canon
        of the chain of its residuals, a missed union canonicalises its parts' cubes).
        Compile time is residuals x 2^k letters x canonical-form work up to 16 propositions,
        and residuals x diagram size above; a canonical form of m cubes over d distinct atoms
        costs a walk of each atom's list of the atoms it implies (the
        implications are a fixed relation: an atom is tested once per compile, when it is
        first met, against the atoms met before that share an operand with it; every rule
        relates an atom to an operand of the other or to one they share, so atoms are
        chained by operand; up to d^2 tests when all are windows over one operand) and
        m x (cubes kept) compares of 64-bit atom masks (lists of 4 cubes or more; exact up
        to 64 atoms; beyond, a filter before the atom-by-atom test), once per distinct
        conjunction or union (a union keeps its parts' cubes whole, so their nodes are
        reused, not made again, and counted in the work limit as the makes they save; each
        residual's chains are walked into a flat cube list once per compile and copied from
        there after that);
        desc.max_states and a work limit
        bound it, and the error then points at the formula. The limit is 1024 steps per
        allowed state (at least 4096 states' worth), a step an id or mask compare and a
        formula node made or looked up 32 steps (a probe of a table of millions against a
        compare in cache), so it bounds the nodes, and the memory, too: 32 per allowed state.
        The work limit can refuse a formula whose monitor is well below max_states: a random
        19-node formula of 28,010 states (X(G(!p1 -> X G[1..4] F[1..3] F[0..1] F[1..4]
        G[1..3] X^4 G[2..5](X !p0 -> G p3)))) is refused at the default limit after 4.6 s
        and compiles with max_states = 8M in 32 s: raise max_states to let it through.
        Formulas whose minimal monitor is large take time in proportion: a random 22-node
        formula whose minimal DFA has 49,155 states (F[15..19] !p2 pending from any step;
        MONA's minimal DFA of its prefix language, written in M2L-Str, has as many and
        takes about 9 times as long) compiles in about a second, not milliseconds:
        minimising them alone costs 54M instructions (1,100 a state) where 5 ms leaves
        102 ns a state.
      * A conjunction whose conjuncts fall into groups over disjoint propositions (safety LTL
        or LTLf without F, U, M; at most 16 propositions) is compiled group by group over each
        group's own letters, and the groups' minimal automata are joined by products,
        minimised after each one, as MONA does: n bounded-response rules cost n small
        automata and n - 1 products, not (k+1)^n residuals x 2^(2n) letters. The result is the
        same minimal automaton.
      * LTLf: X is the strong next (a next step must exist) as in De Giacomo-Vardi and MONA-
        based tools; N (or X[!] for strong, N for weak) is the weak next. Note Spot's --ltlf
        reads plain X as weak. States are (residual, whether the trace read so far satisfies
        the formula), the latter from the "last step" rules (X false, N true, G/W/R/F[..]
        from their operands). The empty trace is never accepted. A residual that has no
        model by a syntactic check is the rejecting sink at once: the check over-approximates
        the set of trace lengths the residual can hold on (1 to 62 apart, longer ones
        together), rule by rule (a strong next or F[lo..] needs lo more steps, G a needs a at
        every remaining length, a conjunction's parts checked apart), so it is sound but not
        complete (G p & F !p passes it and is left to the exploration). It closes G X p, and
        G(p -> X F[2..4] q)-like rules whose pending deadlines would otherwise be unfolded
        state by state (a 49,155-state safety monitor refused at the work limit in LTLf mode
        is the 1-state empty one, as MONA says), and rules whose body cannot hold some steps
        before the end: G(N F[0..3] X X a | X X b) holds on one-step traces only. The
        minimal automaton is the same either way.
      * Past-time LTL: Havelund and Rosu's recurrences (Y p false at step 1, Z p true there,
        O, H, S as usual). The DFA state is the vector of the temporal subformulas' values at
        the previous step (at most 62 of them). "G psi" (an outer G, psi pure past) is a
        safety monitor with the same bad-prefix semantics as above: violated at the step
        where psi is false, or earlier when psi must fail at every continuation; a bare psi
        is a finite-trace language accepted where psi holds at the last step.
      * Minimisation is Hopcroft's partition refinement (O(n k log n)), starting from the
        partition by (accepting, terminal, stage, edge rewards) and refining by successors'
        classes, so stages and rewards survive. States are numbered breadth first from the initial one,
        letters in increasing order: equal languages give identical tables. Symbolic: the
        letters every minimal state treats alike are merged (the coarsest classes), the
        diagram is rebuilt over them, and letters and rows are numbered by a low-first walk
        of that reduced, ordered (hence canonical) diagram before the states are: equal
        languages over the same propositions give identical tables there too.
      * Equivalence compares the finite-trace languages (accepting flags) by a breadth-first
        search of the product, which returns a shortest distinguishing trace.

   MEMORY, THREADS, ERRORS
      Games, grids and Q-tables follow the same rule: _memory_size + _init on your memory
      (create/destroy through an allocator); solving again, queries, steps and updates never
      allocate. A game is read-only once solved: any number of threads may query it.
      Builders (compile, read, minimise, product, complement) allocate only through the
      allocator in their desc or argument (zero: SAFERL_MALLOC) and return an automaton in one
      block that saferl_shield_dfa_destroy releases; their scratch memory is released before
      they return. saferl_shield_dfa_memory_size + _init build one on your memory. Monitors
      never allocate. There is no global state: different objects may be used from different
      threads at once; a finished automaton is read-only, so any number of threads may step
      monitors over it. Bad input returns a negative saferl_result, fills the error (line,
      column, message) and leaves the output automaton untouched: nothing half-built.

   LIMITS
      32 propositions per automaton (16 for past-time formulas and reward-machine files),
      2^32 - 2 states in principle, desc.max_states (default 1 << 20) in practice; compile
      time: see CONSTRUCTIONS (residuals x letters x canonical-form work). Reward machines: constant reward functions only (ConstantRewardFunction), one-
      character propositions, as in the original code. HOA: deterministic, one start state,
      no aliases, acceptance t, f or Inf(0) (Inf(0) only when it describes a safety language).

   REVISION HISTORY
      0.5.8 (2026-12-06)  LTLf: the implication between windows over one G or F compares the
                          window's last step where it must (F[i..k] G a starts G a by step k;
                          G[j..l] F a needs F a up to step l): 0.5.7 compared first steps, which
                          holds only for one-step windows (all of LTL's), and took F[1..2] G p to
                          imply G[1..1] G p, so one formula of seed 786's 10,000 read as LTLf got
                          a 15-state automaton rejecting a trace MONA accepts (21 states now).
                          Every other automaton and refusal unchanged (10,000 formulas of each of
                          seeds 777, 782 and 786, LTL and LTLf). Found by comparing with a
                          decision-diagram state key prototyped in bench/experiments.
      0.5.7 (2026-12-06)  LTLf: a residual's emptiness check keeps the set of trace lengths it
                          can hold on (lengths 1-62 apart, longer ones together), not only
                          "may end here"; the finite-trace rules of each operator on those
                          sets (strong next and F windows move them up, weak next and G
                          windows hold at the end, U W R M unfold). A residual with no length
                          is the rejecting sink, so residuals that only a length conflict
                          makes empty are no longer explored apart. The same automata and
                          refusals: HOA and errors byte-identical on 10,000 random formulas
                          each of seeds 777, 782 and 785, as LTL and as LTLf. Residuals
                          explored as LTLf: 149,429 -> 142,477 (777), 138,811 -> 127,637
                          (782), 155,627 -> 148,255 (785, held out), none more; the 777
                          formula that was 2,307 residuals for a 3-state DFA is 3 (622.5 to
                          0.09 million instructions). LTL unchanged.
      0.5.6 (2026-12-06)  SAFERL_SHIELD_MEMO_RESET (default 1 << 20, as before: the same
                          automata and bits): the size past which the progression memo and
                          the flat cube lists are dropped. test_shield now takes that path:
                          400 seeded random formulas compiled with the resets at 64 entries
                          (5,283 resets on 163 of them) give byte-identical HOA and refusals;
                          two planted reset bugs (the cube lists dropped without their
                          offsets; the progression results without their keys) crash it
                          (ASan: heap-buffer-overflow), a third (the array memo kept, which
                          stays valid) passes, as it should. The 49,154- and 308-state
                          monitors of the bench: the same HOA at 64, the default, no reset.
      0.5.5 (2026-12-06)  less work per residual again, the same automata and refusals (HOA
                          and errors byte-identical on 60,000 random compiles: 10,000 each of
                          three seeds, as LTL and as LTLf): progression of letters 0-3 memoised
                          in an array by node (the hash table keeps the other letters); the
                          weakest cubes under exact masks test two arrays walked in order; an
                          atom of both cubes found by a merge before the implication rules are
                          asked; a state's memo of successors cleared, not freed, between
                          states. Callgrind on the slow tail of the random formulas: -10.1%
                          (seed 777's 16 over 2 ms); held out, -8.9% (seed 784's 28, every one
                          down); peak memory of the 49,155-state formula 85 -> 98 MB
      0.5.4 (2026-12-06)  less work per residual, the same automata and refusals (HOA and
                          errors byte-identical on 31,000 random formulas, as LTL and as
                          LTLf): a residual's cube chains are walked into a flat list once per
                          compile, not at every union and product that reads them; cube lists
                          of 4 to 7 cubes are reduced with the 64-bit atom masks too (was 8 and
                          more); the fewest-atoms-first order by a counting sort; canonical
                          forms memoised in an array by node, not a hash table. Callgrind on
                          the slow tail of the random formulas: -10.4% (11 formulas); held out,
                          -5.4% (seed 782's 8) and a further -1.4% (seed 783's 6)
      0.5.3 (2026-12-06)  a compile that runs out of memory returns SAFERL_ERR_OUT_OF_MEMORY
                          wherever the allocation fails: a failed push left a cube list with a
                          half-written cube that the next product read past (LTLf); a symbolic
                          state key cut short (out of memory or at the work limit) became a new
                          state and the compile succeeded; a failed push in the check of
                          eventualities was reported as "larger than desc.max_states". The
                          work limit is counted in one place. Otherwise the same automata and
                          refusals (HOA byte-identical on 22,000 random compiles and 2,000
                          symbolic ones, at the default and at lowered work limits)
      0.5.2 (2026-12-05)  the conjunctions of a state's cubes and the unions of their results
                          memoised by their sorted operand lists, no longer by a chain of
                          formula nodes per key: most nodes of the slowest random formulas were
                          those keys (a 545-state monitor: 177,732 nodes -> 70,522, peak resident
                          memory 15.7 -> 9.7 MB); the work limit still counts the makes the
                          keys were; the same automata and refusals (HOA and errors
                          byte-identical on 31,000 random formulas, as LTL and as LTLf)
      0.5.1 (2026-12-05)  LTLf: a residual without a model by a syntactic check (strong next
                          steps left pending at the last step) is the rejecting sink at once
                          (a formula of 22 nodes whose language is empty was refused at the
                          work limit; now 1 state, as MONA; every other automaton unchanged);
                          implications between atoms tested once per compile, when an atom is
                          first met, not again for every canonical form, and a union of
                          canonical forms reuses its cubes' nodes (callgrind, the slowest
                          random formulas: 240.8M -> 179.0M instructions for a 309-state
                          monitor, 5.77G -> 5.35G for the 49,155-state one, -14% to +0.5%
                          on the others; the same automata).
      0.5.0 (2026-12-05)  game_init, game_create and game_solve return SAFERL_OK with a
                          complete game whenever the inputs are valid, also when the
                          specification is unrealisable (was SAFERL_ERR_INFEASIBLE, a negative
                          result that left a game to use and destroy);
                          saferl_shield_game_realisable says whether the start wins and why not;
                          safety formulas written with F, U and M compile ((p U q) | G p,
                          F q -> (!p U q): 37 of Dwyer et al.'s 55 patterns), the others are
                          refused as before: the safety closure by a fair-cycle check of the
                          residuals' cubes, safety decided against the negation; minimize in
                          named phases over one row-interning table; a HOA Inf(0) that is not
                          safety and a reward-machine guard with a control character say
                          line:column (were 0:0); one text cursor (position, line, column,
                          first error, number/name/string scanners) under the formula, HOA,
                          reward-machine, abstraction and map readers, read_hoa, read_rm and
                          read_abstraction in named phases; a reward-machine state number of
                          10 digits or more is refused at the number; the antichain of a
                          residual's cubes is pruned by 64-bit atom masks (the slowest of the
                          bench's 1000 random formulas: 10x fewer instructions);
                          formulas with F, U or M over more than 16 propositions are decided
                          on the residuals' diagrams, never over 2^k letters (were refused);
                          F F a = F a and G G a = G a in negation normal form (a fuzzed chain
                          of 36 G under X and ! ran past 60 s in the cube product); transfer by
                          counterfactual replay (saferl_shield_replay, a bounded store of real
                          steps in caller memory; saferl_shield_qtable_transfer_replay);
                          qtable_update and qtable_update_crm return a saferl_result and refuse
                          an index outside the table, a reward that is not finite and (CRM) an
                          automaton larger than the table, which wrote past it (were void);
                          next steps and bounded operators over one operand folded into one
                          window (X^i F[a..b] x = F[a+i..b+i] x), rules over one operand
                          with touching windows merged, X^i G x => X^j G x for i <= j (the
                          bench's 1000 random formulas: 7 over 5 ms to 1, 2.7x less in all);
                          a conjunction of rules over disjoint propositions compiled group
                          by group and joined by minimised products (bounded response
                          (4, 3) and (3, 6): 8.5-8.7x fewer instructions); a successor's
                          cube conjunctions and unions memoised as canonical forms, the
                          weakest cubes kept by testing each against the kept ones only
                          (the slowest of the bench's 1000 random formulas, a 180-state
                          monitor: 4.8x fewer instructions); a formula node made or
                          looked up counts 32 steps of the work limit (a refused formula
                          took 2.3x the time and memory of 0.4.0's refusal); a factored
                          HOA/DOT guard finds each cut in one sweep of its part of the
                          diagram, remembered per node (was one search per candidate: a
                          56-state monitor's 1.7 MB of guards, 3.6x fewer instructions);
                          each such guard factored along its own reduced diagram, not the
                          letter classifier (that monitor's HOA: 1.9 MB -> 3.9 KB); the
                          dense writer checks a trial cube on its own letters, not all 2^k
                          (16 propositions: 15x faster, the same text)
      0.4.0 (2026-12-04)  progressive safeguards: greedy near-ties broken at random
                          (tie_tolerance, reward_scale); transfer only from states at least
                          as strict (transfer takes the new automaton; transfer_donors
                          SAME_RULE), saferl_shield_dfa_at_least_as_strict,
                          saferl_shield_qtable_transfer_state (the official lazy rule);
                          the specification compiler closes on every formula: residuals in a
                          canonical form over the formula's atoms (antichain of minimal
                          cubes, Spot's implications, merged deadlines), progression memoised
                          (G(a) R G(b), G(a) W G(a) and G(p -> F[0..20] s) compile at lbt's
                          minimal sizes instead of running into the work limit), successors
                          memoised per state by the atoms' residuals; every text reader skips
                          a UTF-8 byte-order mark; abstraction and HOA state counts above
                          desc.max_states refused before allocating (a 38-byte file asked
                          for 4.2 GB); game_desc.threshold must lie in [0, 1] and has no
                          default (0 means 0); size-limit errors say line:column; "Fire"
                          read as F(ire) suggests quoting; game_explain lists only
                          reachable states (saferl_shield_game.reachable)
      0.3.1 (2026-11-21)  HOA and DOT writers factor guards along the diagram over more than
                          16 propositions (G !(a0 & b0) & ... over 16 pairs: complete HOA
                          10.5 MB -> 926 bytes); reward machines keep a sum of cubes
      0.3.0 (2026-11-21)  automata over up to 32 propositions: symbolic letters (classes of
                          labels and a decision diagram read in rows of up to 8 bits) above
                          16, dense tables kept below; safety LTL/LTLf compiled by symbolic
                          splitting; product, complement, equivalence, minimisation (canonical
                          letters), HOA/DOT/RM output on both; HOA read over 32 propositions
                          (guards as diagrams, never over every letter). HOA: Inf(0)
                          is a safety condition exactly when no unmarked cycle stays where an
                          accepting run remains (a fuzzed liveness file was read as another
                          language); a state declared twice is refused
      0.2.0 (2026-11-21)  shield synthesis (safety games, preemptive, post-posed and
                          probabilistic shields, unrealisability), abstraction text, gridworlds
                          from ASCII and RGBA, Minecraft safeguards, CRM Q-learning, transfer;
                          the bounds of one formula add up to at most 2000 steps (a longer
                          chain overflowed the stack)
      0.1.0 (2026-11-21)  first release: automata, monitors, LTL/past-time/LTLf, HOA, RM, DOT
*/
#ifndef SAFERL_SHIELD_H
#define SAFERL_SHIELD_H

#define SAFERL_SHIELD_VERSION_MAJOR 0
#define SAFERL_SHIELD_VERSION_MINOR 5
#define SAFERL_SHIELD_VERSION_PATCH 8
#define SAFERL_SHIELD_VERSION_STRING "0.5.8"

#if defined(SAFERL_IMPLEMENTATION) && !defined(SAFERL_SHIELD_IMPLEMENTATION)
#define SAFERL_SHIELD_IMPLEMENTATION
#endif

#ifndef SAFERL_SHIELD_API
#  if defined(SAFERL_SHIELD_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define SAFERL_SHIELD_API static __attribute__((unused)) /* no warning for what you don't call */
#  elif defined(SAFERL_SHIELD_STATIC)
#    define SAFERL_SHIELD_API static
#  else
#    define SAFERL_SHIELD_API extern
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

#define SAFERL_SHIELD_LABEL_BITS 32    /* propositions in a vocabulary: the bits of a label */
#define SAFERL_SHIELD_MAX_PROPS 32     /* propositions one automaton reads: the whole label */
#define SAFERL_SHIELD_DENSE_PROPS 16   /* up to this many: a dense table over all 2^k letters */
#define SAFERL_SHIELD_MAX_LETTERS 65536u /* letters (label classes) of a symbolic automaton */
#define SAFERL_SHIELD_LEAF 0x80000000u /* a decision-diagram reference that is a letter */
#define SAFERL_SHIELD__ROW_MASK 0x03FFFFFFu /* the row of a reference that is not a letter */
#define SAFERL_SHIELD_NAME_CAPACITY 32 /* bytes of a proposition name, with its NUL */
#define SAFERL_SHIELD_NO_STATE 0xFFFFFFFFu

/* per-state flags */
#define SAFERL_SHIELD_ACCEPTING 1u     /* the trace read so far is in the language */
#define SAFERL_SHIELD_TERMINAL 2u      /* a reward machine's terminal state (episode ends) */

typedef enum saferl_shield_semantics {
    SAFERL_SHIELD_SAFETY = 0, /* bad prefixes of an infinite-trace property: sink = violation */
    SAFERL_SHIELD_FINITE = 1  /* a language of finite non-empty traces: accepting states */
} saferl_shield_semantics;

typedef enum saferl_shield_logic {
    SAFERL_SHIELD_LTL = 0,        /* safety LTL, infinite traces (the default) */
    SAFERL_SHIELD_PAST_LTL = 1,   /* past-time LTL: G psi, or psi at the last step */
    SAFERL_SHIELD_LTLF = 2,       /* LTL on finite traces */
    SAFERL_SHIELD_AUTO_PAST = 3   /* safety LTL, or past-time when Y Z O H S appear */
} saferl_shield_logic;

/* A deterministic automaton over letters. Fields are public and read-only once built;
   next[(state << letter_bits) | letter] is the successor. Dense (k <= 16 propositions): the
   letters are the 2^k valuations, letter bit j = proposition j. Symbolic (k > 16): the letters
   are classes of labels that every state treats alike, and a decision diagram over the label
   bits maps a label to its class. */
typedef struct saferl_shield_dfa {
    uint32_t state_count;
    uint32_t prop_count;               /* k <= SAFERL_SHIELD_MAX_PROPS */
    uint32_t letter_count;             /* dense: 2^k; symbolic: the label classes (<= 65536) */
    uint32_t letter_bits;              /* row stride: letter_count <= 1 << letter_bits; dense: k */
    uint32_t initial;
    uint32_t sink;                     /* the violation sink, or SAFERL_SHIELD_NO_STATE */
    saferl_shield_semantics semantics;
    uint32_t *next;                    /* state_count << prop_count successors */
    double *reward;                    /* per edge, same shape, or NULL: the monitor's r_safe
                                          and r_violation apply */
    uint8_t *flags;                    /* per state: SAFERL_SHIELD_ACCEPTING | _TERMINAL */
    uint16_t *stage;                   /* per state: a tag kept by every operation (0) */
    uint32_t *node;                    /* symbolic: node_count rows of 1 << node_bits references;
                                          row r reads label bits node_shift[r] .. + node_bits - 1
                                          (entry = those bits' value). A reference is a letter
                                          (SAFERL_SHIELD_LEAF | letter) or a row: shift << 26 |
                                          row, the row's shift in it so a walk step is one load;
                                          children come after their parents. NULL: dense */
    uint32_t node_count;               /* rows */
    uint32_t node_bits;                /* label bits a row reads (1 .. 8) */
    uint8_t *node_shift;               /* per row: the first label bit it reads */
    uint32_t root;                     /* symbolic: the reference a label's walk starts from */
    uint32_t *letter_label;            /* symbolic: one label of each letter (NULL: dense) */
    uint8_t prop_bit[SAFERL_SHIELD_MAX_PROPS];   /* label bit of proposition j */
    char prop_name[SAFERL_SHIELD_MAX_PROPS][SAFERL_SHIELD_NAME_CAPACITY];
    uint16_t gather[4][256];           /* letter of a label: OR of the four bytes' entries */
    void *owned_memory;                /* set by builders; released by saferl_shield_dfa_destroy */
    saferl_allocator allocator;
} saferl_shield_dfa;

/* Where and why a text was refused. message is NUL-terminated. */
typedef struct saferl_shield_error {
    saferl_result code;
    uint32_t line;                     /* 1-based; 0 when the problem has no place */
    uint32_t column;                   /* 1-based byte column */
    char message[200];
} saferl_shield_error;

typedef struct saferl_shield_desc {
    saferl_shield_logic logic;         /* 0: safety LTL */
    const char *const *vocabulary;     /* optional: names of label bits 0 .. vocabulary_count-1;
                                          NULL: bits in order of first appearance */
    uint32_t vocabulary_count;         /* <= SAFERL_SHIELD_LABEL_BITS */
    uint32_t max_states;               /* refuse larger automata; 0 -> 1 << 20 */
    saferl_allocator allocator;        /* for the result and the scratch; zero -> SAFERL_MALLOC */
} saferl_shield_desc;

SAFERL_SHIELD_API const char *saferl_shield_version(void);

/* ---- the automaton, by hand ------------------------------------------------------------ */

/* Bytes for an automaton of state_count states over prop_count propositions (rewards: per-
   edge reward table or not); 0 when too large for size_t. */
SAFERL_SHIELD_API size_t saferl_shield_dfa_memory_size(uint32_t state_count, uint32_t prop_count,
                                                       int with_rewards);
/* Lays the automaton out on memory (8-byte aligned): every edge a self-loop, reward 0,
   flags ACCEPTING, stage 0, initial 0, no sink, SAFETY, proposition j named "p<j>" at bit j.
   Set fields, then call saferl_shield_dfa_finish. */
SAFERL_SHIELD_API saferl_result saferl_shield_dfa_init(saferl_shield_dfa *dfa, uint32_t state_count,
                                                       uint32_t prop_count, int with_rewards,
                                                       void *memory, size_t size);
SAFERL_SHIELD_API saferl_result saferl_shield_dfa_create(saferl_shield_dfa *dfa, uint32_t state_count,
                                                         uint32_t prop_count, int with_rewards,
                                                         const saferl_allocator *allocator);
SAFERL_SHIELD_API void saferl_shield_dfa_destroy(saferl_shield_dfa *dfa);
/* Names proposition j and puts it at label bit (< 32). */
SAFERL_SHIELD_API saferl_result saferl_shield_dfa_set_prop(saferl_shield_dfa *dfa, uint32_t j,
                                                           const char *name, uint32_t label_bit);
/* Checks the tables (successors in range, the sink absorbing and not accepting, distinct
   label bits and names) and computes the gather tables. Call after any change. */
SAFERL_SHIELD_API saferl_result saferl_shield_dfa_finish(saferl_shield_dfa *dfa);

/* The letter of a label: dense, the bits of the automaton's propositions gathered by four
   byte tables; symbolic, a walk down the rows of the decision diagram, one dependent load
   per row (at most 32 / node_bits of them: 4 with byte rows). */
static inline uint32_t saferl_shield_letter(const saferl_shield_dfa *dfa, uint32_t label) {
    if (dfa->node) {
        const uint32_t *node = dfa->node, bits = dfa->node_bits, mask = (1u << bits) - 1u;
        uint32_t at = dfa->root;
        while (!(at & SAFERL_SHIELD_LEAF))
            at = node[((size_t)(at & SAFERL_SHIELD__ROW_MASK) << bits) | ((label >> (at >> 26)) & mask)];
        return at & ~SAFERL_SHIELD_LEAF;
    }
    return (uint32_t)dfa->gather[0][label & 255u] | dfa->gather[1][(label >> 8) & 255u] |
           dfa->gather[2][(label >> 16) & 255u] | dfa->gather[3][label >> 24];
}
/* The successor of state on label: one table lookup. */
static inline uint32_t saferl_shield_next(const saferl_shield_dfa *dfa, uint32_t state, uint32_t label) {
    return dfa->next[((size_t)state << dfa->letter_bits) | saferl_shield_letter(dfa, label)];
}
/* The label with exactly the propositions of letter true. */
SAFERL_SHIELD_API uint32_t saferl_shield_label_of_letter(const saferl_shield_dfa *dfa, uint32_t letter);

/* ---- monitors ---------------------------------------------------------------------------- */

typedef struct saferl_shield_monitor {
    const saferl_shield_dfa *dfa;      /* shared, read-only */
    uint32_t state;
    uint32_t steps;                    /* labels read since the reset */
    uint32_t first_violation;          /* 1-based step that entered the sink; 0: none yet */
    double r_safe;                     /* reward of a step that does not enter the sink */
    double r_violation;                /* reward of the step that enters the sink (and 0 after:
                                          end the episode there, as the safeguards do) */
} saferl_shield_monitor;

SAFERL_SHIELD_API void saferl_shield_monitor_init(saferl_shield_monitor *monitor,
                                                  const saferl_shield_dfa *dfa, double r_safe,
                                                  double r_violation);
SAFERL_SHIELD_API void saferl_shield_monitor_reset(saferl_shield_monitor *monitor);
/* Reads one label; returns the new state, *reward (optional) gets the shaped reward: the
   automaton's edge reward when it has a table, else r_safe / r_violation / 0 as above. */
SAFERL_SHIELD_API uint32_t saferl_shield_monitor_step(saferl_shield_monitor *monitor, uint32_t label,
                                                      double *reward);
SAFERL_SHIELD_API int saferl_shield_monitor_violated(const saferl_shield_monitor *monitor);
SAFERL_SHIELD_API int saferl_shield_monitor_accepting(const saferl_shield_monitor *monitor);
SAFERL_SHIELD_API uint16_t saferl_shield_monitor_stage(const saferl_shield_monitor *monitor);

/* ---- specifications ---------------------------------------------------------------------- */

/* Compiles a formula (desc.logic says which kind) to a minimal automaton. */
SAFERL_SHIELD_API saferl_result saferl_shield_compile(const char *text, size_t length,
                                                      const saferl_shield_desc *desc,
                                                      saferl_shield_dfa *dfa, saferl_shield_error *error);

/* ---- operations (results are new automata; allocator may be NULL: SAFERL_MALLOC) ---------- */

SAFERL_SHIELD_API saferl_result saferl_shield_minimize(const saferl_shield_dfa *dfa, saferl_shield_dfa *out,
                                                       const saferl_allocator *allocator);

typedef enum saferl_shield_combine {
    SAFERL_SHIELD_INTERSECTION = 0,    /* safe when both are (both specifications hold) */
    SAFERL_SHIELD_UNION = 1
} saferl_shield_combine;

/* Product over the union of the two automata's propositions (matched by name; the same name
   must sit at the same label bit). Stages are a's; edge rewards add up. Minimised. */
SAFERL_SHIELD_API saferl_result saferl_shield_product(const saferl_shield_dfa *a, const saferl_shield_dfa *b,
                                                      saferl_shield_combine combine, saferl_shield_dfa *out,
                                                      const saferl_allocator *allocator);
/* The complement as a FINITE-semantics automaton: for a SAFETY automaton, the bad prefixes
   (the traces that already violate); for a FINITE one, the other non-empty traces. */
SAFERL_SHIELD_API saferl_result saferl_shield_complement(const saferl_shield_dfa *dfa, saferl_shield_dfa *out,
                                                         const saferl_allocator *allocator);
/* *equal = 1 when a and b accept the same finite traces. Otherwise a shortest trace on which
   they differ goes to trace (labels over the union of propositions; up to capacity, NULL is
   fine) and *trace_length gets its length (the empty trace when the initial states differ).
   SAFERL_ERR_UNSUPPORTED when |a| x |b| is above 2^28 pairs. */
SAFERL_SHIELD_API saferl_result saferl_shield_equivalent(const saferl_shield_dfa *a, const saferl_shield_dfa *b,
                                                         int *equal, uint32_t *trace, size_t capacity,
                                                         size_t *trace_length,
                                                         const saferl_allocator *allocator);

/* ---- files --------------------------------------------------------------------------------- */

/* Writers fill buffer (NUL-terminated, up to capacity) and set *length to the text's length
   without the NUL; SAFERL_ERR_BUFFER_TOO_SMALL when capacity <= that length (call with
   capacity 0 to learn the size). */
typedef enum saferl_shield_hoa_style {
    SAFERL_SHIELD_HOA_MONITOR = 0,     /* Spot's monitor form: no sink, a missing edge is a
                                          violation; acc-name: all (SAFETY automata only) */
    SAFERL_SHIELD_HOA_COMPLETE = 1     /* every edge, the sink kept; Buchi Inf(0) on the
                                          accepting states (FINITE: saferl-semantics: finite) */
} saferl_shield_hoa_style;

SAFERL_SHIELD_API saferl_result saferl_shield_write_hoa(const saferl_shield_dfa *dfa, saferl_shield_hoa_style style,
                                                        const char *name, char *buffer, size_t capacity,
                                                        size_t *length);
SAFERL_SHIELD_API saferl_result saferl_shield_write_dot(const saferl_shield_dfa *dfa, const char *name,
                                                        char *buffer, size_t capacity, size_t *length);
/* Reward-machine text: the initial state, the list of terminal states, one line
   (u1,u2,'dnf',ConstantRewardFunction(r)) per guard. Propositions must be one character. */
SAFERL_SHIELD_API saferl_result saferl_shield_write_rm(const saferl_shield_dfa *dfa, char *buffer,
                                                       size_t capacity, size_t *length);

/* HOA v1: deterministic, one Start, explicit, implicit or state labels, acceptance t (every
   run accepted: a missing edge goes to a new sink), f, or Inf(0) (a safety language: states
   or edges without the mark only lead where no accepting run remains; with the header
   "saferl-semantics: finite", marked states are the accepting states of a FINITE automaton).
   AP names go through desc.vocabulary like formula names; desc.logic is not looked at. */
SAFERL_SHIELD_API saferl_result saferl_shield_read_hoa(const char *text, size_t length,
                                                       const saferl_shield_desc *desc,
                                                       saferl_shield_dfa *dfa, saferl_shield_error *error);
/* Reward machine. The first edge (in file order) whose guard holds wins, as in the original
   code, but each edge is kept by (source, guard): two edges between the same states, or to
   two terminal states, stay distinct. Terminal states keep their own ids (TERMINAL, self-
   loops, reward 0); a letter no guard covers goes to the sink ("fell off the machine",
   reward 0). Stage = the state's number in the file. Not minimised. */
SAFERL_SHIELD_API saferl_result saferl_shield_read_rm(const char *text, size_t length,
                                                      const saferl_shield_desc *desc,
                                                      saferl_shield_dfa *dfa, saferl_shield_error *error);

typedef enum saferl_shield_format {
    SAFERL_SHIELD_FORMULA = 0,
    SAFERL_SHIELD_HOA = 1,
    SAFERL_SHIELD_REWARD_MACHINE = 2
} saferl_shield_format;

/* The format of a text by its content: "HOA:" first, or a number line then a [list] line. */
SAFERL_SHIELD_API saferl_shield_format saferl_shield_detect_format(const char *text, size_t length);
/* Detects and reads any of the three; formulas are compiled with desc.logic (minimal). */
SAFERL_SHIELD_API saferl_result saferl_shield_load(const char *text, size_t length,
                                                   const saferl_shield_desc *desc,
                                                   saferl_shield_dfa *dfa, saferl_shield_error *error);


/* ==== part 2: shield synthesis, gridworlds, progressive safeguards ======================== */

#define SAFERL_SHIELD_MAX_ACTIONS 32   /* actions of an abstraction: one bit each in a mask */

/* A finite abstraction of the environment: states, actions, successor sets (or
   distributions) and a labelling function. successor[offset[s * action_count + a] ..
   offset[s * action_count + a + 1]) are the states that action a can lead to from s; an
   empty set means a is not available in s. The arrays are the caller's (or, from
   saferl_shield_read_abstraction, one owned block). */
typedef struct saferl_shield_abstraction {
    uint32_t state_count;
    uint32_t action_count;             /* 1 .. SAFERL_SHIELD_MAX_ACTIONS */
    uint32_t initial;
    const uint32_t *label;             /* per state: the label (proposition bits) true there */
    const uint32_t *offset;            /* state_count * action_count + 1, offset[0] = 0 */
    const uint32_t *successor;
    const double *probability;         /* NULL, or per successor: > 0, summing to 1 per (s, a) */
    uint32_t prop_count;               /* read_abstraction: names of label bits 0 .. prop_count-1 */
    char prop_name[SAFERL_SHIELD_LABEL_BITS][SAFERL_SHIELD_NAME_CAPACITY];
    void *owned_memory;                /* released by saferl_shield_abstraction_destroy */
    saferl_allocator allocator;
} saferl_shield_abstraction;

typedef struct saferl_shield_game_desc {
    uint32_t horizon;                  /* probabilistic shield: steps looked ahead (0: none; it
                                          needs the abstraction's probabilities) */
    double threshold;                  /* allow a when P(no violation within horizon | a, then
                                          the safest play) >= threshold, in [0, 1]; no default:
                                          it states your risk (0 means 0: every action) */
} saferl_shield_game_desc;

/* The safety game of an automaton against an abstraction, solved. Game state
   g = s * automaton_state_count + q, where q is the automaton's state after reading the
   label of abstraction state s. Fields are read-only. */
typedef struct saferl_shield_game {
    uint32_t env_state_count, automaton_state_count, action_count;
    uint32_t game_state_count;
    uint32_t initial;                  /* game state of the abstraction's initial state */
    uint32_t winning_count;            /* |W| */
    int initial_winning;
    uint32_t *allowed;                 /* per game state: the preemptive shield's mask (the
                                          actions all of whose successors stay in W; 0 out of W) */
    uint32_t *losing_rank;             /* per game state: 0 in W; r >= 1: whatever the agent
                                          does, the environment can force a violation within
                                          r - 1 steps (1: violated, or no
                                          action is available) */
    uint32_t *allowed_probably;        /* probabilistic shield's masks, or NULL */
    double *safety;                    /* per game state: max P(no violation within horizon) */
    uint32_t below_threshold;          /* game states where no action reaches the threshold
                                          (their mask holds the safest actions) */
    uint32_t horizon;
    double threshold;
    uint8_t *reachable;                /* per game state: 1 when some play from the initial state
                                          reaches it (any actions, any successors) */
    /* scratch kept for saferl_shield_game_solve, so solving again does not allocate */
    size_t edge_capacity;
    uint32_t *letter_id, *letter_next, *pred_offset, *pred, *queue, letter_capacity;
    double *value_scratch;
    void *owned_memory;
    saferl_allocator allocator;
} saferl_shield_game;

/* Bytes for the game of dfa against abstraction (0: too large). */
SAFERL_SHIELD_API size_t saferl_shield_game_memory_size(const saferl_shield_abstraction *abstraction,
                                                        const saferl_shield_dfa *dfa,
                                                        const saferl_shield_game_desc *desc);
/* Lays the game out on memory (8-byte aligned) and solves it. A violation is entering the
   automaton's sink. SAFERL_OK whenever the inputs are valid, the game complete and usable,
   also when the specification is unrealisable (the initial state loses): ask
   saferl_shield_game_realisable, read losing_rank and saferl_shield_game_explain for where it
   fails, and use the probabilistic shield (allowed_probably) there. A negative result
   (SAFERL_ERR_INVALID_ARGUMENT with the state, action and successor in error->message for a
   malformed abstraction, a bad threshold, a small buffer) leaves *game as it was. */
SAFERL_SHIELD_API saferl_result saferl_shield_game_init(saferl_shield_game *game,
                                                        const saferl_shield_abstraction *abstraction,
                                                        const saferl_shield_dfa *dfa,
                                                        const saferl_shield_game_desc *desc, void *memory,
                                                        size_t size, saferl_shield_error *error);
SAFERL_SHIELD_API saferl_result saferl_shield_game_create(saferl_shield_game *game,
                                                          const saferl_shield_abstraction *abstraction,
                                                          const saferl_shield_dfa *dfa,
                                                          const saferl_shield_game_desc *desc,
                                                          const saferl_allocator *allocator,
                                                          saferl_shield_error *error);
SAFERL_SHIELD_API void saferl_shield_game_destroy(saferl_shield_game *game);
/* Solves again after the abstraction changed (labels, successors) within the sizes the game
   was laid out for; allocates nothing. Results as saferl_shield_game_init. */
SAFERL_SHIELD_API saferl_result saferl_shield_game_solve(saferl_shield_game *game,
                                                         const saferl_shield_abstraction *abstraction,
                                                         const saferl_shield_dfa *dfa, saferl_shield_error *error);
/* 1 when the initial state wins: the preemptive shield (allowed) keeps every play out of
   the sink. 0 when the environment can force a violation from the start; then *why (may be
   NULL) says which state and within how many steps. A probabilistic game's start meets the
   threshold when safety[initial] >= threshold. */
SAFERL_SHIELD_API int saferl_shield_game_realisable(const saferl_shield_game *game, saferl_shield_error *why);
/* The game state of abstraction state s with automaton state q. */
static inline uint32_t saferl_shield_game_state(const saferl_shield_game *game, uint32_t s, uint32_t q) {
    return s * game->automaton_state_count + q;
}
/* Preemptive shield: the allowed actions in (s, q), one load. */
static inline uint32_t saferl_shield_game_allowed(const saferl_shield_game *game, uint32_t s, uint32_t q) {
    return game->allowed[(size_t)s * game->automaton_state_count + q];
}
/* Post-posed shield: the first of the agent's k ranked actions that the preemptive shield
   allows; if none is, the fixed fallback, the lowest-numbered allowed action (*corrected =
   1 in both cases when ranked[0] was replaced). Outside W nothing is safe: ranked[0] is
   returned and *corrected = -1. mask: the game's allowed masks, or allowed_probably. */
SAFERL_SHIELD_API uint32_t saferl_shield_game_correct(const saferl_shield_game *game, const uint32_t *mask,
                                                      uint32_t s, uint32_t q, const uint32_t *ranked,
                                                      uint32_t k, int *corrected);
/* Why the initial state is (or is not) winning, in words: its losing rank, |W|, and up to 16
   losing states that some play reaches and that have not violated yet, with their ranks.
   Writer convention as for HOA. */
SAFERL_SHIELD_API saferl_result saferl_shield_game_explain(const saferl_shield_game *game, char *buffer,
                                                           size_t capacity, size_t *length);

/* Abstraction text, one item a line ('#' starts a comment):
      states N actions A initial I
      label S name name ...        propositions true in state S
      S A: T T ...                 successors of action A in state S
      S A: T@0.9 U@0.1             or a distribution (a line without @: one successor, p = 1)
   Names take label bits through desc.vocabulary when given, else in order of first
   appearance (prop_name). Errors give line and column: a successor that is not a state
   (dangling), a repeated (S, A), probabilities that do not sum to 1, more states than
   desc.max_states (0: 1 << 20; checked before anything is allocated). */
SAFERL_SHIELD_API saferl_result saferl_shield_read_abstraction(const char *text, size_t length,
                                                               const saferl_shield_desc *desc,
                                                               saferl_shield_abstraction *abstraction,
                                                               saferl_shield_error *error);
SAFERL_SHIELD_API void saferl_shield_abstraction_destroy(saferl_shield_abstraction *abstraction);

/* ---- gridworlds ----------------------------------------------------------------------------- */

#define SAFERL_SHIELD_CELL_WALL 1u     /* cannot be entered */
#define SAFERL_SHIELD_CELL_START 2u    /* the start (exactly one) */
#define SAFERL_SHIELD_CELL_GOAL 4u     /* reaching it ends the episode with the task reward */
#define SAFERL_SHIELD_CELL_ITEM 8u     /* moved by saferl_shield_grid_place_items */

/* One kind of cell: its ASCII character, its colour in an image, what it is, and the
   propositions true on it (the labelling function). */
typedef struct saferl_shield_legend_entry {
    char symbol;
    uint8_t rgba[4];
    uint32_t flags;
    uint32_t label;
    const char *name;
} saferl_shield_legend_entry;

/* Actions of a grid: right, up, left, down, stay (SlipperyGrid's order). */
enum { SAFERL_SHIELD_RIGHT = 0, SAFERL_SHIELD_UP = 1, SAFERL_SHIELD_LEFT = 2, SAFERL_SHIELD_DOWN = 3,
       SAFERL_SHIELD_STAY = 4, SAFERL_SHIELD_GRID_ACTIONS = 5 };

typedef struct saferl_shield_grid {
    uint32_t width, height;            /* cell = y * width + x, y = 0 the top row */
    uint32_t start;
    uint8_t *kind;                     /* per cell: index into the legend */
    uint32_t *label;                   /* per cell: the legend entry's label */
    const saferl_shield_legend_entry *legend;
    uint32_t legend_count;             /* <= 255 */
    void *owned_memory;
    saferl_allocator allocator;
} saferl_shield_grid;

SAFERL_SHIELD_API size_t saferl_shield_grid_memory_size(uint32_t width, uint32_t height);
/* A grid of legend[0] cells on your memory; set kind[], then saferl_shield_grid_finish. */
SAFERL_SHIELD_API saferl_result saferl_shield_grid_init(saferl_shield_grid *grid, uint32_t width, uint32_t height,
                                                        const saferl_shield_legend_entry *legend,
                                                        uint32_t legend_count, void *memory, size_t size);
/* Labels from kinds, the start found; SAFERL_ERR_PARSE without exactly one start. */
SAFERL_SHIELD_API saferl_result saferl_shield_grid_finish(saferl_shield_grid *grid, saferl_shield_error *error);
/* ASCII map: one row a line, all rows as wide; each character a legend symbol. */
SAFERL_SHIELD_API saferl_result saferl_shield_grid_read_text(const char *text, size_t length,
                                                             const saferl_shield_legend_entry *legend,
                                                             uint32_t legend_count, saferl_shield_grid *grid,
                                                             const saferl_allocator *allocator,
                                                             saferl_shield_error *error);
/* A decoded RGBA image (4 bytes a pixel, row-major), one pixel a cell; each pixel's colour
   must be a legend colour (error: line = y + 1, column = x + 1, and the colour). */
SAFERL_SHIELD_API saferl_result saferl_shield_grid_read_rgba(const uint8_t *pixels, uint32_t width,
                                                             uint32_t height,
                                                             const saferl_shield_legend_entry *legend,
                                                             uint32_t legend_count, saferl_shield_grid *grid,
                                                             const saferl_allocator *allocator,
                                                             saferl_shield_error *error);
SAFERL_SHIELD_API void saferl_shield_grid_destroy(saferl_shield_grid *grid);
/* The cell an action leads to without slipping (walls and edges: stay). */
SAFERL_SHIELD_API uint32_t saferl_shield_grid_move(const saferl_shield_grid *grid, uint32_t cell, uint32_t action);
/* One step of SlipperyGrid: with probability slip the action is replaced by a uniformly
   drawn one of the five (which may be the same). */
SAFERL_SHIELD_API uint32_t saferl_shield_grid_step(const saferl_shield_grid *grid, uint32_t cell, uint32_t action,
                                                   double slip, saferl_rng *rng);
/* Item placement at reset: grid gets base's cells with each ITEM cell moved to one of its
   four neighbours with probability shift each (only onto plain cells: no flags, label 0). */
SAFERL_SHIELD_API void saferl_shield_grid_place_items(saferl_shield_grid *grid, const saferl_shield_grid *base,
                                                      double shift, saferl_rng *rng);
/* The grid as an abstraction (states = cells, 5 actions, slips as successor sets with their
   probabilities). offset: cells * 5 + 1 entries, successor and probability: cells * 25. The
   labels are the grid's own array: placing items changes the abstraction with it. */
SAFERL_SHIELD_API void saferl_shield_grid_abstraction(const saferl_shield_grid *grid, double slip,
                                                      saferl_shield_abstraction *abstraction, uint32_t *offset,
                                                      uint32_t *successor, double *probability);

/* The Minecraft-inspired world of the Progressive Safeguards code: its legend (propositions
   lava 0, creeper 1, wood 2, work_bench 3, iron 4, smith_table 5, diamond 6), a map, and
   the four safeguards (level 0..3 = minecraft_1, _2, _6, _7) as automata with stable state
   ids (state k = stage k, stage[k] = k; the sink is state 5 at every level; a level uses
   states 0 .. saferl_shield_minecraft_states(level) - 1). */
#define SAFERL_SHIELD_MINECRAFT_SLIP 0.05
#define SAFERL_SHIELD_MINECRAFT_SHIFT 0.05
SAFERL_SHIELD_API const saferl_shield_legend_entry *saferl_shield_minecraft_legend(uint32_t *count);
SAFERL_SHIELD_API const char *saferl_shield_minecraft_map(void);
SAFERL_SHIELD_API uint32_t saferl_shield_minecraft_states(uint32_t level);
/* memory: saferl_shield_dfa_memory_size(6, 6, 0) bytes. */
SAFERL_SHIELD_API saferl_result saferl_shield_minecraft_safeguard(uint32_t level, saferl_shield_dfa *dfa,
                                                                  void *memory, size_t size);

/* ---- progressive safeguards: tabular Q-learning on the product ---------------------------- */

/* Which earlier automaton states give their values to a new one at a stage change.
   STRICTER: those whose rule is at least as strict (they carry safety bias forward, never a
   crossing the new rule forbids; but where the new rule allows more, e.g. lava once wood and
   a bench are held, they also carry the old avoidance, so what the stage allows is rarely
   explored: on the gridworld example the curriculum then seldom reaches the diamond).
   SAME_RULE: only those forbidding exactly the same letters (states whose rule changed
   start from zero and explore).
   Why STRICTER is the default (from the paper, not from the example's numbers): Progressive
   Safeguards trains over "increasingly riskier tasks" so that a "sense of safety is carried
   over from task to task", and the transfer of that "safety bias" is what it credits for
   few violations and for adapting to a new specification "using only a small number of
   training samples". Its own code does exactly that into the states a riskier rule adds:
   the gridworld averages every earlier state into a new one (minecraft_7 trains 2 episodes
   and lives on the transfer), and VizDoom fine-tunes the previous stage's network, which
   avoids lava, into the stage where a radiation suit allows it. In a progression that only
   relaxes, every earlier state is stricter, so STRICTER is the official rule there; it
   drops only laxer donors, whose values would carry the opposite of safety bias. SAME_RULE
   starts each state that a riskier rule adds from zero, which is the zero-shot baseline the
   paper compares against, not its method. The price is exploration: what the new rule
   allows is learned slowly (examples/safeguard_gridworld measures it). */
typedef enum saferl_shield_transfer_donors {
    SAFERL_SHIELD_DONORS_STRICTER = 0,
    SAFERL_SHIELD_DONORS_SAME_RULE = 1
} saferl_shield_transfer_donors;

/* Q(s, q, a) over environment states x automaton states x actions, with the safeguard reward
   and counterfactual updates for every automaton state (CRM). */
typedef struct saferl_shield_qtable {
    uint32_t env_state_count, automaton_state_count, action_count;
    double alpha;                      /* learning rate (0.5) */
    double gamma;                      /* discount (0.95) */
    double epsilon;                    /* exploration (0.1) */
    double r_safe, r_violation;        /* safeguard reward of a step (0, -1) */
    double tie_tolerance;              /* greedy ties: values within tie_tolerance x
                                          reward_scale of the best (1e-6; 0: exact ties) */
    double reward_scale;               /* largest |r| the table has learned from (kept by
                                          the updates: the tolerance follows the rewards) */
    saferl_shield_transfer_donors transfer_donors; /* who donates at a stage change
                                          (SAFERL_SHIELD_DONORS_STRICTER, the safe default) */
    double *value;                     /* ((s * Q) + q) * A + a */
    uint8_t *seen;                     /* per (s, q): updated at least once */
} saferl_shield_qtable;

SAFERL_SHIELD_API size_t saferl_shield_qtable_memory_size(uint32_t env_states, uint32_t automaton_states,
                                                          uint32_t actions);
/* All values 0, the defaults above; memory 8-byte aligned. */
SAFERL_SHIELD_API saferl_result saferl_shield_qtable_init(saferl_shield_qtable *table, uint32_t env_states,
                                                          uint32_t automaton_states, uint32_t actions,
                                                          void *memory, size_t size);
/* Epsilon-greedy among the actions in mask (0: all). The greedy action is drawn uniformly
   among the near-best: values within tie_tolerance * reward_scale of the best. Why: where
   no reward is reachable yet (a curriculum's first, strict stages) values are tiny
   discounted echoes of distant violations (-1e-57 .. -1e-6 of a reward); breaking only
   exact ties turns them into one fixed "least risky" walk and exploration collapses. A
   millionth of the largest reward is a difference no policy should be forced by. */
SAFERL_SHIELD_API uint32_t saferl_shield_qtable_act(const saferl_shield_qtable *table, uint32_t s, uint32_t q,
                                                    uint32_t mask, double epsilon, saferl_rng *rng);
/* The actions in mask ordered by value, best first (for the post-posed shield); returns k. */
SAFERL_SHIELD_API uint32_t saferl_shield_qtable_rank(const saferl_shield_qtable *table, uint32_t s, uint32_t q,
                                                     uint32_t *ranked);
/* One Q-learning update; target r when done, else r + gamma max_a' Q(s2, q2, a').
   SAFERL_ERR_INVALID_ARGUMENT for a state or action outside the table, SAFERL_ERR_NOT_FINITE
   for a reward that is not finite; the table is then unchanged. */
SAFERL_SHIELD_API saferl_result saferl_shield_qtable_update(saferl_shield_qtable *table, uint32_t s, uint32_t q,
                                                            uint32_t a, double r, uint32_t s2, uint32_t q2, int done);
/* CRM: one real step (s, a) -> s2 with label2 = the label of s2 and the task's reward and
   end, learned for every automaton state u < active_states other than the sink: u2 =
   dfa(u, label2), reward task_reward + r_safe (r_violation when u2 is the sink), done when
   the task ends or u2 is the sink. SAFERL_ERR_INVALID_ARGUMENT when the automaton has more
   states than the table (a successor would have no place), for a state or action outside
   the table; SAFERL_ERR_NOT_FINITE for a reward that is not finite; the table is then
   unchanged. */
SAFERL_SHIELD_API saferl_result saferl_shield_qtable_update_crm(saferl_shield_qtable *table,
                                                                const saferl_shield_dfa *dfa, uint32_t active_states,
                                                                uint32_t s, uint32_t a, uint32_t s2, uint32_t label2,
                                                                double task_reward, int task_done);
/* 1 when automaton state `stricter` forbids every letter that `state` forbids (a letter
   is forbidden in q when it leads from q into the sink): whatever is safe for one step
   under `stricter` is safe under `state`. 0 otherwise, and for the sink or states out of
   range. Costs state x letters loads. */
SAFERL_SHIELD_API int saferl_shield_dfa_at_least_as_strict(const saferl_shield_dfa *dfa, uint32_t stricter,
                                                           uint32_t state);
/* One product state (s, q) not seen yet gets the mean of Q(s, i, .) over the donors i
   that are seen (values unchanged when none is, or when (s, q) is seen). Returns the
   number of donors averaged. The official code's lazy rule calls this at first visit. */
SAFERL_SHIELD_API uint32_t saferl_shield_qtable_transfer_state(saferl_shield_qtable *table, uint32_t s, uint32_t q,
                                                               const uint32_t *donors, uint32_t donor_count);
/* Transfer to the next safeguard dfa: every (s, q) with from_states <= q < to_states not
   seen yet gets the mean of Q(s, i, .) over the seen i < from_states whose rule is at least
   as strict as q's (saferl_shield_dfa_at_least_as_strict in dfa; with table->transfer_donors
   SAME_RULE, exactly as strict; at most the first 64 such i). Why not every earlier
   state, as the official code does: the progressions relax rules as tools are acquired
   (lava allowed with wood and a bench, creepers with armour); a value learned under a
   stricter rule is a cautious estimate under a laxer one, but one learned under a laxer
   rule is an optimistic, wrong one (minecraft_7's armour state 4 forbids the lava that
   state 2 learned to cross), which is the opposite of carrying safety bias forward. */
SAFERL_SHIELD_API void saferl_shield_qtable_transfer(saferl_shield_qtable *table, const saferl_shield_dfa *dfa,
                                                     uint32_t from_states, uint32_t to_states);

/* ---- transfer by counterfactual replay --------------------------------------------------- */

/* Why a third transfer (decided from the argument, before any run): CRM already learns every
   automaton state from each real step. The states a new stage adds were not active, so the
   earlier steps taught them nothing, and the copying transfer fills them with values learned
   under other rules: a stricter donor's value for stepping into lava carries its -1, also
   into a state whose rule allows lava, so what the stage allows is seldom explored. Replaying
   the earlier stages' real steps (s, a, s2, label2, task reward, task end) through CRM under
   the NEW automaton, into the new states only, gives them the values CRM would have learned
   had they been active all along: a violation the new rule still forbids keeps its penalty,
   learned from the steps that met it, and one it allows carries none. That is the paper's
   "safety bias" carried over, no more and no less; it needs no order of strictness between
   states (a progression may also tighten), and the older states are left as they were (they
   learned from these steps already). One pass in the stored order: when the new states lead
   only to new states (as a relaxing progression's do), their values equal Q-learning on the
   same steps, exactly. The price is the store, in caller memory and bounded: a ring of the
   latest `capacity` steps (24 bytes each); older steps are overwritten and not replayed.
   Hence the transfer to use when the steps can be kept; saferl_shield_qtable_transfer (its
   default STRICTER) remains for a caller without the memory and keeps its default. */
typedef struct saferl_shield_step {
    double task_reward;                /* the task's reward of the step (no safeguard reward) */
    uint32_t s, s2;                    /* environment state before and after */
    uint32_t label2;                   /* the label of s2 */
    uint16_t a;                        /* the action */
    uint16_t task_done;                /* 1 when the task ended with this step */
} saferl_shield_step;

typedef struct saferl_shield_replay {
    saferl_shield_step *step;          /* step[next] is the oldest once count == capacity */
    size_t capacity, count, next;
} saferl_shield_replay;

SAFERL_SHIELD_API size_t saferl_shield_replay_memory_size(size_t capacity);
/* An empty store of `capacity` steps (>= 1) in memory (8-byte aligned). */
SAFERL_SHIELD_API saferl_result saferl_shield_replay_init(saferl_shield_replay *replay, size_t capacity, void *memory,
                                                          size_t size);
/* Stores one real step (the oldest is overwritten when full). The values are checked when
   replayed, against the table and automaton they are replayed into. */
SAFERL_SHIELD_API void saferl_shield_replay_push(saferl_shield_replay *replay, uint32_t s, uint32_t a, uint32_t s2,
                                                 uint32_t label2, double task_reward, int task_done);
/* Transfer to the next safeguard dfa by replay: every stored step, oldest first, is learned
   by CRM for the automaton states from_states <= u < to_states (the sink skipped) and no
   others. Refused, with the table unchanged: from_states >= to_states, to_states beyond the
   dfa, a dfa with more states than the table, a new state already learned in some s (a
   replay would count steps twice), a stored step out of the table's range or with a task
   reward that is not finite (SAFERL_ERR_NOT_FINITE). No allocation; costs steps x new
   states updates. */
SAFERL_SHIELD_API saferl_result saferl_shield_qtable_transfer_replay(saferl_shield_qtable *table,
                                                                     const saferl_shield_dfa *dfa,
                                                                     uint32_t from_states, uint32_t to_states,
                                                                     const saferl_shield_replay *replay);

#ifdef __cplusplus
}
#endif
#endif /* SAFERL_SHIELD_H */

/* ======================================================================================== */
/*                                    IMPLEMENTATION                                        */
/* ======================================================================================== */
#ifdef SAFERL_SHIELD_IMPLEMENTATION
#ifndef SAFERL_SHIELD_IMPLEMENTATION_ONCE
#define SAFERL_SHIELD_IMPLEMENTATION_ONCE

#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef SAFERL_ASSERT
#include <assert.h>
#define SAFERL_ASSERT(x) assert(x)
#endif
#ifndef SAFERL_SHIELD_MEMO_RESET
#define SAFERL_SHIELD_MEMO_RESET (1u << 20)
#endif
/* The tests count the memo resets (0: progression, 1: cube lists) to know they reached them. */
#ifndef SAFERL_SHIELD__COUNT_MEMO_RESET
#define SAFERL_SHIELD__COUNT_MEMO_RESET(which) ((void)0)
#endif
#if defined(SAFERL_MALLOC) != defined(SAFERL_FREE)
#error "define both SAFERL_MALLOC and SAFERL_FREE, or neither"
#endif
#ifndef SAFERL_MALLOC
#define SAFERL_MALLOC(size, ctx) ((void)(ctx), malloc(size))
#define SAFERL_FREE(pointer, ctx) ((void)(ctx), free(pointer))
#endif

SAFERL_SHIELD_API const char *saferl_shield_version(void) { return SAFERL_SHIELD_VERSION_STRING; }

/* ---- memory and errors ------------------------------------------------------------------- */

static void *saferl_shield__allocate(const saferl_allocator *allocator, size_t size) {
    if (size == 0) size = 1;
    if (allocator && allocator->allocate) return allocator->allocate(size, allocator->user_data);
    return SAFERL_MALLOC(size, allocator ? allocator->user_data : NULL);
}

static void saferl_shield__release(const saferl_allocator *allocator, void *pointer) {
    if (!pointer) return;
    if (allocator && allocator->release) allocator->release(pointer, allocator->user_data);
    else SAFERL_FREE(pointer, allocator ? allocator->user_data : NULL);
}

static saferl_result saferl_shield__fail(saferl_shield_error *error, saferl_result code, uint32_t line,
                                         uint32_t column, const char *message, const char *detail) {
    if (error) {
        size_t n = 0, i;
        error->code = code;
        error->line = line;
        error->column = column;
        for (i = 0; message[i] && n + 1 < sizeof error->message; ++i) error->message[n++] = message[i];
        if (detail)
            for (i = 0; detail[i] && n + 1 < sizeof error->message; ++i) error->message[n++] = detail[i];
        error->message[n] = '\0';
    }
    return code;
}

static void saferl_shield__clear_error(saferl_shield_error *error) {
    if (error) {
        error->code = SAFERL_OK;
        error->line = error->column = 0;
        error->message[0] = '\0';
    }
}

/* Every text reader starts here: a UTF-8 byte-order mark is skipped (an editor's, not the
   text's), so line 1, column 1 is the first character after it. */
static void saferl_shield__skip_bom(const char **text, size_t *length) {
    if (*text && *length >= 3 && memcmp(*text, "\xEF\xBB\xBF", 3) == 0) {
        *text += 3;
        *length -= 3;
    }
}

/* ---- the text cursor: every parser (formulas, HOA, reward machines, abstractions, maps)
   reads through one. It knows the position, line and column, scans numbers, names and quoted
   strings, and keeps the first error with its line:column (later ones are consequences). */
typedef struct saferl_shield__cursor {
    const char *text;
    size_t length, pos, line_start;    /* line_start: where the current line begins */
    uint32_t line;                     /* 1-based */
    saferl_shield_error *error;
    saferl_result code;                /* the first error's code */
    int failed;
} saferl_shield__cursor;

#define SAFERL_SHIELD__NUMBER_CAP 1000000000ul /* numbers saturate here: above every limit we check */

static void saferl_shield__cursor_start(saferl_shield__cursor *c, const char *text, size_t length,
                                        saferl_shield_error *error) {
    memset(c, 0, sizeof *c);
    if (!text) length = 0;
    saferl_shield__skip_bom(&text, &length);
    c->text = text ? text : "";
    c->length = length;
    c->line = 1;
    c->error = error;
}

static uint32_t saferl_shield__cursor_column(const saferl_shield__cursor *c) {
    return (uint32_t)(c->pos - c->line_start + 1);
}

static int saferl_shield__cursor_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* the next line starts at pos (call after stepping over a '\n') */
static void saferl_shield__cursor_new_line(saferl_shield__cursor *c) {
    ++c->line;
    c->line_start = c->pos;
}

static void saferl_shield__cursor_skip_blanks(saferl_shield__cursor *c, size_t end) {
    while (c->pos < end && saferl_shield__cursor_blank(c->text[c->pos])) ++c->pos;
}

/* blanks and newlines */
static void saferl_shield__cursor_skip_space(saferl_shield__cursor *c) {
    for (;;) {
        saferl_shield__cursor_skip_blanks(c, c->length);
        if (c->pos >= c->length || c->text[c->pos] != '\n') return;
        ++c->pos;
        saferl_shield__cursor_new_line(c);
    }
}

/* The first error wins; returns its code. */
static saferl_result saferl_shield__cursor_fail_at(saferl_shield__cursor *c, saferl_result code, uint32_t line,
                                                   uint32_t column, const char *message, const char *detail) {
    if (c->failed) return c->code;
    c->failed = 1;
    c->code = code;
    return saferl_shield__fail(c->error, code, line, column, message, detail);
}

/* ... at byte `at` of the current line */
static saferl_result saferl_shield__cursor_fail(saferl_shield__cursor *c, saferl_result code, size_t at,
                                                const char *message, const char *detail) {
    return saferl_shield__cursor_fail_at(c, code, c->line, (uint32_t)(at - c->line_start + 1), message, detail);
}

static int saferl_shield__is_digit(char c) { return c >= '0' && c <= '9'; }

/* Decimal digits at pos, saturating at SAFERL_SHIELD__NUMBER_CAP; returns how many were read. */
static size_t saferl_shield__cursor_number(saferl_shield__cursor *c, size_t end, unsigned long *value) {
    size_t start = c->pos;
    unsigned long v = 0;
    while (c->pos < end && saferl_shield__is_digit(c->text[c->pos])) {
        v = v * 10 + (unsigned long)(c->text[c->pos++] - '0');
        if (v > SAFERL_SHIELD__NUMBER_CAP) v = SAFERL_SHIELD__NUMBER_CAP;
    }
    *value = v;
    return c->pos - start;
}

static int saferl_shield__ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || saferl_shield__is_digit(c) || c == '_';
}

/* The end of the name that starts at `from` (letters, digits, '_', and '-' when dashes). */
static size_t saferl_shield__cursor_name_end(const saferl_shield__cursor *c, size_t from, int dashes) {
    while (from < c->length && (saferl_shield__ident_char(c->text[from]) || (dashes && c->text[from] == '-'))) ++from;
    return from;
}

/* A string opened by the quote at `open`, up to `end`: the closing quote's offset, or where the
   search stopped (end, or a newline when one_line) with 0 returned. escapes: '\' hides the next
   byte. */
static int saferl_shield__cursor_quoted(const saferl_shield__cursor *c, size_t open, size_t end, int escapes,
                                        int one_line, size_t *close) {
    const char *s = c->text;
    size_t q = open + 1;
    while (q < end && s[q] != s[open] && !(one_line && s[q] == '\n')) q += (escapes && s[q] == '\\' && q + 1 < end) ? 2 : 1;
    if (q > end) q = end;
    *close = q;
    return q < end && s[q] == s[open];
}

/* A growable array on the caller's allocator: every builder's scratch. */
typedef struct saferl_shield__vec {
    unsigned char *data;
    size_t count, capacity, element;
    const saferl_allocator *allocator;
} saferl_shield__vec;

static void saferl_shield__vec_start(saferl_shield__vec *v, size_t element, const saferl_allocator *allocator) {
    v->data = NULL;
    v->count = v->capacity = 0;
    v->element = element;
    v->allocator = allocator;
}

static int saferl_shield__vec_reserve(saferl_shield__vec *v, size_t count) {
    size_t capacity;
    unsigned char *data;
    if (count <= v->capacity) return 0;
    capacity = v->capacity ? v->capacity : 16;
    while (capacity < count) {
        if (capacity > ((size_t)-1) / 2 / v->element) return -1;
        capacity *= 2;
    }
    data = (unsigned char *)saferl_shield__allocate(v->allocator, capacity * v->element);
    if (!data) return -1;
    if (v->count) memcpy(data, v->data, v->count * v->element);
    saferl_shield__release(v->allocator, v->data);
    v->data = data;
    v->capacity = capacity;
    return 0;
}

/* Appends one zeroed element; NULL when out of memory. */
static void *saferl_shield__vec_push(saferl_shield__vec *v) {
    void *slot;
    if (saferl_shield__vec_reserve(v, v->count + 1) < 0) return NULL;
    slot = v->data + v->count * v->element;
    memset(slot, 0, v->element);
    ++v->count;
    return slot;
}

static void saferl_shield__vec_free(saferl_shield__vec *v) {
    saferl_shield__release(v->allocator, v->data);
    v->data = NULL;
    v->count = v->capacity = 0;
}

static uint64_t saferl_shield__mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* States found by key during a breadth-first construction: key -> dense id, in order. */
typedef struct saferl_shield__index {
    saferl_shield__vec keys;   /* uint64_t per id */
    uint32_t *table;           /* id + 1, 0 empty */
    size_t table_capacity;     /* a power of two */
    const saferl_allocator *allocator;
} saferl_shield__index;

static void saferl_shield__index_start(saferl_shield__index *ix, const saferl_allocator *allocator) {
    saferl_shield__vec_start(&ix->keys, sizeof(uint64_t), allocator);
    ix->table = NULL;
    ix->table_capacity = 0;
    ix->allocator = allocator;
}

static void saferl_shield__index_free(saferl_shield__index *ix) {
    saferl_shield__vec_free(&ix->keys);
    saferl_shield__release(ix->allocator, ix->table);
    ix->table = NULL;
}

static int saferl_shield__index_grow(saferl_shield__index *ix) {
    size_t capacity = ix->table_capacity ? ix->table_capacity * 2 : 64, i;
    uint32_t *table = (uint32_t *)saferl_shield__allocate(ix->allocator, capacity * sizeof(uint32_t));
    const uint64_t *keys = (const uint64_t *)ix->keys.data;
    if (!table) return -1;
    memset(table, 0, capacity * sizeof(uint32_t));
    for (i = 0; i < ix->keys.count; ++i) {
        size_t h = (size_t)saferl_shield__mix(keys[i]) & (capacity - 1);
        while (table[h]) h = (h + 1) & (capacity - 1);
        table[h] = (uint32_t)i + 1;
    }
    saferl_shield__release(ix->allocator, ix->table);
    ix->table = table;
    ix->table_capacity = capacity;
    return 0;
}

/* *id gets the key's id, a new one when it was not there (*added = 1). -1: out of memory. */
static int saferl_shield__index_get(saferl_shield__index *ix, uint64_t key, uint32_t *id, int *added) {
    size_t h;
    uint64_t *slot;
    if ((ix->keys.count + 1) * 2 > ix->table_capacity && saferl_shield__index_grow(ix) < 0) return -1;
    h = (size_t)saferl_shield__mix(key) & (ix->table_capacity - 1);
    while (ix->table[h]) {
        uint32_t candidate = ix->table[h] - 1;
        if (((const uint64_t *)ix->keys.data)[candidate] == key) {
            *id = candidate;
            if (added) *added = 0;
            return 0;
        }
        h = (h + 1) & (ix->table_capacity - 1);
    }
    slot = (uint64_t *)saferl_shield__vec_push(&ix->keys);
    if (!slot) return -1;
    *slot = key;
    *id = (uint32_t)(ix->keys.count - 1);
    ix->table[h] = *id + 1;
    if (added) *added = 1;
    return 0;
}

/* Room for count keys, so that index_get allocates nothing until then. */
static int saferl_shield__index_reserve(saferl_shield__index *ix, size_t count) {
    if (saferl_shield__vec_reserve(&ix->keys, count) < 0) return -1;
    while ((count + 1) * 2 > ix->table_capacity)
        if (saferl_shield__index_grow(ix) < 0) return -1;
    return 0;
}

/* Forgets every key, keeping the memory. */
static void saferl_shield__index_clear(saferl_shield__index *ix) {
    ix->keys.count = 0;
    if (ix->table) memset(ix->table, 0, ix->table_capacity * sizeof(uint32_t));
}

/* ---- the automaton ------------------------------------------------------------------------- */

static void saferl_shield__compute_gather(saferl_shield_dfa *dfa) {
    uint32_t byte, value, j;
    if (dfa->node) return; /* symbolic: the diagram classifies */
    for (byte = 0; byte < 4; ++byte)
        for (value = 0; value < 256; ++value) {
            uint16_t letter = 0;
            for (j = 0; j < dfa->prop_count; ++j)
                if (dfa->prop_bit[j] / 8 == byte && ((value >> (dfa->prop_bit[j] % 8)) & 1u))
                    letter = (uint16_t)(letter | (1u << j));
            dfa->gather[byte][value] = letter;
        }
}

/* One block: [rewards] next, letter labels, nodes, stages, flags. letter_bits: the row
   stride; symbolic: letters and nodes of the classifier (0 0: dense). 0 when too large. */
static size_t saferl_shield__dfa_size(uint32_t state_count, uint32_t letter_bits, uint32_t symbolic_letters,
                                      uint32_t node_count, uint32_t node_bits, int with_rewards) {
    size_t edges, size;
    if (letter_bits > SAFERL_SHIELD_DENSE_PROPS || state_count == 0 || state_count == SAFERL_SHIELD_NO_STATE) return 0;
    if ((size_t)state_count > ((size_t)-1 >> letter_bits) / 16 || node_count > (1u << 26) || node_bits > 8) return 0;
    edges = (size_t)state_count << letter_bits;
    size = edges * sizeof(uint32_t) + (size_t)symbolic_letters * sizeof(uint32_t) +
           ((size_t)node_count << node_bits) * sizeof(uint32_t) + node_count +
           (size_t)state_count * (sizeof(uint16_t) + 1) + 16;
    if (with_rewards) {
        if (edges > ((size_t)-1 - size) / sizeof(double)) return 0;
        size += edges * sizeof(double);
    }
    return size;
}

static void saferl_shield__dfa_layout(saferl_shield_dfa *dfa, uint32_t state_count, uint32_t prop_count,
                                      uint32_t letter_bits, uint32_t symbolic_letters, uint32_t node_count,
                                      uint32_t node_bits, int with_rewards, unsigned char *p) {
    size_t edges = (size_t)state_count << letter_bits, i;
    uint32_t j;
    memset(dfa, 0, sizeof *dfa);
    dfa->state_count = state_count;
    dfa->prop_count = prop_count;
    dfa->letter_bits = letter_bits;
    dfa->letter_count = symbolic_letters ? symbolic_letters : 1u << letter_bits;
    dfa->sink = SAFERL_SHIELD_NO_STATE;
    if (with_rewards) {
        dfa->reward = (double *)(void *)p;
        p += edges * sizeof(double);
        for (i = 0; i < edges; ++i) dfa->reward[i] = 0.0;
    }
    dfa->next = (uint32_t *)(void *)p;
    p += edges * sizeof(uint32_t);
    for (i = 0; i < edges; ++i) dfa->next[i] = (uint32_t)(i >> letter_bits);
    if (symbolic_letters) {
        dfa->letter_label = (uint32_t *)(void *)p;
        p += (size_t)symbolic_letters * sizeof(uint32_t);
        dfa->node = (uint32_t *)(void *)p;
        p += ((size_t)node_count << node_bits) * sizeof(uint32_t);
        dfa->node_count = node_count;
        dfa->node_bits = node_bits;
        dfa->root = SAFERL_SHIELD_LEAF;
        memset(dfa->letter_label, 0, (size_t)symbolic_letters * sizeof(uint32_t));
    }
    dfa->stage = (uint16_t *)(void *)p;
    p += (size_t)state_count * sizeof(uint16_t);
    if (symbolic_letters) {
        dfa->node_shift = p;
        p += node_count;
        memset(dfa->node_shift, 0, node_count);
    }
    dfa->flags = p;
    for (i = 0; i < state_count; ++i) {
        dfa->stage[i] = 0;
        dfa->flags[i] = SAFERL_SHIELD_ACCEPTING;
    }
    for (j = 0; j < prop_count; ++j) {
        dfa->prop_bit[j] = (uint8_t)j;
        snprintf(dfa->prop_name[j], SAFERL_SHIELD_NAME_CAPACITY, "p%u", (unsigned)j);
    }
    saferl_shield__compute_gather(dfa);
}

SAFERL_SHIELD_API size_t saferl_shield_dfa_memory_size(uint32_t state_count, uint32_t prop_count,
                                                       int with_rewards) {
    if (prop_count > SAFERL_SHIELD_DENSE_PROPS) return 0;
    return saferl_shield__dfa_size(state_count, prop_count, 0, 0, 0, with_rewards);
}

SAFERL_SHIELD_API saferl_result saferl_shield_dfa_init(saferl_shield_dfa *dfa, uint32_t state_count,
                                                       uint32_t prop_count, int with_rewards,
                                                       void *memory, size_t size) {
    size_t need = saferl_shield_dfa_memory_size(state_count, prop_count, with_rewards);
    SAFERL_ASSERT(dfa != NULL);
    if (need == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (((uintptr_t)memory & 7u) != 0) return SAFERL_ERR_INVALID_ARGUMENT;
    saferl_shield__dfa_layout(dfa, state_count, prop_count, prop_count, 0, 0, 0, with_rewards, (unsigned char *)memory);
    return SAFERL_OK;
}

/* A builder's automaton on the allocator: dense when symbolic_letters is 0 (letter_bits =
   prop_count), else symbolic with that many letters and node_count rows of node_bits. */
static saferl_result saferl_shield__dfa_new(saferl_shield_dfa *dfa, uint32_t state_count, uint32_t prop_count,
                                            uint32_t symbolic_letters, uint32_t node_count, uint32_t node_bits,
                                            int with_rewards, const saferl_allocator *allocator) {
    uint32_t letter_bits = 0;
    size_t size;
    void *memory;
    if (symbolic_letters) {
        if (symbolic_letters > SAFERL_SHIELD_MAX_LETTERS) return SAFERL_ERR_UNSUPPORTED;
        while ((1u << letter_bits) < symbolic_letters) ++letter_bits;
    } else {
        if (prop_count > SAFERL_SHIELD_DENSE_PROPS) return SAFERL_ERR_INVALID_ARGUMENT;
        letter_bits = prop_count;
    }
    size = saferl_shield__dfa_size(state_count, letter_bits, symbolic_letters, node_count, node_bits, with_rewards);
    if (size == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memory = saferl_shield__allocate(allocator, size);
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    saferl_shield__dfa_layout(dfa, state_count, prop_count, letter_bits, symbolic_letters, node_count, node_bits,
                              with_rewards, (unsigned char *)memory);
    dfa->owned_memory = memory;
    if (allocator) dfa->allocator = *allocator;
    return SAFERL_OK;
}

SAFERL_SHIELD_API saferl_result saferl_shield_dfa_create(saferl_shield_dfa *dfa, uint32_t state_count,
                                                         uint32_t prop_count, int with_rewards,
                                                         const saferl_allocator *allocator) {
    SAFERL_ASSERT(dfa != NULL);
    if (saferl_shield_dfa_memory_size(state_count, prop_count, with_rewards) == 0) return SAFERL_ERR_INVALID_ARGUMENT;
    return saferl_shield__dfa_new(dfa, state_count, prop_count, 0, 0, 0, with_rewards, allocator);
}

SAFERL_SHIELD_API void saferl_shield_dfa_destroy(saferl_shield_dfa *dfa) {
    if (!dfa || !dfa->owned_memory) return;
    saferl_shield__release(&dfa->allocator, dfa->owned_memory);
    dfa->owned_memory = NULL;
    dfa->next = NULL;
    dfa->reward = NULL;
    dfa->flags = NULL;
    dfa->stage = NULL;
    dfa->node = NULL;
    dfa->node_shift = NULL;
    dfa->letter_label = NULL;
}

SAFERL_SHIELD_API saferl_result saferl_shield_dfa_set_prop(saferl_shield_dfa *dfa, uint32_t j,
                                                           const char *name, uint32_t label_bit) {
    size_t n;
    SAFERL_ASSERT(dfa != NULL && name != NULL);
    n = strlen(name);
    if (j >= dfa->prop_count || label_bit >= SAFERL_SHIELD_LABEL_BITS || n == 0 ||
        n >= SAFERL_SHIELD_NAME_CAPACITY || (dfa->node && label_bit != dfa->prop_bit[j]))
        return SAFERL_ERR_INVALID_ARGUMENT; /* a symbolic automaton's diagram tests label bits */
    memcpy(dfa->prop_name[j], name, n + 1);
    dfa->prop_bit[j] = (uint8_t)label_bit;
    saferl_shield__compute_gather(dfa);
    return SAFERL_OK;
}

SAFERL_SHIELD_API saferl_result saferl_shield_dfa_finish(saferl_shield_dfa *dfa) {
    size_t edges, i;
    uint32_t j, m, letters;
    SAFERL_ASSERT(dfa != NULL);
    if (dfa->prop_count > SAFERL_SHIELD_MAX_PROPS || dfa->state_count == 0 || !dfa->next ||
        !dfa->flags || !dfa->stage || dfa->initial >= dfa->state_count)
        return SAFERL_ERR_INVALID_ARGUMENT;
    if (dfa->semantics != SAFERL_SHIELD_SAFETY && dfa->semantics != SAFERL_SHIELD_FINITE)
        return SAFERL_ERR_INVALID_ARGUMENT;
    edges = (size_t)dfa->state_count << dfa->letter_bits;
    letters = dfa->letter_count;
    for (i = 0; i < edges; ++i)
        if (dfa->next[i] >= dfa->state_count) return SAFERL_ERR_INVALID_ARGUMENT;
    if (dfa->sink != SAFERL_SHIELD_NO_STATE) {
        if (dfa->sink >= dfa->state_count || (dfa->flags[dfa->sink] & SAFERL_SHIELD_ACCEPTING))
            return SAFERL_ERR_INVALID_ARGUMENT;
        for (j = 0; j < letters; ++j)
            if (dfa->next[((size_t)dfa->sink << dfa->letter_bits) | j] != dfa->sink)
                return SAFERL_ERR_INVALID_ARGUMENT;
    }
    if (dfa->node) { /* rows after their parents, reading later bits; leaves in range; each
                        letter's label its own */
        size_t width = (size_t)1 << dfa->node_bits;
        if (dfa->letter_count > SAFERL_SHIELD_MAX_LETTERS || !dfa->letter_label || !dfa->node_shift ||
            dfa->node_bits < 1 || dfa->node_bits > 8 || dfa->node_count > SAFERL_SHIELD__ROW_MASK)
            return SAFERL_ERR_INVALID_ARGUMENT;
        for (i = 0; i < (size_t)dfa->node_count * width; ++i) {
            uint32_t c = dfa->node[i], row = (uint32_t)(i >> dfa->node_bits);
            if (dfa->node_shift[row] >= SAFERL_SHIELD_LABEL_BITS) return SAFERL_ERR_INVALID_ARGUMENT;
            if ((c & SAFERL_SHIELD_LEAF) ? (c & ~SAFERL_SHIELD_LEAF) >= letters
                                         : ((c & SAFERL_SHIELD__ROW_MASK) >= dfa->node_count || (c & SAFERL_SHIELD__ROW_MASK) <= row ||
                                            (c >> 26) != dfa->node_shift[c & SAFERL_SHIELD__ROW_MASK] ||
                                            (c >> 26) < dfa->node_shift[row] + dfa->node_bits))
                return SAFERL_ERR_INVALID_ARGUMENT;
        }
        if ((dfa->root & SAFERL_SHIELD_LEAF) ? (dfa->root & ~SAFERL_SHIELD_LEAF) >= letters
                                             : ((dfa->root & SAFERL_SHIELD__ROW_MASK) >= dfa->node_count ||
                                                (dfa->root >> 26) != dfa->node_shift[dfa->root & SAFERL_SHIELD__ROW_MASK]))
            return SAFERL_ERR_INVALID_ARGUMENT;
        for (j = 0; j < letters; ++j)
            if (saferl_shield_letter(dfa, dfa->letter_label[j]) != j) return SAFERL_ERR_INVALID_ARGUMENT;
    } else if (dfa->letter_count != 1u << dfa->prop_count || dfa->letter_bits != dfa->prop_count) {
        return SAFERL_ERR_INVALID_ARGUMENT;
    }
    for (j = 0; j < dfa->prop_count; ++j) {
        if (dfa->prop_bit[j] >= SAFERL_SHIELD_LABEL_BITS || dfa->prop_name[j][0] == '\0' ||
            memchr(dfa->prop_name[j], 0, SAFERL_SHIELD_NAME_CAPACITY) == NULL)
            return SAFERL_ERR_INVALID_ARGUMENT;
        for (m = 0; m < j; ++m)
            if (dfa->prop_bit[m] == dfa->prop_bit[j] || strcmp(dfa->prop_name[m], dfa->prop_name[j]) == 0)
                return SAFERL_ERR_INVALID_ARGUMENT;
    }
    if (dfa->reward)
        for (i = 0; i < edges; ++i)
            if (!(dfa->reward[i] == dfa->reward[i]) || dfa->reward[i] > 1.7976931348623157e308 ||
                dfa->reward[i] < -1.7976931348623157e308)
                return SAFERL_ERR_NOT_FINITE;
    saferl_shield__compute_gather(dfa);
    return SAFERL_OK;
}

SAFERL_SHIELD_API uint32_t saferl_shield_label_of_letter(const saferl_shield_dfa *dfa, uint32_t letter) {
    uint32_t label = 0, j;
    if (dfa->node) return letter < dfa->letter_count ? dfa->letter_label[letter] : 0;
    for (j = 0; j < dfa->prop_count; ++j)
        if ((letter >> j) & 1u) label |= 1u << dfa->prop_bit[j];
    return label;
}

/* ---- monitors ------------------------------------------------------------------------------ */

SAFERL_SHIELD_API void saferl_shield_monitor_init(saferl_shield_monitor *monitor, const saferl_shield_dfa *dfa,
                                                  double r_safe, double r_violation) {
    SAFERL_ASSERT(monitor != NULL && dfa != NULL);
    monitor->dfa = dfa;
    monitor->r_safe = r_safe;
    monitor->r_violation = r_violation;
    saferl_shield_monitor_reset(monitor);
}

SAFERL_SHIELD_API void saferl_shield_monitor_reset(saferl_shield_monitor *monitor) {
    monitor->state = monitor->dfa->initial;
    monitor->steps = 0;
    monitor->first_violation = 0;
}

SAFERL_SHIELD_API uint32_t saferl_shield_monitor_step(saferl_shield_monitor *monitor, uint32_t label,
                                                      double *reward) {
    const saferl_shield_dfa *dfa = monitor->dfa;
    size_t index = ((size_t)monitor->state << dfa->letter_bits) | saferl_shield_letter(dfa, label);
    uint32_t next = dfa->next[index];
    double r;
    ++monitor->steps;
    if (next == dfa->sink) {
        r = monitor->first_violation ? 0.0 : monitor->r_violation;
        if (!monitor->first_violation) monitor->first_violation = monitor->steps;
    } else {
        r = monitor->r_safe;
    }
    if (dfa->reward) r = dfa->reward[index];
    if (reward) *reward = r;
    monitor->state = next;
    return next;
}

SAFERL_SHIELD_API int saferl_shield_monitor_violated(const saferl_shield_monitor *monitor) {
    return monitor->state == monitor->dfa->sink;
}

SAFERL_SHIELD_API int saferl_shield_monitor_accepting(const saferl_shield_monitor *monitor) {
    return (monitor->dfa->flags[monitor->state] & SAFERL_SHIELD_ACCEPTING) != 0;
}

SAFERL_SHIELD_API uint16_t saferl_shield_monitor_stage(const saferl_shield_monitor *monitor) {
    return monitor->dfa->stage[monitor->state];
}

/* ---- settling: dead states into one sink ---------------------------------------------------- */

/* alive[q] on entry: accepting. prune_dead: alive becomes the greatest set of accepting states
   with a successor in the set (states with an infinite safe future: the bad-prefix semantics);
   otherwise "can reach an accepting state". A worklist over the predecessors, each edge looked
   at once or twice: linear (sweeping until nothing changes costs a sweep per state settled,
   minutes for a long chain). */
static int saferl_shield__alive_states(const saferl_shield_dfa *d, int prune_dead, unsigned char *alive,
                                       const saferl_allocator *allocator) {
    const uint32_t n = d->state_count, letters = d->letter_count;
    const size_t edges = (size_t)n * letters;
    uint32_t *first, *from, *queue, *live_successors, q, letter, head = 0, tail = 0;
    size_t i;
    if ((uint64_t)edges + 3u * (uint64_t)n + 1u > (uint64_t)((size_t)-1) / sizeof(uint32_t)) return -1;
    first = (uint32_t *)saferl_shield__allocate(allocator, (edges + 3 * (size_t)n + 1) * sizeof(uint32_t));
    if (!first) return -1;
    from = first + n + 1, queue = from + edges, live_successors = queue + n;
    memset(first, 0, ((size_t)n + 1) * sizeof(uint32_t)); /* predecessors by target, counting sort */
    for (q = 0; q < n; ++q)
        for (letter = 0; letter < letters; ++letter) ++first[d->next[((size_t)q << d->letter_bits) | letter] + 1];
    for (q = 0; q < n; ++q) first[q + 1] += first[q];
    memset(queue, 0, (size_t)n * sizeof(uint32_t)); /* the fill of each target's list, for now */
    for (q = 0; q < n; ++q)
        for (letter = 0; letter < letters; ++letter) {
            const uint32_t t = d->next[((size_t)q << d->letter_bits) | letter];
            from[first[t] + queue[t]++] = q;
        }
    for (q = 0; q < n; ++q) {
        live_successors[q] = 0;
        if (prune_dead)
            for (letter = 0; letter < letters; ++letter) live_successors[q] += alive[d->next[((size_t)q << d->letter_bits) | letter]];
        if (prune_dead ? alive[q] && !live_successors[q] : alive[q]) queue[tail++] = q;
    }
    if (prune_dead)
        for (i = 0; i < tail; ++i) alive[queue[i]] = 0;
    while (head < tail) { /* each state enters the queue once */
        const uint32_t t = queue[head++];
        uint32_t k;
        for (k = first[t]; k < first[t + 1]; ++k) {
            const uint32_t p = from[k];
            if (prune_dead ? alive[p] && --live_successors[p] == 0 : !alive[p]) {
                alive[p] = (unsigned char)!prune_dead;
                queue[tail++] = p;
            }
        }
    }
    saferl_shield__release(allocator, first);
    return 0;
}

/* Every state that is not "alive" (saferl_shield__alive_states) joins one sink (a non-accepting
   trap). */
static saferl_result saferl_shield__settle(saferl_shield_dfa *d, int prune_dead, const saferl_allocator *allocator) {
    uint32_t n = d->state_count, q, letter, letters = d->letter_count, sink = SAFERL_SHIELD_NO_STATE;
    unsigned char *alive = (unsigned char *)saferl_shield__allocate(allocator, n);
    size_t i, edges = (size_t)n << d->letter_bits;
    if (!alive) return SAFERL_ERR_OUT_OF_MEMORY;
    for (q = 0; q < n; ++q) alive[q] = (d->flags[q] & SAFERL_SHIELD_ACCEPTING) ? 1 : 0;
    if (saferl_shield__alive_states(d, prune_dead, alive, allocator) < 0) {
        saferl_shield__release(allocator, alive);
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    for (q = 0; q < n && sink == SAFERL_SHIELD_NO_STATE; ++q)
        if (!alive[q]) sink = q;
    if (sink != SAFERL_SHIELD_NO_STATE) {
        for (i = 0; i < edges; ++i)
            if (!alive[d->next[i]]) d->next[i] = sink;
        if (!alive[d->initial]) d->initial = sink; /* dead from the start: the sink, not a look-alike */
        for (letter = 0; letter < letters; ++letter) {
            d->next[((size_t)sink << d->letter_bits) | letter] = sink;
            if (d->reward) d->reward[((size_t)sink << d->letter_bits) | letter] = 0.0;
        }
        d->flags[sink] = 0;
        d->stage[sink] = 0;
    }
    if (d->semantics == SAFERL_SHIELD_SAFETY)
        for (q = 0; q < n; ++q)
            d->flags[q] = (uint8_t)(alive[q] ? (d->flags[q] | SAFERL_SHIELD_ACCEPTING)
                                             : (d->flags[q] & ~SAFERL_SHIELD_ACCEPTING));
    d->sink = sink;
    saferl_shield__release(allocator, alive);
    return SAFERL_OK;
}

/* ---- strongly connected components ------------------------------------------------------- */

/* A graph for saferl_shield__reach_components: an automaton's table (node q's edges are its
   letters, edge id (q << letter_bits) | letter) or lists (node v's edges are edge[offset[v] ..
   offset[v + 1]), edge id its index). */
typedef struct saferl_shield__graph {
    uint32_t node_count;
    const saferl_shield_dfa *table;
    const uint32_t *offset, *edge;
} saferl_shield__graph;

static size_t saferl_shield__graph_first(const saferl_shield__graph *g, uint32_t v) {
    return g->table ? (size_t)v << g->table->letter_bits : g->offset[v];
}
static size_t saferl_shield__graph_end(const saferl_shield__graph *g, uint32_t v) {
    return g->table ? ((size_t)v << g->table->letter_bits) + g->table->letter_count : g->offset[v + 1];
}
static uint32_t saferl_shield__graph_target(const saferl_shield__graph *g, size_t e) {
    return g->table ? g->table->next[e] : g->edge[e];
}

/* The caller's test of a closed component: member[0 .. count) (member[0] its root), and
   component[v] == member[0] exactly for the nodes inside it. */
typedef int (*saferl_shield__component_test)(void *context, const saferl_shield__graph *g, const uint32_t *member,
                                               uint32_t count, const uint32_t *component);

/* reach[v] = 1 when v reaches a component that passes the test (Tarjan's algorithm without
   recursion: a component closes after every component it reaches, so reach is settled when it
   closes; linear in nodes and edges). -1: out of memory. */
static int saferl_shield__reach_components(const saferl_shield__graph *g, saferl_shield__component_test test,
                                           void *context, unsigned char *reach, const saferl_allocator *allocator) {
    const uint32_t n = g->node_count;
    uint32_t *number, *low, *stack, *call, *component, root, visits = 0, sp = 0, depth = 0;
    size_t *cursor;
    if ((uint64_t)n * (5u * sizeof(uint32_t) + sizeof(size_t)) > (uint64_t)(size_t)-1) return -1; /* wasm32 */
    cursor = (size_t *)saferl_shield__allocate(allocator, (size_t)n * (5 * sizeof(uint32_t) + sizeof(size_t)));
    if (!cursor) return -1;
    number = (uint32_t *)(void *)(cursor + n);
    low = number + n, stack = low + n, call = stack + n, component = call + n;
    memset(number, 0, (size_t)n * sizeof(uint32_t)); /* 0: not visited yet */
    memset(reach, 0, n);
    for (root = 0; root < n; ++root) {
        if (number[root]) continue;
        number[root] = low[root] = ++visits, stack[sp++] = root, component[root] = SAFERL_SHIELD_NO_STATE;
        call[depth++] = root, cursor[root] = saferl_shield__graph_first(g, root);
        while (depth) {
            const uint32_t v = call[depth - 1];
            if (cursor[v] < saferl_shield__graph_end(g, v)) {
                const uint32_t w = saferl_shield__graph_target(g, cursor[v]++);
                if (!number[w]) {
                    number[w] = low[w] = ++visits, stack[sp++] = w, component[w] = SAFERL_SHIELD_NO_STATE;
                    call[depth++] = w, cursor[w] = saferl_shield__graph_first(g, w);
                } else if (component[w] == SAFERL_SHIELD_NO_STATE && number[w] < low[v]) {
                    low[v] = number[w]; /* w is still on the stack: the same component */
                }
                continue;
            }
            if (--depth && low[v] < low[call[depth - 1]]) low[call[depth - 1]] = low[v];
            if (low[v] == number[v]) { /* v roots a component: stack[from .. sp) */
                uint32_t from = sp, k;
                int reaches;
                do component[stack[--from]] = v; while (stack[from] != v);
                reaches = test(context, g, stack + from, sp - from, component);
                for (k = from; k < sp && !reaches; ++k) {
                    size_t e, end = saferl_shield__graph_end(g, stack[k]);
                    for (e = saferl_shield__graph_first(g, stack[k]); e < end && !reaches; ++e)
                        reaches = reach[saferl_shield__graph_target(g, e)];
                }
                for (k = from; k < sp; ++k) reach[stack[k]] = (unsigned char)reaches;
                sp = from;
            }
        }
    }
    saferl_shield__release(allocator, cursor);
    return 0;
}

/* ---- decision diagrams over label bits (symbolic automata) ------------------------------- */

/* A scratch manager of reduced, shared decision diagrams whose tests go in increasing label
   bit and whose leaves are numbers (letters, formulas, pairs). A node is its key (bit, low,
   high) in an index, so equal diagrams are equal references; references use
   SAFERL_SHIELD_LEAF like an automaton's, limited to 2^28 nodes and leaves. */
typedef struct saferl_shield__dd {
    saferl_shield__index nodes;        /* key: bit << 58 | low << 29 | high (29-bit codes) */
    saferl_shield__index memo;         /* (a, b) of the current pairing -> index in results */
    saferl_shield__vec results;        /* uint32_t */
    saferl_shield__index pairs;        /* (leaf a, leaf b) -> leaf of the pairing */
    saferl_shield__index ops;          /* (op, a, b) of saferl_shield__dd_apply -> index in op_results */
    saferl_shield__vec op_results;     /* uint32_t */
    int failed;                        /* out of memory or over 2^28 */
    int conflict;                      /* SAFERL_SHIELD__DD_MERGE met two different targets */
} saferl_shield__dd;

static void saferl_shield__dd_start(saferl_shield__dd *dd, const saferl_allocator *allocator) {
    saferl_shield__index_start(&dd->nodes, allocator);
    saferl_shield__index_start(&dd->memo, allocator);
    saferl_shield__index_start(&dd->pairs, allocator);
    saferl_shield__vec_start(&dd->results, sizeof(uint32_t), allocator);
    saferl_shield__index_start(&dd->ops, allocator);
    saferl_shield__vec_start(&dd->op_results, sizeof(uint32_t), allocator);
    dd->failed = dd->conflict = 0;
}

static void saferl_shield__dd_free(saferl_shield__dd *dd) {
    saferl_shield__index_free(&dd->nodes);
    saferl_shield__index_free(&dd->memo);
    saferl_shield__index_free(&dd->pairs);
    saferl_shield__vec_free(&dd->results);
    saferl_shield__index_free(&dd->ops);
    saferl_shield__vec_free(&dd->op_results);
}

static uint64_t saferl_shield__dd_code(uint32_t ref) {
    return (ref & SAFERL_SHIELD_LEAF) ? ((uint64_t)1 << 28) | (ref & 0x0FFFFFFFu) : ref;
}

static uint32_t saferl_shield__dd_node(saferl_shield__dd *dd, uint32_t bit, uint32_t low, uint32_t high) {
    uint32_t id;
    if (low == high || dd->failed) return low;
    if (saferl_shield__index_get(&dd->nodes, ((uint64_t)bit << 58) | (saferl_shield__dd_code(low) << 29) |
                                                 saferl_shield__dd_code(high), &id, NULL) < 0 || id >= (1u << 28)) {
        dd->failed = 1;
        return low;
    }
    return id;
}

static uint32_t saferl_shield__dd_bit(const saferl_shield__dd *dd, uint32_t ref) {
    return (ref & SAFERL_SHIELD_LEAF) ? SAFERL_SHIELD_LABEL_BITS : (uint32_t)(((const uint64_t *)dd->nodes.keys.data)[ref] >> 58);
}

static uint32_t saferl_shield__dd_child(const saferl_shield__dd *dd, uint32_t ref, int high) {
    uint64_t key = ((const uint64_t *)dd->nodes.keys.data)[ref];
    uint32_t code = (uint32_t)((high ? key : key >> 29) & 0x1FFFFFFFu);
    return (code >> 28) ? SAFERL_SHIELD_LEAF | (code & 0x0FFFFFFFu) : code;
}

/* The diagram whose leaf at every label is the pair (a's leaf, b's leaf), numbered by
   dd->pairs in order of first appearance (clear memo and pairs to start a new numbering). */
static uint32_t saferl_shield__dd_pair(saferl_shield__dd *dd, uint32_t a, uint32_t b) {
    uint32_t id, bit, low, high, result;
    int added;
    if (dd->failed) return SAFERL_SHIELD_LEAF;
    if ((a & b & SAFERL_SHIELD_LEAF) != 0) {
        if (saferl_shield__index_get(&dd->pairs, ((uint64_t)(a & 0x0FFFFFFFu) << 32) | (b & 0x0FFFFFFFu), &id, NULL) < 0 ||
            id >= (1u << 28)) {
            dd->failed = 1;
            return SAFERL_SHIELD_LEAF;
        }
        return SAFERL_SHIELD_LEAF | id;
    }
    if (saferl_shield__index_get(&dd->memo, (saferl_shield__dd_code(a) << 29) | saferl_shield__dd_code(b), &id, &added) < 0 ||
        (added && !saferl_shield__vec_push(&dd->results))) {
        dd->failed = 1;
        return SAFERL_SHIELD_LEAF;
    }
    if (!added) return ((const uint32_t *)(void *)dd->results.data)[id];
    bit = saferl_shield__dd_bit(dd, a) < saferl_shield__dd_bit(dd, b) ? saferl_shield__dd_bit(dd, a) : saferl_shield__dd_bit(dd, b);
    low = saferl_shield__dd_pair(dd, saferl_shield__dd_bit(dd, a) == bit ? saferl_shield__dd_child(dd, a, 0) : a,
                                 saferl_shield__dd_bit(dd, b) == bit ? saferl_shield__dd_child(dd, b, 0) : b);
    high = saferl_shield__dd_pair(dd, saferl_shield__dd_bit(dd, a) == bit ? saferl_shield__dd_child(dd, a, 1) : a,
                                  saferl_shield__dd_bit(dd, b) == bit ? saferl_shield__dd_child(dd, b, 1) : b);
    result = saferl_shield__dd_node(dd, bit, low, high);
    if (!dd->failed) ((uint32_t *)(void *)dd->results.data)[id] = result;
    return result;
}

static void saferl_shield__dd_new_pairing(saferl_shield__dd *dd) {
    const saferl_allocator *allocator = dd->nodes.allocator;
    saferl_shield__index_free(&dd->memo);
    saferl_shield__index_free(&dd->pairs);
    saferl_shield__index_start(&dd->memo, allocator);
    saferl_shield__index_start(&dd->pairs, allocator);
    dd->results.count = 0;
}

/* Leafwise operations on diagrams. Guards are diagrams with leaves 0 (false) and 1 (true);
   a state's transition function has leaves 0 (no edge yet) or (target + 1) << 1 | mark. */
enum { SAFERL_SHIELD__DD_AND, SAFERL_SHIELD__DD_OR, SAFERL_SHIELD__DD_XOR,
       SAFERL_SHIELD__DD_SELECT, /* a's leaf 1 -> b, 0 -> 0 */
       SAFERL_SHIELD__DD_MERGE,  /* the defined one of a, b; one target: marks or'ed; else conflict */
       SAFERL_SHIELD__DD_FIRST   /* a where defined, else b (the first edge wins) */ };

static uint32_t saferl_shield__dd_apply(saferl_shield__dd *dd, uint32_t op, uint32_t a, uint32_t b) {
    uint32_t id, bit, ba, bb, low, high, result;
    int added;
    if (dd->failed) return SAFERL_SHIELD_LEAF;
    if ((a & b & SAFERL_SHIELD_LEAF) != 0) {
        uint32_t x = a & ~SAFERL_SHIELD_LEAF, y = b & ~SAFERL_SHIELD_LEAF, v;
        switch (op) {
        case SAFERL_SHIELD__DD_AND: v = x & y; break;
        case SAFERL_SHIELD__DD_OR: v = x | y; break;
        case SAFERL_SHIELD__DD_XOR: v = x ^ y; break;
        case SAFERL_SHIELD__DD_SELECT: v = x ? y : 0; break;
        case SAFERL_SHIELD__DD_MERGE:
            if (x && y && (x >> 1) != (y >> 1)) dd->conflict = 1;
            v = !x ? y : !y ? x : (x | (y & 1u));
            break;
        default: v = x ? x : y; break;
        }
        return SAFERL_SHIELD_LEAF | v;
    }
    if (op == SAFERL_SHIELD__DD_SELECT && a == SAFERL_SHIELD_LEAF) return a;
    if (saferl_shield__index_get(&dd->ops, ((uint64_t)op << 58) | (saferl_shield__dd_code(a) << 29) | saferl_shield__dd_code(b),
                                 &id, &added) < 0 ||
        (added && !saferl_shield__vec_push(&dd->op_results))) {
        dd->failed = 1;
        return SAFERL_SHIELD_LEAF;
    }
    if (!added) return ((const uint32_t *)(void *)dd->op_results.data)[id];
    ba = saferl_shield__dd_bit(dd, a);
    bb = saferl_shield__dd_bit(dd, b);
    bit = ba < bb ? ba : bb;
    low = saferl_shield__dd_apply(dd, op, ba == bit ? saferl_shield__dd_child(dd, a, 0) : a,
                                  bb == bit ? saferl_shield__dd_child(dd, b, 0) : b);
    high = saferl_shield__dd_apply(dd, op, ba == bit ? saferl_shield__dd_child(dd, a, 1) : a,
                                   bb == bit ? saferl_shield__dd_child(dd, b, 1) : b);
    result = saferl_shield__dd_node(dd, bit, low, high);
    if (!dd->failed) ((uint32_t *)(void *)dd->op_results.data)[id] = result;
    return result;
}

static uint32_t saferl_shield__dd_leaf_at(const saferl_shield__dd *dd, uint32_t ref, uint32_t label) {
    while (!(ref & SAFERL_SHIELD_LEAF)) ref = saferl_shield__dd_child(dd, ref, (int)((label >> saferl_shield__dd_bit(dd, ref)) & 1u));
    return ref & ~SAFERL_SHIELD_LEAF;
}

/* The leaves of the diagram at root, renumbered in the order a low-first depth-first walk
   meets them (a canonical order for a canonical diagram), each with the label of that walk
   (untested bits 0): letter_of[leaf] (leaf_count entries, set to NO_STATE here) and label[].
   Also counts and numbers the nodes (node_id[], NO_STATE-initialised here, node_count
   entries of dd). Returns the number of letters, or -1 on memory. Iterative: <= 33 deep. */
static int64_t saferl_shield__dd_letters(saferl_shield__dd *dd, uint32_t root, uint32_t *letter_of, uint32_t leaf_count,
                                         uint32_t *label, uint32_t *node_id, uint32_t *nodes_used) {
    uint32_t stack[4 * (SAFERL_SHIELD_LABEL_BITS + 2)], top = 0, letters = 0, i;
    for (i = 0; i < leaf_count; ++i) letter_of[i] = SAFERL_SHIELD_NO_STATE;
    for (i = 0; i < (uint32_t)dd->nodes.keys.count; ++i) node_id[i] = SAFERL_SHIELD_NO_STATE;
    *nodes_used = 0;
    stack[top++] = root;
    stack[top++] = 0; /* label so far */
    while (top) {
        uint32_t so_far = stack[--top], ref = stack[--top];
        if (ref & SAFERL_SHIELD_LEAF) {
            uint32_t leaf = ref & ~SAFERL_SHIELD_LEAF;
            if (letter_of[leaf] == SAFERL_SHIELD_NO_STATE) {
                label[letters] = so_far;
                letter_of[leaf] = letters++;
            }
            continue;
        }
        if (node_id[ref] != SAFERL_SHIELD_NO_STATE) continue;
        node_id[ref] = (*nodes_used)++;
        /* high pushed first: low is walked first */
        stack[top++] = saferl_shield__dd_child(dd, ref, 1);
        stack[top++] = so_far | (1u << saferl_shield__dd_bit(dd, ref));
        stack[top++] = saferl_shield__dd_child(dd, ref, 0);
        stack[top++] = so_far;
    }
    return letters;
}

/* The reference a walk reaches from ref after reading label bits shift .. shift + width - 1
   with the values in value (bits at or above 32 read as 0). */
static uint32_t saferl_shield__dd_after(const saferl_shield__dd *dd, uint32_t ref, uint32_t shift, uint32_t width,
                                        uint32_t value) {
    uint32_t i;
    for (i = 0; i < width && shift + i < SAFERL_SHIELD_LABEL_BITS; ++i)
        if (!(ref & SAFERL_SHIELD_LEAF) && saferl_shield__dd_bit(dd, ref) == shift + i)
            ref = saferl_shield__dd_child(dd, ref, (int)((value >> i) & 1u));
    return ref;
}

/* The rows of an automaton's classifier, planned from the diagram at root: a row starts at
   every reference a walk meets at the start of a row (the root, then what each row's entries
   lead to), reads width bits from that reference's first bit, and rows are numbered by first
   bit, then in order of discovery (children after parents, and canonical for a canonical
   diagram). The widest rows (8, 4, 2, then 1 bit) whose table stays within 8 words per
   diagram node (at least 64 Ki words) are taken: a walk is at most 32 / width loads. */
typedef struct saferl_shield__rows {
    uint32_t width, count;
    saferl_shield__index refs;         /* discovered references, in order */
    uint32_t *number;                  /* discovery -> row */
} saferl_shield__rows;

static saferl_result saferl_shield__rows_plan(const saferl_shield__dd *dd, uint32_t root, uint32_t nodes_used,
                                              saferl_shield__rows *rows, const saferl_allocator *allocator) {
    size_t budget = (size_t)nodes_used * 8 > 65536 ? (size_t)nodes_used * 8 : 65536, head;
    uint32_t width, id, start[SAFERL_SHIELD_LABEL_BITS + 1], b;
    for (width = 8;; width /= 2) {
        saferl_shield__index_free(&rows->refs);
        saferl_shield__index_start(&rows->refs, allocator);
        rows->width = width;
        if (!(root & SAFERL_SHIELD_LEAF) && saferl_shield__index_get(&rows->refs, root, &id, NULL) < 0)
            return SAFERL_ERR_OUT_OF_MEMORY;
        for (head = 0; head < rows->refs.keys.count; ++head) {
            uint32_t ref = (uint32_t)((const uint64_t *)rows->refs.keys.data)[head], shift = saferl_shield__dd_bit(dd, ref), v;
            for (v = 0; v < (1u << width); ++v) {
                uint32_t c = saferl_shield__dd_after(dd, ref, shift, width, v);
                if (!(c & SAFERL_SHIELD_LEAF) && saferl_shield__index_get(&rows->refs, c, &id, NULL) < 0)
                    return SAFERL_ERR_OUT_OF_MEMORY;
            }
            if (width > 1 && (rows->refs.keys.count << width) > budget) break;
        }
        if (head == rows->refs.keys.count) break;
    }
    rows->count = (uint32_t)rows->refs.keys.count;
    if (rows->count > SAFERL_SHIELD__ROW_MASK) return SAFERL_ERR_UNSUPPORTED;
    rows->number = (uint32_t *)saferl_shield__allocate(allocator, ((size_t)rows->count + 1) * sizeof(uint32_t));
    if (!rows->number) return SAFERL_ERR_OUT_OF_MEMORY;
    memset(start, 0, sizeof start); /* counting sort by first bit */
    for (head = 0; head < rows->count; ++head)
        ++start[saferl_shield__dd_bit(dd, (uint32_t)((const uint64_t *)rows->refs.keys.data)[head]) + 1];
    for (b = 0; b < SAFERL_SHIELD_LABEL_BITS; ++b) start[b + 1] += start[b];
    for (head = 0; head < rows->count; ++head)
        rows->number[head] = start[saferl_shield__dd_bit(dd, (uint32_t)((const uint64_t *)rows->refs.keys.data)[head])]++;
    return SAFERL_OK;
}

static void saferl_shield__rows_free(saferl_shield__rows *rows, const saferl_allocator *allocator) {
    saferl_shield__index_free(&rows->refs);
    saferl_shield__release(allocator, rows->number);
    rows->number = NULL;
}

/* Writes the diagram at root (letters numbered by saferl_shield__dd_letters, rows planned by
   saferl_shield__rows_plan) into a symbolic automaton made with that many letters and rows. */
static void saferl_shield__dd_install(const saferl_shield__dd *dd, uint32_t root, const uint32_t *letter_of,
                                      const uint32_t *label, const saferl_shield__rows *rows, saferl_shield_dfa *d) {
    saferl_shield__index *refs = (saferl_shield__index *)&rows->refs; /* only finds: every row is in it */
    size_t head;
    uint32_t v, id;
#define SAFERL_SHIELD__MAP(ref) (((ref) & SAFERL_SHIELD_LEAF) ? SAFERL_SHIELD_LEAF | letter_of[(ref) & ~SAFERL_SHIELD_LEAF] \
    : (saferl_shield__index_get(refs, (ref), &id, NULL), (saferl_shield__dd_bit(dd, (ref)) << 26) | rows->number[id]))
    for (head = 0; head < rows->count; ++head) {
        uint32_t ref = (uint32_t)((const uint64_t *)rows->refs.keys.data)[head], shift = saferl_shield__dd_bit(dd, ref);
        uint32_t *row = d->node + ((size_t)rows->number[head] << rows->width);
        d->node_shift[rows->number[head]] = (uint8_t)shift;
        for (v = 0; v < (1u << rows->width); ++v) {
            uint32_t c = saferl_shield__dd_after(dd, ref, shift, rows->width, v);
            row[v] = SAFERL_SHIELD__MAP(c);
        }
    }
    d->root = SAFERL_SHIELD__MAP(root);
#undef SAFERL_SHIELD__MAP
    memcpy(d->letter_label, label, (size_t)d->letter_count * sizeof(uint32_t));
}

/* An automaton's classifier in dd: leaves are its letters, or leaf_map[letter] when given
   (dense: the full tree over its propositions in label-bit order). memo: per row. */
static uint32_t saferl_shield__dd_import(saferl_shield__dd *dd, const saferl_shield_dfa *d, uint32_t ref, uint32_t *memo,
                                         const uint32_t *leaf_map);

static uint32_t saferl_shield__dd_import_row(saferl_shield__dd *dd, const saferl_shield_dfa *d, uint32_t row, uint32_t depth,
                                             uint32_t value, uint32_t *memo, const uint32_t *leaf_map) {
    uint32_t bit = d->node_shift[row] + depth;
    if (depth == d->node_bits || bit >= SAFERL_SHIELD_LABEL_BITS)
        return saferl_shield__dd_import(dd, d, d->node[((size_t)row << d->node_bits) | value], memo, leaf_map);
    return saferl_shield__dd_node(dd, bit, saferl_shield__dd_import_row(dd, d, row, depth + 1, value, memo, leaf_map),
                                  saferl_shield__dd_import_row(dd, d, row, depth + 1, value | (1u << depth), memo, leaf_map));
}

static uint32_t saferl_shield__dd_import(saferl_shield__dd *dd, const saferl_shield_dfa *d, uint32_t ref, uint32_t *memo,
                                         const uint32_t *leaf_map) {
    uint32_t row = ref & SAFERL_SHIELD__ROW_MASK;
    if (ref & SAFERL_SHIELD_LEAF) return leaf_map ? SAFERL_SHIELD_LEAF | leaf_map[ref & ~SAFERL_SHIELD_LEAF] : ref;
    if (memo[row] == SAFERL_SHIELD_NO_STATE) memo[row] = saferl_shield__dd_import_row(dd, d, row, 0, 0, memo, leaf_map);
    return memo[row];
}

static uint32_t saferl_shield__dd_dense(saferl_shield__dd *dd, const saferl_shield_dfa *d, const uint32_t *by_bit,
                                        uint32_t level, uint32_t letter, const uint32_t *leaf_map) {
    uint32_t j;
    if (level == d->prop_count) return SAFERL_SHIELD_LEAF | (leaf_map ? leaf_map[letter] : letter);
    j = by_bit[level];
    return saferl_shield__dd_node(dd, d->prop_bit[j], saferl_shield__dd_dense(dd, d, by_bit, level + 1, letter, leaf_map),
                                  saferl_shield__dd_dense(dd, d, by_bit, level + 1, letter | (1u << j), leaf_map));
}

static uint32_t saferl_shield__dd_classifier(saferl_shield__dd *dd, const saferl_shield_dfa *d, const uint32_t *leaf_map,
                                             const saferl_allocator *allocator) {
    uint32_t by_bit[SAFERL_SHIELD_MAX_PROPS], j, m, r;
    if (d->node) {
        uint32_t *memo = (uint32_t *)saferl_shield__allocate(allocator, ((size_t)d->node_count + 1) * sizeof(uint32_t));
        if (!memo) {
            dd->failed = 1;
            return SAFERL_SHIELD_LEAF;
        }
        for (j = 0; j < d->node_count; ++j) memo[j] = SAFERL_SHIELD_NO_STATE;
        r = saferl_shield__dd_import(dd, d, d->root, memo, leaf_map);
        saferl_shield__release(allocator, memo);
        return r;
    }
    for (j = 0; j < d->prop_count; ++j) by_bit[j] = j;
    for (j = 1; j < d->prop_count; ++j)
        for (m = j; m > 0 && d->prop_bit[by_bit[m - 1]] > d->prop_bit[by_bit[m]]; --m) {
            uint32_t t = by_bit[m];
            by_bit[m] = by_bit[m - 1];
            by_bit[m - 1] = t;
        }
    return saferl_shield__dd_dense(dd, d, by_bit, 0, 0, leaf_map);
}

/* The letters and rows of a classifier diagram with leaf_count leaves, ready to install. */
typedef struct saferl_shield__classes {
    uint32_t letters, *letter_of, *label, *node_id;
    saferl_shield__rows rows;
} saferl_shield__classes;

static saferl_result saferl_shield__classes_plan(saferl_shield__dd *dd, uint32_t root, uint32_t leaf_count,
                                                 saferl_shield__classes *c, const saferl_allocator *allocator) {
    uint32_t nodes_used = 0;
    memset(c, 0, sizeof *c);
    saferl_shield__index_start(&c->rows.refs, allocator);
    if (dd->failed) return SAFERL_ERR_OUT_OF_MEMORY;
    c->letter_of = (uint32_t *)saferl_shield__allocate(allocator, ((size_t)leaf_count * 2 + dd->nodes.keys.count + 1) *
                                                                      sizeof(uint32_t));
    if (!c->letter_of) return SAFERL_ERR_OUT_OF_MEMORY;
    c->label = c->letter_of + leaf_count;
    c->node_id = c->label + leaf_count;
    c->letters = (uint32_t)saferl_shield__dd_letters(dd, root, c->letter_of, leaf_count, c->label, c->node_id, &nodes_used);
    return saferl_shield__rows_plan(dd, root, nodes_used, &c->rows, allocator);
}

static void saferl_shield__classes_free(saferl_shield__classes *c, const saferl_allocator *allocator) {
    saferl_shield__release(allocator, c->letter_of);
    c->letter_of = NULL;
    saferl_shield__rows_free(&c->rows, allocator);
}

/* ---- minimisation (Hopcroft) --------------------------------------------------------------- */

/* A new automaton of state_count states over model's propositions and letters (its
   classifier copied when symbolic). */
static saferl_result saferl_shield__dfa_like(saferl_shield_dfa *out, uint32_t state_count, const saferl_shield_dfa *model,
                                             int with_rewards, const saferl_allocator *allocator) {
    saferl_result r = saferl_shield__dfa_new(out, state_count, model->prop_count, model->node ? model->letter_count : 0,
                                             model->node ? model->node_count : 0, model->node ? model->node_bits : 0,
                                             with_rewards, allocator);
    if (r != SAFERL_OK) return r;
    memcpy(out->prop_bit, model->prop_bit, sizeof out->prop_bit);
    memcpy(out->prop_name, model->prop_name, sizeof out->prop_name);
    if (model->node) {
        memcpy(out->node, model->node, ((size_t)model->node_count << model->node_bits) * sizeof(uint32_t));
        memcpy(out->node_shift, model->node_shift, model->node_count);
        memcpy(out->letter_label, model->letter_label, (size_t)model->letter_count * sizeof(uint32_t));
        out->root = model->root;
    }
    saferl_shield__compute_gather(out);
    return SAFERL_OK;
}

static uint64_t saferl_shield__hash_words(const uint32_t *words, size_t count) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    size_t i;
    for (i = 0; i < count; ++i) h = saferl_shield__mix(h ^ words[i]) + i;
    return h;
}

/* Interning of rows: rows holds count rows of width words; number[i] gets the number of row
   i's content, numbered in order of first appearance (*distinct of them). table: scratch of
   capacity slots, a power of two at least 2 x count. The one table behind minimisation's
   partition refinement and letter merging. */
static void saferl_shield__number_rows(const uint32_t *rows, uint32_t count, size_t width, uint32_t *table,
                                       size_t capacity, uint32_t *number, uint32_t *distinct) {
    uint32_t i;
    *distinct = 0;
    memset(table, 0, capacity * sizeof(uint32_t));
    for (i = 0; i < count; ++i) {
        const uint32_t *w = rows + (size_t)i * width;
        size_t h = (size_t)saferl_shield__hash_words(w, width) & (capacity - 1);
        for (;;) {
            if (!table[h]) {
                table[h] = i + 1;
                number[i] = (*distinct)++;
                break;
            }
            if (memcmp(rows + (size_t)(table[h] - 1) * width, w, width * sizeof(uint32_t)) == 0) {
                number[i] = number[table[h] - 1];
                break;
            }
            h = (h + 1) & (capacity - 1);
        }
    }
}

/* Scratch of saferl_shield_minimize, phase by phase. */
typedef struct saferl_shield__minimize {
    const saferl_shield_dfa *d;
    const saferl_allocator *allocator;
    uint32_t m;                        /* reachable states, order[0 .. m) breadth first */
    uint32_t *order, *id;              /* state of position i; position of a state (NO_STATE) */
    uint32_t *cls, class_count;        /* the class of position i */
    uint32_t *rep, *renumber, *queue;  /* per class: a member state, its final number, BFS queue */
    uint32_t letters, *old_of;         /* result letters; d's letter of each */
    uint32_t *table;                   /* the interning table */
    size_t table_capacity;
    saferl_shield__dd dd;              /* symbolic: the classifier over merged letters */
    int dd_used;
    uint32_t dd_root;
    saferl_shield__classes classes;
} saferl_shield__minimize;

/* Phase 1: the states reachable from the initial one, numbered breadth first. */
static saferl_result saferl_shield__minimize_reach(saferl_shield__minimize *z) {
    const saferl_shield_dfa *d = z->d;
    uint32_t q, letter, n = d->state_count;
    size_t head;
    z->order = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)n * sizeof(uint32_t));
    z->id = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)n * sizeof(uint32_t));
    if (!z->order || !z->id) return SAFERL_ERR_OUT_OF_MEMORY;
    for (q = 0; q < n; ++q) z->id[q] = SAFERL_SHIELD_NO_STATE;
    z->m = 0;
    z->order[z->m] = d->initial;
    z->id[d->initial] = z->m++;
    for (head = 0; head < z->m; ++head)
        for (letter = 0; letter < d->letter_count; ++letter) {
            uint32_t t = d->next[((size_t)z->order[head] << d->letter_bits) | letter];
            if (z->id[t] == SAFERL_SHIELD_NO_STATE) {
                z->id[t] = z->m;
                z->order[z->m++] = t;
            }
        }
    return SAFERL_OK;
}

/* Phase 2a: the partition Hopcroft starts from: states apart by (accepting, terminal, stage,
   sink) and, with rewards, by their row of edge rewards (compared bit for bit). Rewards never
   change, so splitting by them once here is what Moore's rounds did again and again. */
static saferl_result saferl_shield__minimize_start(saferl_shield__minimize *z) {
    const saferl_shield_dfa *d = z->d;
    uint32_t letters = d->letter_count, letter, *rows = NULL;
    size_t width = 1 + 2 * (size_t)letters, i;
    saferl_shield__index first;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    saferl_shield__index_start(&first, z->allocator);
    for (i = 0; i < z->m; ++i) {
        uint32_t s = z->order[i];
        uint64_t key = (uint64_t)(d->flags[s] & (SAFERL_SHIELD_ACCEPTING | SAFERL_SHIELD_TERMINAL)) |
                       ((uint64_t)d->stage[s] << 8) | ((uint64_t)(s == d->sink) << 24);
        if (saferl_shield__index_get(&first, key, &z->cls[i], NULL) < 0) goto done;
    }
    z->class_count = (uint32_t)first.keys.count;
    if (d->reward) {
        if ((size_t)z->m > ((size_t)-1) / sizeof(uint32_t) / width) goto done;
        rows = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)z->m * width * sizeof(uint32_t));
        if (!rows) goto done;
        for (i = 0; i < z->m; ++i) {
            uint32_t *w = rows + i * width;
            w[0] = z->cls[i];
            for (letter = 0; letter < letters; ++letter)
                memcpy(&w[1 + 2 * (size_t)letter], &d->reward[((size_t)z->order[i] << d->letter_bits) | letter],
                       sizeof(double));
        }
        saferl_shield__number_rows(rows, z->m, width, z->table, z->table_capacity, z->cls, &z->class_count);
    }
    r = SAFERL_OK;
done:
    saferl_shield__index_free(&first);
    saferl_shield__release(z->allocator, rows);
    return r;
}

/* Hopcroft's partition: the positions of each block lie together in element[first .. end);
   a split moves the states that reach the splitter to the front (the marked part). */
typedef struct saferl_shield__blocks {
    uint32_t *element, *where, *first, *end, *marked, *work, *waiting, *touched, *splitter;
    uint32_t work_count, count;
} saferl_shield__blocks;

static void saferl_shield__blocks_wait(saferl_shield__blocks *b, uint32_t block) {
    b->waiting[block] = 1;
    b->work[b->work_count++] = block;
}

/* Splits every block by "has its letter-successor in the splitter" (pre: the splitter's
   predecessors under letter, pre_start its offsets). The new block takes the marked part; the
   smaller half waits unless the whole block was already waiting (then both do). */
static void saferl_shield__blocks_split(saferl_shield__blocks *b, uint32_t *cls, uint32_t size, const uint32_t *pre,
                                        const uint32_t *pre_start) {
    uint32_t i, j, touched = 0;
    for (i = 0; i < size; ++i)
        for (j = pre_start[b->splitter[i]]; j < pre_start[b->splitter[i] + 1]; ++j) {
            uint32_t p = pre[j], c = cls[p], at = b->first[c] + b->marked[c], other = b->element[at];
            b->element[at] = p;
            b->element[b->where[p]] = other;
            b->where[other] = b->where[p];
            b->where[p] = at;
            if (b->marked[c]++ == 0) b->touched[touched++] = c;
        }
    for (i = 0; i < touched; ++i) {
        uint32_t c = b->touched[i], fresh = b->count, size_c = b->end[c] - b->first[c], m = b->marked[c];
        b->marked[c] = 0;
        if (m == size_c) continue;
        b->count++;
        b->first[fresh] = b->first[c];
        b->end[fresh] = b->first[c] + m;
        b->first[c] = b->end[fresh];
        b->marked[fresh] = b->waiting[fresh] = 0;
        for (j = b->first[fresh]; j < b->end[fresh]; ++j) cls[b->element[j]] = fresh;
        if (b->waiting[c] || m <= size_c - m) saferl_shield__blocks_wait(b, fresh);
        else saferl_shield__blocks_wait(b, c);
    }
}

/* Phase 2: Hopcroft's refinement (O(n k log n)) of the starting partition to the coarsest one
   that agrees on every letter's successor class: the same partition Moore's rounds reach (only
   its class numbers differ, and the write phase numbers classes itself). Predecessor lists per
   letter (each letter's lists hold exactly m entries) and the blocks live in one block sized up
   front. */
static saferl_result saferl_shield__minimize_refine(saferl_shield__minimize *z) {
    const saferl_shield_dfa *d = z->d;
    uint32_t letters = d->letter_count, m = z->m, letter, i, largest = 0, *memory, *pre, *pre_start;
    saferl_shield__blocks b;
    saferl_result r;
    z->table_capacity = 64;
    while (z->table_capacity < 2 * (size_t)m || z->table_capacity < 2 * (size_t)letters) z->table_capacity *= 2;
    z->cls = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)m * sizeof(uint32_t));
    z->table = (uint32_t *)saferl_shield__allocate(z->allocator, z->table_capacity * sizeof(uint32_t));
    if (!z->cls || !z->table) return SAFERL_ERR_OUT_OF_MEMORY;
    r = saferl_shield__minimize_start(z);
    if (r != SAFERL_OK) return r;
    if ((size_t)letters > (((size_t)-1) / sizeof(uint32_t) - 9 * (size_t)m) / (2 * (size_t)m + 1))
        return SAFERL_ERR_OUT_OF_MEMORY;
    memory = (uint32_t *)saferl_shield__allocate(z->allocator,
                                                  ((size_t)letters * (2 * (size_t)m + 1) + 9 * (size_t)m) * sizeof(uint32_t));
    if (!memory) return SAFERL_ERR_OUT_OF_MEMORY;
    pre = memory;
    pre_start = pre + (size_t)letters * m;
    b.element = pre_start + (size_t)letters * (m + 1);
    b.where = b.element + m, b.first = b.where + m, b.end = b.first + m, b.marked = b.end + m;
    b.work = b.marked + m, b.waiting = b.work + m, b.touched = b.waiting + m, b.splitter = b.touched + m;
    /* predecessors per letter, by counting sort on the successor's position */
    for (letter = 0; letter < letters; ++letter) {
        uint32_t *start = pre_start + (size_t)letter * (m + 1), *list = pre + (size_t)letter * m;
        memset(start, 0, ((size_t)m + 1) * sizeof(uint32_t));
        for (i = 0; i < m; ++i) start[z->id[d->next[((size_t)z->order[i] << d->letter_bits) | letter]] + 1]++;
        for (i = 0; i < m; ++i) start[i + 1] += start[i];
        memcpy(b.marked, start, (size_t)m * sizeof(uint32_t));
        for (i = 0; i < m; ++i) list[b.marked[z->id[d->next[((size_t)z->order[i] << d->letter_bits) | letter]]]++] = i;
    }
    /* the starting blocks, laid out by counting sort; all but the largest wait */
    memset(b.first, 0, (size_t)m * sizeof(uint32_t));
    for (i = 0; i < m; ++i) b.first[z->cls[i]]++;
    for (i = 0; i < z->class_count; ++i) {
        uint32_t size = b.first[i];
        b.first[i] = i ? b.end[i - 1] : 0;
        b.end[i] = b.first[i] + size;
        b.marked[i] = b.waiting[i] = 0;
        if (size > b.end[largest] - b.first[largest]) largest = i;
    }
    for (i = 0; i < m; ++i) {
        b.where[i] = b.first[z->cls[i]] + b.marked[z->cls[i]]++;
        b.element[b.where[i]] = i;
    }
    b.work_count = 0;
    b.count = z->class_count;
    for (i = 0; i < b.count; ++i) {
        b.marked[i] = 0;
        if (i != largest) saferl_shield__blocks_wait(&b, i);
    }
    while (b.work_count) {
        uint32_t splitter = b.work[--b.work_count], size = b.end[splitter] - b.first[splitter];
        b.waiting[splitter] = 0;
        memcpy(b.splitter, b.element + b.first[splitter], (size_t)size * sizeof(uint32_t));
        for (letter = 0; letter < letters; ++letter)
            saferl_shield__blocks_split(&b, z->cls, size, pre + (size_t)letter * m, pre_start + (size_t)letter * (m + 1));
    }
    z->class_count = b.count;
    saferl_shield__release(z->allocator, memory);
    return SAFERL_OK;
}

/* Phase 3 (symbolic automata): merge the letters every minimal state treats alike (equal
   columns, interned), rebuild the classifier over the merged letters and number them by its
   canonical diagram, so that equal languages give identical automata as on the dense path. */
static saferl_result saferl_shield__minimize_letters(saferl_shield__minimize *z) {
    const saferl_shield_dfa *d = z->d;
    uint32_t letters = d->letter_count, *merged = z->old_of + letters, merged_count = 0, letter, c, root, *col;
    size_t col_len = (size_t)z->class_count * (d->reward ? 3 : 1);
    saferl_result r;
    if ((size_t)letters > ((size_t)-1) / sizeof(uint32_t) / col_len) return SAFERL_ERR_OUT_OF_MEMORY;
    col = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)letters * col_len * sizeof(uint32_t));
    if (!col) return SAFERL_ERR_OUT_OF_MEMORY;
    for (letter = 0; letter < letters; ++letter) {
        uint32_t *w = col + letter * col_len;
        for (c = 0; c < z->class_count; ++c) {
            size_t at = ((size_t)z->rep[c] << d->letter_bits) | letter;
            w[c] = z->cls[z->id[d->next[at]]];
            if (d->reward) memcpy(&w[z->class_count + 2 * (size_t)c], &d->reward[at], sizeof(double));
        }
    }
    saferl_shield__number_rows(col, letters, col_len, z->table, z->table_capacity, merged, &merged_count);
    saferl_shield__release(z->allocator, col);
    saferl_shield__dd_start(&z->dd, z->allocator);
    z->dd_used = 1;
    root = saferl_shield__dd_classifier(&z->dd, d, merged, z->allocator);
    r = saferl_shield__classes_plan(&z->dd, root, merged_count, &z->classes, z->allocator);
    if (r != SAFERL_OK) return r;
    z->letters = z->classes.letters;
    for (letter = 0; letter < z->letters; ++letter) z->old_of[letter] = saferl_shield_letter(d, z->classes.label[letter]);
    z->dd_root = root;
    return SAFERL_OK;
}

/* Phase 4: the classes numbered breadth first from the initial one, letters in increasing
   order (equal languages give identical tables), written into a new automaton. */
static saferl_result saferl_shield__minimize_write(saferl_shield__minimize *z, saferl_shield_dfa *out) {
    const saferl_shield_dfa *d = z->d;
    uint32_t count = 0, letter, i;
    size_t head;
    saferl_shield_dfa result;
    saferl_result r;
    z->queue[count] = z->cls[0];
    z->renumber[z->cls[0]] = count++;
    for (head = 0; head < count; ++head)
        for (letter = 0; letter < z->letters; ++letter) {
            uint32_t c = z->cls[z->id[d->next[((size_t)z->rep[z->queue[head]] << d->letter_bits) | z->old_of[letter]]]];
            if (z->renumber[c] == SAFERL_SHIELD_NO_STATE) {
                z->renumber[c] = count;
                z->queue[count++] = c;
            }
        }
    if (d->node) {
        r = saferl_shield__dfa_new(&result, z->class_count, d->prop_count, z->letters, z->classes.rows.count,
                                   z->classes.rows.width, d->reward != NULL, z->allocator);
        if (r != SAFERL_OK) return r;
        memcpy(result.prop_bit, d->prop_bit, sizeof result.prop_bit);
        memcpy(result.prop_name, d->prop_name, sizeof result.prop_name);
        saferl_shield__dd_install(&z->dd, z->dd_root, z->classes.letter_of, z->classes.label, &z->classes.rows, &result);
    } else {
        r = saferl_shield__dfa_like(&result, z->class_count, d, d->reward != NULL, z->allocator);
        if (r != SAFERL_OK) return r;
    }
    for (i = 0; i < z->class_count; ++i) {
        uint32_t s = z->rep[z->queue[i]];
        size_t from = (size_t)s << d->letter_bits, to = (size_t)i << result.letter_bits;
        for (letter = 0; letter < z->letters; ++letter) {
            result.next[to + letter] = z->renumber[z->cls[z->id[d->next[from + z->old_of[letter]]]]];
            if (d->reward) result.reward[to + letter] = d->reward[from + z->old_of[letter]];
        }
        result.flags[i] = d->flags[s];
        result.stage[i] = d->stage[s];
    }
    result.initial = 0;
    result.sink = (d->sink != SAFERL_SHIELD_NO_STATE && z->id[d->sink] != SAFERL_SHIELD_NO_STATE)
                      ? z->renumber[z->cls[z->id[d->sink]]] : SAFERL_SHIELD_NO_STATE;
    result.semantics = d->semantics;
    *out = result;
    return SAFERL_OK;
}

/* Phases 3 and 4 after the refinement: a representative per class (its first state breadth
   first), merged letters when symbolic, the table written. */
static saferl_result saferl_shield__minimize_finish(saferl_shield__minimize *z, saferl_shield_dfa *out) {
    const saferl_shield_dfa *d = z->d;
    uint32_t letter, i;
    saferl_result r = SAFERL_OK;
    z->rep = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)z->class_count * sizeof(uint32_t));
    z->renumber = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)z->class_count * sizeof(uint32_t));
    z->queue = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)z->class_count * sizeof(uint32_t));
    z->old_of = (uint32_t *)saferl_shield__allocate(z->allocator, (size_t)d->letter_count * 2 * sizeof(uint32_t));
    if (!z->rep || !z->renumber || !z->queue || !z->old_of) return SAFERL_ERR_OUT_OF_MEMORY;
    for (i = 0; i < z->class_count; ++i) z->rep[i] = z->renumber[i] = SAFERL_SHIELD_NO_STATE;
    for (i = 0; i < z->m; ++i)
        if (z->rep[z->cls[i]] == SAFERL_SHIELD_NO_STATE) z->rep[z->cls[i]] = z->order[i];
    z->letters = d->letter_count;
    for (letter = 0; letter < z->letters; ++letter) z->old_of[letter] = letter;
    if (d->node) r = saferl_shield__minimize_letters(z);
    if (r == SAFERL_OK) r = saferl_shield__minimize_write(z, out);
    return r;
}

static void saferl_shield__minimize_free(saferl_shield__minimize *z) {
    saferl_shield__release(z->allocator, z->order);
    saferl_shield__release(z->allocator, z->id);
    saferl_shield__release(z->allocator, z->cls);
    saferl_shield__release(z->allocator, z->table);
    saferl_shield__release(z->allocator, z->rep);
    saferl_shield__release(z->allocator, z->renumber);
    saferl_shield__release(z->allocator, z->queue);
    saferl_shield__release(z->allocator, z->old_of);
    saferl_shield__classes_free(&z->classes, z->allocator);
    if (z->dd_used) saferl_shield__dd_free(&z->dd);
}

SAFERL_SHIELD_API saferl_result saferl_shield_minimize(const saferl_shield_dfa *d, saferl_shield_dfa *out,
                                                       const saferl_allocator *allocator) {
    saferl_shield__minimize z;
    saferl_result r;
    SAFERL_ASSERT(d != NULL && out != NULL);
    if (!d->next || d->state_count == 0 || d->initial >= d->state_count) return SAFERL_ERR_INVALID_ARGUMENT;
    memset(&z, 0, sizeof z);
    z.d = d;
    z.allocator = allocator;
    z.dd_root = SAFERL_SHIELD_LEAF;
    r = saferl_shield__minimize_reach(&z);
    if (r == SAFERL_OK) r = saferl_shield__minimize_refine(&z);
    if (r == SAFERL_OK) r = saferl_shield__minimize_finish(&z, out);
    saferl_shield__minimize_free(&z);
    return r;
}

/* Settles a scratch automaton, minimises it into out and releases the scratch. */
static saferl_result saferl_shield__finish_build(saferl_shield_dfa *raw, int prune_dead, saferl_shield_dfa *out,
                                                 const saferl_allocator *allocator) {
    saferl_result r = saferl_shield__settle(raw, prune_dead, allocator);
    if (r == SAFERL_OK) r = saferl_shield_minimize(raw, out, allocator);
    saferl_shield_dfa_destroy(raw);
    return r;
}

/* ---- two automata over one alphabet ------------------------------------------------------- */

typedef struct saferl_shield__alphabet {
    uint32_t prop_count, letter_count;
    uint8_t bit[SAFERL_SHIELD_MAX_PROPS];
    char name[SAFERL_SHIELD_MAX_PROPS][SAFERL_SHIELD_NAME_CAPACITY];
    uint32_t *letter_a, *letter_b; /* letter of a and of b, per letter of the union */
    uint32_t *label;               /* a label of each letter of the union */
    /* symbolic union (more than 16 propositions): the joint classes of labels */
    int symbolic;
    saferl_shield__dd dd;
    uint32_t root;
    saferl_shield__classes classes;
} saferl_shield__alphabet;

static void saferl_shield__alphabet_free(saferl_shield__alphabet *u, const saferl_allocator *allocator) {
    saferl_shield__release(allocator, u->letter_a);
    if (u->symbolic) {
        saferl_shield__classes_free(&u->classes, allocator);
        saferl_shield__dd_free(&u->dd);
    }
}

static saferl_result saferl_shield__join_props(const saferl_shield_dfa *a, const saferl_shield_dfa *b,
                                               saferl_shield__alphabet *u, const saferl_allocator *allocator) {
    uint32_t bits[2 * SAFERL_SHIELD_MAX_PROPS];
    const char *names[2 * SAFERL_SHIELD_MAX_PROPS];
    uint32_t count = 0, j, m, letters;
    const saferl_shield_dfa *both[2];
    int side;
    both[0] = a;
    both[1] = b;
    for (side = 0; side < 2; ++side)
        for (j = 0; j < both[side]->prop_count; ++j) {
            int found = 0;
            for (m = 0; m < count; ++m) {
                int same_name = strcmp(names[m], both[side]->prop_name[j]) == 0;
                int same_bit = bits[m] == both[side]->prop_bit[j];
                if (same_name != same_bit) return SAFERL_ERR_INVALID_ARGUMENT;
                if (same_name) found = 1;
            }
            if (!found) {
                bits[count] = both[side]->prop_bit[j];
                names[count++] = both[side]->prop_name[j];
            }
        }
    if (count > SAFERL_SHIELD_MAX_PROPS) return SAFERL_ERR_UNSUPPORTED;
    for (j = 1; j < count; ++j) /* by label bit: a canonical order */
        for (m = j; m > 0 && bits[m - 1] > bits[m]; --m) {
            uint32_t tb = bits[m];
            const char *tn = names[m];
            bits[m] = bits[m - 1];
            names[m] = names[m - 1];
            bits[m - 1] = tb;
            names[m - 1] = tn;
        }
    memset(u, 0, sizeof *u);
    u->prop_count = count;
    for (j = 0; j < count; ++j) {
        u->bit[j] = (uint8_t)bits[j];
        memcpy(u->name[j], names[j], strlen(names[j]) + 1);
    }
    if (count > SAFERL_SHIELD_DENSE_PROPS) { /* the classes of labels both automata separate */
        uint32_t ca, cb;
        saferl_result r;
        u->symbolic = 1;
        saferl_shield__dd_start(&u->dd, allocator);
        ca = saferl_shield__dd_classifier(&u->dd, a, NULL, allocator);
        cb = saferl_shield__dd_classifier(&u->dd, b, NULL, allocator);
        u->root = saferl_shield__dd_pair(&u->dd, ca, cb);
        if (u->dd.failed) return SAFERL_ERR_OUT_OF_MEMORY;
        if (u->dd.pairs.keys.count > SAFERL_SHIELD_MAX_LETTERS) return SAFERL_ERR_UNSUPPORTED;
        r = saferl_shield__classes_plan(&u->dd, u->root, (uint32_t)u->dd.pairs.keys.count, &u->classes, allocator);
        if (r != SAFERL_OK) return r;
        letters = u->classes.letters;
    } else {
        letters = 1u << count;
    }
    u->letter_count = letters;
    u->letter_a = (uint32_t *)saferl_shield__allocate(allocator, (size_t)letters * 3 * sizeof(uint32_t));
    if (!u->letter_a) return SAFERL_ERR_OUT_OF_MEMORY;
    u->letter_b = u->letter_a + letters;
    u->label = u->letter_b + letters;
    for (j = 0; j < letters; ++j) {
        uint32_t label = 0;
        if (u->symbolic) {
            label = u->classes.label[j];
        } else {
            for (m = 0; m < count; ++m)
                if ((j >> m) & 1u) label |= 1u << bits[m];
        }
        u->label[j] = label;
        u->letter_a[j] = saferl_shield_letter(a, label);
        u->letter_b[j] = saferl_shield_letter(b, label);
    }
    return SAFERL_OK;
}

/* A new automaton over the union alphabet. */
static saferl_result saferl_shield__alphabet_dfa(saferl_shield_dfa *d, uint32_t state_count, const saferl_shield__alphabet *u,
                                                 int with_rewards, const saferl_allocator *allocator) {
    uint32_t j;
    saferl_result r = saferl_shield__dfa_new(d, state_count, u->prop_count, u->symbolic ? u->letter_count : 0,
                                             u->symbolic ? u->classes.rows.count : 0, u->classes.rows.width,
                                             with_rewards, allocator);
    if (r != SAFERL_OK) return r;
    for (j = 0; j < u->prop_count; ++j) {
        d->prop_bit[j] = u->bit[j];
        memcpy(d->prop_name[j], u->name[j], SAFERL_SHIELD_NAME_CAPACITY);
    }
    if (u->symbolic)
        saferl_shield__dd_install(&u->dd, u->root, u->classes.letter_of, u->classes.label, &u->classes.rows, d);
    saferl_shield__compute_gather(d);
    return SAFERL_OK;
}

/* saferl_shield_product with a bound on the reachable pairs (UNSUPPORTED above it). */
static saferl_result saferl_shield__product(const saferl_shield_dfa *a, const saferl_shield_dfa *b,
                                            saferl_shield_combine combine, size_t max_pairs, saferl_shield_dfa *out,
                                            const saferl_allocator *allocator) {
    saferl_shield__alphabet u;
    saferl_shield__index pairs;
    saferl_shield__vec next, rewards;
    saferl_shield_dfa raw;
    saferl_result r;
    uint32_t letters, letter, with_rewards = a->reward || b->reward, id;
    size_t head;
    SAFERL_ASSERT(a != NULL && b != NULL && out != NULL);
    if (combine != SAFERL_SHIELD_INTERSECTION && combine != SAFERL_SHIELD_UNION) return SAFERL_ERR_INVALID_ARGUMENT;
    memset(&u, 0, sizeof u);
    saferl_shield__index_start(&pairs, allocator);
    saferl_shield__vec_start(&next, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&rewards, sizeof(double), allocator);
    r = saferl_shield__join_props(a, b, &u, allocator);
    if (r != SAFERL_OK) goto done;
    letters = u.letter_count;
    r = SAFERL_ERR_OUT_OF_MEMORY;
    if (saferl_shield__index_get(&pairs, (uint64_t)a->initial * b->state_count + b->initial, &id, NULL) < 0) goto done;
    for (head = 0; head < pairs.keys.count; ++head) {
        uint64_t key = ((const uint64_t *)pairs.keys.data)[head];
        uint32_t qa = (uint32_t)(key / b->state_count), qb = (uint32_t)(key % b->state_count);
        if (pairs.keys.count > max_pairs) {
            r = SAFERL_ERR_UNSUPPORTED;
            goto done;
        }
        for (letter = 0; letter < letters; ++letter) {
            size_t ia = ((size_t)qa << a->letter_bits) | u.letter_a[letter];
            size_t ib = ((size_t)qb << b->letter_bits) | u.letter_b[letter];
            uint32_t *slot;
            if (saferl_shield__index_get(&pairs, (uint64_t)a->next[ia] * b->state_count + b->next[ib], &id, NULL) < 0)
                goto done;
            slot = (uint32_t *)saferl_shield__vec_push(&next);
            if (!slot) goto done;
            *slot = id;
            if (with_rewards) {
                double *w = (double *)saferl_shield__vec_push(&rewards);
                if (!w) goto done;
                *w = (a->reward ? a->reward[ia] : 0.0) + (b->reward ? b->reward[ib] : 0.0);
            }
        }
    }
    r = saferl_shield__alphabet_dfa(&raw, (uint32_t)pairs.keys.count, &u, (int)with_rewards, allocator);
    if (r != SAFERL_OK) goto done;
    for (head = 0; head < pairs.keys.count; ++head) { /* rows of letters, at the automaton's stride */
        memcpy(raw.next + (head << raw.letter_bits), (const uint32_t *)(void *)next.data + head * letters,
               letters * sizeof(uint32_t));
        if (with_rewards)
            memcpy(raw.reward + (head << raw.letter_bits), (const double *)(void *)rewards.data + head * letters,
                   letters * sizeof(double));
    }
    for (head = 0; head < pairs.keys.count; ++head) {
        uint64_t key = ((const uint64_t *)pairs.keys.data)[head];
        uint32_t qa = (uint32_t)(key / b->state_count), qb = (uint32_t)(key % b->state_count);
        int acc_a = (a->flags[qa] & SAFERL_SHIELD_ACCEPTING) != 0, acc_b = (b->flags[qb] & SAFERL_SHIELD_ACCEPTING) != 0;
        int acc = combine == SAFERL_SHIELD_INTERSECTION ? (acc_a && acc_b) : (acc_a || acc_b);
        raw.flags[head] = (uint8_t)((acc ? SAFERL_SHIELD_ACCEPTING : 0) |
                                    ((a->flags[qa] | b->flags[qb]) & SAFERL_SHIELD_TERMINAL));
        raw.stage[head] = a->stage[qa];
    }
    raw.semantics = (a->semantics == SAFERL_SHIELD_SAFETY && b->semantics == SAFERL_SHIELD_SAFETY)
                        ? SAFERL_SHIELD_SAFETY : SAFERL_SHIELD_FINITE;
    r = saferl_shield__finish_build(&raw, raw.semantics == SAFERL_SHIELD_SAFETY, out, allocator);
done:
    saferl_shield__index_free(&pairs);
    saferl_shield__vec_free(&next);
    saferl_shield__vec_free(&rewards);
    saferl_shield__alphabet_free(&u, allocator);
    return r;
}

SAFERL_SHIELD_API saferl_result saferl_shield_product(const saferl_shield_dfa *a, const saferl_shield_dfa *b,
                                                      saferl_shield_combine combine, saferl_shield_dfa *out,
                                                      const saferl_allocator *allocator) {
    return saferl_shield__product(a, b, combine, (size_t)1 << 24, out, allocator);
}

SAFERL_SHIELD_API saferl_result saferl_shield_complement(const saferl_shield_dfa *d, saferl_shield_dfa *out,
                                                         const saferl_allocator *allocator) {
    saferl_shield_dfa raw;
    saferl_result r;
    size_t edges;
    uint32_t q;
    SAFERL_ASSERT(d != NULL && out != NULL);
    r = saferl_shield__dfa_like(&raw, d->state_count, d, d->reward != NULL, allocator);
    if (r != SAFERL_OK) return r;
    edges = (size_t)d->state_count << d->letter_bits;
    memcpy(raw.next, d->next, edges * sizeof(uint32_t));
    if (d->reward) memcpy(raw.reward, d->reward, edges * sizeof(double));
    for (q = 0; q < d->state_count; ++q) {
        raw.flags[q] = (uint8_t)(d->flags[q] ^ SAFERL_SHIELD_ACCEPTING);
        raw.stage[q] = d->stage[q];
    }
    raw.initial = d->initial;
    raw.semantics = SAFERL_SHIELD_FINITE;
    return saferl_shield__finish_build(&raw, 0, out, allocator);
}

SAFERL_SHIELD_API saferl_result saferl_shield_equivalent(const saferl_shield_dfa *a, const saferl_shield_dfa *b,
                                                         int *equal, uint32_t *trace, size_t capacity,
                                                         size_t *trace_length, const saferl_allocator *allocator) {
    saferl_shield__alphabet u;
    saferl_shield__index pairs;
    saferl_shield__vec parent; /* two uint32 per pair: the pair it was reached from, the letter */
    saferl_result r;
    uint32_t letters, letter, id;
    size_t head;
    int added;
    SAFERL_ASSERT(a != NULL && b != NULL && equal != NULL);
    if ((uint64_t)a->state_count * b->state_count > (1ull << 28)) return SAFERL_ERR_UNSUPPORTED;
    memset(&u, 0, sizeof u);
    saferl_shield__index_start(&pairs, allocator);
    saferl_shield__vec_start(&parent, 2 * sizeof(uint32_t), allocator);
    r = saferl_shield__join_props(a, b, &u, allocator);
    if (r != SAFERL_OK) goto done;
    letters = u.letter_count;
    r = SAFERL_ERR_OUT_OF_MEMORY;
    if (saferl_shield__index_get(&pairs, (uint64_t)a->initial * b->state_count + b->initial, &id, NULL) < 0 ||
        !saferl_shield__vec_push(&parent))
        goto done;
    ((uint32_t *)parent.data)[0] = SAFERL_SHIELD_NO_STATE;
    *equal = 1;
    if (trace_length) *trace_length = 0;
    for (head = 0; head < pairs.keys.count; ++head) {
        uint64_t key = ((const uint64_t *)pairs.keys.data)[head];
        uint32_t qa = (uint32_t)(key / b->state_count), qb = (uint32_t)(key % b->state_count);
        if (((a->flags[qa] ^ b->flags[qb]) & SAFERL_SHIELD_ACCEPTING) != 0) {
            size_t length = 0, at = head, k;
            *equal = 0;
            while (((uint32_t *)parent.data)[2 * at] != SAFERL_SHIELD_NO_STATE) {
                ++length;
                at = ((uint32_t *)parent.data)[2 * at];
            }
            if (trace_length) *trace_length = length;
            at = head;
            for (k = length; k > 0; --k) {
                uint32_t l = ((uint32_t *)parent.data)[2 * at + 1];
                if (trace && k - 1 < capacity) trace[k - 1] = u.label[l];
                at = ((uint32_t *)parent.data)[2 * at];
            }
            break;
        }
        for (letter = 0; letter < letters; ++letter) {
            uint32_t na = a->next[((size_t)qa << a->letter_bits) | u.letter_a[letter]];
            uint32_t nb = b->next[((size_t)qb << b->letter_bits) | u.letter_b[letter]];
            if (saferl_shield__index_get(&pairs, (uint64_t)na * b->state_count + nb, &id, &added) < 0) goto done;
            if (added) {
                uint32_t *p = (uint32_t *)saferl_shield__vec_push(&parent);
                if (!p) goto done;
                p[0] = (uint32_t)head;
                p[1] = letter;
            }
        }
    }
    r = SAFERL_OK;
done:
    saferl_shield__index_free(&pairs);
    saferl_shield__vec_free(&parent);
    saferl_shield__alphabet_free(&u, allocator);
    return r;
}

/* ---- writers ------------------------------------------------------------------------------- */

typedef struct saferl_shield__text {
    char *buffer;
    size_t capacity, length;
} saferl_shield__text;

static void saferl_shield__put(saferl_shield__text *t, const char *s) {
    size_t n = strlen(s);
    if (t->length + n < t->capacity) memcpy(t->buffer + t->length, s, n);
    t->length += n;
}

static void saferl_shield__put_uint(saferl_shield__text *t, unsigned long value) {
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lu", value);
    saferl_shield__put(t, tmp);
}

static void saferl_shield__put_double(saferl_shield__text *t, double value) {
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.17g", value);
    saferl_shield__put(t, tmp);
}

static saferl_result saferl_shield__text_end(saferl_shield__text *t, size_t *length) {
    if (length) *length = t->length;
    if (t->length < t->capacity) {
        t->buffer[t->length] = '\0';
        return SAFERL_OK;
    }
    if (t->capacity) t->buffer[t->capacity - 1] = '\0';
    return SAFERL_ERR_BUFFER_TOO_SMALL;
}

typedef enum saferl_shield__guard_style {
    SAFERL_SHIELD__GUARD_HOA = 0, /* 0&!1 | 2 */
    SAFERL_SHIELD__GUARD_DOT = 1, /* lava & !wood | fire */
    SAFERL_SHIELD__GUARD_RM = 2   /* a&!b|c, one-character names */
} saferl_shield__guard_style;

/* Calls emit(state, destination, member) once per (state, destination) with an edge, in the
   order of each destination's first letter. */
typedef struct saferl_shield__edge_walk {
    const saferl_shield_dfa *d;
    unsigned char *member, *covered, *done;
    const saferl_allocator *allocator;
    saferl_shield__dd dd;              /* symbolic: the classifier as binary nodes */
    uint32_t root;
    uint32_t *memo_key, *seen, *stack; /* symbolic, per node: factored writer's scratch */
    uint32_t *cut_memo, *arrivals;     /* symbolic, per node: generation, stop, cut in, cut out; edges in */
    uint32_t *reduced, *reduced_first; /* symbolic, per node: the guard's reduced diagram (below) */
    saferl_shield__index reduced_nodes;/* symbolic: (bit, low, high) of the reduced diagram */
    const unsigned char *in_guard;     /* symbolic: the letters of the guard being written */
    unsigned char *memo_class;
    uint32_t generation, search;       /* stamps: one per guard, one per reachability search */
} saferl_shield__edge_walk;

/* Symbolic: class of a diagram reference for the set member: 1 every label in it, 2 none,
   3 some (memo per node in class_of, 0 unknown). The diagram is the automaton's classifier
   read back into a scratch manager (binary nodes, canonical: the same paths as before). */
static unsigned char saferl_shield__guard_class(const saferl_shield__dd *dd, const unsigned char *member,
                                                unsigned char *class_of, uint32_t ref) {
    if (ref & SAFERL_SHIELD_LEAF) return member[ref & ~SAFERL_SHIELD_LEAF] ? 1 : 2;
    if (!class_of[ref])
        class_of[ref] = (unsigned char)(saferl_shield__guard_class(dd, member, class_of, saferl_shield__dd_child(dd, ref, 0)) |
                                        saferl_shield__guard_class(dd, member, class_of, saferl_shield__dd_child(dd, ref, 1)));
    return class_of[ref];
}

/* Symbolic: one cube per path of the diagram into a part that lies wholly in the set (the
   cubes are disjoint: a rule like G !(a & b) & G !(c & d) & ... writes 2^pairs of them). */
static void saferl_shield__put_paths(saferl_shield__text *t, const saferl_shield_dfa *d, const saferl_shield__dd *dd,
                                     const unsigned char *member, unsigned char *class_of, uint32_t ref, uint32_t *path,
                                     uint32_t depth, uint32_t *cubes, saferl_shield__guard_style style) {
    unsigned char c = saferl_shield__guard_class(dd, member, class_of, ref);
    uint32_t i, j;
    if (c == 2) return;
    if (c == 3) {
        for (i = 0; i < 2; ++i) {
            path[depth] = saferl_shield__dd_bit(dd, ref) | (i << 8);
            saferl_shield__put_paths(t, d, dd, member, class_of, saferl_shield__dd_child(dd, ref, (int)i), path, depth + 1,
                                     cubes, style);
        }
        return;
    }
    if ((*cubes)++) saferl_shield__put(t, style == SAFERL_SHIELD__GUARD_RM ? "|" : " | ");
    if (depth == 0) saferl_shield__put(t, style == SAFERL_SHIELD__GUARD_HOA ? "t" : style == SAFERL_SHIELD__GUARD_DOT ? "true" : "True");
    for (i = 0; i < depth; ++i) {
        for (j = 0; j < d->prop_count && d->prop_bit[j] != (path[i] & 255u); ++j) continue;
        if (i) saferl_shield__put(t, style == SAFERL_SHIELD__GUARD_DOT ? " & " : "&");
        if (!(path[i] >> 8)) saferl_shield__put(t, "!");
        if (style == SAFERL_SHIELD__GUARD_HOA) saferl_shield__put_uint(t, j);
        else saferl_shield__put(t, d->prop_name[j]);
    }
}

/* Symbolic, HOA and DOT: the guard factored along its reduced diagram (leaves in and out)
   instead of one cube per path.
   A substitution (stop := value) treats one node as a constant. Where every path from a node
   to the set (to its complement) passes one node m, the guard is (node with m := 1) & m (or
   (node with m := 0) | m), each part written the same way; otherwise a Shannon split on the
   node's proposition, with the constant halves folded (a & x, !a | x, ...). G !(a & b) &
   G !(c & d) & ... becomes (!a | !b) & (!c | !d) & ..., linear instead of 2^pairs cubes. */
#define SAFERL_SHIELD__NO_STOP 0xFFFFFFFFu
#define SAFERL_SHIELD__CUT_UNKNOWN 0xFFFFFFFEu

/* A child in the guard's reduced diagram: LEAF | 1 inside the guard, LEAF | 0 outside, else
   the node that stands for the reduced child (saferl_shield__reduce_guard). */
static uint32_t saferl_shield__reduced_child(const saferl_shield__edge_walk *w, uint32_t ref, int high) {
    uint32_t child = saferl_shield__dd_child(&w->dd, ref, high);
    return (child & SAFERL_SHIELD_LEAF) ? SAFERL_SHIELD_LEAF | w->in_guard[child & ~SAFERL_SHIELD_LEAF] : w->reduced[child];
}

/* The classifier tells letter classes apart; a guard only needs in or out, so two children
   that are different classes but both in (or both out) are one function here, and factoring
   the classifier itself would write it twice ("!a&X | a&X'" with X = X'). Reduced bottom-up
   (children have smaller ids than their parents): a node whose reduced children are equal is
   that child, else the first node with its (bit, low, high) stands for every node with it.
   Returns the guard's reduced root. No allocation: reduced_nodes has room for every node. */
static uint32_t saferl_shield__reduce_guard(saferl_shield__edge_walk *w, const unsigned char *member) {
    uint32_t n, id, count = (uint32_t)w->dd.nodes.keys.count;
    int added;
    w->in_guard = member;
    saferl_shield__index_clear(&w->reduced_nodes);
    for (n = 0; n < count; ++n) {
        uint32_t low = saferl_shield__reduced_child(w, n, 0), high = saferl_shield__reduced_child(w, n, 1);
        uint64_t key = ((uint64_t)saferl_shield__dd_bit(&w->dd, n) << 58) | (saferl_shield__dd_code(low) << 29) |
                       saferl_shield__dd_code(high);
        if (low == high) w->reduced[n] = low;
        else if (saferl_shield__index_get(&w->reduced_nodes, key, &id, &added) < 0) w->reduced[n] = n; /* unshared, still exact */
        else {
            if (added) w->reduced_first[id] = n;
            w->reduced[n] = w->reduced_first[id];
        }
    }
    return (w->root & SAFERL_SHIELD_LEAF) ? SAFERL_SHIELD_LEAF | member[w->root & ~SAFERL_SHIELD_LEAF] : w->reduced[w->root];
}
static unsigned char saferl_shield__factor_class(saferl_shield__edge_walk *w, uint32_t ref, uint32_t stop,
                                                 unsigned char stop_class) {
    uint32_t key = stop == SAFERL_SHIELD__NO_STOP ? 0u : (stop << 1 | (stop_class == 1u)) + 1u;
    unsigned char c;
    if (ref == stop) return stop_class;
    if (ref & SAFERL_SHIELD_LEAF) return (ref & ~SAFERL_SHIELD_LEAF) ? 1 : 2;
    if (w->memo_key[2 * ref] == w->generation && w->memo_key[2 * ref + 1] == key) return w->memo_class[ref];
    c = (unsigned char)(saferl_shield__factor_class(w, saferl_shield__reduced_child(w, ref, 0), stop, stop_class) |
                        saferl_shield__factor_class(w, saferl_shield__reduced_child(w, ref, 1), stop, stop_class));
    w->memo_key[2 * ref] = w->generation;
    w->memo_key[2 * ref + 1] = key;
    w->memo_class[ref] = c;
    return c;
}

/* Counts the edges from at into undecided nodes (arrivals per node, open in all); *sink set
   when an edge ends in a part of class want or in the current stop. */
static void saferl_shield__factor_leave(saferl_shield__edge_walk *w, uint32_t at, uint32_t stop,
                                        unsigned char stop_class, unsigned char want, uint32_t *open, int *sink) {
    int i;
    for (i = 0; i < 2; ++i) {
        uint32_t child = saferl_shield__reduced_child(w, at, i);
        unsigned char c = child == stop ? want : saferl_shield__factor_class(w, child, stop, stop_class);
        if (c == want) *sink = 1;
        else if (c == 3) ++w->arrivals[child], ++*open;
    }
}

/* The nearest node below ref (smallest proposition bit) that every path from ref to a part of
   class want passes, and that hides the current stop the same way; NO_STOP if none. Bits grow
   along every path, so the undecided descendants are swept a bit at a time: m is the cut when
   no edge from above has left for the want side or the stop and every edge still open enters m.
   Linear in the descendants; a shared part of the diagram is written once per path into it,
   so its cuts are also remembered (per node, for the last stop asked). */
static uint32_t saferl_shield__factor_cut(saferl_shield__edge_walk *w, uint32_t ref, uint32_t stop,
                                          unsigned char stop_class, unsigned char want) {
    uint32_t top = 0, count = 0, i, open = 0, best = SAFERL_SHIELD__NO_STOP;
    uint32_t at_bit[SAFERL_SHIELD_LABEL_BITS + 1];
    uint32_t key = stop == SAFERL_SHIELD__NO_STOP ? 0u : (stop << 1 | (stop_class == 1u)) + 1u;
    uint32_t *found, *memo = w->cut_memo + 4 * (size_t)ref;
    int sink = 0;
    if (memo[0] != w->generation || memo[1] != key) {
        memo[0] = w->generation;
        memo[1] = key;
        memo[2] = memo[3] = SAFERL_SHIELD__CUT_UNKNOWN;
    }
    if (memo[want + 1] != SAFERL_SHIELD__CUT_UNKNOWN) return memo[want + 1];
    if (++w->search == 0) {
        memset(w->seen, 0, w->dd.nodes.keys.count * sizeof(uint32_t));
        w->search = 1;
    }
    /* the candidates: ref's undecided descendants, then sorted by bit into the first half */
    found = w->stack + w->dd.nodes.keys.count;
    w->stack[top++] = ref;
    while (top) {
        uint32_t at = w->stack[--top];
        for (i = 0; i < 2; ++i) {
            uint32_t child = saferl_shield__reduced_child(w, at, (int)i);
            if (child == stop || saferl_shield__factor_class(w, child, stop, stop_class) != 3 ||
                w->seen[child] == w->search)
                continue;
            w->seen[child] = w->search;
            w->stack[top++] = child;
            found[count++] = child;
        }
    }
    memset(at_bit, 0, sizeof at_bit);
    for (i = 0; i < count; ++i) ++at_bit[saferl_shield__dd_bit(&w->dd, found[i]) + 1], w->arrivals[found[i]] = 0;
    for (i = 1; i <= SAFERL_SHIELD_LABEL_BITS; ++i) at_bit[i] += at_bit[i - 1];
    for (i = 0; i < count; ++i) w->stack[at_bit[saferl_shield__dd_bit(&w->dd, found[i])]++] = found[i];
    saferl_shield__factor_leave(w, ref, stop, stop_class, want, &open, &sink);
    for (i = 0; i < count && !sink;) {
        uint32_t bit = saferl_shield__dd_bit(&w->dd, w->stack[i]), end = i;
        while (end < count && saferl_shield__dd_bit(&w->dd, w->stack[end]) == bit) ++end;
        if (end == i + 1 && w->arrivals[w->stack[i]] == open) {
            best = w->stack[i];
            break;
        }
        for (; i < end; ++i) {
            open -= w->arrivals[w->stack[i]];
            saferl_shield__factor_leave(w, w->stack[i], stop, stop_class, want, &open, &sink);
        }
    }
    memo[want + 1] = best;
    return best;
}

static void saferl_shield__put_literal(saferl_shield__text *t, const saferl_shield_dfa *d, uint32_t bit, int positive,
                                       saferl_shield__guard_style style) {
    uint32_t j;
    for (j = 0; j < d->prop_count && d->prop_bit[j] != bit; ++j) continue;
    if (!positive) saferl_shield__put(t, "!");
    if (style == SAFERL_SHIELD__GUARD_HOA) saferl_shield__put_uint(t, j);
    else saferl_shield__put(t, d->prop_name[j]);
}

/* Writes the guard at ref under (stop := stop_class); in_and: the caller joins it with &, so a
   disjunction needs parentheses. */
static void saferl_shield__put_factored(saferl_shield__text *t, saferl_shield__edge_walk *w, uint32_t ref, uint32_t stop,
                                        unsigned char stop_class, int in_and, saferl_shield__guard_style style) {
    const char *and_ = style == SAFERL_SHIELD__GUARD_DOT ? " & " : "&", *or_ = " | ";
    unsigned char c = saferl_shield__factor_class(w, ref, stop, stop_class), lo, hi;
    uint32_t cut, low, high, bit;
    if (c != 3) {
        saferl_shield__put(t, c == 1 ? (style == SAFERL_SHIELD__GUARD_HOA ? "t" : "true") : (style == SAFERL_SHIELD__GUARD_HOA ? "f" : "false"));
        return;
    }
    cut = saferl_shield__factor_cut(w, ref, stop, stop_class, 1);
    if (cut != SAFERL_SHIELD__NO_STOP) { /* every way in passes cut: (ref, cut := 1) & cut */
        saferl_shield__put_factored(t, w, ref, cut, 1, 1, style);
        saferl_shield__put(t, and_);
        saferl_shield__put_factored(t, w, cut, stop, stop_class, 1, style);
        return;
    }
    cut = saferl_shield__factor_cut(w, ref, stop, stop_class, 2);
    if (cut != SAFERL_SHIELD__NO_STOP) { /* every way out passes cut: (ref, cut := 0) | cut */
        if (in_and) saferl_shield__put(t, "(");
        saferl_shield__put_factored(t, w, ref, cut, 2, 0, style);
        saferl_shield__put(t, or_);
        saferl_shield__put_factored(t, w, cut, stop, stop_class, 0, style);
        if (in_and) saferl_shield__put(t, ")");
        return;
    }
    bit = saferl_shield__dd_bit(&w->dd, ref);
    low = saferl_shield__reduced_child(w, ref, 0);
    high = saferl_shield__reduced_child(w, ref, 1);
    lo = saferl_shield__factor_class(w, low, stop, stop_class);
    hi = saferl_shield__factor_class(w, high, stop, stop_class);
    if (lo == 2 || hi == 2) { /* a & high, !a & low; a alone when the other half is all in */
        saferl_shield__put_literal(t, w->d, bit, lo == 2, style);
        if ((lo == 2 ? hi : lo) == 1) return;
        saferl_shield__put(t, and_);
        saferl_shield__put_factored(t, w, lo == 2 ? high : low, stop, stop_class, 1, style);
        return;
    }
    if (in_and) saferl_shield__put(t, "(");
    if (lo == 1 || hi == 1) { /* !a | high, a | low */
        saferl_shield__put_literal(t, w->d, bit, lo != 1, style);
        saferl_shield__put(t, or_);
        saferl_shield__put_factored(t, w, lo == 1 ? high : low, stop, stop_class, 0, style);
    } else {
        saferl_shield__put_literal(t, w->d, bit, 0, style);
        saferl_shield__put(t, and_);
        saferl_shield__put_factored(t, w, low, stop, stop_class, 1, style);
        saferl_shield__put(t, or_);
        saferl_shield__put_literal(t, w->d, bit, 1, style);
        saferl_shield__put(t, and_);
        saferl_shield__put_factored(t, w, high, stop, stop_class, 1, style);
    }
    if (in_and) saferl_shield__put(t, ")");
}

/* Writes the set of letters member[] as a guard. Dense (covered[] is scratch, both 2^k bytes):
   a union of cubes, each uncovered letter grown into the largest cube inside the set by
   dropping one proposition at a time. Not minimal, always exact. A trial cube is checked on
   its own letters only (x's cared bits, every subset of the free ones), so growing a cube
   costs the sum of its trial cubes' sizes, not k * 2^k. */
static void saferl_shield__put_guard(saferl_shield__text *t, saferl_shield__edge_walk *w, const unsigned char *member,
                                     unsigned char *covered, saferl_shield__guard_style style) {
    const saferl_shield_dfa *d = w->d;
    uint32_t letters = d->letter_count, x, y, j, care, free, cubes = 0;
    if (d->node) {
        uint32_t path[SAFERL_SHIELD_LABEL_BITS];
        if (style != SAFERL_SHIELD__GUARD_RM) { /* reward machines want a sum of cubes */
            if (++w->generation == 0) {
                memset(w->memo_key, 0, w->dd.nodes.keys.count * 2 * sizeof(uint32_t));
                memset(w->cut_memo, 0, (w->dd.nodes.keys.count + 1) * 4 * sizeof(uint32_t));
                w->generation = 1;
            }
            saferl_shield__put_factored(t, w, saferl_shield__reduce_guard(w, member), SAFERL_SHIELD__NO_STOP, 0, 0, style);
            return;
        }
        memset(covered, 0, w->dd.nodes.keys.count);
        saferl_shield__put_paths(t, d, &w->dd, member, covered, w->root, path, 0, &cubes, style);
        if (cubes == 0) saferl_shield__put(t, style == SAFERL_SHIELD__GUARD_HOA ? "f" : style == SAFERL_SHIELD__GUARD_DOT ? "false" : "False");
        return;
    }
    memset(covered, 0, letters);
    for (x = 0; x < letters; ++x) {
        if (!member[x] || covered[x]) continue;
        care = letters - 1;
        for (j = 0; j < d->prop_count; ++j) { /* the trial cube's letters: x's cared bits, any free ones */
            uint32_t trial = care & ~(1u << j), base = x & trial;
            int inside = 1;
            free = (letters - 1) & ~trial;
            y = 0;
            do inside = member[base | y];
            while (inside && (y = (y - free) & free) != 0);
            if (inside) care = trial;
        }
        y = 0;
        free = (letters - 1) & ~care;
        do covered[(x & care) | y] = 1;
        while ((y = (y - free) & free) != 0);
        if (cubes++) saferl_shield__put(t, style == SAFERL_SHIELD__GUARD_DOT ? " | " : style == SAFERL_SHIELD__GUARD_HOA ? " | " : "|");
        if (care == 0) {
            saferl_shield__put(t, style == SAFERL_SHIELD__GUARD_HOA ? "t" : style == SAFERL_SHIELD__GUARD_DOT ? "true" : "True");
            continue;
        }
        {
            int literals = 0;
            for (j = 0; j < d->prop_count; ++j) {
                if (!((care >> j) & 1u)) continue;
                if (literals++) saferl_shield__put(t, style == SAFERL_SHIELD__GUARD_DOT ? " & " : "&");
                if (!((x >> j) & 1u)) saferl_shield__put(t, "!");
                if (style == SAFERL_SHIELD__GUARD_HOA) saferl_shield__put_uint(t, j);
                else saferl_shield__put(t, d->prop_name[j]);
            }
        }
    }
    if (cubes == 0) saferl_shield__put(t, style == SAFERL_SHIELD__GUARD_HOA ? "f" : style == SAFERL_SHIELD__GUARD_DOT ? "false" : "False");
}

static void saferl_shield__put_quoted(saferl_shield__text *t, const char *s) {
    char one[2] = {0, 0};
    saferl_shield__put(t, "\"");
    for (; *s; ++s) {
        if (*s == '"' || *s == '\\') saferl_shield__put(t, "\\");
        one[0] = *s;
        saferl_shield__put(t, one);
    }
    saferl_shield__put(t, "\"");
}

static int saferl_shield__walk_start(saferl_shield__edge_walk *w, const saferl_shield_dfa *d) {
    uint32_t letters = d->letter_count;
    size_t covered = letters;
    w->d = d;
    w->allocator = &d->allocator;
    w->member = NULL;
    w->memo_key = NULL;
    w->generation = w->search = 0;
    saferl_shield__dd_start(&w->dd, w->allocator);
    saferl_shield__index_start(&w->reduced_nodes, w->allocator);
    if (d->node) { /* a class per node */
        w->root = saferl_shield__dd_classifier(&w->dd, d, NULL, w->allocator);
        if (w->dd.failed) return -1;
        if (w->dd.nodes.keys.count > covered) covered = w->dd.nodes.keys.count;
    }
    w->member = (unsigned char *)saferl_shield__allocate(w->allocator, (size_t)letters * 2 + covered);
    if (!w->member) return -1;
    w->done = w->member + letters;
    w->covered = w->done + letters;
    if (d->node) { /* memo (2), seen (1), cuts (4), arrivals (1), stack and candidates (2), reduced (2) per
                      node, then a class each */
        size_t nodes = w->dd.nodes.keys.count + 1;
        w->memo_key = (uint32_t *)saferl_shield__allocate(w->allocator, nodes * 12 * sizeof(uint32_t) + nodes);
        if (!w->memo_key || saferl_shield__index_reserve(&w->reduced_nodes, nodes) < 0) return -1;
        memset(w->memo_key, 0, nodes * 7 * sizeof(uint32_t));
        w->seen = w->memo_key + 2 * nodes;
        w->cut_memo = w->seen + nodes;
        w->arrivals = w->cut_memo + 4 * nodes;
        w->stack = w->arrivals + nodes;
        w->reduced = w->stack + 2 * nodes;
        w->reduced_first = w->reduced + nodes;
        w->memo_class = (unsigned char *)(w->reduced_first + nodes);
    }
    return 0;
}

static void saferl_shield__walk_end(saferl_shield__edge_walk *w) {
    saferl_shield__release(w->allocator, w->member);
    saferl_shield__release(w->allocator, w->memo_key);
    w->member = NULL;
    w->memo_key = NULL;
    saferl_shield__dd_free(&w->dd);
    saferl_shield__index_free(&w->reduced_nodes);
}

SAFERL_SHIELD_API saferl_result saferl_shield_write_hoa(const saferl_shield_dfa *d, saferl_shield_hoa_style style,
                                                        const char *name, char *buffer, size_t capacity,
                                                        size_t *length) {
    saferl_shield__text t;
    saferl_shield__edge_walk w;
    uint32_t q, j, letter, letters, written = 0, *number;
    int monitor = style == SAFERL_SHIELD_HOA_MONITOR;
    SAFERL_ASSERT(d != NULL);
    if (length) *length = 0;
    if (style != SAFERL_SHIELD_HOA_MONITOR && style != SAFERL_SHIELD_HOA_COMPLETE) return SAFERL_ERR_INVALID_ARGUMENT;
    if (monitor && d->semantics != SAFERL_SHIELD_SAFETY) return SAFERL_ERR_UNSUPPORTED;
    letters = d->letter_count;
    if (saferl_shield__walk_start(&w, d) < 0) {
        saferl_shield__walk_end(&w);
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    number = (uint32_t *)saferl_shield__allocate(w.allocator, (size_t)d->state_count * sizeof(uint32_t));
    if (!number) {
        saferl_shield__walk_end(&w);
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    /* the monitor form drops the sink; a monitor violated before any step keeps one state
       with no edge (violated at the first step: the closest HOA can say) */
    for (q = 0; q < d->state_count; ++q)
        number[q] = (monitor && q == d->sink && q != d->initial) ? SAFERL_SHIELD_NO_STATE : written++;
    t.buffer = buffer;
    t.capacity = buffer ? capacity : 0;
    t.length = 0;
    saferl_shield__put(&t, "HOA: v1\n");
    if (name) {
        saferl_shield__put(&t, "name: ");
        saferl_shield__put_quoted(&t, name);
        saferl_shield__put(&t, "\n");
    }
    saferl_shield__put(&t, "States: ");
    saferl_shield__put_uint(&t, written);
    saferl_shield__put(&t, "\nStart: ");
    saferl_shield__put_uint(&t, number[d->initial]);
    saferl_shield__put(&t, "\nAP: ");
    saferl_shield__put_uint(&t, d->prop_count);
    for (j = 0; j < d->prop_count; ++j) {
        saferl_shield__put(&t, " ");
        saferl_shield__put_quoted(&t, d->prop_name[j]);
    }
    if (monitor) saferl_shield__put(&t, "\nacc-name: all\nAcceptance: 0 t\n");
    else saferl_shield__put(&t, "\nacc-name: Buchi\nAcceptance: 1 Inf(0)\n");
    saferl_shield__put(&t, "properties: trans-labels explicit-labels state-acc deterministic");
    saferl_shield__put(&t, monitor ? "\n" : " complete\n");
    if (d->semantics == SAFERL_SHIELD_FINITE) saferl_shield__put(&t, "saferl-semantics: finite\n");
    saferl_shield__put(&t, "--BODY--\n");
    for (q = 0; q < d->state_count; ++q) {
        const uint32_t *row = d->next + ((size_t)q << d->letter_bits);
        if (number[q] == SAFERL_SHIELD_NO_STATE) continue;
        saferl_shield__put(&t, "State: ");
        saferl_shield__put_uint(&t, number[q]);
        if (!monitor && (d->flags[q] & SAFERL_SHIELD_ACCEPTING)) saferl_shield__put(&t, " {0}");
        saferl_shield__put(&t, "\n");
        if (monitor && q == d->sink) continue;
        memset(w.done, 0, letters);
        for (letter = 0; letter < letters; ++letter) {
            uint32_t dest = row[letter], y;
            if (w.done[letter] || number[dest] == SAFERL_SHIELD_NO_STATE) continue;
            for (y = 0; y < letters; ++y) {
                w.member[y] = row[y] == dest;
                if (w.member[y]) w.done[y] = 1;
            }
            saferl_shield__put(&t, "[");
            saferl_shield__put_guard(&t, &w, w.member, w.covered, SAFERL_SHIELD__GUARD_HOA);
            saferl_shield__put(&t, "] ");
            saferl_shield__put_uint(&t, number[dest]);
            saferl_shield__put(&t, "\n");
        }
    }
    saferl_shield__put(&t, "--END--\n");
    saferl_shield__walk_end(&w);
    saferl_shield__release(w.allocator, number);
    return saferl_shield__text_end(&t, length);
}

SAFERL_SHIELD_API saferl_result saferl_shield_write_dot(const saferl_shield_dfa *d, const char *name,
                                                        char *buffer, size_t capacity, size_t *length) {
    saferl_shield__text t;
    saferl_shield__edge_walk w;
    uint32_t q, letter, letters;
    SAFERL_ASSERT(d != NULL);
    if (length) *length = 0;
    letters = d->letter_count;
    if (saferl_shield__walk_start(&w, d) < 0) {
        saferl_shield__walk_end(&w);
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    t.buffer = buffer;
    t.capacity = buffer ? capacity : 0;
    t.length = 0;
    saferl_shield__put(&t, "digraph automaton {\n  rankdir=LR;\n  label=");
    saferl_shield__put_quoted(&t, name ? name : "");
    saferl_shield__put(&t, ";\n  node [shape=circle];\n  start [shape=point];\n  start -> q");
    saferl_shield__put_uint(&t, d->initial);
    saferl_shield__put(&t, ";\n");
    for (q = 0; q < d->state_count; ++q) {
        saferl_shield__put(&t, "  q");
        saferl_shield__put_uint(&t, q);
        saferl_shield__put(&t, " [label=\"");
        saferl_shield__put_uint(&t, q);
        if (d->stage[q]) {
            saferl_shield__put(&t, "\\nstage ");
            saferl_shield__put_uint(&t, d->stage[q]);
        }
        saferl_shield__put(&t, "\"");
        if (q == d->sink) saferl_shield__put(&t, ", style=filled, fillcolor=\"#f4a6a6\", xlabel=\"violation\"");
        else if (d->semantics == SAFERL_SHIELD_FINITE && (d->flags[q] & SAFERL_SHIELD_ACCEPTING))
            saferl_shield__put(&t, ", shape=doublecircle");
        if (d->flags[q] & SAFERL_SHIELD_TERMINAL) saferl_shield__put(&t, ", penwidth=3");
        saferl_shield__put(&t, "];\n");
    }
    for (q = 0; q < d->state_count; ++q) {
        const uint32_t *row = d->next + ((size_t)q << d->letter_bits);
        memset(w.done, 0, letters);
        for (letter = 0; letter < letters; ++letter) {
            uint32_t dest = row[letter], y;
            double reward = d->reward ? d->reward[((size_t)q << d->letter_bits) | letter] : 0.0;
            if (w.done[letter]) continue;
            for (y = 0; y < letters; ++y) {
                w.member[y] = row[y] == dest && (!d->reward || d->reward[((size_t)q << d->letter_bits) | y] == reward);
                if (w.member[y]) w.done[y] = 1;
            }
            saferl_shield__put(&t, "  q");
            saferl_shield__put_uint(&t, q);
            saferl_shield__put(&t, " -> q");
            saferl_shield__put_uint(&t, dest);
            saferl_shield__put(&t, " [label=\"");
            saferl_shield__put_guard(&t, &w, w.member, w.covered, SAFERL_SHIELD__GUARD_DOT);
            if (d->reward && reward != 0.0) {
                saferl_shield__put(&t, " / ");
                saferl_shield__put_double(&t, reward);
            }
            saferl_shield__put(&t, "\"");
            if (dest == d->sink && q != d->sink) saferl_shield__put(&t, ", color=\"#c0392b\"");
            saferl_shield__put(&t, "];\n");
        }
    }
    saferl_shield__put(&t, "}\n");
    saferl_shield__walk_end(&w);
    return saferl_shield__text_end(&t, length);
}

SAFERL_SHIELD_API saferl_result saferl_shield_write_rm(const saferl_shield_dfa *d, char *buffer, size_t capacity,
                                                       size_t *length) {
    saferl_shield__text t;
    saferl_shield__edge_walk w;
    uint32_t q, j, letter, letters, terminals = 0;
    SAFERL_ASSERT(d != NULL);
    if (length) *length = 0;
    for (j = 0; j < d->prop_count; ++j)
        if (strlen(d->prop_name[j]) != 1 || strchr("&|!() ,'", d->prop_name[j][0])) return SAFERL_ERR_UNSUPPORTED;
    letters = d->letter_count;
    if (saferl_shield__walk_start(&w, d) < 0) {
        saferl_shield__walk_end(&w);
        return SAFERL_ERR_OUT_OF_MEMORY;
    }
    t.buffer = buffer;
    t.capacity = buffer ? capacity : 0;
    t.length = 0;
    saferl_shield__put_uint(&t, d->initial);
    saferl_shield__put(&t, "    # initial state\n[");
    for (q = 0; q < d->state_count; ++q)
        if ((d->flags[q] & SAFERL_SHIELD_TERMINAL) || q == d->sink) {
            if (terminals++) saferl_shield__put(&t, ", ");
            saferl_shield__put_uint(&t, q);
        }
    saferl_shield__put(&t, "]    # terminal states\n");
    for (q = 0; q < d->state_count; ++q) {
        size_t base = (size_t)q << d->letter_bits;
        if ((d->flags[q] & SAFERL_SHIELD_TERMINAL) || q == d->sink) continue;
        memset(w.done, 0, letters);
        for (letter = 0; letter < letters; ++letter) {
            uint32_t dest = d->next[base + letter], y;
            double reward = d->reward ? d->reward[base + letter] : 0.0;
            if (w.done[letter]) continue;
            for (y = 0; y < letters; ++y) {
                w.member[y] = d->next[base + y] == dest && (!d->reward || d->reward[base + y] == reward);
                if (w.member[y]) w.done[y] = 1;
            }
            if (dest == d->sink && reward == 0.0) continue; /* falling off the machine is implicit */
            saferl_shield__put(&t, "(");
            saferl_shield__put_uint(&t, q);
            saferl_shield__put(&t, ",");
            saferl_shield__put_uint(&t, dest);
            saferl_shield__put(&t, ",'");
            saferl_shield__put_guard(&t, &w, w.member, w.covered, SAFERL_SHIELD__GUARD_RM);
            saferl_shield__put(&t, "',ConstantRewardFunction(");
            saferl_shield__put_double(&t, reward);
            saferl_shield__put(&t, "))\n");
        }
    }
    saferl_shield__walk_end(&w);
    return saferl_shield__text_end(&t, length);
}

/* ---- formulas: hash-consed nodes -------------------------------------------------------- */

enum saferl_shield__op {
    SAFERL_SHIELD__TRUE, SAFERL_SHIELD__FALSE, SAFERL_SHIELD__PROP, SAFERL_SHIELD__NPROP,
    SAFERL_SHIELD__NOT, SAFERL_SHIELD__AND, SAFERL_SHIELD__OR, SAFERL_SHIELD__IMPLIES,
    SAFERL_SHIELD__EQUIV, SAFERL_SHIELD__XOR, SAFERL_SHIELD__NEXT, SAFERL_SHIELD__STRONG_NEXT,
    SAFERL_SHIELD__WEAK_NEXT, SAFERL_SHIELD__EVENTUALLY, SAFERL_SHIELD__ALWAYS, SAFERL_SHIELD__UNTIL,
    SAFERL_SHIELD__WEAK_UNTIL, SAFERL_SHIELD__RELEASE, SAFERL_SHIELD__STRONG_RELEASE,
    SAFERL_SHIELD__BOUNDED_F, SAFERL_SHIELD__BOUNDED_G, SAFERL_SHIELD__YESTERDAY,
    SAFERL_SHIELD__WEAK_YESTERDAY, SAFERL_SHIELD__ONCE, SAFERL_SHIELD__HISTORICALLY, SAFERL_SHIELD__SINCE,
    SAFERL_SHIELD__PENDING  /* PENDING e: the eventuality e was put off this step (true; see below) */
};

static const char *saferl_shield__op_name(int op) {
    switch (op) {
    case SAFERL_SHIELD__EVENTUALLY: return "F";
    case SAFERL_SHIELD__UNTIL: return "U";
    case SAFERL_SHIELD__STRONG_RELEASE: return "M";
    case SAFERL_SHIELD__YESTERDAY: return "Y";
    case SAFERL_SHIELD__WEAK_YESTERDAY: return "Z";
    case SAFERL_SHIELD__ONCE: return "O";
    case SAFERL_SHIELD__HISTORICALLY: return "H";
    case SAFERL_SHIELD__SINCE: return "S";
    case SAFERL_SHIELD__NEXT: case SAFERL_SHIELD__STRONG_NEXT: return "X";
    case SAFERL_SHIELD__WEAK_NEXT: return "N";
    case SAFERL_SHIELD__ALWAYS: return "G";
    case SAFERL_SHIELD__WEAK_UNTIL: return "W";
    case SAFERL_SHIELD__RELEASE: return "R";
    case SAFERL_SHIELD__BOUNDED_F: return "F[..]";
    case SAFERL_SHIELD__BOUNDED_G: return "G[..]";
    default: return "?";
    }
}

typedef struct saferl_shield__node {
    uint32_t op, a, b;
    int32_t lo, hi;          /* bounds of F[lo..hi], G[lo..hi] */
    uint32_t line, column;   /* where the operator was written (first occurrence) */
} saferl_shield__node;

enum saferl_shield__token {
    SAFERL_SHIELD__TK_END, SAFERL_SHIELD__TK_PROP, SAFERL_SHIELD__TK_LPAREN, SAFERL_SHIELD__TK_RPAREN,
    SAFERL_SHIELD__TK_LBRACKET, SAFERL_SHIELD__TK_RBRACKET, SAFERL_SHIELD__TK_NOT, SAFERL_SHIELD__TK_AND,
    SAFERL_SHIELD__TK_OR, SAFERL_SHIELD__TK_XOR, SAFERL_SHIELD__TK_IMPLIES, SAFERL_SHIELD__TK_EQUIV,
    SAFERL_SHIELD__TK_TRUE, SAFERL_SHIELD__TK_FALSE, SAFERL_SHIELD__TK_UNARY, SAFERL_SHIELD__TK_BINARY,
    SAFERL_SHIELD__TK_NUMBER, SAFERL_SHIELD__TK_RANGE, SAFERL_SHIELD__TK_DOLLAR, SAFERL_SHIELD__TK_BAD
};

#define SAFERL_SHIELD__MAX_DEPTH 400
/* Bounded operators expand into chains of next-steps that the recursive passes walk, so the
   bounds of one formula may add up to this many steps at most (it keeps the recursion within
   a few thousand frames, safe on WebAssembly's stack too). */
#define SAFERL_SHIELD__MAX_BOUND_STEPS 2000

typedef struct saferl_shield__formulas {
    const saferl_allocator *allocator;
    saferl_shield__vec nodes;          /* saferl_shield__node */
    uint32_t *table;                   /* node id + 1 */
    size_t table_capacity;
    saferl_shield__vec operands;       /* uint32_t: scratch of the junction builder */
    saferl_shield__vec canon_at;       /* uint32_t per node: its canonical form + 1, 0 before it is met */
    saferl_shield__vec cubes, cubes_x, cubes_y, cube_ids; /* uint32_t: scratch of saferl_shield__canon */
    saferl_shield__vec cube_nodes;     /* uint32_t: the cubes' own nodes in a union (saferl_shield__put_cubes) */
    saferl_shield__vec cube_lists, cube_list_at, cube_list_nodes; /* uint32_t: residuals' cubes, walked once (saferl_shield__cube_list) */
    saferl_shield__vec cube_atoms, atom_index, atom_closure, cube_masks; /* scratch of saferl_shield__cube_masks */
    saferl_shield__index atoms;        /* the atoms met so far: node -> atom number (saferl_shield__atom_register) */
    saferl_shield__vec atom_heads;     /* uint32_t, 2 per node: last atom number chained by first, second operand */
    saferl_shield__vec atom_links, implied_first, implied_edges; /* per atom number: chains, its implications */
    saferl_shield__vec succ_state, succ_seen, succ_out; /* of saferl_shield__successor (state: cubes of atom indices) */
    saferl_shield__vec succ_atoms, succ_tuples; /* the expanded state's atoms; memo entries */
    saferl_shield__index succ_memo;    /* hash of the atoms' residuals -> entry */
    saferl_shield__index junction_memo; /* hash of (op, operand list) -> junction_at (saferl_shield__junction_get) */
    saferl_shield__vec junction_at, junction_words; /* uint32_t: entry -> offset of [op, count, operands, result] */
    uint32_t succ_residual;            /* the state being expanded (FALSE: none yet) */
    saferl_shield__index progress_ids; /* progression, memoised: (node, letter) -> progress_results */
    saferl_shield__vec progress_results;
    saferl_shield__vec progress_at;    /* uint32_t, the same memo for letters 0-3: node * 4 + letter -> result + 1 */
    size_t progress_at_entries;        /* results stored in progress_at */
    size_t memo_reset;                 /* SAFERL_SHIELD_MEMO_RESET; the tests set it small */
    saferl_shield__vec finite_lengths; /* uint64_t per node, LTLf: saferl_shield__finite_lengths' memo */
    uint32_t root;                     /* the parsed formula, for errors about the whole of it */
    int simplify;                      /* implications between atoms on (tests turn them off) */
    int symbolic;                      /* guards split symbolically at any width (tests turn it on) */
    int mark_pending;                  /* progression marks put-off eventualities (PENDING) */
    int finite;                        /* LTLf: X strong, N weak (windows keep their kind) */
    int empty_sink;                    /* LTLf: residuals without a model go to the sink (tests turn it off) */
    uint32_t negated_root;             /* with marks: the formula's negation, in canonical form */
    uint32_t eventuality_at;           /* with marks: the first F, U or M, for the refusal */
    size_t work, work_limit;
    int out_of_memory, over_budget;
    saferl_shield_error *error;
    saferl_shield_logic logic;         /* the mode being parsed */
    const saferl_shield_desc *desc;
    /* lexer */
    saferl_shield__cursor cursor;      /* its failed flag: a syntax error was reported */
    int token, token_op, depth;
    unsigned long bound_steps;         /* sum of the bounds parsed so far */
    size_t token_start, token_end;     /* the token's text (a name without its quotes) */
    uint32_t token_line, token_column;
    unsigned long token_number;
    /* propositions: names by label bit */
    char name[SAFERL_SHIELD_LABEL_BITS][SAFERL_SHIELD_NAME_CAPACITY];
    unsigned char used[SAFERL_SHIELD_LABEL_BITS];
    uint32_t used_count, named_count;
    uint32_t letter_bit[SAFERL_SHIELD_LABEL_BITS]; /* label bit -> bit of the automaton's letter */
} saferl_shield__formulas;

static saferl_shield__node *saferl_shield__at(saferl_shield__formulas *f, uint32_t id) {
    return (saferl_shield__node *)(void *)f->nodes.data + id;
}

static int saferl_shield__grow_nodes_table(saferl_shield__formulas *f) {
    size_t capacity = f->table_capacity ? f->table_capacity * 2 : 256, i;
    uint32_t *table = (uint32_t *)saferl_shield__allocate(f->allocator, capacity * sizeof(uint32_t));
    if (!table) return -1;
    memset(table, 0, capacity * sizeof(uint32_t));
    for (i = 0; i < f->nodes.count; ++i) {
        const saferl_shield__node *n = saferl_shield__at(f, (uint32_t)i);
        size_t h = (size_t)saferl_shield__mix(((uint64_t)n->op << 56) ^ ((uint64_t)n->a << 28) ^ n->b ^
                                              ((uint64_t)(uint32_t)n->lo << 40) ^ ((uint64_t)(uint32_t)n->hi << 20)) &
                   (capacity - 1);
        while (table[h]) h = (h + 1) & (capacity - 1);
        table[h] = (uint32_t)i + 1;
    }
    saferl_shield__release(f->allocator, f->table);
    f->table = table;
    f->table_capacity = capacity;
    return 0;
}

/* A node made or looked up counts as 32 steps of the work limit: the other steps are
   compares of ids and masks in arrays at hand, a node a probe of a table of millions (a
   refused formula spent 135 ns a node and about 1 ns a step). */
#define SAFERL_SHIELD__MAKE_WORK 32

/* Counts steps of work and looks at the limit: past it, over_budget is set (and stays set:
   the count only grows). Returns whether the work is past the limit, for callers that stop
   at once. The loops over ids in chain_operands, cube_product and weakest_cubes only add to
   f->work and leave the look to the next charge (looking in them as well cost 0.3% more
   instructions on the bench's formulas). */
static int saferl_shield__charge(saferl_shield__formulas *f, size_t steps) {
    f->work += steps;
    if (f->work <= f->work_limit) return 0;
    f->over_budget = 1;
    return 1;
}

/* The node (op, a, b, lo, hi), made once: equal formulas are equal ids. On failure the
   false node comes back and a flag is set; callers look at the flags between phases. */
static uint32_t saferl_shield__make(saferl_shield__formulas *f, uint32_t op, uint32_t a, uint32_t b, int32_t lo,
                                    int32_t hi, uint32_t line, uint32_t column) {
    size_t h;
    saferl_shield__node *n;
    if (f->out_of_memory || f->over_budget || saferl_shield__charge(f, SAFERL_SHIELD__MAKE_WORK))
        return SAFERL_SHIELD__FALSE;
    if ((f->nodes.count + 1) * 2 > f->table_capacity && saferl_shield__grow_nodes_table(f) < 0) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD__FALSE;
    }
    h = (size_t)saferl_shield__mix(((uint64_t)op << 56) ^ ((uint64_t)a << 28) ^ b ^ ((uint64_t)(uint32_t)lo << 40) ^
                                   ((uint64_t)(uint32_t)hi << 20)) &
        (f->table_capacity - 1);
    while (f->table[h]) {
        n = saferl_shield__at(f, f->table[h] - 1);
        if (n->op == op && n->a == a && n->b == b && n->lo == lo && n->hi == hi) return f->table[h] - 1;
        h = (h + 1) & (f->table_capacity - 1);
    }
    n = (saferl_shield__node *)saferl_shield__vec_push(&f->nodes);
    if (!n) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD__FALSE;
    }
    n->op = op;
    n->a = a;
    n->b = b;
    n->lo = lo;
    n->hi = hi;
    n->line = line;
    n->column = column;
    f->table[h] = (uint32_t)f->nodes.count;
    return (uint32_t)f->nodes.count - 1;
}

/* Appends the operands of a chain of op (id itself when it is no op) to out. */
static void saferl_shield__flatten(saferl_shield__formulas *f, uint32_t op, uint32_t id, saferl_shield__vec *out) {
    const saferl_shield__node *n = saferl_shield__at(f, id);
    uint32_t *slot;
    if (n->op == op) {
        uint32_t a = n->a, b = n->b;
        saferl_shield__flatten(f, op, a, out);
        saferl_shield__flatten(f, op, b, out);
        return;
    }
    slot = (uint32_t *)saferl_shield__vec_push(out);
    if (!slot) f->out_of_memory = 1;
    else *slot = id;
}

static int saferl_shield__compare_ids(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Sorts node ids, increasing: the lists are mostly a handful long (a cube's atoms, a
   junction's operands), where insertion sort beats a call to qsort per comparison. */
static void saferl_shield__sort_ids(uint32_t *list, size_t count) {
    size_t i, j;
    if (count > 32) {
        qsort(list, count, sizeof(uint32_t), saferl_shield__compare_ids);
        return;
    }
    for (i = 1; i < count; ++i) {
        uint32_t x = list[i];
        for (j = i; j > 0 && list[j - 1] > x; --j) list[j] = list[j - 1];
        list[j] = x;
    }
}

#define SAFERL_SHIELD__NOT_MET 0xFFFFFFFFu /* no such entry, no result yet */

/* The operands collected in f->operands for an AND (or OR) in canonical form: constants
   absorbed, sorted by id without repeats, p & !p = false (p | !p = true). Returns the
   junction when that settles it (a constant or one operand), else NOT_MET and operands
   holds the two or more that remain. */
static uint32_t saferl_shield__chain_operands(saferl_shield__formulas *f, uint32_t op) {
    uint32_t neutral = op == SAFERL_SHIELD__AND ? SAFERL_SHIELD__TRUE : SAFERL_SHIELD__FALSE;
    uint32_t absorbing = op == SAFERL_SHIELD__AND ? SAFERL_SHIELD__FALSE : SAFERL_SHIELD__TRUE;
    uint32_t *list;
    size_t count, i, j, kept = 0;
    if (f->out_of_memory) return SAFERL_SHIELD__FALSE;
    list = (uint32_t *)(void *)f->operands.data;
    count = f->operands.count;
    f->work += count;
    saferl_shield__sort_ids(list, count);
    for (i = 0; i < count; ++i) {
        if (list[i] == absorbing) return absorbing;
        if (list[i] == neutral || (kept && list[kept - 1] == list[i])) continue;
        list[kept++] = list[i];
    }
    for (i = 0; i < kept; ++i) {
        const saferl_shield__node *a = saferl_shield__at(f, list[i]);
        if (a->op != SAFERL_SHIELD__PROP) continue;
        for (j = 0; j < kept; ++j) {
            const saferl_shield__node *b = saferl_shield__at(f, list[j]);
            if (b->op == SAFERL_SHIELD__NPROP && b->a == a->a) return absorbing;
        }
    }
    f->operands.count = kept;
    if (kept == 0) return neutral;
    return kept == 1 ? list[0] : SAFERL_SHIELD__NOT_MET;
}

/* The right-nested chain over the operands saferl_shield__chain_operands left (two or more). */
static uint32_t saferl_shield__chain_made(saferl_shield__formulas *f, uint32_t op) {
    uint32_t *list = (uint32_t *)(void *)f->operands.data, result;
    size_t kept = f->operands.count, i;
    /* list lives in operands, which make() does not touch */
    result = list[kept - 1];
    for (i = kept - 1; i > 0; --i) {
        const saferl_shield__node *a = saferl_shield__at(f, list[i - 1]);
        result = saferl_shield__make(f, op, list[i - 1], result, 0, 0, a->line, a->column);
        list = (uint32_t *)(void *)f->operands.data;
    }
    return result;
}

/* The AND (or OR) of the operands collected in f->operands, in canonical form, built as a
   right-nested chain. */
static uint32_t saferl_shield__chain(saferl_shield__formulas *f, uint32_t op) {
    uint32_t constant = saferl_shield__chain_operands(f, op);
    return constant != SAFERL_SHIELD__NOT_MET ? constant : saferl_shield__chain_made(f, op);
}

/* x AND y (or OR) in canonical form: both flattened into one chain. */
static uint32_t saferl_shield__junction(saferl_shield__formulas *f, uint32_t op, uint32_t x, uint32_t y) {
    uint32_t neutral = op == SAFERL_SHIELD__AND ? SAFERL_SHIELD__TRUE : SAFERL_SHIELD__FALSE;
    uint32_t absorbing = op == SAFERL_SHIELD__AND ? SAFERL_SHIELD__FALSE : SAFERL_SHIELD__TRUE;
    if (x == absorbing || y == absorbing) return absorbing;
    if (x == neutral) return y;
    if (y == neutral || x == y) return x;
    if (f->out_of_memory || f->over_budget) return SAFERL_SHIELD__FALSE;
    f->operands.count = 0;
    saferl_shield__flatten(f, op, x, &f->operands);
    saferl_shield__flatten(f, op, y, &f->operands);
    return saferl_shield__chain(f, op);
}

static uint32_t saferl_shield__and(saferl_shield__formulas *f, uint32_t x, uint32_t y) {
    return saferl_shield__junction(f, SAFERL_SHIELD__AND, x, y);
}
static uint32_t saferl_shield__or(saferl_shield__formulas *f, uint32_t x, uint32_t y) {
    return saferl_shield__junction(f, SAFERL_SHIELD__OR, x, y);
}

static int saferl_shield__formulas_start(saferl_shield__formulas *f, const saferl_shield_desc *desc,
                                         saferl_shield_error *error, const saferl_allocator *allocator) {
    memset(f, 0, sizeof *f);
    f->allocator = allocator;
    f->desc = desc;
    f->error = error;
    f->logic = desc->logic;
    f->simplify = 1;
    f->memo_reset = SAFERL_SHIELD_MEMO_RESET;
    f->work_limit = (size_t)(desc->max_states ? desc->max_states : (1u << 20));
    if (f->work_limit < 4096) f->work_limit = 4096;
    f->work_limit = f->work_limit > ((size_t)-1) / 4096 ? (size_t)-1 : f->work_limit * 1024;
    saferl_shield__vec_start(&f->nodes, sizeof(saferl_shield__node), allocator);
    saferl_shield__vec_start(&f->operands, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->canon_at, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cubes, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cubes_x, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cubes_y, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cube_ids, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cube_nodes, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cube_lists, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cube_list_at, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cube_list_nodes, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->cube_atoms, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->atom_index, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->atom_closure, sizeof(uint64_t), allocator);
    saferl_shield__vec_start(&f->cube_masks, sizeof(uint64_t), allocator);
    saferl_shield__index_start(&f->atoms, allocator);
    saferl_shield__vec_start(&f->atom_heads, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->atom_links, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->implied_first, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->implied_edges, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->succ_state, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->succ_seen, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->succ_out, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->succ_atoms, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->succ_tuples, sizeof(uint32_t), allocator);
    saferl_shield__index_start(&f->succ_memo, allocator);
    saferl_shield__index_start(&f->junction_memo, allocator);
    saferl_shield__vec_start(&f->junction_at, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->junction_words, sizeof(uint32_t), allocator);
    f->succ_residual = SAFERL_SHIELD__FALSE;
    saferl_shield__index_start(&f->progress_ids, allocator);
    saferl_shield__vec_start(&f->progress_results, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&f->progress_at, sizeof(uint32_t), allocator);
    f->progress_at_entries = 0;
    saferl_shield__vec_start(&f->finite_lengths, sizeof(uint64_t), allocator);
    saferl_shield__make(f, SAFERL_SHIELD__TRUE, 0, 0, 0, 0, 0, 0);
    saferl_shield__make(f, SAFERL_SHIELD__FALSE, 0, 0, 0, 0, 0, 0);
    return f->out_of_memory ? -1 : 0;
}

static void saferl_shield__formulas_free(saferl_shield__formulas *f) {
    saferl_shield__vec_free(&f->nodes);
    saferl_shield__vec_free(&f->operands);
    saferl_shield__vec_free(&f->canon_at);
    saferl_shield__vec_free(&f->cubes);
    saferl_shield__vec_free(&f->cubes_x);
    saferl_shield__vec_free(&f->cubes_y);
    saferl_shield__vec_free(&f->cube_ids);
    saferl_shield__vec_free(&f->cube_nodes);
    saferl_shield__vec_free(&f->cube_lists);
    saferl_shield__vec_free(&f->cube_list_at);
    saferl_shield__vec_free(&f->cube_list_nodes);
    saferl_shield__vec_free(&f->cube_atoms);
    saferl_shield__vec_free(&f->atom_index);
    saferl_shield__vec_free(&f->atom_closure);
    saferl_shield__vec_free(&f->cube_masks);
    saferl_shield__index_free(&f->atoms);
    saferl_shield__vec_free(&f->atom_heads);
    saferl_shield__vec_free(&f->atom_links);
    saferl_shield__vec_free(&f->implied_first);
    saferl_shield__vec_free(&f->implied_edges);
    saferl_shield__vec_free(&f->succ_state);
    saferl_shield__vec_free(&f->succ_seen);
    saferl_shield__vec_free(&f->succ_out);
    saferl_shield__vec_free(&f->succ_atoms);
    saferl_shield__vec_free(&f->succ_tuples);
    saferl_shield__index_free(&f->succ_memo);
    saferl_shield__index_free(&f->junction_memo);
    saferl_shield__vec_free(&f->junction_at);
    saferl_shield__vec_free(&f->junction_words);
    saferl_shield__index_free(&f->progress_ids);
    saferl_shield__vec_free(&f->progress_results);
    saferl_shield__vec_free(&f->progress_at);
    saferl_shield__vec_free(&f->finite_lengths);
    saferl_shield__release(f->allocator, f->table);
    f->table = NULL;
}

/* ---- formulas: lexer and parser (Spot's syntax and precedence) ------------------------- */

static void saferl_shield__syntax(saferl_shield__formulas *f, saferl_result code, uint32_t line, uint32_t column,
                                  const char *message, const char *detail) {
    saferl_shield__cursor_fail_at(&f->cursor, code, line, column, message, detail);
}

static int saferl_shield__is_unary_letter(const saferl_shield__formulas *f, char c) {
    return c == 'X' || c == 'F' || c == 'G' || c == 'Y' || c == 'Z' || c == 'O' || c == 'H' ||
           (c == 'N' && f->logic == SAFERL_SHIELD_LTLF);
}

static int saferl_shield__unary_op(char c) {
    switch (c) {
    case 'X': return SAFERL_SHIELD__NEXT;
    case 'F': return SAFERL_SHIELD__EVENTUALLY;
    case 'G': return SAFERL_SHIELD__ALWAYS;
    case 'Y': return SAFERL_SHIELD__YESTERDAY;
    case 'Z': return SAFERL_SHIELD__WEAK_YESTERDAY;
    case 'O': return SAFERL_SHIELD__ONCE;
    case 'H': return SAFERL_SHIELD__HISTORICALLY;
    default: return SAFERL_SHIELD__WEAK_NEXT;
    }
}

/* The next token; a formula may span lines. */
static void saferl_shield__lex(saferl_shield__formulas *f) {
    saferl_shield__cursor *c = &f->cursor;
    const char *s = c->text;
    size_t n = c->length, p;
    saferl_shield__cursor_skip_space(c);
    p = c->pos;
    f->token_start = p;
    f->token_line = c->line;
    f->token_column = saferl_shield__cursor_column(c);
    if (p >= n) {
        f->token = SAFERL_SHIELD__TK_END;
        return;
    }
#define SAFERL_SHIELD__IS(str) (n - p >= sizeof(str) - 1 && memcmp(s + p, str, sizeof(str) - 1) == 0)
#define SAFERL_SHIELD__TOKEN(kind, len) do { f->token = (kind); p += (len); f->token_end = c->pos = p; return; } while (0)
    if (SAFERL_SHIELD__IS("<->")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_EQUIV, 3);
    if (SAFERL_SHIELD__IS("<=>")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_EQUIV, 3);
    if (SAFERL_SHIELD__IS("->")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_IMPLIES, 2);
    if (SAFERL_SHIELD__IS("=>")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_IMPLIES, 2);
    if (SAFERL_SHIELD__IS("&&")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_AND, 2);
    if (SAFERL_SHIELD__IS("/\\")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_AND, 2);
    if (SAFERL_SHIELD__IS("||")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_OR, 2);
    if (SAFERL_SHIELD__IS("\\/")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_OR, 2);
    if (SAFERL_SHIELD__IS("..")) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_RANGE, 2);
    if (SAFERL_SHIELD__IS("[]") || SAFERL_SHIELD__IS("<>")) { /* Spot's (and SPIN's) G and F */
        f->token_op = s[p] == '[' ? SAFERL_SHIELD__ALWAYS : SAFERL_SHIELD__EVENTUALLY;
        SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_UNARY, 2);
    }
    switch (s[p]) {
    case '(': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_LPAREN, 1);
    case ')': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_RPAREN, 1);
    case '[': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_LBRACKET, 1);
    case ']': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_RBRACKET, 1);
    case '!': case '~': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_NOT, 1);
    case '&': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_AND, 1);
    case '|': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_OR, 1);
    case '^': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_XOR, 1);
    case ':': case ',': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_RANGE, 1);
    case '$': SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_DOLLAR, 1);
    default: break;
    }
    if (s[p] == '"') { /* a quoted name, on one line */
        size_t close;
        if (!saferl_shield__cursor_quoted(c, p, n, 0, 1, &close)) {
            f->token = SAFERL_SHIELD__TK_BAD;
            f->token_end = c->pos = close;
            return;
        }
        f->token = SAFERL_SHIELD__TK_PROP;
        f->token_start = p + 1;
        f->token_end = close;
        c->pos = close + 1;
        return;
    }
    if (saferl_shield__is_digit(s[p])) {
        saferl_shield__cursor_number(c, n, &f->token_number);
        f->token = SAFERL_SHIELD__TK_NUMBER;
        f->token_end = c->pos;
        return;
    }
    if ((s[p] >= 'a' && s[p] <= 'z') || (s[p] >= 'A' && s[p] <= 'Z') || s[p] == '_') {
        size_t q = saferl_shield__cursor_name_end(c, p, 0), len = q - p, i = 0;
        if (len == 4 && memcmp(s + p, "true", 4) == 0) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_TRUE, 4);
        if (len == 5 && memcmp(s + p, "false", 5) == 0) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_FALSE, 5);
        if (len == 3 && memcmp(s + p, "xor", 3) == 0) SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_XOR, 3);
        if (len == 1 && strchr("UWRMS", s[p])) {
            f->token_op = s[p] == 'U' ? SAFERL_SHIELD__UNTIL : s[p] == 'W' ? SAFERL_SHIELD__WEAK_UNTIL :
                          s[p] == 'R' ? SAFERL_SHIELD__RELEASE : s[p] == 'M' ? SAFERL_SHIELD__STRONG_RELEASE :
                          SAFERL_SHIELD__SINCE;
            SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_BINARY, 1);
        }
        /* GFa is G F a, as in Spot: a run of unary operator letters, then a lower-case name */
        while (i < len && saferl_shield__is_unary_letter(f, s[p + i])) ++i;
        if (i > 0 && (i == len || (s[p + i] >= 'a' && s[p + i] <= 'z') || s[p + i] == '_')) {
            f->token_op = saferl_shield__unary_op(s[p]);
            SAFERL_SHIELD__TOKEN(SAFERL_SHIELD__TK_UNARY, 1);
        }
        f->token = SAFERL_SHIELD__TK_PROP;
        f->token_end = c->pos = q;
        return;
    }
    f->token = SAFERL_SHIELD__TK_BAD;
    f->token_end = c->pos = p + 1;
#undef SAFERL_SHIELD__IS
#undef SAFERL_SHIELD__TOKEN
}

static void saferl_shield__unexpected(saferl_shield__formulas *f, const char *what) {
    char shown[40];
    size_t len = f->token_end > f->token_start ? f->token_end - f->token_start : 0;
    if (f->token == SAFERL_SHIELD__TK_END) {
        saferl_shield__syntax(f, SAFERL_ERR_PARSE, f->token_line, f->token_column, "the formula ends where ", what);
        return;
    }
    if (len > 20) len = 20;
    shown[0] = '\'';
    memcpy(shown + 1, f->cursor.text + f->token_start, len);
    memcpy(shown + 1 + len, "': expected ", 13);
    {
        char message[120];
        snprintf(message, sizeof message, "unexpected %s%s", shown, what);
        saferl_shield__syntax(f, SAFERL_ERR_PARSE, f->token_line, f->token_column, message, NULL);
    }
}

static uint32_t saferl_shield__parse_implication(saferl_shield__formulas *f);

static uint32_t saferl_shield__prop(saferl_shield__formulas *f) {
    size_t len = f->token_end - f->token_start;
    const char *name = f->cursor.text + f->token_start;
    uint32_t bit;
    if (memchr(name, 0, len) != NULL) {
        saferl_shield__syntax(f, SAFERL_ERR_PARSE, f->token_line, f->token_column, "a NUL byte in a proposition name", NULL);
        return SAFERL_SHIELD__FALSE;
    }
    if (len == 0 || len >= SAFERL_SHIELD_NAME_CAPACITY) {
        saferl_shield__syntax(f, SAFERL_ERR_PARSE, f->token_line, f->token_column,
                              len ? "proposition name longer than 31 bytes" : "empty proposition name", NULL);
        return SAFERL_SHIELD__FALSE;
    }
    if (f->desc->vocabulary) {
        for (bit = 0; bit < f->desc->vocabulary_count; ++bit) {
            const char *v = f->desc->vocabulary[bit];
            if (v && strlen(v) == len && memcmp(v, name, len) == 0) break;
        }
        if (bit == f->desc->vocabulary_count) {
            char message[80], advice[120];
            size_t start = f->token_start;
            /* "Fire" reads as F(ire), as in Spot: operator letters glued in front of the name */
            while (start > 0 && saferl_shield__is_unary_letter(f, f->cursor.text[start - 1]) &&
                   (start == 1 || !saferl_shield__ident_char(f->cursor.text[start - 2]) ||
                    saferl_shield__is_unary_letter(f, f->cursor.text[start - 2])))
                --start;
            snprintf(message, sizeof message, "unknown proposition '%.*s'", (int)len, name);
            if (start < f->token_start && f->token_start - start + len < SAFERL_SHIELD_NAME_CAPACITY) {
                snprintf(advice, sizeof advice, " (not in the vocabulary): '%.*s' before it is read as an operator; "
                         "to mean \"%.*s\", quote it", (int)(f->token_start - start), f->cursor.text + start,
                         (int)(f->token_start - start + len), f->cursor.text + start);
                saferl_shield__syntax(f, SAFERL_ERR_PARSE, f->token_line,
                                      f->token_column - (uint32_t)(f->token_start - start), message, advice);
            } else {
                saferl_shield__syntax(f, SAFERL_ERR_PARSE, f->token_line, f->token_column, message,
                                      " (not in the vocabulary)");
            }
            return SAFERL_SHIELD__FALSE;
        }
    } else {
        for (bit = 0; bit < f->named_count; ++bit)
            if (strlen(f->name[bit]) == len && memcmp(f->name[bit], name, len) == 0) break;
        if (bit == f->named_count) {
            if (f->named_count == SAFERL_SHIELD_LABEL_BITS) {
                saferl_shield__syntax(f, SAFERL_ERR_UNSUPPORTED, f->token_line, f->token_column,
                                      "more propositions than the label width (32)", NULL);
                return SAFERL_SHIELD__FALSE;
            }
            memcpy(f->name[bit], name, len);
            f->name[bit][len] = '\0';
            ++f->named_count;
        }
    }
    if (!f->used[bit]) {
        f->used[bit] = 1;
        ++f->used_count;
        if (f->desc->vocabulary) {
            memcpy(f->name[bit], name, len);
            f->name[bit][len] = '\0';
        }
    }
    return saferl_shield__make(f, SAFERL_SHIELD__PROP, bit, 0, 0, 0, f->token_line, f->token_column);
}

static uint32_t saferl_shield__repeat_next(saferl_shield__formulas *f, uint32_t operand, unsigned long times,
                                           uint32_t line, uint32_t column) {
    while (times-- > 0 && !f->cursor.failed) operand = saferl_shield__make(f, SAFERL_SHIELD__NEXT, operand, 0, 0, 0, line, column);
    return operand;
}

static uint32_t saferl_shield__parse_unary(saferl_shield__formulas *f) {
    uint32_t line = f->token_line, column = f->token_column, operand;
    if (f->cursor.failed) return SAFERL_SHIELD__FALSE;
    if (++f->depth > SAFERL_SHIELD__MAX_DEPTH) {
        saferl_shield__syntax(f, SAFERL_ERR_UNSUPPORTED, line, column, "formula nested deeper than 400 levels", NULL);
        return SAFERL_SHIELD__FALSE;
    }
    switch (f->token) {
    case SAFERL_SHIELD__TK_NOT:
        saferl_shield__lex(f);
        operand = saferl_shield__parse_unary(f);
        --f->depth;
        return saferl_shield__make(f, SAFERL_SHIELD__NOT, operand, 0, 0, 0, line, column);
    case SAFERL_SHIELD__TK_UNARY: {
        int op = f->token_op, strong = 0, has_bounds = 0, unbounded = 0;
        unsigned long lo = 0, hi = 0;
        saferl_shield__lex(f);
        if (f->token == SAFERL_SHIELD__TK_LBRACKET) {
            uint32_t bl = f->token_line, bc = f->token_column;
            if (op != SAFERL_SHIELD__NEXT && op != SAFERL_SHIELD__EVENTUALLY && op != SAFERL_SHIELD__ALWAYS) {
                saferl_shield__syntax(f, SAFERL_ERR_PARSE, bl, bc, "bounds are written only on X, F and G", NULL);
                return SAFERL_SHIELD__FALSE;
            }
            saferl_shield__lex(f);
            if (op == SAFERL_SHIELD__NEXT && f->token == SAFERL_SHIELD__TK_NOT) {
                strong = 1;
                saferl_shield__lex(f);
            } else if (f->token == SAFERL_SHIELD__TK_NUMBER) {
                lo = hi = f->token_number;
                has_bounds = 1;
                saferl_shield__lex(f);
                if (op != SAFERL_SHIELD__NEXT) {
                    if (f->token != SAFERL_SHIELD__TK_RANGE) {
                        saferl_shield__unexpected(f, "'..' or ':' in the interval");
                        return SAFERL_SHIELD__FALSE;
                    }
                    saferl_shield__lex(f);
                    if (f->token == SAFERL_SHIELD__TK_NUMBER) {
                        hi = f->token_number;
                        saferl_shield__lex(f);
                    } else if (f->token == SAFERL_SHIELD__TK_DOLLAR) {
                        unbounded = 1;
                        saferl_shield__lex(f);
                    } else {
                        unbounded = 1;
                    }
                }
            } else {
                saferl_shield__unexpected(f, "a number in the brackets");
                return SAFERL_SHIELD__FALSE;
            }
            if (f->token != SAFERL_SHIELD__TK_RBRACKET) {
                saferl_shield__unexpected(f, "']'");
                return SAFERL_SHIELD__FALSE;
            }
            f->bound_steps += unbounded ? lo : hi;
            if (lo > SAFERL_SHIELD__MAX_BOUND_STEPS || hi > SAFERL_SHIELD__MAX_BOUND_STEPS ||
                f->bound_steps > SAFERL_SHIELD__MAX_BOUND_STEPS) {
                saferl_shield__syntax(f, SAFERL_ERR_UNSUPPORTED, bl, bc, "the bounds add up to more than 2000 steps",
                                      NULL);
                return SAFERL_SHIELD__FALSE;
            }
            if (!unbounded && hi < lo) {
                saferl_shield__syntax(f, SAFERL_ERR_PARSE, bl, bc, "empty interval: the upper bound is below the lower", NULL);
                return SAFERL_SHIELD__FALSE;
            }
            saferl_shield__lex(f);
        }
        operand = saferl_shield__parse_unary(f);
        --f->depth;
        if (f->cursor.failed) return SAFERL_SHIELD__FALSE;
        if (strong) return saferl_shield__make(f, SAFERL_SHIELD__STRONG_NEXT, operand, 0, 0, 0, line, column);
        if (!has_bounds) return saferl_shield__make(f, (uint32_t)op, operand, 0, 0, 0, line, column);
        if (op == SAFERL_SHIELD__NEXT) return saferl_shield__repeat_next(f, operand, lo, line, column);
        if (unbounded) /* F[a..] = X^a F, G[a..] = X^a G */
            return saferl_shield__repeat_next(f, saferl_shield__make(f, (uint32_t)op, operand, 0, 0, 0, line, column), lo,
                                              line, column);
        return saferl_shield__make(f, op == SAFERL_SHIELD__EVENTUALLY ? SAFERL_SHIELD__BOUNDED_F : SAFERL_SHIELD__BOUNDED_G,
                                   operand, 0, (int32_t)lo, (int32_t)hi, line, column);
    }
    case SAFERL_SHIELD__TK_LPAREN:
        saferl_shield__lex(f);
        operand = saferl_shield__parse_implication(f);
        if (f->cursor.failed) return SAFERL_SHIELD__FALSE;
        if (f->token != SAFERL_SHIELD__TK_RPAREN) {
            if (f->token == SAFERL_SHIELD__TK_END)
                saferl_shield__syntax(f, SAFERL_ERR_PARSE, line, column, "unbalanced parentheses: this '(' is never closed", NULL);
            else
                saferl_shield__unexpected(f, "')' or an operator");
            return SAFERL_SHIELD__FALSE;
        }
        saferl_shield__lex(f);
        --f->depth;
        return operand;
    case SAFERL_SHIELD__TK_TRUE:
        saferl_shield__lex(f);
        --f->depth;
        return SAFERL_SHIELD__TRUE;
    case SAFERL_SHIELD__TK_FALSE:
        saferl_shield__lex(f);
        --f->depth;
        return SAFERL_SHIELD__FALSE;
    case SAFERL_SHIELD__TK_NUMBER:
        if (f->token_number > 1 || f->token_end - f->token_start != 1) {
            saferl_shield__unexpected(f, "an operand (a number is 0 or 1 here)");
            return SAFERL_SHIELD__FALSE;
        }
        operand = f->token_number ? SAFERL_SHIELD__TRUE : SAFERL_SHIELD__FALSE;
        saferl_shield__lex(f);
        --f->depth;
        return operand;
    case SAFERL_SHIELD__TK_PROP:
        operand = saferl_shield__prop(f);
        saferl_shield__lex(f);
        --f->depth;
        return operand;
    case SAFERL_SHIELD__TK_BAD:
        if (f->cursor.text[f->token_start] == '"')
            saferl_shield__syntax(f, SAFERL_ERR_PARSE, line, column, "unterminated quoted proposition", NULL);
        else
            saferl_shield__unexpected(f, "an operand");
        return SAFERL_SHIELD__FALSE;
    default:
        saferl_shield__unexpected(f, "an operand");
        return SAFERL_SHIELD__FALSE;
    }
}

static uint32_t saferl_shield__parse_binary_temporal(saferl_shield__formulas *f) {
    uint32_t left = saferl_shield__parse_unary(f), line, column, right;
    int op;
    if (f->cursor.failed || f->token != SAFERL_SHIELD__TK_BINARY) return left;
    op = f->token_op;
    line = f->token_line;
    column = f->token_column;
    saferl_shield__lex(f);
    if (++f->depth > SAFERL_SHIELD__MAX_DEPTH) {
        saferl_shield__syntax(f, SAFERL_ERR_UNSUPPORTED, line, column, "formula nested deeper than 400 levels", NULL);
        return SAFERL_SHIELD__FALSE;
    }
    right = saferl_shield__parse_binary_temporal(f); /* right associative */
    --f->depth;
    return saferl_shield__make(f, (uint32_t)op, left, right, 0, 0, line, column);
}

/* One left-associative level: and (&), xor, or (|). */
static uint32_t saferl_shield__parse_level(saferl_shield__formulas *f, int level) {
    static const int tokens[3] = {SAFERL_SHIELD__TK_AND, SAFERL_SHIELD__TK_XOR, SAFERL_SHIELD__TK_OR};
    static const uint32_t ops[3] = {SAFERL_SHIELD__AND, SAFERL_SHIELD__XOR, SAFERL_SHIELD__OR};
    uint32_t left = level == 0 ? saferl_shield__parse_binary_temporal(f) : saferl_shield__parse_level(f, level - 1);
    while (!f->cursor.failed && f->token == tokens[level]) {
        uint32_t line = f->token_line, column = f->token_column, right;
        saferl_shield__lex(f);
        right = level == 0 ? saferl_shield__parse_binary_temporal(f) : saferl_shield__parse_level(f, level - 1);
        left = saferl_shield__make(f, ops[level], left, right, 0, 0, line, column);
    }
    return left;
}

static uint32_t saferl_shield__parse_implication(saferl_shield__formulas *f) {
    uint32_t left = saferl_shield__parse_level(f, 2), line, column, right;
    int op;
    if (f->cursor.failed || (f->token != SAFERL_SHIELD__TK_IMPLIES && f->token != SAFERL_SHIELD__TK_EQUIV)) return left;
    op = f->token == SAFERL_SHIELD__TK_IMPLIES ? SAFERL_SHIELD__IMPLIES : SAFERL_SHIELD__EQUIV;
    line = f->token_line;
    column = f->token_column;
    saferl_shield__lex(f);
    if (++f->depth > SAFERL_SHIELD__MAX_DEPTH) {
        saferl_shield__syntax(f, SAFERL_ERR_UNSUPPORTED, line, column, "formula nested deeper than 400 levels", NULL);
        return SAFERL_SHIELD__FALSE;
    }
    right = saferl_shield__parse_implication(f);
    --f->depth;
    return saferl_shield__make(f, (uint32_t)op, left, right, 0, 0, line, column);
}

static uint32_t saferl_shield__parse(saferl_shield__formulas *f, const char *text, size_t length) {
    uint32_t root;
    saferl_shield__cursor_start(&f->cursor, text, length, f->error);
    saferl_shield__lex(f);
    root = saferl_shield__parse_implication(f);
    if (!f->cursor.failed && f->token != SAFERL_SHIELD__TK_END) {
        if (f->token == SAFERL_SHIELD__TK_RPAREN)
            saferl_shield__syntax(f, SAFERL_ERR_PARSE, f->token_line, f->token_column,
                                  "unbalanced parentheses: ')' without a matching '('", NULL);
        else
            saferl_shield__unexpected(f, "an operator or the end");
    }
    if (!f->cursor.failed && f->out_of_memory)
        saferl_shield__syntax(f, SAFERL_ERR_OUT_OF_MEMORY, f->token_line, f->token_column, "out of memory", NULL);
    if (!f->cursor.failed && f->over_budget)
        saferl_shield__syntax(f, SAFERL_ERR_UNSUPPORTED, f->token_line, f->token_column,
                              "formula too large (work limit; raise desc.max_states)", NULL);
    return root;
}

/* ---- formulas: checks, negation normal form, progression --------------------------------- */

/* The first node (depth first, left to right) whose operator is in the set mask, or NO_STATE.
   seen is scratch with one byte per node. */
static uint32_t saferl_shield__find_op(saferl_shield__formulas *f, uint32_t id, uint32_t mask, unsigned char *seen) {
    const saferl_shield__node *n = saferl_shield__at(f, id);
    uint32_t found;
    if (seen[id]) return SAFERL_SHIELD_NO_STATE;
    seen[id] = 1;
    if ((mask >> n->op) & 1u) return id;
    switch (n->op) {
    case SAFERL_SHIELD__TRUE: case SAFERL_SHIELD__FALSE: case SAFERL_SHIELD__PROP: case SAFERL_SHIELD__NPROP:
        return SAFERL_SHIELD_NO_STATE;
    case SAFERL_SHIELD__AND: case SAFERL_SHIELD__OR: case SAFERL_SHIELD__IMPLIES: case SAFERL_SHIELD__EQUIV:
    case SAFERL_SHIELD__XOR: case SAFERL_SHIELD__UNTIL: case SAFERL_SHIELD__WEAK_UNTIL: case SAFERL_SHIELD__RELEASE:
    case SAFERL_SHIELD__STRONG_RELEASE: case SAFERL_SHIELD__SINCE: {
        uint32_t b = n->b;
        found = saferl_shield__find_op(f, n->a, mask, seen);
        return found != SAFERL_SHIELD_NO_STATE ? found : saferl_shield__find_op(f, b, mask, seen);
    }
    default:
        return saferl_shield__find_op(f, n->a, mask, seen);
    }
}

#define SAFERL_SHIELD__BIT(op) (1u << SAFERL_SHIELD__##op)
#define SAFERL_SHIELD__PAST_OPS (SAFERL_SHIELD__BIT(YESTERDAY) | SAFERL_SHIELD__BIT(WEAK_YESTERDAY) | \
                                 SAFERL_SHIELD__BIT(ONCE) | SAFERL_SHIELD__BIT(HISTORICALLY) | SAFERL_SHIELD__BIT(SINCE))
#define SAFERL_SHIELD__FUTURE_OPS (SAFERL_SHIELD__BIT(NEXT) | SAFERL_SHIELD__BIT(STRONG_NEXT) | \
                                   SAFERL_SHIELD__BIT(WEAK_NEXT) | SAFERL_SHIELD__BIT(EVENTUALLY) | \
                                   SAFERL_SHIELD__BIT(ALWAYS) | SAFERL_SHIELD__BIT(UNTIL) | \
                                   SAFERL_SHIELD__BIT(WEAK_UNTIL) | SAFERL_SHIELD__BIT(RELEASE) | \
                                   SAFERL_SHIELD__BIT(STRONG_RELEASE) | SAFERL_SHIELD__BIT(BOUNDED_F) | \
                                   SAFERL_SHIELD__BIT(BOUNDED_G))
#define SAFERL_SHIELD__LIVENESS_OPS (SAFERL_SHIELD__BIT(EVENTUALLY) | SAFERL_SHIELD__BIT(UNTIL) | \
                                     SAFERL_SHIELD__BIT(STRONG_RELEASE))

/* A window over one operand: F[lo..hi] a (is_f) or G[lo..hi] a, with next steps and nested
   windows folded in, so that equal obligations are one atom whichever way they were written:
   X^i a = F[i..i] a, X F[a..b] = F[a+1..b+1], F[a..b] F[c..d] = F[a+c..b+d] (the sums of
   two intervals form one interval), G likewise, F[0..0] a = G[0..0] a = a. In LTLf the
   strong next X^i is F[i..i] and the weak N^i is G[i..i], and only windows of one kind fold
   (X G[a..b] needs a next step, G[a+1..b+1] does not); in LTL, where X = N, a one-step window
   is F[i..i] whichever operator wrote it and folds into either kind. Chains of next steps
   under a bounded F were separate atoms before, each pending deadline one more of them. */
static uint32_t saferl_shield__window(saferl_shield__formulas *f, int is_f, int32_t lo, int32_t hi, uint32_t a,
                                      uint32_t line, uint32_t column) {
    const saferl_shield__node *n = saferl_shield__at(f, a);
    int inner_f = n->op == SAFERL_SHIELD__BOUNDED_F;
    if ((n->op == SAFERL_SHIELD__ALWAYS && !is_f) || (n->op == SAFERL_SHIELD__EVENTUALLY && is_f))
        hi = lo; /* G[a..b] G x = G[a..a] G x: a rule from step a on covers the later ones */
    else if (!f->finite && (n->op == SAFERL_SHIELD__ALWAYS || n->op == SAFERL_SHIELD__EVENTUALLY))
        lo = hi; /* LTL: F[a..b] G x = X^b G x, G[a..b] F x = X^b F x */
    if (lo == 0 && hi == 0) return a;
    if (!f->finite && lo == hi) is_f = 1;
    if (inner_f || n->op == SAFERL_SHIELD__BOUNDED_G) {
        int inner_point = !f->finite && n->lo == n->hi, outer_point = !f->finite && lo == hi;
        if (inner_f == is_f || inner_point || outer_point) {
            int kind = inner_point ? is_f : outer_point ? inner_f : is_f;
            return saferl_shield__window(f, kind, lo + n->lo, hi + n->hi, n->a, line, column);
        }
    }
    return saferl_shield__make(f, is_f ? SAFERL_SHIELD__BOUNDED_F : SAFERL_SHIELD__BOUNDED_G, a, 0, lo, hi, line, column);
}

/* Negation normal form. finite: LTLf (X strong, N weak, !X a = N !a); otherwise every next
   is the same X. memo has two entries per node of the parsed formula. */
static uint32_t saferl_shield__nnf(saferl_shield__formulas *f, uint32_t id, int negate, int finite, uint32_t *memo,
                                   uint32_t memo_count) {
    saferl_shield__node n = *saferl_shield__at(f, id);
    uint32_t result, a, b;
    if (id < memo_count && memo[2 * id + (uint32_t)negate] != SAFERL_SHIELD_NO_STATE) return memo[2 * id + (uint32_t)negate];
    if (f->out_of_memory || f->over_budget) return SAFERL_SHIELD__FALSE;
#define SAFERL_SHIELD__N(x, neg) saferl_shield__nnf(f, (x), (neg), finite, memo, memo_count)
#define SAFERL_SHIELD__MK(op, x, y) saferl_shield__make(f, SAFERL_SHIELD__##op, (x), (y), n.lo, n.hi, n.line, n.column)
    switch (n.op) {
    case SAFERL_SHIELD__TRUE: result = negate ? SAFERL_SHIELD__FALSE : SAFERL_SHIELD__TRUE; break;
    case SAFERL_SHIELD__FALSE: result = negate ? SAFERL_SHIELD__TRUE : SAFERL_SHIELD__FALSE; break;
    case SAFERL_SHIELD__PROP: result = negate ? SAFERL_SHIELD__MK(NPROP, n.a, 0) : id; break;
    case SAFERL_SHIELD__NPROP: result = negate ? SAFERL_SHIELD__MK(PROP, n.a, 0) : id; break;
    case SAFERL_SHIELD__NOT: result = SAFERL_SHIELD__N(n.a, !negate); break;
    case SAFERL_SHIELD__AND:
        a = SAFERL_SHIELD__N(n.a, negate);
        b = SAFERL_SHIELD__N(n.b, negate);
        result = negate ? saferl_shield__or(f, a, b) : saferl_shield__and(f, a, b);
        break;
    case SAFERL_SHIELD__OR:
        a = SAFERL_SHIELD__N(n.a, negate);
        b = SAFERL_SHIELD__N(n.b, negate);
        result = negate ? saferl_shield__and(f, a, b) : saferl_shield__or(f, a, b);
        break;
    case SAFERL_SHIELD__IMPLIES: /* a -> b = !a | b */
        a = SAFERL_SHIELD__N(n.a, !negate);
        b = SAFERL_SHIELD__N(n.b, negate);
        result = negate ? saferl_shield__and(f, SAFERL_SHIELD__N(n.a, 0), b) : saferl_shield__or(f, a, b);
        break;
    case SAFERL_SHIELD__EQUIV:
    case SAFERL_SHIELD__XOR: { /* a <-> b = (a & b) | (!a & !b); xor is its negation */
        int equal = (n.op == SAFERL_SHIELD__EQUIV) != negate;
        uint32_t pa = SAFERL_SHIELD__N(n.a, 0), na = SAFERL_SHIELD__N(n.a, 1);
        uint32_t pb = SAFERL_SHIELD__N(n.b, 0), nb = SAFERL_SHIELD__N(n.b, 1);
        result = equal ? saferl_shield__or(f, saferl_shield__and(f, pa, pb), saferl_shield__and(f, na, nb))
                       : saferl_shield__or(f, saferl_shield__and(f, pa, nb), saferl_shield__and(f, na, pb));
        break;
    }
    case SAFERL_SHIELD__NEXT:
    case SAFERL_SHIELD__STRONG_NEXT: /* X a = F[1..1] a, N a = G[1..1] a (the same in LTL) */
        a = SAFERL_SHIELD__N(n.a, negate);
        result = saferl_shield__window(f, !(finite && negate), 1, 1, a, n.line, n.column);
        break;
    case SAFERL_SHIELD__WEAK_NEXT:
        a = SAFERL_SHIELD__N(n.a, negate);
        result = saferl_shield__window(f, !finite || negate, 1, 1, a, n.line, n.column);
        break;
    case SAFERL_SHIELD__EVENTUALLY:
    case SAFERL_SHIELD__ALWAYS: { /* F F a = F a and G G a = G a, on finite traces too (as Spot) */
        uint32_t op = (n.op == SAFERL_SHIELD__EVENTUALLY) != negate ? SAFERL_SHIELD__EVENTUALLY : SAFERL_SHIELD__ALWAYS;
        const saferl_shield__node *w;
        a = SAFERL_SHIELD__N(n.a, negate);
        w = saferl_shield__at(f, a);
        /* and G G[i..i] G a = G[i..i] G a, F F[i..i] F a = F[i..i] F a (windows of the same kind) */
        if (w->op == op ||
            ((w->op == (op == SAFERL_SHIELD__ALWAYS ? SAFERL_SHIELD__BOUNDED_G : SAFERL_SHIELD__BOUNDED_F) ||
              (!finite && (w->op == SAFERL_SHIELD__BOUNDED_F || w->op == SAFERL_SHIELD__BOUNDED_G) && w->lo == w->hi)) &&
             saferl_shield__at(f, w->a)->op == op))
            result = a;
        else
            result = saferl_shield__make(f, op, a, 0, n.lo, n.hi, n.line, n.column);
        break;
    }
    case SAFERL_SHIELD__BOUNDED_F:
    case SAFERL_SHIELD__BOUNDED_G:
        a = SAFERL_SHIELD__N(n.a, negate);
        result = saferl_shield__window(f, (n.op == SAFERL_SHIELD__BOUNDED_F) != negate, n.lo, n.hi, a, n.line, n.column);
        break;
    case SAFERL_SHIELD__UNTIL: /* !(a U b) = !a R !b */
        a = SAFERL_SHIELD__N(n.a, negate);
        b = SAFERL_SHIELD__N(n.b, negate);
        result = negate ? SAFERL_SHIELD__MK(RELEASE, a, b) : SAFERL_SHIELD__MK(UNTIL, a, b);
        break;
    case SAFERL_SHIELD__RELEASE:
        a = SAFERL_SHIELD__N(n.a, negate);
        b = SAFERL_SHIELD__N(n.b, negate);
        result = negate ? SAFERL_SHIELD__MK(UNTIL, a, b) : SAFERL_SHIELD__MK(RELEASE, a, b);
        break;
    case SAFERL_SHIELD__WEAK_UNTIL: /* !(a W b) = !a M !b */
        a = SAFERL_SHIELD__N(n.a, negate);
        b = SAFERL_SHIELD__N(n.b, negate);
        result = negate ? SAFERL_SHIELD__MK(STRONG_RELEASE, a, b) : SAFERL_SHIELD__MK(WEAK_UNTIL, a, b);
        break;
    case SAFERL_SHIELD__STRONG_RELEASE:
        a = SAFERL_SHIELD__N(n.a, negate);
        b = SAFERL_SHIELD__N(n.b, negate);
        result = negate ? SAFERL_SHIELD__MK(WEAK_UNTIL, a, b) : SAFERL_SHIELD__MK(STRONG_RELEASE, a, b);
        break;
    default: result = SAFERL_SHIELD__FALSE; break; /* past operators never reach here */
    }
#undef SAFERL_SHIELD__N
#undef SAFERL_SHIELD__MK
    if (id < memo_count) memo[2 * id + (uint32_t)negate] = result;
    return result;
}

static uint32_t saferl_shield__progress(saferl_shield__formulas *f, uint32_t id, uint32_t letter);

/* The eventuality e (F, U, M) carried to the next step unfulfilled. With marks on, the
   carried copy is conjoined with PENDING e, which means true but tells the emptiness check
   (see "eventualities") that e was put off here: a run that puts e off at every step from
   some point on never fulfils it. */
static uint32_t saferl_shield__put_off(saferl_shield__formulas *f, uint32_t e) {
    const saferl_shield__node *n = saferl_shield__at(f, e);
    if (!f->mark_pending) return e;
    return saferl_shield__and(f, e, saferl_shield__make(f, SAFERL_SHIELD__PENDING, e, 0, 0, 0, n->line, n->column));
}

/* One progression rule: the residual of id (a temporal operator, & or |) after letter. */
static uint32_t saferl_shield__progress_rule(saferl_shield__formulas *f, uint32_t id, uint32_t letter) {
    saferl_shield__node n = *saferl_shield__at(f, id);
#define SAFERL_SHIELD__P(x) saferl_shield__progress(f, (x), letter)
    switch (n.op) {
    case SAFERL_SHIELD__AND: {
        uint32_t a = SAFERL_SHIELD__P(n.a);
        return a == SAFERL_SHIELD__FALSE ? a : saferl_shield__and(f, a, SAFERL_SHIELD__P(n.b));
    }
    case SAFERL_SHIELD__OR: {
        uint32_t a = SAFERL_SHIELD__P(n.a);
        return a == SAFERL_SHIELD__TRUE ? a : saferl_shield__or(f, a, SAFERL_SHIELD__P(n.b));
    }
    case SAFERL_SHIELD__ALWAYS: return saferl_shield__and(f, SAFERL_SHIELD__P(n.a), id);
    case SAFERL_SHIELD__EVENTUALLY: return saferl_shield__or(f, SAFERL_SHIELD__P(n.a), saferl_shield__put_off(f, id));
    case SAFERL_SHIELD__UNTIL:
        return saferl_shield__or(f, SAFERL_SHIELD__P(n.b), saferl_shield__and(f, SAFERL_SHIELD__P(n.a), saferl_shield__put_off(f, id)));
    case SAFERL_SHIELD__WEAK_UNTIL:
        return saferl_shield__or(f, SAFERL_SHIELD__P(n.b), saferl_shield__and(f, SAFERL_SHIELD__P(n.a), id));
    case SAFERL_SHIELD__RELEASE:
        return saferl_shield__and(f, SAFERL_SHIELD__P(n.b), saferl_shield__or(f, SAFERL_SHIELD__P(n.a), id));
    case SAFERL_SHIELD__STRONG_RELEASE:
        return saferl_shield__and(f, SAFERL_SHIELD__P(n.b), saferl_shield__or(f, SAFERL_SHIELD__P(n.a), saferl_shield__put_off(f, id)));
    case SAFERL_SHIELD__PENDING: return SAFERL_SHIELD__TRUE; /* a mark for one step only */
    case SAFERL_SHIELD__BOUNDED_F:
    case SAFERL_SHIELD__BOUNDED_G: {
        int is_f = n.op == SAFERL_SHIELD__BOUNDED_F;
        uint32_t rest, now;
        if (n.lo > 0) return saferl_shield__window(f, is_f, n.lo - 1, n.hi - 1, n.a, n.line, n.column);
        now = SAFERL_SHIELD__P(n.a);
        if (n.hi == 0) return now;
        rest = saferl_shield__window(f, is_f, 0, n.hi - 1, n.a, n.line, n.column);
        return is_f ? saferl_shield__or(f, now, rest) : saferl_shield__and(f, now, rest);
    }
    default: return SAFERL_SHIELD__FALSE;
    }
#undef SAFERL_SHIELD__P
}

/* Forgets every progression (when the letters change meaning, or the memo grows past
   SAFERL_SHIELD_MEMO_RESET entries). */
static void saferl_shield__progress_forget(saferl_shield__formulas *f) {
    saferl_shield__index_free(&f->progress_ids);
    saferl_shield__index_start(&f->progress_ids, f->allocator);
    f->progress_results.count = 0;
    f->progress_at.count = 0;
    f->progress_at_entries = 0;
}

/* The residual of id after reading letter: what the rest of the trace must satisfy. Memoised
   per (node, letter): the atoms of one state recur in its cubes and in the next states.
   Letters 0-3 (every letter of one or two propositions, where the slow random formulas are)
   are memoised in an array by node id, the others in a hash table (its probe was 8% of
   their compile). */
static uint32_t saferl_shield__progress(saferl_shield__formulas *f, uint32_t id, uint32_t letter) {
    const saferl_shield__node *n = saferl_shield__at(f, id);
    uint32_t k, result, *at;
    size_t slot = (size_t)id * 4 + letter, i;
    int added;
    if (f->out_of_memory || f->over_budget || saferl_shield__charge(f, 1)) return SAFERL_SHIELD__FALSE;
    switch (n->op) {
    case SAFERL_SHIELD__TRUE: case SAFERL_SHIELD__FALSE: return id;
    case SAFERL_SHIELD__PROP: return ((letter >> f->letter_bit[n->a]) & 1u) ? SAFERL_SHIELD__TRUE : SAFERL_SHIELD__FALSE;
    case SAFERL_SHIELD__NPROP: return ((letter >> f->letter_bit[n->a]) & 1u) ? SAFERL_SHIELD__FALSE : SAFERL_SHIELD__TRUE;
    case SAFERL_SHIELD__NEXT: case SAFERL_SHIELD__WEAK_NEXT: return n->a;
    default: break;
    }
    if (letter < 4) {
        if (slot < f->progress_at.count && (result = ((const uint32_t *)(void *)f->progress_at.data)[slot]) != 0)
            return result - 1;
        result = saferl_shield__progress_rule(f, id, letter);
        if (saferl_shield__vec_reserve(&f->progress_at, slot + 1) < 0) {
            f->out_of_memory = 1;
            return SAFERL_SHIELD__FALSE;
        }
        at = (uint32_t *)(void *)f->progress_at.data;
        for (i = f->progress_at.count; i <= slot; ++i) at[i] = 0;
        if (f->progress_at.count <= slot) f->progress_at.count = slot + 1;
        at[slot] = result + 1;
        ++f->progress_at_entries;
        return result;
    }
    if (saferl_shield__index_get(&f->progress_ids, ((uint64_t)id << 16) | letter, &k, &added) < 0 ||
        (added && !saferl_shield__vec_push(&f->progress_results))) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD__FALSE;
    }
    if (!added) return ((const uint32_t *)(void *)f->progress_results.data)[k];
    result = saferl_shield__progress_rule(f, id, letter);
    ((uint32_t *)(void *)f->progress_results.data)[k] = result;
    return result;
}

/* LTLf: does a trace whose last step is letter satisfy id at that step? */
static int saferl_shield__holds_at_end(saferl_shield__formulas *f, uint32_t id, uint32_t letter) {
    const saferl_shield__node *n = saferl_shield__at(f, id);
    uint32_t a = n->a, b = n->b;
    switch (n->op) {
    case SAFERL_SHIELD__TRUE: return 1;
    case SAFERL_SHIELD__FALSE: return 0;
    case SAFERL_SHIELD__PROP: return (int)((letter >> f->letter_bit[a]) & 1u);
    case SAFERL_SHIELD__NPROP: return !(int)((letter >> f->letter_bit[a]) & 1u);
    case SAFERL_SHIELD__AND: return saferl_shield__holds_at_end(f, a, letter) && saferl_shield__holds_at_end(f, b, letter);
    case SAFERL_SHIELD__OR: return saferl_shield__holds_at_end(f, a, letter) || saferl_shield__holds_at_end(f, b, letter);
    case SAFERL_SHIELD__NEXT: return 0;      /* strong: there is no next step */
    case SAFERL_SHIELD__WEAK_NEXT: return 1;
    case SAFERL_SHIELD__ALWAYS: case SAFERL_SHIELD__EVENTUALLY: return saferl_shield__holds_at_end(f, a, letter);
    case SAFERL_SHIELD__UNTIL: case SAFERL_SHIELD__RELEASE: return saferl_shield__holds_at_end(f, b, letter);
    case SAFERL_SHIELD__WEAK_UNTIL: return saferl_shield__holds_at_end(f, a, letter) || saferl_shield__holds_at_end(f, b, letter);
    case SAFERL_SHIELD__STRONG_RELEASE: return saferl_shield__holds_at_end(f, a, letter) && saferl_shield__holds_at_end(f, b, letter);
    case SAFERL_SHIELD__BOUNDED_F: return n->lo > 0 ? 0 : saferl_shield__holds_at_end(f, a, letter);
    case SAFERL_SHIELD__BOUNDED_G: return n->lo > 0 ? 1 : saferl_shield__holds_at_end(f, a, letter);
    default: return 0;
    }
}

/* LTLf: the lengths of the traces on which id can hold from their first step, over-approximated
   by the syntax: bit k - 1 for a trace of k steps (k = 1 .. 62), bit 62 for every length from
   63 on. Each rule is the finite-trace semantics of its operator (De Giacomo and Vardi, IJCAI
   2013) on sets of lengths: a strong next or a window F[lo..] needs lo more steps (the set moves
   up), the weak next and G[lo..] hold at the end, G a needs a at every remaining length and
   U W R M unfold one step at a time; a conjunction's parts are checked apart (so the set is a
   superset: G p & F !p keeps every length and is left to the exploration). Every rule is
   monotone, so computing on "bit 62 = all lengths from 63 on" stays sound. A residual whose set
   is empty has no model (a non-empty finite trace) and is the rejecting sink. Lengths, not just
   "may end here": G(N F[0..3] X X a | X X b) holds on one-step traces only (its body cannot
   hold two steps before the end), and after a first step it asks for more, so its 2,306 later
   residuals were each a rejecting sink explored apart. Memoised per node (bit 63: computed). */
#define SAFERL_SHIELD__LONG_TRACES (1ull << 62)
#define SAFERL_SHIELD__ANY_LENGTH ((1ull << 63) - 1)

/* The lengths of X^steps a: steps more than a's. */
static uint64_t saferl_shield__lengths_later(uint64_t lengths, int64_t steps) {
    uint64_t short_lengths = lengths & (SAFERL_SHIELD__LONG_TRACES - 1);
    if (!lengths) return 0;
    if (steps >= 62) return SAFERL_SHIELD__LONG_TRACES;
    /* long: a's long lengths, or a short one moved past 62 (tested before the shift drops it) */
    return ((short_lengths << steps) & (SAFERL_SHIELD__LONG_TRACES - 1)) |
           ((lengths & SAFERL_SHIELD__LONG_TRACES) || (short_lengths >> (62 - steps)) ? SAFERL_SHIELD__LONG_TRACES : 0);
}

/* The lengths of F[lo..hi] a: a at some step lo .. hi the trace has, the union of a's lengths
   moved up by lo .. hi, made by doubling (the windows of a bounded response are hundreds of
   nodes: one move per step added 6.8% to G(a -> F[0..498] b)'s LTLf compile, in instructions). */
static uint64_t saferl_shield__lengths_window_f(uint64_t a, int32_t lo, int32_t hi) {
    uint64_t short_lengths = a & (SAFERL_SHIELD__LONG_TRACES - 1), spread = short_lengths;
    int64_t last = hi < 62 ? hi : 62, width = last - lo + 1, covered = 1;
    if (width <= 0) return saferl_shield__lengths_later(a, lo); /* lo past 62: long traces only */
    while (covered * 2 <= width) { /* spread: the union of moves by 0 .. covered - 1 */
        spread |= spread << covered;
        covered *= 2;
    }
    if (covered < width) spread |= spread << (width - covered); /* the two halves overlap */
    /* long: a's long lengths, or a short one moved past 62 by a step up to last */
    return ((spread << lo) & (SAFERL_SHIELD__LONG_TRACES - 1)) |
           ((a & SAFERL_SHIELD__LONG_TRACES) || (short_lengths >> (62 - last)) ? SAFERL_SHIELD__LONG_TRACES : 0);
}

/* The lengths of a U b, a W b, a R b, a M b by their one-step unfolding (U: b now, or a now
   and U one step on; W and R also hold at the last step, as their weak forms do), solved as
   the least fixpoint over the sets: each length needs only shorter ones, and from 63 on the
   long bit's own loop is the unfolding repeated, which adds nothing (least, not greatest). */
static uint64_t saferl_shield__lengths_unfolded(uint32_t op, uint64_t a, uint64_t b) {
    uint64_t result = 0, next;
    for (;;) {
        uint64_t later = saferl_shield__lengths_later(result, 1);
        switch (op) {
        case SAFERL_SHIELD__UNTIL: next = b | (a & later); break;
        case SAFERL_SHIELD__WEAK_UNTIL: next = b | (a & (later | 1u)); break;
        case SAFERL_SHIELD__RELEASE: next = b & (a | later | 1u); break;
        default: next = b & (a | later); break; /* M */
        }
        if (next == result) return result;
        result = next;
    }
}

/* The lengths of G[lo..hi] a: a at each step lo .. hi the trace has. run = the lengths m with
   a at every length m - (hi - lo) .. m (lengths below 1 count as present: the window is cut
   at the trace's end), made by doubling; a length n > lo needs run at n - lo, and n <= lo has
   no step of the window. */
static uint64_t saferl_shield__lengths_window_g(uint64_t a, int32_t lo, int32_t hi) {
    const uint64_t short_mask = SAFERL_SHIELD__LONG_TRACES - 1;
    uint64_t run = a & short_mask, result;
    int64_t width = (int64_t)hi - lo + 1, covered = 1;
    if (lo >= 62) return SAFERL_SHIELD__ANY_LENGTH; /* lengths up to 62 have no step of it: kept whole */
    if (width > 62) width = 62; /* a wider window already reaches below length 1 */
    while (covered * 2 <= width) {
        run &= (run << covered) | ((1ull << covered) - 1);
        covered *= 2;
    }
    if (covered < width) run &= (run << (width - covered)) | ((1ull << (width - covered)) - 1);
    result = ((run << lo) | ((1ull << lo) - 1)) & short_mask;
    /* long: a's long lengths (far past the end every step is long), else a run ending at
       m = n - lo for some n >= 63 (m >= 63 - lo, bit 62 - lo on) */
    if ((a & SAFERL_SHIELD__LONG_TRACES) || (lo > 0 && (run >> (62 - lo)))) result |= SAFERL_SHIELD__LONG_TRACES;
    return lo == 0 ? result & a : result; /* from step 0: a itself */
}

static uint64_t saferl_shield__finite_lengths(saferl_shield__formulas *f, uint32_t id) {
    saferl_shield__node n = *saferl_shield__at(f, id);
    uint64_t a, v;
    while (f->finite_lengths.count < f->nodes.count) {
        uint64_t *slot = (uint64_t *)saferl_shield__vec_push(&f->finite_lengths);
        if (!slot) {
            f->out_of_memory = 1;
            return SAFERL_SHIELD__ANY_LENGTH; /* nothing concluded */
        }
        *slot = 0;
    }
    if (((const uint64_t *)f->finite_lengths.data)[id] >> 63)
        return ((const uint64_t *)f->finite_lengths.data)[id] & SAFERL_SHIELD__ANY_LENGTH;
    switch (n.op) {
    case SAFERL_SHIELD__FALSE: v = 0; break;
    case SAFERL_SHIELD__AND:
    case SAFERL_SHIELD__OR: /* a chain (a residual's cubes): walked, not recursed along */
        v = n.op == SAFERL_SHIELD__AND ? SAFERL_SHIELD__ANY_LENGTH : 0;
        for (;;) {
            a = saferl_shield__finite_lengths(f, n.a);
            v = n.op == SAFERL_SHIELD__AND ? v & a : v | a;
            if (saferl_shield__at(f, n.b)->op != n.op) break;
            n = *saferl_shield__at(f, n.b);
        }
        a = saferl_shield__finite_lengths(f, n.b);
        v = n.op == SAFERL_SHIELD__AND ? v & a : v | a;
        break;
    case SAFERL_SHIELD__NEXT: v = saferl_shield__lengths_later(saferl_shield__finite_lengths(f, n.a), 1); break;
    case SAFERL_SHIELD__WEAK_NEXT: v = 1ull | saferl_shield__lengths_later(saferl_shield__finite_lengths(f, n.a), 1); break;
    case SAFERL_SHIELD__ALWAYS: /* a at every remaining length: the run of lengths 1, 2, ... in a */
        a = saferl_shield__finite_lengths(f, n.a);
        v = (a | ~SAFERL_SHIELD__ANY_LENGTH) == ~0ull ? a : ((~a & (a + 1)) - 1) & (SAFERL_SHIELD__LONG_TRACES - 1);
        break;
    case SAFERL_SHIELD__EVENTUALLY: /* from a's shortest length on */
        a = saferl_shield__finite_lengths(f, n.a);
        v = a ? SAFERL_SHIELD__ANY_LENGTH & ~((a & (~a + 1)) - 1) : 0;
        break;
    case SAFERL_SHIELD__UNTIL: case SAFERL_SHIELD__WEAK_UNTIL: case SAFERL_SHIELD__RELEASE: case SAFERL_SHIELD__STRONG_RELEASE:
        a = saferl_shield__finite_lengths(f, n.a);
        v = saferl_shield__lengths_unfolded(n.op, a, saferl_shield__finite_lengths(f, n.b));
        break;
    case SAFERL_SHIELD__BOUNDED_F: v = saferl_shield__lengths_window_f(saferl_shield__finite_lengths(f, n.a), n.lo, n.hi); break;
    case SAFERL_SHIELD__BOUNDED_G: v = saferl_shield__lengths_window_g(saferl_shield__finite_lengths(f, n.a), n.lo, n.hi); break;
    default: v = SAFERL_SHIELD__ANY_LENGTH; break; /* true, literals, PENDING: no conclusion */
    }
    ((uint64_t *)f->finite_lengths.data)[id] = v | (1ull << 63);
    return v;
}

/* LTLf: the residual, or false when it has no model (the rejecting sink). */
static uint32_t saferl_shield__finite_residual(saferl_shield__formulas *f, uint32_t residual) {
    if (!f->finite || !f->empty_sink || residual == SAFERL_SHIELD__FALSE) return residual;
    return saferl_shield__finite_lengths(f, residual) ? residual : (uint32_t)SAFERL_SHIELD__FALSE;
}

/* ---- formulas: residuals in a canonical form over temporal atoms ------------------------ */

/* States from a finite set (the notes, CONSTRUCTIONS, say why): a residual is rebuilt as
   the antichain of its minimal cubes over the formula's atoms, sharpened by implications
   between atoms. */

/* Windows over one G or F: X^i G a => X^j G a for i <= j and X^i F a => X^j F a for i >= j;
   in LTLf only towards the weak G[j..j] G a, and only from the strong F[i..i] F a. In LTL
   saferl_shield__window makes every such window one step; in LTLf F[i..k] G a and G[i..k] F a
   stay windows, so the G a of F[i..k] G a starts by step k (not i) and G[j..l] F a needs F a
   up to step l (not j): comparing the first steps alone, F[1..2] G p implied G[1..1] G p and
   G[1..5] F p followed from F[3..3] F p (both false on some finite traces: 0.5.7 lost a
   trace MONA accepts; test_shield checks every rule here on every trace up to 9 steps). */
static int saferl_shield__window_implies(saferl_shield__formulas *f, const saferl_shield__node *x,
                                         const saferl_shield__node *y) {
    uint32_t z = saferl_shield__at(f, x->a)->op;
    if (x->a != y->a || (z != SAFERL_SHIELD__ALWAYS && z != SAFERL_SHIELD__EVENTUALLY)) return 0;
    if (z == SAFERL_SHIELD__ALWAYS) return x->hi <= y->lo && (!f->finite || y->op == SAFERL_SHIELD__BOUNDED_G);
    return x->lo >= y->hi && (!f->finite || x->op == SAFERL_SHIELD__BOUNDED_F);
}

/* The rules of saferl_shield__implies, for atoms u (node x) and v (node y) that share an
   operand or are one another's. */
static int saferl_shield__implies_by_rule(saferl_shield__formulas *f, const saferl_shield__node *x, const saferl_shield__node *y,
                                          uint32_t u, uint32_t v) {
    if ((x->op == SAFERL_SHIELD__BOUNDED_F || x->op == SAFERL_SHIELD__BOUNDED_G) &&
        (y->op == SAFERL_SHIELD__BOUNDED_F || y->op == SAFERL_SHIELD__BOUNDED_G) && saferl_shield__window_implies(f, x, y))
        return 1;
    if (x->a == v && y->op == SAFERL_SHIELD__EVENTUALLY && (x->op == SAFERL_SHIELD__BOUNDED_F || (!f->finite && x->op == SAFERL_SHIELD__BOUNDED_G)))
        return 1; /* F[i..j] F a => F a */
    switch (x->op) {
    case SAFERL_SHIELD__ALWAYS: /* G a => a, G[i..j] a, a W b, b R a; G a => G[i..i] G a (X^i G a in LTL) */
        if (x->a == v) return 1;
        if (y->a == u && (y->op == SAFERL_SHIELD__BOUNDED_G || (y->op == SAFERL_SHIELD__BOUNDED_F && !f->finite))) return 1;
        if (y->op == SAFERL_SHIELD__BOUNDED_G && y->a == x->a) return 1;
        if ((y->op == SAFERL_SHIELD__WEAK_UNTIL && y->a == x->a) || (y->op == SAFERL_SHIELD__RELEASE && y->b == x->a))
            return 1;
        break;
    case SAFERL_SHIELD__RELEASE: case SAFERL_SHIELD__STRONG_RELEASE: /* a R b => b; a M b => a R b */
        if (x->b == v) return 1;
        if (x->op == SAFERL_SHIELD__STRONG_RELEASE && y->op == SAFERL_SHIELD__RELEASE && x->a == y->a && x->b == y->b) return 1;
        break;
    case SAFERL_SHIELD__UNTIL: /* a U b => a W b */
        if (y->op == SAFERL_SHIELD__WEAK_UNTIL && x->a == y->a && x->b == y->b) return 1;
        break;
    case SAFERL_SHIELD__BOUNDED_F: /* a smaller window is the stronger promise */
        if (y->op == SAFERL_SHIELD__BOUNDED_F && y->a == x->a && y->lo <= x->lo && x->hi <= y->hi) return 1;
        break;
    case SAFERL_SHIELD__BOUNDED_G: /* a larger window is the stronger rule; G[0..j] a => a */
        if (y->a == x->a && x->lo <= y->lo && y->hi <= x->hi &&
            (y->op == SAFERL_SHIELD__BOUNDED_G || (!f->finite && y->op == SAFERL_SHIELD__BOUNDED_F && y->lo == y->hi)))
            return 1; /* in LTL a one-step window F[i..i] is G[i..i] too */
        if (x->lo == 0 && x->a == v) return 1;
        break;
    default: break;
    }
    switch (y->op) { /* b => a W b, a U b; a => F a, F[0..j] a */
    case SAFERL_SHIELD__WEAK_UNTIL: case SAFERL_SHIELD__UNTIL: return y->b == u;
    case SAFERL_SHIELD__EVENTUALLY: return y->a == u;
    case SAFERL_SHIELD__BOUNDED_F: return y->lo == 0 && y->a == u;
    default: return 0;
    }
}

/* Does atom u imply atom v on every trace, finite or infinite? (u != v; a few sure rules.)
   The test most pairs fail is here, small enough to inline where cubes are compared (the
   rules behind it were a call for every pair of atoms: 15% of some slow formulas). */
static int saferl_shield__implies(saferl_shield__formulas *f, uint32_t u, uint32_t v) {
    const saferl_shield__node *x = saferl_shield__at(f, u), *y = saferl_shield__at(f, v);
    if (!f->simplify) return 0;
    /* every rule relates an operand of one to the other or to an operand of it: most pairs
       (the closure of a long cube list tests them all) share none */
    if (x->a != y->a && x->a != v && y->a != u && x->b != v && y->b != u && y->b != x->a) return 0;
    return saferl_shield__implies_by_rule(f, x, y, u, v);
}

/* Appends the cubes of a residual in canonical form to out, each as its atom count followed
   by its atoms in increasing id (false: none; true: one empty cube), and each cube's own
   node (its conjunction chain, canonical when dnf is) to nodes, one a cube: the chains
   walked in place, once per residual (saferl_shield__cube_list keeps the result). */
static void saferl_shield__walk_cubes(saferl_shield__formulas *f, uint32_t dnf, saferl_shield__vec *out,
                                     saferl_shield__vec *nodes) {
    int more = dnf != SAFERL_SHIELD__FALSE;
    while (more && !f->out_of_memory) {
        const saferl_shield__node *n = saferl_shield__at(f, dnf);
        size_t count_at = out->count;
        uint32_t cube = n->op == SAFERL_SHIELD__OR ? n->a : dnf;
        more = n->op == SAFERL_SHIELD__OR;
        dnf = n->b;
        {
            uint32_t *slot = (uint32_t *)saferl_shield__vec_push(nodes);
            if (!slot) f->out_of_memory = 1;
            else *slot = cube;
        }
        if (!saferl_shield__vec_push(out)) f->out_of_memory = 1;
        while (!f->out_of_memory && cube != SAFERL_SHIELD__TRUE) {
            const saferl_shield__node *c = saferl_shield__at(f, cube);
            uint32_t atom = c->op == SAFERL_SHIELD__AND ? c->a : cube;
            cube = c->op == SAFERL_SHIELD__AND ? c->b : (uint32_t)SAFERL_SHIELD__TRUE;
            if (saferl_shield__at(f, atom)->op == SAFERL_SHIELD__AND) saferl_shield__flatten(f, SAFERL_SHIELD__AND, atom, out);
            else if (saferl_shield__vec_reserve(out, out->count + 1) < 0) f->out_of_memory = 1;
            else ((uint32_t *)(void *)out->data)[out->count++] = atom;
        }
        if (f->out_of_memory) out->count = count_at; /* whole cubes only, also when out of memory */
        else ((uint32_t *)(void *)out->data)[count_at] = (uint32_t)(out->count - count_at - 1);
    }
}

/* A memo by node id (canon_at, cube_list_at): one uint32_t a node, the value + 1, 0 while the
   node is not met. Nodes never change, so an entry holds for the whole compile. */
static int saferl_shield__node_memo_get(const saferl_shield__vec *memo, uint32_t id, uint32_t *value) {
    if (id >= memo->count || ((const uint32_t *)(void *)memo->data)[id] == 0) return 0;
    *value = ((const uint32_t *)(void *)memo->data)[id] - 1;
    return 1;
}

/* Stores value for node id; 0, or -1 with f->out_of_memory set. */
static int saferl_shield__node_memo_set(saferl_shield__formulas *f, saferl_shield__vec *memo, uint32_t id,
                                        uint32_t value) {
    uint32_t *entries;
    if (saferl_shield__vec_reserve(memo, f->nodes.count) < 0) {
        f->out_of_memory = 1;
        return -1;
    }
    entries = (uint32_t *)(void *)memo->data;
    while (memo->count <= id) entries[memo->count++] = 0;
    entries[id] = value + 1;
    return 0;
}

/* The offset in f->cube_lists of dnf's cubes as saferl_shield__walk_cubes puts them:
   [words, cubes, the words, each cube's node]; NOT_MET when out of memory. Nodes never
   change, so a residual is walked once per compile and copied after that: a union puts
   the cubes of every part, and the parts recur across states and letters (the slowest of
   the bench's formulas walked 39,000 chains for 2,551 unions, 18% of its compile). */
static uint32_t saferl_shield__cube_list(saferl_shield__formulas *f, uint32_t dnf) {
    saferl_shield__vec *lists = &f->cube_lists;
    uint32_t *words, known;
    size_t start = lists->count, cubes;
    if (saferl_shield__node_memo_get(&f->cube_list_at, dnf, &known)) return known;
    if (start >= 0xFFFFFFFFu - 2 || saferl_shield__vec_reserve(lists, start + 2) < 0) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD__NOT_MET;
    }
    lists->count += 2;
    f->cube_list_nodes.count = 0;
    saferl_shield__walk_cubes(f, dnf, lists, &f->cube_list_nodes);
    cubes = f->cube_list_nodes.count;
    if (f->out_of_memory || saferl_shield__vec_reserve(lists, lists->count + cubes) < 0 || lists->count + cubes >= 0xFFFFFFFFu ||
        saferl_shield__node_memo_set(f, &f->cube_list_at, dnf, (uint32_t)start) < 0) {
        f->out_of_memory = 1;
        lists->count = start;
        return SAFERL_SHIELD__NOT_MET;
    }
    words = (uint32_t *)(void *)lists->data;
    words[start] = (uint32_t)(lists->count - start - 2);
    words[start + 1] = (uint32_t)cubes;
    memcpy(words + lists->count, f->cube_list_nodes.data, cubes * sizeof(uint32_t));
    lists->count += cubes;
    return (uint32_t)start;
}

/* Appends the cubes of dnf to out (see saferl_shield__walk_cubes) and, with nodes, each
   cube's node to nodes; nothing when out of memory (whole cubes only). */
static void saferl_shield__put_cubes(saferl_shield__formulas *f, uint32_t dnf, saferl_shield__vec *out,
                                     saferl_shield__vec *nodes) {
    uint32_t start = saferl_shield__cube_list(f, dnf);
    const uint32_t *list;
    if (start == SAFERL_SHIELD__NOT_MET) return;
    if (saferl_shield__vec_reserve(out, out->count + ((const uint32_t *)(void *)f->cube_lists.data)[start]) < 0 ||
        (nodes && saferl_shield__vec_reserve(nodes, nodes->count + ((const uint32_t *)(void *)f->cube_lists.data)[start + 1]) < 0)) {
        f->out_of_memory = 1;
        return;
    }
    list = (const uint32_t *)(void *)f->cube_lists.data + start;
    memcpy((uint32_t *)(void *)out->data + out->count, list + 2, list[0] * sizeof(uint32_t));
    out->count += list[0];
    if (!nodes) return;
    memcpy((uint32_t *)(void *)nodes->data + nodes->count, list + 2 + list[0], list[1] * sizeof(uint32_t));
    nodes->count += list[1];
}

#define SAFERL_SHIELD__FROM_A 0x80000000u /* merged cube: the atom came from the left cube */
#define SAFERL_SHIELD__FROM_B 0x40000000u /* ... from the right one (both: from both) */

/* The merge of two reduced cubes x and y (count, then atoms; merged: atoms tagged with their
   side), without the atoms an atom of the other side implies: a reduced cube has no such
   pair inside it, so only pairs across are looked at. 0 when it holds p and !p (the cube is
   false), else 1; count is updated and the tags are cleared. */
static int saferl_shield__reduce_cube(saferl_shield__formulas *f, const uint32_t *x, const uint32_t *y, uint32_t *atoms,
                                      uint32_t *count) {
    const uint32_t tags = SAFERL_SHIELD__FROM_A | SAFERL_SHIELD__FROM_B;
    uint32_t i, j, kept = 0;
    for (j = 0; j < *count; ++j) {
        uint32_t u = atoms[j] & ~tags, side = atoms[j] & tags;
        const uint32_t *other = side == SAFERL_SHIELD__FROM_A ? y : x;
        const saferl_shield__node *n = saferl_shield__at(f, u);
        int implied = 0, literal = n->op == SAFERL_SHIELD__PROP || n->op == SAFERL_SHIELD__NPROP;
        for (i = 1; side != tags && i <= other[0] && !implied; ++i) { /* in both: never implied */
            const saferl_shield__node *m = saferl_shield__at(f, other[i]);
            if (literal && m->a == n->a && m->op == (n->op == SAFERL_SHIELD__PROP ? SAFERL_SHIELD__NPROP : SAFERL_SHIELD__PROP))
                return 0;
            implied = saferl_shield__implies(f, other[i], u);
        }
        if (!implied) atoms[kept++] = u;
    }
    *count = kept;
    return 1;
}

/* Does cube b imply cube a: is every atom of a an atom of b or implied by one? (Both sorted
   by id: an atom of both is found by the merge, and only the others ask the rules.) */
static int saferl_shield__cube_implied(saferl_shield__formulas *f, const uint32_t *a, uint32_t na, const uint32_t *b,
                                       uint32_t nb) {
    uint32_t i, j, k = 0;
    for (i = 0; i < na; ++i) {
        int found;
        while (k < nb && b[k] < a[i]) ++k;
        found = k < nb && b[k] == a[i];
        for (j = 0; j < nb && !found; ++j) found = saferl_shield__implies(f, b[j], a[i]);
        if (!found) return 0;
    }
    return 1;
}

/* Atom u as a rule window G[lo..hi] of its operand (0 when it is none): in LTL a one-step
   window F[i..i] is one too. */
static int saferl_shield__rule_window(saferl_shield__formulas *f, uint32_t u, uint32_t *operand, int32_t *lo, int32_t *hi) {
    const saferl_shield__node *n = saferl_shield__at(f, u);
    if (n->op != SAFERL_SHIELD__BOUNDED_G && !(n->op == SAFERL_SHIELD__BOUNDED_F && !f->finite && n->lo == n->hi)) return 0;
    *operand = n->a;
    *lo = n->lo;
    *hi = n->hi;
    return 1;
}

/* Rules over one operand whose windows overlap or touch are one rule: G[a..b] x & G[c..d] x
   = G[min..max] x, and x & G[1..d] x = G[0..d] x (pending rules of a G over a bounded G
   would otherwise pile up, one window per step). A reduced cube's atoms (count of them,
   sorted by id) are merged in place; returns the new count, the atoms sorted again and
   without those the merged windows imply. */
static uint32_t saferl_shield__merge_rules(saferl_shield__formulas *f, uint32_t *atoms, uint32_t count) {
    uint32_t i, j, kept, x, y;
    int32_t lo, hi, lo2, hi2;
    int merged = 0, again = 1;
    while (again) {
        again = 0;
        for (i = 0; i < count && !again; ++i) {
            if (!saferl_shield__rule_window(f, atoms[i], &x, &lo, &hi)) continue;
            for (j = 0; j < count && !again; ++j) {
                if (j == i) continue;
                if (!saferl_shield__rule_window(f, atoms[j], &y, &lo2, &hi2)) {
                    y = atoms[j]; /* the operand itself: the window [0..0] */
                    lo2 = hi2 = 0;
                }
                if (y != x || lo2 > hi + 1 || lo > hi2 + 1) continue;
                atoms[i] = saferl_shield__window(f, 0, lo < lo2 ? lo : lo2, hi > hi2 ? hi : hi2, x, 0, 0);
                atoms[j] = atoms[--count];
                merged = again = 1;
            }
        }
    }
    if (!merged) return count;
    saferl_shield__sort_ids(atoms, count);
    for (j = kept = 0; j < count; ++j) {
        int implied = kept && atoms[kept - 1] == atoms[j];
        for (i = 0; i < count && !implied; ++i) implied = i != j && atoms[i] != atoms[j] && saferl_shield__implies(f, atoms[i], atoms[j]);
        if (!implied) atoms[kept++] = atoms[j];
    }
    return kept;
}

/* The conjunction of two cube lists (x, y) appended to out: every pair merged and reduced. */
static void saferl_shield__cube_product(saferl_shield__formulas *f, const saferl_shield__vec *x,
                                        const saferl_shield__vec *y, saferl_shield__vec *out) {
    size_t p, q;
    for (p = 0; p < x->count; p += 1 + ((const uint32_t *)(void *)x->data)[p])
        for (q = 0; q < y->count; q += 1 + ((const uint32_t *)(void *)y->data)[q]) {
            const uint32_t *a = (const uint32_t *)(void *)x->data + p, *b = (const uint32_t *)(void *)y->data + q;
            uint32_t i = 1, j = 1, count = 0, *cube;
            size_t start = out->count;
            f->work += a[0] + b[0] + 1;
            if (saferl_shield__vec_reserve(out, start + 1 + a[0] + b[0]) < 0) {
                f->out_of_memory = 1;
                return;
            }
            cube = (uint32_t *)(void *)out->data + start;
            while (i <= a[0] || j <= b[0]) { /* merge of two sorted lists, tagged by side */
                uint32_t next = j > b[0] || (i <= a[0] && a[i] <= b[j]) ? a[i] : b[j], tag = 0;
                if (i <= a[0] && a[i] == next) ++i, tag |= SAFERL_SHIELD__FROM_A;
                if (j <= b[0] && b[j] == next) ++j, tag |= SAFERL_SHIELD__FROM_B;
                cube[1 + count++] = next | tag;
            }
            if (!saferl_shield__reduce_cube(f, a, b, cube + 1, &count)) continue;
            if (count > 1) count = saferl_shield__merge_rules(f, cube + 1, count);
            cube[0] = count;
            out->count = start + 1 + count;
        }
}

/* Is u (an operand of some atom) atom number slot[u] of list? (slot is only valid there.) */
#define SAFERL_SHIELD__LISTED(u) ((u) < f->atom_index.count && slot[u] < count && list[slot[u]] == (u))

/* Implications between atoms are a fixed relation of the formula, so each atom is tested
   once per compile, when it is first met, against the atoms met before that can be related
   to it, and keeps the list of atoms it implies (f->atoms numbers the atoms met;
   implied_first[number]: its first edge + 1, 0 for none; implied_edges: pairs target node,
   next). Every rule of saferl_shield__implies relates an atom to an operand of the other, to
   the other itself or to an operand they share, so the candidates are the atoms chained
   (atom_heads by node, atom_links by atom number) under the new atom's id and operands by
   their first operand, or by their second (binary ones), and its operands themselves; both
   directions are tested. A literal's operand is a label bit, not a node: literals are only
   found by their own id. Before, the closure of every canonical form's atoms was recomputed
   from the chains: most of the time of formulas whose residuals have many cubes over a few
   dozen atoms. Memory: the per-node heads (as before) and a few words per atom. */
static int saferl_shield__is_literal(const saferl_shield__node *n) {
    return n->op == SAFERL_SHIELD__PROP || n->op == SAFERL_SHIELD__NPROP;
}
static int saferl_shield__is_binary(const saferl_shield__node *n) {
    return n->op == SAFERL_SHIELD__UNTIL || n->op == SAFERL_SHIELD__WEAK_UNTIL || n->op == SAFERL_SHIELD__RELEASE ||
           n->op == SAFERL_SHIELD__STRONG_RELEASE;
}

/* The number of atom node, or NOT_MET (a probe of f->atoms that adds nothing). */
static uint32_t saferl_shield__atom_number(const saferl_shield__formulas *f, uint32_t node) {
    const saferl_shield__index *ix = &f->atoms;
    size_t h;
    if (!ix->table_capacity) return SAFERL_SHIELD__NOT_MET;
    for (h = (size_t)saferl_shield__mix(node) & (ix->table_capacity - 1); ix->table[h]; h = (h + 1) & (ix->table_capacity - 1))
        if (((const uint64_t *)ix->keys.data)[ix->table[h] - 1] == node) return ix->table[h] - 1;
    return SAFERL_SHIELD__NOT_MET;
}

/* Adds the edge "from (atom number) implies to (node)" when it holds. */
static int saferl_shield__atom_edge(saferl_shield__formulas *f, uint32_t from, uint32_t to) {
    uint32_t *edge, *first = (uint32_t *)(void *)f->implied_first.data;
    uint32_t from_node = (uint32_t)((const uint64_t *)f->atoms.keys.data)[from];
    if (from_node == to || !saferl_shield__implies(f, from_node, to)) return 0;
    if (saferl_shield__vec_reserve(&f->implied_edges, f->implied_edges.count + 2) < 0) return -1;
    edge = (uint32_t *)(void *)f->implied_edges.data + f->implied_edges.count;
    edge[0] = to;
    edge[1] = first[from];
    first[from] = (uint32_t)(f->implied_edges.count / 2) + 1;
    f->implied_edges.count += 2;
    return 0;
}

/* Meets atom v (just numbered k): its implications with the atoms met before, then v joins
   the chains. */
static int saferl_shield__atom_register(saferl_shield__formulas *f, uint32_t v, uint32_t k) {
    const saferl_shield__node x = *saferl_shield__at(f, v);
    uint32_t *head, *link, key[5], side[5], keys = 0, i, u;
    size_t need = 2 * f->nodes.count;
    if (saferl_shield__vec_reserve(&f->atom_heads, need) < 0 || saferl_shield__vec_reserve(&f->atom_links, 2 * (size_t)k + 2) < 0 ||
        saferl_shield__vec_reserve(&f->implied_first, (size_t)k + 1) < 0)
        return -1;
    head = (uint32_t *)(void *)f->atom_heads.data;
    link = (uint32_t *)(void *)f->atom_links.data;
    while (f->atom_heads.count < need) head[f->atom_heads.count++] = SAFERL_SHIELD__NOT_MET;
    link[2 * k] = link[2 * k + 1] = SAFERL_SHIELD__NOT_MET;
    f->atom_links.count = 2 * (size_t)k + 2;
    ((uint32_t *)(void *)f->implied_first.data)[k] = 0;
    f->implied_first.count = (size_t)k + 1;
    key[keys] = v, side[keys++] = 0; /* atoms whose first operand is v, or whose second is */
    key[keys] = v, side[keys++] = 1;
    if (!saferl_shield__is_literal(&x)) {
        uint32_t operand[2];
        operand[0] = x.a;
        operand[1] = saferl_shield__is_binary(&x) ? x.b : SAFERL_SHIELD__NOT_MET;
        key[keys] = x.a, side[keys++] = 0; /* sharing an operand with v */
        key[keys] = x.a, side[keys++] = 1;
        if (operand[1] != SAFERL_SHIELD__NOT_MET) key[keys] = x.b, side[keys++] = 0;
        for (i = 0; i < 2; ++i) { /* v's operands, when they are atoms met before */
            uint32_t n = operand[i] == SAFERL_SHIELD__NOT_MET ? SAFERL_SHIELD__NOT_MET : saferl_shield__atom_number(f, operand[i]);
            if (n != SAFERL_SHIELD__NOT_MET && n != k &&
                (saferl_shield__atom_edge(f, k, operand[i]) < 0 || saferl_shield__atom_edge(f, n, v) < 0))
                return -1;
        }
    }
    for (i = 0; i < keys; ++i)
        for (u = head[2 * key[i] + side[i]]; u != SAFERL_SHIELD__NOT_MET; u = link[2 * u + side[i]])
            if (saferl_shield__atom_edge(f, k, (uint32_t)((const uint64_t *)f->atoms.keys.data)[u]) < 0 ||
                saferl_shield__atom_edge(f, u, v) < 0)
                return -1;
    if (saferl_shield__is_literal(&x)) return 0;
    link[2 * k] = head[2 * x.a]; /* v joins the chain of its first operand, and of its second */
    head[2 * x.a] = k;
    if (saferl_shield__is_binary(&x)) {
        link[2 * k + 1] = head[2 * x.b + 1];
        head[2 * x.b + 1] = k;
    }
    return 0;
}

/* The atoms among list that each one implies, as bits (index mod 64) in closure, from the
   atoms' lists of implications (each atom met once per compile). */
static int saferl_shield__atom_closure(saferl_shield__formulas *f, const uint32_t *list, uint32_t count,
                                       const uint32_t *slot, uint64_t *closure) {
    uint32_t i, e, k;
    for (i = 0; i < count; ++i) { /* every atom met first (closure[i] holds its number meanwhile) */
        int added;
        if (saferl_shield__index_get(&f->atoms, list[i], &k, &added) < 0 || (added && saferl_shield__atom_register(f, list[i], k) < 0))
            return -1;
        closure[i] = k;
    }
    for (i = 0; i < count; ++i) {
        k = (uint32_t)closure[i];
        closure[i] = 1ull << (i & 63);
        for (e = ((const uint32_t *)(void *)f->implied_first.data)[k]; e; e = ((const uint32_t *)(void *)f->implied_edges.data)[2 * e - 1]) {
            uint32_t to = ((const uint32_t *)(void *)f->implied_edges.data)[2 * e - 2];
            if (SAFERL_SHIELD__LISTED(to)) closure[i] |= 1ull << (slot[to] & 63);
        }
    }
    return 0;
}
#undef SAFERL_SHIELD__LISTED

/* Masks for the test "does cube j imply cube i" over m cubes (w + at[j]: count, atoms): each
   distinct atom gets bit (its index mod 64); per cube, own: its atoms' bits, closure: those
   and the bits of every atom they imply. Cube j implies cube i only if own(i) lies inside
   closure(j), and with at most 64 atoms exactly then. Returns 1 (exact), 0 (a filter: the
   atom test confirms) or -1 (out of memory). The pairwise test of long cube lists was the
   compile time of formulas with many bounded operators: m^2 pairs, each |i| x |j| rules. */
static int saferl_shield__cube_masks(saferl_shield__formulas *f, const uint32_t *w, const uint32_t *at, uint32_t m) {
    saferl_shield__vec *atoms = &f->cube_atoms, *index = &f->atom_index;
    uint32_t *list, *slot, count, j, k;
    uint64_t *closure, *masks;
    if (saferl_shield__vec_reserve(index, f->nodes.count) < 0) return -1;
    slot = (uint32_t *)(void *)index->data; /* node -> its index in list, when list holds it */
    atoms->count = 0;
    for (j = 0; j < m; ++j)
        for (k = 1; k <= w[at[j]]; ++k) {
            uint32_t atom = w[at[j] + k], *added;
            if (atom < index->count && slot[atom] < atoms->count && ((const uint32_t *)(void *)atoms->data)[slot[atom]] == atom)
                continue;
            added = (uint32_t *)saferl_shield__vec_push(atoms);
            if (!added) return -1;
            *added = atom;
            while (index->count <= atom) slot[index->count++] = 0;
            slot[atom] = (uint32_t)atoms->count - 1;
        }
    list = (uint32_t *)(void *)atoms->data;
    count = (uint32_t)atoms->count;
    if (saferl_shield__vec_reserve(&f->atom_closure, count) < 0 || saferl_shield__vec_reserve(&f->cube_masks, (size_t)m * 4) < 0)
        return -1;
    closure = (uint64_t *)(void *)f->atom_closure.data;
    masks = (uint64_t *)(void *)f->cube_masks.data;
    if (saferl_shield__atom_closure(f, list, count, slot, closure) < 0) return -1;
    for (j = 0; j < m; ++j) {
        uint64_t own = 0, implied = 0;
        for (k = 1; k <= w[at[j]]; ++k) {
            uint32_t bit = slot[w[at[j] + k]];
            own |= 1ull << (bit & 63);
            implied |= closure[bit];
        }
        masks[j] = own;
        masks[m + j] = implied;
    }
    return count <= 64;
}

/* saferl_shield__weakest_cubes where the masks are exact (at most 64 atoms): the kept cubes'
   masks are copied beside them (cube_masks words 2m .. 4m), so each test is two loads from
   two arrays walked in order instead of an index into the masks (the unions of the 309-state
   formula: 2.6 million tests, 18% of its compile). The same cubes kept, in the same order. */
static uint32_t saferl_shield__weakest_by_masks(saferl_shield__formulas *f, const uint32_t *order, uint32_t m,
                                                uint32_t *kept) {
    const uint64_t *masks = (const uint64_t *)(void *)f->cube_masks.data;
    uint64_t *kept_own = (uint64_t *)(void *)f->cube_masks.data + 2 * (size_t)m, *kept_closure = kept_own + m;
    uint32_t i, k, count = 0;
    for (k = 0; k < m; ++k) {
        uint32_t j = order[k];
        uint64_t own = masks[j], closure = masks[m + j];
        f->work += count;
        for (i = 0; i < count && (kept_own[i] & ~closure) != 0; ++i) {} /* j implies a kept cube: dropped */
        if (i < count) continue;
        for (i = 0; i < count;) /* kept cubes that imply j (stronger than it) go */
            if ((own & ~kept_closure[i]) == 0) {
                --count;
                kept[i] = kept[count], kept_own[i] = kept_own[count], kept_closure[i] = kept_closure[count];
            } else {
                ++i;
            }
        kept[count] = j, kept_own[count] = own, kept_closure[count] = closure;
        ++count;
    }
    return count;
}

/* The weakest cubes of a list (w + at[j]: count, atoms; masks from saferl_shield__cube_masks
   when exact >= 0): a cube that implies another is dropped. The cubes are taken fewest atoms
   first (the weak ones, most often), each against the cubes kept so far only: it is dropped
   when it implies one of them, and evicts those that imply it. A union of the successors of
   a state's cubes reduces tenfold (108 cubes to 12), so this is m x kept tests, not m^2.
   The kept cubes' indices go to kept; returns their number. starts: scratch of largest + 1
   words (the most atoms a cube has). */
static uint32_t saferl_shield__weakest_cubes(saferl_shield__formulas *f, const uint32_t *w, const uint32_t *at, uint32_t m,
                                             int exact, uint32_t largest, uint32_t *starts, uint32_t *order, uint32_t *kept) {
    const uint64_t *masks = (const uint64_t *)(void *)f->cube_masks.data;
    uint32_t i, j, k, size, placed = 0, count = 0;
    for (size = 0; size <= largest; ++size) starts[size] = 0; /* fewest atoms first, stable: a counting sort */
    for (j = 0; j < m; ++j) ++starts[w[at[j]]];
    for (size = 0; size <= largest; ++size) {
        uint32_t cubes = starts[size];
        starts[size] = placed;
        placed += cubes;
    }
    for (j = 0; j < m; ++j) order[starts[w[at[j]]]++] = j;
    if (exact == 1) return saferl_shield__weakest_by_masks(f, order, m, kept);
#define SAFERL_SHIELD__IMPLIES_CUBE(x, y) /* does cube x imply cube y */ \
    ((exact < 0 || (masks[y] & ~masks[m + (x)]) == 0) && \
     (exact == 1 || saferl_shield__cube_implied(f, w + at[y] + 1, w[at[y]], w + at[x] + 1, w[at[x]])))
    for (k = 0; k < m; ++k) {
        int implied = 0;
        j = order[k];
        f->work += count;
        for (i = 0; i < count && !implied; ++i) implied = SAFERL_SHIELD__IMPLIES_CUBE(j, kept[i]);
        if (implied) continue;
        for (i = 0; i < count;) /* cubes that imply j (stronger than it) go */
            if (SAFERL_SHIELD__IMPLIES_CUBE(kept[i], j)) kept[i] = kept[--count];
            else ++i;
        kept[count++] = j;
    }
#undef SAFERL_SHIELD__IMPLIES_CUBE
    return count;
}

/* The canonical node of a cube list: without the cubes that imply another, each cube a
   conjunction chain in increasing atom id, the cubes a disjunction chain in increasing id
   (the shape saferl_shield__junction gives, so and/or agree with it). With nodes (a union of
   canonical forms: every cube is kept whole or dropped), a kept cube's node is taken from
   there instead of being made again atom by atom. */
static uint32_t saferl_shield__cubes_node(saferl_shield__formulas *f, const saferl_shield__vec *cubes,
                                          const saferl_shield__vec *nodes) {
    const uint32_t *w = (const uint32_t *)(void *)cubes->data;
    uint32_t *at, *kept, i, j, m = 0, largest = 0, count, result;
    int exact;
    size_t p;
    for (p = 0; p < cubes->count; p += 1 + w[p]) {
        ++m;
        if (w[p] > largest) largest = w[p];
    }
    if (saferl_shield__vec_reserve(&f->cube_ids, (size_t)m * 3 + largest + 1) < 0) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD__FALSE;
    }
    at = (uint32_t *)(void *)f->cube_ids.data;
    kept = at + 2 * (size_t)m;
    for (p = 0, j = 0; p < cubes->count; p += 1 + w[p]) at[j++] = (uint32_t)p;
    exact = m >= 4 ? saferl_shield__cube_masks(f, w, at, m) : -2; /* short lists: the atom test alone */
    if (exact == -1) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD__FALSE;
    }
    count = saferl_shield__weakest_cubes(f, w, at, m, exact, largest, kept + m, at + m, kept);
    for (j = 0; j < count; ++j) {
        const uint32_t *cube = w + at[kept[j]];
        if (cube[0] == 0) return SAFERL_SHIELD__TRUE;
        if (nodes) { /* counted as the makes it saves: the work limit stops where it did */
            saferl_shield__charge(f, (size_t)SAFERL_SHIELD__MAKE_WORK * (cube[0] - 1));
            kept[j] = ((const uint32_t *)(void *)nodes->data)[kept[j]];
            continue;
        }
        result = cube[cube[0]];
        for (i = cube[0] - 1; i > 0; --i) {
            const saferl_shield__node *a = saferl_shield__at(f, cube[i]);
            result = saferl_shield__make(f, SAFERL_SHIELD__AND, cube[i], result, 0, 0, a->line, a->column);
        }
        kept[j] = result;
    }
    if (count == 0) return SAFERL_SHIELD__FALSE;
    saferl_shield__sort_ids(kept, count);
    result = kept[count - 1];
    for (j = count - 1; j > 0; --j) {
        const saferl_shield__node *a = saferl_shield__at(f, kept[j - 1]);
        result = saferl_shield__make(f, SAFERL_SHIELD__OR, kept[j - 1], result, 0, 0, a->line, a->column);
    }
    return result;
}

/* The canonical form of a residual built from & and | over atoms (memoised per node, in an
   array by node id: a probe of a hash table was a tenth of the slow formulas' compile). */
static uint32_t saferl_shield__canon(saferl_shield__formulas *f, uint32_t id) {
    saferl_shield__node n = *saferl_shield__at(f, id);
    uint32_t x, y, result;
    if (n.op != SAFERL_SHIELD__AND && n.op != SAFERL_SHIELD__OR) return id;
    if (f->out_of_memory || f->over_budget) return SAFERL_SHIELD__FALSE;
    if (saferl_shield__node_memo_get(&f->canon_at, id, &result)) return result;
    x = saferl_shield__canon(f, n.a);
    y = saferl_shield__canon(f, n.b);
    f->cubes.count = 0;
    if (n.op == SAFERL_SHIELD__OR) {
        f->cube_nodes.count = 0; /* both canonical: their cubes' nodes are kept as they are */
        saferl_shield__put_cubes(f, x, &f->cubes, &f->cube_nodes);
        saferl_shield__put_cubes(f, y, &f->cubes, &f->cube_nodes);
    } else {
        f->cubes_x.count = f->cubes_y.count = 0;
        saferl_shield__put_cubes(f, x, &f->cubes_x, NULL);
        saferl_shield__put_cubes(f, y, &f->cubes_y, NULL);
        saferl_shield__cube_product(f, &f->cubes_x, &f->cubes_y, &f->cubes);
    }
    saferl_shield__charge(f, 1);
    result = f->out_of_memory || f->over_budget ? (uint32_t)SAFERL_SHIELD__FALSE
                                                : saferl_shield__cubes_node(f, &f->cubes, n.op == SAFERL_SHIELD__OR ? &f->cube_nodes : NULL);
    if (saferl_shield__node_memo_set(f, &f->canon_at, id, result) < 0) return SAFERL_SHIELD__FALSE;
    return result;
}

/* Starts the expansion of a state: its distinct atoms (in order of first appearance), its
   cubes with each atom replaced by its index among them, and an empty memo of successors by
   the atoms' residuals. atom_index (the scratch of cube_masks, which checks its own entries)
   maps a node to its index here. */
static void saferl_shield__successor_start(saferl_shield__formulas *f, uint32_t residual) {
    saferl_shield__vec *index = &f->atom_index;
    uint32_t *w, *slot;
    size_t p, i;
    f->succ_residual = residual;
    f->succ_state.count = f->succ_atoms.count = f->succ_tuples.count = 0;
    if (f->succ_memo.table_capacity <= 1024) { /* kept when small: a free and a new table per state */
        saferl_shield__index_clear(&f->succ_memo); /* were 3% of formulas with thousands of states */
    } else {
        saferl_shield__index_free(&f->succ_memo);
        saferl_shield__index_start(&f->succ_memo, f->allocator);
    }
    saferl_shield__put_cubes(f, residual, &f->succ_state, NULL);
    if (saferl_shield__vec_reserve(index, f->nodes.count) < 0) f->out_of_memory = 1;
    w = (uint32_t *)(void *)f->succ_state.data;
    slot = (uint32_t *)(void *)index->data;
    for (p = 0; p < f->succ_state.count && !f->out_of_memory; p += 1 + w[p])
        for (i = 1; i <= w[p]; ++i) {
            uint32_t atom = w[p + i], *added;
            while (index->count <= atom) slot[index->count++] = 0;
            if (slot[atom] < f->succ_atoms.count && ((const uint32_t *)(void *)f->succ_atoms.data)[slot[atom]] == atom) {
                w[p + i] = slot[atom];
                continue;
            }
            if (!(added = (uint32_t *)saferl_shield__vec_push(&f->succ_atoms))) {
                f->out_of_memory = 1;
                break;
            }
            *added = atom;
            w[p + i] = slot[atom] = (uint32_t)f->succ_atoms.count - 1;
        }
}

/* The memo of junctions by their operand lists (op, count, sorted ids): the conjunctions of a
   state's cubes and the unions of their results recur across letters and states (the slowest
   random formulas: 83% of a million nodes looked up were the chains that keyed them in the
   canonical forms' memo, two cache misses a link). Returns the junction's canonical form,
   or NOT_MET with *entry set where saferl_shield__junction_put stores it (NOT_MET: a 64-bit
   hash collision, computed without the memo). A hit counts the makes its key's chain was in
   the work limit (a conjunction's chain is still made at its miss, a union's never), so the
   limit stops where it did. */
static uint32_t saferl_shield__junction_get(saferl_shield__formulas *f, uint32_t op, const uint32_t *list, uint32_t count,
                                            uint32_t *entry) {
    uint64_t hash = saferl_shield__mix(((uint64_t)op << 32) | count);
    uint32_t i, k, *words;
    int added;
    for (i = 0; i < count; ++i) hash = saferl_shield__mix(hash ^ list[i]);
    *entry = SAFERL_SHIELD__NOT_MET;
    if (saferl_shield__index_get(&f->junction_memo, hash, &k, &added) < 0 ||
        saferl_shield__vec_reserve(&f->junction_at, (size_t)k + 1) < 0 ||
        saferl_shield__vec_reserve(&f->junction_words, f->junction_words.count + count + 3) < 0) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD__FALSE;
    }
    if (added) {
        ((uint32_t *)(void *)f->junction_at.data)[f->junction_at.count++] = (uint32_t)f->junction_words.count;
        words = (uint32_t *)(void *)f->junction_words.data + f->junction_words.count;
        words[0] = op;
        words[1] = count;
        memcpy(words + 2, list, count * sizeof(uint32_t));
        words[2 + count] = SAFERL_SHIELD__NOT_MET;
        f->junction_words.count += count + 3;
        *entry = k;
        return SAFERL_SHIELD__NOT_MET;
    }
    words = (uint32_t *)(void *)f->junction_words.data + ((const uint32_t *)(void *)f->junction_at.data)[k];
    if (words[0] != op || words[1] != count || memcmp(words + 2, list, count * sizeof(uint32_t)) != 0)
        return SAFERL_SHIELD__NOT_MET;
    if (words[2 + count] == SAFERL_SHIELD__NOT_MET) { /* its computation was cut short */
        *entry = k;
        return SAFERL_SHIELD__NOT_MET;
    }
    if (saferl_shield__charge(f, (size_t)SAFERL_SHIELD__MAKE_WORK * (count - 1))) return SAFERL_SHIELD__FALSE;
    return words[2 + count];
}

static void saferl_shield__junction_put(saferl_shield__formulas *f, uint32_t entry, uint32_t result) {
    uint32_t *words;
    if (entry == SAFERL_SHIELD__NOT_MET || f->out_of_memory || f->over_budget) return;
    words = (uint32_t *)(void *)f->junction_words.data + ((const uint32_t *)(void *)f->junction_at.data)[entry];
    words[2 + words[1]] = result;
}

/* The union of count residuals in canonical form (sorted here), in canonical form, memoised
   by their list (the unions of a state's successors recur across letters and states: 803
   distinct of 2,128 in the slowest of the bench's formulas). No node is made for the key: a
   chain of ORs per union made up most of the nodes of the slowest formulas (a 545-state
   monitor: 110,000 of 178,000); the work limit still counts the makes it was. */
static uint32_t saferl_shield__union(saferl_shield__formulas *f, uint32_t *dnfs, uint32_t count, saferl_shield__vec *out) {
    uint32_t i, result, entry;
    if (count == 0) return SAFERL_SHIELD__FALSE;
    if (count == 1) return dnfs[0];
    saferl_shield__sort_ids(dnfs, count);
    result = saferl_shield__junction_get(f, SAFERL_SHIELD__OR, dnfs, count, &entry);
    if (result != SAFERL_SHIELD__NOT_MET) return result;
    saferl_shield__charge(f, (size_t)SAFERL_SHIELD__MAKE_WORK * (count - 1));
    if (f->out_of_memory || f->over_budget) return SAFERL_SHIELD__FALSE;
    out->count = f->cube_nodes.count = 0;
    for (i = 0; i < count; ++i) saferl_shield__put_cubes(f, dnfs[i], out, &f->cube_nodes);
    result = f->out_of_memory ? (uint32_t)SAFERL_SHIELD__FALSE : saferl_shield__cubes_node(f, out, &f->cube_nodes);
    saferl_shield__junction_put(f, entry, result);
    return result;
}

/* The conjunction of the residuals in f->operands (one cube's atoms after a letter), in
   canonical form: memoised by the sorted list, else canon of their chain. */
static uint32_t saferl_shield__cube_conjunction(saferl_shield__formulas *f) {
    uint32_t result = saferl_shield__chain_operands(f, SAFERL_SHIELD__AND), entry;
    if (result != SAFERL_SHIELD__NOT_MET) return saferl_shield__canon(f, result);
    result = saferl_shield__junction_get(f, SAFERL_SHIELD__AND, (const uint32_t *)(void *)f->operands.data,
                                         (uint32_t)f->operands.count, &entry);
    if (result != SAFERL_SHIELD__NOT_MET) return result;
    result = saferl_shield__canon(f, saferl_shield__chain_made(f, SAFERL_SHIELD__AND));
    saferl_shield__junction_put(f, entry, result);
    return result;
}

/* The product over the state's cubes (atoms by index) with each atom's residual taken from
   after[] (indexed like succ_atoms): the union of the cubes' conjunctions, in canonical form. A cube's
   conjunction is the AND junction of its atoms' residuals (sorted, without repeats), whose
   canonical form canon memoises: cubes recur across states and letters with the same
   residuals (the 180-state monitor of a G over overlapping F windows met 24,663 cube
   products, 1,155 of them distinct), and canon reduces after each factor, not at the end.
   The key is the chain of the residuals themselves (sorted, unflattened: canon flattens). */
static uint32_t saferl_shield__successor_product(saferl_shield__formulas *f, const uint32_t *after) {
    saferl_shield__vec *out = &f->succ_out, *seen = &f->succ_seen;
    size_t p, k;
    seen->count = 0;
    for (p = 0; p < f->succ_state.count && !f->out_of_memory && !f->over_budget;
         p += 1 + ((const uint32_t *)(void *)f->succ_state.data)[p]) {
        uint32_t i, n = ((const uint32_t *)(void *)f->succ_state.data)[p], conjunction = SAFERL_SHIELD__TRUE, *slot;
        if (saferl_shield__vec_reserve(&f->operands, n) < 0) {
            f->out_of_memory = 1;
            break;
        }
        f->operands.count = 0;
        for (i = 0; i < n && conjunction != SAFERL_SHIELD__FALSE; ++i) {
            conjunction = after[((const uint32_t *)(void *)f->succ_state.data)[p + 1 + i]];
            ((uint32_t *)(void *)f->operands.data)[f->operands.count++] = conjunction;
        }
        if (conjunction == SAFERL_SHIELD__FALSE) continue;
        conjunction = saferl_shield__cube_conjunction(f);
        if (conjunction == SAFERL_SHIELD__FALSE) continue;
        for (k = 0; k < seen->count && ((const uint32_t *)(void *)seen->data)[k] != conjunction; ++k) {}
        if (k < seen->count) continue; /* another cube of the state gave the same */
        if (!(slot = (uint32_t *)saferl_shield__vec_push(seen))) f->out_of_memory = 1;
        else *slot = conjunction;
    }
    if (f->out_of_memory || f->over_budget) return SAFERL_SHIELD__FALSE;
    return saferl_shield__union(f, (uint32_t *)(void *)seen->data, (uint32_t)seen->count, out);
}

/* The state after residual (canonical) reads letter: each atom's residual in canonical form
   (memoised per atom and letter), then their conjunction per cube and the union of the
   cubes. Letters that leave every atom with the same residuals give the same state, so the
   product is memoised per state by those residuals (most letters of a state share one). The
   memo of progression is dropped when it grows past SAFERL_SHIELD_MEMO_RESET entries (a
   million), and the flat cube lists past as many words (between calls). */
static uint32_t saferl_shield__successor(saferl_shield__formulas *f, uint32_t residual, uint32_t letter) {
    size_t m, i;
    uint32_t *tuple, k, result;
    uint64_t hash = 0x9E3779B97F4A7C15ull;
    int added;
    if (f->progress_ids.keys.count + f->progress_at_entries > f->memo_reset) {
        saferl_shield__progress_forget(f);
        SAFERL_SHIELD__COUNT_MEMO_RESET(0);
    }
    if (f->cube_lists.count > f->memo_reset) { /* the flat cube lists too, past 4 MB: walked again when met */
        f->cube_lists.count = 0;
        memset(f->cube_list_at.data, 0, f->cube_list_at.count * sizeof(uint32_t));
        SAFERL_SHIELD__COUNT_MEMO_RESET(1);
    }
    if (residual != f->succ_residual) saferl_shield__successor_start(f, residual);
    m = f->succ_atoms.count;
    if (saferl_shield__vec_reserve(&f->succ_tuples, f->succ_tuples.count + m + 1) < 0) f->out_of_memory = 1;
    if (f->out_of_memory || f->over_budget) return SAFERL_SHIELD__FALSE;
    tuple = (uint32_t *)(void *)f->succ_tuples.data + f->succ_tuples.count;
    for (i = 0; i < m; ++i) {
        uint32_t a = ((const uint32_t *)(void *)f->succ_atoms.data)[i];
        tuple[i] = saferl_shield__canon(f, saferl_shield__progress(f, a, letter));
        hash = saferl_shield__mix(hash ^ tuple[i]);
        tuple = (uint32_t *)(void *)f->succ_tuples.data + f->succ_tuples.count; /* canon may not grow it, but be safe */
    }
    if (saferl_shield__index_get(&f->succ_memo, hash, &k, &added) < 0) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD__FALSE;
    }
    if (!added) { /* entry k's tuple sits at k * (m + 1); a hash collision is computed afresh */
        const uint32_t *old = (const uint32_t *)(void *)f->succ_tuples.data + (size_t)k * (m + 1);
        if (memcmp(old, tuple, m * sizeof(uint32_t)) == 0) return old[m];
        return saferl_shield__successor_product(f, tuple);
    }
    result = saferl_shield__successor_product(f, tuple);
    tuple = (uint32_t *)(void *)f->succ_tuples.data + f->succ_tuples.count;
    tuple[m] = result;
    f->succ_tuples.count += m + 1;
    return result;
}

/* Puts the used propositions on the automaton in label-bit order. */
static void saferl_shield__name_props(saferl_shield__formulas *f, saferl_shield_dfa *d) {
    uint32_t bit, j = 0;
    for (bit = 0; bit < SAFERL_SHIELD_LABEL_BITS; ++bit)
        if (f->used[bit]) {
            d->prop_bit[j] = (uint8_t)bit;
            memcpy(d->prop_name[j], f->name[bit], SAFERL_SHIELD_NAME_CAPACITY);
            f->letter_bit[bit] = j++;
        }
    saferl_shield__compute_gather(d);
}

static void saferl_shield__assign_letter_bits(saferl_shield__formulas *f) {
    uint32_t bit, j = 0;
    for (bit = 0; bit < SAFERL_SHIELD_LABEL_BITS; ++bit)
        if (f->used[bit]) f->letter_bit[bit] = j++;
}

/* The formula as a whole is too big: the error points at its first operator. */
static saferl_result saferl_shield__too_big(saferl_shield__formulas *f) {
    const saferl_shield__node *n = saferl_shield__at(f, f->root);
    if (f->out_of_memory) return saferl_shield__fail(f->error, SAFERL_ERR_OUT_OF_MEMORY, n->line, n->column, "out of memory", NULL);
    return saferl_shield__fail(f->error, SAFERL_ERR_UNSUPPORTED, n->line, n->column,
                               "the automaton is larger than desc.max_states (or the work limit)", NULL);
}

/* ---- formulas over many propositions: guards split symbolically ------------------------ */

/* The smallest label bit that id reads at the current step (LABEL_BITS: none). */
static uint32_t saferl_shield__first_prop(saferl_shield__formulas *f, uint32_t id) {
    const saferl_shield__node *n = saferl_shield__at(f, id);
    uint32_t x, y;
    switch (n->op) {
    case SAFERL_SHIELD__PROP: case SAFERL_SHIELD__NPROP: return n->a;
    case SAFERL_SHIELD__AND: case SAFERL_SHIELD__OR: case SAFERL_SHIELD__UNTIL: case SAFERL_SHIELD__WEAK_UNTIL:
    case SAFERL_SHIELD__RELEASE: case SAFERL_SHIELD__STRONG_RELEASE:
        y = n->b;
        x = saferl_shield__first_prop(f, n->a);
        y = saferl_shield__first_prop(f, y);
        return x < y ? x : y;
    case SAFERL_SHIELD__ALWAYS: case SAFERL_SHIELD__EVENTUALLY: return saferl_shield__first_prop(f, n->a);
    case SAFERL_SHIELD__BOUNDED_F: case SAFERL_SHIELD__BOUNDED_G:
        return n->lo > 0 ? SAFERL_SHIELD_LABEL_BITS : saferl_shield__first_prop(f, n->a);
    default: return SAFERL_SHIELD_LABEL_BITS; /* true, false, next steps */
    }
}

/* id with proposition bit fixed at the current step: temporal operators unroll one step
   (G a = a & N G a, a U b = b | (a & X(a U b)), ...) with the next of the same strength as
   LTLf's last-step rules, so once every current proposition is fixed, progression (strip one
   next) gives the successor and saferl_shield__holds_at_end whether the trace may end here. */
static uint32_t saferl_shield__restrict(saferl_shield__formulas *f, uint32_t id, uint32_t bit, int value) {
    saferl_shield__node n = *saferl_shield__at(f, id);
    uint32_t a, b;
#define SAFERL_SHIELD__R(x) saferl_shield__restrict(f, (x), bit, value)
#define SAFERL_SHIELD__STEP(op) saferl_shield__make(f, SAFERL_SHIELD__##op, id, 0, 0, 0, n.line, n.column)
    /* an eventuality carried to the next step is marked as put off, as progression does */
#define SAFERL_SHIELD__PUT_OFF() \
    saferl_shield__make(f, SAFERL_SHIELD__NEXT, saferl_shield__put_off(f, id), 0, 0, 0, n.line, n.column)
    switch (n.op) {
    case SAFERL_SHIELD__PROP: return n.a != bit ? id : (uint32_t)(value ? SAFERL_SHIELD__TRUE : SAFERL_SHIELD__FALSE);
    case SAFERL_SHIELD__NPROP: return n.a != bit ? id : (uint32_t)(value ? SAFERL_SHIELD__FALSE : SAFERL_SHIELD__TRUE);
    case SAFERL_SHIELD__AND:
        a = SAFERL_SHIELD__R(n.a);
        return a == SAFERL_SHIELD__FALSE ? a : saferl_shield__and(f, a, SAFERL_SHIELD__R(n.b));
    case SAFERL_SHIELD__OR:
        a = SAFERL_SHIELD__R(n.a);
        return a == SAFERL_SHIELD__TRUE ? a : saferl_shield__or(f, a, SAFERL_SHIELD__R(n.b));
    case SAFERL_SHIELD__ALWAYS: return saferl_shield__and(f, SAFERL_SHIELD__R(n.a), SAFERL_SHIELD__STEP(WEAK_NEXT));
    case SAFERL_SHIELD__EVENTUALLY: return saferl_shield__or(f, SAFERL_SHIELD__R(n.a), SAFERL_SHIELD__PUT_OFF());
    case SAFERL_SHIELD__UNTIL: case SAFERL_SHIELD__WEAK_UNTIL:
        b = SAFERL_SHIELD__R(n.b);
        a = saferl_shield__and(f, SAFERL_SHIELD__R(n.a), n.op == SAFERL_SHIELD__UNTIL ? SAFERL_SHIELD__PUT_OFF() : SAFERL_SHIELD__STEP(WEAK_NEXT));
        return saferl_shield__or(f, b, a);
    case SAFERL_SHIELD__RELEASE: case SAFERL_SHIELD__STRONG_RELEASE:
        b = SAFERL_SHIELD__R(n.b);
        a = saferl_shield__or(f, SAFERL_SHIELD__R(n.a), n.op == SAFERL_SHIELD__RELEASE ? SAFERL_SHIELD__STEP(WEAK_NEXT) : SAFERL_SHIELD__PUT_OFF());
        return saferl_shield__and(f, b, a);
    case SAFERL_SHIELD__BOUNDED_F: case SAFERL_SHIELD__BOUNDED_G: {
        int is_f = n.op == SAFERL_SHIELD__BOUNDED_F;
        uint32_t rest, now;
        if (n.lo > 0) return id; /* nothing read now */
        now = SAFERL_SHIELD__R(n.a);
        if (n.hi == 0) return now;
        rest = saferl_shield__make(f, n.op, n.a, 0, 0, n.hi - 1, n.line, n.column);
        rest = saferl_shield__make(f, is_f ? SAFERL_SHIELD__NEXT : SAFERL_SHIELD__WEAK_NEXT, rest, 0, 0, 0, n.line, n.column);
        return is_f ? saferl_shield__or(f, now, rest) : saferl_shield__and(f, now, rest);
    }
    default: return id;
    }
#undef SAFERL_SHIELD__R
#undef SAFERL_SHIELD__STEP
#undef SAFERL_SHIELD__PUT_OFF
}

/* A residual's transition as a diagram: Shannon splits on the current propositions, in
   increasing label bit; leaves are the residuals with every current proposition fixed.
   memo: formula id -> diagram (an index and its values). */
typedef struct saferl_shield__split_memo {
    saferl_shield__index ids;
    saferl_shield__vec results;
} saferl_shield__split_memo;

static uint32_t saferl_shield__split(saferl_shield__formulas *f, saferl_shield__dd *dd, saferl_shield__split_memo *m,
                                     uint32_t id) {
    uint32_t bit = saferl_shield__first_prop(f, id), k, low, high, r;
    int added;
    if (f->out_of_memory || f->over_budget || dd->failed) return SAFERL_SHIELD_LEAF;
    if (bit == SAFERL_SHIELD_LABEL_BITS) {
        if (id >= (1u << 28)) f->over_budget = 1;
        return SAFERL_SHIELD_LEAF | id;
    }
    if (saferl_shield__index_get(&m->ids, id, &k, &added) < 0 || (added && !saferl_shield__vec_push(&m->results))) {
        f->out_of_memory = 1;
        return SAFERL_SHIELD_LEAF;
    }
    if (!added) return ((const uint32_t *)(void *)m->results.data)[k];
    low = saferl_shield__split(f, dd, m, saferl_shield__restrict(f, id, bit, 0));
    high = saferl_shield__split(f, dd, m, saferl_shield__restrict(f, id, bit, 1));
    r = saferl_shield__dd_node(dd, bit, low, high);
    ((uint32_t *)(void *)m->results.data)[k] = r;
    return r;
}

static saferl_result saferl_shield__reject_op(saferl_shield__formulas *f, uint32_t at, const char *why, const char *advice) {
    const saferl_shield__node *n = saferl_shield__at(f, at);
    char message[200];
    snprintf(message, sizeof message, "'%s' %s", saferl_shield__op_name((int)n->op), why);
    return saferl_shield__fail(f->error, SAFERL_ERR_UNSUPPORTED, n->line, n->column, message, advice);
}

/* The refusal of a formula that is not a safety property, at its first F, U or M. */
static saferl_result saferl_shield__reject_liveness(saferl_shield__formulas *f, uint32_t at) {
    return saferl_shield__reject_op(f, at,
                                    saferl_shield__at(f, at)->op == SAFERL_SHIELD__EVENTUALLY
                                        ? "(eventually, after negations are pushed in) is not a safety operator: "
                                          "no finite prefix can violate it"
                                        : "(after negations are pushed in) promises that something happens "
                                          "eventually, which no finite prefix can violate",
                                    "; bound it (F[0..k]), use W instead of U, or LTLf for finite traces");
}

/* ---- formulas with eventualities: satisfiable residuals and the safety check --------------- */

/* A safety LTL formula may be written with F, U or M ((p U q) | G p is p W q; F q -> (!p U q)
   is Dwyer's "absence of p before q"). Progression is exact for them too, but a residual is
   then no longer satisfiable just because some path of residuals goes on forever: F a & G !a
   goes on and never holds. So, as in the tableau of Gerth et al. and Couvreur's ltl2tgba:
   a residual's cubes are the states of a nondeterministic automaton (a cube's successors on
   a letter are the cubes of its conjunction's progression), and a run is accepting when no
   eventuality is put off at every step from some point on (PENDING e marks the steps where
   it was put off; a cube without the mark either fulfilled e, or does not owe it). A cube is
   satisfiable iff it reaches a fair cycle: a strongly connected set of cubes, with an edge
   inside, holding for each mark in it a cube without that mark (generalised Büchi
   emptiness by Tarjan's algorithm). The automaton's states whose residuals have no
   satisfiable cube form the sink: the monitor of the formula's safety closure (the bad
   prefixes: those no infinite continuation can satisfy). The formula is a safety property
   iff it equals its closure, i.e. no word stays out of the sink and satisfies the negation:
   the same emptiness check on pairs (monitor state, cube of the negation). */
/* Over symbolic letters the successors of a node are read off diagrams, never 2^k letters:
   the pairing of the monitor state's transition diagram with the cube's (split like a
   residual) has one leaf per pair of residuals some label leads to together. */
typedef struct saferl_shield__symbolic {
    saferl_shield__dd *dd;
    saferl_shield__split_memo *memo;
    const uint32_t *roots;             /* per monitor state: its transition diagram */
    saferl_shield__index *states;      /* monitor states by key (residual << 1) */
} saferl_shield__symbolic;

typedef struct saferl_shield__lasso {
    saferl_shield__index nodes;        /* key: (monitor state << 32) | cube; state NO_STATE: cubes alone */
    saferl_shield__vec offset, edge;   /* uint32_t: node i's successors are edge[offset[i] .. offset[i+1]) */
    saferl_shield__vec stamp;          /* uint32_t per node: scratch against repeated edges */
    const saferl_shield_dfa *monitor;  /* product with it, over its live states (NULL: cubes alone) */
    const unsigned char *live;
    const saferl_shield__symbolic *symbolic; /* NULL: dense letters */
} saferl_shield__lasso;

static void saferl_shield__lasso_start(saferl_shield__lasso *g, const saferl_allocator *allocator) {
    memset(g, 0, sizeof *g);
    saferl_shield__index_start(&g->nodes, allocator);
    saferl_shield__vec_start(&g->offset, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&g->edge, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&g->stamp, sizeof(uint32_t), allocator);
}

static void saferl_shield__lasso_free(saferl_shield__lasso *g) {
    saferl_shield__index_free(&g->nodes);
    saferl_shield__vec_free(&g->offset);
    saferl_shield__vec_free(&g->edge);
    saferl_shield__vec_free(&g->stamp);
}

/* The first cube of a canonical residual (not false); *dnf becomes the rest (false at the end). */
static uint32_t saferl_shield__take_cube(saferl_shield__formulas *f, uint32_t *dnf) {
    const saferl_shield__node *n = saferl_shield__at(f, *dnf);
    uint32_t cube = n->op == SAFERL_SHIELD__OR ? n->a : *dnf;
    *dnf = n->op == SAFERL_SHIELD__OR ? n->b : (uint32_t)SAFERL_SHIELD__FALSE;
    return cube;
}

/* Adds the node (state, each cube of the canonical residual dnf) and, when from is a node,
   the edges from it (once each). 0, or -1 out of memory. */
static int saferl_shield__lasso_add(saferl_shield__formulas *f, saferl_shield__lasso *g, uint32_t state, uint32_t dnf,
                                    uint32_t from) {
    while (dnf != SAFERL_SHIELD__FALSE) {
        uint32_t cube = saferl_shield__take_cube(f, &dnf), id, *stamp;
        if (saferl_shield__index_get(&g->nodes, ((uint64_t)state << 32) | cube, &id, NULL) < 0) return -1;
        while (g->stamp.count <= id)
            if (!saferl_shield__vec_push(&g->stamp)) return -1;
        stamp = (uint32_t *)(void *)g->stamp.data + id;
        if (from == SAFERL_SHIELD_NO_STATE || *stamp == from + 1) continue;
        *stamp = from + 1;
        if (!saferl_shield__vec_push(&g->edge)) return -1;
        ((uint32_t *)(void *)g->edge.data)[g->edge.count - 1] = id;
    }
    return 0;
}

/* The successors of node from (state, cube) over symbolic letters (see saferl_shield__symbolic).
   -1 when out of memory or over the work limit. */
static int saferl_shield__lasso_successors(saferl_shield__formulas *f, saferl_shield__lasso *g, uint32_t from,
                                           uint32_t state, uint32_t cube) {
    const saferl_shield__symbolic *sym = g->symbolic;
    uint32_t diagram = saferl_shield__split(f, sym->dd, sym->memo, cube), to = SAFERL_SHIELD_NO_STATE;
    size_t i;
    saferl_shield__dd_new_pairing(sym->dd);
    saferl_shield__dd_pair(sym->dd, g->monitor ? sym->roots[state] : SAFERL_SHIELD_LEAF, diagram);
    if (sym->dd->failed) f->out_of_memory = 1;
    for (i = 0; i < sym->dd->pairs.keys.count && !f->out_of_memory && !f->over_budget; ++i) {
        uint64_t pair = ((const uint64_t *)sym->dd->pairs.keys.data)[i]; /* (monitor leaf, cube leaf) */
        if (g->monitor) {
            uint32_t residual = saferl_shield__canon(f, saferl_shield__progress(f, (uint32_t)(pair >> 32), 0));
            if (saferl_shield__index_get(sym->states, (uint64_t)residual << 1, &to, NULL) < 0) return -1;
            if (!g->live[to]) continue;
        }
        if (saferl_shield__lasso_add(f, g, to, saferl_shield__canon(f, saferl_shield__progress(f, (uint32_t)pair, 0)), from) < 0)
            return -1;
    }
    return f->out_of_memory || f->over_budget ? -1 : 0;
}

/* Breadth-first: every node's successors over every letter. -1 when out of memory or over
   desc.max_states nodes (f says which). */
static int saferl_shield__lasso_expand(saferl_shield__formulas *f, saferl_shield__lasso *g, uint32_t letters,
                                       uint32_t max_nodes) {
    size_t head;
    for (head = 0; head < g->nodes.keys.count; ++head) {
        uint64_t key = ((const uint64_t *)g->nodes.keys.data)[head];
        uint32_t state = (uint32_t)(key >> 32), cube = (uint32_t)key, letter, to = SAFERL_SHIELD_NO_STATE;
        if (!saferl_shield__vec_push(&g->offset)) {
            f->out_of_memory = 1;
            return -1;
        }
        ((uint32_t *)(void *)g->offset.data)[head] = (uint32_t)g->edge.count;
        if (g->symbolic && saferl_shield__lasso_successors(f, g, (uint32_t)head, state, cube) < 0) {
            if (!f->over_budget) f->out_of_memory = 1;
            return -1;
        }
        for (letter = 0; !g->symbolic && letter < letters; ++letter) {
            if (g->monitor) {
                to = g->monitor->next[((size_t)state << g->monitor->letter_bits) | letter];
                if (!g->live[to]) continue;
            }
            if (saferl_shield__lasso_add(f, g, to, saferl_shield__successor(f, cube, letter), (uint32_t)head) < 0) {
                f->out_of_memory = 1;
                return -1;
            }
            if (f->out_of_memory || f->over_budget) return -1;
        }
        if (g->nodes.keys.count > max_nodes) {
            f->over_budget = 1;
            return -1;
        }
    }
    if (!saferl_shield__vec_push(&g->offset)) {
        f->out_of_memory = 1;
        return -1;
    }
    ((uint32_t *)(void *)g->offset.data)[g->nodes.keys.count] = (uint32_t)g->edge.count;
    return 0;
}

/* Is atom one of cube's atoms? */
static int saferl_shield__cube_has(saferl_shield__formulas *f, uint32_t cube, uint32_t atom) {
    for (;;) {
        const saferl_shield__node *n = saferl_shield__at(f, cube);
        if (n->op != SAFERL_SHIELD__AND) return cube == atom;
        if (n->a == atom) return 1;
        cube = n->b;
    }
}

typedef struct saferl_shield__lasso_context {
    saferl_shield__formulas *f;
    const saferl_shield__lasso *lasso;
} saferl_shield__lasso_context;

/* Is the closed component member[0 .. count) fair: an edge inside, and for every PENDING mark
   in it a cube without that mark? */
static int saferl_shield__lasso_fair(void *context, const saferl_shield__graph *g, const uint32_t *member,
                                     uint32_t count, const uint32_t *component) {
    saferl_shield__formulas *f = ((saferl_shield__lasso_context *)context)->f;
    const uint64_t *key = (const uint64_t *)((saferl_shield__lasso_context *)context)->lasso->nodes.keys.data;
    uint32_t i, j, inside = count > 1;
    size_t e;
    (void)component;
    for (e = saferl_shield__graph_first(g, member[0]); e < saferl_shield__graph_end(g, member[0]) && !inside; ++e)
        inside = saferl_shield__graph_target(g, e) == member[0];
    if (!inside) return 0;
    for (i = 0; i < count; ++i) {
        uint32_t cube = (uint32_t)key[member[i]];
        for (;;) { /* each mark of this cube must be missing from some cube of the set */
            const saferl_shield__node *n = saferl_shield__at(f, cube);
            uint32_t atom = n->op == SAFERL_SHIELD__AND ? n->a : cube, missing = 0;
            if (saferl_shield__at(f, atom)->op == SAFERL_SHIELD__PENDING) {
                for (j = 0; j < count && !missing; ++j) missing = !saferl_shield__cube_has(f, (uint32_t)key[member[j]], atom);
                if (!missing) return 0;
            }
            if (n->op != SAFERL_SHIELD__AND) break;
            cube = n->b;
        }
    }
    return 1;
}

/* reach[i] = 1 when node i reaches a fair component. */
static int saferl_shield__lasso_reach(saferl_shield__formulas *f, const saferl_shield__lasso *g, unsigned char *reach) {
    saferl_shield__lasso_context context;
    saferl_shield__graph graph;
    memset(&graph, 0, sizeof graph);
    graph.node_count = (uint32_t)g->nodes.keys.count;
    graph.offset = (const uint32_t *)(void *)g->offset.data;
    graph.edge = (const uint32_t *)(void *)g->edge.data;
    context.f = f;
    context.lasso = g;
    return saferl_shield__reach_components(&graph, saferl_shield__lasso_fair, &context, reach, f->allocator);
}

/* A formula with eventualities: its automaton's states are accepting exactly when their
   residual is satisfiable (the rest then form the sink), and it is refused unless it is a
   safety property. state_key: per state, its residual << 1. symbolic: NULL for dense letters. */
static saferl_result saferl_shield__eventualities(saferl_shield__formulas *f, saferl_shield_dfa *raw,
                                                  const uint64_t *state_key, const saferl_shield__symbolic *symbolic) {
    saferl_shield__lasso g;
    unsigned char *reach = NULL, *live = NULL;
    uint32_t q, id, max_nodes = f->desc->max_states ? f->desc->max_states : (1u << 20);
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    size_t i;
    int pass;
    live = (unsigned char *)saferl_shield__allocate(f->allocator, raw->state_count);
    if (!live) return r;
    for (pass = 0; pass < 2; ++pass) { /* 0: cubes alone; 1: pairs with the negation's cubes */
        saferl_shield__lasso_start(&g, f->allocator);
        g.monitor = pass ? raw : NULL;
        g.live = live;
        g.symbolic = symbolic;
        for (q = 0; q < (pass ? 1u : raw->state_count); ++q)
            if (pass ? live[raw->initial] : 1) {
                uint32_t dnf = pass ? f->negated_root : (uint32_t)(state_key[q] >> 1);
                if (saferl_shield__lasso_add(f, &g, pass ? raw->initial : SAFERL_SHIELD_NO_STATE, dnf, SAFERL_SHIELD_NO_STATE) < 0)
                    goto done;
            }
        if (saferl_shield__lasso_expand(f, &g, raw->letter_count, max_nodes) < 0) {
            r = saferl_shield__too_big(f);
            goto done;
        }
        reach = (unsigned char *)saferl_shield__allocate(f->allocator, g.nodes.keys.count);
        if (!reach || saferl_shield__lasso_reach(f, &g, reach) < 0) goto done;
        if (pass)
            for (i = 0; i < g.nodes.keys.count; ++i)
                if (reach[i]) { /* a word stays out of the sink and breaks the formula */
                    r = saferl_shield__reject_liveness(f, f->eventuality_at);
                    goto done;
                }
        for (q = 0; !pass && q < raw->state_count; ++q) {
            uint32_t dnf = (uint32_t)(state_key[q] >> 1);
            live[q] = 0;
            while (dnf != SAFERL_SHIELD__FALSE) {
                uint32_t cube = saferl_shield__take_cube(f, &dnf);
                if (saferl_shield__index_get(&g.nodes, ((uint64_t)SAFERL_SHIELD_NO_STATE << 32) | cube, &id, NULL) < 0) goto done;
                live[q] |= reach[id];
            }
            raw->flags[q] = (uint8_t)(live[q] ? SAFERL_SHIELD_ACCEPTING : 0);
        }
        saferl_shield__release(f->allocator, reach);
        reach = NULL;
        saferl_shield__lasso_free(&g);
    }
    saferl_shield__release(f->allocator, live);
    return SAFERL_OK;
done:
    saferl_shield__release(f->allocator, reach);
    saferl_shield__release(f->allocator, live);
    saferl_shield__lasso_free(&g);
    return r;
}

/* The end of both explorations (raw's states keyed by state_key; symbolic: NULL for dense
   letters): with eventualities the safety check and the live states, then the sink settled
   and minimisation. raw is consumed. */
static saferl_result saferl_shield__finish_compile(saferl_shield__formulas *f, saferl_shield_dfa *raw,
                                                   const uint64_t *state_key, const saferl_shield__symbolic *symbolic,
                                                   int finite, saferl_shield_dfa *out) {
    if (f->mark_pending) {
        saferl_result r = saferl_shield__eventualities(f, raw, state_key, symbolic);
        if (r != SAFERL_OK) {
            saferl_shield_dfa_destroy(raw);
            return r;
        }
    }
    raw->semantics = finite ? SAFERL_SHIELD_FINITE : SAFERL_SHIELD_SAFETY;
    saferl_shield__name_props(f, raw);
    return saferl_shield__finish_build(raw, !finite, out, f->allocator);
}

/* compile_future for more than 16 propositions: each residual's transition is a diagram,
   the automaton's letters are the classes of labels that all residuals treat alike. */
static saferl_result saferl_shield__compile_symbolic(saferl_shield__formulas *f, uint32_t root, int finite,
                                                     saferl_shield_dfa *out) {
    saferl_shield__index states;
    saferl_shield__vec roots, stamp, stack;
    saferl_shield__split_memo memo;
    saferl_shield__dd dd;
    saferl_shield_dfa raw;
    saferl_shield__classes classes;
    saferl_shield__symbolic symbolic;
    uint32_t id, joint = SAFERL_SHIELD_LEAF, letters, x, max_states = f->desc->max_states ? f->desc->max_states : (1u << 20);
    size_t head, s;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    memset(&classes, 0, sizeof classes);
    saferl_shield__index_start(&states, f->allocator);
    saferl_shield__index_start(&memo.ids, f->allocator);
    saferl_shield__vec_start(&memo.results, sizeof(uint32_t), f->allocator);
    saferl_shield__vec_start(&roots, sizeof(uint32_t), f->allocator);
    saferl_shield__vec_start(&stamp, sizeof(uint32_t), f->allocator);
    saferl_shield__vec_start(&stack, sizeof(uint32_t), f->allocator);
    saferl_shield__dd_start(&dd, f->allocator);
#define SAFERL_SHIELD__KEY(leaf) (((uint64_t)saferl_shield__finite_residual(f, saferl_shield__canon(f, saferl_shield__progress(f, (leaf), 0))) << 1) | \
                                  (uint64_t)(finite ? saferl_shield__holds_at_end(f, (leaf), 0) : 0))
    if (saferl_shield__index_get(&states, (uint64_t)root << 1, &id, NULL) < 0) goto done;
    for (head = 0; head < states.keys.count; ++head) {
        uint32_t residual = (uint32_t)(((const uint64_t *)states.keys.data)[head] >> 1), top;
        uint32_t *slot = (uint32_t *)saferl_shield__vec_push(&roots);
        if (!slot) goto done;
        *slot = saferl_shield__split(f, &dd, &memo, residual);
        /* the successors: every leaf of the diagram */
        stack.count = 0;
        if (!saferl_shield__vec_push(&stack)) goto done;
        ((uint32_t *)(void *)stack.data)[0] = *slot;
        while ((top = (uint32_t)stack.count) > 0) {
            uint32_t ref = ((uint32_t *)(void *)stack.data)[top - 1];
            stack.count = top - 1;
            if (f->out_of_memory || f->over_budget || dd.failed || states.keys.count > max_states) {
                r = dd.failed ? SAFERL_ERR_OUT_OF_MEMORY : saferl_shield__too_big(f);
                goto done;
            }
            if (ref & SAFERL_SHIELD_LEAF) {
                if (saferl_shield__index_get(&states, SAFERL_SHIELD__KEY(ref & ~SAFERL_SHIELD_LEAF), &id, NULL) < 0) goto done;
                continue;
            }
            while (stamp.count <= ref) {
                uint32_t *z = (uint32_t *)saferl_shield__vec_push(&stamp);
                if (!z) goto done;
                *z = 0;
            }
            if (((uint32_t *)(void *)stamp.data)[ref] == head + 1) continue;
            ((uint32_t *)(void *)stamp.data)[ref] = (uint32_t)head + 1;
            if (saferl_shield__vec_reserve(&stack, stack.count + 2) < 0) goto done;
            ((uint32_t *)(void *)stack.data)[stack.count++] = saferl_shield__dd_child(&dd, ref, 0);
            ((uint32_t *)(void *)stack.data)[stack.count++] = saferl_shield__dd_child(&dd, ref, 1);
        }
    }
    if (f->out_of_memory || f->over_budget) { /* the last leaf's key is looked at here */
        r = saferl_shield__too_big(f);
        goto done;
    }
    /* the letters: the joint classes of every residual's diagram */
    for (s = 0; s < roots.count; ++s) {
        saferl_shield__dd_new_pairing(&dd);
        joint = saferl_shield__dd_pair(&dd, joint, ((const uint32_t *)(void *)roots.data)[s]);
        if (dd.failed) goto done;
        if (dd.pairs.keys.count > SAFERL_SHIELD_MAX_LETTERS) {
            r = saferl_shield__fail(f->error, SAFERL_ERR_UNSUPPORTED, 0, 0,
                                    "more than 65536 classes of labels: the rule separates too many combinations "
                                    "of its propositions; split it into several monitors", NULL);
            goto done;
        }
    }
    r = saferl_shield__classes_plan(&dd, joint, (uint32_t)dd.pairs.keys.count, &classes, f->allocator);
    if (r != SAFERL_OK) goto done;
    letters = classes.letters;
    r = saferl_shield__dfa_new(&raw, (uint32_t)states.keys.count, f->used_count, letters, classes.rows.count,
                               classes.rows.width, 0, f->allocator);
    if (r != SAFERL_OK) goto done;
    saferl_shield__dd_install(&dd, joint, classes.letter_of, classes.label, &classes.rows, &raw);
    for (head = 0; head < states.keys.count; ++head) {
        uint64_t key = ((const uint64_t *)states.keys.data)[head];
        for (x = 0; x < letters; ++x) {
            uint32_t leaf = saferl_shield__dd_leaf_at(&dd, ((const uint32_t *)(void *)roots.data)[head], raw.letter_label[x]);
            int failed = saferl_shield__index_get(&states, SAFERL_SHIELD__KEY(leaf), &id, NULL) < 0;
            if (failed || f->out_of_memory || f->over_budget) { /* a key cut short would be a new state */
                saferl_shield_dfa_destroy(&raw);
                r = failed ? SAFERL_ERR_OUT_OF_MEMORY : saferl_shield__too_big(f);
                goto done;
            }
            raw.next[(head << raw.letter_bits) | x] = id;
        }
        raw.flags[head] = (uint8_t)(finite ? ((key & 1u) ? SAFERL_SHIELD_ACCEPTING : 0)
                                           : ((key >> 1) != SAFERL_SHIELD__FALSE ? SAFERL_SHIELD_ACCEPTING : 0));
    }
#undef SAFERL_SHIELD__KEY
    symbolic.dd = &dd; /* the diagrams stay in dd: the joint classes are installed */
    symbolic.memo = &memo;
    symbolic.roots = (const uint32_t *)(void *)roots.data;
    symbolic.states = &states;
    r = saferl_shield__finish_compile(f, &raw, (const uint64_t *)states.keys.data, &symbolic, finite, out);
done:
    saferl_shield__index_free(&states);
    saferl_shield__index_free(&memo.ids);
    saferl_shield__vec_free(&memo.results);
    saferl_shield__vec_free(&roots);
    saferl_shield__vec_free(&stamp);
    saferl_shield__vec_free(&stack);
    saferl_shield__classes_free(&classes, f->allocator);
    saferl_shield__dd_free(&dd);
    return r;
}

#ifdef SAFERL_SHIELD_EXPERIMENT_DD_KEY
/* An experimental build only (bench/experiments/shield_dd_key.h defines these after this
   header): states keyed by a decision diagram over the temporal atoms instead of the
   antichain, switched on at run time by saferl_shield__dd_key_on. Not a default. */
static int saferl_shield__dd_key_on;
static size_t saferl_shield__experiment_residuals;
static saferl_result saferl_shield__compile_dd_key(saferl_shield__formulas *f, uint32_t root, int finite,
                                                   saferl_shield_dfa *out);
#define SAFERL_SHIELD__EXPERIMENT_COUNT(n) (saferl_shield__experiment_residuals += (n))
#else
#define SAFERL_SHIELD__EXPERIMENT_COUNT(n) ((void)0)
#endif

static int saferl_shield__residual_not_false(uint64_t residual) { return residual != SAFERL_SHIELD__FALSE; }

/* The raw automaton of a breadth-first exploration, then finish_compile: states in the order
   of their keys (key = residual << 1 | accepted), next their successor ids, letter by letter.
   A state is accepting when its trace so far is accepted (LTLf) or, as a safety monitor, when
   residual_live(key >> 1) (the residual is not false; the key's encoding is the caller's). */
static saferl_result saferl_shield__finish_exploration(saferl_shield__formulas *f, const saferl_shield__index *states,
                                                       const saferl_shield__vec *next, int finite,
                                                       int (*residual_live)(uint64_t residual),
                                                       saferl_shield_dfa *out) {
    const uint64_t *keys = (const uint64_t *)states->keys.data;
    saferl_shield_dfa raw;
    size_t head;
    saferl_result r = saferl_shield_dfa_create(&raw, (uint32_t)states->keys.count, f->used_count, 0, f->allocator);
    if (r != SAFERL_OK) return r;
    memcpy(raw.next, next->data, next->count * sizeof(uint32_t));
    for (head = 0; head < states->keys.count; ++head) {
        const int accepting = finite ? (keys[head] & 1u) != 0 : residual_live(keys[head] >> 1);
        raw.flags[head] = (uint8_t)(accepting ? SAFERL_SHIELD_ACCEPTING : 0);
    }
    return saferl_shield__finish_compile(f, &raw, keys, NULL, finite, out);
}

/* Breadth-first exploration of residuals (LTL: key = residual; LTLf: residual and whether
   the trace so far is accepted), then settling and minimisation. */
static saferl_result saferl_shield__compile_future(saferl_shield__formulas *f, uint32_t root, int finite,
                                                   saferl_shield_dfa *out) {
    saferl_shield__index states;
    saferl_shield__vec next;
    uint32_t letters, letter, id, max_states = f->desc->max_states ? f->desc->max_states : (1u << 20);
    size_t head;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    if (f->used_count > SAFERL_SHIELD_DENSE_PROPS || f->symbolic) return saferl_shield__compile_symbolic(f, root, finite, out);
#ifdef SAFERL_SHIELD_EXPERIMENT_DD_KEY
    if (saferl_shield__dd_key_on && !f->mark_pending) return saferl_shield__compile_dd_key(f, root, finite, out);
#endif
    saferl_shield__assign_letter_bits(f);
    letters = 1u << f->used_count;
    saferl_shield__index_start(&states, f->allocator);
    saferl_shield__vec_start(&next, sizeof(uint32_t), f->allocator);
    if (saferl_shield__index_get(&states, (uint64_t)root << 1, &id, NULL) < 0) goto done;
    for (head = 0; head < states.keys.count; ++head) {
        uint32_t residual = (uint32_t)(((const uint64_t *)states.keys.data)[head] >> 1);
        if (saferl_shield__vec_reserve(&next, next.count + letters) < 0) goto done;
        for (letter = 0; letter < letters; ++letter) {
            uint32_t after = saferl_shield__finite_residual(f, saferl_shield__successor(f, residual, letter));
            uint64_t accepted = finite ? (uint64_t)saferl_shield__holds_at_end(f, residual, letter) : 0;
            if (f->out_of_memory || f->over_budget || states.keys.count > max_states) {
                r = saferl_shield__too_big(f);
                goto done;
            }
            if (saferl_shield__index_get(&states, ((uint64_t)after << 1) | accepted, &id, NULL) < 0) goto done;
            ((uint32_t *)(void *)next.data)[next.count++] = id;
        }
    }
    SAFERL_SHIELD__EXPERIMENT_COUNT(states.keys.count);
    r = saferl_shield__finish_exploration(f, &states, &next, finite, saferl_shield__residual_not_false, out);
done:
    saferl_shield__index_free(&states);
    saferl_shield__vec_free(&next);
    return r;
}


/* The label bits each node reads (children have smaller ids than their parents, and a
   missing child is node 0, true, which reads none). */
static uint32_t *saferl_shield__prop_masks(saferl_shield__formulas *f) {
    uint32_t *mask = (uint32_t *)saferl_shield__allocate(f->allocator, f->nodes.count * sizeof(uint32_t));
    size_t id;
    if (!mask) return NULL;
    for (id = 0; id < f->nodes.count; ++id) {
        const saferl_shield__node *n = saferl_shield__at(f, (uint32_t)id);
        if (n->op == SAFERL_SHIELD__TRUE || n->op == SAFERL_SHIELD__FALSE) mask[id] = 0;
        else if (n->op == SAFERL_SHIELD__PROP || n->op == SAFERL_SHIELD__NPROP) mask[id] = 1u << n->a;
        else mask[id] = mask[n->a] | mask[n->b];
    }
    return mask;
}

/* Conjuncts into groups that share no proposition: group[i] is the first conjunct of i's
   group (conjuncts that read none join the first group). Returns the number of groups. */
static uint32_t saferl_shield__group_conjuncts(const uint32_t *conjunct_mask, uint32_t count, uint32_t *group,
                                               uint32_t *group_mask) {
    uint32_t i, j, k, groups = 0, first = SAFERL_SHIELD_NO_STATE;
    int merged = 1;
    for (i = 0; i < count; ++i) {
        group[i] = i;
        group_mask[i] = conjunct_mask[i];
    }
    while (merged) {
        merged = 0;
        for (i = 0; i < count; ++i)
            for (j = i + 1; j < count; ++j)
                if (group[i] == i && group[j] == j && (group_mask[i] & group_mask[j])) {
                    for (k = j; k < count; ++k)
                        if (group[k] == j) group[k] = i;
                    group_mask[i] |= group_mask[j];
                    merged = 1;
                }
    }
    for (i = 0; i < count; ++i)
        if (group[i] == i && group_mask[i]) {
            if (first == SAFERL_SHIELD_NO_STATE) first = i;
            ++groups;
        }
    for (i = 0; i < count; ++i)
        if (!group_mask[group[i]]) group[i] = first;
    return groups;
}

/* One group's automaton: its conjuncts' conjunction over its own propositions only (its
   letters are 2^(its propositions), not the formula's). Progression is memoised by letter,
   so the memo starts afresh with the new letter bits. */
static saferl_result saferl_shield__compile_group(saferl_shield__formulas *f, const uint32_t *conjuncts,
                                                  const uint32_t *group, uint32_t count, uint32_t which,
                                                  uint32_t props, int finite, saferl_shield_dfa *out) {
    uint32_t i, bit, part = SAFERL_SHIELD__TRUE;
    for (i = 0; i < count; ++i)
        if (group[i] == which) part = saferl_shield__and(f, part, conjuncts[i]);
    f->used_count = 0;
    for (bit = 0; bit < SAFERL_SHIELD_LABEL_BITS; ++bit) {
        f->used[bit] = (unsigned char)((props >> bit) & 1u);
        f->used_count += f->used[bit];
    }
    saferl_shield__progress_forget(f);
    f->succ_residual = SAFERL_SHIELD__FALSE;
    part = saferl_shield__canon(f, part);
    if (f->out_of_memory || f->over_budget) return saferl_shield__too_big(f);
    return saferl_shield__compile_future(f, part, finite, out);
}

/* A conjunction of rules over disjoint propositions (one per device: G(a_i -> F[0..k] b_i)
   for i = 1..n) is compiled rule group by rule group, and the minimal automata are combined
   by products, minimised after each (as MONA does): the residuals of one group never meet
   the letters of another, so the work is the groups' automata and the products, not
   (product states) x 2^(all propositions). The result is the same minimal automaton.
   Formulas with F, U or M stay whole (whether they are safety is decided on the whole), and
   so do those over more than 16 propositions (their letters are classes of labels). */
static saferl_result saferl_shield__compile_conjunction(saferl_shield__formulas *f, uint32_t root, int finite,
                                                        saferl_shield_dfa *out) {
    saferl_shield__vec conjuncts;
    saferl_shield_dfa acc, part, joined;
    uint32_t *mask = NULL, *scratch = NULL, count, groups = 0, i, max_states = f->desc->max_states ? f->desc->max_states : (1u << 20);
    const uint32_t *list;
    int have = 0;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    if (f->mark_pending || f->symbolic || f->used_count > SAFERL_SHIELD_DENSE_PROPS)
        return saferl_shield__compile_future(f, saferl_shield__canon(f, root), finite, out);
    saferl_shield__vec_start(&conjuncts, sizeof(uint32_t), f->allocator);
    saferl_shield__flatten(f, SAFERL_SHIELD__AND, root, &conjuncts);
    count = (uint32_t)conjuncts.count;
    list = (const uint32_t *)(void *)conjuncts.data;
    if (count > 1 && !f->out_of_memory && (mask = saferl_shield__prop_masks(f)) != NULL &&
        (scratch = (uint32_t *)saferl_shield__allocate(f->allocator, (size_t)count * 3 * sizeof(uint32_t))) != NULL) {
        for (i = 0; i < count; ++i) scratch[2 * count + i] = mask[list[i]];
        groups = saferl_shield__group_conjuncts(scratch + 2 * count, count, scratch, scratch + count);
    }
    if (groups < 2) {
        r = count > 1 && !scratch ? SAFERL_ERR_OUT_OF_MEMORY
                                  : saferl_shield__compile_future(f, saferl_shield__canon(f, root), finite, out);
        goto done;
    }
    for (i = 0; i < count; ++i) {
        if (scratch[i] != i || !scratch[count + i]) continue; /* not a group's first conjunct */
        r = saferl_shield__compile_group(f, list, scratch, count, i, scratch[count + i], finite, have ? &part : &acc);
        if (r != SAFERL_OK) break;
        if (!have) {
            have = 1;
            continue;
        }
        r = saferl_shield__product(&acc, &part, SAFERL_SHIELD_INTERSECTION, max_states, &joined, f->allocator);
        saferl_shield_dfa_destroy(&part);
        if (r == SAFERL_ERR_UNSUPPORTED) r = saferl_shield__too_big(f);
        if (r != SAFERL_OK) break;
        saferl_shield_dfa_destroy(&acc);
        acc = joined;
    }
    if (r == SAFERL_OK) *out = acc;
    else if (have) saferl_shield_dfa_destroy(&acc);
done:
    saferl_shield__vec_free(&conjuncts);
    saferl_shield__release(f->allocator, mask);
    saferl_shield__release(f->allocator, scratch);
    return r;
}

/* Past-time: the subformulas in post-order, each temporal one with a slot in the state. */
typedef struct saferl_shield__past {
    uint32_t *order, *slot, count, slots;
} saferl_shield__past;

static int saferl_shield__past_order(saferl_shield__formulas *f, saferl_shield__past *p, uint32_t id, uint32_t *index) {
    const saferl_shield__node *n = saferl_shield__at(f, id);
    uint32_t op = n->op, a = n->a, b = n->b;
    if (index[id] != SAFERL_SHIELD_NO_STATE) return 0;
    if (op != SAFERL_SHIELD__TRUE && op != SAFERL_SHIELD__FALSE && op != SAFERL_SHIELD__PROP) {
        if (saferl_shield__past_order(f, p, a, index) < 0) return -1;
        if (op == SAFERL_SHIELD__AND || op == SAFERL_SHIELD__OR || op == SAFERL_SHIELD__IMPLIES ||
            op == SAFERL_SHIELD__EQUIV || op == SAFERL_SHIELD__XOR || op == SAFERL_SHIELD__SINCE)
            if (saferl_shield__past_order(f, p, b, index) < 0) return -1;
    }
    p->slot[p->count] = SAFERL_SHIELD_NO_STATE;
    if ((SAFERL_SHIELD__PAST_OPS >> op) & 1u) {
        if (p->slots == 62) return -1;
        p->slot[p->count] = p->slots++;
    }
    index[id] = p->count;
    p->order[p->count++] = id;
    return 0;
}

/* Havelund-Rosu: values now from the letter and the previous step's vector; returns the
   root's value and writes the next vector. */
static int saferl_shield__past_step(saferl_shield__formulas *f, const saferl_shield__past *p, const uint32_t *index,
                                    unsigned char *now, uint64_t vector, uint32_t letter, uint64_t *after) {
    uint32_t i;
    uint64_t next_vector = 0;
    for (i = 0; i < p->count; ++i) {
        const saferl_shield__node *n = saferl_shield__at(f, p->order[i]);
        int a = 0, b = 0, v = 0, previous = p->slot[i] != SAFERL_SHIELD_NO_STATE ? (int)((vector >> p->slot[i]) & 1u) : 0;
        if (n->op != SAFERL_SHIELD__PROP && n->op != SAFERL_SHIELD__TRUE && n->op != SAFERL_SHIELD__FALSE) a = now[index[n->a]];
        if (n->op == SAFERL_SHIELD__AND || n->op == SAFERL_SHIELD__OR || n->op == SAFERL_SHIELD__IMPLIES ||
            n->op == SAFERL_SHIELD__EQUIV || n->op == SAFERL_SHIELD__XOR || n->op == SAFERL_SHIELD__SINCE)
            b = now[index[n->b]];
        switch (n->op) {
        case SAFERL_SHIELD__TRUE: v = 1; break;
        case SAFERL_SHIELD__FALSE: v = 0; break;
        case SAFERL_SHIELD__PROP: v = (int)((letter >> f->letter_bit[n->a]) & 1u); break;
        case SAFERL_SHIELD__NOT: v = !a; break;
        case SAFERL_SHIELD__AND: v = a && b; break;
        case SAFERL_SHIELD__OR: v = a || b; break;
        case SAFERL_SHIELD__IMPLIES: v = !a || b; break;
        case SAFERL_SHIELD__EQUIV: v = a == b; break;
        case SAFERL_SHIELD__XOR: v = a != b; break;
        case SAFERL_SHIELD__YESTERDAY: case SAFERL_SHIELD__WEAK_YESTERDAY:
            v = previous; /* the slot holds the operand's previous value */
            if (a) next_vector |= 1ull << p->slot[i];
            break;
        case SAFERL_SHIELD__ONCE: v = a || previous; break;
        case SAFERL_SHIELD__HISTORICALLY: v = a && previous; break;
        case SAFERL_SHIELD__SINCE: v = b || (a && previous); break;
        default: break;
        }
        now[i] = (unsigned char)v;
        if (v && p->slot[i] != SAFERL_SHIELD_NO_STATE && n->op != SAFERL_SHIELD__YESTERDAY &&
            n->op != SAFERL_SHIELD__WEAK_YESTERDAY)
            next_vector |= 1ull << p->slot[i];
    }
    *after = next_vector;
    return now[p->count - 1];
}

#define SAFERL_SHIELD__PAST_SINK 0xFFFFFFFFFFFFFFFFull

static saferl_result saferl_shield__compile_past(saferl_shield__formulas *f, uint32_t root, saferl_shield_dfa *out) {
    saferl_shield__past p;
    saferl_shield__index states;
    saferl_shield__vec next;
    saferl_shield_dfa raw;
    uint32_t *index = NULL, letters, letter, id, i, max_states = f->desc->max_states ? f->desc->max_states : (1u << 20);
    unsigned char *now = NULL;
    uint64_t initial = 0;
    size_t head, node_count = f->nodes.count;
    int safety = saferl_shield__at(f, root)->op == SAFERL_SHIELD__ALWAYS;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    if (safety) root = saferl_shield__at(f, root)->a;
    if (f->used_count > SAFERL_SHIELD_DENSE_PROPS)
        return saferl_shield__fail(f->error, SAFERL_ERR_UNSUPPORTED, 0, 0,
                                   "past-time formulas read at most 16 propositions (their states are built "
                                   "over every letter); split the rule into several monitors", NULL);
    saferl_shield__assign_letter_bits(f);
    letters = 1u << f->used_count;
    memset(&p, 0, sizeof p);
    saferl_shield__index_start(&states, f->allocator);
    saferl_shield__vec_start(&next, sizeof(uint32_t), f->allocator);
    index = (uint32_t *)saferl_shield__allocate(f->allocator, node_count * sizeof(uint32_t));
    p.order = (uint32_t *)saferl_shield__allocate(f->allocator, node_count * sizeof(uint32_t));
    p.slot = (uint32_t *)saferl_shield__allocate(f->allocator, node_count * sizeof(uint32_t));
    now = (unsigned char *)saferl_shield__allocate(f->allocator, node_count);
    if (!index || !p.order || !p.slot || !now) goto done;
    for (i = 0; i < node_count; ++i) index[i] = SAFERL_SHIELD_NO_STATE;
    if (saferl_shield__past_order(f, &p, root, index) < 0) {
        r = saferl_shield__fail(f->error, SAFERL_ERR_UNSUPPORTED, 0, 0,
                                "more than 62 temporal subformulas in a past-time formula", NULL);
        goto done;
    }
    for (i = 0; i < p.count; ++i) { /* the empty past: Z and H true, the others false */
        uint32_t op = saferl_shield__at(f, p.order[i])->op;
        if (op == SAFERL_SHIELD__WEAK_YESTERDAY || op == SAFERL_SHIELD__HISTORICALLY) initial |= 1ull << p.slot[i];
    }
    /* keys: the vector, bit 63 = "the formula holds at the last step" (finite) */
    if (saferl_shield__index_get(&states, initial, &id, NULL) < 0) goto done;
    for (head = 0; head < states.keys.count; ++head) {
        uint64_t key = ((const uint64_t *)states.keys.data)[head];
        if (saferl_shield__vec_reserve(&next, next.count + letters) < 0) goto done;
        for (letter = 0; letter < letters; ++letter) {
            uint64_t after;
            int holds;
            if (key == SAFERL_SHIELD__PAST_SINK) {
                after = key;
            } else {
                holds = saferl_shield__past_step(f, &p, index, now, key & ~(1ull << 63), letter, &after);
                if (safety && !holds) after = SAFERL_SHIELD__PAST_SINK;
                else if (!safety && holds) after |= 1ull << 63;
            }
            if (states.keys.count > max_states) {
                r = saferl_shield__too_big(f);
                goto done;
            }
            if (saferl_shield__index_get(&states, after, &id, NULL) < 0) goto done;
            ((uint32_t *)(void *)next.data)[next.count++] = id;
        }
    }
    r = saferl_shield_dfa_create(&raw, (uint32_t)states.keys.count, f->used_count, 0, f->allocator);
    if (r != SAFERL_OK) goto done;
    memcpy(raw.next, next.data, next.count * sizeof(uint32_t));
    for (head = 0; head < states.keys.count; ++head) {
        uint64_t key = ((const uint64_t *)states.keys.data)[head];
        int accepting = safety ? key != SAFERL_SHIELD__PAST_SINK : (key >> 63) != 0;
        raw.flags[head] = (uint8_t)(accepting ? SAFERL_SHIELD_ACCEPTING : 0);
    }
    raw.semantics = safety ? SAFERL_SHIELD_SAFETY : SAFERL_SHIELD_FINITE;
    saferl_shield__name_props(f, &raw);
    r = saferl_shield__finish_build(&raw, safety, out, f->allocator);
done:
    saferl_shield__index_free(&states);
    saferl_shield__vec_free(&next);
    saferl_shield__release(f->allocator, index);
    saferl_shield__release(f->allocator, p.order);
    saferl_shield__release(f->allocator, p.slot);
    saferl_shield__release(f->allocator, now);
    return r;
}


/* saferl_shield_compile with options for the tests, which compare the constructions:
   without SIMPLIFY only the canonical form is kept; SYMBOLIC splits guards symbolically at
   any number of propositions (otherwise only above 16); SMALL_MEMO drops the memos past 64
   entries instead of SAFERL_SHIELD_MEMO_RESET (the same automata, the reset path taken). */
enum { SAFERL_SHIELD__SIMPLIFY = 1, SAFERL_SHIELD__SYMBOLIC = 2, SAFERL_SHIELD__EMPTY_SINK = 4,
       SAFERL_SHIELD__SMALL_MEMO = 8 };
static saferl_result saferl_shield__compile(const char *text, size_t length, const saferl_shield_desc *desc,
                                           saferl_shield_dfa *dfa, saferl_shield_error *error, int options) {
    saferl_shield__formulas f;
    saferl_shield_desc zero;
    const saferl_allocator *allocator;
    unsigned char *seen = NULL;
    uint32_t *memo = NULL, root, parsed, at, i, memo_count;
    saferl_shield_logic logic;
    saferl_result r;
    SAFERL_ASSERT(dfa != NULL);
    if (!desc) {
        memset(&zero, 0, sizeof zero);
        desc = &zero;
    }
    saferl_shield__clear_error(error);
    if (!text && length) return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "no text", NULL);
    if ((unsigned)desc->logic > SAFERL_SHIELD_AUTO_PAST || desc->vocabulary_count > SAFERL_SHIELD_LABEL_BITS)
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0,
                                   "desc: unknown logic, or a vocabulary wider than the label (32)", NULL);
    allocator = &desc->allocator;
    if (saferl_shield__formulas_start(&f, desc, error, allocator) < 0) {
        saferl_shield__formulas_free(&f);
        return saferl_shield__fail(error, SAFERL_ERR_OUT_OF_MEMORY, 0, 0, "out of memory", NULL);
    }
    f.simplify = (options & SAFERL_SHIELD__SIMPLIFY) != 0;
    f.symbolic = (options & SAFERL_SHIELD__SYMBOLIC) != 0;
    f.empty_sink = (options & SAFERL_SHIELD__EMPTY_SINK) != 0;
    if (options & SAFERL_SHIELD__SMALL_MEMO) f.memo_reset = 64;
    root = f.root = saferl_shield__parse(&f, text ? text : "", length);
    if (f.cursor.failed) {
        r = error ? error->code : SAFERL_ERR_PARSE;
        if (r >= 0) r = SAFERL_ERR_PARSE;
        goto done;
    }
    memo_count = (uint32_t)f.nodes.count;
    seen = (unsigned char *)saferl_shield__allocate(allocator, memo_count);
    memo = (uint32_t *)saferl_shield__allocate(allocator, (size_t)memo_count * 2 * sizeof(uint32_t));
    if (!seen || !memo) {
        r = saferl_shield__fail(error, SAFERL_ERR_OUT_OF_MEMORY, 0, 0, "out of memory", NULL);
        goto done;
    }
    logic = desc->logic;
    memset(seen, 0, memo_count);
    if (logic == SAFERL_SHIELD_AUTO_PAST)
        logic = saferl_shield__find_op(&f, root, SAFERL_SHIELD__PAST_OPS, seen) != SAFERL_SHIELD_NO_STATE
                    ? SAFERL_SHIELD_PAST_LTL : SAFERL_SHIELD_LTL;
    memset(seen, 0, memo_count);
    if (logic == SAFERL_SHIELD_PAST_LTL) {
        uint32_t body = saferl_shield__at(&f, root)->op == SAFERL_SHIELD__ALWAYS ? saferl_shield__at(&f, root)->a : root;
        at = saferl_shield__find_op(&f, body, SAFERL_SHIELD__FUTURE_OPS, seen);
        if (at != SAFERL_SHIELD_NO_STATE) {
            r = saferl_shield__reject_op(&f, at, "is a future operator in a past-time formula",
                                         ": only an outermost G is allowed (G psi, psi pure past)");
            goto done;
        }
        r = saferl_shield__compile_past(&f, root, dfa);
        goto done;
    }
    at = saferl_shield__find_op(&f, root, SAFERL_SHIELD__PAST_OPS, seen);
    if (at != SAFERL_SHIELD_NO_STATE) {
        r = saferl_shield__reject_op(&f, at, "is a past operator",
                                     logic == SAFERL_SHIELD_LTLF ? ": LTLf mode takes future operators only"
                                                                 : ": use the past-time mode for Y Z O H S");
        goto done;
    }
    for (i = 0; i < 2 * memo_count; ++i) memo[i] = SAFERL_SHIELD_NO_STATE;
    parsed = root;
    f.finite = logic == SAFERL_SHIELD_LTLF;
    root = saferl_shield__nnf(&f, root, 0, f.finite, memo, memo_count);
    if (f.out_of_memory || f.over_budget) {
        r = saferl_shield__too_big(&f);
        goto done;
    }
    if (logic == SAFERL_SHIELD_LTL) {
        saferl_shield__release(allocator, seen);
        seen = (unsigned char *)saferl_shield__allocate(allocator, f.nodes.count);
        if (!seen) {
            r = saferl_shield__fail(error, SAFERL_ERR_OUT_OF_MEMORY, 0, 0, "out of memory", NULL);
            goto done;
        }
        memset(seen, 0, f.nodes.count);
        at = saferl_shield__find_op(&f, root, SAFERL_SHIELD__LIVENESS_OPS, seen);
        if (at != SAFERL_SHIELD_NO_STATE) { /* safety or not: decided on the automaton */
            f.mark_pending = 1;
            f.eventuality_at = at;
            f.negated_root = saferl_shield__canon(&f, saferl_shield__nnf(&f, parsed, 1, 0, memo, memo_count));
        }
    }
    r = saferl_shield__compile_conjunction(&f, root, logic == SAFERL_SHIELD_LTLF, dfa);
done:
    saferl_shield__release(allocator, seen);
    saferl_shield__release(allocator, memo);
    saferl_shield__formulas_free(&f);
    if (r < 0 && error && error->code == SAFERL_OK) saferl_shield__fail(error, r, 0, 0, saferl_result_string(r), NULL);
    return r;
}

SAFERL_SHIELD_API saferl_result saferl_shield_compile(const char *text, size_t length, const saferl_shield_desc *desc,
                                                      saferl_shield_dfa *dfa, saferl_shield_error *error) {
    return saferl_shield__compile(text, length, desc, dfa, error, SAFERL_SHIELD__SIMPLIFY | SAFERL_SHIELD__EMPTY_SINK);
}

/* A reader's start: desc or the defaults (zero), the error cleared, the cursor at the text. */
static const saferl_shield_desc *saferl_shield__reader_start(saferl_shield__cursor *c, const char *text, size_t length,
                                                             const saferl_shield_desc *desc, saferl_shield_desc *zero,
                                                             saferl_shield_error *error) {
    if (!desc) {
        memset(zero, 0, sizeof *zero);
        desc = zero;
    }
    saferl_shield__clear_error(error);
    saferl_shield__cursor_start(c, text, length, error);
    return desc;
}

/* ---- HOA --------------------------------------------------------------------------------- */

enum saferl_shield__hoa_token {
    SAFERL_SHIELD__HT_END, SAFERL_SHIELD__HT_STRING, SAFERL_SHIELD__HT_INT, SAFERL_SHIELD__HT_IDENT,
    SAFERL_SHIELD__HT_HEADER, SAFERL_SHIELD__HT_ALIAS, SAFERL_SHIELD__HT_BODY, SAFERL_SHIELD__HT_BODY_END,
    SAFERL_SHIELD__HT_ABORT, SAFERL_SHIELD__HT_PUNCT, SAFERL_SHIELD__HT_BAD
};

/* an edge, or (declared) where a "State:" line is */
typedef struct saferl_shield__hoa_edge {
    uint32_t source, target, line, column, guard;
    int marked, labelled;
} saferl_shield__hoa_edge;

enum { SAFERL_SHIELD__ACC_ALL, SAFERL_SHIELD__ACC_NONE, SAFERL_SHIELD__ACC_BUCHI };

typedef struct saferl_shield__hoa {
    saferl_shield__cursor cursor;
    int token;
    char punct;
    size_t start, end;            /* token text (strings without quotes, headers without ':') */
    uint32_t token_line, token_column;
    unsigned long number;
    uint32_t prop_count;
    uint8_t ap_bit[SAFERL_SHIELD_MAX_PROPS]; /* label bit of AP j */
    saferl_shield__dd *dd;        /* guards: diagrams over label bits, leaves 0 and 1 */
    /* the header */
    const saferl_shield_desc *desc;
    uint32_t states, initial, max_states;
    int have_states, have_ap, acceptance, finite;
    char names[SAFERL_SHIELD_MAX_PROPS][SAFERL_SHIELD_NAME_CAPACITY];
    /* the body */
    saferl_shield__vec edges, marked_states, declared;
    uint32_t max_state;           /* the largest state number seen */
} saferl_shield__hoa;

static void saferl_shield__hoa_fail(saferl_shield__hoa *h, saferl_result code, const char *message, const char *detail) {
    saferl_shield__cursor_fail_at(&h->cursor, code, h->token_line, h->token_column, message, detail);
}

/* Spaces, newlines and comments (which nest). */
static void saferl_shield__hoa_skip(saferl_shield__cursor *c) {
    const char *s = c->text;
    size_t n = c->length;
    int depth = 0;
    for (;;) {
        saferl_shield__cursor_skip_space(c);
        if (!(c->pos + 1 < n && s[c->pos] == '/' && s[c->pos + 1] == '*')) return;
        do {
            if (c->pos + 1 < n && s[c->pos] == '/' && s[c->pos + 1] == '*') {
                ++depth;
                c->pos += 2;
            } else if (c->pos + 1 < n && s[c->pos] == '*' && s[c->pos + 1] == '/') {
                --depth;
                c->pos += 2;
            } else if (s[c->pos++] == '\n') {
                saferl_shield__cursor_new_line(c);
            }
        } while (depth > 0 && c->pos < n);
    }
}

static void saferl_shield__hoa_lex(saferl_shield__hoa *h) {
    saferl_shield__cursor *c = &h->cursor;
    const char *s = c->text;
    size_t n = c->length, p;
    saferl_shield__hoa_skip(c);
    p = h->start = c->pos;
    h->token_line = c->line;
    h->token_column = saferl_shield__cursor_column(c);
    if (p >= n) {
        h->token = SAFERL_SHIELD__HT_END;
        return;
    }
    if (s[p] == '"') { /* escapes with '\'; may span lines */
        size_t close;
        if (!saferl_shield__cursor_quoted(c, p, n, 1, 0, &close)) {
            h->token = SAFERL_SHIELD__HT_BAD;
            c->pos = n;
            return;
        }
        h->token = SAFERL_SHIELD__HT_STRING;
        h->start = p + 1;
        h->end = close;
        c->pos = close + 1;
        return;
    }
    if (saferl_shield__is_digit(s[p])) {
        saferl_shield__cursor_number(c, n, &h->number);
        h->token = SAFERL_SHIELD__HT_INT;
        h->end = c->pos;
        return;
    }
    if (s[p] == '-' && p + 1 < n && s[p + 1] == '-') {
        static const char *const markers[3] = {"--BODY--", "--END--", "--ABORT--"};
        static const int kinds[3] = {SAFERL_SHIELD__HT_BODY, SAFERL_SHIELD__HT_BODY_END, SAFERL_SHIELD__HT_ABORT};
        int i;
        for (i = 0; i < 3; ++i) {
            size_t len = strlen(markers[i]);
            if (n - p >= len && memcmp(s + p, markers[i], len) == 0) {
                h->token = kinds[i];
                h->end = c->pos = p + len;
                return;
            }
        }
    }
    if ((s[p] >= 'a' && s[p] <= 'z') || (s[p] >= 'A' && s[p] <= 'Z') || s[p] == '_' || s[p] == '@') {
        size_t q = saferl_shield__cursor_name_end(c, p + 1, 1);
        h->end = q;
        if (s[p] == '@') h->token = SAFERL_SHIELD__HT_ALIAS;
        else if (q < n && s[q] == ':') {
            h->token = SAFERL_SHIELD__HT_HEADER;
            ++q;
        } else h->token = SAFERL_SHIELD__HT_IDENT;
        c->pos = q;
        return;
    }
    h->token = SAFERL_SHIELD__HT_PUNCT;
    h->punct = s[p];
    h->end = c->pos = p + 1;
}

static int saferl_shield__hoa_is(const saferl_shield__hoa *h, const char *word) {
    size_t len = strlen(word);
    return h->end - h->start == len && memcmp(h->cursor.text + h->start, word, len) == 0;
}

static int saferl_shield__hoa_punct(const saferl_shield__hoa *h, char c) {
    return h->token == SAFERL_SHIELD__HT_PUNCT && h->punct == c;
}

/* Label expressions are read into guard diagrams (never over all 2^k letters). */
static uint32_t saferl_shield__hoa_label_or(saferl_shield__hoa *h, int depth);

static uint32_t saferl_shield__hoa_label_atom(saferl_shield__hoa *h, int depth) {
    uint32_t g = SAFERL_SHIELD_LEAF;
    if (h->cursor.failed) return g;
    if (depth > 240) { /* about 60 parentheses: factored guards over 32 propositions nest about 40 */
        saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "label nested deeper than 240 levels", NULL);
        return g;
    }
    if (saferl_shield__hoa_punct(h, '!')) {
        saferl_shield__hoa_lex(h);
        g = saferl_shield__dd_apply(h->dd, SAFERL_SHIELD__DD_XOR, saferl_shield__hoa_label_atom(h, depth + 1), SAFERL_SHIELD_LEAF | 1u);
    } else if (saferl_shield__hoa_punct(h, '(')) {
        saferl_shield__hoa_lex(h);
        g = saferl_shield__hoa_label_or(h, depth + 1);
        if (!h->cursor.failed && !saferl_shield__hoa_punct(h, ')')) saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "')' expected in the label", NULL);
        saferl_shield__hoa_lex(h);
    } else if (h->token == SAFERL_SHIELD__HT_IDENT && (saferl_shield__hoa_is(h, "t") || saferl_shield__hoa_is(h, "f"))) {
        g = SAFERL_SHIELD_LEAF | (saferl_shield__hoa_is(h, "t") ? 1u : 0u);
        saferl_shield__hoa_lex(h);
    } else if (h->token == SAFERL_SHIELD__HT_INT) {
        if (h->number >= h->prop_count) {
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "atomic proposition number out of range", NULL);
            return g;
        }
        g = saferl_shield__dd_node(h->dd, h->ap_bit[h->number], SAFERL_SHIELD_LEAF, SAFERL_SHIELD_LEAF | 1u);
        saferl_shield__hoa_lex(h);
    } else if (h->token == SAFERL_SHIELD__HT_ALIAS) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "aliases (@name) are not supported", NULL);
    } else {
        saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "a label expression expected (t, f, a number, !, parentheses)", NULL);
    }
    if (h->dd->failed) saferl_shield__hoa_fail(h, SAFERL_ERR_OUT_OF_MEMORY, "out of memory", NULL);
    return g;
}

static uint32_t saferl_shield__hoa_label_and(saferl_shield__hoa *h, int depth) {
    uint32_t g = saferl_shield__hoa_label_atom(h, depth + 1);
    while (!h->cursor.failed && saferl_shield__hoa_punct(h, '&')) {
        saferl_shield__hoa_lex(h);
        g = saferl_shield__dd_apply(h->dd, SAFERL_SHIELD__DD_AND, g, saferl_shield__hoa_label_atom(h, depth + 2));
    }
    return g;
}

static uint32_t saferl_shield__hoa_label_or(saferl_shield__hoa *h, int depth) {
    uint32_t g = saferl_shield__hoa_label_and(h, depth + 1);
    while (!h->cursor.failed && saferl_shield__hoa_punct(h, '|')) {
        saferl_shield__hoa_lex(h);
        g = saferl_shield__dd_apply(h->dd, SAFERL_SHIELD__DD_OR, g, saferl_shield__hoa_label_and(h, depth + 2));
    }
    return g;
}

/* "[label]" as a guard diagram. */
static uint32_t saferl_shield__hoa_label(saferl_shield__hoa *h) {
    uint32_t g;
    saferl_shield__hoa_lex(h);
    g = saferl_shield__hoa_label_or(h, 0);
    if (!h->cursor.failed && !saferl_shield__hoa_punct(h, ']')) saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "']' expected after the label", NULL);
    saferl_shield__hoa_lex(h);
    return g;
}

/* "{0 1 ...}": whether set 0 is in it. */
static int saferl_shield__hoa_acc_sig(saferl_shield__hoa *h) {
    int marked = 0;
    if (!saferl_shield__hoa_punct(h, '{')) return 0;
    saferl_shield__hoa_lex(h);
    while (h->token == SAFERL_SHIELD__HT_INT) {
        if (h->number == 0) marked = 1;
        saferl_shield__hoa_lex(h);
    }
    if (!saferl_shield__hoa_punct(h, '}')) saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "'}' expected", NULL);
    saferl_shield__hoa_lex(h);
    return marked;
}

/* Resolves the unlabelled edges of state s (implicit labels, or the state's label). */
static void saferl_shield__hoa_close_state(saferl_shield__hoa *h, saferl_shield__vec *edges, size_t first,
                                           int has_state_label, uint32_t state_label, uint32_t s) {
    saferl_shield__hoa_edge *e = (saferl_shield__hoa_edge *)(void *)edges->data;
    size_t i, unlabelled = 0, labelled = 0;
    uint32_t j;
    for (i = first; i < edges->count; ++i) {
        if (e[i].labelled) ++labelled;
        else ++unlabelled;
    }
    if (unlabelled == 0) return;
    if (has_state_label) {
        if (labelled) {
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "a state with a label has a labelled edge", NULL);
            return;
        }
        for (i = first; i < edges->count; ++i) e[i].guard = state_label;
        return;
    }
    if (labelled || (uint64_t)unlabelled != (uint64_t)1 << h->prop_count) {
        char message[120];
        snprintf(message, sizeof message, "state %u: unlabelled edges need implicit labels (exactly %llu of them)",
                 (unsigned)s, (unsigned long long)((uint64_t)1 << h->prop_count));
        saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, message, NULL);
        return;
    }
    for (i = first; i < edges->count; ++i) { /* edge i - first: AP j true iff bit j of it */
        uint32_t g = SAFERL_SHIELD_LEAF | 1u;
        for (j = 0; j < h->prop_count; ++j) {
            uint32_t literal = ((i - first) >> j) & 1u ? saferl_shield__dd_node(h->dd, h->ap_bit[j], SAFERL_SHIELD_LEAF, SAFERL_SHIELD_LEAF | 1u)
                                                       : saferl_shield__dd_node(h->dd, h->ap_bit[j], SAFERL_SHIELD_LEAF | 1u, SAFERL_SHIELD_LEAF);
            g = saferl_shield__dd_apply(h->dd, SAFERL_SHIELD__DD_AND, g, literal);
        }
        e[i].guard = g;
    }
}

static int saferl_shield__vocabulary_bit(const saferl_shield_desc *desc, const char *name, size_t len, uint32_t fallback) {
    uint32_t bit;
    if (!desc->vocabulary) return (int)fallback;
    for (bit = 0; bit < desc->vocabulary_count; ++bit) {
        const char *v = desc->vocabulary[bit];
        if (v && strlen(v) == len && memcmp(v, name, len) == 0) return (int)bit;
    }
    return -1;
}

/* A component with a marked edge inside it (a cycle through that edge). context: the marks. */
static int saferl_shield__has_marked_edge(void *context, const saferl_shield__graph *g, const uint32_t *member,
                                          uint32_t count, const uint32_t *component) {
    const unsigned char *edge_mark = (const unsigned char *)context;
    uint32_t k;
    for (k = 0; k < count; ++k) {
        size_t e, end = saferl_shield__graph_end(g, member[k]);
        for (e = saferl_shield__graph_first(g, member[k]); e < end; ++e)
            if (edge_mark[e] && component[saferl_shield__graph_target(g, e)] == member[0]) return 1;
    }
    return 0;
}

/* good[q] for Buchi Inf(0): an accepting run starts at q, that is q reaches a strongly connected
   component with a marked edge inside it: O(states x letters) in all. (An iterated fixpoint over
   Z costs a round per state removed: quadratic, a minute for a 3 MB chain of states.) */
static int saferl_shield__buchi_good(const saferl_shield_dfa *raw, const unsigned char *edge_mark, unsigned char *good,
                                     const saferl_allocator *allocator) {
    saferl_shield__graph g;
    memset(&g, 0, sizeof g);
    g.node_count = raw->state_count;
    g.table = raw;
    return saferl_shield__reach_components(&g, saferl_shield__has_marked_edge, (void *)(uintptr_t)edge_mark, good,
                                           allocator);
}

/* Buchi Inf(0) as a safety language. good[q]: an accepting run starts at q (the greatest set
   Z whose states all reach a marked edge into Z). The language is safety exactly when no
   reachable cycle of unmarked edges stays among good states: then every run that stays among
   good states forever is accepting, so the language equals its closure, and good states are
   the monitor's safe states. Otherwise a word that reaches such a cycle and loops there has
   every prefix extendable yet is rejected (a liveness obligation): refused. seen: scratch. */
static int saferl_shield__hoa_buchi_safety(saferl_shield__hoa *h, const saferl_shield_dfa *raw,
                                           const unsigned char *edge_mark, uint32_t start, unsigned char *good,
                                           unsigned char *seen, const saferl_shield__vec *declared,
                                           const saferl_allocator *allocator) {
    uint32_t n = raw->state_count, q, letter, head = 0, tail = 0, done = 0, nodes = 0;
    uint32_t *order;
    uint32_t *indegree;
    if (saferl_shield__buchi_good(raw, edge_mark, good, allocator) < 0) return -1;
    order = (uint32_t *)saferl_shield__allocate(allocator, (size_t)n * 2 * sizeof(uint32_t));
    indegree = order ? order + n : NULL;
    if (!order) return -1;
    /* the reachable good states, then Kahn's order on their unmarked edges: what is left over
       lies on (or behind) an unmarked cycle */
    memset(seen, 0, n);
    seen[start] = 1;
    order[tail++] = start;
    while (head < tail) {
        q = order[head++];
        for (letter = 0; letter < raw->letter_count; ++letter) {
            uint32_t p = raw->next[((size_t)q << raw->letter_bits) | letter];
            if (!seen[p]) seen[p] = 1, order[tail++] = p;
        }
    }
    for (q = 0; q < n; ++q) indegree[q] = 0;
    for (q = 0; q < n; ++q) {
        if (!seen[q] || !good[q]) continue;
        ++nodes;
        for (letter = 0; letter < raw->letter_count; ++letter) {
            size_t at = ((size_t)q << raw->letter_bits) | letter;
            if (!edge_mark[at] && good[raw->next[at]]) ++indegree[raw->next[at]];
        }
    }
    head = tail = 0;
    for (q = 0; q < n; ++q)
        if (seen[q] && good[q] && indegree[q] == 0) order[tail++] = q;
    while (head < tail) {
        q = order[head++];
        ++done;
        for (letter = 0; letter < raw->letter_count; ++letter) {
            size_t at = ((size_t)q << raw->letter_bits) | letter;
            uint32_t p = raw->next[at];
            if (!edge_mark[at] && good[p] && --indegree[p] == 0) order[tail++] = p;
        }
    }
    if (done < nodes) {
        char message[160];
        size_t i;
        for (q = 0; q < n && !(seen[q] && good[q] && indegree[q] > 0); ++q) continue;
        snprintf(message, sizeof message,
                 "Inf(0) that is not a safety condition: state %u lies on a cycle of unmarked edges from which "
                 "acceptance is still possible", (unsigned)q);
        h->token_line = h->token_column = 0;
        for (i = 0; i < declared->count; ++i) { /* the error points at "State: q" */
            const saferl_shield__hoa_edge *d = (const saferl_shield__hoa_edge *)(void *)declared->data + i;
            if (d->source == q) {
                h->token_line = d->line;
                h->token_column = d->column;
            }
        }
        saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, message, NULL);
    }
    saferl_shield__release(allocator, order);
    return 0;
}

/* "AP: n "name" ...": the names, and each one's label bit (the vocabulary's, or its index). */
static void saferl_shield__hoa_read_ap(saferl_shield__hoa *h) {
    uint32_t j, m;
    saferl_shield__hoa_lex(h);
    if (h->token != SAFERL_SHIELD__HT_INT) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "AP: a count expected", NULL);
        return;
    }
    if (h->number > SAFERL_SHIELD_LABEL_BITS) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "more propositions than the label width (32)", NULL);
        return;
    }
    h->prop_count = (uint32_t)h->number;
    saferl_shield__hoa_lex(h);
    for (j = 0; j < h->prop_count && !h->cursor.failed; ++j) {
        const char *s = h->cursor.text;
        size_t len = h->end - h->start, from, to = 0;
        int bit;
        if (h->token != SAFERL_SHIELD__HT_STRING) {
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "AP: a quoted name expected", NULL);
            return;
        }
        if (len == 0 || len >= SAFERL_SHIELD_NAME_CAPACITY || memchr(s + h->start, 0, len) != NULL) {
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "AP: names have 1 to 31 bytes and no NUL", NULL);
            return;
        }
        for (from = h->start; from < h->end; ++from) { /* HOA strings escape '"' and '\\' with a backslash */
            if (s[from] == '\\' && from + 1 < h->end) ++from;
            h->names[j][to++] = s[from];
        }
        h->names[j][to] = '\0';
        for (m = 0; m < j; ++m)
            if (strcmp(h->names[m], h->names[j]) == 0) saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "AP: a name twice", NULL);
        bit = saferl_shield__vocabulary_bit(h->desc, h->names[j], to, j);
        if (bit < 0) {
            char message[120];
            snprintf(message, sizeof message, "unknown proposition '%.31s' (not in the vocabulary)", h->names[j]);
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, message, NULL);
        }
        h->ap_bit[j] = (uint8_t)bit;
        saferl_shield__hoa_lex(h);
    }
    h->have_ap = 1;
}

static int saferl_shield__hoa_item_end(const saferl_shield__hoa *h) {
    return h->token == SAFERL_SHIELD__HT_HEADER || h->token == SAFERL_SHIELD__HT_BODY || h->token == SAFERL_SHIELD__HT_END;
}

/* "Acceptance: n cond": t, f or Inf(0) (with n sets); anything else is no safety monitor. */
static void saferl_shield__hoa_read_acceptance(saferl_shield__hoa *h) {
    const char *s = h->cursor.text;
    size_t from;
    uint32_t line = h->token_line, column = h->token_column;
    unsigned long sets_count;
    saferl_shield__hoa_lex(h);
    if (h->token != SAFERL_SHIELD__HT_INT) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "Acceptance: a count expected", NULL);
        return;
    }
    sets_count = h->number;
    saferl_shield__hoa_lex(h);
    from = h->start;
    if (sets_count == 0 && h->token == SAFERL_SHIELD__HT_IDENT && saferl_shield__hoa_is(h, "t")) h->acceptance = SAFERL_SHIELD__ACC_ALL;
    else if (sets_count == 0 && h->token == SAFERL_SHIELD__HT_IDENT && saferl_shield__hoa_is(h, "f")) h->acceptance = SAFERL_SHIELD__ACC_NONE;
    else if (sets_count == 1 && h->token == SAFERL_SHIELD__HT_IDENT && saferl_shield__hoa_is(h, "Inf")) {
        saferl_shield__hoa_lex(h);
        if (saferl_shield__hoa_punct(h, '(')) saferl_shield__hoa_lex(h);
        if (h->token == SAFERL_SHIELD__HT_INT && h->number == 0) {
            saferl_shield__hoa_lex(h);
            if (saferl_shield__hoa_punct(h, ')')) h->acceptance = SAFERL_SHIELD__ACC_BUCHI;
        }
    }
    while (!saferl_shield__hoa_item_end(h)) saferl_shield__hoa_lex(h);
    if (h->acceptance < 0) {
        char message[160];
        size_t len = h->start > from ? h->start - from : 0;
        while (len > 0 && (s[from + len - 1] == ' ' || s[from + len - 1] == '\n' || s[from + len - 1] == '\r')) --len;
        snprintf(message, sizeof message, "unsupported acceptance '%lu %.*s': only t, f and Inf(0) describe a safety monitor",
                 sets_count, (int)(len > 60 ? 60 : len), s + from);
        h->token_line = line;
        h->token_column = column;
        saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, message, NULL);
    }
}

/* One header item (the token is its "name:"). */
static void saferl_shield__hoa_header_item(saferl_shield__hoa *h) {
    if (saferl_shield__hoa_is(h, "States")) {
        saferl_shield__hoa_lex(h);
        if (h->token != SAFERL_SHIELD__HT_INT || h->number > (1ul << 24))
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "States: a number up to 2^24 expected", NULL);
        else if (h->number > h->max_states) /* before any allocation */
            saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "States: more than desc.max_states", NULL);
        if (h->cursor.failed) return;
        h->states = (uint32_t)h->number;
        h->have_states = 1;
        saferl_shield__hoa_lex(h);
    } else if (saferl_shield__hoa_is(h, "Start")) {
        saferl_shield__hoa_lex(h);
        if (h->token != SAFERL_SHIELD__HT_INT)
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "Start: a state number expected", NULL);
        else if (h->initial != SAFERL_SHIELD_NO_STATE)
            saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "a second Start: (non-deterministic)", NULL);
        if (h->cursor.failed) return;
        h->initial = h->number > (1ul << 24) ? (1u << 24) : (uint32_t)h->number;
        saferl_shield__hoa_lex(h);
        if (saferl_shield__hoa_punct(h, '&'))
            saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "universal start states (alternating automata)", NULL);
    } else if (saferl_shield__hoa_is(h, "AP")) {
        saferl_shield__hoa_read_ap(h);
    } else if (saferl_shield__hoa_is(h, "Acceptance")) {
        saferl_shield__hoa_read_acceptance(h);
    } else if (saferl_shield__hoa_is(h, "Alias")) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "Alias: is not supported", NULL);
    } else if (saferl_shield__hoa_is(h, "properties")) {
        saferl_shield__hoa_lex(h);
        while (h->token == SAFERL_SHIELD__HT_IDENT) {
            if (saferl_shield__hoa_is(h, "univ-branch"))
                saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "universal branching (univ-branch)", NULL);
            saferl_shield__hoa_lex(h);
        }
    } else if (saferl_shield__hoa_is(h, "saferl-semantics")) {
        saferl_shield__hoa_lex(h);
        h->finite = h->token == SAFERL_SHIELD__HT_IDENT && saferl_shield__hoa_is(h, "finite");
        if (h->token == SAFERL_SHIELD__HT_IDENT) saferl_shield__hoa_lex(h);
    } else {
        saferl_shield__hoa_lex(h); /* name:, tool:, acc-name:, unknown items: skipped */
        while (!saferl_shield__hoa_item_end(h) && h->token != SAFERL_SHIELD__HT_BAD) saferl_shield__hoa_lex(h);
        if (h->token == SAFERL_SHIELD__HT_BAD) saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "unterminated string", NULL);
    }
}

/* "HOA: v1", the items, up to --BODY--. */
static void saferl_shield__hoa_header(saferl_shield__hoa *h) {
    saferl_shield__hoa_lex(h);
    if (h->token != SAFERL_SHIELD__HT_HEADER || !saferl_shield__hoa_is(h, "HOA")) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "not a HOA file: 'HOA: v1' expected first", NULL);
        return;
    }
    saferl_shield__hoa_lex(h);
    if (h->token != SAFERL_SHIELD__HT_IDENT || !saferl_shield__hoa_is(h, "v1")) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_VERSION, "only HOA v1 is supported", NULL);
        return;
    }
    saferl_shield__hoa_lex(h);
    while (!h->cursor.failed && h->token != SAFERL_SHIELD__HT_BODY) {
        if (h->token != SAFERL_SHIELD__HT_HEADER) {
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE,
                                    h->token == SAFERL_SHIELD__HT_END ? "--BODY-- expected before the end" : "a header item (name:) expected", NULL);
            return;
        }
        saferl_shield__hoa_header_item(h);
    }
    if (h->cursor.failed) return;
    if (h->acceptance < 0) saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "the header has no Acceptance:", NULL);
    else if (h->initial == SAFERL_SHIELD_NO_STATE) saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "no Start: state", NULL);
    if (!h->have_ap) h->prop_count = 0;
}

/* "State: [label] q "name" {marks}": returns -1 when out of memory. *state_flags: 1 the state
   has a label, 2 it is marked (so are its edges). */
static int saferl_shield__hoa_state_line(saferl_shield__hoa *h, uint32_t *current, uint32_t *state_label, int *state_flags) {
    saferl_shield__hoa_edge *d;
    saferl_shield__hoa_lex(h);
    *state_flags = 0;
    if (saferl_shield__hoa_punct(h, '[')) {
        *state_label = saferl_shield__hoa_label(h);
        *state_flags = 1;
    }
    if (h->cursor.failed) return 0;
    if (h->token != SAFERL_SHIELD__HT_INT || h->number >= (1ul << 24)) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "State: a state number expected", NULL);
        return 0;
    }
    *current = (uint32_t)h->number;
    d = (saferl_shield__hoa_edge *)saferl_shield__vec_push(&h->declared);
    if (!d) return -1;
    memset(d, 0, sizeof *d);
    d->source = *current;
    d->line = h->token_line;
    d->column = h->token_column;
    if (*current > h->max_state) h->max_state = *current;
    saferl_shield__hoa_lex(h);
    if (h->token == SAFERL_SHIELD__HT_STRING) saferl_shield__hoa_lex(h);
    if (saferl_shield__hoa_acc_sig(h)) { /* a state mark marks its edges */
        uint32_t *m = (uint32_t *)saferl_shield__vec_push(&h->marked_states);
        if (!m) return -1;
        *m = *current;
        *state_flags |= 2;
    }
    return 0;
}

/* "[label] target {marks}": returns -1 when out of memory. */
static int saferl_shield__hoa_edge_line(saferl_shield__hoa *h, uint32_t source, int state_flags) {
    saferl_shield__hoa_edge *e;
    int labelled = 0;
    uint32_t line = h->token_line, column = h->token_column, guard = SAFERL_SHIELD_LEAF;
    if (saferl_shield__hoa_punct(h, '[')) {
        guard = saferl_shield__hoa_label(h);
        labelled = 1;
    }
    if (h->cursor.failed) return 0;
    if (h->token != SAFERL_SHIELD__HT_INT || h->number >= (1ul << 24)) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, "an edge's target state expected", NULL);
        return 0;
    }
    e = (saferl_shield__hoa_edge *)saferl_shield__vec_push(&h->edges);
    if (!e) return -1;
    e->guard = guard;
    e->source = source;
    e->target = (uint32_t)h->number;
    e->line = line;
    e->column = column;
    e->labelled = labelled;
    if (e->target > h->max_state) h->max_state = e->target;
    saferl_shield__hoa_lex(h);
    if (saferl_shield__hoa_punct(h, '&')) {
        saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, "universal branching (an edge to a conjunction of states)", NULL);
        return 0;
    }
    e = (saferl_shield__hoa_edge *)(void *)h->edges.data + h->edges.count - 1;
    e->marked = saferl_shield__hoa_acc_sig(h) || (state_flags & 2);
    return 0;
}

/* The states and edges up to --END--: returns -1 when out of memory. */
static int saferl_shield__hoa_body(saferl_shield__hoa *h) {
    uint32_t state_label = SAFERL_SHIELD_LEAF | 1u, current = 0;
    int state_flags = 0, in_state = 0;
    size_t first_edge = 0;
    saferl_shield__hoa_lex(h);
    while (!h->cursor.failed && h->token != SAFERL_SHIELD__HT_BODY_END) {
        if (h->token == SAFERL_SHIELD__HT_HEADER && saferl_shield__hoa_is(h, "State")) {
            if (in_state) saferl_shield__hoa_close_state(h, &h->edges, first_edge, state_flags & 1, state_label, current);
            if (saferl_shield__hoa_state_line(h, &current, &state_label, &state_flags) < 0) return -1;
            first_edge = h->edges.count;
            in_state = 1;
            continue;
        }
        if (h->token == SAFERL_SHIELD__HT_END || (!in_state && h->token != SAFERL_SHIELD__HT_ABORT)) {
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, in_state || h->token == SAFERL_SHIELD__HT_END ? "--END-- expected" : "State: expected", NULL);
            break;
        }
        if (h->token == SAFERL_SHIELD__HT_ABORT) {
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, in_state ? "the stream was aborted (--ABORT--)" : "State: expected", NULL);
            break;
        }
        if (saferl_shield__hoa_edge_line(h, current, state_flags) < 0) return -1;
    }
    if (!h->cursor.failed && in_state) saferl_shield__hoa_close_state(h, &h->edges, first_edge, state_flags & 1, state_label, current);
    if (!h->cursor.failed && h->dd->failed) saferl_shield__hoa_fail(h, SAFERL_ERR_OUT_OF_MEMORY, "out of memory", NULL);
    return 0;
}

/* The state numbers fit States: (or max_states), and no state has two sections. seen: a byte
   per state. */
static void saferl_shield__hoa_check_states(saferl_shield__hoa *h, unsigned char *seen) {
    size_t i;
    memset(seen, 0, (size_t)h->states + 1);
    for (i = 0; i < h->declared.count; ++i) { /* one section a state (Spot refuses a redeclaration too) */
        const saferl_shield__hoa_edge *d = (const saferl_shield__hoa_edge *)(void *)h->declared.data + i;
        if (seen[d->source]) {
            char message[80];
            snprintf(message, sizeof message, "state %u is declared twice", (unsigned)d->source);
            h->token_line = d->line;
            h->token_column = d->column;
            saferl_shield__hoa_fail(h, SAFERL_ERR_PARSE, message, NULL);
            return;
        }
        seen[d->source] = 1;
    }
}

/* Each state's transition function as a diagram: leaves 0 (no edge: the sink, state number
   states) or (target + 1) << 1 | mark, the edges merged in file order. Returns -1 when out
   of memory. */
static int saferl_shield__hoa_transitions(saferl_shield__hoa *h, uint32_t *trans) {
    uint32_t q, sink = h->states;
    size_t i;
    for (q = 0; q < h->states; ++q) trans[q] = SAFERL_SHIELD_LEAF;
    trans[sink] = SAFERL_SHIELD_LEAF | ((sink + 1) << 1);
    for (i = 0; i < h->edges.count; ++i) {
        const saferl_shield__hoa_edge *e = (const saferl_shield__hoa_edge *)(void *)h->edges.data + i;
        uint32_t g = saferl_shield__dd_apply(h->dd, SAFERL_SHIELD__DD_SELECT, e->guard,
                                             SAFERL_SHIELD_LEAF | ((e->target + 1) << 1) | (e->marked ? 1u : 0u));
        trans[e->source] = saferl_shield__dd_apply(h->dd, SAFERL_SHIELD__DD_MERGE, trans[e->source], g);
        if (h->dd->failed) return -1;
        if (h->dd->conflict) {
            char message[120];
            snprintf(message, sizeof message, "non-deterministic: state %u has two edges on one letter", (unsigned)e->source);
            h->token_line = e->line;
            h->token_column = e->column;
            saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED, message, NULL);
            return 0;
        }
    }
    return 0;
}

/* The automaton's table with its letters: every valuation up to 16 propositions, else the
   joint classes of the states' diagrams (states + 1: the last one is the sink where missing
   edges go). */
static saferl_result saferl_shield__hoa_table(saferl_shield__hoa *h, const uint32_t *trans, saferl_shield__classes *classes,
                                              saferl_shield_dfa *raw, const saferl_allocator *allocator) {
    saferl_shield__dd *dd = h->dd;
    saferl_result r;
    uint32_t q, j;
    if (h->prop_count <= SAFERL_SHIELD_DENSE_PROPS) {
        r = saferl_shield_dfa_create(raw, h->states + 1, h->prop_count, 0, allocator);
    } else {
        uint32_t joint = SAFERL_SHIELD_LEAF;
        for (q = 0; q <= h->states; ++q) {
            saferl_shield__dd_new_pairing(dd);
            joint = saferl_shield__dd_pair(dd, joint, trans[q]);
            if (dd->failed) return SAFERL_ERR_OUT_OF_MEMORY;
            if (dd->pairs.keys.count > SAFERL_SHIELD_MAX_LETTERS) {
                saferl_shield__hoa_fail(h, SAFERL_ERR_UNSUPPORTED,
                                        "more than 65536 classes of labels: the edges separate too many combinations "
                                        "of the propositions", NULL);
                return SAFERL_ERR_UNSUPPORTED;
            }
        }
        r = saferl_shield__classes_plan(dd, joint, (uint32_t)dd->pairs.keys.count, classes, allocator);
        if (r == SAFERL_OK)
            r = saferl_shield__dfa_new(raw, h->states + 1, h->prop_count, classes->letters, classes->rows.count,
                                       classes->rows.width, 0, allocator);
        if (r == SAFERL_OK) saferl_shield__dd_install(dd, joint, classes->letter_of, classes->label, &classes->rows, raw);
    }
    if (r != SAFERL_OK) return r;
    for (j = 0; j < h->prop_count; ++j) {
        raw->prop_bit[j] = h->ap_bit[j];
        memcpy(raw->prop_name[j], h->names[j], SAFERL_SHIELD_NAME_CAPACITY);
    }
    saferl_shield__compute_gather(raw);
    return SAFERL_OK;
}

/* Fills the table from the diagrams and sets which states accept: t, f, Inf(0) on finite
   words (marked states), Inf(0) as a safety language. live, seen: a byte per state. */
static saferl_result saferl_shield__hoa_accepting(saferl_shield__hoa *h, const uint32_t *trans, saferl_shield_dfa *raw,
                                                  unsigned char *live, unsigned char *seen,
                                                  const saferl_allocator *allocator) {
    uint32_t q, letter, states = h->states, sink = h->states;
    size_t edge_count = ((size_t)states + 1) << raw->letter_bits, i;
    unsigned char *edge_mark = (unsigned char *)saferl_shield__allocate(allocator, edge_count); /* a byte per edge */
    if (!edge_mark) return SAFERL_ERR_OUT_OF_MEMORY;
    for (q = 0; q <= states; ++q)
        for (letter = 0; letter < raw->letter_count; ++letter) {
            size_t at = ((size_t)q << raw->letter_bits) | letter;
            uint32_t leaf = saferl_shield__dd_leaf_at(h->dd, trans[q], saferl_shield_label_of_letter(raw, letter));
            raw->next[at] = leaf ? (leaf >> 1) - 1 : sink;
            edge_mark[at] = (unsigned char)(leaf & 1u);
        }
    for (q = 0; q <= states; ++q) raw->flags[q] = SAFERL_SHIELD_ACCEPTING;
    raw->flags[sink] = 0;
    if (h->acceptance == SAFERL_SHIELD__ACC_NONE)
        for (q = 0; q < states; ++q) raw->flags[q] = 0;
    if (h->acceptance == SAFERL_SHIELD__ACC_BUCHI && h->finite) {
        /* marked states are accepting: every edge of a marked state carries the mark */
        for (q = 0; q < states; ++q) {
            int marked = 1, any = 0;
            for (letter = 0; letter < raw->letter_count; ++letter) {
                size_t at = ((size_t)q << raw->letter_bits) | letter;
                if (raw->next[at] == sink && !edge_mark[at]) continue; /* a missing edge */
                any = 1;
                marked = marked && edge_mark[at];
            }
            raw->flags[q] = (uint8_t)((any && marked) ? SAFERL_SHIELD_ACCEPTING : 0);
        }
        for (i = 0; i < h->marked_states.count; ++i) {
            uint32_t m = ((const uint32_t *)(void *)h->marked_states.data)[i];
            if (m < states) raw->flags[m] = SAFERL_SHIELD_ACCEPTING;
        }
    } else if (h->acceptance == SAFERL_SHIELD__ACC_BUCHI) {
        if (saferl_shield__hoa_buchi_safety(h, raw, edge_mark, h->initial, live, seen, &h->declared, allocator) < 0) {
            saferl_shield__release(allocator, edge_mark);
            return SAFERL_ERR_OUT_OF_MEMORY;
        }
        for (q = 0; q < states; ++q) raw->flags[q] = (uint8_t)(live[q] ? SAFERL_SHIELD_ACCEPTING : 0);
    }
    saferl_shield__release(allocator, edge_mark);
    return SAFERL_OK;
}

/* Reads in phases: the header, the body (edges with guard diagrams), the state checks, each
   state's transition diagram, the table with its letters, acceptance; then the monitor is
   minimised. */
SAFERL_SHIELD_API saferl_result saferl_shield_read_hoa(const char *text, size_t length, const saferl_shield_desc *desc,
                                                       saferl_shield_dfa *dfa, saferl_shield_error *error) {
    saferl_shield__hoa h;
    saferl_shield_desc zero;
    const saferl_allocator *allocator;
    saferl_shield_dfa raw;
    saferl_shield__dd dd;
    saferl_shield__classes classes;
    unsigned char *seen = NULL, *live = NULL;
    uint32_t *trans = NULL;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    SAFERL_ASSERT(dfa != NULL);
    memset(&h, 0, sizeof h);
    desc = h.desc = saferl_shield__reader_start(&h.cursor, text, length, desc, &zero, error);
    allocator = &desc->allocator;
    h.dd = &dd;
    h.initial = SAFERL_SHIELD_NO_STATE;
    h.acceptance = -1;
    h.max_states = desc->max_states ? desc->max_states : (1u << 20);
    saferl_shield__dd_start(&dd, allocator);
    memset(&classes, 0, sizeof classes);
    saferl_shield__vec_start(&h.edges, sizeof(saferl_shield__hoa_edge), allocator);
    saferl_shield__vec_start(&h.marked_states, sizeof(uint32_t), allocator);
    saferl_shield__vec_start(&h.declared, sizeof(saferl_shield__hoa_edge), allocator);
    saferl_shield__hoa_header(&h);
    if (h.cursor.failed) goto failed;
    if (saferl_shield__hoa_body(&h) < 0) goto failed_r;
    if (h.cursor.failed) goto failed;
    if (!h.have_states) h.states = h.max_state + 1;
    if (h.states > h.max_states) saferl_shield__hoa_fail(&h, SAFERL_ERR_UNSUPPORTED, "a state number above desc.max_states", NULL);
    else if (h.states == 0 || h.initial >= h.states || h.max_state >= h.states)
        saferl_shield__hoa_fail(&h, SAFERL_ERR_PARSE, "a state number at or above States:", NULL);
    if (h.cursor.failed) goto failed;
    seen = (unsigned char *)saferl_shield__allocate(allocator, (size_t)h.states + 1);
    live = (unsigned char *)saferl_shield__allocate(allocator, (size_t)h.states + 1);
    trans = (uint32_t *)saferl_shield__allocate(allocator, ((size_t)h.states + 1) * sizeof(uint32_t));
    if (!seen || !live || !trans) goto failed_r;
    saferl_shield__hoa_check_states(&h, seen);
    if (h.cursor.failed) goto failed;
    if (saferl_shield__hoa_transitions(&h, trans) < 0) goto failed_r;
    if (h.cursor.failed) goto failed;
    r = saferl_shield__hoa_table(&h, trans, &classes, &raw, allocator);
    if (h.cursor.failed) goto failed;
    if (r != SAFERL_OK) goto failed_r;
    r = saferl_shield__hoa_accepting(&h, trans, &raw, live, seen, allocator);
    if (r != SAFERL_OK || h.cursor.failed) {
        saferl_shield_dfa_destroy(&raw);
        if (h.cursor.failed) goto failed;
        goto failed_r;
    }
    raw.initial = h.initial;
    raw.semantics = h.finite && h.acceptance == SAFERL_SHIELD__ACC_BUCHI ? SAFERL_SHIELD_FINITE : SAFERL_SHIELD_SAFETY;
    r = saferl_shield__finish_build(&raw, raw.semantics == SAFERL_SHIELD_SAFETY, dfa, allocator);
    if (r < 0) goto failed_r;
    goto done;
failed_r:
    saferl_shield__fail(error, r, 0, 0, saferl_result_string(r), NULL);
    goto done;
failed:
    r = error ? error->code : SAFERL_ERR_PARSE;
    if (r >= 0) r = SAFERL_ERR_PARSE;
done:
    saferl_shield__vec_free(&h.edges);
    saferl_shield__vec_free(&h.marked_states);
    saferl_shield__vec_free(&h.declared);
    saferl_shield__release(allocator, seen);
    saferl_shield__release(allocator, live);
    saferl_shield__release(allocator, trans);
    saferl_shield__classes_free(&classes, allocator);
    saferl_shield__dd_free(&dd);
    return r;
}

/* ---- reward machines ------------------------------------------------------------------------ */

typedef struct saferl_shield__rm_edge {
    uint32_t source, target;
    size_t first_cube, cube_count;
    double reward;
} saferl_shield__rm_edge;

typedef struct saferl_shield__cube {
    uint32_t care, value; /* letter matches when (letter & care) == value; care = ~0u: never */
} saferl_shield__cube;

/* A reward machine being read (the text format of Icarte et al.'s reward_machines). */
typedef struct saferl_shield__rm {
    saferl_shield__cursor cursor;
    size_t end;                        /* the current line's end (before a comment) */
    const saferl_shield_desc *desc;
    saferl_shield__index ids;          /* number in the file -> dense id */
    saferl_shield__vec edges, cubes, terminal;
    char props[SAFERL_SHIELD_MAX_PROPS];
    uint8_t bits[SAFERL_SHIELD_MAX_PROPS];
    uint32_t prop_count, initial;
} saferl_shield__rm;

static saferl_result saferl_shield__rm_out_of_memory(saferl_shield__rm *m) {
    return saferl_shield__cursor_fail_at(&m->cursor, SAFERL_ERR_OUT_OF_MEMORY, 0, 0, "out of memory", NULL);
}

/* A state number (blanks first) as a dense id; what: the error when there is none. */
static saferl_result saferl_shield__rm_state(saferl_shield__rm *m, uint32_t *id, const char *what) {
    saferl_shield__cursor *c = &m->cursor;
    unsigned long v;
    size_t start;
    saferl_shield__cursor_skip_blanks(c, m->end);
    start = c->pos;
    if (saferl_shield__cursor_number(c, m->end, &v) == 0) return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, c->pos, what, NULL);
    if (v >= SAFERL_SHIELD__NUMBER_CAP)
        return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, start, "a state number below 1000000000 expected", NULL);
    if (saferl_shield__index_get(&m->ids, (uint64_t)v, id, NULL) < 0) return saferl_shield__rm_out_of_memory(m);
    return SAFERL_OK;
}

/* ch after blanks: stepped over (1) or not there (0). */
static int saferl_shield__rm_expect(saferl_shield__rm *m, char ch) {
    saferl_shield__cursor *c = &m->cursor;
    saferl_shield__cursor_skip_blanks(c, m->end);
    if (c->pos < m->end && c->text[c->pos] == ch) {
        ++c->pos;
        return 1;
    }
    return 0;
}

/* ch after blanks, or the error message. */
static saferl_result saferl_shield__rm_require(saferl_shield__rm *m, char ch, const char *message) {
    if (saferl_shield__rm_expect(m, ch)) return SAFERL_OK;
    return saferl_shield__cursor_fail(&m->cursor, SAFERL_ERR_PARSE, m->cursor.pos, message, NULL);
}

/* "[u, v, ...]": the terminal states. */
static saferl_result saferl_shield__rm_terminals(saferl_shield__rm *m) {
    uint32_t id;
    if (!saferl_shield__rm_expect(m, '['))
        return saferl_shield__cursor_fail(&m->cursor, SAFERL_ERR_PARSE, m->cursor.pos,
                                          "the second line is the list of terminal states: '[' expected", NULL);
    if (saferl_shield__rm_expect(m, ']')) return SAFERL_OK;
    for (;;) {
        if (saferl_shield__rm_state(m, &id, "a terminal state number expected") < 0) return m->cursor.code;
        if (saferl_shield__vec_reserve(&m->terminal, id + 1) < 0) return saferl_shield__rm_out_of_memory(m);
        while (m->terminal.count <= id) m->terminal.data[m->terminal.count++] = 0;
        m->terminal.data[id] = 1;
        if (saferl_shield__rm_expect(m, ']')) return SAFERL_OK;
        if (saferl_shield__rm_require(m, ',', "',' or ']' expected") < 0) return m->cursor.code;
    }
}

/* One literal of a guard at k (a proposition is one character; True, False), into cube c. */
static saferl_result saferl_shield__rm_literal(saferl_shield__rm *m, size_t *k, size_t dnf_end, saferl_shield__cube *c) {
    const char *s = m->cursor.text;
    int negated = 0;
    size_t lit;
    uint32_t j;
    while (*k < dnf_end && s[*k] == ' ') ++*k;
    if (*k < dnf_end && s[*k] == '!') {
        negated = 1;
        ++*k;
        while (*k < dnf_end && s[*k] == ' ') ++*k;
    }
    lit = *k;
    while (*k < dnf_end && s[*k] != '&' && s[*k] != '|' && s[*k] != ' ') ++*k;
    if (*k - lit == 4 && memcmp(s + lit, "True", 4) == 0) {
        if (negated) c->care = ~0u;
        return SAFERL_OK;
    }
    if (*k - lit == 5 && memcmp(s + lit, "False", 5) == 0) {
        if (!negated) c->care = ~0u;
        return SAFERL_OK;
    }
    if (*k - lit == 1 && ((unsigned char)s[lit] < 33 || s[lit] == 127))
        return saferl_shield__cursor_fail(&m->cursor, SAFERL_ERR_PARSE, lit, "a proposition is a printable character", NULL);
    if (*k - lit != 1 || s[lit] == '(' || s[lit] == ')' || s[lit] == '!')
        return saferl_shield__cursor_fail(&m->cursor, SAFERL_ERR_PARSE, lit,
                                          "a guard literal is one character, True or False (optionally after !)", NULL);
    for (j = 0; j < m->prop_count && m->props[j] != s[lit]; ++j) {}
    if (j == m->prop_count) {
        int bit = saferl_shield__vocabulary_bit(m->desc, s + lit, 1, m->prop_count);
        if (bit < 0) return saferl_shield__cursor_fail(&m->cursor, SAFERL_ERR_PARSE, lit, "unknown proposition (not in the vocabulary)", NULL);
        if (m->prop_count == SAFERL_SHIELD_MAX_PROPS)
            return saferl_shield__cursor_fail(&m->cursor, SAFERL_ERR_UNSUPPORTED, lit,
                                              "a 17th proposition: reward machines are read over at most 16", NULL);
        m->props[m->prop_count] = s[lit];
        m->bits[m->prop_count++] = (uint8_t)bit;
    }
    if (c->care == ~0u) return SAFERL_OK;
    if ((c->care >> j) & 1u) {
        if (((c->value >> j) & 1u) != (uint32_t)!negated) c->care = ~0u; /* p & !p */
    } else {
        c->care |= 1u << j;
        if (!negated) c->value |= 1u << j;
    }
    return SAFERL_OK;
}

/* The guard between the quotes: terms separated by |, literals by &, '!' negates one
   proposition. Its cubes are appended. */
static saferl_result saferl_shield__rm_guard(saferl_shield__rm *m, size_t k, size_t dnf_end) {
    const char *s = m->cursor.text;
    for (;;) {
        saferl_shield__cube *c = (saferl_shield__cube *)saferl_shield__vec_push(&m->cubes);
        if (!c) return saferl_shield__rm_out_of_memory(m);
        for (;;) {
            if (saferl_shield__rm_literal(m, &k, dnf_end, c) < 0) return m->cursor.code;
            while (k < dnf_end && s[k] == ' ') ++k;
            if (!(k < dnf_end && s[k] == '&')) break;
            ++k;
        }
        if (k < dnf_end && s[k] == '|') {
            ++k;
            continue;
        }
        if (k < dnf_end) return saferl_shield__cursor_fail(&m->cursor, SAFERL_ERR_PARSE, k, "'&' or '|' expected in the guard", NULL);
        return SAFERL_OK;
    }
}

/* "ConstantRewardFunction(r)" */
static saferl_result saferl_shield__rm_reward(saferl_shield__rm *m, double *reward) {
    saferl_shield__cursor *c = &m->cursor;
    const char *s = c->text;
    char number[64];
    char *stop;
    size_t from, to;
    saferl_shield__cursor_skip_blanks(c, m->end);
    if (!(m->end - c->pos >= 23 && memcmp(s + c->pos, "ConstantRewardFunction(", 23) == 0))
        return saferl_shield__cursor_fail(c, SAFERL_ERR_UNSUPPORTED, c->pos,
                                          "only ConstantRewardFunction(r) rewards (others depend on the environment)", NULL);
    from = to = c->pos + 23;
    while (to < m->end && s[to] != ')') ++to;
    if (to >= m->end || to - from >= sizeof number || to == from)
        return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, from, "a number and ')' expected", NULL);
    memcpy(number, s + from, to - from);
    number[to - from] = '\0';
    *reward = strtod(number, &stop);
    while (*stop == ' ') ++stop;
    if (*stop != '\0') return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, from, "the reward is not a number", NULL);
    if (!(*reward == *reward) || *reward > 1.7976931348623157e308 || *reward < -1.7976931348623157e308)
        return saferl_shield__cursor_fail(c, SAFERL_ERR_NOT_FINITE, from, "the reward is not finite", NULL);
    c->pos = to + 1;
    return SAFERL_OK;
}

/* "(u1, u2, 'dnf', ConstantRewardFunction(r))" */
static saferl_result saferl_shield__rm_edge_line(saferl_shield__rm *m) {
    saferl_shield__cursor *c = &m->cursor;
    saferl_shield__rm_edge e;
    size_t open, close;
    memset(&e, 0, sizeof e);
    if (saferl_shield__rm_require(m, '(', "'(' expected: (u1, u2, 'dnf', reward)") < 0 ||
        saferl_shield__rm_state(m, &e.source, "a state number expected") < 0 ||
        saferl_shield__rm_require(m, ',', "',' expected") < 0 ||
        saferl_shield__rm_state(m, &e.target, "a state number expected") < 0 ||
        saferl_shield__rm_require(m, ',', "',' expected") < 0)
        return c->code;
    saferl_shield__cursor_skip_blanks(c, m->end);
    open = c->pos;
    if (open >= m->end || (c->text[open] != '\'' && c->text[open] != '"'))
        return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, open, "a quoted guard expected", NULL);
    if (!saferl_shield__cursor_quoted(c, open, m->end, 0, 0, &close))
        return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, open, "unterminated guard string", NULL);
    c->pos = close + 1;
    e.first_cube = m->cubes.count;
    if (saferl_shield__rm_guard(m, open + 1, close) < 0) return c->code;
    e.cube_count = m->cubes.count - e.first_cube;
    if (saferl_shield__rm_require(m, ',', "',' expected after the guard") < 0 || saferl_shield__rm_reward(m, &e.reward) < 0 ||
        saferl_shield__rm_require(m, ')', "')' expected") < 0)
        return c->code;
    saferl_shield__cursor_skip_blanks(c, m->end);
    if (c->pos != m->end) return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, c->pos, "unexpected text after the edge", NULL);
    {
        saferl_shield__rm_edge *slot = (saferl_shield__rm_edge *)saferl_shield__vec_push(&m->edges);
        if (!slot) return saferl_shield__rm_out_of_memory(m);
        *slot = e;
    }
    return SAFERL_OK;
}

/* Line by line: the initial state, the list of terminal states, then one edge a line ('#'
   outside quotes starts a comment; blank lines are skipped). */
static saferl_result saferl_shield__rm_lines(saferl_shield__rm *m) {
    saferl_shield__cursor *c = &m->cursor;
    const char *s = c->text;
    int seen_initial = 0, seen_terminal = 0;
    c->line = 0;
    while (c->pos < c->length) {
        size_t k, next;
        int quoted = 0;
        ++c->line;
        c->line_start = m->end = c->pos;
        while (m->end < c->length && s[m->end] != '\n') ++m->end;
        next = m->end + 1;
        for (k = c->line_start; k < m->end; ++k) { /* a comment runs to the end of the line (outside quotes) */
            if (s[k] == '\'' || s[k] == '"') quoted = !quoted;
            if (s[k] == '#' && !quoted) {
                m->end = k;
                break;
            }
        }
        saferl_shield__cursor_skip_blanks(c, m->end);
        if (c->pos < m->end) {
            if (!seen_initial) {
                if (saferl_shield__rm_state(m, &m->initial, "the first line is the initial state: a number") < 0) return c->code;
                saferl_shield__cursor_skip_blanks(c, m->end);
                if (c->pos != m->end) return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, c->pos, "unexpected text after the initial state", NULL);
                seen_initial = 1;
            } else if (!seen_terminal) {
                if (saferl_shield__rm_terminals(m) < 0) return c->code;
                seen_terminal = 1;
            } else if (saferl_shield__rm_edge_line(m) < 0) {
                return c->code;
            }
        }
        c->pos = next;
    }
    if (!seen_terminal)
        return saferl_shield__cursor_fail_at(c, SAFERL_ERR_PARSE, c->line + 1, 1,
                                             seen_initial ? "the list of terminal states is missing" : "empty reward machine", NULL);
    return SAFERL_OK;
}

/* The table over all 2^k letters: the first edge that holds wins per (source, letter);
   terminal states loop with reward 0; a letter no edge takes falls to the sink (the last
   state, dropped when no letter falls off). map: dense id -> state number. */
static saferl_result saferl_shield__rm_table(saferl_shield__rm *m, const uint32_t *map, saferl_shield_dfa *raw,
                                             const saferl_allocator *allocator) {
    uint32_t state_count = (uint32_t)m->ids.keys.count, sink = state_count, letters = 1u << m->prop_count, id, q, letter;
    const uint64_t *number = (const uint64_t *)(void *)m->ids.keys.data;
    size_t i;
    saferl_result r = saferl_shield_dfa_create(raw, state_count + 1, m->prop_count, 1, allocator);
    if (r != SAFERL_OK) return r;
    for (i = 0; i < ((size_t)state_count + 1) << m->prop_count; ++i) raw->next[i] = SAFERL_SHIELD_NO_STATE;
    for (i = 0; i < m->edges.count; ++i) {
        const saferl_shield__rm_edge *e = (const saferl_shield__rm_edge *)(void *)m->edges.data + i;
        if (m->terminal.data[e->source]) continue; /* edges out of terminal states are ignored */
        for (letter = 0; letter < letters; ++letter) {
            size_t at = ((size_t)map[e->source] << m->prop_count) | letter, k;
            int holds = 0;
            if (raw->next[at] != SAFERL_SHIELD_NO_STATE) continue;
            for (k = 0; k < e->cube_count && !holds; ++k) {
                const saferl_shield__cube *cube = (const saferl_shield__cube *)(void *)m->cubes.data + e->first_cube + k;
                holds = cube->care != ~0u && (letter & cube->care) == cube->value;
            }
            if (holds) {
                raw->next[at] = map[e->target];
                raw->reward[at] = e->reward;
            }
        }
    }
    for (id = 0; id <= state_count; ++id) {
        int is_terminal = id == sink || m->terminal.data[id];
        q = map[id];
        raw->flags[q] = (uint8_t)((id == sink ? 0 : SAFERL_SHIELD_ACCEPTING) | (is_terminal ? SAFERL_SHIELD_TERMINAL : 0));
        raw->stage[q] = id == sink ? 0 : (uint16_t)(number[id] > 65535 ? 65535 : number[id]);
        for (letter = 0; letter < letters; ++letter) {
            size_t at = ((size_t)q << m->prop_count) | letter;
            if (is_terminal || raw->next[at] == SAFERL_SHIELD_NO_STATE) {
                raw->next[at] = is_terminal ? q : sink;
                raw->reward[at] = 0.0;
            }
        }
    }
    raw->initial = map[m->initial];
    raw->sink = sink;
    raw->semantics = SAFERL_SHIELD_SAFETY;
    for (q = 0; q < m->prop_count; ++q) {
        raw->prop_name[q][0] = m->props[q];
        raw->prop_name[q][1] = '\0';
        raw->prop_bit[q] = m->bits[q];
    }
    return SAFERL_OK;
}

/* The table without its sink state (when no letter falls off the machine). */
static saferl_result saferl_shield__rm_drop_sink(saferl_shield_dfa *raw, const saferl_allocator *allocator) {
    uint32_t state_count = raw->state_count - 1;
    size_t i, entries = (size_t)state_count << raw->prop_count;
    saferl_shield_dfa trimmed;
    saferl_result r;
    for (i = 0; i < entries; ++i)
        if (raw->next[i] == raw->sink) return SAFERL_OK;
    if (state_count == 0) return SAFERL_OK;
    r = saferl_shield_dfa_create(&trimmed, state_count, raw->prop_count, 1, allocator);
    if (r != SAFERL_OK) return r;
    memcpy(trimmed.next, raw->next, entries * sizeof(uint32_t));
    memcpy(trimmed.reward, raw->reward, entries * sizeof(double));
    memcpy(trimmed.flags, raw->flags, state_count);
    memcpy(trimmed.stage, raw->stage, state_count * sizeof(uint16_t));
    trimmed.initial = raw->initial;
    trimmed.semantics = SAFERL_SHIELD_SAFETY;
    memcpy(trimmed.prop_bit, raw->prop_bit, sizeof raw->prop_bit);
    memcpy(trimmed.prop_name, raw->prop_name, sizeof raw->prop_name);
    saferl_shield_dfa_destroy(raw);
    *raw = trimmed;
    return SAFERL_OK;
}

/* Reads in phases: the lines (initial state, terminal states, edges with their guards as
   cubes), the table, the sink dropped when unused. */
SAFERL_SHIELD_API saferl_result saferl_shield_read_rm(const char *text, size_t length, const saferl_shield_desc *desc,
                                                      saferl_shield_dfa *dfa, saferl_shield_error *error) {
    saferl_shield_desc zero;
    const saferl_allocator *allocator;
    saferl_shield__rm m;
    saferl_shield_dfa raw;
    uint32_t *map = NULL; /* dense id -> state number in the automaton */
    uint32_t q, state_count;
    saferl_result r;
    SAFERL_ASSERT(dfa != NULL);
    memset(&m, 0, sizeof m);
    desc = m.desc = saferl_shield__reader_start(&m.cursor, text, length, desc, &zero, error);
    allocator = &desc->allocator;
    saferl_shield__index_start(&m.ids, allocator);
    saferl_shield__vec_start(&m.edges, sizeof(saferl_shield__rm_edge), allocator);
    saferl_shield__vec_start(&m.cubes, sizeof(saferl_shield__cube), allocator);
    saferl_shield__vec_start(&m.terminal, 1, allocator);
    r = saferl_shield__rm_lines(&m);
    if (r < 0) goto done;
    state_count = (uint32_t)m.ids.keys.count;
    map = (uint32_t *)saferl_shield__allocate(allocator, ((size_t)state_count + 1) * sizeof(uint32_t));
    if (!map || saferl_shield__vec_reserve(&m.terminal, state_count + 1) < 0) {
        r = saferl_shield__rm_out_of_memory(&m);
        goto done;
    }
    while (m.terminal.count <= state_count) m.terminal.data[m.terminal.count++] = 0;
    {   /* the file's own numbers as ids when they are 0 .. n-1 (stable ids across files) */
        const uint64_t *number = (const uint64_t *)(void *)m.ids.keys.data;
        int dense = 1;
        for (q = 0; q < state_count; ++q) dense &= number[q] < state_count;
        for (q = 0; q < state_count; ++q) map[q] = dense ? (uint32_t)number[q] : q;
        map[state_count] = state_count; /* the sink */
    }
    r = saferl_shield__rm_table(&m, map, &raw, allocator);
    if (r == SAFERL_OK) {
        r = saferl_shield__rm_drop_sink(&raw, allocator);
        if (r != SAFERL_OK) saferl_shield_dfa_destroy(&raw);
    }
    if (r != SAFERL_OK) {
        saferl_shield__fail(error, r, 0, 0, saferl_result_string(r), NULL);
        goto done;
    }
    r = saferl_shield_dfa_finish(&raw);
    if (r != SAFERL_OK) {
        saferl_shield_dfa_destroy(&raw);
        saferl_shield__fail(error, r, 0, 0, "inconsistent reward machine (a proposition bit used twice?)", NULL);
        goto done;
    }
    *dfa = raw;
done:
    saferl_shield__index_free(&m.ids);
    saferl_shield__vec_free(&m.edges);
    saferl_shield__vec_free(&m.cubes);
    saferl_shield__vec_free(&m.terminal);
    saferl_shield__release(allocator, map);
    return r;
}

/* ---- formats by content ---------------------------------------------------------------------- */

SAFERL_SHIELD_API saferl_shield_format saferl_shield_detect_format(const char *text, size_t length) {
    size_t p = 0, line_end;
    int number_line = 0;
    if (!text) return SAFERL_SHIELD_FORMULA;
    saferl_shield__skip_bom(&text, &length);
    while (p < length && (text[p] == ' ' || text[p] == '\t' || text[p] == '\r' || text[p] == '\n')) ++p;
    if (length - p >= 4 && memcmp(text + p, "HOA:", 4) == 0) return SAFERL_SHIELD_HOA;
    /* a reward machine: a line holding one number (and maybe a comment), then a [list] line */
    while (p < length) {
        size_t q;
        line_end = p;
        while (line_end < length && text[line_end] != '\n') ++line_end;
        q = p;
        while (q < line_end && (text[q] == ' ' || text[q] == '\t' || text[q] == '\r')) ++q;
        if (q == line_end || text[q] == '#') {
            p = line_end + 1;
            continue;
        }
        if (!number_line) {
            size_t digits = q;
            while (digits < line_end && text[digits] >= '0' && text[digits] <= '9') ++digits;
            if (digits == q) return SAFERL_SHIELD_FORMULA;
            while (digits < line_end && (text[digits] == ' ' || text[digits] == '\t' || text[digits] == '\r')) ++digits;
            if (digits < line_end && text[digits] != '#') return SAFERL_SHIELD_FORMULA;
            number_line = 1;
            p = line_end + 1;
            continue;
        }
        return text[q] == '[' ? SAFERL_SHIELD_REWARD_MACHINE : SAFERL_SHIELD_FORMULA;
    }
    return SAFERL_SHIELD_FORMULA;
}

SAFERL_SHIELD_API saferl_result saferl_shield_load(const char *text, size_t length, const saferl_shield_desc *desc,
                                                   saferl_shield_dfa *dfa, saferl_shield_error *error) {
    switch (saferl_shield_detect_format(text, length)) {
    case SAFERL_SHIELD_HOA: return saferl_shield_read_hoa(text, length, desc, dfa, error);
    case SAFERL_SHIELD_REWARD_MACHINE: return saferl_shield_read_rm(text, length, desc, dfa, error);
    default: return saferl_shield_compile(text, length, desc, dfa, error);
    }
}

/* ==== part 2: shield synthesis ============================================================ */

/* Layout of a game's memory, the same arithmetic for memory_size and init. */
typedef struct saferl_shield__game_layout {
    size_t game_states, edges, letters, size;
    int probabilistic;
} saferl_shield__game_layout;

static int saferl_shield__game_measure(const saferl_shield_abstraction *a, const saferl_shield_dfa *dfa,
                                       const saferl_shield_game_desc *desc, saferl_shield__game_layout *l) {
    size_t pairs, words, doubles, max_size = (size_t)-1;
    if (!a || !dfa || !a->offset || !a->label || a->state_count == 0 || a->action_count == 0 ||
        a->action_count > SAFERL_SHIELD_MAX_ACTIONS || dfa->state_count == 0)
        return -1;
    if ((uint64_t)a->state_count * dfa->state_count >= 0xFFFFFFFFull) return -1;
    if ((uint64_t)a->state_count * a->action_count >= 0xFFFFFFFFull) return -1;
    l->game_states = (size_t)a->state_count * dfa->state_count;
    pairs = (size_t)a->state_count * a->action_count;
    l->edges = a->offset[pairs];
    if (l->edges >= 0xFFFFFFFFu) return -1;
    l->letters = a->state_count < (dfa->letter_count) ? a->state_count : (size_t)1 << dfa->letter_bits;
    if (l->letters > max_size / 8 / dfa->state_count) return -1;
    l->probabilistic = desc && desc->horizon > 0;
    if (l->probabilistic && !a->probability) return -1;
    /* allowed, losing_rank, queue (+ allowed_probably), letter_id, letter_next, pred_offset, pred */
    words = l->game_states * (l->probabilistic ? 4 : 3);
    if (words / (l->probabilistic ? 4 : 3) != l->game_states) return -1;
    words += a->state_count + l->letters * dfa->state_count + a->state_count + 1 + l->edges;
    doubles = l->probabilistic ? l->game_states * 3 : 0;
    if (words > max_size / 8 || doubles > max_size / 16) return -1;
    if (l->game_states > max_size / 4) return -1;
    l->size = doubles * sizeof(double) + words * sizeof(uint32_t) + l->game_states + 64; /* + reachable */
    return 0;
}

SAFERL_SHIELD_API size_t saferl_shield_game_memory_size(const saferl_shield_abstraction *abstraction,
                                                        const saferl_shield_dfa *dfa,
                                                        const saferl_shield_game_desc *desc) {
    saferl_shield__game_layout l;
    return saferl_shield__game_measure(abstraction, dfa, desc, &l) < 0 ? 0 : l.size;
}

/* Checks an abstraction against the sizes and the definition; NULL when well formed. */
static saferl_result saferl_shield__check_abstraction(const saferl_shield_abstraction *a, size_t edge_capacity,
                                                      saferl_shield_error *error) {
    char detail[200];
    size_t pairs = (size_t)a->state_count * a->action_count, i;
    uint32_t e;
    if (a->offset[0] != 0)
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "abstraction: offset[0] is not 0", NULL);
    if (a->initial >= a->state_count)
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "abstraction: the initial state is not a state", NULL);
    if (a->offset[pairs] > edge_capacity || !a->successor)
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "abstraction: more successors than the game was laid out for", NULL);
    for (i = 0; i < pairs; ++i) {
        double total = 0.0;
        if (a->offset[i + 1] < a->offset[i]) {
            snprintf(detail, sizeof detail, "state %lu action %lu", (unsigned long)(i / a->action_count),
                     (unsigned long)(i % a->action_count));
            return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "abstraction: offsets decrease at ", detail);
        }
        for (e = a->offset[i]; e < a->offset[i + 1]; ++e) {
            if (a->successor[e] >= a->state_count) {
                snprintf(detail, sizeof detail, "state %lu action %lu: successor %lu is not a state (0 .. %lu)",
                         (unsigned long)(i / a->action_count), (unsigned long)(i % a->action_count),
                         (unsigned long)a->successor[e], (unsigned long)a->state_count - 1);
                return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "dangling successor: ", detail);
            }
            if (a->probability) {
                double p = a->probability[e];
                if (!(p > 0.0) || p > 1.0) {
                    snprintf(detail, sizeof detail, "state %lu action %lu", (unsigned long)(i / a->action_count),
                             (unsigned long)(i % a->action_count));
                    return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0,
                                               "probability outside (0, 1] at ", detail);
                }
                total += p;
            }
        }
        if (a->probability && a->offset[i + 1] > a->offset[i] && fabs(total - 1.0) > 1e-9) {
            snprintf(detail, sizeof detail, "state %lu action %lu: %.17g", (unsigned long)(i / a->action_count),
                     (unsigned long)(i % a->action_count), total);
            return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "probabilities do not sum to 1 at ", detail);
        }
    }
    return SAFERL_OK;
}

SAFERL_SHIELD_API saferl_result saferl_shield_game_init(saferl_shield_game *game,
                                                        const saferl_shield_abstraction *abstraction,
                                                        const saferl_shield_dfa *dfa,
                                                        const saferl_shield_game_desc *desc, void *memory,
                                                        size_t size, saferl_shield_error *error) {
    saferl_shield__game_layout l;
    saferl_shield_game g;
    unsigned char *p = (unsigned char *)memory;
    saferl_result r;
    SAFERL_ASSERT(game != NULL);
    saferl_shield__clear_error(error);
    if (desc && !(desc->threshold >= 0.0 && desc->threshold <= 1.0))
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0,
                                   "game_desc.threshold must be a probability in [0, 1]", NULL);
    if (saferl_shield__game_measure(abstraction, dfa, desc, &l) < 0)
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0,
                                   "game: empty or too large, more than 32 actions, or a probabilistic shield "
                                   "without probabilities", NULL);
    if (!memory || size < l.size) return saferl_shield__fail(error, SAFERL_ERR_BUFFER_TOO_SMALL, 0, 0, "game: buffer too small", NULL);
    if (((uintptr_t)p & 7u) != 0) return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "game: memory not 8-byte aligned", NULL);
    r = saferl_shield__check_abstraction(abstraction, l.edges, error);
    if (r < 0) return r;
    memset(&g, 0, sizeof g);
    g.env_state_count = abstraction->state_count;
    g.automaton_state_count = dfa->state_count;
    g.action_count = abstraction->action_count;
    g.game_state_count = (uint32_t)l.game_states;
    g.edge_capacity = l.edges;
    g.letter_capacity = (uint32_t)l.letters;
    if (l.probabilistic) {
        g.horizon = desc->horizon;
        g.threshold = desc->threshold;
        g.safety = (double *)(void *)p;
        p += l.game_states * sizeof(double);
        g.value_scratch = (double *)(void *)p;
        p += 2 * l.game_states * sizeof(double);
    }
    g.allowed = (uint32_t *)(void *)p;
    p += l.game_states * sizeof(uint32_t);
    g.losing_rank = (uint32_t *)(void *)p;
    p += l.game_states * sizeof(uint32_t);
    g.queue = (uint32_t *)(void *)p;
    p += l.game_states * sizeof(uint32_t);
    if (l.probabilistic) {
        g.allowed_probably = (uint32_t *)(void *)p;
        p += l.game_states * sizeof(uint32_t);
    }
    g.letter_id = (uint32_t *)(void *)p;
    p += (size_t)abstraction->state_count * sizeof(uint32_t);
    g.letter_next = (uint32_t *)(void *)p;
    p += l.letters * dfa->state_count * sizeof(uint32_t);
    g.pred_offset = (uint32_t *)(void *)p;
    p += ((size_t)abstraction->state_count + 1) * sizeof(uint32_t);
    g.pred = (uint32_t *)(void *)p;
    p += l.edges * sizeof(uint32_t);
    g.reachable = (uint8_t *)p;
    *game = g;
    return saferl_shield_game_solve(game, abstraction, dfa, error);
}

SAFERL_SHIELD_API saferl_result saferl_shield_game_create(saferl_shield_game *game,
                                                          const saferl_shield_abstraction *abstraction,
                                                          const saferl_shield_dfa *dfa,
                                                          const saferl_shield_game_desc *desc,
                                                          const saferl_allocator *allocator,
                                                          saferl_shield_error *error) {
    size_t size = saferl_shield_game_memory_size(abstraction, dfa, desc);
    void *memory;
    saferl_result r;
    if (size == 0) return saferl_shield_game_init(game, abstraction, dfa, desc, NULL, 0, error);
    memory = saferl_shield__allocate(allocator, size);
    if (!memory) return saferl_shield__fail(error, SAFERL_ERR_OUT_OF_MEMORY, 0, 0, "game: out of memory", NULL);
    r = saferl_shield_game_init(game, abstraction, dfa, desc, memory, size, error);
    if (r < 0) {
        saferl_shield__release(allocator, memory);
        return r;
    }
    game->owned_memory = memory;
    if (allocator) game->allocator = *allocator;
    return r;
}

SAFERL_SHIELD_API void saferl_shield_game_destroy(saferl_shield_game *game) {
    if (!game || !game->owned_memory) return;
    saferl_shield__release(&game->allocator, game->owned_memory);
    memset(game, 0, sizeof *game);
}

/* The probabilistic shield: V_0 = 1 off the sink, V_h(g) = max_a sum_s' P(s'|s,a) V_{h-1}(g'),
   and a is allowed in g when its h = horizon value reaches the threshold. */
static void saferl_shield__solve_probabilistic(saferl_shield_game *g, const saferl_shield_abstraction *a,
                                               uint32_t sink) {
    uint32_t Q = g->automaton_state_count, A = g->action_count, s, q, act, h;
    size_t G = g->game_state_count, i;
    double *previous = g->value_scratch, *current = g->value_scratch + G;
    for (i = 0; i < G; ++i) previous[i] = (uint32_t)(i % Q) == sink ? 0.0 : 1.0;
    g->below_threshold = 0;
    for (h = 1; h <= g->horizon; ++h) {
        int last = h == g->horizon;
        for (s = 0; s < g->env_state_count; ++s)
            for (q = 0; q < Q; ++q) {
                size_t gi = (size_t)s * Q + q;
                double best = 0.0, values[SAFERL_SHIELD_MAX_ACTIONS];
                uint32_t available = 0, mask = 0;
                if (q == sink) {
                    current[gi] = 0.0;
                    if (last) g->allowed_probably[gi] = 0;
                    continue;
                }
                for (act = 0; act < A; ++act) {
                    size_t pair = (size_t)s * A + act;
                    uint32_t e;
                    double v = 0.0;
                    if (a->offset[pair] == a->offset[pair + 1]) continue;
                    available |= 1u << act;
                    for (e = a->offset[pair]; e < a->offset[pair + 1]; ++e) {
                        uint32_t t = a->successor[e];
                        uint32_t qt = g->letter_next[(size_t)g->letter_id[t] * Q + q];
                        v += a->probability[e] * previous[(size_t)t * Q + qt];
                    }
                    values[act] = v;
                    if (v > best) best = v;
                }
                current[gi] = best;
                if (!last) continue;
                for (act = 0; act < A; ++act)
                    if (((available >> act) & 1u) && values[act] >= g->threshold) mask |= 1u << act;
                if (!mask && available) {
                    ++g->below_threshold;
                    for (act = 0; act < A; ++act)
                        if (((available >> act) & 1u) && values[act] >= best) mask |= 1u << act;
                }
                g->allowed_probably[gi] = mask;
            }
        {
            double *swap = previous;
            previous = current;
            current = swap;
        }
    }
    for (i = 0; i < G; ++i) g->safety[i] = previous[i];
}

/* The game states some play reaches from the initial one (breadth first; the queue is free
   once the attractor is done). The sink's states are reached but not left. */
static void saferl_shield__game_reach(saferl_shield_game *g, const saferl_shield_abstraction *a, uint32_t sink) {
    uint32_t Q = g->automaton_state_count, A = g->action_count, head = 0, tail = 0, act, e;
    memset(g->reachable, 0, g->game_state_count);
    g->reachable[g->initial] = 1;
    g->queue[tail++] = g->initial;
    while (head < tail) {
        uint32_t gi = g->queue[head++], s = gi / Q, q = gi % Q;
        if (q == sink) continue;
        for (act = 0; act < A; ++act)
            for (e = a->offset[(size_t)s * A + act]; e < a->offset[(size_t)s * A + act + 1]; ++e) {
                uint32_t t = a->successor[e], gj = t * Q + g->letter_next[(size_t)g->letter_id[t] * Q + q];
                if (g->reachable[gj]) continue;
                g->reachable[gj] = 1;
                g->queue[tail++] = gj;
            }
    }
}

SAFERL_SHIELD_API saferl_result saferl_shield_game_solve(saferl_shield_game *g, const saferl_shield_abstraction *a,
                                                         const saferl_shield_dfa *dfa, saferl_shield_error *error) {
    uint32_t S, Q, A, s, q, act, letters = 0, head = 0, tail = 0, sink;
    size_t pairs, i;
    saferl_result r;
    SAFERL_ASSERT(g != NULL && a != NULL && dfa != NULL);
    saferl_shield__clear_error(error);
    if (a->state_count != g->env_state_count || a->action_count != g->action_count ||
        dfa->state_count != g->automaton_state_count || (g->horizon && !a->probability))
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "game: sizes differ from the layout", NULL);
    r = saferl_shield__check_abstraction(a, g->edge_capacity, error);
    if (r < 0) return r;
    S = a->state_count;
    Q = dfa->state_count;
    A = a->action_count;
    pairs = (size_t)S * A;
    sink = dfa->sink;
    /* letters the labels produce, numbered; the automaton's successors per letter: the
       product is then one table lookup per edge */
    {
        /* letter -> id + 1 in the queue (free until the attractor) when 2^k fits in it, else a
           search of the few letters seen (then S is small) */
        size_t letter_space = (size_t)1 << dfa->letter_bits;
        int direct = letter_space <= g->game_state_count;
        if (direct) memset(g->queue, 0, letter_space * sizeof(uint32_t));
        for (s = 0; s < S; ++s) {
            uint32_t letter = saferl_shield_letter(dfa, a->label[s]), id = letters;
            if (direct) {
                if (g->queue[letter]) id = g->queue[letter] - 1;
            } else {
                for (id = 0; id < letters; ++id)
                    if (g->pred_offset[id] == letter) break;
            }
            if (id == letters) {
                if (letters == g->letter_capacity)
                    return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "game: more letters than laid out", NULL);
                g->pred_offset[id] = letter;
                if (direct) g->queue[letter] = id + 1;
                for (q = 0; q < Q; ++q) g->letter_next[(size_t)id * Q + q] = dfa->next[((size_t)q << dfa->letter_bits) | letter];
                ++letters;
            }
            g->letter_id[s] = id;
        }
    }
    /* predecessors of every abstraction state as (s * A + a), by counting sort */
    memset(g->pred_offset, 0, ((size_t)S + 1) * sizeof(uint32_t));
    for (i = 0; i < a->offset[pairs]; ++i) ++g->pred_offset[a->successor[i] + 1];
    for (s = 0; s < S; ++s) g->pred_offset[s + 1] += g->pred_offset[s];
    for (i = 0; i < pairs; ++i) {
        uint32_t e;
        for (e = a->offset[i]; e < a->offset[i + 1]; ++e) g->pred[g->pred_offset[a->successor[e]]++] = (uint32_t)i;
    }
    for (s = S; s > 0; --s) g->pred_offset[s] = g->pred_offset[s - 1];
    g->pred_offset[0] = 0;
    /* start: every available action allowed; the sink's states lose at rank 1 */
    for (s = 0; s < S; ++s) {
        uint32_t available = 0;
        for (act = 0; act < A; ++act)
            if (a->offset[(size_t)s * A + act + 1] > a->offset[(size_t)s * A + act]) available |= 1u << act;
        for (q = 0; q < Q; ++q) {
            size_t gi = (size_t)s * Q + q;
            g->allowed[gi] = available;
            g->losing_rank[gi] = 0;
            if (q == sink || !available) {
                g->losing_rank[gi] = 1; /* violated, or no action: the agent cannot go on */
                g->allowed[gi] = 0;
                g->queue[tail++] = (uint32_t)gi;
            }
        }
    }
    /* the environment's attractor to the violation: each losing (s', q') removes action a
       from every (s, q) with s' in succ(s, a) and dfa(q, label(s')) = q'; (s, q) loses when
       no action is left. Each game edge is looked at once per losing target: linear. */
    while (head < tail) {
        uint32_t lost = g->queue[head++], s2 = lost / Q, q2 = lost % Q, e;
        const uint32_t *to = g->letter_next + (size_t)g->letter_id[s2] * Q;
        uint32_t rank = g->losing_rank[lost] + 1;
        for (e = g->pred_offset[s2]; e < g->pred_offset[s2 + 1]; ++e) {
            uint32_t pair = g->pred[e], sp = pair / A, bit = 1u << (pair % A);
            uint32_t *allowed = g->allowed + (size_t)sp * Q;
            for (q = 0; q < Q; ++q) {
                if (to[q] != q2 || !(allowed[q] & bit)) continue;
                allowed[q] &= ~bit;
                if (!allowed[q] && !g->losing_rank[(size_t)sp * Q + q]) {
                    g->losing_rank[(size_t)sp * Q + q] = rank;
                    g->queue[tail++] = sp * Q + q;
                }
            }
        }
    }
    g->winning_count = g->game_state_count - tail;
    g->initial = a->initial * Q + g->letter_next[(size_t)g->letter_id[a->initial] * Q + dfa->initial];
    g->initial_winning = g->losing_rank[g->initial] == 0;
    saferl_shield__game_reach(g, a, sink);
    if (g->horizon) saferl_shield__solve_probabilistic(g, a, sink);
    return SAFERL_OK;
}

SAFERL_SHIELD_API int saferl_shield_game_realisable(const saferl_shield_game *game, saferl_shield_error *why) {
    char detail[200];
    uint32_t Q;
    SAFERL_ASSERT(game != NULL);
    saferl_shield__clear_error(why);
    if (game->initial_winning) return 1;
    Q = game->automaton_state_count;
    snprintf(detail, sizeof detail, " (abstraction state %lu, automaton state %lu) is losing: violation "
             "forced within %lu steps; %lu of %lu game states win",
             (unsigned long)(game->initial / Q), (unsigned long)(game->initial % Q),
             (unsigned long)game->losing_rank[game->initial] - 1, (unsigned long)game->winning_count,
             (unsigned long)game->game_state_count);
    saferl_shield__fail(why, SAFERL_ERR_INFEASIBLE, 0, 0, "unrealisable: the initial state", detail);
    return 0;
}

SAFERL_SHIELD_API uint32_t saferl_shield_game_correct(const saferl_shield_game *game, const uint32_t *mask,
                                                      uint32_t s, uint32_t q, const uint32_t *ranked,
                                                      uint32_t k, int *corrected) {
    uint32_t allowed = (mask ? mask : game->allowed)[(size_t)s * game->automaton_state_count + q], i;
    SAFERL_ASSERT(ranked != NULL && k >= 1);
    for (i = 0; i < k; ++i)
        if (ranked[i] < 32 && ((allowed >> ranked[i]) & 1u)) {
            if (corrected) *corrected = i > 0;
            return ranked[i];
        }
    if (!allowed) {
        if (corrected) *corrected = -1;
        return ranked[0];
    }
    if (corrected) *corrected = 1;
    for (i = 0; !((allowed >> i) & 1u); ++i) {
    }
    return i;
}

SAFERL_SHIELD_API saferl_result saferl_shield_game_explain(const saferl_shield_game *g, char *buffer,
                                                           size_t capacity, size_t *length) {
    saferl_shield__text t;
    uint32_t Q = g->automaton_state_count, listed = 0, rank;
    size_t i;
    char line[200];
    t.buffer = buffer;
    t.capacity = buffer ? capacity : 0;
    t.length = 0;
    if (length) *length = 0;
    snprintf(line, sizeof line, "%s: initial state (abstraction state %lu, automaton state %lu); %lu of %lu game states win\n",
             g->initial_winning ? "realisable" : "unrealisable", (unsigned long)(g->initial / Q),
             (unsigned long)(g->initial % Q), (unsigned long)g->winning_count, (unsigned long)g->game_state_count);
    saferl_shield__put(&t, line);
    if (!g->initial_winning) {
        snprintf(line, sizeof line, "whatever the agent does, the environment can force a violation within %lu steps\n",
                 (unsigned long)g->losing_rank[g->initial] - 1);
        saferl_shield__put(&t, line);
    }
    /* the reachable losing states that have not violated yet, latest-forced first: where it
       fails (an unreachable wall cell is no one's problem) */
    for (rank = 0xFFFFFFFFu; listed < 16;) {
        uint32_t best = 0;
        for (i = 0; i < g->game_state_count; ++i)
            if (g->reachable[i] && g->losing_rank[i] > 1 && g->losing_rank[i] < rank && g->losing_rank[i] > best)
                best = g->losing_rank[i];
        if (!best) break;
        for (i = 0; i < g->game_state_count && listed < 16; ++i)
            if (g->reachable[i] && g->losing_rank[i] == best) {
                if (!listed++) saferl_shield__put(&t, "losing states (abstraction state, automaton state: steps to a forced violation):\n");
                snprintf(line, sizeof line, "  %lu, %lu: %lu\n", (unsigned long)(i / Q), (unsigned long)(i % Q),
                         (unsigned long)best - 1);
                saferl_shield__put(&t, line);
            }
        rank = best;
    }
    return saferl_shield__text_end(&t, length);
}

/* ---- abstraction text ------------------------------------------------------------------------ */

/* An abstraction file being read: in two passes over the text, the first counts successors
   per (state, action), the second fills the arrays. */
typedef struct saferl_shield__abstraction_reader {
    saferl_shield__cursor cursor;
    const saferl_shield_desc *desc;
    const saferl_allocator *allocator;
    int pass, have_header, probabilistic;
    uint32_t S, A, I, max_states;
    size_t pairs, edges;
    uint32_t *count, *label, *offset, *successor;
    double *probability;
    unsigned char *memory;
    uint32_t multi_line, multi_column; /* the first line with several successors and no probabilities */
    uint32_t prop_count;
    char prop_name[SAFERL_SHIELD_LABEL_BITS][SAFERL_SHIELD_NAME_CAPACITY];
} saferl_shield__abstraction_reader;

/* blanks, and a comment from '#' to the end of the line */
static void saferl_shield__abstraction_skip(saferl_shield__cursor *c) {
    saferl_shield__cursor_skip_blanks(c, c->length);
    if (c->pos < c->length && c->text[c->pos] == '#')
        while (c->pos < c->length && c->text[c->pos] != '\n') ++c->pos;
}

static int saferl_shield__at_line_end(saferl_shield__cursor *c) {
    saferl_shield__abstraction_skip(c);
    return c->pos >= c->length || c->text[c->pos] == '\n';
}

/* An unsigned number below limit; -1 if there is none (the cursor stays at it). */
static int saferl_shield__read_uint(saferl_shield__cursor *c, unsigned long limit, uint32_t *value) {
    unsigned long v;
    size_t start;
    saferl_shield__abstraction_skip(c);
    start = c->pos;
    if (saferl_shield__cursor_number(c, c->length, &v) == 0) return -1;
    if (v >= limit) {
        c->pos = start; /* the error points at the number */
        return -1;
    }
    *value = (uint32_t)v;
    return 0;
}

static int saferl_shield__read_word(saferl_shield__cursor *c, const char *word) {
    size_t n = strlen(word);
    saferl_shield__abstraction_skip(c);
    if (c->length - c->pos < n || memcmp(c->text + c->pos, word, n) != 0) return -1;
    c->pos += n;
    return 0;
}

static saferl_result saferl_shield__abstraction_fail(saferl_shield__abstraction_reader *x, const char *message,
                                                     const char *detail) {
    return saferl_shield__cursor_fail(&x->cursor, SAFERL_ERR_PARSE, x->cursor.pos, message, detail);
}

/* "states N actions A initial I" */
static saferl_result saferl_shield__abstraction_header(saferl_shield__abstraction_reader *x) {
    saferl_shield__cursor *c = &x->cursor;
    if (saferl_shield__read_word(c, "states") < 0 || saferl_shield__read_uint(c, 1ul << 24, &x->S) < 0 || x->S == 0)
        return saferl_shield__abstraction_fail(x, "expected 'states N' with 1 <= N < 2^24", NULL);
    if (x->S > x->max_states) { /* before any allocation: a tiny file may not claim gigabytes */
        char detail[64];
        snprintf(detail, sizeof detail, " (%lu)", (unsigned long)x->max_states);
        while (c->pos > 0 && saferl_shield__is_digit(c->text[c->pos - 1])) --c->pos;
        return saferl_shield__abstraction_fail(x, "more states than desc.max_states", detail);
    }
    if (saferl_shield__read_word(c, "actions") < 0 || saferl_shield__read_uint(c, 33, &x->A) < 0 || x->A == 0)
        return saferl_shield__abstraction_fail(x, "expected 'actions A' with 1 <= A <= 32", NULL);
    if (saferl_shield__read_word(c, "initial") < 0 || saferl_shield__read_uint(c, x->S, &x->I) < 0)
        return saferl_shield__abstraction_fail(x, "expected 'initial I' with I a state", NULL);
    if (!saferl_shield__at_line_end(c)) return saferl_shield__abstraction_fail(x, "unexpected text after the header", NULL);
    x->have_header = 1;
    x->pairs = (size_t)x->S * x->A;
    if (x->pass == 0) {
        x->count = (uint32_t *)saferl_shield__allocate(x->allocator, (x->pairs + 1) * sizeof(uint32_t));
        if (!x->count) return saferl_shield__cursor_fail_at(c, SAFERL_ERR_OUT_OF_MEMORY, 0, 0, "out of memory", NULL);
        memset(x->count, 0, (x->pairs + 1) * sizeof(uint32_t));
    }
    return SAFERL_OK;
}

/* "label S name ...": the names true in state S (the vocabulary's bits, or new bits in order
   of appearance); pass 1 records them. */
static saferl_result saferl_shield__abstraction_label(saferl_shield__abstraction_reader *x) {
    saferl_shield__cursor *c = &x->cursor;
    const char *s = c->text;
    uint32_t state, bit;
    if (saferl_shield__read_uint(c, x->S, &state) < 0) return saferl_shield__abstraction_fail(x, "expected a state after 'label'", NULL);
    while (!saferl_shield__at_line_end(c)) {
        size_t start = c->pos, n;
        while (c->pos < c->length && !saferl_shield__cursor_blank(s[c->pos]) && s[c->pos] != '\n' && s[c->pos] != '#') ++c->pos;
        n = c->pos - start;
        if (n >= SAFERL_SHIELD_NAME_CAPACITY) {
            c->pos = start;
            return saferl_shield__abstraction_fail(x, "proposition name longer than 31 bytes", NULL);
        }
        if (x->pass == 0) continue;
        if (x->desc && x->desc->vocabulary) {
            int found = saferl_shield__vocabulary_bit(x->desc, s + start, n, SAFERL_SHIELD_NO_STATE);
            if (found < 0) {
                c->pos = start;
                return saferl_shield__abstraction_fail(x, "proposition not in the vocabulary", NULL);
            }
            bit = (uint32_t)found;
        } else {
            for (bit = 0; bit < x->prop_count; ++bit)
                if (strlen(x->prop_name[bit]) == n && memcmp(x->prop_name[bit], s + start, n) == 0) break;
            if (bit == x->prop_count) {
                if (bit == SAFERL_SHIELD_LABEL_BITS) {
                    c->pos = start;
                    return saferl_shield__abstraction_fail(x, "more than 32 propositions", NULL);
                }
                memcpy(x->prop_name[bit], s + start, n);
                x->prop_name[bit][n] = '\0';
                ++x->prop_count;
            }
        }
        x->label[state] |= 1u << bit;
    }
    return SAFERL_OK;
}

/* A probability after '@', in (0, 1]. */
static saferl_result saferl_shield__abstraction_probability(saferl_shield__abstraction_reader *x, double *p) {
    saferl_shield__cursor *c = &x->cursor;
    char number[40], *end;
    size_t k = 0;
    ++c->pos;
    while (c->pos < c->length && k + 1 < sizeof number && strchr("0123456789.eE+-", c->text[c->pos]))
        number[k++] = c->text[c->pos++];
    number[k] = '\0';
    *p = strtod(number, &end);
    if (k == 0 || *end != '\0' || !(*p > 0.0) || *p > 1.0) return saferl_shield__abstraction_fail(x, "probability must be in (0, 1]", NULL);
    return SAFERL_OK;
}

/* "S A: t t ..." or "S A: t@p t@p ...": the successors of (S, A), a set or a distribution. */
static saferl_result saferl_shield__abstraction_successors(saferl_shield__abstraction_reader *x) {
    saferl_shield__cursor *c = &x->cursor;
    uint32_t state, act, n = 0, t, first_column = 0;
    size_t pair;
    double total = 0.0;
    int line_probabilistic = -1;
    if (saferl_shield__read_uint(c, x->S, &state) < 0)
        return saferl_shield__abstraction_fail(x, "expected 'label S ...' or 'S A: successors' with S a state", NULL);
    if (saferl_shield__read_uint(c, x->A, &act) < 0) return saferl_shield__abstraction_fail(x, "expected an action (0 .. A-1)", NULL);
    if (saferl_shield__read_word(c, ":") < 0) return saferl_shield__abstraction_fail(x, "expected ':'", NULL);
    pair = (size_t)state * x->A + act;
    if (x->pass == 0 && x->count[pair + 1]) return saferl_shield__abstraction_fail(x, "this state and action already have successors", NULL);
    while (!saferl_shield__at_line_end(c)) {
        double p = 1.0;
        int has_p;
        uint32_t column = saferl_shield__cursor_column(c);
        if (n == 0) first_column = column;
        if (!saferl_shield__is_digit(c->text[c->pos])) return saferl_shield__abstraction_fail(x, "expected a successor state", NULL);
        if (saferl_shield__read_uint(c, 0xFFFFFFFFul, &t) < 0 || t >= x->S) {
            char detail[200];
            snprintf(detail, sizeof detail, " (states are 0 .. %lu)", (unsigned long)x->S - 1);
            return saferl_shield__cursor_fail_at(c, SAFERL_ERR_PARSE, c->line, column, "dangling successor: not a state", detail);
        }
        has_p = c->pos < c->length && c->text[c->pos] == '@';
        if (line_probabilistic < 0) line_probabilistic = has_p;
        if (has_p != line_probabilistic) return saferl_shield__abstraction_fail(x, "give a probability to every successor of a line or to none", NULL);
        if (has_p) {
            x->probabilistic = 1;
            if (saferl_shield__abstraction_probability(x, &p) < 0) return c->code;
            total += p;
        }
        if (x->pass == 1) {
            size_t e = x->offset[pair] + n;
            x->successor[e] = t;
            if (x->probability) x->probability[e] = p;
        }
        ++n;
    }
    if (n == 0) return saferl_shield__abstraction_fail(x, "expected at least one successor", NULL);
    if (line_probabilistic == 1 && fabs(total - 1.0) > 1e-6) return saferl_shield__abstraction_fail(x, "probabilities do not sum to 1", NULL);
    if (x->pass == 0) x->count[pair + 1] = n;
    /* a line without probabilities is a set, which a distribution file cannot hold unless it
       has one element (probability 1) */
    if (line_probabilistic == 0 && n > 1 && !x->multi_line) {
        x->multi_line = c->line;
        x->multi_column = first_column;
    }
    return SAFERL_OK;
}

/* After pass 0: one block for the labels, offsets, successors (and probabilities). */
static saferl_result saferl_shield__abstraction_allocate(saferl_shield__abstraction_reader *x) {
    size_t i, size;
    for (i = 0; i < x->pairs; ++i) x->count[i + 1] += x->count[i];
    x->edges = x->count[x->pairs];
    size = (size_t)x->S * sizeof(uint32_t) + (x->pairs + 1) * sizeof(uint32_t) + x->edges * sizeof(uint32_t) +
           (x->probabilistic ? x->edges * sizeof(double) : 0) + 16;
    x->memory = (unsigned char *)saferl_shield__allocate(x->allocator, size);
    if (!x->memory) return saferl_shield__cursor_fail_at(&x->cursor, SAFERL_ERR_OUT_OF_MEMORY, 0, 0, "out of memory", NULL);
    if (x->probabilistic) x->probability = (double *)(void *)x->memory;
    x->label = (uint32_t *)(void *)(x->memory + (x->probabilistic ? x->edges * sizeof(double) : 0));
    x->offset = x->label + x->S;
    x->successor = x->offset + x->pairs + 1;
    memset(x->label, 0, (size_t)x->S * sizeof(uint32_t));
    memcpy(x->offset, x->count, (x->pairs + 1) * sizeof(uint32_t));
    return SAFERL_OK;
}

/* One pass over the lines: the header, then label and successor lines. */
static saferl_result saferl_shield__abstraction_pass(saferl_shield__abstraction_reader *x) {
    saferl_shield__cursor *c = &x->cursor;
    saferl_result r;
    c->pos = c->line_start = 0;
    c->line = 1;
    x->have_header = 0;
    for (; c->pos <= c->length; ++c->pos, saferl_shield__cursor_new_line(c)) {
        if (saferl_shield__at_line_end(c)) {
            if (c->pos >= c->length) break;
            continue;
        }
        if (!x->have_header) r = saferl_shield__abstraction_header(x);
        else if (saferl_shield__read_word(c, "label") == 0) r = saferl_shield__abstraction_label(x);
        else r = saferl_shield__abstraction_successors(x);
        if (r < 0) return r;
    }
    if (!x->have_header) return saferl_shield__abstraction_fail(x, "no 'states N actions A initial I' line", NULL);
    if (x->probabilistic && x->multi_line)
        return saferl_shield__cursor_fail_at(c, SAFERL_ERR_PARSE, x->multi_line, x->multi_column,
                                             "successors without probabilities in a file with probabilities", NULL);
    return SAFERL_OK;
}

SAFERL_SHIELD_API saferl_result saferl_shield_read_abstraction(const char *text, size_t length,
                                                               const saferl_shield_desc *desc,
                                                               saferl_shield_abstraction *out,
                                                               saferl_shield_error *error) {
    saferl_shield__abstraction_reader x;
    saferl_shield_abstraction result;
    saferl_result r = SAFERL_OK;
    SAFERL_ASSERT(out != NULL);
    saferl_shield__clear_error(error);
    if (!text) return saferl_shield__fail(error, SAFERL_ERR_PARSE, 1, 1, "abstraction: no text", NULL);
    memset(&x, 0, sizeof x);
    saferl_shield__cursor_start(&x.cursor, text, length, error);
    x.desc = desc;
    x.allocator = desc ? &desc->allocator : NULL;
    x.max_states = desc && desc->max_states ? desc->max_states : (1u << 20);
    for (x.pass = 0; x.pass < 2 && r == SAFERL_OK; ++x.pass) {
        r = saferl_shield__abstraction_pass(&x);
        if (r == SAFERL_OK && x.pass == 0) r = saferl_shield__abstraction_allocate(&x);
    }
    if (r == SAFERL_OK) {
        memset(&result, 0, sizeof result);
        result.state_count = x.S;
        result.action_count = x.A;
        result.initial = x.I;
        result.label = x.label;
        result.offset = x.offset;
        result.successor = x.successor;
        result.probability = x.probability;
        result.prop_count = x.prop_count;
        memcpy(result.prop_name, x.prop_name, sizeof result.prop_name);
        if (desc && desc->vocabulary) {
            uint32_t j;
            for (j = 0; j < desc->vocabulary_count && j < SAFERL_SHIELD_LABEL_BITS; ++j) {
                size_t n = strlen(desc->vocabulary[j]);
                if (n >= SAFERL_SHIELD_NAME_CAPACITY) n = SAFERL_SHIELD_NAME_CAPACITY - 1;
                memcpy(result.prop_name[j], desc->vocabulary[j], n);
                result.prop_name[j][n] = '\0';
            }
            result.prop_count = j;
        }
        result.owned_memory = x.memory;
        if (x.allocator) result.allocator = *x.allocator;
        x.memory = NULL;
        *out = result;
    }
    saferl_shield__release(x.allocator, x.count);
    saferl_shield__release(x.allocator, x.memory);
    return r;
}

SAFERL_SHIELD_API void saferl_shield_abstraction_destroy(saferl_shield_abstraction *abstraction) {
    if (!abstraction || !abstraction->owned_memory) return;
    saferl_shield__release(&abstraction->allocator, abstraction->owned_memory);
    memset(abstraction, 0, sizeof *abstraction);
}

/* ---- gridworlds --------------------------------------------------------------------------------- */

SAFERL_SHIELD_API size_t saferl_shield_grid_memory_size(uint32_t width, uint32_t height) {
    size_t cells;
    if (width == 0 || height == 0 || (uint64_t)width * height >= (1ull << 28)) return 0;
    cells = (size_t)width * height;
    return cells * (sizeof(uint32_t) + 1) + 8;
}

SAFERL_SHIELD_API saferl_result saferl_shield_grid_init(saferl_shield_grid *grid, uint32_t width, uint32_t height,
                                                        const saferl_shield_legend_entry *legend,
                                                        uint32_t legend_count, void *memory, size_t size) {
    size_t need = saferl_shield_grid_memory_size(width, height), cells;
    SAFERL_ASSERT(grid != NULL);
    if (need == 0 || !legend || legend_count == 0 || legend_count > 255) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (((uintptr_t)memory & 7u) != 0) return SAFERL_ERR_INVALID_ARGUMENT;
    cells = (size_t)width * height;
    memset(grid, 0, sizeof *grid);
    grid->width = width;
    grid->height = height;
    grid->legend = legend;
    grid->legend_count = legend_count;
    grid->label = (uint32_t *)memory;
    grid->kind = (uint8_t *)memory + cells * sizeof(uint32_t);
    memset(grid->kind, 0, cells);
    {
        size_t i;
        for (i = 0; i < cells; ++i) grid->label[i] = legend[0].label;
    }
    return SAFERL_OK;
}

SAFERL_SHIELD_API saferl_result saferl_shield_grid_finish(saferl_shield_grid *grid, saferl_shield_error *error) {
    size_t cells = (size_t)grid->width * grid->height, i;
    uint32_t starts = 0, start = 0;
    for (i = 0; i < cells; ++i) {
        const saferl_shield_legend_entry *e;
        if (grid->kind[i] >= grid->legend_count)
            return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, (uint32_t)(i / grid->width) + 1,
                                       (uint32_t)(i % grid->width) + 1, "map: a cell kind outside the legend", NULL);
        e = &grid->legend[grid->kind[i]];
        grid->label[i] = e->label;
        if (e->flags & SAFERL_SHIELD_CELL_START) {
            if (starts++) {
                char detail[200];
                snprintf(detail, sizeof detail, " (the first is at line %lu, column %lu)", (unsigned long)(start / grid->width) + 1,
                         (unsigned long)(start % grid->width) + 1);
                return saferl_shield__fail(error, SAFERL_ERR_PARSE, (uint32_t)(i / grid->width) + 1,
                                           (uint32_t)(i % grid->width) + 1, "map: a second start", detail);
            }
            start = (uint32_t)i;
        }
    }
    if (!starts) return saferl_shield__fail(error, SAFERL_ERR_PARSE, 0, 0, "map: no start cell", NULL);
    grid->start = start;
    return SAFERL_OK;
}

static saferl_result saferl_shield__grid_create(saferl_shield_grid *grid, uint32_t width, uint32_t height,
                                                const saferl_shield_legend_entry *legend, uint32_t legend_count,
                                                const saferl_allocator *allocator, saferl_shield_error *error) {
    size_t size = saferl_shield_grid_memory_size(width, height);
    void *memory;
    saferl_result r;
    if (size == 0) return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "map: empty or larger than 2^28 cells", NULL);
    memory = saferl_shield__allocate(allocator, size);
    if (!memory) return saferl_shield__fail(error, SAFERL_ERR_OUT_OF_MEMORY, 0, 0, "out of memory", NULL);
    r = saferl_shield_grid_init(grid, width, height, legend, legend_count, memory, size);
    if (r < 0) {
        saferl_shield__release(allocator, memory);
        return saferl_shield__fail(error, r, 0, 0, "map: bad legend (1 .. 255 entries)", NULL);
    }
    grid->owned_memory = memory;
    if (allocator) grid->allocator = *allocator;
    return SAFERL_OK;
}

SAFERL_SHIELD_API void saferl_shield_grid_destroy(saferl_shield_grid *grid) {
    if (!grid || !grid->owned_memory) return;
    saferl_shield__release(&grid->allocator, grid->owned_memory);
    memset(grid, 0, sizeof *grid);
}

/* The map's size: rows are the non-empty lines (a trailing '\r' dropped), all equally wide. */
static saferl_result saferl_shield__grid_measure(saferl_shield__cursor *c, uint32_t *width, uint32_t *height) {
    const char *s = c->text;
    *width = *height = 0;
    for (;;) {
        size_t end = c->pos, row_end, wide;
        while (end < c->length && s[end] != '\n') ++end;
        row_end = end > c->line_start && s[end - 1] == '\r' ? end - 1 : end;
        wide = row_end - c->line_start;
        if (wide > 0) {
            if (wide >= (1u << 14)) return saferl_shield__cursor_fail_at(c, SAFERL_ERR_PARSE, c->line, 1, "map: a row wider than 16383 cells", NULL);
            if (*height == 0) *width = (uint32_t)wide;
            else if (wide != *width) {
                char detail[200];
                snprintf(detail, sizeof detail, " (%lu cells; the first row has %lu)", (unsigned long)wide, (unsigned long)*width);
                return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, row_end, "map: rows differ in width", detail);
            }
            if (++*height >= (1u << 14)) return saferl_shield__cursor_fail_at(c, SAFERL_ERR_PARSE, c->line, 1, "map: more than 16383 rows", NULL);
        }
        if (end >= c->length) break;
        c->pos = end + 1;
        saferl_shield__cursor_new_line(c);
    }
    if (*height == 0) return saferl_shield__cursor_fail_at(c, SAFERL_ERR_PARSE, 1, 1, "map: empty", NULL);
    return SAFERL_OK;
}

/* Every character is in the legend (checked before allocating); fills kind when given. */
static saferl_result saferl_shield__grid_cells(saferl_shield__cursor *c, const unsigned char *map, uint8_t *kind) {
    const char *s = c->text;
    size_t cell = 0;
    c->pos = c->line_start = 0;
    c->line = 1;
    while (c->pos < c->length) {
        unsigned char ch = (unsigned char)s[c->pos++];
        if (ch == '\n') {
            saferl_shield__cursor_new_line(c);
            continue;
        }
        if (ch == '\r' && (c->pos == c->length || s[c->pos] == '\n')) continue;
        if (map[ch] == 0xFF) {
            char detail[200];
            if (ch >= 32 && ch < 127) snprintf(detail, sizeof detail, " '%c'", ch);
            else snprintf(detail, sizeof detail, " (byte %u)", (unsigned)ch);
            return saferl_shield__cursor_fail(c, SAFERL_ERR_PARSE, c->pos - 1, "map: a character not in the legend:", detail);
        }
        if (kind) kind[cell++] = map[ch];
    }
    return SAFERL_OK;
}

SAFERL_SHIELD_API saferl_result saferl_shield_grid_read_text(const char *text, size_t length,
                                                             const saferl_shield_legend_entry *legend,
                                                             uint32_t legend_count, saferl_shield_grid *out,
                                                             const saferl_allocator *allocator,
                                                             saferl_shield_error *error) {
    uint32_t width, height, k;
    saferl_shield__cursor c;
    saferl_shield_grid grid;
    saferl_result r;
    unsigned char map[256];
    SAFERL_ASSERT(out != NULL);
    saferl_shield__clear_error(error);
    if (!text || !legend || legend_count == 0 || legend_count > 255)
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "map: no text or a bad legend", NULL);
    saferl_shield__cursor_start(&c, text, length, error);
    memset(map, 0xFF, sizeof map);
    for (k = legend_count; k-- > 0;) map[(unsigned char)legend[k].symbol] = (unsigned char)k;
    r = saferl_shield__grid_measure(&c, &width, &height);
    if (r == SAFERL_OK) r = saferl_shield__grid_cells(&c, map, NULL);
    if (r == SAFERL_OK) r = saferl_shield__grid_create(&grid, width, height, legend, legend_count, allocator, error);
    if (r < 0) return r;
    saferl_shield__grid_cells(&c, map, grid.kind);
    r = saferl_shield_grid_finish(&grid, error);
    if (r < 0) {
        saferl_shield_grid_destroy(&grid);
        return r;
    }
    *out = grid;
    return SAFERL_OK;
}

SAFERL_SHIELD_API saferl_result saferl_shield_grid_read_rgba(const uint8_t *pixels, uint32_t width, uint32_t height,
                                                             const saferl_shield_legend_entry *legend,
                                                             uint32_t legend_count, saferl_shield_grid *out,
                                                             const saferl_allocator *allocator,
                                                             saferl_shield_error *error) {
    saferl_shield_grid grid;
    saferl_result r;
    size_t i, cells;
    uint32_t k;
    SAFERL_ASSERT(out != NULL);
    saferl_shield__clear_error(error);
    if (!pixels || !legend || legend_count == 0 || legend_count > 255 || saferl_shield_grid_memory_size(width, height) == 0)
        return saferl_shield__fail(error, SAFERL_ERR_INVALID_ARGUMENT, 0, 0, "image: no pixels, a bad size or a bad legend", NULL);
    cells = (size_t)width * height;
    for (i = 0; i < cells; ++i) {
        const uint8_t *px = pixels + 4 * i;
        for (k = 0; k < legend_count; ++k)
            if (memcmp(px, legend[k].rgba, 4) == 0) break;
        if (k == legend_count) {
            char detail[200];
            snprintf(detail, sizeof detail, " #%02x%02x%02x (alpha %u) at x %lu, y %lu is not in the legend",
                     px[0], px[1], px[2], px[3], (unsigned long)(i % width), (unsigned long)(i / width));
            return saferl_shield__fail(error, SAFERL_ERR_PARSE, (uint32_t)(i / width) + 1, (uint32_t)(i % width) + 1,
                                       "image: colour", detail);
        }
    }
    r = saferl_shield__grid_create(&grid, width, height, legend, legend_count, allocator, error);
    if (r < 0) return r;
    for (i = 0; i < cells; ++i) {
        for (k = 0; memcmp(pixels + 4 * i, legend[k].rgba, 4) != 0; ++k) {
        }
        grid.kind[i] = (uint8_t)k;
    }
    r = saferl_shield_grid_finish(&grid, error);
    if (r < 0) {
        saferl_shield_grid_destroy(&grid);
        return r;
    }
    *out = grid;
    return SAFERL_OK;
}

SAFERL_SHIELD_API uint32_t saferl_shield_grid_move(const saferl_shield_grid *grid, uint32_t cell, uint32_t action) {
    uint32_t x = cell % grid->width, y = cell / grid->width, target = cell;
    switch (action) {
    case SAFERL_SHIELD_RIGHT: if (x + 1 < grid->width) target = cell + 1; break;
    case SAFERL_SHIELD_UP: if (y > 0) target = cell - grid->width; break;
    case SAFERL_SHIELD_LEFT: if (x > 0) target = cell - 1; break;
    case SAFERL_SHIELD_DOWN: if (y + 1 < grid->height) target = cell + grid->width; break;
    default: break;
    }
    if (grid->legend[grid->kind[target]].flags & SAFERL_SHIELD_CELL_WALL) target = cell;
    return target;
}

SAFERL_SHIELD_API uint32_t saferl_shield_grid_step(const saferl_shield_grid *grid, uint32_t cell, uint32_t action,
                                                   double slip, saferl_rng *rng) {
    if (slip > 0.0 && saferl_rng_uniform(rng) < slip) action = saferl_rng_bounded(rng, SAFERL_SHIELD_GRID_ACTIONS);
    return saferl_shield_grid_move(grid, cell, action);
}

SAFERL_SHIELD_API void saferl_shield_grid_place_items(saferl_shield_grid *grid, const saferl_shield_grid *base,
                                                      double shift, saferl_rng *rng) {
    size_t cells = (size_t)base->width * base->height, i;
    SAFERL_ASSERT(grid->width == base->width && grid->height == base->height);
    memcpy(grid->kind, base->kind, cells);
    memcpy(grid->label, base->label, cells * sizeof(uint32_t));
    grid->start = base->start;
    for (i = 0; i < cells; ++i) {
        const saferl_shield_legend_entry *e = &base->legend[base->kind[i]];
        double u;
        uint32_t way, x = (uint32_t)(i % base->width), y = (uint32_t)(i / base->width);
        size_t target;
        if (!(e->flags & SAFERL_SHIELD_CELL_ITEM) || !(shift > 0.0)) continue;
        u = saferl_rng_uniform(rng);
        if (!(u < 4.0 * shift)) continue;
        way = (uint32_t)(u / shift);
        if (way > 3) way = 3;
        if ((way == 0 && x + 1 >= base->width) || (way == 1 && y == 0) || (way == 2 && x == 0) ||
            (way == 3 && y + 1 >= base->height))
            continue;
        target = way == 0 ? i + 1 : way == 1 ? i - base->width : way == 2 ? i - 1 : i + base->width;
        /* onto a plain cell of the base map that no item has taken yet */
        if (base->legend[base->kind[target]].flags || base->label[target] || grid->kind[target] != base->kind[target]) continue;
        grid->kind[target] = base->kind[i];
        grid->label[target] = base->label[i];
        grid->kind[i] = base->kind[target];
        grid->label[i] = base->label[target];
    }
}

SAFERL_SHIELD_API void saferl_shield_grid_abstraction(const saferl_shield_grid *grid, double slip,
                                                      saferl_shield_abstraction *a, uint32_t *offset,
                                                      uint32_t *successor, double *probability) {
    uint32_t cells = grid->width * grid->height, cell, act, other, e = 0;
    memset(a, 0, sizeof *a);
    a->state_count = cells;
    a->action_count = SAFERL_SHIELD_GRID_ACTIONS;
    a->initial = grid->start;
    a->label = grid->label;
    a->offset = offset;
    a->successor = successor;
    a->probability = probability;
    for (cell = 0; cell < cells; ++cell)
        for (act = 0; act < SAFERL_SHIELD_GRID_ACTIONS; ++act) {
            uint32_t first = e, k;
            offset[cell * SAFERL_SHIELD_GRID_ACTIONS + act] = e;
            for (other = 0; other < SAFERL_SHIELD_GRID_ACTIONS; ++other) {
                double p = (other == act ? 1.0 - slip : 0.0) + slip / SAFERL_SHIELD_GRID_ACTIONS;
                uint32_t target = saferl_shield_grid_move(grid, cell, other);
                if (!(p > 0.0)) continue;
                for (k = first; k < e && successor[k] != target; ++k) {
                }
                if (k == e) {
                    successor[e] = target;
                    if (probability) probability[e] = 0.0;
                    ++e;
                }
                if (probability) probability[k] += p;
            }
        }
    offset[cells * SAFERL_SHIELD_GRID_ACTIONS] = e;
}

/* ---- the Minecraft-inspired world --------------------------------------------------------------- */

enum { SAFERL_SHIELD__LAVA = 1u << 0, SAFERL_SHIELD__CREEPER = 1u << 1, SAFERL_SHIELD__WOOD = 1u << 2,
       SAFERL_SHIELD__BENCH = 1u << 3, SAFERL_SHIELD__IRON = 1u << 4, SAFERL_SHIELD__SMITH = 1u << 5,
       SAFERL_SHIELD__DIAMOND = 1u << 6 };

SAFERL_SHIELD_API const saferl_shield_legend_entry *saferl_shield_minecraft_legend(uint32_t *count) {
    static const saferl_shield_legend_entry legend[] = {
        {'.', {255, 255, 255, 255}, 0, 0, "floor"},
        {'#', {64, 64, 64, 255}, SAFERL_SHIELD_CELL_WALL, 0, "wall"},
        {'S', {52, 152, 219, 255}, SAFERL_SHIELD_CELL_START, 0, "start"},
        {'L', {231, 76, 60, 255}, 0, SAFERL_SHIELD__LAVA, "lava"},
        {'C', {39, 174, 96, 255}, 0, SAFERL_SHIELD__CREEPER, "creeper"},
        {'w', {160, 110, 60, 255}, SAFERL_SHIELD_CELL_ITEM, SAFERL_SHIELD__WOOD, "wood"},
        {'b', {241, 196, 15, 255}, SAFERL_SHIELD_CELL_ITEM, SAFERL_SHIELD__BENCH, "work_bench"},
        {'i', {149, 165, 166, 255}, SAFERL_SHIELD_CELL_ITEM, SAFERL_SHIELD__IRON, "iron"},
        {'t', {142, 68, 173, 255}, SAFERL_SHIELD_CELL_ITEM, SAFERL_SHIELD__SMITH, "smith_table"},
        {'D', {26, 188, 156, 255}, SAFERL_SHIELD_CELL_GOAL, SAFERL_SHIELD__DIAMOND, "diamond"}};
    if (count) *count = (uint32_t)(sizeof legend / sizeof legend[0]);
    return legend;
}

SAFERL_SHIELD_API const char *saferl_shield_minecraft_map(void) {
    /* the diamond sits behind lava: reachable only once lava is allowed (wood, then a work
       bench); iron first leads to the armour branch, where lava stays forbidden */
    return "############\n"
           "#S..w...L.D#\n"
           "#.......L..#\n"
           "#..b....L..#\n"
           "#.......L..#\n"
           "#.i.....LLL#\n"
           "#..........#\n"
           "#..t....C..#\n"
           "#..........#\n"
           "############\n";
}

SAFERL_SHIELD_API uint32_t saferl_shield_minecraft_states(uint32_t level) {
    static const uint32_t states[4] = {1, 2, 3, 5};
    return level < 4 ? states[level] : 0;
}

SAFERL_SHIELD_API saferl_result saferl_shield_minecraft_safeguard(uint32_t level, saferl_shield_dfa *dfa, void *memory,
                                                                  size_t size) {
    static const char *const names[6] = {"lava", "creeper", "wood", "work_bench", "iron", "smith_table"};
    uint32_t q, letter, j;
    saferl_result r;
    if (level > 3) return SAFERL_ERR_INVALID_ARGUMENT;
    r = saferl_shield_dfa_init(dfa, 6, 6, 0, memory, size);
    if (r < 0) return r;
    for (j = 0; j < 6; ++j) saferl_shield_dfa_set_prop(dfa, j, names[j], j);
    dfa->sink = 5;
    dfa->flags[5] = 0;
    for (q = 0; q < 6; ++q) {
        dfa->stage[q] = (uint16_t)(q == 5 ? 0 : q);
        for (letter = 0; letter < 64; ++letter) {
            int lava = letter & 1u, creeper = (letter >> 1) & 1u, danger = lava || creeper;
            uint32_t next = q;
            if (q == 5) next = 5;
            else if (q == 2 && level >= 2) next = creeper ? 5 : 2;          /* wood + bench: lava allowed */
            else if (q == 4 && level >= 3) next = lava ? 5 : 4;             /* armour: creepers allowed */
            else if (danger) next = 5;
            else if (q == 0 && level >= 1 && (letter & SAFERL_SHIELD__WOOD)) next = 1;
            else if (q == 1 && level >= 2 && (letter & SAFERL_SHIELD__BENCH)) next = 2;
            else if (q == 1 && level >= 3 && (letter & SAFERL_SHIELD__IRON)) next = 3;
            else if (q == 3 && level >= 3 && (letter & SAFERL_SHIELD__SMITH)) next = 4;
            dfa->next[(q << 6) | letter] = next;
        }
    }
    return saferl_shield_dfa_finish(dfa);
}

/* ---- tabular Q-learning on the product --------------------------------------------------------- */

SAFERL_SHIELD_API size_t saferl_shield_qtable_memory_size(uint32_t env_states, uint32_t automaton_states,
                                                          uint32_t actions) {
    uint64_t pairs = (uint64_t)env_states * automaton_states;
    if (!env_states || !automaton_states || !actions || actions > SAFERL_SHIELD_MAX_ACTIONS) return 0;
    if (pairs * actions * sizeof(double) + pairs + 16 > (uint64_t)((size_t)-1) / 2) return 0;
    return (size_t)(pairs * actions * sizeof(double) + pairs + 16);
}

SAFERL_SHIELD_API saferl_result saferl_shield_qtable_init(saferl_shield_qtable *t, uint32_t env_states,
                                                          uint32_t automaton_states, uint32_t actions, void *memory,
                                                          size_t size) {
    size_t need = saferl_shield_qtable_memory_size(env_states, automaton_states, actions), pairs, i;
    SAFERL_ASSERT(t != NULL);
    if (!need) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (((uintptr_t)memory & 7u) != 0) return SAFERL_ERR_INVALID_ARGUMENT;
    memset(t, 0, sizeof *t);
    t->env_state_count = env_states;
    t->automaton_state_count = automaton_states;
    t->action_count = actions;
    t->alpha = 0.5;
    t->gamma = 0.95;
    t->epsilon = 0.1;
    t->r_safe = 0.0;
    t->r_violation = -1.0;
    t->tie_tolerance = 1e-6;
    t->reward_scale = 0.0;
    pairs = (size_t)env_states * automaton_states;
    t->value = (double *)memory;
    t->seen = (uint8_t *)(t->value + pairs * actions);
    for (i = 0; i < pairs * actions; ++i) t->value[i] = 0.0;
    memset(t->seen, 0, pairs);
    return SAFERL_OK;
}

SAFERL_SHIELD_API uint32_t saferl_shield_qtable_act(const saferl_shield_qtable *t, uint32_t s, uint32_t q, uint32_t mask,
                                                    double epsilon, saferl_rng *rng) {
    const double *v = t->value + ((size_t)s * t->automaton_state_count + q) * t->action_count;
    uint32_t a, count = 0, pick, full = t->action_count == 32 ? 0xFFFFFFFFu : (1u << t->action_count) - 1;
    double best = -1.7976931348623157e308;
    mask &= full;
    if (!mask) mask = full;
    if (saferl_rng_uniform(rng) < epsilon) {
        uint32_t n = 0;
        for (a = 0; a < t->action_count; ++a) n += (mask >> a) & 1u;
        pick = saferl_rng_bounded(rng, n);
        for (a = 0; a < t->action_count; ++a)
            if (((mask >> a) & 1u) && pick-- == 0) return a;
    }
    for (a = 0; a < t->action_count; ++a)
        if (((mask >> a) & 1u) && v[a] > best) best = v[a];
    best -= t->tie_tolerance * t->reward_scale; /* the near-best are ties */
    for (a = 0; a < t->action_count; ++a) count += ((mask >> a) & 1u) && v[a] >= best;
    pick = count > 1 ? saferl_rng_bounded(rng, count) : 0;
    for (a = 0; a < t->action_count; ++a)
        if (((mask >> a) & 1u) && v[a] >= best && pick-- == 0) return a;
    return 0;
}

SAFERL_SHIELD_API uint32_t saferl_shield_qtable_rank(const saferl_shield_qtable *t, uint32_t s, uint32_t q,
                                                     uint32_t *ranked) {
    const double *v = t->value + ((size_t)s * t->automaton_state_count + q) * t->action_count;
    uint32_t a, k = 0, i;
    for (a = 0; a < t->action_count; ++a) { /* insertion sort: a handful of actions */
        for (i = k; i > 0 && v[ranked[i - 1]] < v[a]; --i) ranked[i] = ranked[i - 1];
        ranked[i] = a;
        ++k;
    }
    return k;
}

static double saferl_shield__max_value(const saferl_shield_qtable *t, uint32_t s, uint32_t q) {
    const double *v = t->value + ((size_t)s * t->automaton_state_count + q) * t->action_count;
    double best = v[0];
    uint32_t a;
    for (a = 1; a < t->action_count; ++a)
        if (v[a] > best) best = v[a];
    return best;
}

/* The update itself, for callers that checked its indices. */
static void saferl_shield__q_update(saferl_shield_qtable *t, uint32_t s, uint32_t q, uint32_t a, double r, uint32_t s2,
                                    uint32_t q2, int done) {
    size_t pair = (size_t)s * t->automaton_state_count + q;
    double *v = t->value + pair * t->action_count + a;
    double target = done ? r : r + t->gamma * saferl_shield__max_value(t, s2, q2);
    if (fabs(r) > t->reward_scale) t->reward_scale = fabs(r);
    *v += t->alpha * (target - *v);
    t->seen[pair] = 1;
}

/* A real step's indices fit the table and its reward is finite. */
static saferl_result saferl_shield__check_step(const saferl_shield_qtable *t, uint32_t s, uint32_t a, uint32_t s2,
                                               double r) {
    if (s >= t->env_state_count || s2 >= t->env_state_count || a >= t->action_count)
        return SAFERL_ERR_INVALID_ARGUMENT;
    return fabs(r) <= 1.7976931348623157e308 ? SAFERL_OK : SAFERL_ERR_NOT_FINITE; /* NaN, inf */
}

SAFERL_SHIELD_API saferl_result saferl_shield_qtable_update(saferl_shield_qtable *t, uint32_t s, uint32_t q, uint32_t a,
                                                            double r, uint32_t s2, uint32_t q2, int done) {
    saferl_result status;
    if (!t) return SAFERL_ERR_INVALID_ARGUMENT;
    status = saferl_shield__check_step(t, s, a, s2, r);
    if (status != SAFERL_OK) return status;
    if (q >= t->automaton_state_count || q2 >= t->automaton_state_count) return SAFERL_ERR_INVALID_ARGUMENT;
    saferl_shield__q_update(t, s, q, a, r, s2, q2, done);
    return SAFERL_OK;
}

/* CRM over the automaton states first <= u < end (the sink skipped). */
static void saferl_shield__crm_states(saferl_shield_qtable *t, const saferl_shield_dfa *dfa, uint32_t first, uint32_t end,
                                      uint32_t s, uint32_t a, uint32_t s2, uint32_t label2, double task_reward,
                                      int task_done) {
    uint32_t u, letter = saferl_shield_letter(dfa, label2);
    for (u = first; u < end; ++u) {
        uint32_t u2;
        int violated;
        if (u == dfa->sink) continue;
        u2 = dfa->next[((size_t)u << dfa->letter_bits) | letter];
        violated = u2 == dfa->sink;
        saferl_shield__q_update(t, s, u, a, task_reward + (violated ? t->r_violation : t->r_safe), s2,
                                violated ? u : u2, task_done || violated);
    }
}

SAFERL_SHIELD_API saferl_result saferl_shield_qtable_update_crm(saferl_shield_qtable *t, const saferl_shield_dfa *dfa,
                                                                uint32_t active_states, uint32_t s, uint32_t a,
                                                                uint32_t s2, uint32_t label2, double task_reward,
                                                                int task_done) {
    saferl_result status;
    /* every successor in the dfa must have a place in the table */
    if (!t || !dfa || dfa->state_count > t->automaton_state_count) return SAFERL_ERR_INVALID_ARGUMENT;
    status = saferl_shield__check_step(t, s, a, s2, task_reward);
    if (status != SAFERL_OK) return status;
    if (active_states > dfa->state_count) active_states = dfa->state_count;
    saferl_shield__crm_states(t, dfa, 0, active_states, s, a, s2, label2, task_reward, task_done);
    return SAFERL_OK;
}

SAFERL_SHIELD_API int saferl_shield_dfa_at_least_as_strict(const saferl_shield_dfa *dfa, uint32_t stricter,
                                                           uint32_t state) {
    uint32_t letter;
    if (stricter >= dfa->state_count || state >= dfa->state_count || stricter == dfa->sink || state == dfa->sink)
        return 0;
    for (letter = 0; letter < dfa->letter_count; ++letter)
        if (dfa->next[((size_t)state << dfa->letter_bits) | letter] == dfa->sink &&
            dfa->next[((size_t)stricter << dfa->letter_bits) | letter] != dfa->sink)
            return 0;
    return 1;
}

SAFERL_SHIELD_API uint32_t saferl_shield_qtable_transfer_state(saferl_shield_qtable *t, uint32_t s, uint32_t q,
                                                               const uint32_t *donors, uint32_t donor_count) {
    uint32_t Q = t->automaton_state_count, A = t->action_count, n = 0, k, a;
    size_t pair = (size_t)s * Q + q;
    double *v = t->value + pair * A;
    if (s >= t->env_state_count || q >= Q || t->seen[pair]) return 0;
    for (k = 0; k < donor_count; ++k) {
        size_t donor = (size_t)s * Q + donors[k];
        if (donors[k] >= Q || donors[k] == q || !t->seen[donor]) continue;
        if (n++ == 0)
            for (a = 0; a < A; ++a) v[a] = 0.0;
        for (a = 0; a < A; ++a) v[a] += t->value[donor * A + a];
    }
    for (a = 0; n > 1 && a < A; ++a) v[a] /= n;
    return n;
}

SAFERL_SHIELD_API void saferl_shield_qtable_transfer(saferl_shield_qtable *t, const saferl_shield_dfa *dfa,
                                                     uint32_t from_states, uint32_t to_states) {
    uint32_t donors[64], s, q, i;
    if (to_states > t->automaton_state_count) to_states = t->automaton_state_count;
    if (to_states > dfa->state_count) to_states = dfa->state_count;
    for (q = from_states; q < to_states; ++q) {
        uint32_t count = 0;
        /* the donors of q: the earlier states at least as strict (at most 64, the first ones) */
        for (i = 0; i < from_states && i < t->automaton_state_count && count < 64; ++i)
            if (saferl_shield_dfa_at_least_as_strict(dfa, i, q) &&
                (t->transfer_donors != SAFERL_SHIELD_DONORS_SAME_RULE || saferl_shield_dfa_at_least_as_strict(dfa, q, i)))
                donors[count++] = i;
        for (s = 0; count && s < t->env_state_count; ++s) saferl_shield_qtable_transfer_state(t, s, q, donors, count);
    }
}

/* ---- transfer by counterfactual replay ---------------------------------------------------------- */

SAFERL_SHIELD_API size_t saferl_shield_replay_memory_size(size_t capacity) {
    if (!capacity || capacity > ((size_t)-1) / 2 / sizeof(saferl_shield_step)) return 0;
    return capacity * sizeof(saferl_shield_step);
}

SAFERL_SHIELD_API saferl_result saferl_shield_replay_init(saferl_shield_replay *replay, size_t capacity, void *memory,
                                                          size_t size) {
    size_t need = saferl_shield_replay_memory_size(capacity);
    SAFERL_ASSERT(replay != NULL);
    if (!need) return SAFERL_ERR_INVALID_ARGUMENT;
    if (!memory || size < need) return SAFERL_ERR_BUFFER_TOO_SMALL;
    if (((uintptr_t)memory & 7u) != 0) return SAFERL_ERR_INVALID_ARGUMENT;
    replay->step = (saferl_shield_step *)memory;
    replay->capacity = capacity;
    replay->count = replay->next = 0;
    return SAFERL_OK;
}

SAFERL_SHIELD_API void saferl_shield_replay_push(saferl_shield_replay *replay, uint32_t s, uint32_t a, uint32_t s2,
                                                 uint32_t label2, double task_reward, int task_done) {
    saferl_shield_step *step = replay->step + replay->next;
    step->task_reward = task_reward;
    step->s = s;
    step->s2 = s2;
    step->label2 = label2;
    step->a = (uint16_t)(a < 0xFFFFu ? a : 0xFFFFu); /* out of range stays out of range */
    step->task_done = (uint16_t)(task_done != 0);
    if (++replay->next == replay->capacity) replay->next = 0;
    if (replay->count < replay->capacity) ++replay->count;
}

/* The stored step k, oldest first. */
static const saferl_shield_step *saferl_shield__replay_at(const saferl_shield_replay *replay, size_t k) {
    size_t first = replay->count < replay->capacity ? 0 : replay->next;
    return replay->step + (first + k) % replay->capacity;
}

SAFERL_SHIELD_API saferl_result saferl_shield_qtable_transfer_replay(saferl_shield_qtable *t, const saferl_shield_dfa *dfa,
                                                                     uint32_t from_states, uint32_t to_states,
                                                                     const saferl_shield_replay *replay) {
    size_t k;
    uint32_t s, u;
    /* every successor in the dfa must have a place in the table */
    if (!t || !dfa || !replay || from_states >= to_states || to_states > dfa->state_count ||
        dfa->state_count > t->automaton_state_count || replay->count > replay->capacity ||
        (replay->count && !replay->step))
        return SAFERL_ERR_INVALID_ARGUMENT;
    for (s = 0; s < t->env_state_count; ++s) /* the new states must be new */
        for (u = from_states; u < to_states; ++u)
            if (t->seen[(size_t)s * t->automaton_state_count + u]) return SAFERL_ERR_INVALID_ARGUMENT;
    for (k = 0; k < replay->count; ++k) { /* every step checked before any is learned */
        const saferl_shield_step *step = saferl_shield__replay_at(replay, k);
        saferl_result status = saferl_shield__check_step(t, step->s, step->a, step->s2, step->task_reward);
        if (status != SAFERL_OK) return status;
    }
    for (k = 0; k < replay->count; ++k) {
        const saferl_shield_step *step = saferl_shield__replay_at(replay, k);
        saferl_shield__crm_states(t, dfa, from_states, to_states, step->s, step->a, step->s2, step->label2,
                                  step->task_reward, step->task_done);
    }
    return SAFERL_OK;
}

#endif /* SAFERL_SHIELD_IMPLEMENTATION_ONCE */
#endif /* SAFERL_SHIELD_IMPLEMENTATION */

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
