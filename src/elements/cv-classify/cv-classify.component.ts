import { html, type TemplateResult } from 'lit';
import { drawLabels } from '../../overlay/labels.js';
import type { Label } from '../../tasks/classify/labels.js';
import type { ClassifyResult } from '../../tasks/classify/pipeline.js';
import type { PipelineRequest } from '../../worker/protocol.js';
import { CvElement, type LoadedModels, type ModelNeed } from '../cv-element.js';

export interface ClassifyOutput {
  /** Best labels first; with roi="face", one set per face, each with its `box` in frame pixels. */
  labels: Label[];
}

/** The model used for the face crops when roi="face" and no `src` is given. */
export const FACE_CLASSIFIER = 'expression';
export const FACE_DETECTOR = 'face-detection';
export const DEFAULT_CLASSIFIER = 'fashion-cnn';

/**
 * `<cv-classify>`: labels for the live frame (or the faces in it), drawn on the overlay and read out
 * in an aria-live region.
 *
 * @attr top-k - how many labels to keep (per face), 3 by default
 * @attr threshold - lowest score kept, 0 by default
 * @attr roi - `full` (the centre of the frame) or `face` (each face BlazeFace finds)
 * @csspart labels - the aria-live list of labels
 */
export class CvClassify extends CvElement<ClassifyResult, ClassifyOutput> {
  static override properties = {
    ...CvElement.properties,
    topK: { type: Number, attribute: 'top-k' },
    threshold: { type: Number },
    roi: { type: String },
    spoken: { state: true },
  };

  declare topK: number;
  declare threshold: number;
  declare roi: 'full' | 'face';
  protected declare spoken: string;

  constructor() {
    super();
    this.topK = 3;
    this.threshold = 0;
    this.roi = 'full';
    this.spoken = '';
  }

  protected override modelAttributes(): string[] {
    return ['roi'];
  }

  protected override modelNeeds(): ModelNeed[] {
    if (this.roi === 'face') {
      return [
        { role: 'classifier', src: this.src || FACE_CLASSIFIER },
        { role: 'detector', src: FACE_DETECTOR },
      ];
    }
    return [{ role: 'classifier', src: this.src || DEFAULT_CLASSIFIER }];
  }

  /** MediaPipe's FaceDetector finds the faces; the expression classifier stays on ONNX WASM in the same worker. */
  protected override mediapipeRoles(): Record<string, 'segment' | 'detect'> | null {
    return this.roi === 'face' ? { detector: 'detect' } : null;
  }

  protected override buildRequest(models: LoadedModels): PipelineRequest {
    return {
      task: 'classify',
      classifier: models.keys.classifier!,
      ...(models.keys.detector ? { detector: models.keys.detector } : {}),
      topK: Math.max(1, this.topK || 1),
      threshold: this.threshold || 0,
      roi: this.roi === 'face' ? 'face' : 'full',
    };
  }

  protected override paint(result: ClassifyResult): void {
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]')!;
    drawLabels(overlay, result.labels, this.mirrored);
    const text = result.labels.length
      ? result.labels.slice(0, 3).map((l) => `${l.label} ${(l.score * 100).toFixed(0)} percent`).join(', ')
      : this.roi === 'face' ? 'no face' : 'no label';
    if (text !== this.spoken) this.spoken = text;
  }

  protected override publicResult(result: ClassifyResult): ClassifyOutput {
    return { labels: result.labels };
  }

  protected override renderExtras(): TemplateResult {
    return html`<div part="labels" class="sr-only" aria-live="polite">${this.spoken}</div>`;
  }
}
