// TF.js graph models and layers models (model.json + weight shards) → ONNX (fp32).
import fs from 'node:fs';
import path from 'node:path';
import { Emitter, ConversionError, transposeData } from './emitter.mjs';
import * as ops from './ops.mjs';
import { halfToFloat } from './convert-tflite.mjs';
import { ModelFileError, checkShape, checkStored } from './untrusted.mjs';

const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 };

/** Parses and checks model.json's text: the fields the readers use must have the types they expect. */
export function parseTfjsJson(text, file) {
  let json;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(`${file}: not valid JSON (${err.message})`);
  }
  const bad = (what) => { throw new ModelFileError(`${file}: ${what}`); };
  if (!json || typeof json !== 'object' || Array.isArray(json)) bad('model.json must hold a JSON object');
  const topo = json.modelTopology;
  if (!topo || typeof topo !== 'object') bad('"modelTopology" is missing or not an object');
  if (topo.node !== undefined) {
    if (!Array.isArray(topo.node)) bad('"modelTopology.node" is not an array');
    topo.node.forEach((n, i) => {
      if (!n || typeof n !== 'object' || typeof n.name !== 'string' || typeof n.op !== 'string') bad(`graph node ${i} needs a string "name" and "op"`);
      if (n.input !== undefined && (!Array.isArray(n.input) || n.input.some((x) => typeof x !== 'string'))) bad(`graph node "${n.name}" has an "input" that is not a list of strings`);
      if (n.attr !== undefined && (!n.attr || typeof n.attr !== 'object')) bad(`graph node "${n.name}" has an "attr" that is not an object`);
    });
  } else {
    const cfg = (topo.model_config ?? topo)?.config;
    if (cfg === undefined) bad('"modelTopology" has neither graph "node"s nor a layers "config"');
    {
      if (!cfg || typeof cfg !== 'object' || !Array.isArray(cfg.layers)) bad('layers model config has no "layers" list');
      cfg.layers.forEach((l, i) => {
        if (!l || typeof l !== 'object' || typeof l.name !== 'string' || typeof l.class_name !== 'string' || !l.config || typeof l.config !== 'object') bad(`layer ${i} needs a string "name", "class_name" and a "config" object`);
        if (l.inbound_nodes !== undefined && !Array.isArray(l.inbound_nodes)) bad(`layer "${l.name}" has "inbound_nodes" that is not a list`);
      });
      if (cfg.output_layers !== undefined && (!Array.isArray(cfg.output_layers) || cfg.output_layers.some((o) => !Array.isArray(o) || typeof o[0] !== 'string'))) bad('"output_layers" is not a list of [name, …] entries');
    }
  }
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) bad('"weightsManifest" is not an array');
  manifest.forEach((g, gi) => {
    if (!g || typeof g !== 'object' || !Array.isArray(g.paths) || !Array.isArray(g.weights)) bad(`weightsManifest[${gi}] needs "paths" and "weights" arrays`);
    if (g.paths.some((p) => typeof p !== 'string')) bad(`weightsManifest[${gi}].paths must hold strings`);
    g.weights.forEach((w, wi) => {
      if (!w || typeof w !== 'object' || typeof w.name !== 'string') bad(`weightsManifest[${gi}].weights[${wi}] needs a string "name"`);
      checkShape(w.shape, `${file}: weight "${w.name}"`);
      const q = w.quantization;
      if (q !== undefined && q !== null) {
        if (typeof q !== 'object' || !QUANT_BYTES[q.dtype]) bad(`weight "${w.name}" has unsupported quantization ${JSON.stringify(q?.dtype ?? q)}`);
        if (q.dtype !== 'float16' && (!Number.isFinite(q.scale) || (q.min !== undefined && !Number.isFinite(q.min)))) bad(`weight "${w.name}" has a non-numeric quantization scale or min`);
      }
    });
  });
  return json;
}

/**
 * Resolves a weight shard's path inside the model's folder. model.json is data from whoever made
 * the model: a path with "..", an absolute path, a URL or a symlink out of the folder would make
 * the converter copy any readable file into its output.
 */
export function shardPath(dir, p, file) {
  const bad = (why) => { throw new ModelFileError(`${file}: weight path ${JSON.stringify(p)} ${why}; shards must be files next to model.json`); };
  if (!p || p.includes('\\') || p.includes('\0') || /^[a-z][a-z0-9+.-]*:/i.test(p) || path.isAbsolute(p)) bad('is not a relative file path');
  if (p.split('/').some((seg) => seg === '..')) bad('leaves the model folder');
  const realDir = fs.realpathSync(dir);
  let real;
  try {
    real = fs.realpathSync(path.join(dir, p));
  } catch (err) {
    throw new ModelFileError(`${file}: weight shard ${JSON.stringify(p)} cannot be read (${err.code ?? err.message})`);
  }
  if (real !== realDir && !real.startsWith(realDir + path.sep)) bad('resolves (through a link) outside the model folder');
  if (!fs.statSync(real).isFile()) bad('is not a regular file');
  return real;
}

/** Reads model.json and its shards; returns {json, weights: Map<name, {data, shape, dtype}>}. */
export function readTfjsModel(modelJsonPath) {
  const json = parseTfjsJson(fs.readFileSync(modelJsonPath, 'utf8'), modelJsonPath);
  const dir = path.dirname(modelJsonPath);
  const weights = new Map();
  for (const group of json.weightsManifest ?? []) {
    const bufs = group.paths.map((p) => fs.readFileSync(shardPath(dir, p, modelJsonPath)));
    const all = Buffer.concat(bufs);
    let off = 0;
    for (const w of group.weights) {
      const n = checkShape(w.shape, `Weight "${w.name}"`);
      const q = w.quantization;
      // Every weight must fit in what is left of its group's shards, before anything is allocated for it.
      const elemBytes = q ? QUANT_BYTES[q.dtype] : 4;
      checkStored(n, elemBytes, all.length - off, `Weight "${w.name}" (at byte ${off} of its ${all.length}-byte shards)`);
      let data, bytes;
      if (q) {
        bytes = n * elemBytes;
        const dv = new DataView(all.buffer, all.byteOffset + off, bytes);
        data = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          if (q.dtype === 'float16') data[i] = halfToFloat(dv.getUint16(2 * i, true));
          else {
            const v = q.dtype === 'uint16' ? dv.getUint16(2 * i, true) : dv.getUint8(i);
            data[i] = q.min !== undefined ? v * q.scale + q.min : (v - (q.zeroPoint ?? 0)) * q.scale;
          }
        }
        if (w.dtype === 'int32') data = Int32Array.from(data, Math.round);
      } else {
        bytes = n * 4;
        const dv = new DataView(all.buffer, all.byteOffset + off, bytes);
        if (w.dtype === 'float32') { data = new Float32Array(n); for (let i = 0; i < n; i++) data[i] = dv.getFloat32(4 * i, true); }
        else if (w.dtype === 'int32') { data = new Int32Array(n); for (let i = 0; i < n; i++) data[i] = dv.getInt32(4 * i, true); }
        else throw new ConversionError(`Weight "${w.name}" has unsupported dtype ${w.dtype}`);
      }
      weights.set(w.name, { data, shape: w.shape, dtype: w.dtype === 'int32' ? 'int32' : 'float32' });
      off += bytes;
    }
  }
  return { json, weights };
}

/** HWIO (TensorFlow conv kernel) → OIHW. */
function hwioToOihw(w) { return transposeData(w.data, w.shape, [3, 2, 0, 1]); }
/** HWCM (TensorFlow depthwise kernel) → ONNX grouped [C*M, 1, H, W]. */
function hwcmToOnnx(w) {
  const [H, W, C, M] = w.shape;
  const t = transposeData(w.data, [H, W, C * M], [2, 0, 1]);
  return { data: t.data, shape: [C * M, 1, H, W] };
}

const b64 = (s) => Buffer.from(s, 'base64').toString('utf8');
const TF_DTYPES = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_INT64: 'int64', DT_BOOL: 'bool', DT_UINT8: 'uint8', DT_INT8: 'int8' };

/**
 * Resolves a StridedSlice's masks to plain begin/end/strides per axis (TensorFlow semantics: a set
 * begin/end mask bit means "from the start"/"to the end"; shrink_axis takes one element and drops the axis).
 */
export function stridedSliceBounds(n, shape, beginIn, endIn, stridesIn) {
  const mask = (k) => Number(n.attr?.[k]?.i ?? 0);
  if (mask('ellipsis_mask') || mask('new_axis_mask')) throw new ConversionError('StridedSlice with ellipsis_mask or new_axis_mask is not supported');
  const bm = mask('begin_mask'), em = mask('end_mask'), sm = mask('shrink_axis_mask');
  const begin = [], end = [], strides = [], squeeze = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    const given = i < beginIn.length;
    const st = given ? Number(stridesIn[i]) : 1;
    if (st <= 0) throw new ConversionError('StridedSlice with a negative or zero stride is not supported');
    let b = !given || (bm >> i) & 1 ? 0 : Number(beginIn[i]);
    let en = !given || (em >> i) & 1 ? d : Number(endIn[i]);
    if (b < 0) b += d;
    if (en < 0) en += d;
    if (given && (sm >> i) & 1) { en = b + 1; squeeze.push(i); }
    begin.push(Math.min(Math.max(b, 0), d)); end.push(Math.min(Math.max(en, 0), d)); strides.push(st);
  }
  return { begin, end, strides, squeeze };
}

/**
 * @param {string} modelJsonPath
 * @param {{inputShape?: number[]}} opts fixed input shape (NHWC) for free dimensions
 */
export function convertTfjs(modelJsonPath, opts = {}) {
  const { json, weights } = readTfjsModel(modelJsonPath);
  if (json.format === 'graph-model' || json.modelTopology?.node) return convertGraph(json, weights, opts);
  if (json.format === 'layers-model' || json.modelTopology?.model_config || json.modelTopology?.config) return convertLayers(json, weights, opts);
  throw new ConversionError(`${modelJsonPath}: not a TF.js graph or layers model`);
}

function fixShape(shape, opts, what) {
  const s = shape.map((d, i) => (d === null || d < 0 ? (opts.inputShape?.[i] ?? (i === 0 ? 1 : -1)) : d));
  if (s.some((d) => d < 0)) throw new ConversionError(`Input "${what}" has free dimensions ${JSON.stringify(shape)}; pass a fixed input shape (--input-shape 1,H,W,C)`);
  return s;
}

function finish(e, opCounts) {
  const bytes = e.toBytes();
  return {
    bytes,
    inputs: e.inputs.map((x) => ({ name: x.name, shape: x.shape, dtype: x.dtype })),
    outputs: e.outputs.map((x) => ({ name: x.name, shape: x.shape, dtype: x.dtype })),
    opCounts,
  };
}

// ---------------- graph models ----------------

function attrOf(n, k) { return n.attr?.[k]; }
function ints(n, k) { return (attrOf(n, k)?.list?.i ?? []).map(Number); }
function str(n, k) { const s = attrOf(n, k)?.s; return s === undefined ? undefined : b64(s); }

function convertGraph(json, weights, opts) {
  const nodes = json.modelTopology.node;
  const e = new Emitter('tfjs_graph');
  const opCounts = {};
  const ref = (name) => name.replace(/^\^/, '').replace(/:0$/, '');
  const cdata = (k) => e.constData(ref(k));
  const weight = (k) => { const v = e.get(ref(k)); if (!v.const) throw new ConversionError(`"${k}" must be constant`); return { data: Float32Array.from(v.const.data), shape: v.shape }; };
  /**
   * The bias and activation a grappler-fused conv or matmul carries in `fused_ops`. Its extra arguments
   * follow the two operands in order: the bias, then (for Prelu) the per-channel alpha.
   */
  const fusedEpilogue = (n, ins) => {
    let bias = null, activation = 'NONE', preluAlpha = null, arg = 2;
    for (const f of (attrOf(n, 'fused_ops')?.list?.s ?? []).map(b64)) {
      if (f === 'BiasAdd') bias = weight(ins[arg++]).data;
      else if (f === 'Relu') activation = 'RELU';
      else if (f === 'Relu6') activation = 'RELU6';
      else if (f === 'Prelu') preluAlpha = ins[arg++];
      else throw new ConversionError(`Unsupported fused op ${f}`);
    }
    return { bias, activation, preluAlpha };
  };
  /** Applies a fused Prelu after the op that wrote `${out}__prelu_in`. */
  const withPrelu = (preluAlpha, out, build) => {
    if (!preluAlpha) return build(out);
    build(`${out}__prelu_in`);
    ops.elementwise(e, { inputs: [`${out}__prelu_in`, preluAlpha], out, op: 'PRelu' });
  };

  const signatureOutputs = json.signature?.outputs ? Object.values(json.signature.outputs).map((o) => ref(o.name)) : null;
  const outputs = opts.outputs?.map(ref) ?? signatureOutputs;
  const names = new Set(nodes.map((n) => n.name));
  for (const o of opts.outputs?.map(ref) ?? []) {
    if (!names.has(o.replace(/:\d+$/, ''))) throw new ConversionError(`Output "${o}" is not a node of the graph`);
  }
  // A free dimension in a Placeholder can be fixed in the model's signature (converters often keep -1 in the node).
  const signatureDims = (name) => (Object.values(json.signature?.inputs ?? {}).find((i) => ref(i.name) === name)?.tensorShape?.dim ?? []).map((d) => Number(d.size));
  const consumed = new Set();
  for (const n of nodes) for (const i of n.input ?? []) consumed.add(ref(i));
  const outs = outputs ?? nodes.filter((n) => n.op !== 'Const' && !consumed.has(n.name)).map((n) => n.name);
  e.reserve(outs);

  for (const n of nodes) {
    opCounts[n.op] = (opCounts[n.op] ?? 0) + 1;
    const ins = (n.input ?? []).filter((i) => !i.startsWith('^')).map(ref);
    const out = n.name;
    try {
      switch (n.op) {
        case 'Const': {
          const w = weights.get(n.name);
          if (!w) throw new ConversionError(`No weight data for constant "${n.name}"`);
          e.setConst(out, w.data, w.shape, w.dtype);
          break;
        }
        case 'Placeholder': {
          const sig = signatureDims(n.name);
          const dims = (attrOf(n, 'shape')?.shape?.dim ?? []).map((d, i) => (Number(d.size) > 0 ? Number(d.size) : sig[i] > 0 ? sig[i] : -1));
          e.addInput(out, n.name, fixShape(dims, opts, n.name));
          break;
        }
        case 'Identity': case 'StopGradient': case 'Snapshot':
          e.set(out, { ...e.get(ins[0]) });
          break;
        case 'Conv2D': case '_FusedConv2D': case 'DepthwiseConv2dNative': case 'FusedDepthwiseConv2dNative': {
          if ((str(n, 'data_format') ?? 'NHWC') !== 'NHWC') throw new ConversionError('Only NHWC convolutions are supported');
          const depthwise = n.op.includes('Depthwise');
          const w = weight(ins[1]);
          const wt = depthwise ? hwcmToOnnx(w) : hwioToOihw(w);
          const { bias, activation, preluAlpha } = fusedEpilogue(n, ins);
          const strides = ints(n, 'strides'), dil = ints(n, 'dilations');
          let padding = str(n, 'padding');
          if (padding === 'EXPLICIT') { const p = ints(n, 'explicit_paddings'); padding = [[p[2], p[3]], [p[4], p[5]]]; }
          withPrelu(preluAlpha, out, (o) => ops.conv2d(e, {
            x: ins[0], out: o, weight: wt.data, weightShape: wt.shape, bias, strides: [strides[1], strides[2]],
            dilations: dil.length ? [dil[1], dil[2]] : [1, 1], padding, group: depthwise ? w.shape[2] : 1, activation,
          }));
          break;
        }
        case 'MaxPool': case 'AvgPool': {
          const k = ints(n, 'ksize'), s = ints(n, 'strides');
          ops.pool2d(e, { x: ins[0], out, type: n.op === 'MaxPool' ? 'max' : 'avg', filter: [k[1], k[2]], strides: [s[1], s[2]], padding: str(n, 'padding') });
          break;
        }
        case 'Add': case 'AddV2': case 'Sub': case 'Mul': case 'RealDiv': case 'Div': case 'Maximum': case 'Minimum': case 'BiasAdd': {
          const map = { Add: 'Add', AddV2: 'Add', BiasAdd: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Div: 'Div', Maximum: 'Max', Minimum: 'Min' };
          ops.elementwise(e, { inputs: ins, out, op: map[n.op] });
          break;
        }
        case 'AddN':
          ops.elementwise(e, { inputs: ins, out, op: 'Sum' });
          break;
        case 'Relu': ops.activationOp(e, { x: ins[0], out, act: 'RELU' }); break;
        case 'Relu6': ops.activationOp(e, { x: ins[0], out, act: 'RELU6' }); break;
        case 'Sigmoid': ops.activationOp(e, { x: ins[0], out, act: 'sigmoid' }); break;
        case 'Tanh': ops.activationOp(e, { x: ins[0], out, act: 'TANH' }); break;
        case 'LeakyRelu': ops.activationOp(e, { x: ins[0], out, act: 'leakyrelu', alpha: attrOf(n, 'alpha')?.f ?? 0.2 }); break;
        case 'Prelu': ops.elementwise(e, { inputs: ins, out, op: 'PRelu' }); break;
        case 'Mean': case 'Sum': case 'Max': case 'Min': {
          const map = { Mean: 'ReduceMean', Sum: 'ReduceSum', Max: 'ReduceMax', Min: 'ReduceMin' };
          ops.reduce(e, { x: ins[0], out, op: map[n.op], axes: Array.from(cdata(ins[1])), keepDims: !!attrOf(n, 'keep_dims')?.b });
          break;
        }
        case 'Softmax': ops.softmax(e, { x: ins[0], out }); break;
        case 'Reshape': ops.reshape(e, { x: ins[0], out, shape: Array.from(cdata(ins[1])) }); break;
        case 'Squeeze': {
          const v = e.get(ins[0]);
          const dims = ints(n, 'squeeze_dims').map((d) => (d < 0 ? d + v.shape.length : d));
          ops.reshape(e, { x: ins[0], out, shape: v.shape.filter((d, i) => (dims.length ? !dims.includes(i) : d !== 1)) });
          break;
        }
        case 'ConcatV2': ops.concat(e, { inputs: ins.slice(0, -1), out, axis: cdata(ins[ins.length - 1])[0] }); break;
        case 'Pad': case 'PadV2': {
          const p = Array.from(cdata(ins[1]));
          const pads = []; for (let i = 0; i < p.length; i += 2) pads.push([p[i], p[i + 1]]);
          ops.pad(e, { x: ins[0], out, pads, value: n.op === 'PadV2' ? cdata(ins[2])[0] : 0 });
          break;
        }
        case 'ResizeBilinear': case 'ResizeNearestNeighbor':
          ops.resize(e, { x: ins[0], out, size: Array.from(cdata(ins[1])), method: n.op === 'ResizeBilinear' ? 'bilinear' : 'nearest', alignCorners: !!attrOf(n, 'align_corners')?.b, halfPixelCenters: !!attrOf(n, 'half_pixel_centers')?.b });
          break;
        case 'MatMul': case '_FusedMatMul': {
          if (attrOf(n, 'transpose_a')?.b) throw new ConversionError('MatMul transpose_a is not supported');
          const w = weight(ins[1]);
          const wOI = attrOf(n, 'transpose_b')?.b ? w : transposeData(w.data, w.shape, [1, 0]);
          const { bias, activation, preluAlpha } = fusedEpilogue(n, ins);
          withPrelu(preluAlpha, out, (o) => ops.dense(e, { x: ins[0], out: o, weight: wOI.data, weightShape: wOI.shape, bias, activation }));
          break;
        }
        case 'Equal': case 'NotEqual': case 'Greater': case 'GreaterEqual': case 'Less': case 'LessEqual': {
          if (n.op === 'NotEqual' || n.op === 'GreaterEqual' || n.op === 'LessEqual') {
            // ONNX has no NotEqual; GreaterOrEqual/LessOrEqual exist but keep one path: compare, then Not.
            const base = { NotEqual: 'Equal', GreaterEqual: 'Less', LessEqual: 'Greater' }[n.op];
            ops.elementwise(e, { inputs: ins, out: `${out}__cmp`, op: base, dtype: 'bool' });
            ops.unary(e, { x: `${out}__cmp`, out, op: 'Not' });
            e.set(out, { ...e.get(out), dtype: 'bool' });
          } else ops.elementwise(e, { inputs: ins, out, op: n.op, dtype: 'bool' });
          break;
        }
        case 'Cast': {
          const dst = attrOf(n, 'DstT')?.type;
          if (!TF_DTYPES[dst]) throw new ConversionError(`Cast to ${dst} is not supported`);
          ops.cast(e, { x: ins[0], out, dtype: TF_DTYPES[dst] });
          break;
        }
        case 'FloorDiv': case 'FloorMod':
          ops.floorDivMod(e, { inputs: ins, out, mod: n.op === 'FloorMod' });
          break;
        case 'ExpandDims': {
          const s = [...e.get(ins[0]).shape];
          let d = Number(cdata(ins[1])[0]);
          if (d < 0) d += s.length + 1;
          s.splice(d, 0, 1);
          ops.reshape(e, { x: ins[0], out, shape: s });
          break;
        }
        case 'TopKV2': {
          if (attrOf(n, 'sorted')?.b === false) throw new ConversionError('Unsorted TopKV2 is not supported');
          ops.topK(e, { x: ins[0], out, indicesOut: `${out}:1`, k: Number(cdata(ins[1])[0]) });
          break;
        }
        case 'GatherV2': {
          if (Number(attrOf(n, 'batch_dims')?.i ?? 0) !== 0) throw new ConversionError('GatherV2 with batch_dims is not supported');
          ops.gather(e, { x: ins[0], indices: ins[1], out, axis: Number(cdata(ins[2])[0]) });
          break;
        }
        case 'StridedSlice':
          ops.slice(e, { x: ins[0], out, ...stridedSliceBounds(n, e.get(ins[0]).shape, cdata(ins[1]), cdata(ins[2]), cdata(ins[3])) });
          break;
        case 'DepthToSpace': ops.depthToSpace(e, { x: ins[0], out, blockSize: Number(attrOf(n, 'block_size')?.i) }); break;
        case 'NoOp': break;
        default:
          throw new ConversionError(`Unsupported TF.js graph op ${n.op}`);
      }
    } catch (err) {
      if (err instanceof ConversionError && !err.message.includes(' at node ')) throw new ConversionError(`${err.message} at node "${n.name}" (${n.op})`);
      throw err;
    }
  }
  for (const o of outs) e.addOutput(o, o);
  return finish(e, opCounts);
}

// ---------------- layers models ----------------

function convertLayers(json, weights, opts) {
  const topo = json.modelTopology.model_config ?? json.modelTopology;
  const cfg = topo.config;
  if (topo.class_name === 'Sequential') throw new ConversionError('Sequential layers models are not supported yet (functional models are)');
  const e = new Emitter('tfjs_layers');
  e.reserve(cfg.output_layers.map((o) => o[0]));
  const opCounts = {};
  const w = (layer, name) => {
    const v = weights.get(`${layer}/${name}`);
    if (!v) throw new ConversionError(`Missing weight ${layer}/${name}`);
    return v;
  };
  const ACT = { linear: 'NONE', relu: 'RELU', relu6: 'RELU6', tanh: 'TANH', sigmoid: 'sigmoid' };
  const pad = (p) => (p === 'same' ? 'SAME' : 'VALID');
  for (const L of cfg.layers) {
    opCounts[L.class_name] = (opCounts[L.class_name] ?? 0) + 1;
    const c = L.config;
    const ins = (L.inbound_nodes[0] ?? []).map((x) => x[0]);
    const out = L.name;
    try {
      switch (L.class_name) {
        case 'InputLayer':
          e.addInput(out, L.name, fixShape(c.batch_input_shape ?? c.batch_shape, opts, L.name));
          break;
        case 'Conv2D': case 'DepthwiseConv2D': {
          if (c.data_format && c.data_format !== 'channels_last') throw new ConversionError('Only channels_last is supported');
          const depthwise = L.class_name === 'DepthwiseConv2D';
          const k = w(L.name, depthwise ? 'depthwise_kernel' : 'kernel');
          const wt = depthwise ? hwcmToOnnx(k) : hwioToOihw(k);
          if ((c.groups ?? 1) !== 1) throw new ConversionError('Grouped Conv2D is not supported');
          const act = ACT[c.activation];
          if (!act) throw new ConversionError(`Unsupported activation ${c.activation}`);
          ops.conv2d(e, {
            x: ins[0], out, weight: wt.data, weightShape: wt.shape, bias: c.use_bias ? Float32Array.from(w(L.name, 'bias').data) : null,
            strides: c.strides, dilations: c.dilation_rate ?? [1, 1], padding: pad(c.padding), group: depthwise ? k.shape[2] : 1, activation: act,
          });
          break;
        }
        case 'Activation': {
          const act = ACT[c.activation];
          if (!act) throw new ConversionError(`Unsupported activation ${c.activation}`);
          if (c.activation === 'softmax') ops.softmax(e, { x: ins[0], out });
          else ops.activationOp(e, { x: ins[0], out, act });
          break;
        }
        case 'ReLU': ops.activationOp(e, { x: ins[0], out, act: c.max_value === 6 ? 'RELU6' : 'RELU' }); break;
        case 'Concatenate': ops.concat(e, { inputs: ins, out, axis: c.axis ?? -1 }); break;
        case 'Add': ops.elementwise(e, { inputs: ins, out, op: ins.length > 2 ? 'Sum' : 'Add' }); break;
        case 'Multiply': ops.elementwise(e, { inputs: ins, out, op: 'Mul' }); break;
        case 'UpSampling2D': {
          const [, H, W] = e.get(ins[0]).shape;
          ops.resize(e, { x: ins[0], out, size: [H * c.size[0], W * c.size[1]], method: c.interpolation === 'bilinear' ? 'bilinear' : 'nearest' });
          break;
        }
        case 'MaxPooling2D': case 'AveragePooling2D':
          ops.pool2d(e, { x: ins[0], out, type: L.class_name === 'MaxPooling2D' ? 'max' : 'avg', filter: c.pool_size, strides: c.strides ?? c.pool_size, padding: pad(c.padding) });
          break;
        case 'GlobalAveragePooling2D': ops.reduce(e, { x: ins[0], out, op: 'ReduceMean', axes: [1, 2], keepDims: !!c.keepdims }); break;
        case 'Flatten': { const s = e.get(ins[0]).shape; ops.reshape(e, { x: ins[0], out, shape: [s[0], -1] }); break; }
        case 'Dense': {
          const k = w(L.name, 'kernel');
          const wOI = transposeData(k.data, k.shape, [1, 0]);
          ops.dense(e, { x: ins[0], out, weight: wOI.data, weightShape: wOI.shape, bias: c.use_bias ? Float32Array.from(w(L.name, 'bias').data) : null, activation: c.activation === 'softmax' ? 'NONE' : ACT[c.activation] });
          if (c.activation === 'softmax') {
            e.set(`${out}__logits`, e.get(out));
            ops.softmax(e, { x: `${out}__logits`, out });
          }
          break;
        }
        default:
          throw new ConversionError(`Unsupported TF.js layer ${L.class_name}`);
      }
    } catch (err) {
      if (err instanceof ConversionError && !err.message.includes(' at layer ')) throw new ConversionError(`${err.message} at layer "${L.name}" (${L.class_name})`);
      throw err;
    }
  }
  for (const [name] of cfg.output_layers) e.addOutput(name, name);
  return finish(e, opCounts);
}
