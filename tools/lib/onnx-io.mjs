// Loading, saving and small editing helpers for ONNX ModelProto, on top of onnx-proto (protobufjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import pkg from 'onnx-proto';
import { ModelFileError, checkShape, checkStored } from './untrusted.mjs';

export const { onnx } = pkg;
export const DT = onnx.TensorProto.DataType;
export const AT = onnx.AttributeProto.AttributeType;

/** @param {number|{toNumber(): number}|null|undefined} v */
export function num(v) {
  if (v == null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** @param {string|Uint8Array} pathOrBytes */
export function loadModel(pathOrBytes) {
  const bytes = typeof pathOrBytes === 'string' ? readFileSync(pathOrBytes) : pathOrBytes;
  const where = typeof pathOrBytes === 'string' ? `${pathOrBytes}: ` : '';
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    // protobufjs reports truncation and bad wire types as RangeError/Error with terse text.
    throw new ModelFileError(`${where}not a valid ONNX model (protobuf: ${err.message})`, { cause: err });
  }
  checkOnnxModel(model, where);
  return model;
}

/** Bytes per element of the TensorProto data types the tools read. */
const ELEM_BYTES = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/**
 * Checks what the readers rely on: a graph, and initializers whose declared dims are sane and match
 * the data they carry (so no reader allocates for elements the file does not hold).
 */
export function checkOnnxModel(model, where = '') {
  const g = model.graph;
  if (!g) throw new ModelFileError(`${where}ONNX model has no graph`);
  for (const t of g.initializer) checkInitializer(t, where);
  for (const n of g.node) if (!n.opType) throw new ModelFileError(`${where}ONNX node "${n.name}" has no op type`);
  return model;
}

function checkInitializer(t, where = '') {
  const what = `${where}ONNX initializer "${t.name}"`;
  const n = checkShape(t.dims.map(num), what);
  if (t.dataLocation === 1) return n; // external data: not read by these tools
  const size = ELEM_BYTES[t.dataType];
  if (t.rawData && t.rawData.length) {
    if (!size) throw new ModelFileError(`${what} has raw data of unsupported type ${t.dataType}`);
    if (t.rawData.length !== n * size) throw new ModelFileError(`${what}: dims ${JSON.stringify(t.dims.map(num))} need ${n * size} bytes, raw data has ${t.rawData.length}`);
    return n;
  }
  const held = Math.max(t.floatData.length, t.int32Data.length, t.int64Data.length, t.doubleData.length, t.uint64Data.length, t.stringData.length);
  if (held < n) checkStored(n, 1, held, `${what} (typed data elements)`);
  return n;
}

/** Serialises a ModelProto. protobufjs writes fields in schema order, so equal models give equal bytes. */
export function encodeModel(model) {
  return onnx.ModelProto.encode(model).finish();
}

export function saveModel(model, path) {
  const bytes = encodeModel(model);
  writeFileSync(path, bytes);
  return bytes;
}

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Copies a model through encode/decode so edits never touch the original. */
export function cloneModel(model) {
  return onnx.ModelProto.decode(encodeModel(model));
}

/** The opset version of the default ("" / ai.onnx) domain. */
export function defaultOpset(model) {
  const o = model.opsetImport.find((x) => !x.domain || x.domain === 'ai.onnx');
  return o ? num(o.version) : 0;
}

export function setDefaultOpset(model, version) {
  const o = model.opsetImport.find((x) => !x.domain || x.domain === 'ai.onnx');
  if (o) o.version = version;
  else model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: '', version }));
}

/** Reads a node attribute's value (number, number[], string, tensor) or `dflt`. */
export function attr(node, name, dflt = undefined) {
  const a = node.attribute.find((x) => x.name === name);
  if (!a) return dflt;
  switch (a.type) {
    case AT.FLOAT: return a.f;
    case AT.INT: return num(a.i);
    case AT.STRING: return Buffer.from(a.s).toString('utf8');
    case AT.TENSOR: return a.t;
    case AT.FLOATS: return [...a.floats];
    case AT.INTS: return a.ints.map(num);
    default: return a;
  }
}

export function makeAttr(name, value) {
  if (Array.isArray(value)) {
    return onnx.AttributeProto.create({ name, type: AT.INTS, ints: value });
  }
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({ name, type: AT.STRING, s: Buffer.from(value, 'utf8') });
  }
  if (Number.isInteger(value)) return onnx.AttributeProto.create({ name, type: AT.INT, i: value });
  return onnx.AttributeProto.create({ name, type: AT.FLOAT, f: value });
}

/**
 * @param {string} opType
 * @param {string[]} inputs
 * @param {string[]} outputs
 * @param {string} name
 * @param {Record<string, any>} [attrs]
 * @param {string} [domain]
 */
export function makeNode(opType, inputs, outputs, name, attrs = {}, domain = '') {
  return onnx.NodeProto.create({
    opType, input: inputs, output: outputs, name, domain,
    attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v)),
  });
}

const TYPED = {
  [DT.FLOAT]: Float32Array,
  [DT.UINT8]: Uint8Array,
  [DT.INT8]: Int8Array,
  [DT.INT32]: Int32Array,
  [DT.INT64]: BigInt64Array,
  [DT.FLOAT16]: Uint16Array,
  [DT.DOUBLE]: Float64Array,
};

export function tensorDims(t) {
  return t.dims.map(num);
}

/** Reads a TensorProto into a typed array (float16 comes back as raw Uint16 bits). */
export function tensorData(t) {
  const Ctor = TYPED[t.dataType];
  if (!Ctor) throw new Error(`Unsupported tensor data type ${t.dataType} in ${t.name}`);
  const n = checkInitializer(t);
  if (t.rawData && t.rawData.length) {
    const raw = t.rawData;
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return new Ctor(copy.buffer, 0, n);
  }
  switch (t.dataType) {
    case DT.FLOAT: return Float32Array.from(t.floatData);
    case DT.DOUBLE: return Float64Array.from(t.doubleData);
    case DT.INT64: return BigInt64Array.from(t.int64Data.map((v) => BigInt(num(v))));
    case DT.INT32: case DT.INT8: case DT.UINT8: case DT.FLOAT16: return new Ctor(t.int32Data);
    default: throw new Error(`No data in ${t.name}`);
  }
}

/** Builds a TensorProto with raw little-endian data. */
export function makeTensor(name, dataType, dims, data) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return onnx.TensorProto.create({ name, dataType, dims, rawData: Uint8Array.from(bytes) });
}

/** Maps tensor name → initializer. */
export function initializerMap(graph) {
  return new Map(graph.initializer.map((t) => [t.name, t]));
}

/** Maps tensor name → value (TensorProto) of Constant nodes producing it. */
export function constantMap(graph) {
  const m = new Map();
  for (const n of graph.node) {
    if (n.opType === 'Constant') {
      const t = attr(n, 'value');
      if (t && t.dataType) m.set(n.output[0], t);
    }
  }
  return m;
}

/** Maps tensor name → list of consuming nodes (in graph order). */
export function consumerMap(graph) {
  const m = new Map();
  for (const n of graph.node) {
    for (const i of n.input) {
      if (!i) continue;
      if (!m.has(i)) m.set(i, []);
      const list = m.get(i);
      if (!list.includes(n)) list.push(n);
    }
  }
  return m;
}

/** Maps tensor name → producing node. */
export function producerMap(graph) {
  const m = new Map();
  for (const n of graph.node) for (const o of n.output) if (o) m.set(o, n);
  return m;
}

/** Element type of a graph input/output/value_info, or undefined. */
export function valueElemType(vi) {
  return vi?.type?.tensorType?.elemType;
}

export function makeValueInfo(name, elemType, dims) {
  const shape = dims ? { dim: dims.map((d) => (typeof d === 'number' && d >= 0 ? { dimValue: d } : { dimParam: String(d) })) } : undefined;
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape } } });
}

/** Dims of a graph input as numbers (free dims become -1). */
export function valueDims(vi) {
  const dims = vi?.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) => (d.dimValue != null && num(d.dimValue) > 0 ? num(d.dimValue) : -1));
}

/** Graph inputs that are not initializers. */
export function realInputs(graph) {
  const inits = new Set(graph.initializer.map((t) => t.name));
  return graph.input.filter((i) => !inits.has(i.name));
}

/** Returns a name not used by any tensor or node in the graph, deterministic for equal graphs. */
export function nameAllocator(graph) {
  const used = new Set();
  for (const t of graph.initializer) used.add(t.name);
  for (const i of graph.input) used.add(i.name);
  for (const o of graph.output) used.add(o.name);
  for (const n of graph.node) {
    used.add(n.name);
    for (const x of n.input) used.add(x);
    for (const x of n.output) used.add(x);
  }
  return (base) => {
    let name = base;
    let k = 1;
    while (used.has(name)) name = `${base}_${k++}`;
    used.add(name);
    return name;
  };
}

/**
 * Orders nodes topologically, keeping the original order wherever it is already valid (stable,
 * so the result is deterministic).
 */
export function topoSort(graph) {
  const available = new Set(['']);
  for (const t of graph.initializer) available.add(t.name);
  for (const i of graph.input) available.add(i.name);
  const pending = [...graph.node];
  const out = [];
  while (pending.length) {
    let progressed = false;
    for (let k = 0; k < pending.length; k++) {
      const n = pending[k];
      if (n.input.every((i) => available.has(i))) {
        out.push(n);
        for (const o of n.output) available.add(o);
        pending.splice(k, 1);
        k--;
        progressed = true;
      }
    }
    if (!progressed) {
      // Inputs from outer scopes (subgraphs) or cycles: keep the rest in their order.
      out.push(...pending);
      break;
    }
  }
  graph.node = out;
}
