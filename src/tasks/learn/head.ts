import { CvError } from '../../errors.js';
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
  /** `softmax` (absent in older files) or `centroid` (face recognition: one unit-length centroid per person in `weights`). */
  kind?: 'softmax' | 'centroid';
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
    if (embedding.length !== this.dim) throw new CvError('head-mismatch', `Embedding has ${embedding.length} values; this head takes ${this.dim}`);
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
    if (!this.ready) throw new CvError('no-examples', 'The head has no trained classes');
    const p = new Float64Array(this.labels.length);
    softmaxInto(this.weights, this.bias, this.labels.length, this.dim, standardise(embedding, this.mean, this.scale), p);
    return Float32Array.from(p);
  }

  toFile(backbone: { name: string; sha256: string | null }): HeadFile {
    return {
      format: 'cv-elements-head',
      version: 1,
      kind: this instanceof CentroidHead ? 'centroid' : 'softmax',
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

  /**
   * A head from a file, checked field by field before anything uses it; throws `head-invalid` naming
   * what is wrong. A file that passes can be described, predicted with and saved again: nothing in it
   * is missing, null (JSON's NaN) or of the wrong length.
   */
  static fromFile(file: HeadFile): SoftmaxHead {
    const bad = (why: string) => new CvError('head-invalid', `Not a usable head file: ${why}`);
    if (!file || typeof file !== 'object' || file.format !== 'cv-elements-head' || file.version !== 1) throw bad('format/version');
    if (file.kind !== undefined && file.kind !== 'softmax' && file.kind !== 'centroid') throw bad(`kind "${String(file.kind)}" is neither softmax nor centroid`);
    const D = file.backbone?.dim;
    if (!Number.isInteger(D) || D <= 0) throw bad('backbone.dim is not a positive integer');
    if (!Array.isArray(file.labels) || !file.labels.length || !file.labels.every((l) => typeof l === 'string')) throw bad('labels are not a list of names');
    const K = file.labels.length;
    const numbers = (name: string, v: unknown, n: number) => {
      if (!Array.isArray(v) || v.length !== n) throw bad(`${name} has ${Array.isArray(v) ? v.length : 'no'} values, ${n} expected`);
      if (!v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw bad(`${name} holds a missing or non-finite number`);
    };
    numbers('weights', file.weights, K * D);
    numbers('bias', file.bias, K);
    numbers('mean', file.mean, D);
    numbers('scale', file.scale, D);
    const t = file.trained as Partial<TrainSummary> | undefined;
    if (!t || typeof t !== 'object') throw bad('the "trained" summary is missing');
    for (const k of ['epochs', 'loss', 'accuracy'] as const) {
      if (typeof t[k] !== 'number' || !Number.isFinite(t[k])) throw bad(`trained.${k} is ${JSON.stringify(t[k])}, not a finite number`);
    }
    if (file.examples !== undefined && (typeof file.examples !== 'object' || file.examples === null)) throw bad('examples is not an object');
    for (const [label, rows] of Object.entries(file.examples ?? {})) {
      if (!Array.isArray(rows)) throw bad(`examples of "${label}" are not a list`);
      rows.forEach((r, i) => numbers(`examples["${label}"][${i}]`, r, D));
    }
    const head = file.kind === 'centroid' ? new CentroidHead(D) : new SoftmaxHead(D);
    for (const [label, rows] of Object.entries(file.examples ?? {})) {
      for (const r of rows) head.add(label, Float32Array.from(r));
    }
    head.labels = [...file.labels];
    head.mean = Float32Array.from(file.mean);
    head.scale = Float32Array.from(file.scale);
    head.weights = Float32Array.from(file.weights);
    head.bias = Float32Array.from(file.bias);
    head.summary = { epochs: t.epochs!, loss: t.loss!, accuracy: t.accuracy! };
    return head;
  }
}

/**
 * The head of face recognition (`learn` with roi="face"): nearest centroid on L2-normalised identity
 * descriptors, compared by cosine distance. The descriptor was trained so that one person's faces lie
 * close together, so there is nothing to fit: a centroid per person is their enrolment. Unlike softmax it
 * has an open-set answer (a face far from every centroid is nobody enrolled), works from one person and
 * one capture, and adding a person never moves the others. Centroids rather than nearest neighbour: they
 * average the augmented views and captures of a person, so one odd capture weighs less.
 * `weights` holds the K unit centroids; `mean` 0 and `scale` 1 keep the file format of the softmax head.
 */
export class CentroidHead extends SoftmaxHead {
  override begin(): void {
    const labels = [...this.examples].filter(([, v]) => v.length > 0).map(([k]) => k);
    const D = this.dim;
    const W = new Float32Array(labels.length * D);
    labels.forEach((l, k) => {
      const c = W.subarray(k * D, (k + 1) * D);
      for (const x of this.examples.get(l)!) {
        const u = unit(x);
        for (let i = 0; i < D; i++) c[i]! += u[i]!;
      }
      c.set(unit(c));
    });
    this.labels = labels;
    this.weights = W;
    this.bias = new Float32Array(labels.length);
    this.mean = new Float32Array(D);
    this.scale = new Float32Array(D).fill(1);
    // Loss: mean distance of the examples to their own centroid; accuracy: how many are nearest to it.
    let loss = 0, right = 0, n = 0;
    labels.forEach((l, k) => {
      for (const x of this.examples.get(l)!) {
        const d = this.distances(x);
        loss += d[k]!;
        if (d.indexOf(Math.min(...d)) === k) right++;
        n++;
      }
    });
    this.summary = { epochs: 1, loss: n ? loss / n : 0, accuracy: n ? right / n : 0 };
  }

  /** Nothing to iterate: `begin()` placed the centroids. */
  override trainEpochs(): TrainSummary {
    return this.summary;
  }

  /** Cosine distance (1 − cos) of a descriptor to each person's centroid, in `labels` order. */
  distances(embedding: Float32Array): Float32Array {
    if (!this.ready) throw new CvError('no-examples', 'Nobody is enrolled yet');
    const u = unit(embedding);
    const D = this.dim;
    const out = new Float32Array(this.labels.length);
    for (let k = 0; k < out.length; k++) {
      let dot = 0;
      for (let i = 0; i < D; i++) dot += u[i]! * this.weights[k * D + i]!;
      out[k] = 1 - dot;
    }
    return out;
  }

  /** Similarity (1 − distance, at least 0) per person, so callers that rank by score still work. */
  override predict(embedding: Float32Array): Float32Array {
    return this.distances(embedding).map((d) => Math.max(0, 1 - d));
  }
}

/** `x` scaled to length 1 (a zero vector stays zero). */
export function unit(x: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < x.length; i++) n += x[i]! * x[i]!;
  const s = n > 0 ? 1 / Math.sqrt(n) : 0;
  return x.map((v) => v * s);
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
