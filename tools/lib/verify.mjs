// Compares a candidate model (int8 / fp16) with its fp32 reference on the same inputs: task metrics,
// max abs diff, latency, and which ops ORT's optimiser actually runs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optional } from './optional.mjs';
import { loadModel } from './onnx-io.mjs';
import { toOrtFeed } from './inputs.mjs';
import { compareDetections } from './detections.mjs';

export const BARS = { classify: 0.97, segment: 0.97, detect: 0.9, generate: 35 };

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

/** Index of the largest value in each row of `cols` values. */
export function argmaxRows(data, cols) {
  const rows = Math.max(1, Math.floor(data.length / cols));
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c] > data[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Values as probabilities: kept if already in [0, 1], else passed through a sigmoid. */
function asProbabilities(data) {
  let lo = Infinity; let hi = -Infinity;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo >= -1e-3 && hi <= 1 + 1e-3) return data;
  return Float32Array.from(data, sigmoid);
}

/**
 * Foreground probability per pixel: a 1-channel output as is (sigmoid if logits); a 2-channel output
 * (NCHW dim 1 or NHWC last dim) as the softmax probability of channel 1.
 */
export function foreground(tensor) {
  const dims = tensor.dims;
  const d = tensor.data;
  const twoCh = dims.length === 4 ? (dims[1] === 2 ? 'nchw' : dims[3] === 2 ? 'nhwc' : '') : '';
  if (!twoCh) return asProbabilities(d);
  const n = d.length / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b] = twoCh === 'nchw' ? [d[i], d[n + i]] : [d[2 * i], d[2 * i + 1]];
    out[i] = sigmoid(b - a);
  }
  return out;
}

/** Intersection and union of the two masks thresholded at `t`. */
export function maskCounts(a, b, t = 0.5) {
  let inter = 0; let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > t; const y = b[i] > t;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return { inter, union };
}

function boxIou(a, b, format) {
  const toXyxy = (v) => {
    if (format === 'xyxy') return [v[0], v[1], v[2], v[3]];
    if (format === 'yxyx') return [v[1], v[0], v[3], v[2]];
    return [v[0] - v[2] / 2, v[1] - v[3] / 2, v[0] + v[2] / 2, v[1] + v[3] / 2];
  };
  const [ax1, ay1, ax2, ay2] = toXyxy(a);
  const [bx1, by1, bx2, by2] = toXyxy(b);
  const iw = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const ih = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const inter = iw * ih;
  const ua = Math.max(0, ax2 - ax1) * Math.max(0, ay2 - ay1) + Math.max(0, bx2 - bx1) * Math.max(0, by2 - by1) - inter;
  return ua > 0 ? inter / ua : 1;
}

/** Picks the boxes output (last dim ≥ 4) and scores output (last dim 1, or 2 → class 1) of a detector. */
function detectorOutputs(outs) {
  const entries = Object.entries(outs);
  const boxes = entries.find(([, t]) => t.dims[t.dims.length - 1] >= 4);
  const scores = entries.find(([, t]) => t !== boxes?.[1] && t.dims[t.dims.length - 1] <= 2);
  if (!boxes || !scores) throw new Error('detect: need a boxes output (last dim ≥ 4) and a scores output (last dim 1 or 2)');
  return { boxes: boxes[1], scores: scores[1] };
}

function scoreProbs(t) {
  const last = t.dims[t.dims.length - 1];
  if (last === 1) return asProbabilities(t.data);
  const n = t.data.length / last;
  return Float32Array.from({ length: n }, (_, i) => {
    const v = t.data[i * last + 1];
    return v >= 0 && v <= 1 ? v : sigmoid(v - t.data[i * last]);
  });
}

/** Peak-to-peak of the value range an image generator's output lives in, from the reference's values. */
function peakFor(data) {
  let lo = Infinity; let hi = -Infinity;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo >= -1.05 && hi <= 1.05) return lo < -0.05 ? 2 : 1;
  return hi <= 255.5 ? 255 : hi - lo;
}

/** Reduces per-input results to the task's metric. */
export function taskMetrics(task, pairs, { boxFormat = 'cxcywh', detThreshold = 0.5 } = {}) {
  const r = {};
  let maxAbs = 0;
  for (const { ref, cand } of pairs) {
    for (const k of Object.keys(ref)) {
      const a = ref[k].data; const b = cand[k].data;
      for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
    }
  }
  r.maxAbsDiff = maxAbs;
  const first = (o) => o[Object.keys(o)[0]];
  if (task === 'classify') {
    let agree = 0; let total = 0;
    for (const { ref, cand } of pairs) {
      const t = first(ref);
      const cols = t.dims[t.dims.length - 1];
      const a = argmaxRows(t.data, cols); const b = argmaxRows(first(cand).data, cols);
      for (let i = 0; i < a.length; i++) { total++; if (a[i] === b[i]) agree++; }
    }
    r.top1Agreement = agree / total;
    r.samples = total;
    r.pass = r.top1Agreement >= BARS.classify;
  } else if (task === 'segment') {
    let inter = 0; let union = 0; let worst = 1;
    for (const { ref, cand } of pairs) {
      const c = maskCounts(foreground(first(ref)), foreground(first(cand)));
      inter += c.inter; union += c.union;
      worst = Math.min(worst, c.union ? c.inter / c.union : 1);
    }
    r.maskIoU = union ? inter / union : 1;
    r.worstMaskIoU = worst;
    r.pass = r.maskIoU >= BARS.segment;
  } else if (task === 'detect') {
    let wsum = 0; let iouSum = 0; let both = 0; let either = 0; let scoreDiff = 0;
    for (const { ref, cand } of pairs) {
      const R = detectorOutputs(ref); const C = detectorOutputs(cand);
      const rs = scoreProbs(R.scores); const cs = scoreProbs(C.scores);
      const stride = R.boxes.dims[R.boxes.dims.length - 1];
      // Weight each anchor by its reference score; anchors below the threshold in both count for nothing.
      for (let i = 0; i < rs.length; i++) {
        scoreDiff = Math.max(scoreDiff, Math.abs(rs[i] - cs[i]));
        const rp = rs[i] >= detThreshold; const cp = cs[i] >= detThreshold;
        if (rp || cp) either++;
        if (rp && cp) both++;
        if (!rp) continue;
        const w = rs[i];
        const a = R.boxes.data.subarray(i * stride, i * stride + 4);
        const b = C.boxes.data.subarray(i * stride, i * stride + 4);
        wsum += w; iouSum += w * boxIou(a, b, boxFormat);
      }
    }
    r.boxIoU = wsum ? iouSum / wsum : 1;
    r.detectionAgreement = either ? both / either : 1;
    r.maxScoreDiff = scoreDiff;
    r.pass = r.boxIoU >= BARS.detect && r.detectionAgreement >= BARS.detect;
  } else if (task === 'objects') {
    // Decoded detections [x1, y1, x2, y2, score, class] (tools/lib/detections.mjs): matched at one threshold.
    Object.assign(r, compareDetections(pairs.map(({ ref, cand }) => ({ ref: first(ref).data, cand: first(cand).data })), { threshold: detThreshold }));
    r.pass = r.boxIoU >= BARS.detect && r.detectionAgreement >= BARS.detect && r.topLabelAgreement === 1;
  } else if (task === 'generate') {
    let se = 0; let n = 0; let peak = 0; let worst = Infinity;
    for (const { ref, cand } of pairs) {
      const a = first(ref).data; const b = first(cand).data;
      peak = Math.max(peak, peakFor(a));
      let s = 0;
      for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
      se += s; n += a.length;
      worst = Math.min(worst, 10 * Math.log10((peakFor(a) ** 2) / Math.max(s / a.length, 1e-20)));
    }
    r.psnr = 10 * Math.log10((peak * peak) / Math.max(se / n, 1e-20));
    r.worstPsnr = worst;
    r.peak = peak;
    r.pass = r.psnr >= BARS.generate;
  } else if (task === 'features') {
    let minCos = 1; let sumCos = 0;
    for (const { ref, cand } of pairs) {
      const a = first(ref).data; const b = first(cand).data;
      let ab = 0; let aa = 0; let bb = 0;
      for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
      const cos = ab / Math.sqrt(aa * bb || 1);
      minCos = Math.min(minCos, cos); sumCos += cos;
    }
    r.meanCosine = sumCos / pairs.length;
    r.minCosine = minCos;
    r.pass = r.minCosine >= 0.99;
  } else throw new Error(`Unknown task ${task}`);
  return r;
}

async function webRuntime(threads) {
  const ort = await optional('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  return ort;
}

/** Op-type histogram of the graph ORT actually runs after its optimisations. */
export async function optimizedOps(modelPath, { level = 'all' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cv-models-opt-'));
  try {
    const file = join(dir, 'optimized.onnx');
    const ortNode = await optional('onnxruntime-node');
    const s = await ortNode.InferenceSession.create(modelPath, { graphOptimizationLevel: level, optimizedModelFilePath: file, intraOpNumThreads: 1, logSeverityLevel: 3 });
    await s.release?.();
    const m = loadModel(readFileSync(file));
    const hist = {};
    for (const n of m.graph.node) hist[n.opType] = (hist[n.opType] ?? 0) + 1;
    return Object.fromEntries(Object.entries(hist).sort(([a], [b]) => a.localeCompare(b)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function plain(outs) {
  const o = {};
  for (const [k, t] of Object.entries(outs)) o[k] = { data: Float32Array.from(t.data), dims: [...t.dims] };
  return o;
}

/** Median latency (ms) of `runs` session.run calls on one feed, after `warmup` runs. */
export async function medianLatency(session, feed, { runs = 20, warmup = 3 } = {}) {
  for (let i = 0; i < warmup; i++) await session.run(feed);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feed);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Median latencies of two sessions timed alternately (so machine load affects both alike). */
export async function alternatingMedians(a, b, feed, runs, warmup = 3) {
  for (let i = 0; i < warmup; i++) { await a.run(feed); await b.run(feed); }
  const ta = []; const tb = []; const ca = []; const cb = [];
  for (let i = 0; i < runs; i++) {
    for (const [s, t, c] of i % 2 ? [[b, tb, cb], [a, ta, ca]] : [[a, ta, ca], [b, tb, cb]]) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await s.run(feed);
      t.push(performance.now() - t0);
      const dc = process.cpuUsage(c0);
      c.push((dc.user + dc.system) / 1000);
    }
  }
  const med = (t) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)];
  return { a: med(ta), b: med(tb), cpuA: med(ca), cpuB: med(cb) };
}

/**
 * Runs candidate and reference with onnxruntime-node on the feeds and compares them.
 * @param {{ candidate: string, reference: string, task: string, feeds: import('./inputs.mjs').Feed[],
 *   latencyRuns?: number, threads?: number, boxFormat?: string }} o
 */
export async function verifyNode(o) {
  // runtime 'web': the same onnxruntime-web WASM binary the browser runs, inside Node (single thread), so
  // latency can be measured as process CPU time, which stays meaningful on a loaded machine.
  const ort = o.runtime === 'web' ? await webRuntime(o.threads ?? 1) : await optional('onnxruntime-node');
  const opts = o.runtime === 'web'
    ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }
    : { graphOptimizationLevel: 'all', intraOpNumThreads: o.threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential' };
  const ref = await ort.InferenceSession.create(o.reference, opts);
  const cand = await ort.InferenceSession.create(o.candidate, opts);
  const pairs = [];
  for (const feed of o.feeds) {
    const f = toOrtFeed(ort, feed);
    pairs.push({ ref: plain(await ref.run(f)), cand: plain(await cand.run(f)) });
  }
  const report = { backend: o.runtime === 'web' ? 'onnxruntime-web wasm in Node' : 'onnxruntime-node (cpu)', task: o.task, samples: o.feeds.length, ...taskMetrics(o.task, pairs, o) };
  if (o.latencyRuns) {
    const f = toOrtFeed(ort, o.feeds[0]);
    const { a: refMs, b: candMs, cpuA, cpuB } = await alternatingMedians(ref, cand, f, o.latencyRuns);
    report.latency = {
      threads: o.threads ?? 1, referenceMs: round(refMs), candidateMs: round(candMs), ratio: round(candMs / refMs, 3),
      referenceCpuMs: round(cpuA), candidateCpuMs: round(cpuB), cpuRatio: round(cpuB / cpuA, 3),
    };
  }
  await ref.release?.();
  await cand.release?.();
  return report;
}

export function round(x, d = 2) {
  const k = 10 ** d;
  return Math.round(x * k) / k;
}
