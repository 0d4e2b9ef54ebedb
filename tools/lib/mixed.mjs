// Mixed-precision int8: which quantised nodes to keep in float so an int8 model meets its accuracy bar.
//
// Per-layer sensitivity analysis on *selection* inputs (never the verification photos): every candidate node
// (a weighted op, Add, Concat or pool that the quantiser would run in int8) is quantised alone, the rest of the
// model left float, and scored by the signal-to-quantisation-noise ratio (SQNR, dB) of the model's outputs
// against fp32. Nodes are then kept float greedily, most sensitive first, until the task metric on the
// selection inputs reaches the target; a last pass drops kept nodes (least sensitive first) that the target
// does not need. Every model runs on onnxruntime-web's WASM backend (1 thread), the runtime the int8 files are
// for, whose integer kernels give the same numbers on every machine: same inputs, same node list.
import { encodeModel } from './onnx-io.mjs';
import { toOrtFeed } from './inputs.mjs';
import { quantizeInt8 } from './quantize.mjs';
import { taskMetrics } from './verify.mjs';
import { optional } from './optional.mjs';

/** Op types a search may keep float (data-movement ops only follow their producer's scale). */
const CANDIDATE_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Concat', 'AveragePool', 'GlobalAveragePool', 'MaxPool', 'Relu', 'LeakyRelu']);

/** The task metric a search drives, as one number (higher is better), with its default target. */
export const SEARCH_METRICS = {
  segment: { name: 'maskIoU', target: 0.975, of: (r) => r.maskIoU },
  classify: { name: 'top1Agreement', target: 0.98, of: (r) => r.top1Agreement },
  // Both detection criteria verify checks: score-weighted box IoU and per-anchor detection agreement. The
  // latter flips on anchors whose fp32 score sits within a few hundredths of the 0.5 threshold (a cat's face
  // at 0.503), so it needs a wider margin than the others.
  detect: { name: 'min(boxIoU, detectionAgreement)', target: 0.97, of: (r) => Math.min(r.boxIoU, r.detectionAgreement) },
  features: { name: 'minCosine', target: 0.993, of: (r) => r.minCosine },
  objects: { name: 'min(boxIoU, detectionAgreement)', target: 0.95, of: (r) => Math.min(r.boxIoU, r.detectionAgreement) },
  generate: { name: 'psnr', target: 36, of: (r) => r.psnr },
};

/** SQNR in dB of all outputs of `cand` against `ref`, averaged over inputs. */
export function sqnr(pairs) {
  let sum = 0;
  for (const { ref, cand } of pairs) {
    let s = 0; let e = 0;
    for (const k of Object.keys(ref)) {
      const a = ref[k].data; const b = cand[k].data;
      for (let i = 0; i < a.length; i++) { s += a[i] * a[i]; e += (a[i] - b[i]) ** 2; }
    }
    sum += 10 * Math.log10(Math.max(s, 1e-30) / Math.max(e, 1e-30));
  }
  return sum / pairs.length;
}

async function webRuntime() {
  const ort = await optional('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  return ort;
}

function plain(outs) {
  const o = {};
  for (const [k, t] of Object.entries(outs)) o[k] = { data: Float32Array.from(t.data), dims: [...t.dims] };
  return o;
}

/** Runs model bytes on the feeds with onnxruntime-web (WASM, 1 thread). */
export async function runWeb(bytes, feeds) {
  const ort = await webRuntime();
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const outs = [];
  for (const f of feeds) outs.push(plain(await s.run(toOrtFeed(ort, f))));
  await s.release?.();
  return outs;
}

/**
 * Searches the nodes to keep float.
 * @param {any} model fp32 ModelProto
 * @param {import('./inputs.mjs').Feed[]} calibFeeds calibration inputs (activation ranges)
 * @param {import('./inputs.mjs').Feed[]} selectFeeds selection inputs (sensitivity and the stopping rule)
 * @param {{ task: string, target?: number, opts?: object, log?: (s: string) => void, maxFloat?: number }} o
 *   opts: the quantiser options the result is for (exclude in it is kept float from the start)
 * @returns {Promise<{ keepFloat: string[], metric: string, target: number, before: number, after: number,
 *   candidates: number, sensitivity: Array<{ node: string, sqnr: number }> }>}
 */
export async function searchKeepFloat(model, calibFeeds, selectFeeds, o) {
  const log = o.log ?? (() => {});
  const spec = SEARCH_METRICS[o.task];
  if (!spec) throw new Error(`mixed precision: no search metric for task ${o.task}`);
  const target = o.target ?? spec.target;
  const base = { ...(o.opts ?? {}) };
  const fixed = base.exclude ?? [];
  const rangeCache = new Map();
  const refBytes = encodeModel(model);
  const ref = await runWeb(refBytes, selectFeeds);
  const evaluate = async (exclude) => {
    const { model: q, report } = await quantizeInt8(model, calibFeeds, { ...base, log: undefined, exclude: [...fixed, ...exclude], rangeCache });
    const cand = await runWeb(encodeModel(q), selectFeeds);
    const pairs = ref.map((r, i) => ({ ref: r, cand: cand[i] }));
    const metrics = taskMetrics(o.task, pairs);
    return { value: spec.of(metrics), sqnr: sqnr(pairs), report };
  };

  const full = await evaluate([]);
  const candidates = full.report.quantizedNodes
    .map((s) => s.split(':'))
    .filter(([op]) => CANDIDATE_OPS.has(op))
    .map(([, name]) => name);
  log(`all int8: ${spec.name} ${full.value.toFixed(4)} (target ${target}), SQNR ${full.sqnr.toFixed(2)} dB, ${candidates.length} candidate nodes`);
  const result = { metric: spec.name, target, before: full.value, candidates: candidates.length };
  if (full.value >= target) return { ...result, keepFloat: [], after: full.value, sensitivity: [] };

  // 1. Sensitivity: each candidate quantised alone (every other candidate float).
  const sensitivity = [];
  for (const [i, c] of candidates.entries()) {
    const r = await evaluate(candidates.filter((x) => x !== c));
    sensitivity.push({ node: c, sqnr: r.sqnr, order: i });
  }
  // Most sensitive (lowest SQNR) first; graph order breaks ties.
  sensitivity.sort((a, b) => a.sqnr - b.sqnr || a.order - b.order);
  log(`most sensitive: ${sensitivity.slice(0, 8).map((s) => `${s.node} ${s.sqnr.toFixed(1)} dB`).join(', ')}`);

  // 2. Greedy: keep float in sensitivity order until the target is met.
  const maxFloat = o.maxFloat ?? candidates.length;
  let keep = [];
  let last = full;
  for (const s of sensitivity) {
    if (keep.length >= maxFloat) break;
    keep.push(s.node);
    last = await evaluate(keep);
    log(`float ${keep.length}: +${s.node} → ${spec.name} ${last.value.toFixed(4)}`);
    if (last.value >= target) break;
  }
  if (last.value < target) log(`target not reached with ${keep.length} float nodes`);
  else {
    // 3. Prune: drop kept nodes (least sensitive first) that the target does not need.
    for (const node of [...keep].reverse()) {
      if (keep.length === 1) break;
      const trial = keep.filter((x) => x !== node);
      const r = await evaluate(trial);
      if (r.value >= target) { keep = trial; last = r; log(`prune: ${node} not needed → ${spec.name} ${r.value.toFixed(4)}`); }
    }
  }
  // Graph order, so the list reads like the model.
  const order = new Map(candidates.map((c, i) => [c, i]));
  keep.sort((a, b) => order.get(a) - order.get(b));
  return {
    ...result,
    keepFloat: keep,
    after: last.value,
    sensitivity: sensitivity.map(({ node, sqnr: db }) => ({ node, sqnr: Math.round(db * 100) / 100 })),
  };
}
