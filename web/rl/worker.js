// worker.js - the training loop of web/rl/ in a Web Worker: one epoch of saferl_rl.h at a
// time (rl.mjs, glue.c), then the epoch's statistics and the policy as an SRLP buffer go to
// the page. Between epochs the worker yields to its message queue, so stop and resume act at
// the next epoch boundary. The page fetched rl.mjs and compiled rl.wasm once; its first message
// hands both over (a Blob URL of the script and the compiled WebAssembly.Module), so nothing is
// fetched twice.
let lib = null;
let out = 0;
let trainer = 0;
let running = false;
let maxEpochs = 0;

function cstr(ptr) {
  const heap = lib.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) ++end;
  return new TextDecoder().decode(heap.subarray(ptr, end));
}

function policyBytes() {
  const size = lib._rl_trainer_policy_size(trainer);
  const ptr = lib._malloc(size);
  const written = lib._rl_trainer_policy_save(trainer, ptr, size);
  const bytes = written > 0 ? lib.HEAPU8.slice(ptr, ptr + written) : new Uint8Array(0);
  lib._free(ptr);
  return bytes;
}

let epochCount = 0;

function oneEpoch() {
  const r = lib._rl_trainer_epoch(trainer, out);
  if (r < 0) {
    running = false;
    postMessage({ type: 'error', message: cstr(lib._rl_result_string(r)) });
    return;
  }
  ++epochCount;
  const v = Array.from(new Float64Array(lib.HEAPF64.buffer, out, 11));
  const policy = policyBytes();
  postMessage({ type: 'epoch', epoch: v[0], steps: v[1], ret: v[2], cost: v[3], lambda: v[4], rate: v[5],
    episodes: v[6], passes: v[7], optimCase: v[8], stepFraction: v[9], costEpoch: v[10], policy }, [policy.buffer]);
}

let generation = 0; // a new start ends the loop of the previous run

async function loop() {
  const mine = generation;
  while (running && mine === generation) {
    oneEpoch();
    if (running && maxEpochs > 0 && epochCount >= maxEpochs) {
      running = false;
      postMessage({ type: 'stopped', reason: 'done' });
    }
    await new Promise((resolve) => setTimeout(resolve, 0)); // let stop / resume in
  }
}

async function load(scriptUrl, wasmModule) {
  const { default: createRlModule } = await import(scriptUrl);
  lib = await createRlModule({
    locateFile: (file) => new URL(file, import.meta.url).href, // its URL under a Blob URL
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => receive(instance, wasmModule));
      return {};
    },
  });
  out = lib._malloc(11 * 8);
  postMessage({ type: 'ready', version: cstr(lib._rl_version()) });
}

onmessage = (event) => {
  const m = event.data;
  if (m.type === 'module') {
    load(m.scriptUrl, m.wasmModule).catch((e) => postMessage({ type: 'error', message: String(e) }));
  } else if (!lib) {
    postMessage({ type: 'error', message: 'the worker has no module yet' });
  } else if (m.type === 'start') {
    generation += 1;
    running = false;
    if (trainer) lib._rl_trainer_destroy(trainer);
    const name = new TextEncoder().encode(m.env + '\0');
    const namePtr = lib._malloc(name.length);
    lib.HEAPU8.set(name, namePtr);
    const kind = lib._rl_env_from_name(namePtr);
    lib._free(namePtr);
    const create = m.offPolicy ? lib._rl_offpolicy_trainer_create : lib._rl_trainer_create;
    trainer = create(kind, m.algorithm, m.costLimit, m.seed, m.stepsPerEpoch, 64);
    if (!trainer) {
      postMessage({ type: 'error', message: cstr(lib._rl_last_message()) });
      return;
    }
    epochCount = 0;
    maxEpochs = m.maxEpochs || 0;
    postMessage({ type: 'started', version: cstr(lib._rl_version()) });
    running = true;
    loop();
  } else if (m.type === 'stop') {
    if (running) {
      running = false;
      postMessage({ type: 'stopped', reason: 'stop' });
    }
  } else if (m.type === 'resume') { // maxEpochs: the run's length now (0: no end)
    if (trainer && !running) {
      if (m.maxEpochs !== undefined) maxEpochs = m.maxEpochs;
      running = true;
      generation += 1;
      loop();
    }
  }
};

