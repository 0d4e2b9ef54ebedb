// cv-models inspect MODEL (.onnx | .tflite | model.json) [--json]
import fs from 'node:fs';
import { readTflite } from '../lib/tflite.mjs';
import { product } from '../lib/emitter.mjs';
import { loadModel, onnx, num } from '../lib/onnx-io.mjs';
import { parseTfjsJson } from '../lib/convert-tfjs.mjs';
import { asModelError } from '../lib/convert.mjs';
const ONNX_TYPES = Object.fromEntries(Object.entries(onnx.TensorProto.DataType).map(([k, v]) => [v, k.toLowerCase()]));
const BYTES = { float: 4, float32: 4, float16: 2, int32: 4, int64: 8, uint8: 1, int8: 1, int16: 2, double: 8, bool: 1 };

function inspectOnnx(bytes) {
  const m = loadModel(bytes);
  const g = m.graph;
  const init = new Set(g.initializer.map((t) => t.name));
  // Inputs may be sequences or maps, or carry no type at all: report what is there.
  const io = (v) => ({
    name: v.name,
    dtype: v.type?.tensorType ? ONNX_TYPES[v.type.tensorType.elemType] : 'non-tensor',
    shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : num(d.dimValue))),
  });
  const ops = {};
  for (const n of g.node) { const k = n.domain ? `${n.domain}.${n.opType}` : n.opType; ops[k] = (ops[k] ?? 0) + 1; }
  let params = 0, paramBytes = 0;
  for (const t of g.initializer) {
    const n = product(t.dims.map(num));
    params += n;
    paramBytes += n * (BYTES[ONNX_TYPES[t.dataType]] ?? 4);
  }
  return {
    format: 'onnx', opset: m.opsetImport.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`), irVersion: Number(m.irVersion),
    inputs: g.input.filter((v) => !init.has(v.name)).map(io), outputs: g.output.map(io), ops, params, paramBytes, fileBytes: bytes.length,
  };
}

function inspectTflite(bytes) {
  const m = readTflite(bytes);
  const ops = {};
  for (const o of m.operators) { const k = o.custom ? `CUSTOM:${o.custom}` : o.op; ops[k] = (ops[k] ?? 0) + 1; }
  let params = 0, paramBytes = 0;
  for (const t of m.tensors) if (t.data && t.data.length) { params += product(t.shape); paramBytes += t.data.length; }
  const io = (i) => ({ name: m.tensors[i].name, dtype: m.tensors[i].type, shape: m.tensors[i].shape, ...(m.tensors[i].quant ? { quant: { scale: m.tensors[i].quant.scale, zeroPoint: m.tensors[i].quant.zeroPoint } } : {}) });
  return { format: 'tflite', schemaVersion: m.version, subgraphs: m.subgraphCount, inputs: m.inputs.map(io), outputs: m.outputs.map(io), ops, params, paramBytes, fileBytes: bytes.length };
}

function inspectTfjs(file) {
  const j = parseTfjsJson(fs.readFileSync(file, 'utf8'), file);
  const ops = {};
  let params = 0, paramBytes = 0;
  for (const g of j.weightsManifest ?? []) for (const w of g.weights) {
    const n = product(w.shape);
    params += n;
    paramBytes += n * (w.quantization ? BYTES[w.quantization.dtype] ?? 1 : 4);
  }
  let inputs = [], outputs = [];
  if (j.modelTopology.node) {
    for (const n of j.modelTopology.node) ops[n.op] = (ops[n.op] ?? 0) + 1;
    const consumed = new Set(j.modelTopology.node.flatMap((n) => (n.input ?? []).map((i) => i.replace(/^\^/, '').replace(/:\d+$/, ''))));
    inputs = j.modelTopology.node.filter((n) => n.op === 'Placeholder').map((n) => ({ name: n.name, dtype: 'float32', shape: (n.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size)) }));
    outputs = j.modelTopology.node.filter((n) => n.op !== 'Const' && !consumed.has(n.name)).map((n) => ({ name: n.name }));
  } else {
    const cfg = (j.modelTopology.model_config ?? j.modelTopology).config;
    for (const l of cfg.layers) ops[l.class_name] = (ops[l.class_name] ?? 0) + 1;
    inputs = cfg.layers.filter((l) => l.class_name === 'InputLayer').map((l) => ({ name: l.name, dtype: l.config.dtype, shape: (l.config.batch_input_shape ?? l.config.batch_shape ?? []).map((d) => d ?? -1) }));
    outputs = (cfg.output_layers ?? []).map((o) => ({ name: o[0] }));
  }
  return { format: j.format ?? 'tfjs', inputs, outputs, ops, params, paramBytes, fileBytes: fs.statSync(file).size };
}

export function inspectFile(file) {
  if (file.endsWith('.json')) return wrap(file, () => inspectTfjs(file));
  const bytes = fs.readFileSync(file);
  if (bytes.subarray(4, 8).toString() === 'TFL3') return wrap(file, () => inspectTflite(bytes));
  return wrap(file, () => inspectOnnx(bytes));
}

function wrap(file, f) {
  try { return f(); } catch (err) { throw asModelError(err, file); }
}

export async function main(argv) {
  const json = argv.includes('--json');
  const files = argv.filter((a) => !a.startsWith('-'));
  if (!files.length || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: cv-models inspect MODEL [--json]   (MODEL: .onnx, .tflite or TF.js model.json)\n');
    return files.length ? 0 : 2;
  }
  for (const f of files) {
    const r = inspectFile(f);
    if (json) { process.stdout.write(`${JSON.stringify(r, null, 2)}\n`); continue; }
    const io = (xs) => xs.map((x) => `    ${x.name}  ${x.dtype ?? ''}[${(x.shape ?? []).join(',')}]`).join('\n');
    process.stdout.write(`${f}  (${r.format}${r.opset ? `, opset ${r.opset.join(' ')}, IR ${r.irVersion}` : ''})\n  inputs:\n${io(r.inputs)}\n  outputs:\n${io(r.outputs)}\n`);
    process.stdout.write(`  parameters: ${r.params.toLocaleString('en')} (${(r.paramBytes / 1024).toFixed(1)} KiB of weights; file ${r.fileBytes} bytes)\n  ops:\n`);
    for (const [k, v] of Object.entries(r.ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) process.stdout.write(`    ${String(v).padStart(5)}  ${k}\n`);
  }
  return 0;
}
