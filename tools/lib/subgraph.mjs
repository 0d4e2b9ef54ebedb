// Cuts an ONNX graph at one or more inner tensors and turns it into a feature extractor: keeps only the
// nodes those tensors depend on, drops the initializers nothing uses any more, and appends a global
// average pool per tensor (NCHW, as the converter's graphs keep activations internally), a Flatten and,
// for several tensors, a Concat, so the new model maps one image to one vector. Pure function of its inputs: the same bytes and options give the
// same output bytes.
import pkg from 'onnx-proto';

const { onnx } = pkg;

/**
 * Names of the tensors a graph computes, in node order, with the op that makes each one.
 * @param {Uint8Array} bytes
 * @returns {Array<{name: string, op: string, index: number}>}
 */
export function listTensors(bytes) {
  const g = onnx.ModelProto.decode(bytes).graph;
  const out = [];
  g.node.forEach((n, index) => n.output.forEach((name) => name && out.push({ name, op: n.opType, index })));
  return out;
}

/**
 * @param {Uint8Array} bytes ONNX model
 * @param {object} opts
 * @param {string | string[]} opts.tensor inner tensor(s) to cut at (rank 4, NCHW); several are pooled and concatenated in order
 * @param {'gap' | 'none'} [opts.pool] append GlobalAveragePool + Flatten (default) or expose the (single) tensor as it is
 * @param {string} [opts.outputName] name of the new output, `features` by default
 * @param {string} [opts.producer] producer name written into the model
 * @returns {{ bytes: Uint8Array, nodes: number, dropped: number, initializers: number }}
 */
export function extractFeatures(bytes, { tensor, pool = 'gap', outputName = 'features', producer = 'cv-models extract-features' }) {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  const tensors = Array.isArray(tensor) ? tensor : [tensor];
  if (!tensors.length) throw new Error('No tensor to cut at');
  if (pool !== 'gap' && tensors.length > 1) throw new Error('Several tensors need pool "gap"');
  const producerOf = new Map();
  g.node.forEach((n, i) => n.output.forEach((o) => o && producerOf.set(o, i)));
  const inputNames = new Set(g.input.map((v) => v.name));
  for (const t of tensors) {
    if (!producerOf.has(t)) throw new Error(inputNames.has(t) ? `"${t}" is a graph input, not a computed tensor` : `No node makes a tensor named "${t}"`);
  }
  // Walk back from the cuts to the inputs.
  const keep = new Set();
  const stack = tensors.map((t) => producerOf.get(t));
  while (stack.length) {
    const i = stack.pop();
    if (keep.has(i)) continue;
    keep.add(i);
    for (const name of g.node[i].input) if (name && producerOf.has(name)) stack.push(producerOf.get(name));
  }
  const nodes = g.node.filter((_, i) => keep.has(i));
  const used = new Set(nodes.flatMap((n) => n.input.filter(Boolean)));
  const initializers = g.initializer.filter((t) => used.has(t.name));
  const inputs = g.input.filter((v) => used.has(v.name) && !initializers.some((t) => t.name === v.name));
  if (!inputs.length) throw new Error(`${tensors.join(', ')} depend on no graph input`);

  const extra = [];
  let outShape;
  if (pool === 'gap') {
    const flat = tensors.map((t, j) => (tensors.length === 1 ? outputName : `${outputName}_${j}`));
    tensors.forEach((t, j) => {
      extra.push(
        onnx.NodeProto.create({ name: `${flat[j]}_gap`, opType: 'GlobalAveragePool', input: [t], output: [`${flat[j]}_gap`] }),
        onnx.NodeProto.create({
          name: `${flat[j]}_flatten`,
          opType: 'Flatten',
          input: [`${flat[j]}_gap`],
          output: [flat[j]],
          attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
        }),
      );
    });
    if (tensors.length > 1) {
      extra.push(
        onnx.NodeProto.create({
          name: `${outputName}_concat`,
          opType: 'Concat',
          input: flat,
          output: [outputName],
          attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
        }),
      );
    }
    outShape = [{ dimValue: 1 }, { dimParam: 'C' }];
  } else {
    extra.push(onnx.NodeProto.create({ name: `${outputName}_identity`, opType: 'Identity', input: [tensors[0]], output: [outputName] }));
    outShape = [];
  }
  const output = onnx.ValueInfoProto.create({
    name: outputName,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        ...(outShape.length ? { shape: onnx.TensorShapeProto.create({ dim: outShape.map((d) => onnx.TensorShapeProto.Dimension.create(d)) }) } : {}),
      }),
    }),
  });
  const graph = onnx.GraphProto.create({
    name: `${g.name || 'graph'}_features`,
    node: [...nodes, ...extra],
    initializer: initializers,
    input: inputs,
    output: [output],
  });
  const out = onnx.ModelProto.create({
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    producerName: producer,
    producerVersion: '1',
    graph,
  });
  return {
    bytes: onnx.ModelProto.encode(out).finish(),
    nodes: nodes.length + extra.length,
    dropped: g.node.length - nodes.length,
    initializers: initializers.length,
  };
}

/**
 * The same model with extra graph outputs (inner tensors, float32), to read them from a full run:
 * the reference a cut model is checked against.
 * @param {Uint8Array} bytes
 * @param {string[]} names
 */
export function withOutputs(bytes, names) {
  const model = onnx.ModelProto.decode(bytes);
  for (const name of names) {
    model.graph.output.push(onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: onnx.TensorProto.DataType.FLOAT }) }),
    }));
  }
  return onnx.ModelProto.encode(model).finish();
}

/** Global average pool of an NCHW tensor (batch 1) in plain JS: one mean per channel. */
export function meanPoolNCHW(data, dims) {
  const [, C, H, W] = dims.map(Number);
  const out = new Float64Array(C);
  const n = H * W;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[c * n + i];
    out[c] = s / n;
  }
  return out;
}
