// Builds an ONNX graph (opset 17, IR 8) from NHWC-semantics operations.
// Internally every rank-4 activation may live in NCHW ("nchw" layout) because ORT's conv kernels are NCHW;
// the emitter inserts Transposes only where an operation needs the other layout, and foldTransposes()
// removes Transpose pairs that cancel.
import pkg from 'onnx-proto';
const { onnx } = pkg;

export const OPSET = 17;
export const IR_VERSION = 8;

const DT = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 };
export const TO_NCHW = [0, 3, 1, 2];
export const TO_NHWC = [0, 2, 3, 1];
/** NHWC axis → NCHW axis. */
export const NHWC_AXIS_TO_NCHW = [0, 2, 3, 1];

export class ConversionError extends Error {}

export function product(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/** Transposes a dense row-major array. */
export function transposeData(data, shape, perm) {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const n = product(shape);
  // A constant's shape can come from a different tensor's declaration than its data (a folded
  // DEQUANTIZE's output); a mismatch would make this loop run, and allocate, for the declared size.
  if (data.length !== n) throw new ConversionError(`Constant of ${data.length} elements does not match the shape ${JSON.stringify(shape)} (${n} elements) it is used with`);
  const out = new data.constructor(n);
  const inStrides = new Array(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) { inStrides[i] = s; s *= shape[i]; }
  const strideForOut = perm.map((p) => inStrides[p]);
  const idx = new Array(rank).fill(0);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += strideForOut[d];
      if (idx[d] < outShape[d]) break;
      src -= strideForOut[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** SAME/VALID padding → explicit [begin, end] for one spatial axis (TensorFlow rules). */
export function tfPad(padding, inSize, kernel, stride, dilation = 1) {
  if (padding === 'VALID') return [0, 0];
  if (padding !== 'SAME') throw new ConversionError(`Unknown padding ${padding}`);
  const eff = (kernel - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/**
 * A value in the graph. `shape` is always the source model's logical (NHWC) shape; `layout` says
 * how the ONNX tensor `name` holds it.
 * @typedef {{name: string, shape: number[], layout: 'plain'|'nchw', dtype: string, const?: {data: any}}} Value
 */

export class Emitter {
  constructor(graphName = 'converted') {
    this.graphName = graphName;
    this.nodes = [];
    this.initializers = [];
    this.inputs = [];
    this.outputs = [];
    /** @type {Map<string, Value>} */
    this.values = new Map();
    this.usedNames = new Set();
    this.layoutCache = new Map();
    this.scalarCache = new Map();
    this.counter = 0;
    this.reserved = new Set();
  }

  /** Keeps names free for graph outputs so internal values never take them. */
  reserve(names) { for (const n of names) { this.usedNames.add(n); this.reserved.add(n); } }

  uniqueName(base) {
    let name = String(base || 'v').replace(/[^A-Za-z0-9_.:/-]/g, '_');
    if (!this.usedNames.has(name)) { this.usedNames.add(name); return name; }
    let i = 1;
    while (this.usedNames.has(`${name}__${i}`)) i++;
    name = `${name}__${i}`;
    this.usedNames.add(name);
    return name;
  }

  tmp(hint) { return this.uniqueName(`${hint}_${this.counter++}`); }

  node(opType, inputs, outputs, attrs = {}, name) {
    const attribute = [];
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      const a = { name: k };
      if (typeof v === 'string') { a.type = onnx.AttributeProto.AttributeType.STRING; a.s = new TextEncoder().encode(v); }
      else if (Array.isArray(v)) {
        if (v.every(Number.isInteger)) { a.type = onnx.AttributeProto.AttributeType.INTS; a.ints = v; }
        else { a.type = onnx.AttributeProto.AttributeType.FLOATS; a.floats = v; }
      } else if (typeof v === 'number' && Number.isInteger(v) && !['alpha', 'beta', 'epsilon'].includes(k)) { a.type = onnx.AttributeProto.AttributeType.INT; a.i = v; }
      else { a.type = onnx.AttributeProto.AttributeType.FLOAT; a.f = v; }
      attribute.push(a);
    }
    this.nodes.push({ opType, input: inputs, output: outputs, attribute, name: name ?? this.uniqueName(`${opType}_${this.nodes.length}`) });
    return outputs[0];
  }

  /** Adds an initializer; returns its name. */
  initializer(hint, data, shape, dtype = 'float32') {
    const name = this.uniqueName(hint);
    let arr = data;
    if (dtype === 'int64' && !(data instanceof BigInt64Array)) arr = BigInt64Array.from(Array.from(data, (x) => BigInt(x)));
    else if (dtype === 'float32' && !(data instanceof Float32Array)) arr = Float32Array.from(data);
    else if (dtype === 'int32' && !(data instanceof Int32Array)) arr = Int32Array.from(data);
    const raw = new Uint8Array(arr.buffer.slice(arr.byteOffset, arr.byteOffset + arr.byteLength));
    this.initializers.push({ name, dataType: DT[dtype], dims: shape, rawData: raw });
    return name;
  }

  int64s(hint, values) {
    const key = `i64:${values.join(',')}`;
    if (this.scalarCache.has(key)) return this.scalarCache.get(key);
    const n = this.initializer(hint, values, [values.length], 'int64');
    this.scalarCache.set(key, n);
    return n;
  }

  scalar(value) {
    const key = `f32:${value}`;
    if (this.scalarCache.has(key)) return this.scalarCache.get(key);
    const n = this.initializer(`const_${value}`, [value], [], 'float32');
    this.scalarCache.set(key, n);
    return n;
  }

  // ---- values ----
  has(key) { return this.values.has(key); }
  get(key) {
    const v = this.values.get(key);
    if (!v) throw new ConversionError(`Internal: value "${key}" used before it was produced`);
    return v;
  }
  set(key, value) { this.values.set(key, value); return value; }
  setConst(key, data, shape, dtype = 'float32') { return this.set(key, { name: '', shape, layout: 'plain', dtype, const: { data } }); }
  isConst(key) { return !!this.values.get(key)?.const; }
  constData(key) {
    const v = this.get(key);
    if (!v.const) throw new ConversionError(`Expected "${key}" to be a constant tensor`);
    return v.const.data;
  }

  addInput(key, name, shape, dtype = 'float32') {
    let onnxName;
    if (this.reserved.has(name)) { onnxName = name; this.reserved.delete(name); } else onnxName = this.uniqueName(name);
    this.inputs.push({ name: onnxName, shape, dtype });
    return this.set(key, { name: onnxName, shape, layout: 'plain', dtype });
  }

  /** Marks a value as a graph output, in the source layout, under `name`. */
  addOutput(key, name) {
    const v = this.get(key);
    const src = this.plain(key);
    let onnxName;
    if (this.reserved.has(name)) { onnxName = name; this.reserved.delete(name); } else onnxName = this.uniqueName(name);
    this.node('Identity', [src], [onnxName]);
    this.outputs.push({ name: onnxName, shape: v.shape, dtype: v.dtype });
  }

  /** Materialises a constant as an initializer in the requested form. */
  constName(key, layout = 'plain', rank4 = false) {
    const v = this.get(key);
    const ck = `${key}|${layout}|${rank4}`;
    if (this.layoutCache.has(ck)) return this.layoutCache.get(ck);
    let data = v.const.data, shape = v.shape;
    if (rank4 && shape.length < 4) shape = [...new Array(4 - shape.length).fill(1), ...shape];
    if (layout === 'nchw' && shape.length === 4) ({ data, shape } = transposeData(data, shape, TO_NCHW));
    const n = this.initializer(key, data, shape, v.dtype);
    this.layoutCache.set(ck, n);
    return n;
  }

  /** ONNX name holding the value in its source (NHWC/plain) layout. */
  plain(key) {
    const v = this.get(key);
    if (v.const) return this.constName(key, 'plain');
    if (v.layout === 'plain') return v.name;
    const ck = `${key}|toPlain`;
    if (!this.layoutCache.has(ck)) this.layoutCache.set(ck, this.node('Transpose', [v.name], [this.tmp(`${v.name}_nhwc`)], { perm: TO_NHWC }));
    return this.layoutCache.get(ck);
  }

  /** ONNX name holding a rank-4 value (or a lower-rank one broadcast to rank 4) in NCHW. */
  nchw(key) {
    const v = this.get(key);
    if (v.const) return this.constName(key, 'nchw', true);
    if (v.layout === 'nchw') return v.name;
    const ck = `${key}|toNchw`;
    if (this.layoutCache.has(ck)) return this.layoutCache.get(ck);
    let src = v.name;
    if (v.shape.length < 4) {
      const s4 = [...new Array(4 - v.shape.length).fill(1), ...v.shape];
      src = this.node('Reshape', [src, this.int64s('shape', s4)], [this.tmp(`${v.name}_4d`)]);
    } else if (v.shape.length > 4) throw new ConversionError(`Cannot lay out rank-${v.shape.length} value "${key}" as NCHW`);
    const out = this.node('Transpose', [src], [this.tmp(`${v.name}_nchw`)], { perm: TO_NCHW });
    this.layoutCache.set(ck, out);
    return out;
  }

  /** Produces a new activation value. */
  out(key, shape, layout, dtype = 'float32') {
    const name = this.uniqueName(key);
    this.set(key, { name, shape, layout, dtype });
    return name;
  }

  /** Applies a fused activation in place of `key`'s producer output. */
  activation(act, input, outName) {
    switch (act) {
      case undefined: case null: case 'NONE': case 'linear': return this.node('Identity', [input], [outName]);
      case 'RELU': case 'relu': return this.node('Relu', [input], [outName]);
      case 'RELU6': case 'relu6': return this.node('Clip', [input, this.scalar(0), this.scalar(6)], [outName]);
      case 'RELU_N1_TO_1': return this.node('Clip', [input, this.scalar(-1), this.scalar(1)], [outName]);
      case 'TANH': case 'tanh': return this.node('Tanh', [input], [outName]);
      case 'sigmoid': return this.node('Sigmoid', [input], [outName]);
      default: throw new ConversionError(`Unsupported fused activation ${act}`);
    }
  }

  /** Emits op then activation, writing the final result to `outName`. */
  withActivation(act, build, outName) {
    if (!act || act === 'NONE' || act === 'linear') return build(outName);
    const mid = build(this.tmp(`${outName}_preact`));
    return this.activation(act, mid, outName);
  }

  /** Serialises to ONNX bytes after removing cancelling Transpose pairs and dead nodes. */
  toBytes(meta = {}) {
    this.foldTransposes();
    this.removeIdentities();
    this.prune();
    const vi = (x) => ({
      name: x.name,
      type: { tensorType: { elemType: DT[x.dtype], shape: { dim: x.shape.map((d) => (d > 0 ? { dimValue: d } : { dimParam: 'N' })) } } },
    });
    const model = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'cv-models',
      producerVersion: meta.producerVersion ?? '1',
      docString: meta.docString ?? '',
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(vi),
        output: this.outputs.map(vi),
      },
      metadataProps: Object.entries(meta.props ?? {}).map(([key, value]) => ({ key, value: String(value) })),
    };
    const err = onnx.ModelProto.verify(model);
    if (err) throw new ConversionError(`Internal: invalid ONNX model: ${err}`);
    return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
  }

  producers() {
    const m = new Map();
    for (const n of this.nodes) for (const o of n.output) m.set(o, n);
    return m;
  }

  rename(from, to) {
    for (const n of this.nodes) n.input = n.input.map((i) => (i === from ? to : i));
  }

  permOf(n) { return n.attribute.find((a) => a.name === 'perm').ints.map(Number); }

  /** Transpose(Transpose(x, p1), p2) with p1∘p2 = identity → x. */
  foldTransposes() {
    let changed = true;
    while (changed) {
      changed = false;
      const prod = this.producers();
      for (const n of this.nodes) {
        if (n.opType !== 'Transpose') continue;
        const p = prod.get(n.input[0]);
        if (!p || p.opType !== 'Transpose') continue;
        const p1 = this.permOf(p), p2 = this.permOf(n);
        const composed = p2.map((i) => p1[i]);
        if (composed.every((v, i) => v === i) && !this.outputs.some((o) => o.name === n.output[0])) {
          this.rename(n.output[0], p.input[0]);
          n.dead = true;
          changed = true;
        }
      }
      this.nodes = this.nodes.filter((n) => !n.dead);
    }
  }

  removeIdentities() {
    const outNames = new Set(this.outputs.map((o) => o.name));
    for (const n of this.nodes) {
      if (n.opType !== 'Identity' || outNames.has(n.output[0])) continue;
      this.rename(n.output[0], n.input[0]);
      n.dead = true;
    }
    // An output Identity whose input is produced by a node used nowhere else: let that node write the output.
    const uses = new Map();
    for (const n of this.nodes) if (!n.dead) for (const i of n.input) uses.set(i, (uses.get(i) ?? 0) + 1);
    const inputNames = new Set(this.inputs.map((i) => i.name));
    const prod = this.producers();
    for (const n of this.nodes) {
      if (n.dead || n.opType !== 'Identity' || !outNames.has(n.output[0])) continue;
      const src = n.input[0];
      const p = prod.get(src);
      if (!p || p.dead || inputNames.has(src) || outNames.has(src) || uses.get(src) !== 1) continue;
      p.output = p.output.map((o) => (o === src ? n.output[0] : o));
      n.dead = true;
    }
    this.nodes = this.nodes.filter((n) => !n.dead);
  }

  prune() {
    const needed = new Set(this.outputs.map((o) => o.name));
    const keep = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (n.output.some((o) => needed.has(o))) {
        keep.push(n);
        for (const x of n.input) if (x) needed.add(x);
      }
    }
    this.nodes = keep.reverse();
    this.initializers = this.initializers.filter((t) => needed.has(t.name));
  }
}
