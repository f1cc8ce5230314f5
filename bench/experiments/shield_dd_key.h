/* A prototype, not a default: the LTL/LTLf compiler's states keyed by a reduced ordered
   decision diagram over the temporal atoms (issue 16), for measurement against the antichain
   key of saferl_shield.h. Include after saferl_shield.h built with
   SAFERL_SHIELD_EXPERIMENT_DD_KEY and SAFERL_SHIELD_IMPLEMENTATION in one translation unit;
   saferl_shield__dd_key_on = 1 routes compile_future here (formulas without F, U or M marks,
   up to 16 propositions; the others compile as before).

   The key. A residual is a positive (monotone) Boolean function of atoms (every node that is
   not & | true false: literals, X, G, W, R, windows). Modulo the sure implications between
   atoms (saferl_shield__implies, kept per atom by saferl_shield__atom_register), two
   residuals are equal exactly when they agree on the assignments closed under the
   implications. For a monotone f, f_down = f[x := x & I(x)], I(x) the conjunction of x and
   every atom x implies (transitively), is the least monotone function that agrees with f
   there; it is canonical for that equivalence and still monotone, so it is a diagram key:
   f == g modulo the implications iff f_down and g_down are the same node. (f AND C_S, C_S the
   implications among f's atoms, is canonical too but not monotone, which the progression below
   relies on.) Stability: I(x) grows when an atom met later is implied by x, so a residual keyed
   before and after that gets two keys: a duplicate state, which minimisation merges (never a
   merge of unequal residuals: a key only ever stands for functions equal modulo true
   implications). Windows are split into one-step windows (dk_window), so the antichain's window
   merges (saferl_shield__merge_rules) are the diagram's own. Not carried: p & !p = false (it
   only costs states).

   Progression. With lo <= hi (monotone), a node (x, lo, hi) is lo | (x & hi), so its successor
   after a letter is succ(lo) | (P(x) & succ(hi)), P(x) the diagram of x's memoised progression
   (saferl_shield__progress): one composition cached per (node, letter), shared by every state,
   no cube ever multiplied out. The key is a substitution, so it is taken on the way (of P(x)
   and of the parts), not by a pass over the result.

   Memory: the unique table, the operation caches and the memos are the compiler's vectors
   and indexes (its allocator), freed at the end of each compile; nothing else allocates.

   Round 2 (all off by default, switched by the bench's DK_* variables; measured in the
   README): the hybrid key (saferl_shield__dd_key_on = 2, below), the variable order by atom
   id (dk_order_by_atom), letters skipped when the state's atoms do not read them
   (dk_letters_alike), the operation cache scaled by the letters (dk_cache_scaled), the
   successors made once per tuple of atom progressions (dk_letter_tuples).

   Round 3 (off by default as well): a key without the implied atoms (dk_key_implied = 0), the
   atom steps memoised per (var, letter) (dk_step_memo), the order by the step an atom speaks
   about (dk_order_by_time), and the antichain phase's cube counts (dk_cube_stats) for choosing
   the switch signal.

   Round 4 (off by default): the per-formula switch as a race (dk_race, dk_race_rate): the
   diagram run started at the switch gives up when it costs more, in the header's work unit,
   than the antichain did over the same prefix, and the antichain goes on.

   Round 5 (off by default): the switch without starting again (dk_carry): the states met so far
   re-keyed by their diagrams, ids and transitions kept; guarded by the antichain's recent cost per
   state (dk_carry = 2); and a switch that also waits for a work budget (dk_switch_work). */

#ifndef SAFERL_SHIELD_DD_KEY_H
#define SAFERL_SHIELD_DD_KEY_H

#define DK_FALSE 0u
#define DK_TRUE 1u
#define DK_NONE 0xFFFFFFFFu
#define DK_REF_BITS 22 /* the unique table's key packs (var, lo, hi) in 20 + 22 + 22 bits */

typedef struct dk_node { uint32_t var, lo, hi; } dk_node;
typedef struct dk_entry { uint32_t a, b, c, result; } dk_entry; /* c: the operation, its letter, the epoch */

typedef struct dk_diagrams {
    saferl_shield__formulas *f;
    saferl_shield__vec nodes;        /* dk_node; 0 false, 1 true */
    saferl_shield__index unique;     /* packed (var, lo, hi) -> node - 2 */
    saferl_shield__vec cache;        /* dk_entry: the operation cache, direct-mapped and lossy */
    saferl_shield__vec var_of;       /* uint32_t per formula node: var + 1 */
    saferl_shield__vec atom_of;      /* uint32_t per var: formula node */
    saferl_shield__vec of_formula;   /* uint32_t per formula node: diagram + 1 */
    saferl_shield__vec implied;      /* uint32_t per var: I(var) + 1, and the edge count it was made at */
    saferl_shield__vec scratch, stamp; /* I(var)'s walk */
    uint32_t stamp_now;
    saferl_shield__vec lengths;      /* uint64_t per node, LTLf: bit 63 computed */
    saferl_shield__vec support, node_stamp, steps, firsts, afters; /* dk_successors' scratch */
    uint32_t node_stamp_now;
    uint32_t letters;                /* of the compile: dk_step_memo's row length */
    saferl_shield__vec step_of;      /* uint32_t per (var, letter): dk_atom_step + 1 */
    saferl_shield__vec reads_formula, reads_node; /* uint32_t per formula node, per diagram node: the
                                                     letter bits read, bit 31 computed */
    saferl_shield__vec rank_of;      /* uint64_t per var: dk_order_by_time's rank */
    size_t made;                     /* dk_make's unique-table probes (dk_race's cost) */
    int failed;
} dk_diagrams;

static saferl_result saferl_shield__compile_hybrid_key(saferl_shield__formulas *f, uint32_t root, int finite,
                                                       saferl_shield_dfa *out);
static dk_diagrams *dk_current; /* the compile in progress (one at a time, as the benches run) */
/* dk_race (round 4; with dk_switch_after, in the same compiler): at the switch the diagram run
   races the antichain over the prefix the antichain explored. Both keys' cost is counted in the
   header's work unit: f->work (the antichain's steps and nodes; dk_apply's calls are charged
   there too) plus SAFERL_SHIELD__MAKE_WORK per dk_make probe of the diagrams' unique table, the
   header's own charge for a table probe. The diagram run gives up (DK_GAVE_UP) once its cost
   exceeds the antichain's cost of the prefix before it has explored as many states; the
   antichain then goes on from where it stopped, and switches no more. So a formula the diagram
   loses on pays at most the prefix twice, and one it wins on the prefix twice, as before. */
static int dk_race;
/* dk_race_rate (DK_RACE_RATE=1): from a quarter of the prefix on, the diagram's cost is held to
   the antichain's cost per explored state over the prefix (the diagram gives up earlier). */
static int dk_race_rate;
static size_t dk_race_budget, dk_race_states; /* of the diagram run in progress; 0: no race */
static size_t dk_race_gave_up, dk_race_won;  /* counts, for the bench */
#define DK_GAVE_UP ((saferl_result)-1001)

static const dk_node *dk_at(const dk_diagrams *g, uint32_t n) { return (const dk_node *)(const void *)g->nodes.data + n; }

static uint32_t *dk_u32(saferl_shield__vec *v) { return (uint32_t *)(void *)v->data; }

/* Grows a per-id memo (two words an entry when pairs) to hold id, zero-filled. */
static int dk_memo_reach(dk_diagrams *g, saferl_shield__vec *memo, size_t id, size_t words) {
    size_t need = (id + 1) * words;
    if (memo->count >= need) return 0;
    if (saferl_shield__vec_reserve(memo, need) < 0) {
        g->failed = 1;
        return -1;
    }
    memset(dk_u32(memo) + memo->count, 0, (need - memo->count) * sizeof(uint32_t));
    memo->count = need;
    return 0;
}

/* The operation cache: a classic BDD computed table, direct-mapped and lossy (a lost entry is
   computed again), at least twice as many slots as nodes: grown, and emptied, by dk_make. */
/* The operation cache's slots per node. A successor is cached per (node, letter), so with 2
   slots a node the entries of one letter evict another's (dk_cache_scaled = 1: 2 x letters,
   at most 64, set per compile by dk_cache_for). */
static size_t dk_cache_per_node = 2;
static int dk_cache_scaled;

static void dk_cache_for(uint32_t letters) {
    dk_cache_per_node = dk_cache_scaled ? 2 * (letters < 32 ? letters : 32) : 2;
}

static void dk_cache_fit(dk_diagrams *g) {
    size_t size = g->cache.count ? g->cache.count : 256, i;
    if (g->cache.count >= dk_cache_per_node * g->nodes.count) return;
    while (size < dk_cache_per_node * g->nodes.count) size *= 2;
    if (saferl_shield__vec_reserve(&g->cache, size) < 0) {
        g->failed = 1;
        g->cache.count = 0;
        return;
    }
    g->cache.count = size;
    for (i = 0; i < size; ++i) ((dk_entry *)(void *)g->cache.data)[i].a = DK_NONE;
}

static uint32_t dk_make(dk_diagrams *g, uint32_t var, uint32_t lo, uint32_t hi) {
    uint32_t k;
    int added;
    dk_node *n;
    if (lo == hi) return lo;
    ++g->made;
    if (g->failed || var >= (1u << 20) || lo >= (1u << DK_REF_BITS) || hi >= (1u << DK_REF_BITS)) {
        g->failed = 1;
        return DK_FALSE;
    }
    if (saferl_shield__index_get(&g->unique, ((uint64_t)var << 44) | ((uint64_t)lo << 22) | hi, &k, &added) < 0) {
        g->failed = 1;
        return DK_FALSE;
    }
    if (!added) return k + 2;
    if (!(n = (dk_node *)saferl_shield__vec_push(&g->nodes))) {
        g->failed = 1;
        return DK_FALSE;
    }
    n->var = var, n->lo = lo, n->hi = hi;
    dk_cache_fit(g);
    return k + 2;
}

enum { DK_AND, DK_OR, DK_DOWN, DK_STEP }; /* DK_STEP + letter: the successor after letter */

static dk_entry *dk_slot(dk_diagrams *g, uint32_t a, uint32_t b, uint32_t c) {
    uint64_t h = ((uint64_t)a * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)b * 0xC2B2AE3D27D4EB4Full) ^ ((uint64_t)c << 40);
    return (dk_entry *)(void *)g->cache.data + ((h ^ (h >> 29)) & (g->cache.count - 1));
}

static uint32_t dk_cached(dk_diagrams *g, uint32_t a, uint32_t b, uint32_t c) {
    dk_entry *e = dk_slot(g, a, b, c);
    return e->a == a && e->b == b && e->c == c ? e->result : DK_NONE;
}

static void dk_remember(dk_diagrams *g, uint32_t a, uint32_t b, uint32_t c, uint32_t result) {
    dk_entry *e = dk_slot(g, a, b, c);
    e->a = a, e->b = b, e->c = c, e->result = result;
}

/* The variable order. By default the order of first meeting (dk_var's numbers); with
   dk_order_by_atom, the atoms' formula node ids, so a residual's diagram has the same order
   whichever way it was reached (the hybrid converts antichain residuals, whose cubes meet the
   atoms in another order than progression does). Any fixed total order keeps every diagram
   reduced and ordered when new variables come: they are in none of the diagrams made before. */
static int dk_order_by_atom = 0;
/* Round 3, dk_order_by_time (DK_ORDER=time or timedown): the order by the step an atom speaks
   about, fixed by the atom's own structure when it is met (no trying of orders): an atom is
   X^d c or a one-step window F[d..d] c / G[d..d] c over a core c, its step d the sum of the
   X's and the window bounds stripped; variables sorted by step (ascending, or descending with
   dk_order_by_time = 2), then by the core's node id, then by first meeting. Progression turns
   step d into step d - 1 for every atom alike, so the relative order of a residual's atoms
   is kept from one state to the next. */
static int dk_order_by_time = 0;

/* An atom's step d and core c (above). */
static uint32_t dk_step_of(saferl_shield__formulas *f, uint32_t atom, uint32_t *core) {
    uint32_t step = 0;
    for (;;) {
        const saferl_shield__node *n = saferl_shield__at(f, atom);
        if (n->op == SAFERL_SHIELD__NEXT || n->op == SAFERL_SHIELD__STRONG_NEXT || n->op == SAFERL_SHIELD__WEAK_NEXT)
            ++step, atom = n->a;
        else if ((n->op == SAFERL_SHIELD__BOUNDED_F || n->op == SAFERL_SHIELD__BOUNDED_G) && n->lo == n->hi && n->lo >= 0)
            step += (uint32_t)n->lo, atom = n->a;
        else
            break;
    }
    *core = atom;
    return step;
}

/* The rank of a new variable under dk_order_by_time (unique: the low 20 bits are the var). */
static uint64_t dk_time_rank(saferl_shield__formulas *f, uint32_t atom, uint32_t var) {
    uint32_t core, step = dk_step_of(f, atom, &core);
    if (step > 4095) step = 4095;
    if (dk_order_by_time == 2) step = 4095 - step;
    return ((uint64_t)step << 52) | ((uint64_t)core << 20) | var;
}

static uint64_t dk_rank(const dk_diagrams *g, uint32_t var) {
    if (var == DK_NONE) return ~(uint64_t)0; /* the terminals, below every variable */
    if (dk_order_by_time) return ((const uint64_t *)(const void *)g->rank_of.data)[var];
    return dk_order_by_atom ? ((const uint32_t *)(const void *)g->atom_of.data)[var] : var;
}

/* a AND b, a OR b. */
static uint32_t dk_apply(dk_diagrams *g, int op, uint32_t a, uint32_t b) {
    uint32_t k, va, vb, v, lo, hi, result;
    dk_entry *e;
    size_t size;
    if (op == DK_AND) {
        if (a == DK_FALSE || b == DK_FALSE) return DK_FALSE;
        if (a == DK_TRUE || a == b) return b;
        if (b == DK_TRUE) return a;
    } else {
        if (a == DK_TRUE || b == DK_TRUE) return DK_TRUE;
        if (a == DK_FALSE || a == b) return b;
        if (b == DK_FALSE) return a;
    }
    if (g->failed || saferl_shield__charge(g->f, 1)) return DK_FALSE;
    if (a > b) k = a, a = b, b = k;
    e = dk_slot(g, a, b, (uint32_t)op);
    if (e->a == a && e->b == b && e->c == (uint32_t)op) return e->result;
    size = g->cache.count;
    va = dk_at(g, a)->var, vb = dk_at(g, b)->var;
    v = dk_rank(g, va) < dk_rank(g, vb) ? va : vb;
    lo = dk_apply(g, op, va == v ? dk_at(g, a)->lo : a, vb == v ? dk_at(g, b)->lo : b);
    hi = dk_apply(g, op, va == v ? dk_at(g, a)->hi : a, vb == v ? dk_at(g, b)->hi : b);
    result = dk_make(g, v, lo, hi);
    if (g->failed) return DK_FALSE;
    if (g->cache.count != size) e = dk_slot(g, a, b, (uint32_t)op); /* grown meanwhile */
    e->a = a, e->b = b, e->c = (uint32_t)op, e->result = result;
    return result;
}

/* The variable of atom (a formula node), numbered in order of first meeting (a later atom
   sits lower in the order, so diagrams made before stay reduced and ordered). The atom is
   met in the compiler's registry too, which finds its implications with the atoms before. */
static uint32_t dk_var(dk_diagrams *g, uint32_t atom) {
    saferl_shield__formulas *f = g->f;
    uint32_t var, k, *slot;
    int added;
    if (dk_memo_reach(g, &g->var_of, atom, 1) < 0) return 0;
    if (dk_u32(&g->var_of)[atom]) return dk_u32(&g->var_of)[atom] - 1;
    var = (uint32_t)g->atom_of.count;
    if (!(slot = (uint32_t *)saferl_shield__vec_push(&g->atom_of))) {
        g->failed = 1;
        return 0;
    }
    *slot = atom;
    dk_u32(&g->var_of)[atom] = var + 1;
    if (dk_order_by_time) {
        uint64_t *rank = (uint64_t *)saferl_shield__vec_push(&g->rank_of);
        if (!rank) {
            g->failed = 1;
            return 0;
        }
        *rank = dk_time_rank(f, atom, var);
    }
    if (saferl_shield__index_get(&f->atoms, atom, &k, &added) < 0 || (added && saferl_shield__atom_register(f, atom, k) < 0))
        g->failed = 1;
    return var;
}

static uint32_t dk_of_formula(dk_diagrams *g, uint32_t id);

/* A window as its one-step windows: F[lo..hi] x = OR of F[i..i] x (X^i x), G[lo..hi] x = AND
   of G[i..i] x (N^i x in LTLf; in LTL saferl_shield__window writes every one-step window as
   F[i..i]). The antichain merges overlapping and touching rule windows into one (new atoms,
   not an implication: saferl_shield__merge_rules); over one-step windows that merge is the
   diagram's own (a set of steps), and so is F[0..i] x | F[0..j] x. Kept whole, the F windows
   of one operand imply one another in a chain (F[0..i] x => F[0..j] x, i <= j), and a key
   carries every implied atom: G(a -> F[0..498] b) took 6,859 M instructions, 105 M so. */
static uint32_t dk_window(dk_diagrams *g, int is_f, int32_t lo, int32_t hi, uint32_t a) {
    uint32_t result = is_f ? DK_FALSE : DK_TRUE;
    int32_t i;
    for (i = hi; i >= lo && !g->failed; --i) {
        uint32_t unit = dk_of_formula(g, saferl_shield__window(g->f, is_f, i, i, a, 0, 0));
        result = dk_apply(g, is_f ? DK_OR : DK_AND, unit, result);
    }
    return result;
}

/* The diagram of a formula made of & | over atoms (memoised per formula node). */
static uint32_t dk_of_formula(dk_diagrams *g, uint32_t id) {
    const saferl_shield__node *n = saferl_shield__at(g->f, id);
    uint32_t op = n->op, a = n->a, b = n->b, result;
    if (op == SAFERL_SHIELD__TRUE) return DK_TRUE;
    if (op == SAFERL_SHIELD__FALSE) return DK_FALSE;
    if (dk_memo_reach(g, &g->of_formula, id, 1) < 0) return DK_FALSE;
    if (dk_u32(&g->of_formula)[id]) return dk_u32(&g->of_formula)[id] - 1;
    if (op == SAFERL_SHIELD__AND || op == SAFERL_SHIELD__OR) {
        uint32_t x = dk_of_formula(g, a), y = dk_of_formula(g, b);
        result = dk_apply(g, op == SAFERL_SHIELD__AND ? DK_AND : DK_OR, x, y);
    } else if ((op == SAFERL_SHIELD__BOUNDED_F || op == SAFERL_SHIELD__BOUNDED_G) && n->lo < n->hi) {
        result = dk_window(g, op == SAFERL_SHIELD__BOUNDED_F, n->lo, n->hi, a);
    } else {
        result = dk_make(g, dk_var(g, id), DK_FALSE, DK_TRUE);
    }
    if (dk_memo_reach(g, &g->of_formula, id, 1) < 0) return DK_FALSE;
    dk_u32(&g->of_formula)[id] = result + 1;
    return result;
}

/* The version of the implications the caches were made under. DK_FRESH_KEYS: a key is made
   again whenever an atom met later brings new implications (canonical for the relation known
   now; but every cached key and successor goes stale at each new edge); without it, a key
   stays as first made (stable, possibly a duplicate state). */
#ifdef DK_FRESH_KEYS
static size_t dk_epoch(const dk_diagrams *g) { return g->f->implied_edges.count + 1; }
#else
static size_t dk_epoch(const dk_diagrams *g) { (void)g; return 1; }
#endif

/* I(var): var and every atom it implies, transitively, as one cube (memoised, made again when
   new implications have been found since). */
static uint32_t dk_implied(dk_diagrams *g, uint32_t var) {
    saferl_shield__formulas *f = g->f;
    uint32_t epoch = (uint32_t)dk_epoch(g), result = DK_TRUE, *list, count, i, e;
    if (dk_memo_reach(g, &g->implied, var, 2) < 0) return DK_FALSE;
    if (dk_u32(&g->implied)[2 * var] && dk_u32(&g->implied)[2 * var + 1] == epoch) return dk_u32(&g->implied)[2 * var] - 1;
    g->scratch.count = 0;
    if (dk_memo_reach(g, &g->stamp, g->atom_of.count, 1) < 0) return DK_FALSE;
    ++g->stamp_now; /* a walk's marks: the stamps equal to stamp_now */
    if (!saferl_shield__vec_push(&g->scratch)) {
        g->failed = 1;
        return DK_FALSE;
    }
    dk_u32(&g->scratch)[0] = var;
    dk_u32(&g->stamp)[var] = g->stamp_now;
    for (i = 0; i < g->scratch.count && !g->failed; ++i) { /* breadth first over the edges */
        uint32_t x = dk_u32(&g->scratch)[i], number = saferl_shield__atom_number(f, dk_u32(&g->atom_of)[x]);
        if (number == SAFERL_SHIELD__NOT_MET) continue;
        for (e = ((const uint32_t *)(void *)f->implied_first.data)[number]; e;
             e = ((const uint32_t *)(void *)f->implied_edges.data)[2 * e - 1]) {
            uint32_t to = dk_var(g, ((const uint32_t *)(void *)f->implied_edges.data)[2 * e - 2]), *slot;
            if (dk_memo_reach(g, &g->stamp, to, 1) < 0) return DK_FALSE;
            if (dk_u32(&g->stamp)[to] == g->stamp_now) continue;
            dk_u32(&g->stamp)[to] = g->stamp_now;
            if (!(slot = (uint32_t *)saferl_shield__vec_push(&g->scratch))) {
                g->failed = 1;
                return DK_FALSE;
            }
            *slot = to;
        }
    }
    list = dk_u32(&g->scratch);
    count = (uint32_t)g->scratch.count;
    for (i = 1; i < count; ++i) { /* in the variable order (insertion: the lists are short) */
        uint32_t x = list[i], j = i;
        for (; j > 0 && dk_rank(g, list[j - 1]) > dk_rank(g, x); --j) list[j] = list[j - 1];
        list[j] = x;
    }
    for (i = count; i > 0; --i) result = dk_make(g, list[i - 1], DK_FALSE, result); /* bottom up */
    epoch = (uint32_t)dk_epoch(g); /* dk_var may have met atoms on the way */
    if (dk_memo_reach(g, &g->implied, var, 2) < 0) return DK_FALSE;
    dk_u32(&g->implied)[2 * var] = result + 1;
    dk_u32(&g->implied)[2 * var + 1] = epoch;
    return result;
}

/* The key of a monotone diagram: f[x := I(x)] for every x, lo | (I(x) & hi) per node (cached
   with the epoch: a key made before new implications were found is made again). */
/* Round 3, dk_key_implied = 0 (DK_IMPLIED=0): the key is the diagram itself, no implied atom
   carried: still a key of the residual's language (never a wrong merge), but residuals equal
   only modulo the implications get a key each (duplicates, merged by minimisation). */
static int dk_key_implied = 1;

static uint32_t dk_down(dk_diagrams *g, uint32_t n) {
    uint32_t lo, hi, var, result, epoch = (uint32_t)dk_epoch(g);
    if (n <= DK_TRUE || g->failed || !dk_key_implied) return n;
    if ((result = dk_cached(g, n, epoch, DK_DOWN)) != DK_NONE) return result;
    var = dk_at(g, n)->var, lo = dk_at(g, n)->lo, hi = dk_at(g, n)->hi;
    lo = dk_down(g, lo);
    hi = dk_down(g, hi);
    result = dk_apply(g, DK_OR, lo, dk_apply(g, DK_AND, dk_implied(g, var), hi));
    dk_remember(g, n, epoch, DK_DOWN, result);
    return result;
}

/* Round 3, dk_step_memo (DK_STEP_MEMO=1): an atom's step diagram memoised per (var, letter)
   in one array, in place of the three lookups on the way (the header's progression memo, the
   diagram of a formula node, its key): 15% of the 1,289-state formula's instructions. Valid
   without DK_FRESH_KEYS only (a key, once made, stays). */
static int dk_step_memo = 0;

/* The key of var's atom after letter: its memoised progression as a diagram, then its key. */
static uint32_t dk_atom_step(dk_diagrams *g, uint32_t var, uint32_t letter) {
    uint32_t result;
    size_t at = (size_t)var * g->letters + letter;
    if (!dk_step_memo) return dk_down(g, dk_of_formula(g, saferl_shield__progress(g->f, dk_u32(&g->atom_of)[var], letter)));
    if (at < g->step_of.count && dk_u32(&g->step_of)[at]) return dk_u32(&g->step_of)[at] - 1;
    result = dk_down(g, dk_of_formula(g, saferl_shield__progress(g->f, dk_u32(&g->atom_of)[var], letter)));
    if (g->failed || dk_memo_reach(g, &g->step_of, at, 1) < 0) return DK_FALSE;
    dk_u32(&g->step_of)[at] = result + 1;
    return result;
}

/* The key after letter of key n: the key is a substitution, so it commutes with & and |, and
   key(succ(n)) = key(succ(lo)) | (key(P(x)) & key(succ(hi))): no pass over the result. */
static uint32_t dk_successor(dk_diagrams *g, uint32_t n, uint32_t letter) {
    uint32_t lo, hi, var, now, result, epoch = (uint32_t)dk_epoch(g);
    if (n <= DK_TRUE || g->failed) return n;
    if ((result = dk_cached(g, n, epoch, DK_STEP + letter)) != DK_NONE) return result;
    var = dk_at(g, n)->var, lo = dk_at(g, n)->lo, hi = dk_at(g, n)->hi;
    lo = dk_successor(g, lo, letter);
    hi = hi == DK_FALSE ? DK_FALSE : dk_successor(g, hi, letter);
    now = hi == DK_FALSE ? DK_FALSE : dk_atom_step(g, var, letter);
    result = dk_apply(g, DK_OR, lo, dk_apply(g, DK_AND, now, hi));
    dk_remember(g, n, epoch, DK_STEP + letter, result);
    return result;
}

/* LTLf: does the trace that ends with letter satisfy n at that step (one path walked). */
static int dk_holds_at_end(dk_diagrams *g, uint32_t n, uint32_t letter) {
    while (n > DK_TRUE) {
        const dk_node *x = dk_at(g, n);
        n = saferl_shield__holds_at_end(g->f, dk_u32(&g->atom_of)[x->var], letter) ? x->hi : x->lo;
    }
    return n == DK_TRUE;
}

/* LTLf: the lengths n can hold on, lo | (x & hi) on the sets (sound as the antichain's). */
static uint64_t dk_lengths(dk_diagrams *g, uint32_t n) {
    uint64_t v;
    if (n == DK_FALSE) return 0;
    if (n == DK_TRUE) return SAFERL_SHIELD__ANY_LENGTH;
    if (g->lengths.count <= n) {
        size_t old = g->lengths.count;
        if (saferl_shield__vec_reserve(&g->lengths, (size_t)n + 1) < 0) {
            g->failed = 1;
            return SAFERL_SHIELD__ANY_LENGTH;
        }
        memset((uint64_t *)g->lengths.data + old, 0, ((size_t)n + 1 - old) * sizeof(uint64_t));
        g->lengths.count = (size_t)n + 1;
    }
    if (((const uint64_t *)g->lengths.data)[n] >> 63) return ((const uint64_t *)g->lengths.data)[n] & SAFERL_SHIELD__ANY_LENGTH;
    {
        uint32_t var = dk_at(g, n)->var, lo = dk_at(g, n)->lo, hi = dk_at(g, n)->hi;
        uint64_t x = saferl_shield__finite_lengths(g->f, dk_u32(&g->atom_of)[var]);
        v = dk_lengths(g, lo) | (x & dk_lengths(g, hi));
    }
    ((uint64_t *)g->lengths.data)[n] = v | (1ull << 63);
    return v;
}

static void dk_start(dk_diagrams *g, saferl_shield__formulas *f) {
    const saferl_allocator *a = f->allocator;
    dk_node *terminal;
    memset(g, 0, sizeof *g);
    g->f = f;
    saferl_shield__vec_start(&g->nodes, sizeof(dk_node), a);
    saferl_shield__index_start(&g->unique, a);
    saferl_shield__vec_start(&g->cache, sizeof(dk_entry), a);
    saferl_shield__vec_start(&g->var_of, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->atom_of, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->of_formula, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->implied, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->scratch, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->stamp, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->lengths, sizeof(uint64_t), a);
    saferl_shield__vec_start(&g->support, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->node_stamp, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->steps, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->firsts, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->afters, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->reads_formula, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->reads_node, sizeof(uint32_t), a);
    saferl_shield__vec_start(&g->rank_of, sizeof(uint64_t), a);
    saferl_shield__vec_start(&g->step_of, sizeof(uint32_t), a);
    g->letters = 1u << f->used_count;
    if (saferl_shield__vec_reserve(&g->nodes, 2) < 0) {
        g->failed = 1;
        return;
    }
    terminal = (dk_node *)(void *)g->nodes.data;
    terminal[0].var = terminal[1].var = DK_NONE; /* below every variable */
    terminal[0].lo = terminal[0].hi = DK_FALSE;
    terminal[1].lo = terminal[1].hi = DK_TRUE;
    g->nodes.count = 2;
    dk_cache_fit(g);
}

static void dk_free(dk_diagrams *g) {
    saferl_shield__vec_free(&g->nodes);
    saferl_shield__index_free(&g->unique);
    saferl_shield__vec_free(&g->cache);
    saferl_shield__vec_free(&g->var_of);
    saferl_shield__vec_free(&g->atom_of);
    saferl_shield__vec_free(&g->of_formula);
    saferl_shield__vec_free(&g->implied);
    saferl_shield__vec_free(&g->scratch);
    saferl_shield__vec_free(&g->stamp);
    saferl_shield__vec_free(&g->lengths);
    saferl_shield__vec_free(&g->support);
    saferl_shield__vec_free(&g->node_stamp);
    saferl_shield__vec_free(&g->steps);
    saferl_shield__vec_free(&g->firsts);
    saferl_shield__vec_free(&g->afters);
    saferl_shield__vec_free(&g->reads_formula);
    saferl_shield__vec_free(&g->reads_node);
    saferl_shield__vec_free(&g->rank_of);
    saferl_shield__vec_free(&g->step_of);
}

#define DK_READS_DONE 0x80000000u

/* The letter bits a formula node reads (its propositions', as saferl_shield__prop_masks). */
static uint32_t dk_reads_formula(dk_diagrams *g, uint32_t id) {
    const saferl_shield__node *n = saferl_shield__at(g->f, id);
    uint32_t op = n->op, a = n->a, b = n->b, reads;
    if (op == SAFERL_SHIELD__TRUE || op == SAFERL_SHIELD__FALSE) return 0;
    if (op == SAFERL_SHIELD__PROP || op == SAFERL_SHIELD__NPROP) return 1u << g->f->letter_bit[a];
    if (dk_memo_reach(g, &g->reads_formula, id, 1) < 0) return DK_READS_DONE - 1; /* every bit */
    if (dk_u32(&g->reads_formula)[id]) return dk_u32(&g->reads_formula)[id] & ~DK_READS_DONE;
    reads = dk_reads_formula(g, a) | dk_reads_formula(g, b);
    if (dk_memo_reach(g, &g->reads_formula, id, 1) < 0) return DK_READS_DONE - 1;
    dk_u32(&g->reads_formula)[id] = reads | DK_READS_DONE;
    return reads;
}

/* The letter bits a diagram's atoms read: letters that agree on them give the same successor
   and the same acceptance at the end, since progression and the end test read nothing else. */
static uint32_t dk_reads(dk_diagrams *g, uint32_t n) {
    uint32_t reads;
    if (n <= DK_TRUE) return 0;
    if (dk_memo_reach(g, &g->reads_node, n, 1) < 0) return DK_READS_DONE - 1;
    if (dk_u32(&g->reads_node)[n]) return dk_u32(&g->reads_node)[n] & ~DK_READS_DONE;
    reads = dk_reads_formula(g, dk_u32(&g->atom_of)[dk_at(g, n)->var]) | dk_reads(g, dk_at(g, n)->lo) | dk_reads(g, dk_at(g, n)->hi);
    if (dk_memo_reach(g, &g->reads_node, n, 1) < 0) return DK_READS_DONE - 1;
    dk_u32(&g->reads_node)[n] = reads | DK_READS_DONE;
    return reads;
}

/* dk_letters_alike: 1 to skip the letters that differ from a smaller one only in bits the
   state's diagram does not read (their successor is copied). */
static int dk_letters_alike = 0;

/* The variables of n's diagram, into g->support (each once: nodes stamped per call). */
static void dk_collect_support(dk_diagrams *g, uint32_t n) {
    uint32_t *slot;
    if (n <= DK_TRUE || g->failed) return;
    if (dk_memo_reach(g, &g->node_stamp, n, 1) < 0 || dk_u32(&g->node_stamp)[n] == g->node_stamp_now) return;
    dk_u32(&g->node_stamp)[n] = g->node_stamp_now;
    if (!(slot = (uint32_t *)saferl_shield__vec_push(&g->support))) {
        g->failed = 1;
        return;
    }
    *slot = dk_at(g, n)->var; /* a variable may come twice: harmless in the tuple */
    dk_collect_support(g, dk_at(g, n)->lo);
    dk_collect_support(g, dk_at(g, n)->hi);
}

/* dk_letter_tuples: 1 to compute the successors of a diagram state by dk_successors. */
static int dk_letter_tuples = 0;

/* The successors of diagram n after every letter (after[letter]). As the antichain's
   successor memo: letters that give each atom of n the same progression give the same
   successor, so the tuple of the atoms' progressions is made per letter (memoised steps)
   and the composition, dk_successor, runs once per distinct tuple. */
static void dk_successors(dk_diagrams *g, uint32_t n, uint32_t letters, uint32_t *after) {
    uint32_t k, letter, j, d, *steps, *firsts;
    g->support.count = 0;
    ++g->node_stamp_now;
    dk_collect_support(g, n);
    k = (uint32_t)g->support.count;
    if (g->failed || saferl_shield__vec_reserve(&g->steps, (size_t)letters * k) < 0 ||
        saferl_shield__vec_reserve(&g->firsts, letters) < 0) {
        g->failed = 1;
        return;
    }
    for (letter = 0, d = 0; letter < letters && !g->failed; ++letter) {
        steps = dk_u32(&g->steps) + (size_t)letter * k; /* reserved above, and not grown since */
        for (j = 0; j < k; ++j) steps[j] = dk_atom_step(g, dk_u32(&g->support)[j], letter);
        firsts = dk_u32(&g->firsts);
        for (j = 0; j < d; ++j) /* the distinct tuples so far, by their first letter */
            if (k == 0 || memcmp(dk_u32(&g->steps) + (size_t)firsts[j] * k, steps, k * sizeof(uint32_t)) == 0) break;
        if (j < d) {
            after[letter] = after[firsts[j]];
            continue;
        }
        firsts[d++] = letter;
        after[letter] = dk_successor(g, n, letter);
    }
}

/* A diagram state's successor after letter: from dk_successors' row (made at letter 0) when
   dk_letter_tuples, else composed for the letter. */
static uint32_t dk_state_successor(dk_diagrams *g, uint32_t n, uint32_t letter, uint32_t letters) {
    if (!dk_letter_tuples) return dk_successor(g, n, letter);
    if (letter == 0) {
        if (saferl_shield__vec_reserve(&g->afters, letters) < 0) {
            g->failed = 1;
            return DK_FALSE;
        }
        dk_successors(g, n, letters, dk_u32(&g->afters));
    }
    return g->failed ? DK_FALSE : dk_u32(&g->afters)[letter];
}

static int dk_residual_not_false(uint64_t residual) { return residual != DK_FALSE; }

/* compile_future with diagram keys: the same breadth-first exploration over letters, the
   same raw automaton (LTL: accepting unless false; LTLf: accepted at the end), the same
   settling and minimisation. */
static saferl_result saferl_shield__compile_dd_key(saferl_shield__formulas *f, uint32_t root, int finite,
                                                   saferl_shield_dfa *out) {
    dk_diagrams g;
    saferl_shield__index states;
    saferl_shield__vec next;
    uint32_t letters, letter, id, max_states = f->desc->max_states ? f->desc->max_states : (1u << 20);
    size_t head, work_at_start = f->work;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    if (saferl_shield__dd_key_on == 2) return saferl_shield__compile_hybrid_key(f, root, finite, out);
    saferl_shield__assign_letter_bits(f);
    letters = 1u << f->used_count;
    dk_cache_for(letters);
    dk_start(&g, f);
    dk_current = &g;
    saferl_shield__index_start(&states, f->allocator);
    saferl_shield__vec_start(&next, sizeof(uint32_t), f->allocator);
    {
        uint32_t start = dk_down(&g, dk_of_formula(&g, root));
        if (g.failed || saferl_shield__index_get(&states, (uint64_t)start << 1, &id, NULL) < 0) goto done;
    }
    for (head = 0; head < states.keys.count; ++head) {
        uint32_t residual = (uint32_t)(((const uint64_t *)states.keys.data)[head] >> 1);
        uint32_t reads = dk_letters_alike ? dk_reads(&g, residual) : letters - 1;
        size_t first = next.count;
        if (dk_race_states && head < dk_race_states &&
            f->work - work_at_start + SAFERL_SHIELD__MAKE_WORK * g.made >
                (dk_race_rate && 4 * head >= dk_race_states ? dk_race_budget / dk_race_states * head : dk_race_budget)) {
            r = DK_GAVE_UP; /* dearer than the antichain over the same prefix */
            goto done;
        }
        if (saferl_shield__vec_reserve(&next, next.count + letters) < 0) goto done;
        for (letter = 0; letter < letters; ++letter) { /* letters alike for the state: cache hits */
            uint32_t after;
            if (letter & ~reads) { /* the same successor as letter & reads, met before */
                ((uint32_t *)(void *)next.data)[next.count++] = ((uint32_t *)(void *)next.data)[first + (letter & reads)];
                continue;
            }
            after = dk_state_successor(&g, residual, letter, letters);
            uint64_t accepted = finite ? (uint64_t)dk_holds_at_end(&g, residual, letter) : 0;
            if (finite && f->empty_sink && after != DK_FALSE && dk_lengths(&g, after) == 0) after = DK_FALSE;
            if (g.failed) goto done;
            if (f->out_of_memory || f->over_budget || states.keys.count > max_states) {
                r = saferl_shield__too_big(f);
                goto done;
            }
            if (saferl_shield__index_get(&states, ((uint64_t)after << 1) | accepted, &id, NULL) < 0) goto done;
            ((uint32_t *)(void *)next.data)[next.count++] = id;
        }
    }
    SAFERL_SHIELD__EXPERIMENT_COUNT(states.keys.count);
#ifdef DK_STATS
    fprintf(stderr, "atoms %zu, implications %zu, diagram nodes %zu, residuals %zu\n", g.atom_of.count,
            f->implied_edges.count / 2, g.nodes.count, states.keys.count);
#endif
    r = saferl_shield__finish_exploration(f, &states, &next, finite, dk_residual_not_false, out);
done:
    dk_current = NULL;
    dk_free(&g);
    saferl_shield__index_free(&states);
    saferl_shield__vec_free(&next);
    return r;
}


/* ---- the hybrid key (round 2) -------------------------------------------------------------
   saferl_shield__dd_key_on = 2: a residual whose canonical antichain has at most dk_hybrid_cubes
   cubes keeps the antichain key and successor path (where the antichain merges two sorted
   arrays a letter and the diagram makes a fresh path of 8-20 nodes); a residual with more is
   keyed by its diagram (dk_down of its diagram), and its successors stay diagrams (one way:
   a diagram is never turned back into an antichain). The two key spaces are told apart by a
   tag bit, so a key never stands for two languages; one language may get a key in each space
   (a duplicate state, merged by minimisation: counted by the residuals explored). The sinks
   are shared: a diagram false or true is keyed as the antichain's false or true. The diagram
   tables are started at the first many-cube residual, so a formula that never meets one pays
   nothing for them. */
static uint32_t dk_hybrid_cubes = 1;
static int dk_hybrid_back;         /* 1: a diagram successor that is one cube goes back to the antichain */
/* dk_switch_after > 0: a per-formula choice in place of the per-residual one: explore with the
   antichain alone, and once more than dk_switch_after residuals with more than dk_hybrid_cubes
   cubes have been met, start again with the diagram key (the work so far is lost). */
static size_t dk_switch_after;
/* dk_switch_fresh: the switch returns DK_SWITCH_RESULT (no code of the library's) and the bench
   compiles the text again with the diagram key, from a fresh compiler: continuing in the same
   one keeps the atoms and implications the antichain met, which every diagram key then carries
   (measured: the 49,155-state formula 11,678·10^6 instructions against 1,687·10^6). */
static int dk_switch_fresh;
#define DK_SWITCH_RESULT ((saferl_result)-1000)
static size_t dk_hybrid_dd_states; /* the diagram-keyed states of the last compile */
/* dk_cube_stats: the cubes of every antichain-keyed residual explored, as a histogram by
   powers of two (bucket b: 2^b to 2^(b+1) - 1 cubes) and a sum, for choosing a switch signal. */
static int dk_cube_stats;
static size_t dk_cube_histogram[16], dk_cube_sum, dk_cube_first_three, dk_cube_many, dk_cube_many_65;
static saferl_shield__vec dk_back_of; /* uint32_t per diagram node: its antichain residual + 1 */

/* dk_hybrid_back: a diagram that is one cube (a monotone diagram is a cube exactly when every
   node on its hi path has lo false) as the antichain's canonical residual (memoised per
   node), or DK_NONE when it is not one cube. The cube carries the implied atoms, which the
   antichain's canonical form drops again. */
static uint32_t dk_as_antichain(dk_diagrams *g, uint32_t n) {
    saferl_shield__formulas *f = g->f;
    uint32_t m, result = SAFERL_SHIELD__TRUE;
    for (m = n; m > DK_TRUE; m = dk_at(g, m)->hi)
        if (dk_at(g, m)->lo != DK_FALSE) return DK_NONE;
    if (dk_memo_reach(g, &dk_back_of, n, 1) < 0) return DK_NONE;
    if (dk_u32(&dk_back_of)[n]) return dk_u32(&dk_back_of)[n] - 1;
    for (m = n; m > DK_TRUE; m = dk_at(g, m)->hi) result = saferl_shield__and(f, dk_u32(&g->atom_of)[dk_at(g, m)->var], result);
    result = saferl_shield__canon(f, result);
    if (f->out_of_memory || f->over_budget || dk_memo_reach(g, &dk_back_of, n, 1) < 0) return DK_NONE;
    dk_u32(&dk_back_of)[n] = result + 1;
    return result;
}

/* The cubes of a canonical antichain residual (its OR chain), counted up to limit + 1. */
static uint32_t dk_cube_count(saferl_shield__formulas *f, uint32_t residual, uint32_t limit) {
    uint32_t count = 1;
    while (count <= limit) {
        const saferl_shield__node *n = saferl_shield__at(f, residual);
        if (n->op != SAFERL_SHIELD__OR) return count;
        residual = n->b, ++count;
    }
    return count;
}

/* A hybrid residual, key >> 1 = (value << 1) | diagram, is live unless it is the antichain's
   false (the sinks are the antichain's): the safety monitor's accepting rule. */
static int dk_hybrid_residual_live(uint64_t residual) {
    return (residual >> 1) != SAFERL_SHIELD__FALSE || (residual & 1u);
}

/* A state's key: (value << 2) | (diagram << 1) | accepted; sinks in the antichain's space. */
static uint64_t dk_hybrid_key(uint32_t value, int diagram, uint64_t accepted) {
    if (diagram && value <= DK_TRUE) value = value == DK_TRUE ? (uint32_t)SAFERL_SHIELD__TRUE : (uint32_t)SAFERL_SHIELD__FALSE, diagram = 0;
    return ((uint64_t)value << 2) | ((uint64_t)diagram << 1) | accepted;
}

/* The key of an antichain residual: itself while it has few cubes, else its diagram key. */
static uint64_t dk_hybrid_enter(dk_diagrams *g, int *started, saferl_shield__formulas *f, uint32_t residual,
                                uint64_t accepted) {
    if (dk_switch_after || residual <= SAFERL_SHIELD__FALSE || dk_cube_count(f, residual, dk_hybrid_cubes) <= dk_hybrid_cubes)
        return dk_hybrid_key(residual, 0, accepted);
    if (!*started) {
        dk_start(g, f);
        saferl_shield__vec_start(&dk_back_of, sizeof(uint32_t), f->allocator);
        *started = 1;
    }
    return dk_hybrid_key(dk_down(g, dk_of_formula(g, residual)), 1, accepted);
}

/* dk_carry (round 5, DK_CARRY=1; with dk_switch_after, without dk_race or dk_switch_fresh): at
   the switch the exploration goes on in place of starting again. Every state met so far, explored
   or on the frontier, is re-keyed by its residual's diagram: both are keys of the residual's
   language, so a state stays one state, and its id and the transitions already built are kept.
   Two antichain residuals with one diagram (equal languages the antichain did not merge) keep an
   id each: the later keeps its antichain key (a duplicate, merged by minimisation), and so does a
   residual whose diagram is a sink (the antichain has its own sinks). From the switch on every
   state is expanded as a diagram: a frontier state still under its antichain key is converted
   when its turn comes (dk_of_formula is memoised per formula node).
   dk_carry = 2, guarded: the antichain's exploration at the switch is kept aside, and the
   diagram's (the re-keying included) is held to the antichain's cost per explored state over the
   last 1 / dk_carry_floor of the prefix's states, in the header's work unit as dk_race counts it,
   and allowed that many states' worth at least; once dearer it is given up and the antichain goes
   on from the switch, and switches no more. */
static int dk_carry;
/* dk_switch_work (DK_SWITCH_WORK=W): the switch also waits until the antichain has spent W of the
   header's work units (f->work), so a formula it compiles cheaply never switches. */
static size_t dk_switch_work;
static size_t dk_carry_floor = 4; /* DK_CARRY_FLOOR */
static int dk_carry_log;          /* DK_CARRY_LOG=1: the switch's figures on stderr */

/* One compile's dk_carry. */
typedef struct dk_carry_run {
    int carried;                 /* the switch is made: every state is expanded as a diagram */
    int kept;                    /* dk_carry = 2: the antichain's exploration is kept aside */
    int gave_up;                 /* dk_carry = 2: the diagram was dearer, the antichain went on */
    saferl_shield__index states; /* kept: the antichain's states at the switch */
    size_t head, next, work;     /* at the switch: the state, next.count, f->work */
    size_t rate, floor;          /* kept: the antichain's recent work per state, the states allowed */
    saferl_shield__vec work_at;  /* dk_carry = 2: size_t per explored state, f->work before it */
} dk_carry_run;

/* The key of state key (hybrid form) in the diagram space: its residual's diagram key, or the
   key itself for the sinks and the diagram keys. */
static uint64_t dk_carried_key(dk_diagrams *g, uint64_t key) {
    uint32_t residual = (uint32_t)(key >> 2), diagram;
    if ((key & 2u) || residual <= SAFERL_SHIELD__FALSE) return key;
    diagram = dk_down(g, dk_of_formula(g, residual));
    return diagram <= DK_TRUE ? key : dk_hybrid_key(diagram, 1, key & 1u);
}

/* The diagram's work since the switch, in the header's unit (dk_race's count). */
static size_t dk_carry_cost(const dk_diagrams *g, const dk_carry_run *run) {
    return g->f->work - run->work + SAFERL_SHIELD__MAKE_WORK * g->made;
}

/* dk_carry = 2: is the diagram dearer than the antichain, head states after the switch? */
static int dk_carry_dearer(const dk_diagrams *g, const dk_carry_run *run, size_t head) {
    size_t states = head - run->head > run->floor ? head - run->head : run->floor;
    return run->kept && dk_carry_cost(g, run) > run->rate * states;
}

/* dk_carry's re-keying of every state met so far (ids kept: see dk_carry), into carried
   (started here). -1: out of memory; 1: given up, dearer than the antichain (dk_carry = 2). */
static int dk_carry_states(dk_diagrams *g, const dk_carry_run *run, const saferl_shield__index *states,
                           saferl_shield__index *carried) {
    size_t i;
    saferl_shield__index_start(carried, g->f->allocator);
    for (i = 0; i < states->keys.count; ++i) {
        uint64_t key = ((const uint64_t *)states->keys.data)[i];
        uint32_t id;
        int added = 0;
        if (g->failed || saferl_shield__index_get(carried, dk_carried_key(g, key), &id, &added) < 0 ||
            (!added && saferl_shield__index_get(carried, key, &id, &added) < 0) || !added || id != i)
            return -1;
        if (dk_carry_dearer(g, run, run->head)) return 1;
    }
    return 0;
}

/* The switch with dk_carry, at state head: the states re-keyed in place (dk_carry = 2: the
   antichain's kept aside). -1: out of memory; 1: given up (the antichain goes on); 0: carried. */
static int dk_carry_switch(dk_diagrams *g, dk_carry_run *run, saferl_shield__index *states, size_t head,
                           size_t next_count, size_t work_at_start) {
    saferl_shield__index carried;
    saferl_shield__formulas *f = g->f;
    int result;
    run->head = head, run->next = next_count, run->work = f->work;
    if (dk_carry == 2) {
        run->floor = head / dk_carry_floor ? head / dk_carry_floor : 1;
        run->rate = (f->work - ((const size_t *)(const void *)run->work_at.data)[head - run->floor]) / run->floor;
        run->states = *states;
        run->kept = 1;
    }
    result = dk_carry_states(g, run, states, &carried);
    if (dk_carry_log)
        fprintf(stderr, "carry at state %zu of %zu (prefix work %zu): re-keying work %zu, %zu nodes%s\n", head,
                states->keys.count, run->work - work_at_start, dk_carry_cost(g, run), g->nodes.count,
                result > 0 ? ", given up" : "");
    if (result) {
        saferl_shield__index_free(&carried);
        run->kept = 0; /* *states is still the antichain's */
        run->gave_up = result > 0;
        return result;
    }
    if (!run->kept) saferl_shield__index_free(states);
    *states = carried;
    run->carried = 1;
    return 0;
}

/* dk_carry = 2, the diagram dearer: back to the antichain's exploration at the switch. */
static void dk_carry_back(dk_carry_run *run, saferl_shield__index *states, saferl_shield__vec *next, size_t *head) {
    saferl_shield__index_free(states);
    *states = run->states;
    next->count = run->next;
    *head = run->head;
    run->carried = run->kept = 0;
    run->gave_up = 1;
}

static saferl_result saferl_shield__compile_hybrid_key(saferl_shield__formulas *f, uint32_t root, int finite,
                                                       saferl_shield_dfa *out) {
    dk_diagrams g;
    dk_carry_run carry;
    int started = 0;
    size_t many = 0; /* dk_switch_after: the many-cube residuals met */
    size_t work_at_start = f->work;
    int raced = 0; /* dk_race: the diagram gave up, the antichain goes on */
    saferl_shield__index states;
    saferl_shield__vec next;
    uint32_t letters, letter, id, max_states = f->desc->max_states ? f->desc->max_states : (1u << 20);
    size_t head;
    saferl_result r = SAFERL_ERR_OUT_OF_MEMORY;
    saferl_shield__assign_letter_bits(f);
    letters = 1u << f->used_count;
    dk_cache_for(letters);
    memset(&g, 0, sizeof g);
    dk_hybrid_dd_states = 0;
    saferl_shield__index_start(&states, f->allocator);
    saferl_shield__vec_start(&next, sizeof(uint32_t), f->allocator);
    memset(&carry, 0, sizeof carry);
    saferl_shield__vec_start(&carry.work_at, sizeof(size_t), f->allocator);
    {
        uint64_t start = dk_hybrid_enter(&g, &started, f, root, 0);
        if (g.failed || saferl_shield__index_get(&states, start, &id, NULL) < 0) goto done;
    }
    for (head = 0; head < states.keys.count; ++head) {
        uint64_t key;
        uint32_t residual;
        int diagram;
        if (dk_carry_dearer(&g, &carry, head)) dk_carry_back(&carry, &states, &next, &head);
        key = ((const uint64_t *)states.keys.data)[head];
        residual = (uint32_t)(key >> 2);
        diagram = (int)((key >> 1) & 1u);
        if (carry.carried && !diagram && residual > SAFERL_SHIELD__FALSE) { /* a frontier state met before the switch */
            uint32_t converted = dk_down(&g, dk_of_formula(&g, residual));
            if (converted > DK_TRUE) residual = converted, diagram = 1;
        }
        uint32_t reads = diagram && dk_letters_alike ? dk_reads(&g, residual) : letters - 1;
        size_t first = next.count;
        dk_hybrid_dd_states += (size_t)diagram;
        if (dk_cube_stats && !diagram && residual > SAFERL_SHIELD__FALSE) { /* the antichain phase's cube counts */
            uint32_t cubes = dk_cube_count(f, residual, 1u << 20), bucket = 0;
            while (bucket < 15 && (2u << bucket) <= cubes) ++bucket;
            ++dk_cube_histogram[bucket];
            dk_cube_sum += cubes;
            if (cubes > 2 && !dk_cube_first_three) dk_cube_first_three = head + 1;
            if (cubes > 1 && ++dk_cube_many == 65) dk_cube_many_65 = head + 1;
        }
        if (dk_switch_after && dk_race && !raced && residual > SAFERL_SHIELD__FALSE &&
            dk_cube_count(f, residual, dk_hybrid_cubes) > dk_hybrid_cubes && ++many > dk_switch_after) {
            dk_race_budget = f->work - work_at_start;
            dk_race_states = head;
            saferl_shield__dd_key_on = 1;
            r = saferl_shield__compile_dd_key(f, root, finite, out);
            saferl_shield__dd_key_on = 2;
            dk_race_states = 0;
            if (dk_race > 1) /* DK_RACE=2: the race's figures on stderr */
                fprintf(stderr, "race at state %zu of the antichain (prefix work %zu): %s, work %zu\n", head,
                        dk_race_budget, r == DK_GAVE_UP ? "the diagram gave up" : "the diagram went on",
                        f->work - work_at_start - dk_race_budget);
            if (r != DK_GAVE_UP) {
                ++dk_race_won;
                saferl_shield__index_free(&states);
                saferl_shield__vec_free(&next);
                return r;
            }
            ++dk_race_gave_up;
            raced = 1;
            r = SAFERL_ERR_OUT_OF_MEMORY;
        }
        if (dk_switch_after && !dk_race && !carry.carried && !carry.gave_up && residual > SAFERL_SHIELD__FALSE &&
            dk_cube_count(f, residual, dk_hybrid_cubes) > dk_hybrid_cubes && ++many > dk_switch_after &&
            f->work - work_at_start >= dk_switch_work) {
            int carried;
            if (!dk_carry) { /* start again with the diagram key */
                saferl_shield__index_free(&states);
                saferl_shield__vec_free(&next);
                saferl_shield__vec_free(&carry.work_at);
                if (dk_switch_fresh) return DK_SWITCH_RESULT; /* the caller compiles the text again */
                saferl_shield__dd_key_on = 1; /* the diagram key for the whole formula, then back */
                r = saferl_shield__compile_dd_key(f, root, finite, out);
                saferl_shield__dd_key_on = 2;
                return r;
            }
            if (!started) {
                dk_start(&g, f);
                saferl_shield__vec_start(&dk_back_of, sizeof(uint32_t), f->allocator);
                started = 1;
            }
            if ((carried = dk_carry_switch(&g, &carry, &states, head, next.count, work_at_start)) < 0) goto done;
            if (carried == 0) { /* this state too is a diagram from here on */
                uint32_t converted = dk_down(&g, dk_of_formula(&g, residual));
                if (converted > DK_TRUE) residual = converted, diagram = 1;
                reads = diagram && dk_letters_alike ? dk_reads(&g, residual) : letters - 1;
            }
        }
        if (dk_carry == 2 && !carry.carried && !carry.gave_up) { /* the antichain's work before each state */
            size_t *at = (size_t *)saferl_shield__vec_push(&carry.work_at);
            if (!at) goto done;
            *at = f->work;
        }
        if (saferl_shield__vec_reserve(&next, next.count + letters) < 0) goto done;
        for (letter = 0; letter < letters; ++letter) {
            uint64_t after_key;
            if (letter & ~reads) { /* the same successor as letter & reads, met before */
                ((uint32_t *)(void *)next.data)[next.count++] = ((uint32_t *)(void *)next.data)[first + (letter & reads)];
                continue;
            }
            if (diagram) {
                uint32_t after = dk_state_successor(&g, residual, letter, letters);
                uint64_t accepted = finite ? (uint64_t)dk_holds_at_end(&g, residual, letter) : 0;
                if (finite && f->empty_sink && after != DK_FALSE && dk_lengths(&g, after) == 0) after = DK_FALSE;
                after_key = dk_hybrid_key(after, 1, accepted);
                if (dk_hybrid_back && after > DK_TRUE) {
                    uint32_t cube = dk_as_antichain(&g, after);
                    if (cube != DK_NONE) after_key = dk_hybrid_key(cube, 0, accepted);
                }
            } else {
                uint32_t after = saferl_shield__finite_residual(f, saferl_shield__successor(f, residual, letter));
                uint64_t accepted = finite ? (uint64_t)saferl_shield__holds_at_end(f, residual, letter) : 0;
                after_key = dk_hybrid_enter(&g, &started, f, after, accepted);
            }
            if (g.failed) goto done;
            if (f->out_of_memory || f->over_budget || states.keys.count > max_states) {
                r = saferl_shield__too_big(f);
                goto done;
            }
            if (saferl_shield__index_get(&states, after_key, &id, NULL) < 0) goto done;
            ((uint32_t *)(void *)next.data)[next.count++] = id;
        }
    }
    SAFERL_SHIELD__EXPERIMENT_COUNT(states.keys.count);
    if (dk_carry_log && carry.carried)
        fprintf(stderr, "carried to the end: work %zu after the switch, %zu nodes, %zu states\n", dk_carry_cost(&g, &carry),
                g.nodes.count, states.keys.count);
    else if (dk_carry_log)
        fprintf(stderr, "not carried: work %zu, %zu states\n", f->work - work_at_start, states.keys.count);
    r = saferl_shield__finish_exploration(f, &states, &next, finite, dk_hybrid_residual_live, out);
done:
    if (carry.kept) saferl_shield__index_free(&carry.states);
    saferl_shield__vec_free(&carry.work_at);
    if (started) {
        dk_free(&g);
        saferl_shield__vec_free(&dk_back_of);
    }
    saferl_shield__index_free(&states);
    saferl_shield__vec_free(&next);
    return r;
}

#endif
