// Static int8 QDQ quantisation and fp16 conversion of ONNX models, written for onnxruntime(-web).
//
// int8: weights of Conv/ConvTranspose/Gemm/MatMul become per-channel symmetric int8 initializers read through
// DequantizeLinear; activations get uint8 QuantizeLinear→DequantizeLinear pairs with ranges calibrated by
// running the fp32 model on real inputs. ORT's graph optimiser turns DQ→Conv→Q into QLinearConv, DQ→Add→Q into
// QLinearAdd, etc., so int8 data flows between the quantised ops.
import { optional } from './optional.mjs';
import {
  DT, attr, cloneModel, consumerMap, defaultOpset, encodeModel, initializerMap, makeNode, makeTensor,
  nameAllocator, num, onnx, producerMap, realInputs, tensorData, tensorDims, topoSort, valueElemType, makeValueInfo,
} from './onnx-io.mjs';
import { toOrtFeed } from './inputs.mjs';

/** Ops with a weight that we store as int8 (input index of the weight). */
const WEIGHTED = { Conv: 1, ConvTranspose: 1, Gemm: 1, MatMul: 1 };
/** Ops ORT has uint8 kernels/fusions for, that we wrap in QDQ so int8 flows through them. */
const PASS_OPS = new Set(['Add', 'Concat', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Relu', 'LeakyRelu']);
/** Data-movement ops: output reuses the input's scale/zero point, so ORT can drop the QDQ around them. */
const SAME_SCALE = new Set(['MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Resize']);
/** Ops whose activations stay float by default (no fast or accurate uint8 form). */
export const DEFAULT_FLOAT_OPS = new Set(['Sigmoid', 'Softmax', 'Tanh', 'Exp', 'Div', 'Sqrt', 'Pow', 'ReduceMean', 'ReduceSum']);

/** Moves Constant nodes that hold tensors into initializers (so weights from tf2onnx/torch are found). */
export function constantsToInitializers(graph) {
  const keep = [];
  for (const n of graph.node) {
    const t = n.opType === 'Constant' && (!n.domain || n.domain === 'ai.onnx') ? attr(n, 'value') : undefined;
    if (t && t.dataType) {
      const copy = onnx.TensorProto.fromObject(onnx.TensorProto.toObject(t));
      copy.name = n.output[0];
      graph.initializer.push(copy);
    } else keep.push(n);
  }
  graph.node = keep;
}

/** Element type of every tensor we can work out (value_info first, then forward propagation). */
export function inferElemTypes(graph) {
  const types = new Map();
  for (const t of graph.initializer) types.set(t.name, t.dataType);
  for (const vi of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    const e = valueElemType(vi);
    if (e) types.set(vi.name, e);
  }
  const INT64_OUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
  const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
  for (const n of graph.node) {
    let t;
    if (INT64_OUT.has(n.opType)) t = DT.INT64;
    else if (BOOL_OUT.has(n.opType)) t = DT.BOOL;
    else if (n.opType === 'Cast') t = attr(n, 'to');
    else if (n.opType === 'ConstantOfShape') t = attr(n, 'value')?.dataType ?? DT.FLOAT;
    else if (n.opType === 'Constant') t = attr(n, 'value')?.dataType;
    else if (n.opType === 'QuantizeLinear') t = types.get(n.input[2]) ?? DT.UINT8;
    else if (n.opType === 'DequantizeLinear') t = DT.FLOAT;
    else if (n.opType === 'Where') t = types.get(n.input[1]);
    else t = types.get(n.input[0]);
    n.output.forEach((o, i) => {
      if (!o || types.has(o)) return;
      if (n.opType === 'TopK' && i === 1) types.set(o, DT.INT64);
      else if (t != null) types.set(o, t);
    });
  }
  return types;
}

/**
 * Min/max (or percentile) ranges of the given float tensors, from running the model on the feeds.
 * @returns {Promise<Map<string, [number, number]>>}
 */
export async function calibrate(model, tensorNames, feeds, { method = 'percentile', percentile = 99.999 } = {}) {
  const m = cloneModel(model);
  const existing = new Set(m.graph.output.map((o) => o.name));
  const names = tensorNames.filter((n) => !existing.has(n));
  for (const n of names) m.graph.output.push(makeValueInfo(n, DT.FLOAT));
  const ort = await optional('onnxruntime-node');
  const session = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 2 });
  const ranges = new Map();
  const runAll = async (visit) => {
    for (const feed of feeds) {
      const out = await session.run(toOrtFeed(ort, feed));
      for (const n of tensorNames) visit(n, out[n].data);
    }
  };
  await runAll((n, d) => {
    let lo = Infinity; let hi = -Infinity;
    for (let i = 0; i < d.length; i++) { const v = d[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
    const r = ranges.get(n);
    ranges.set(n, r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi]);
  });
  if (method === 'percentile' && percentile < 100) {
    const BINS = 4096;
    const hists = new Map();
    await runAll((n, d) => {
      const [lo, hi] = ranges.get(n);
      if (!(hi > lo)) return;
      let h = hists.get(n);
      if (!h) hists.set(n, (h = new Float64Array(BINS)));
      const k = BINS / (hi - lo);
      for (let i = 0; i < d.length; i++) h[Math.min(BINS - 1, Math.floor((d[i] - lo) * k))]++;
    });
    for (const [n, h] of hists) {
      const [lo, hi] = ranges.get(n);
      let total = 0;
      for (const c of h) total += c;
      const tail = total * (1 - percentile / 100);
      let acc = 0; let a = 0;
      while (a < BINS - 1 && acc + h[a] <= tail) acc += h[a++];
      acc = 0; let b = BINS - 1;
      while (b > 0 && acc + h[b] <= tail) acc += h[b--];
      const w = (hi - lo) / BINS;
      // Never clip a side that only holds the zero of a ReLU output.
      const plo = lo >= 0 ? lo : Math.min(0, lo + a * w);
      const phi = hi <= 0 ? hi : Math.max(0, lo + (b + 1) * w);
      ranges.set(n, [plo, phi]);
    }
  }
  await session.release?.();
  return ranges;
}

/** uint8 asymmetric scale/zero point for a range (the range always includes 0 so 0 is exact). */
export function uint8Params([lo, hi]) {
  const rmin = Math.min(0, lo);
  const rmax = Math.max(0, hi);
  let scale = (rmax - rmin) / 255;
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1 / 255;
  scale = Math.fround(scale);
  const zp = Math.min(255, Math.max(0, Math.round(-rmin / scale)));
  return { scale, zp };
}

/** Per-channel symmetric int8 quantisation of weights along `axis`. */
export function quantizeWeights(data, dims, axis, { reduceRange = false } = {}) {
  const qmax = reduceRange ? 63 : 127;
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const maxAbs = new Float64Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) maxAbs[c] = Math.max(maxAbs[c], Math.abs(data[base + i]));
    }
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = maxAbs[c] > 0 ? maxAbs[c] / qmax : 1;
  const q = new Int8Array(data.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const s = scales[c];
      for (let i = 0; i < inner; i++) q[base + i] = Math.max(-qmax, Math.min(qmax, Math.round(data[base + i] / s)));
    }
  }
  return { q, scales };
}

/**
 * Static int8 QDQ quantisation.
 * @param {any} model fp32 ModelProto (not modified)
 * @param {import('./inputs.mjs').Feed[]} feeds calibration inputs
 * Defaults are tuned for onnxruntime-web's WASM backend, where (measured with ORT 1.30 in Chromium) depthwise
 * QLinearConv runs 2-5x slower than the fp32 kernel and a first RGB conv (reduction depth 27) 2x slower: those
 * stay float (skipDepthwise, minDepth 32); dense and pointwise convs, Gemm and MatMul go int8.
 * @param {{ method?: 'minmax'|'percentile', percentile?: number, exclude?: string[], floatOps?: string[],
 *   reduceRange?: boolean, skipDepthwise?: boolean, minDepth?: number, concatSameScale?: boolean,
 *   weightType?: 'int8'|'uint8', quantizeLast?: boolean, log?: (s: string) => void }} [opts]
 */
export async function quantizeInt8(model, feeds, opts = {}) {
  const log = opts.log ?? (() => {});
  const m = cloneModel(model);
  const g = m.graph;
  const opset = defaultOpset(m);
  if (opset < 13) throw new Error(`Opset ${opset} < 13: per-channel QuantizeLinear/DequantizeLinear need opset 13; convert with opset ≥ 13`);
  constantsToInitializers(g);
  topoSort(g);
  const types = inferElemTypes(g);
  const inits = initializerMap(g);
  const graphOutputs = new Set(g.output.map((o) => o.name));
  const exclude = new Set(opts.exclude ?? []);
  {
    // Keeping a weighted op or Add float keeps the Relu/Clip that would be folded into it float too: that
    // activation is part of the same unit (quantised alone it would put a Q→DQ back on the float result).
    const cm = consumerMap(g);
    for (const n of g.node) {
      if (!exclude.has(n.name) || !(n.opType in WEIGHTED || n.opType === 'Add')) continue;
      const cs = cm.get(n.output[0]) ?? [];
      if (cs.length === 1 && (cs[0].opType === 'Relu' || cs[0].opType === 'Clip')) exclude.add(cs[0].name);
    }
  }
  const floatOps = new Set([...DEFAULT_FLOAT_OPS, ...(opts.floatOps ?? [])]);
  const isFloat = (t) => types.get(t) === DT.FLOAT;
  const isInit = (t) => inits.has(t);
  const isAct = (t) => t && isFloat(t) && !isInit(t);
  let consumers = consumerMap(g);

  // 1. Decide which nodes run in int8.
  const weightAxis = (n) => {
    const w = inits.get(n.input[WEIGHTED[n.opType]]);
    if (!w || w.dataType !== DT.FLOAT) return undefined;
    const dims = tensorDims(w);
    if (n.opType === 'Conv') return dims.length >= 3 ? 0 : undefined;
    if (n.opType === 'ConvTranspose') return attr(n, 'group', 1) === 1 && dims.length >= 3 ? 1 : undefined;
    if (n.opType === 'Gemm') {
      if (attr(n, 'alpha', 1) !== 1 || attr(n, 'beta', 1) !== 1 || attr(n, 'transA', 0)) return undefined;
      return attr(n, 'transB', 0) ? 0 : 1;
    }
    if (n.opType === 'MatMul') return dims.length === 2 ? 1 : undefined;
    return undefined;
  };
  const producers = producerMap(g);
  // "Last layers": weighted nodes from which a graph output is reached without passing another weighted
  // node. Their rounding error lands on the result unfiltered (mask logits, box regressors, pixels), so
  // they stay float unless opts.quantizeLast.
  const lastLayers = new Set();
  if (!opts.quantizeLast) {
    const cm = consumerMap(g);
    for (const n of g.node) {
      if (!(n.opType in WEIGHTED)) continue;
      const stack = [...n.output];
      const seenT = new Set();
      while (stack.length) {
        const t = stack.pop();
        if (seenT.has(t)) continue;
        seenT.add(t);
        if (graphOutputs.has(t)) { lastLayers.add(n); break; }
        for (const c of cm.get(t) ?? []) if (!(c.opType in WEIGHTED)) stack.push(...c.output);
      }
    }
  }
  const quantNodes = new Set();
  for (const n of g.node) {
    if (exclude.has(n.name) || floatOps.has(n.opType) || (n.domain && n.domain !== 'ai.onnx')) continue;
    const out = n.output[0];
    if (!isAct(out) || graphOutputs.has(out)) continue; // graph outputs stay exact float
    if (n.opType in WEIGHTED) {
      if (!isAct(n.input[0]) || weightAxis(n) === undefined || lastLayers.has(n)) continue;
      if ((opts.skipDepthwise ?? true) && n.opType === 'Conv' && attr(n, 'group', 1) > 1) continue;
      const minDepth = opts.minDepth ?? 32;
      if (minDepth && n.opType === 'Conv') {
        // Reduction depth per output value (C_in/group · kh · kw): tiny ones (a first RGB layer) run slower in int8.
        const wd = tensorDims(inits.get(n.input[1]));
        if (wd.slice(1).reduce((a, b) => a * b, 1) < minDepth) continue;
      }
      quantNodes.add(n);
    } else if (PASS_OPS.has(n.opType) || SAME_SCALE.has(n.opType)) {
      if (!isAct(n.input[0])) continue;
      if (n.opType === 'Add' && !(isAct(n.input[1]))) continue;
      if (n.opType === 'Concat' && !n.input.every(isAct)) continue;
      quantNodes.add(n);
    }
  }
  // Same-scale ops are only worth it when int8 reaches them from a quantised producer.
  for (const n of [...g.node]) {
    if (!quantNodes.has(n) || !SAME_SCALE.has(n.opType) || n.opType === 'MaxPool') continue;
    const p = producers.get(n.input[0]);
    if (!p || !quantNodes.has(p)) quantNodes.delete(n);
  }

  // 2. Fold Relu / Clip(0, x) that solely follows a weighted op or Add into it: the uint8 range [0, max]
  //    with zero point 0 does the clamping (what ORT's ReluQuantFusion/ClipQuantFusion would do).
  const removed = new Set();
  const clampMax = new Map();
  const rename = new Map();
  for (const n of g.node) {
    // Only where the producer really runs in int8: a float producer would lose its activation.
    if (!(n.opType in WEIGHTED || n.opType === 'Add') || !quantNodes.has(n)) continue;
    const out = n.output[0];
    const cs = consumers.get(out) ?? [];
    if (cs.length !== 1 || graphOutputs.has(out)) continue;
    const a = cs[0];
    if (exclude.has(a.name) || graphOutputs.has(a.output[0])) continue;
    let lo = 0; let hi = Infinity;
    if (a.opType === 'Clip') {
      const minT = a.input[1] && inits.get(a.input[1]);
      const maxT = a.input[2] && inits.get(a.input[2]);
      lo = minT ? tensorData(minT)[0] : attr(a, 'min', -Infinity);
      hi = maxT ? tensorData(maxT)[0] : attr(a, 'max', Infinity);
      if (lo !== 0) continue;
    } else if (a.opType !== 'Relu') continue;
    removed.add(a);
    rename.set(out, a.output[0]);
    clampMax.set(a.output[0], hi);
  }
  // Nodes whose inputs we must remap after renaming (the folded activation's output keeps its name).
  for (const n of g.node) {
    if (removed.has(n)) continue;
    n.output = n.output.map((o) => rename.get(o) ?? o);
  }
  g.node = g.node.filter((n) => !removed.has(n));
  for (const n of removed) quantNodes.delete(n);
  consumers = consumerMap(g);

  // 3. Tensors that get a Q→DQ pair: activation inputs and outputs of quantised nodes.
  /** @type {string[]} */
  const qTensors = [];
  const seen = new Set();
  const addT = (t) => { if (isAct(t) && !seen.has(t)) { seen.add(t); qTensors.push(t); } };
  for (const n of g.node) {
    if (!quantNodes.has(n)) continue;
    const actInputs = n.opType in WEIGHTED ? [n.input[0]] : n.input.filter(isAct).slice(0, n.opType === 'Resize' ? 1 : undefined);
    actInputs.forEach(addT);
    addT(n.output[0]);
  }
  // Graph outputs are produced as float; their consumers may still read a QDQ copy, but never the output itself.
  const calibNames = qTensors.filter((t) => !graphOutputs.has(t));
  log(`quantising ${quantNodes.size} nodes, calibrating ${calibNames.length} tensors on ${feeds.length} inputs`);
  // opts.rangeCache (a Map, filled here) lets a caller that quantises the same model many times (the
  // mixed-precision search) calibrate each tensor once: every tensor's range depends only on its own values.
  const cache = opts.rangeCache;
  const missing = cache ? calibNames.filter((t) => !cache.has(t)) : calibNames;
  const ranges = missing.length ? await calibrate(model, missing, feeds, { method: opts.method, percentile: opts.percentile }) : new Map();
  if (cache) {
    for (const [t, r] of ranges) cache.set(t, r);
    for (const t of calibNames) ranges.set(t, cache.get(t));
  }
  // Folded activations: force the clamp range.
  for (const [t, hi] of clampMax) {
    const r = ranges.get(t);
    if (r) ranges.set(t, [0, Math.min(r[1], hi)]);
  }
  // Tensors that must share one scale/zero point: in and out of data-movement ops, and all inputs and the
  // output of Concat (then Concat runs on uint8 directly instead of requantising in QLinearConcat).
  const parent = new Map(calibNames.map((t) => [t, t]));
  const find = (t) => { while (parent.get(t) !== t) t = parent.get(t); return t; };
  const union = (a, b) => {
    if (!parent.has(a) || !parent.has(b)) return false;
    const ra = find(a); const rb = find(b);
    // Root = the tensor earlier in calibNames, so grouping is deterministic.
    if (ra !== rb) { if (calibNames.indexOf(ra) < calibNames.indexOf(rb)) parent.set(rb, ra); else parent.set(ra, rb); }
    return true;
  };
  const sharedScale = (n) => SAME_SCALE.has(n.opType) || (n.opType === 'Concat' && opts.concatSameScale !== false);
  for (const n of g.node) {
    if (!quantNodes.has(n) || !sharedScale(n)) continue;
    const ins = n.opType === 'Concat' ? n.input : [n.input[0]];
    for (const i of ins) union(i, n.output[0]);
  }
  const groupRange = new Map();
  for (const t of calibNames) {
    const r = find(t); const [lo, hi] = ranges.get(t); const g0 = groupRange.get(r);
    groupRange.set(r, g0 ? [Math.min(g0[0], lo), Math.max(g0[1], hi)] : [lo, hi]);
  }
  const groupParams = new Map([...groupRange].map(([r, range]) => [r, uint8Params(range)]));
  const params = new Map();
  for (const t of calibNames) params.set(t, groupParams.get(find(t)));

  // 4. Rewrite.
  const fresh = nameAllocator(g);
  const newInits = [];
  const newNodes = [];
  const qOut = new Map(); // tensor → its uint8 tensor name
  const scaleInit = new Map();
  const paramInits = (t) => {
    if (!scaleInit.has(t)) {
      // Same-scale tensors share one scale/zero-point pair (ORT's QDQ-drop rules compare them).
      const shared = [...params.keys()].find((k) => k !== t && params.get(k) === params.get(t) && scaleInit.has(k));
      if (shared) { scaleInit.set(t, scaleInit.get(shared)); return scaleInit.get(t); }
      const { scale, zp } = params.get(t);
      const s = fresh(`${t}_scale`); const z = fresh(`${t}_zero_point`);
      newInits.push(makeTensor(s, DT.FLOAT, [], Float32Array.of(scale)));
      newInits.push(makeTensor(z, DT.UINT8, [], Uint8Array.of(zp)));
      scaleInit.set(t, [s, z]);
    }
    return scaleInit.get(t);
  };
  const ensureQ = (t) => {
    const [s, z] = paramInits(t);
    if (!qOut.has(t)) {
      const qn = fresh(`${t}_QuantizeLinear`);
      qOut.set(t, fresh(`${t}_quantized`));
      newNodes.push({ after: t, node: makeNode('QuantizeLinear', [t, s, z], [qOut.get(t)], qn) });
    }
    return qOut.get(t);
  };
  const dqFor = (t, consumer) => {
    // One Q per tensor, one DQ per consumer (ORT's QDQ selectors want a DQ per node unit).
    const [s, z] = paramInits(t);
    ensureQ(t);
    const d = fresh(`${t}_dequantized`);
    newNodes.push({ after: t, node: makeNode('DequantizeLinear', [qOut.get(t), s, z], [d], fresh(`${t}_DequantizeLinear_${consumer.name || 'node'}`)) });
    return d;
  };
  const weightCache = new Map();
  let weightBytes = 0;
  for (const n of g.node) {
    if (!quantNodes.has(n)) continue;
    const wi = WEIGHTED[n.opType];
    const xName = n.input[0];
    const moves = n.opType === 'Concat' ? n.input : [xName];
    if (sharedScale(n) && moves.every((t) => params.has(t) && params.get(t) === params.get(n.output[0]))) {
      // Data movement on the uint8 tensor itself: no DQ→op→Q left for the runtime to (maybe) drop.
      n.input = n.input.map((t) => (moves.includes(t) ? ensureQ(t) : t));
      const q = fresh(`${n.output[0]}_quantized`);
      qOut.set(n.output[0], q);
      paramInits(n.output[0]);
      n.output[0] = q;
      continue;
    }
    // Activation inputs → DQ outputs.
    n.input = n.input.map((t, i) => {
      if (!t || (wi !== undefined && i !== 0)) return t;
      if (n.opType === 'Resize' && i > 0) return t;
      return params.has(t) ? dqFor(t, n) : t;
    });
    if (wi === undefined) continue;
    // Weight → int8 initializer + DQ.
    const wName = n.input[wi];
    const axis = weightAxis(n);
    const key = `${wName}|${axis}`;
    let wScales;
    if (!weightCache.has(key)) {
      const w = inits.get(wName);
      const dims = tensorDims(w);
      const { q, scales } = quantizeWeights(tensorData(w), dims, axis, { reduceRange: opts.reduceRange });
      const qn = fresh(`${wName}_quantized`); const sn = fresh(`${wName}_scale`); const zn = fresh(`${wName}_zero_point`);
      if (opts.weightType === 'uint8') {
        // Same symmetric grid shifted by 128 (zero point 128): lets runtimes use their U8U8 kernels.
        newInits.push(makeTensor(qn, DT.UINT8, dims, Uint8Array.from(q, (v) => v + 128)));
        newInits.push(makeTensor(sn, DT.FLOAT, [scales.length], scales));
        newInits.push(makeTensor(zn, DT.UINT8, [scales.length], new Uint8Array(scales.length).fill(128)));
      } else {
        newInits.push(makeTensor(qn, DT.INT8, dims, q));
        newInits.push(makeTensor(sn, DT.FLOAT, [scales.length], scales));
        newInits.push(makeTensor(zn, DT.INT8, [scales.length], new Int8Array(scales.length)));
      }
      weightBytes += q.length;
      const dq = fresh(`${wName}_dequantized`);
      newNodes.push({ after: '', node: makeNode('DequantizeLinear', [qn, sn, zn], [dq], fresh(`${wName}_DequantizeLinear`), { axis }) });
      weightCache.set(key, { dq, scales });
    }
    ({ scales: wScales } = weightCache.get(key));
    n.input[wi] = weightCache.get(key).dq;
    // Bias → int32 with scale x_scale·w_scale (what QLinearConv/QGemm consume).
    const bi = n.opType === 'MatMul' ? -1 : 2;
    const bName = bi > 0 ? n.input[bi] : undefined;
    const b = bName && inits.get(bName);
    if (b && b.dataType === DT.FLOAT && tensorDims(b).length === 1 && tensorDims(b)[0] === wScales.length) {
      const xs = params.get(xName).scale;
      const bd = tensorData(b);
      const bs = new Float32Array(wScales.length);
      const bq = new Int32Array(wScales.length);
      for (let c = 0; c < bs.length; c++) {
        bs[c] = Math.fround(xs * wScales[c]);
        bq[c] = Math.max(-2147483647, Math.min(2147483647, Math.round(bd[c] / bs[c])));
      }
      const qn = fresh(`${bName}_quantized`); const sn = fresh(`${bName}_scale`); const zn = fresh(`${bName}_zero_point`);
      newInits.push(makeTensor(qn, DT.INT32, [bq.length], bq));
      newInits.push(makeTensor(sn, DT.FLOAT, [bs.length], bs));
      newInits.push(makeTensor(zn, DT.INT32, [bs.length], new Int32Array(bs.length)));
      const dq = fresh(`${bName}_dequantized`);
      newNodes.push({ after: '', node: makeNode('DequantizeLinear', [qn, sn, zn], [dq], fresh(`${bName}_DequantizeLinear`), { axis: 0 }) });
      n.input[bi] = dq;
    }
  }
  // Output tensors of quantised nodes read by non-quantised nodes also go through Q→DQ, so the producer's
  // output feeds only a Q (the pattern ORT fuses); consumers that are quantised already got their DQ above.
  for (const t of params.keys()) {
    if (graphOutputs.has(t)) continue;
    for (const c of consumers.get(t) ?? []) {
      if (quantNodes.has(c)) continue;
      const d = dqFor(t, c);
      c.input = c.input.map((x) => (x === t ? d : x));
    }
  }
  // Place new nodes: weight DQs first, activation Q/DQ right after their tensor's producer (topoSort fixes order).
  const front = newNodes.filter((x) => x.after === '').map((x) => x.node);
  const rest = newNodes.filter((x) => x.after !== '').map((x) => x.node);
  g.node = [...front, ...g.node, ...rest];
  g.initializer.push(...newInits);
  // Drop float weights nobody reads any more.
  const used = new Set(g.node.flatMap((n) => n.input));
  for (const o of g.output) used.add(o.name);
  g.initializer = g.initializer.filter((t) => used.has(t.name));
  const inputNames = new Set(g.initializer.map((t) => t.name));
  g.input = g.input.filter((i) => !inits.has(i.name) || inputNames.has(i.name));
  g.valueInfo = g.valueInfo.filter((v) => !removed.has(v.name));
  topoSort(g);
  m.producerName = 'cv-models quantize --int8';
  m.producerVersion = '1';
  const report = {
    quantizedNodes: [...quantNodes].map((n) => `${n.opType}:${n.name}`),
    floatWeightedNodes: g.node.filter((n) => n.opType in WEIGHTED && !quantNodes.has(n)).map((n) => `${n.opType}:${n.name}`),
    foldedActivations: removed.size,
    int8WeightBytes: weightBytes,
    calibratedTensors: calibNames.length,
  };
  return { model: m, report };
}

// ---------------------------------------------------------------- fp16

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** float32 → IEEE half bits, round to nearest even, saturating to ±65504 (not ±inf) for finite input. */
export function toHalf(v) {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7bff; // saturate
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  if ((h & 0x7fff) >= 0x7c00) return sign | 0x7bff;
  return sign | h;
}

/** IEEE half bits → number. */
export function fromHalf(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function tensorToHalf(t) {
  const d = tensorData(t);
  const h = new Uint16Array(d.length);
  for (let i = 0; i < d.length; i++) h[i] = toHalf(d[i]);
  return makeTensor(t.name, DT.FLOAT16, tensorDims(t), h);
}

/** Inputs that must stay float32 whatever the data type (sizes, scales, ROIs). */
const FLOAT32_ONLY_INPUTS = { Resize: [1, 2], Upsample: [1] };
/** Ops run in float32 inside an fp16 graph by default: they overflow or lose too much in half precision. */
export const DEFAULT_FP32_OPS = ['Exp', 'Pow', 'Log', 'ReduceSumSquare', 'ReduceL2', 'ReduceLogSumExp', 'Softplus', 'Erf'];

/**
 * Converts float32 weights and compute to float16, keeping graph inputs/outputs float32 (Cast at the
 * boundaries) and running `fp32Ops` in float32 (Cast around them).
 * @param {any} model
 * @param {{ fp32Ops?: string[], exclude?: string[] }} [opts]
 */
export function convertFp16(model, opts = {}) {
  const m = cloneModel(model);
  const g = m.graph;
  constantsToInitializers(g);
  topoSort(g);
  const types = inferElemTypes(g);
  const fp32Ops = new Set(opts.fp32Ops ?? DEFAULT_FP32_OPS);
  const exclude = new Set(opts.exclude ?? []);
  const fresh = nameAllocator(g);
  const isF = (t) => types.get(t) === DT.FLOAT;
  const keep32 = (n) => fp32Ops.has(n.opType) || exclude.has(n.name) || (n.domain && n.domain !== 'ai.onnx');

  // Initializers read only as float32-only inputs stay float32; others are converted (a copy if both).
  const consumers = consumerMap(g);
  const f32Uses = new Set();
  const f16Uses = new Set();
  for (const n of g.node) {
    n.input.forEach((t, i) => {
      if (!t || !isF(t)) return;
      if ((FLOAT32_ONLY_INPUTS[n.opType] ?? []).includes(i) || keep32(n)) f32Uses.add(t);
      else f16Uses.add(t);
    });
  }
  const init16 = new Map();
  const newInits = [];
  for (const t of g.initializer) {
    if (t.dataType !== DT.FLOAT) { newInits.push(t); continue; }
    if (f16Uses.has(t.name)) {
      const h = tensorToHalf(t);
      if (f32Uses.has(t.name)) { h.name = fresh(`${t.name}_fp16`); newInits.push(t); }
      init16.set(t.name, h.name);
      newInits.push(h);
    } else newInits.push(t);
  }
  g.initializer = newInits;

  const inputs = new Set(realInputs(g).map((i) => i.name));
  const outputs = new Set(g.output.map((o) => o.name));
  // name of the fp16 version / fp32 version of each float activation
  const as16 = new Map();
  const as32 = new Map();
  const nodes = [];
  const castTo = (t, to, map) => {
    if (!map.has(t)) {
      const name = fresh(`${t}_${to === DT.FLOAT16 ? 'fp16' : 'fp32'}`);
      nodes.push(makeNode('Cast', [t], [name], fresh(`${t}_Cast_${to === DT.FLOAT16 ? 'fp16' : 'fp32'}`), { to }));
      map.set(t, name);
    }
    return map.get(t);
  };
  // Activations are produced as fp16 (by converted nodes) under their own names, except graph inputs
  // (fp32) and outputs of fp32 nodes. Track each float activation's actual dtype.
  const dtype = new Map();
  for (const i of inputs) if (isF(i)) dtype.set(i, DT.FLOAT);
  for (const t of g.initializer) dtype.set(t.name, t.dataType);
  for (const n of g.node) {
    const want32 = keep32(n);
    n.input = n.input.map((t, i) => {
      if (!t || !isF(t)) return t;
      const only32 = (FLOAT32_ONLY_INPUTS[n.opType] ?? []).includes(i);
      const target = want32 || only32 ? DT.FLOAT : DT.FLOAT16;
      if (init16.has(t) && target === DT.FLOAT16) return init16.get(t);
      const cur = dtype.get(t) ?? DT.FLOAT16;
      if (cur === target) return t;
      return target === DT.FLOAT16 ? castTo(t, DT.FLOAT16, as16) : castTo(t, DT.FLOAT, as32);
    });
    if (n.opType === 'Cast' && attr(n, 'to') === DT.FLOAT && !want32) {
      n.attribute.find((a) => a.name === 'to').i = DT.FLOAT16;
    }
    if (n.opType === 'ConstantOfShape' && !want32) {
      const a = n.attribute.find((x) => x.name === 'value');
      if (a?.t?.dataType === DT.FLOAT) a.t = tensorToHalf(a.t);
    }
    nodes.push(n);
    for (const o of n.output) if (isF(o)) dtype.set(o, want32 ? DT.FLOAT : DT.FLOAT16);
  }
  // Graph outputs: the producer writes an fp16 tensor under a new name, a Cast restores the fp32 name.
  for (const o of g.output) {
    if (!isF(o.name) || dtype.get(o.name) !== DT.FLOAT16) continue;
    const inner = fresh(`${o.name}_fp16`);
    for (const n of nodes) {
      n.output = n.output.map((x) => (x === o.name ? inner : x));
      n.input = n.input.map((x) => (x === o.name ? inner : x));
    }
    nodes.push(makeNode('Cast', [inner], [o.name], fresh(`${o.name}_Cast_fp32`), { to: DT.FLOAT }));
  }
  g.node = nodes;
  // value_info types no longer hold for converted tensors: keep only non-float entries.
  g.valueInfo = g.valueInfo.filter((v) => valueElemType(v) !== DT.FLOAT);
  topoSort(g);
  m.producerName = 'cv-models quantize --fp16';
  m.producerVersion = '1';
  void consumers; void outputs;
  return { model: m, report: { fp16Initializers: init16.size, fp32Ops: [...fp32Ops] } };
}

export { num };
