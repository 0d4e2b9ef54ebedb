import { css, html, type TemplateResult } from 'lit';
import type { MediapipeKind } from '../../runtime/types.js';
import { CvError, type CvErrorDetail, toCvError } from '../../events/cv-error.js';
import type { CvLearnDetail } from '../../events/cv-learn.js';
import { drawLabels } from '../../overlay/labels.js';
import type { Label } from '../../tasks/classify/labels.js';
import type { ClassifyResult } from '../../tasks/classify/pipeline.js';
import type { HeadFile } from '../../tasks/learn/head.js';
import type { LearnStatus, PipelineRequest } from '../../worker/protocol.js';
import { baseStyles } from '../cv-element.styles.js';
import { CvElement } from '../cv-element.js';
import type { LoadedModels, ModelNeed } from '../../controllers/models-controller.js';
import { LearnController } from '../../controllers/learn-controller.js';
import type { CvResultBase } from '../../events/cv-result.js';
import type { CvClassifyEventMap } from '../../frameworks/elements.generated.js';

export interface ClassifyOutput {
  /** Best labels first; with roi="face", one set per face, each with its `box` in frame pixels. */
  labels: Label[];
}

/** The model used for the face crops when roi="face" and no `src` is given. */
export const FACE_CLASSIFIER = 'expression';
export const FACE_DETECTOR = 'face-detection';
export const DEFAULT_CLASSIFIER = 'fashion-cnn';
/** The frozen feature extractor `learn` mode trains its head on when no `src` is given. */
export const LEARN_BACKBONE = 'features';
/** The identity model `learn` mode enrols faces with when roi="face" and no `src` is given. */
export const FACE_BACKBONE = 'face-embedding';
/** Default `distance-threshold`: faces farther than this from every enrolled person are `unknown`. */
export const DEFAULT_DISTANCE_THRESHOLD = 0.35;

/** How a `train()` ended: epochs run, and loss and accuracy on the (augmented) examples. */
export interface TrainResult {
  epochs: number;
  loss: number;
  accuracy: number;
}

type LearnInfo = { hint: true } | { training: boolean; accuracy: number; loss: number } | null;

const learnStyles = css`
  .learn {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    margin-top: 6px;
    color: var(--cv-learn-color, inherit);
  }
  .learn button {
    font: inherit;
    padding: 4px 10px;
    border-radius: 6px;
    border: 1px solid currentColor;
    background: var(--cv-button-background, transparent);
    color: inherit;
    cursor: pointer;
  }
  .learn [part~='count'] {
    font-variant-numeric: tabular-nums;
    opacity: 0.8;
  }
`;
/**
 * `<cv-classify>`: labels for the live frame (or the faces in it), drawn on the overlay and read out
 * in an aria-live region.
 *
 * @attr top-k - how many labels to keep (per face), 3 by default
 * @attr threshold - lowest score kept, 0 by default
 * @attr roi - `full` (the centre of the frame) or `face` (each face BlazeFace finds)
 * @attr learn - teach it your own classes: a frozen backbone (`features`, or `src`) plus a last layer
 *   trained in the worker on examples captured from the live frame. With roi="face" it recognises people:
 *   each capture enrols the largest face under a class name, using the `face-embedding` identity model
 *   (or `src`), and each face found is labelled with the nearest enrolled person and its `distance`, or `unknown`,
 *   and its `expression`
 * @attr classes - with `learn`, the class buttons to show, comma-separated (`A,B,C` by default)
 * @attr distance-threshold - with `learn` and roi="face" (face recognition): the cosine distance (0–2) beyond which
 *   a face matches nobody enrolled and is labelled `unknown`; 0.35 by default (docs/learn.md gives the measured distances)
 * @attr head-name - with `learn`, the IndexedDB key the learned head is saved under (the element's
 *   `id` when absent; with neither, the head lives only as long as the element)
 * @event {CvResultEvent<ClassifyOutput>} cv-result - a frame's labels: `{frame, timestamp, latencyMs, inferenceMs, labels}`
 * @event {CvLearnEvent} cv-learn - with `learn`: an example was added, a class cleared, a head imported or restored,
 *   or training progressed: `{label, examples, counts, loss?, accuracy?, epochs?, training?}`
 * @csspart labels - the aria-live list of labels
 * @csspart learn - with `learn`, the bar holding the class buttons and the training status
 * @csspart class-button - one button per class: captures the current frame as an example of it
 * @csspart count - the number of examples on a class button
 * @csspart learn-status - training status (loss and accuracy)
 * @csspart learn-announce - the visually hidden live region that announces counts and finished trainings
 * @cssprop --cv-learn-color - text colour of the learn bar (inherited by default)
 * @cssprop --cv-button-background - background of the class buttons (transparent)
 */
export class CvClassify extends CvElement<ClassifyResult, ClassifyOutput> {
  static override styles = [baseStyles, learnStyles];

  static override properties = {
    ...CvElement.properties,
    topK: { type: Number, attribute: 'top-k' },
    threshold: { type: Number },
    roi: { type: String },
    learn: { type: Boolean, reflect: true },
    classes: { type: String },
    headName: { type: String, attribute: 'head-name' },
    distanceThreshold: { type: Number, attribute: 'distance-threshold' },
    spoken: { state: true },
    counts: { state: true },
    learnInfo: { state: true },
    announcement: { state: true },
  };

  /** The latest result, as in the last `cv-result`. */
  declare result: (CvResultBase & ClassifyOutput) | null;

  declare topK: number;
  declare threshold: number;
  declare roi: 'full' | 'face';
  /** Teach the element your own classes (see the `learn` attribute). */
  declare learn: boolean;
  /** Class names for the capture buttons, comma-separated. */
  declare classes: string;
  /** IndexedDB key of the learned head; the element's `id` when empty. */
  declare headName: string;
  /** Face recognition: cosine distance beyond which a face is `unknown` (see the `distance-threshold` attribute). */
  declare distanceThreshold: number;
  protected declare spoken: string;
  protected declare counts: Record<string, number>;
  /** What the learn bar's status says: the hint before anything is learned, or the last training. */
  protected declare learnInfo: LearnInfo;
  /** The last count or training change, for the polite live region. */
  protected declare announcement: string;

  /** This element's head in the worker, in learn mode (controllers/learn-controller.ts). */
  private readonly heads = new LearnController(this, (s) => this.onProgress(s));
  private lastFailCode = '';

  constructor() {
    super();
    this.topK = 3;
    this.threshold = 0;
    this.roi = 'full';
    this.learn = false;
    this.classes = 'A,B,C';
    this.headName = '';
    this.distanceThreshold = 0.35; // DEFAULT_DISTANCE_THRESHOLD, written out so the manifest can read the default
    this.spoken = '';
    this.counts = {};
    this.learnInfo = null;
    this.announcement = '';
  }

  protected override modelAttributes(): string[] {
    return ['roi', 'learn', 'headName'];
  }

  protected override modelNeeds(): ModelNeed[] {
    const face = this.attrs.oneOf('roi', this.roi, ['full', 'face'] as const, 'full') === 'face';
    if (this.learn && face) {
      return [
        { role: 'backbone', src: this.src || FACE_BACKBONE },
        { role: 'detector', src: FACE_DETECTOR },
        { role: 'expression', src: FACE_CLASSIFIER },
      ];
    }
    if (this.learn) return [{ role: 'backbone', src: this.src || LEARN_BACKBONE }];
    if (face) {
      return [
        { role: 'classifier', src: this.src || FACE_CLASSIFIER },
        { role: 'detector', src: FACE_DETECTOR },
      ];
    }
    return [{ role: 'classifier', src: this.src || DEFAULT_CLASSIFIER }];
  }

  /** MediaPipe's FaceDetector finds the faces; the expression classifier stays on ONNX WASM in the same worker. */
  protected override mediapipeRoles(): Record<string, MediapipeKind> | null {
    return this.roi === 'face' ? { detector: 'detect' } : null;
  }

  private validTopK(): number {
    return this.attrs.number('top-k', this.topK, 3, { min: 1, integer: true });
  }

  private validThreshold(): number {
    return this.attrs.number('threshold', this.threshold, 0, { min: 0, max: 1 });
  }

  protected override buildRequest(models: LoadedModels): PipelineRequest {
    if (models.keys.backbone) {
      const learn = { task: 'learn' as const, backbone: models.keys.backbone, head: this.heads.head, topK: this.validTopK(), threshold: this.validThreshold() };
      if (!models.keys.detector) return learn;
      const distanceThreshold = this.attrs.number('distance-threshold', this.distanceThreshold, DEFAULT_DISTANCE_THRESHOLD, { min: 0, max: 2 });
      return { ...learn, detector: models.keys.detector, distanceThreshold, ...(models.keys.expression ? { expression: models.keys.expression } : {}) };
    }
    return {
      task: 'classify',
      classifier: models.keys.classifier!,
      ...(models.keys.detector ? { detector: models.keys.detector } : {}),
      topK: this.validTopK(),
      threshold: this.validThreshold(),
      roi: this.roi === 'face' ? 'face' : 'full',
    };
  }

  protected override paint(result: ClassifyResult): void {
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]')!;
    const t = this.i18n.t;
    drawLabels(overlay, result.labels, this.mirrored, t.overlayLabel);
    const text = result.labels.length
      ? t.labelList(result.labels.slice(0, 3).map((l) => t.labelScore(l.label, Math.round(l.score * 100))))
      : this.roi === 'face' ? t.noFace : t.noLabel;
    if (text !== this.spoken) this.spoken = text;
  }

  protected override publicResult(result: ClassifyResult): ClassifyOutput {
    if (this.lastFailCode === 'no-examples') {
      this.lastFailCode = '';
      this.clearError('no-examples');
    }
    return { labels: result.labels };
  }

  protected override renderExtras(): TemplateResult {
    return html`<div part="labels" class="sr-only" aria-live="polite">${this.spoken}</div>`;
  }

  protected override renderControls(): TemplateResult | string {
    if (!this.learn) return '';
    const names = this.classNames();
    for (const k of Object.keys(this.counts)) if (!names.includes(k)) names.push(k);
    const t = this.i18n.t;
    const info = this.learnInfo;
    const status = !info ? '' : 'hint' in info ? t.nothingLearned : t.learnStatus(info.training, info.accuracy * 100, info.loss);
    // Native buttons: in the tab order, pressed by Enter and Space; the name says what a press does and
    // how many examples the class has. Counts and finished trainings are announced once, politely; the
    // visible status changes every epoch, so it is not a live region.
    return html`
      <div part="learn" class="learn" role="group" aria-label=${t.learnGroup}>
        ${names.map(
          (name) => html`<button
            part="class-button"
            type="button"
            data-label=${name}
            aria-label=${t.classButton(name, this.counts[name] ?? 0)}
            @click=${() => this.addExample(name).catch(() => {})}
          >
            ${name} <span part="count" aria-hidden="true">${this.counts[name] ?? 0}</span>
          </button>`,
        )}
        <span part="learn-status">${status}</span>
        <span part="learn-announce" class="sr-only" role="status" aria-live="polite">${this.announcement}</span>
      </div>
    `;
  }

  /**
   * Predicting before anything is learned fails every frame: say it once, until a result comes. It is
   * where every learn session starts rather than a fault, so the hint goes in the learn bar, not the red
   * error box; `cv-error` still fires for code that listens.
   */
  protected override fail(err: CvError, cause?: string): void {
    if (err.code === 'no-examples') {
      if (this.lastFailCode === 'no-examples') return;
      this.lastFailCode = err.code;
      this.learnInfo = { hint: true };
      this.emit<CvErrorDetail>('cv-error', { code: err.code, message: err.message });
      return;
    }
    this.lastFailCode = err.code;
    super.fail(err, cause);
  }

  // ---- learn mode ------------------------------------------------------------------------------

  private classNames(): string[] {
    return (this.classes || 'A,B,C').split(',').map((c) => c.trim()).filter(Boolean);
  }

  private storeKey(): string | null {
    return this.headName || this.id || null;
  }

  protected override async prepareModels(models: LoadedModels): Promise<void> {
    this.heads.close();
    if (!models.keys.backbone) return;
    const detector = models.keys.detector;
    const name = this.src || (detector ? FACE_BACKBONE : LEARN_BACKBONE);
    const status = await this.heads.open(models.client, { key: models.keys.backbone, name }, this.storeKey(), detector);
    const headId = this.heads.head;
    this.counts = status.counts;
    this.learnInfo = this.describe(status);
    if (status.restored) this.emit<CvLearnDetail>('cv-learn', this.detail(null, status));
    if (status.discarded) {
      // After this load's cv-ready (which clears load errors), so the report stays shown.
      const message = `The head saved as "${this.storeKey()}" could not be read and was removed: ${status.discarded}`;
      setTimeout(() => this.heads.head === headId && this.fail(new CvError('head-invalid', message)), 0);
    }
  }

  override disconnectedCallback(): void {
    this.heads.close(); // before the models are released
    super.disconnectedCallback();
  }

  private describe(s: LearnStatus): LearnInfo {
    return s.trained ? { training: !!s.training, accuracy: s.trained.accuracy, loss: s.trained.loss } : null;
  }

  private detail(label: string | null, s: LearnStatus): CvLearnDetail {
    return {
      label,
      examples: label !== null ? (s.counts[label] ?? 0) : s.examples,
      counts: s.counts,
      ...(s.trained ? { loss: s.trained.loss, accuracy: s.trained.accuracy, epochs: s.trained.epochs } : {}),
      ...(s.training !== undefined ? { training: s.training } : {}),
    };
  }

  private onProgress(s: LearnStatus) {
    const wasTraining = !!this.learnInfo && !('hint' in this.learnInfo) && this.learnInfo.training;
    this.counts = s.counts;
    this.learnInfo = this.describe(s);
    if (wasTraining && s.trained && !s.training) this.announcement = this.i18n.t.learnStatus(false, s.trained.accuracy * 100, s.trained.loss);
    this.emit<CvLearnDetail>('cv-learn', this.detail(null, s));
  }

  /** The open head, or a `bad-attribute` / `not-ready` fault. */
  private head(): LearnController {
    if (!this.learn) throw new CvError('bad-attribute', 'This needs the learn attribute');
    if (!this.heads.head || !this.models) throw new CvError('not-ready', 'The backbone is still loading: wait for cv-ready');
    return this.heads;
  }

  /** Runs a learn-mode method: a fault fires `cv-error` and rejects; the element carries on. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      const err = toCvError(e, 'inference');
      this.fail(err);
      throw err;
    }
  }

  /**
   * Captures the current frame as an example of `label` (embedded in several augmented views in the
   * worker) and starts training in the background. Resolves with that class's number of examples.
   */
  addExample(label: string): Promise<number> {
    return this.guard(async () => {
      const heads = this.head();
      if (!label || typeof label !== 'string') throw new CvError('bad-argument', 'addExample needs a class name');
      const frame = await this.captureFrame();
      if (!frame) throw new CvError('no-frame', 'There is no frame to learn from yet');
      const s = await heads.run({ op: 'add', label, frame });
      this.counts = s.counts;
      this.announcement = this.i18n.t.exampleAdded(label, s.count ?? 0);
      this.emit<CvLearnDetail>('cv-learn', this.detail(label, s));
      return s.count ?? 0;
    });
  }

  /** Forgets the examples of one class, or of all classes; the head retrains on what is left. */
  clearExamples(label?: string): Promise<void> {
    return this.guard(async () => {
      const heads = this.head();
      const s = await heads.run({ op: 'clear', ...(label !== undefined ? { label } : {}) });
      this.counts = s.counts;
      if (!s.examples) this.learnInfo = null;
      this.announcement = this.i18n.t.examplesCleared(label ?? null);
      this.emit<CvLearnDetail>('cv-learn', this.detail(label ?? null, s));
    });
  }

  /**
   * Forgets the learned head entirely: every class's examples, the trained weights, and the copy saved
   * in IndexedDB under `head-name` (or `id`). The way out of a head that should not be kept.
   */
  clearHead(): Promise<void> {
    return this.guard(async () => {
      const heads = this.head();
      const s = await heads.run({ op: 'forget' });
      this.counts = s.counts;
      this.learnInfo = null;
      this.emit<CvLearnDetail>('cv-learn', this.detail(null, s));
    });
  }

  /** Trains on the current examples (or waits for the background run) and resolves with how it ended. */
  train(): Promise<TrainResult> {
    return this.guard(async () => {
      const heads = this.head();
      const s = await heads.run({ op: 'train' });
      const t = s.trained!;
      this.learnInfo = this.describe({ ...s, training: false });
      return { epochs: t.epochs, loss: t.loss, accuracy: t.accuracy };
    });
  }

  /** Saves the head to IndexedDB now (it is saved after every training anyway) under `head-name` or `id`. */
  saveHead(): Promise<void> {
    return this.guard(async () => {
      const heads = this.head();
      await heads.run({ op: 'save' });
    });
  }

  /** The learned head as JSON: labels, weights, standardisation, examples, and the backbone's name and sha256. */
  exportHead(): Promise<Blob> {
    return this.guard(async () => {
      const heads = this.head();
      const file = await heads.run({ op: 'export' });
      return new Blob([JSON.stringify(file)], { type: 'application/json' });
    });
  }

  /** Replaces the head with one from `exportHead()`; it must come from the same backbone (`head-mismatch` otherwise). */
  importHead(file: Blob): Promise<void> {
    return this.guard(async () => {
      const heads = this.head();
      let parsed: HeadFile;
      try {
        parsed = JSON.parse(await file.text()) as HeadFile;
      } catch (e) {
        throw new CvError('head-invalid', `Not a head file: ${(e as Error).message}`);
      }
      const s = await heads.run({ op: 'import', file: parsed });
      this.counts = s.counts;
      this.learnInfo = this.describe(s);
      this.emit<CvLearnDetail>('cv-learn', this.detail(null, s));
      void this.processStill();
    });
  }
}

/** Typed listeners: `addEventListener('cv-result', (e) => e.detail…)` knows this element's detail. */
export interface CvClassify {
  addEventListener<K extends keyof CvClassifyEventMap>(type: K, listener: (this: CvClassify, ev: CvClassifyEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: CvClassify, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof CvClassifyEventMap>(type: K, listener: (this: CvClassify, ev: CvClassifyEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: CvClassify, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}
