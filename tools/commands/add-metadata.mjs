// cv-models add-metadata IN.tflite -o OUT.tflite --mean M[,M,M] --std S[,S,S] [--labels FILE|a,b,…] [--color rgb|gray]
import fs from 'node:fs';
import path from 'node:path';
import { readTflite } from '../lib/tflite.mjs';
import { addImageMetadata, readModelMetadata } from '../lib/tflite-metadata.mjs';

const HELP = `Usage: cv-models add-metadata IN.tflite -o OUT.tflite --mean M[,M,M] --std S[,S,S] [options]

Attaches TFLite Metadata (a TFLITE_METADATA buffer holding a ModelMetadata flatbuffer) describing the first input
as an image: its colour space and size, and the normalization (x - mean) / std that maps 0…255 pixel values to
the model's input range (e.g. --mean 0 --std 255 for [0,1], --mean 127.5 --std 127.5 for [-1,1]). MediaPipe
Tasks (ImageSegmenter, FaceDetector, …) need this to preprocess images for float models. The original bytes are
kept unchanged behind a new flatbuffer root, so the model computes exactly what it did before.

Options:
  -o, --output FILE     where to write the patched model (required)
  --mean LIST           per-channel mean, one value or one per channel (required)
  --std LIST            per-channel std, one value or one per channel (required)
  --labels FILE|LIST    output labels: a text file (one per line) or a comma-separated list; stored as
                        labels.txt (TENSOR_AXIS_LABELS of the first output) in a zip appended to the model
  --color rgb|gray      input colour space (default rgb)
  --name, --description, --version, --author, --license TEXT   model-level metadata fields
`;

const nums = (s) => s.split(',').map((v) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: "${v}"`);
  return n;
});

export async function main(argv) {
  const o = {};
  let input, output;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '-h' || a === '--help') { process.stdout.write(HELP); return 0; }
    else if (a === '-o' || a === '--output') output = val();
    else if (a === '--mean') o.mean = nums(val());
    else if (a === '--std') o.std = nums(val());
    else if (a === '--labels') {
      const v = val();
      o.labels = fs.existsSync(v) ? fs.readFileSync(v, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : v.split(',');
    } else if (a === '--color') {
      o.colorSpace = val();
      if (!['rgb', 'gray'].includes(o.colorSpace)) { process.stderr.write(`add-metadata: --color must be rgb or gray\n`); return 2; }
    } else if (['--name', '--description', '--version', '--author', '--license'].includes(a)) o[a.slice(2)] = val();
    else if (a.startsWith('-')) { process.stderr.write(`add-metadata: unknown option ${a}\n${HELP}`); return 2; }
    else if (!input) input = a;
    else { process.stderr.write(`add-metadata: unexpected argument ${a}\n${HELP}`); return 2; }
  }
  if (!input || !output || !o.mean || !o.std) { process.stderr.write(HELP); return 2; }
  const bytes = new Uint8Array(fs.readFileSync(input));
  const m = readTflite(bytes);
  const t = m.tensors[m.inputs[0]];
  if (t.shape.length !== 4) throw new Error(`first input ${t.name} has shape [${t.shape}], expected [1,H,W,C]`);
  const C = t.shape[3];
  for (const k of ['mean', 'std']) {
    if (o[k].length !== 1 && o[k].length !== C) throw new Error(`--${k} has ${o[k].length} values; the input has ${C} channels`);
  }
  if (o.std.some((s) => s === 0)) throw new Error('--std must not contain 0');
  const out = addImageMetadata(bytes, {
    ...o, height: t.shape[1], width: t.shape[2], inputName: t.name,
    outputNames: m.outputs.map((i) => m.tensors[i].name),
  });
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  fs.writeFileSync(output, out);
  const meta = readModelMetadata(out);
  const inp = meta.inputs[0];
  process.stdout.write(`${output}: ${out.length} bytes (+${out.length - bytes.length})\n  input ${inp.name}: ${inp.image.colorSpace} ${inp.image.width}×${inp.image.height}, mean [${inp.normalization.mean}] std [${inp.normalization.std}]\n${o.labels ? `  labels: ${o.labels.length} (labels.txt)\n` : ''}`);
  return 0;
}
