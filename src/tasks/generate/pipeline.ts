import { CvError } from '../../errors.js';
import { centerSquare, type Rect } from '../shared/geometry.js';
import { frameToInput } from '../shared/image-input.js';
import { checkFinite, outputOf, type FrameImage, type ModelInfo, type PipelineContext, imageInput } from '../shared/pipeline.js';
import { gaussian, mulberry32, slerp } from '../shared/random.js';
import { inputSize, tensorToRgba } from '../shared/tensor-spec.js';

export type GenerateRequest =
  | { task: 'generate'; kind: 'vae'; encoder: string; decoder: string; variants: number; seed: number; temperature: number }
  | { task: 'generate'; kind: 'noise'; generator: string; variants: number; seed: number; temperature: number; time: number }
  | { task: 'generate'; kind: 'image'; generator: string; variants: number };

export interface GenerateResult {
  width: number;
  height: number;
  /** One RGBA buffer per variant, width×height×4. */
  images: Uint8ClampedArray[];
  /** The same images as bitmaps, made in the worker so the page only draws them. */
  bitmaps?: ImageBitmap[];
  /** The source regions that were used, in frame pixels (VAE and image-to-image). */
  crops?: Rect[];
}

/** Seconds each DCGAN latent takes to morph into the next: slow enough to watch, fast enough to feel live. */
export const NOISE_WALK_PERIOD_S = 2;

function latentSize(model: ModelInfo, name: string): number {
  const dims = model.inputDims[name];
  const size = dims ? dims.slice(1).reduce((a, b) => a * (b > 0 ? b : 1), 1) : 0;
  if (!size) throw new CvError('model-input', `Cannot tell the latent size of ${model.key} from input ${name} [${dims}]`);
  return size;
}

/** Decodes a batch of latents and turns the image output into RGBA buffers. */
async function decode(ctx: PipelineContext, model: ModelInfo, latents: Float32Array[]): Promise<GenerateResult> {
  const name = model.inputNames[0]!;
  const size = latentSize(model, name);
  const dims = model.inputDims[name]!;
  const images: Uint8ClampedArray[] = [];
  let width = 0, height = 0;
  // One latent per run: the shipped graphs are exported with batch 1 for the fastest WASM kernels.
  for (const z of latents) {
    const shape = [1, ...dims.slice(1).map((d) => (d > 0 ? d : 1))];
    const out = outputOf(model, await ctx.run(model, { [name]: { data: z.subarray(0, size), dims: shape } }));
    const [h, w, channels, layout] = imageLayout(out.dims);
    width = w;
    height = h;
    images.push(tensorToRgba(out.data, w, h, channels, layout, model.outputRange ?? guessRange(out.data)));
  }
  return { width, height, images };
}

/** [height, width, channels, layout] of a single-image output: NCHW when dim 1 is 1 or 3. */
export function imageLayout(dims: number[]): [number, number, 1 | 3, 'NCHW' | 'NHWC'] {
  const d = dims.length === 3 ? [1, ...dims] : dims;
  if (d.length !== 4) throw new CvError('model-output', `Expected an image output [N, C, H, W], got [${dims}]`);
  if (d[1] === 1 || d[1] === 3) return [d[2]!, d[3]!, d[1] as 1 | 3, 'NCHW'];
  if (d[3] === 1 || d[3] === 3) return [d[1]!, d[2]!, d[3] as 1 | 3, 'NHWC'];
  throw new CvError('model-output', `Image output [${dims}] has neither 1 nor 3 channels`);
}

/** Range of an image output the catalog did not describe: tanh outputs go negative, 8-bit ones pass 1. */
export function guessRange(data: Float32Array): [number, number] {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    min = Math.min(min, data[i]!);
    max = Math.max(max, data[i]!);
  }
  if (min < -0.05) return [-1, 1];
  return max > 1.5 ? [0, 255] : [0, 1];
}

export async function runGenerate(
  ctx: PipelineContext,
  models: (key: string) => ModelInfo,
  frame: FrameImage,
  req: GenerateRequest,
): Promise<GenerateResult> {
  const variants = Math.max(1, Math.min(16, Math.floor(req.variants)));
  if (req.kind === 'vae') {
    const encoder = models(req.encoder);
    const crop = centerSquare(frame.width, frame.height, 0.8);
    const { name, tensor } = frameToInput(ctx, encoder, frame, crop);
    const out = await ctx.run(encoder, { [name]: tensor });
    const mu = out.mu ?? out[encoder.outputNames[0]!]!;
    const logvar = out.logvar ?? out[encoder.outputNames[1]!];
    if (!mu || !logvar) throw new CvError('model-output', `VAE encoder must output mu and logvar, it has ${Object.keys(out).join(', ')}`);
    checkFinite(encoder, 'mu', mu);
    checkFinite(encoder, 'logvar', logvar);
    const rand = mulberry32(req.seed);
    // Variant 0 is the reconstruction (the mean); the rest sample around it, spread by temperature.
    const latents = Array.from({ length: variants }, (_, v) => {
      const eps = gaussian(rand, mu.data.length);
      return mu.data.map((m, i) => (v === 0 ? m : m + req.temperature * Math.exp(0.5 * logvar.data[i]!) * eps[i]!));
    });
    return { ...(await decode(ctx, models(req.decoder), latents)), crops: [crop] };
  }
  if (req.kind === 'noise') {
    const generator = models(req.generator);
    const size = latentSize(generator, generator.inputNames[0]!);
    const step = req.time / NOISE_WALK_PERIOD_S;
    const k = Math.floor(step);
    const latentAt = (walk: number, index: number) => {
      const z = gaussian(mulberry32(req.seed * 7919 + walk * 104729 + index), size);
      return z.map((v) => v * req.temperature);
    };
    const latents = Array.from({ length: variants }, (_, v) => slerp(latentAt(v, k), latentAt(v, k + 1), step - k));
    return decode(ctx, generator, latents);
  }
  // Image to image (ESRGAN): upscale crops spread across the frame's middle row.
  const generator = models(req.generator);
  const { width, height } = inputSize(imageInput(generator).spec);
  const side = Math.min(frame.height * 0.5, frame.width / variants);
  const crops: Rect[] = Array.from({ length: variants }, (_, v) => ({
    x: (frame.width - side * variants) / 2 + v * side,
    y: (frame.height - side) / 2,
    width: side,
    height: side * (height / width),
  }));
  const images: Uint8ClampedArray[] = [];
  let w = 0, h = 0;
  for (const crop of crops) {
    const { name, tensor } = frameToInput(ctx, generator, frame, crop);
    const out = outputOf(generator, await ctx.run(generator, { [name]: tensor }));
    const [oh, ow, channels, layout] = imageLayout(out.dims);
    w = ow;
    h = oh;
    images.push(tensorToRgba(out.data, ow, oh, channels, layout, generator.outputRange ?? guessRange(out.data)));
  }
  return { width: w, height: h, images, crops };
}
