/**
 * The trainable last layer of `<cv-classify learn>`: softmax regression on a frozen backbone's
 * embeddings. Features are standardised with the examples' mean and spread, then a K×D weight matrix
 * and K biases are fitted by full-batch Adam on cross-entropy plus a little L2. Pure arithmetic, no DOM:
 * it runs in the worker, and the same numbers give the same predictions wherever it runs.
 */

/** What `exportHead()` writes and `importHead()` reads. */
export interface HeadFile {
  format: 'cv-elements-head';
  version: 1;
  /** The frozen feature extractor the weights belong to; a head only fits the backbone it was trained on. */
  backbone: { name: string; sha256: string | null; dim: number };
  /** Classes in weight-row order. */
  labels: string[];
  /** Standardisation: z = (x - mean) * scale. */
  mean: number[];
  scale: number[];
  /** labels.length × dim, row-major. */
  weights: number[];
  bias: number[];
  /** How the head was last trained. */
  trained: TrainSummary;
  /** The examples' embeddings per class, so an imported head can keep learning. */
  examples: Record<string, number[][]>;
}

export interface TrainSummary {
  /** Epochs of the last training run (0 when never trained). */
  epochs: number;
  /** Mean cross-entropy on the examples at the end. */
  loss: number;
  /** Fraction of the examples the head gets right. */
  accuracy: number;
}

export interface TrainOptions {
  learningRate?: number;
  l2?: number;
}

const EPS = 1e-3;

export class SoftmaxHead {
  /** Class → embeddings, in the order the classes were first taught. */
  readonly examples = new Map<string, Float32Array[]>();
  /** The classes the current weights predict (those that had examples when training started). */
  labels: string[] = [];
  mean: Float32Array = new Float32Array(0);
  scale: Float32Array = new Float32Array(0);
  weights: Float32Array = new Float32Array(0);
  bias: Float32Array = new Float32Array(0);
  summary: TrainSummary = { epochs: 0, loss: NaN, accuracy: 0 };
  /** Bumped whenever the examples change, so a trainer can tell its fit is stale. */
  revision = 0;

  // Adam state and the standardised design matrix of the current fit.
  private m = new Float32Array(0);
  private v = new Float32Array(0);
  private step = 0;
  private X: Float32Array[] = [];
  private Y: number[] = [];
  /** The fit in progress; published to the fields predictions read after every `trainEpochs`. */
  private fit: { labels: string[]; mean: Float32Array; scale: Float32Array; weights: Float32Array; bias: Float32Array; epochs: number } | null = null;

  constructor(readonly dim: number) {}

  /** True once weights exist for at least one class. */
  get ready(): boolean {
    return this.labels.length > 0 && this.weights.length === this.labels.length * this.dim;
  }

  count(label: string): number {
    return this.examples.get(label)?.length ?? 0;
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.examples].map(([k, v]) => [k, v.length]));
  }

  get total(): number {
    let n = 0;
    for (const v of this.examples.values()) n += v.length;
    return n;
  }

  add(label: string, embedding: Float32Array): number {
    if (embedding.length !== this.dim) throw new RangeError(`Embedding has ${embedding.length} values; this head takes ${this.dim}`);
    let list = this.examples.get(label);
    if (!list) this.examples.set(label, (list = []));
    list.push(embedding);
    this.revision++;
    return list.length;
  }

  /** Forgets one class's examples, or all of them; the weights stay until the next fit. */
  clear(label?: string): void {
    if (label === undefined) this.examples.clear();
    else this.examples.delete(label);
    this.revision++;
  }

  /**
   * Starts a new fit on the current examples: standardisation, zero weights, fresh Adam state.
   * Predictions keep using the last published weights until `trainEpochs` publishes new ones.
   */
  begin(): void {
    const labels = [...this.examples].filter(([, v]) => v.length > 0).map(([k]) => k);
    const D = this.dim;
    const rows: Float32Array[] = [];
    const ys: number[] = [];
    labels.forEach((l, k) => this.examples.get(l)!.forEach((x) => (rows.push(x), ys.push(k))));
    const N = rows.length;
    const mean = new Float32Array(D);
    const scale = new Float32Array(D);
    if (N) {
      const sum = new Float64Array(D);
      const sq = new Float64Array(D);
      for (const x of rows) for (let i = 0; i < D; i++) sum[i]! += x[i]!;
      for (let i = 0; i < D; i++) mean[i] = sum[i]! / N;
      for (const x of rows) for (let i = 0; i < D; i++) sq[i]! += (x[i]! - mean[i]!) ** 2;
      for (let i = 0; i < D; i++) scale[i] = 1 / (Math.sqrt(sq[i]! / N) + EPS);
    }
    this.X = rows.map((x) => standardise(x, mean, scale));
    this.Y = ys;
    this.fit = { labels, mean, scale, weights: new Float32Array(labels.length * D), bias: new Float32Array(labels.length), epochs: 0 };
    this.m = new Float32Array((D + 1) * labels.length);
    this.v = new Float32Array((D + 1) * labels.length);
    this.step = 0;
  }

  /** Runs `epochs` full-batch Adam steps of the fit `begin()` started; returns where it stands. */
  trainEpochs(epochs: number, { learningRate = 0.05, l2 = 1e-3 }: TrainOptions = {}): TrainSummary {
    const fit = this.fit;
    const K = fit?.labels.length ?? 0;
    const D = this.dim;
    const N = this.X.length;
    if (!fit || !K || !N) return this.summary;
    const W = fit.weights;
    const B = fit.bias;
    const grad = new Float32Array((D + 1) * K);
    const p = new Float64Array(K);
    const b1 = 0.9, b2 = 0.999;
    let loss = 0;
    let correct = 0;
    for (let e = 0; e < epochs; e++) {
      grad.fill(0);
      loss = 0;
      correct = 0;
      for (let n = 0; n < N; n++) {
        const x = this.X[n]!;
        const y = this.Y[n]!;
        const best = softmaxInto(W, B, K, D, x, p);
        if (best === y) correct++;
        loss -= Math.log(Math.max(p[y]!, 1e-12));
        for (let k = 0; k < K; k++) {
          const g = (p[k]! - (k === y ? 1 : 0)) / N;
          const row = k * (D + 1);
          for (let i = 0; i < D; i++) grad[row + i]! += g * x[i]!;
          grad[row + D]! += g;
        }
      }
      loss /= N;
      this.step++;
      const c1 = 1 - b1 ** this.step;
      const c2 = 1 - b2 ** this.step;
      for (let k = 0; k < K; k++) {
        const row = k * (D + 1);
        for (let i = 0; i <= D; i++) {
          const isBias = i === D;
          const w = isBias ? B[k]! : W[k * D + i]!;
          const g = grad[row + i]! + (isBias ? 0 : l2 * w);
          this.m[row + i] = b1 * this.m[row + i]! + (1 - b1) * g;
          this.v[row + i] = b2 * this.v[row + i]! + (1 - b2) * g * g;
          const next = w - (learningRate * (this.m[row + i]! / c1)) / (Math.sqrt(this.v[row + i]! / c2) + 1e-8);
          if (isBias) B[k] = next;
          else W[k * D + i] = next;
        }
      }
    }
    fit.epochs += epochs;
    // Publish a copy: predictions between chunks see a consistent set of weights.
    this.labels = [...fit.labels];
    this.mean = fit.mean;
    this.scale = fit.scale;
    this.weights = W.slice();
    this.bias = B.slice();
    this.summary = { epochs: fit.epochs, loss, accuracy: correct / N };
    return this.summary;
  }

  /** Class probabilities for one embedding, in `labels` order. */
  predict(embedding: Float32Array): Float32Array {
    if (!this.ready) throw new RangeError('The head has no trained classes');
    const p = new Float64Array(this.labels.length);
    softmaxInto(this.weights, this.bias, this.labels.length, this.dim, standardise(embedding, this.mean, this.scale), p);
    return Float32Array.from(p);
  }

  toFile(backbone: { name: string; sha256: string | null }): HeadFile {
    return {
      format: 'cv-elements-head',
      version: 1,
      backbone: { ...backbone, dim: this.dim },
      labels: [...this.labels],
      mean: Array.from(this.mean),
      scale: Array.from(this.scale),
      weights: Array.from(this.weights),
      bias: Array.from(this.bias),
      trained: { ...this.summary },
      examples: Object.fromEntries([...this.examples].map(([k, v]) => [k, v.map((x) => Array.from(x))])),
    };
  }

  /** A head from a file, checked for shape; throws a RangeError naming what is wrong. */
  static fromFile(file: HeadFile): SoftmaxHead {
    if (!file || file.format !== 'cv-elements-head' || file.version !== 1) throw new RangeError('Not a cv-elements head file (format/version)');
    const D = file.backbone?.dim;
    const K = file.labels?.length;
    if (!(D! > 0) || !Array.isArray(file.labels)) throw new RangeError('Head file has no backbone dim or labels');
    if (file.weights.length !== K * D || file.bias.length !== K || file.mean.length !== D || file.scale.length !== D) {
      throw new RangeError(`Head file shapes do not agree: ${K} labels × ${D} dims vs ${file.weights.length} weights`);
    }
    const head = new SoftmaxHead(D);
    for (const [label, rows] of Object.entries(file.examples ?? {})) {
      for (const r of rows) head.add(label, Float32Array.from(r));
    }
    head.labels = [...file.labels];
    head.mean = Float32Array.from(file.mean);
    head.scale = Float32Array.from(file.scale);
    head.weights = Float32Array.from(file.weights);
    head.bias = Float32Array.from(file.bias);
    head.summary = { ...file.trained };
    return head;
  }
}

/** Softmax of W·x + b into `p`; returns the arg-max. */
function softmaxInto(W: Float32Array, B: Float32Array, K: number, D: number, x: Float32Array, p: Float64Array): number {
  let max = -Infinity;
  let arg = 0;
  for (let k = 0; k < K; k++) {
    let s = B[k]!;
    const row = k * D;
    for (let i = 0; i < D; i++) s += W[row + i]! * x[i]!;
    p[k] = s;
    if (s > max) (max = s), (arg = k);
  }
  let sum = 0;
  for (let k = 0; k < K; k++) sum += p[k] = Math.exp(p[k]! - max);
  for (let k = 0; k < K; k++) p[k] = p[k]! / sum;
  return arg;
}

function standardise(x: Float32Array, mean: Float32Array, scale: Float32Array): Float32Array {
  const z = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) z[i] = (x[i]! - mean[i]!) * scale[i]!;
  return z;
}
