// cv-models convert INPUT -o OUT.onnx [--input-shape 1,H,W,C] [--outputs NAME,NAME]
import fs from 'node:fs';
import path from 'node:path';
import { convertFile } from '../lib/convert.mjs';

const HELP = `Usage: cv-models convert INPUT -o OUT.onnx [--input-shape 1,H,W,C] [--outputs NAME,NAME]

INPUT is a .tflite flatbuffer (float32, float16 or int8/uint8-quantized) or a TF.js
graph/layers model.json (shards next to it). Writes an fp32 ONNX model (opset 17, IR 8)
whose inputs and outputs keep the source layout (NHWC). --input-shape fixes free dimensions
(a TF.js signature's fixed sizes are used first; a TFLite shape_signature's -1 takes the given size).
--outputs (TF.js graphs) keeps only the named tensors as outputs, in that order; the rest is pruned.
`;

export async function main(argv) {
  let input, output, inputShape, outputs;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') { process.stdout.write(HELP); return 0; }
    else if (a === '-o' || a === '--output') output = argv[++i];
    else if (a === '--input-shape') inputShape = argv[++i].split(',').map(Number);
    else if (a === '--outputs') outputs = argv[++i].split(',');
    else if (a.startsWith('-')) { process.stderr.write(`convert: unknown option ${a}\n${HELP}`); return 2; }
    else if (!input) input = a;
    else { process.stderr.write(`convert: unexpected argument ${a}\n${HELP}`); return 2; }
  }
  if (!input || !output) { process.stderr.write(HELP); return 2; }
  const r = convertFile(input, { inputShape, outputs });
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  fs.writeFileSync(output, r.bytes);
  const fmt = (xs) => xs.map((x) => `${x.name} ${x.dtype}[${x.shape.join(',')}]`).join(', ');
  process.stdout.write(`${output}: ${r.bytes.length} bytes\n  inputs:  ${fmt(r.inputs)}\n  outputs: ${fmt(r.outputs)}\n  source ops: ${Object.entries(r.opCounts).map(([k, v]) => `${k}×${v}`).join(' ')}\n`);
  return 0;
}
