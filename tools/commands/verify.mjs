// cv-models verify: agreement of a quantised model with its fp32 reference on real photos (or latents).
import { parseArgs, list } from '../lib/args.mjs';
import { loadModel } from '../lib/onnx-io.mjs';
import { makeFeeds, parseInputSpec } from '../lib/inputs.mjs';
import { optimizedOps, verifyNode } from '../lib/verify.mjs';

export const USAGE = `Usage:
  cv-models verify MODEL.onnx --reference REF.onnx --task classify|segment|detect|generate|features
        [--photos a.jpg,b.png | --calibrate DIR] [--input-spec JSON|FILE|catalog.json#id] [--normal N [--seed S]]
        [--latency RUNS] [--threads N] [--box-format cxcywh|xyxy|yxyx] [--ops] [--strict]
        [--browser wasm|webgpu [--profile]] [--runtime web]

Runs both models on the same inputs (real photos by default; standard-normal latents for non-image inputs)
and prints JSON: maxAbsDiff plus top1Agreement (classify), maskIoU at 0.5 (segment), score-weighted boxIoU
(detect), PSNR (generate) or cosine similarity (features), and pass against the bars (top-1 ≥ 97 %,
IoU ≥ 0.97, box IoU ≥ 0.9, PSNR ≥ 35 dB). --latency N adds median latency of both; --ops adds the op
histogram of the candidate after ORT's optimiser (QLinearConv etc.). --browser runs both in Debian Chromium
with onnxruntime-web (wasm or webgpu). --runtime web runs onnxruntime-web's WASM build inside Node and
adds per-run CPU time (robust on a loaded machine). --strict exits 1 when the bar is missed.`;

/** @param {string[]} argv */
export async function main(argv) {
  const args = parseArgs(argv, { boolean: ['help', 'ops', 'strict', 'profile'], alias: { h: 'help', r: 'reference' } });
  if (args.help || !args._[0]) {
    console.log(USAGE);
    return args.help ? 0 : 2;
  }
  if (!args.reference) throw new Error('verify: --reference REF.onnx is required');
  const task = args.task ?? 'classify';
  const model = loadModel(args.reference);
  const { feeds, source } = makeFeeds(model, {
    spec: parseInputSpec(args['input-spec']),
    photos: args.photos,
    dir: args.calibrate,
    normal: args.normal ? Number(args.normal) : undefined,
    seed: args.seed ? Number(args.seed) : 4242,
  });
  const common = {
    candidate: args._[0], reference: args.reference, task, feeds,
    latencyRuns: args.latency ? Number(args.latency) : 0, threads: args.threads ? Number(args.threads) : 1,
    boxFormat: args['box-format'],
  };
  let report;
  if (args.browser) {
    const { verifyBrowser } = await import('../lib/browser.mjs');
    report = await verifyBrowser({ ...common, backend: args.browser, profile: !!args.profile });
  } else {
    report = await verifyNode({ ...common, runtime: args.runtime });
  }
  report = { candidate: args._[0], reference: args.reference, inputs: source, ...report };
  if (args.ops) report.optimizedOps = await optimizedOps(args._[0]);
  console.log(JSON.stringify(report, null, 2));
  return args.strict && !report.pass ? 1 : 0;
}
void list;
