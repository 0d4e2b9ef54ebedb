// Runs an ONNX model with onnxruntime-node for the Python training scripts.
// stdin: {"model": path, "inputs": {name: {dims, data}}, "outputs": [names]}
// stdout: {"runtime": "...", "outputs": {name: {dims, data}}}
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ort from 'onnxruntime-node';

const require = createRequire(import.meta.url);
const req = JSON.parse(readFileSync(0, 'utf8'));
const session = await ort.InferenceSession.create(req.model, { executionProviders: ['cpu'] });
const feeds = {};
for (const [name, { dims, data }] of Object.entries(req.inputs)) {
  feeds[name] = new ort.Tensor('float32', Float32Array.from(data), dims);
}
const results = await session.run(feeds);
const outputs = {};
for (const name of req.outputs) {
  const t = results[name];
  if (!t) throw new Error(`output ${name} missing; model has ${session.outputNames.join(', ')}`);
  outputs[name] = { dims: t.dims, data: Array.from(t.data) };
}
const version = require('onnxruntime-node/package.json').version;
process.stdout.write(JSON.stringify({ runtime: `onnxruntime-node ${version}`, outputs }));
