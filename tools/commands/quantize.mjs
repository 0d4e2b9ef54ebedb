// cv-models quantize: static int8 QDQ (WASM) or fp16 (WebGPU) versions of an fp32 ONNX model.
import { writeFileSync } from 'node:fs';
import { parseArgs, list } from '../lib/args.mjs';
import { encodeModel, loadModel, sha256 } from '../lib/onnx-io.mjs';
import { makeFeeds, parseInputSpec } from '../lib/inputs.mjs';
import { convertFp16, quantizeInt8 } from '../lib/quantize.mjs';
import { SEARCH_METRICS, searchKeepFloat } from '../lib/mixed.mjs';

export const USAGE = `Usage:
  cv-models quantize IN.onnx -o OUT.onnx --int8 [--calibrate DIR | --photos a.jpg,b.png] [--input-spec JSON|FILE|catalog.json#id]
        [--calibrate-normal N [--seed S]] [--calibrate-raw FILE.bin --raw-shape N,...]
        [--method percentile|minmax] [--percentile 99.999] [--exclude NODE,...] [--float-ops Op,...] [--reduce-range]
        [--all-int8 | --min-depth 32] [--quantize-last] [--weight-type int8|uint8] [--concat-requantize]
        [--keep-float NODE,...] [--auto-mixed --task segment|classify|detect|features|generate [--target T]
         [--select DIR | --select-photos a.jpg,b.png]]
  cv-models quantize IN.onnx -o OUT.onnx --fp16 [--fp32-ops Op,...] [--exclude NODE,...]

int8: per-channel symmetric int8 weights (Conv/ConvTranspose/Gemm/MatMul) and uint8 activations calibrated on
real photos (default: photos shipped by Debian's darknet and python3-skimage), as QDQ that onnxruntime fuses
into QLinearConv/QLinearAdd/... . Depthwise convs and convs with a reduction depth (C_in/group·kh·kw) under
--min-depth stay float by default: onnxruntime-web's WASM int8 kernels for them are slower than fp32
(--all-int8 quantises them too). Weighted layers that reach a graph output without another weighted layer
in between (mask/box/pixel heads) stay float unless --quantize-last. --reduce-range uses 7-bit weights (for x86 CPUs without VNNI, where the
U8S8 kernel can saturate; WASM does not need it). --input-spec {name,shape,layout,color,mean,std,invert} preprocesses photos
like the elements do. Non-image inputs: --calibrate-normal N standard-normal samples (fixed seed) or a raw
little-endian Float32 file. fp16: float16 weights and compute, float32 graph inputs/outputs.
Mixed precision: --keep-float NODE,... keeps those nodes (and a Relu/Clip that would be folded into them) float,
with no Q/DQ around them. --auto-mixed finds such a list: each candidate node is quantised alone and scored
by the SQNR of the outputs against fp32, then the most sensitive are kept float, one at a time, until the task
metric (segment: mask IoU, classify: top-1 agreement, detect: min(box IoU, detection agreement), features:
min cosine, generate: PSNR) reaches --target (defaults: ${Object.entries(SEARCH_METRICS).map(([k, v]) => `${k} ${v.target}`).join(', ')})
on the selection photos, and kept nodes the target does not need are dropped. Choose selection photos
that you do not verify on (default: the calibration inputs). The report lists keepFloat.
Prints a JSON report (output sha256 included). Same inputs give byte-identical output.`;

/** @param {string[]} argv */
export async function main(argv) {
  const args = parseArgs(argv, { boolean: ['int8', 'fp16', 'reduce-range', 'concat-requantize', 'all-int8', 'quantize-last', 'auto-mixed', 'help', 'quiet'], alias: { o: 'output', h: 'help' } });
  if (args.help || !args._[0]) {
    console.log(USAGE);
    return args.help ? 0 : 2;
  }
  if (!args.output) throw new Error('quantize: -o OUT.onnx is required');
  if (!!args.int8 === !!args.fp16) throw new Error('quantize: give exactly one of --int8 or --fp16');
  const model = loadModel(args._[0]);
  const log = args.quiet ? () => {} : (s) => console.error(`[quantize] ${s}`);
  let result;
  let source;
  if (args.int8) {
    const spec = parseInputSpec(args['input-spec']);
    const made = makeFeeds(model, {
      spec,
      photos: args.photos,
      dir: args.calibrate,
      normal: args['calibrate-normal'] ? Number(args['calibrate-normal']) : undefined,
      seed: args.seed ? Number(args.seed) : undefined,
      rawFile: args['calibrate-raw'],
      rawShape: list(args['raw-shape'])?.map(Number),
    });
    source = made.source;
    const opts = {
      method: args.method ?? 'percentile',
      percentile: args.percentile ? Number(args.percentile) : 99.999,
      exclude: list(args.exclude),
      floatOps: list(args['float-ops']),
      reduceRange: !!args['reduce-range'],
      concatSameScale: !args['concat-requantize'],
      skipDepthwise: !args['all-int8'],
      weightType: args['weight-type'] ?? 'int8',
      quantizeLast: !!args['quantize-last'],
      minDepth: args['all-int8'] ? 0 : args['min-depth'] ? Number(args['min-depth']) : 32,
      log,
    };
    let keepFloat = list(args['keep-float']) ?? [];
    let search;
    if (args['auto-mixed']) {
      if (!SEARCH_METRICS[args.task]) throw new Error(`quantize: --auto-mixed needs --task ${Object.keys(SEARCH_METRICS).join('|')}`);
      const select = args.select || args['select-photos'] ? makeFeeds(model, { spec, photos: args['select-photos'], dir: args.select }) : made;
      const r = await searchKeepFloat(model, made.feeds, select.feeds, {
        task: args.task, target: args.target ? Number(args.target) : undefined, opts: { ...opts, exclude: [...(opts.exclude ?? []), ...keepFloat] }, log,
      });
      keepFloat = [...keepFloat, ...r.keepFloat];
      search = { selection: select === made ? `calibration inputs (${select.source})` : select.source, metric: r.metric, target: r.target, before: r.before, after: r.after, candidates: r.candidates };
    }
    result = await quantizeInt8(model, made.feeds, { ...opts, exclude: [...(opts.exclude ?? []), ...keepFloat] });
    result.report = { ...result.report, keepFloat, ...(search ? { search } : {}) };
  } else {
    result = convertFp16(model, { fp32Ops: list(args['fp32-ops']), exclude: list(args.exclude) });
  }
  const bytes = encodeModel(result.model);
  writeFileSync(args.output, bytes);
  const report = {
    input: args._[0], output: args.output, mode: args.int8 ? 'int8' : 'fp16', calibration: source,
    bytes: bytes.length, sha256: sha256(bytes), ...result.report,
  };
  if (!args.verbose) {
    report.quantizedNodes = report.quantizedNodes?.length;
  }
  console.log(JSON.stringify(report, null, 2));
  return 0;
}
