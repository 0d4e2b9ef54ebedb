// cv-models extract-features --from NAME --tensor T[,T…] [--name features] [--models DIR] [--no-verify]
// Cuts a catalog model at inner tensors, global-average-pools and concatenates them into a feature
// extractor, checks it on real photos against the full model's own tensors pooled in plain JS, writes
// DIR/<name>.fp32.onnx and registers it in DIR/catalog.json with task "features". Deterministic.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { optional } from '../lib/optional.mjs';
import { extractFeatures, meanPoolNCHW, withOutputs } from '../lib/subgraph.mjs';
import { loadImage, resizeRGBA, toNHWC, PHOTOS } from '../lib/images.mjs';

const HELP = `Usage: cv-models extract-features --from NAME --tensor T[,T…] [--name features] [--models DIR] [--no-verify]

Cuts catalog model NAME (its fp32 file) at the given inner tensors (rank 4, NCHW inside the graph),
appends GlobalAveragePool + Flatten per tensor and a Concat, writes DIR/<name>.fp32.onnx (output
"features", [1, C]) and adds <name> to DIR/catalog.json as task "features". DIR is models/ by default.
`;

/** JSON with object keys sorted at every level, as tools/build-models.mjs writes the catalog. */
function stableStringify(value) {
  const sort = (v) => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

const round = (v, digits = 3) => Number(v.toPrecision(digits));

/**
 * Runs the cut model and the full model (with the cut tensors as outputs) on real photos; returns the
 * largest difference between the cut model's features and the full model's tensors pooled in JS.
 */
export async function verifyFeatures(fullBytes, featBytes, tensors, spec, photos = PHOTOS) {
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const ort = (await optional('onnxruntime-node')).default;
  const full = await ort.InferenceSession.create(withOutputs(fullBytes, tensors), opts);
  const feat = await ort.InferenceSession.create(featBytes, opts);
  const [, H, W] = spec.shape;
  let maxAbsDiff = 0, maxAbsReference = 0, dim = 0;
  for (const file of photos) {
    const x = toNHWC(resizeRGBA(loadImage(file), W, H), W, H, { color: spec.color, mean: spec.mean, std: spec.std });
    const feeds = { [spec.name]: new ort.Tensor('float32', x, spec.shape) };
    const ref = await full.run(feeds);
    const expected = tensors.flatMap((t) => Array.from(meanPoolNCHW(ref[t].data, ref[t].dims)));
    const got = (await feat.run(feeds)).features;
    if (got.data.length !== expected.length) throw new Error(`features has ${got.data.length} values; the pooled tensors have ${expected.length}`);
    dim = expected.length;
    for (let i = 0; i < dim; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got.data[i] - expected[i]));
      maxAbsReference = Math.max(maxAbsReference, Math.abs(expected[i]));
    }
  }
  return { dim, maxAbsDiff, maxAbsReference, photos: photos.map((p) => path.basename(p)) };
}

export async function main(argv) {
  let from, tensors, name = 'features', dir = 'models', verify = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') { process.stdout.write(HELP); return 0; }
    else if (a === '--from') from = argv[++i];
    else if (a === '--tensor') tensors = argv[++i].split(',').filter(Boolean);
    else if (a === '--name') name = argv[++i];
    else if (a === '--models') dir = argv[++i];
    else if (a === '--no-verify') verify = false;
    else { process.stderr.write(`extract-features: unexpected argument ${a}\n${HELP}`); return 2; }
  }
  if (!from || !tensors?.length) { process.stderr.write(HELP); return 2; }
  const catalogPath = path.join(dir, 'catalog.json');
  const catalog = JSON.parse(fs.readFileSync(catalogPath, 'utf8'));
  const src = catalog.models[from];
  if (!src?.variants?.fp32) throw new Error(`${catalogPath} has no fp32 model "${from}"`);
  const fullBytes = fs.readFileSync(path.join(dir, src.variants.fp32.file));
  const r = extractFeatures(fullBytes, { tensor: tensors });
  const file = `${name}.fp32.onnx`;
  fs.writeFileSync(path.join(dir, file), r.bytes);
  const sha256 = crypto.createHash('sha256').update(r.bytes).digest('hex');
  let check = null;
  if (verify) {
    check = await verifyFeatures(fullBytes, r.bytes, tensors, src.input);
    if (!(check.maxAbsDiff <= 1e-4 * Math.max(1, check.maxAbsReference))) {
      throw new Error(`features differ from the full model's pooled tensors by ${check.maxAbsDiff}`);
    }
  }
  const prev = catalog.models[name]?.variants?.fp32;
  const dim = check?.dim ?? catalog.models[name]?.outputs?.[0]?.shape?.[1] ?? 'C';
  catalog.models[name] = {
    task: 'features',
    source: {
      derivedFrom: from,
      derivedFromSha256: src.variants.fp32.sha256,
      tensors: tensors.join(','),
      tool: 'cv-models extract-features',
      ...Object.fromEntries(Object.entries(src.source ?? {}).filter(([k]) => ['package', 'version', 'license', 'originLicense', 'url', 'file'].includes(k))),
    },
    input: src.input,
    outputs: [{ name: 'features', shape: [1, dim], meaning: `global average pool of ${from}'s ${tensors.join(', ')}, concatenated` }],
    labels: null,
    notes: `Frozen feature extractor for <cv-classify learn>: ${from} cut after its encoder, no weights changed.`,
    variants: {
      fp32: {
        file,
        sha256,
        bytes: r.bytes.length,
        ...(check
          ? { verify: { reference: 'onnxruntime-node, the full model with the cut tensors as outputs, pooled in plain JS', photos: check.photos, maxAbsDiff: round(check.maxAbsDiff), maxAbsReference: round(check.maxAbsReference) } }
          : prev?.sha256 === sha256 && prev.verify ? { verify: prev.verify } : {}),
      },
    },
  };
  fs.writeFileSync(catalogPath, stableStringify(catalog));
  process.stdout.write(`${path.join(dir, file)}: ${r.bytes.length} bytes, ${r.nodes} nodes (${r.dropped} dropped), dim ${dim}, sha256 ${sha256}\n`);
  if (check) process.stdout.write(`  verify: max |Δ| ${check.maxAbsDiff.toExponential(2)} (values up to ${check.maxAbsReference.toFixed(3)}) on ${check.photos.length} photos\n`);
  return 0;
}
