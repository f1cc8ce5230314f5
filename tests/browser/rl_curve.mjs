// rl_curve.mjs - what the RL page's browser tests compare the page with: a run's first epochs
// straight from the library (the page's rl.mjs loaded in Node, as glue.c's worker runs it), and
// one figure of the page against the library's.
import assert from 'node:assert/strict';

// The first `epochs` epochs of `trainer` (made by glue.c's on- or off-policy constructor), as
// the worker reports them; the trainer is destroyed.
export function trainerCurve(lib, trainer, epochs) {
  assert.ok(trainer, 'trainer');
  const out = lib._malloc(11 * 8);
  const rows = [];
  for (let i = 0; i < epochs; ++i) {
    assert.equal(lib._rl_trainer_epoch(trainer, out), 0);
    const v = new Float64Array(lib.HEAPF64.buffer, out, 11);
    rows.push({ epoch: v[0], steps: v[1], ret: v[2], cost: v[3], lambda: v[4], optimCase: v[8], stepFraction: v[9], costEpoch: v[10] });
  }
  lib._free(out);
  lib._rl_trainer_destroy(trainer);
  return rows;
}

// A figure the page shows (null where it shows none) against the library's (NaN: none).
export function sameNumber(a, b, what) {
  if (Number.isNaN(b)) assert.ok(a === null || Number.isNaN(a), `${what}: ${a} vs NaN`);
  else assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: page ${a}, library ${b}`);
}
