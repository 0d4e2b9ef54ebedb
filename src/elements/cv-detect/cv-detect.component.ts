import { html, type TemplateResult } from 'lit';
import type { LoadedModels, ModelNeed } from '../../controllers/models-controller.js';
import type { CvResultBase } from '../../events/cv-result.js';
import type { CvDetectEventMap } from '../../frameworks/elements.generated.js';
import { drawLabels } from '../../overlay/labels.js';
import type { DetectedObject, DetectObjectsResult } from '../../tasks/detect-objects/index.js';
import type { PipelineRequest } from '../../worker/protocol.js';
import { CvElement } from '../cv-element.js';
import { summarizeObjects } from './summary.js';

export interface DetectOutput {
  /** Objects found, best first: `{label, score, box}` with the box in frame pixels. */
  objects: DetectedObject[];
}

/** The COCO-80 detector used when no `src` is given (CenterNet, MobileNetV3 backbone). */
export const DEFAULT_DETECTOR = 'object-detection';

/**
 * `<cv-detect>`: objects in the live frame, boxed and labelled on the overlay and counted in an
 * aria-live region ("2 people, 1 dog").
 *
 * @attr threshold - lowest score kept, 0.3 by default
 * @attr max-results - at most this many objects, best first, 20 by default
 * @attr labels - only these labels, comma-separated (`person,dog`); all when empty
 * @event {CvResultEvent<DetectOutput>} cv-result - a frame's objects: `{frame, timestamp, latencyMs, inferenceMs, objects}`
 * @csspart objects - the aria-live summary of what is in view
 */
export class CvDetect extends CvElement<DetectObjectsResult, DetectOutput> {
  static override properties = {
    ...CvElement.properties,
    threshold: { type: Number },
    maxResults: { type: Number, attribute: 'max-results' },
    labels: { type: String },
    spoken: { state: true },
  };

  /** The latest result, as in the last `cv-result`. */
  declare result: (CvResultBase & DetectOutput) | null;

  /** Lowest score kept (0…1). */
  declare threshold: number;
  /** At most this many objects per frame. */
  declare maxResults: number;
  /** Comma-separated labels to keep; empty keeps all. */
  declare labels: string;
  protected declare spoken: string;

  constructor() {
    super();
    this.threshold = 0.3;
    this.maxResults = 20;
    this.labels = '';
    this.spoken = '';
  }

  protected override modelNeeds(): ModelNeed[] {
    return [{ role: 'detector', src: this.src || DEFAULT_DETECTOR }];
  }

  protected override buildRequest(models: LoadedModels): PipelineRequest {
    const labels = this.labels.split(',').map((l) => l.trim()).filter(Boolean);
    return {
      task: 'detect-objects',
      detector: models.keys.detector!,
      threshold: this.attrs.number('threshold', this.threshold, 0.3, { min: 0, max: 1 }),
      maxResults: this.attrs.number('max-results', this.maxResults, 20, { min: 1, integer: true }),
      labels: labels.length ? labels : null,
    };
  }

  protected override paint(result: DetectObjectsResult): void {
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]')!;
    drawLabels(overlay, result.objects, this.mirrored, this.i18n.t.overlayLabel);
    const text = result.objects.length ? summarizeObjects(result.objects) : this.i18n.t.noLabel;
    if (text !== this.spoken) this.spoken = text;
  }

  protected override publicResult(result: DetectObjectsResult): DetectOutput {
    return { objects: result.objects };
  }

  protected override renderExtras(): TemplateResult {
    return html`<div part="objects" class="sr-only" aria-live="polite">${this.spoken}</div>`;
  }
}

/** Typed listeners: `addEventListener('cv-result', (e) => e.detail.objects)` knows this element's detail. */
export interface CvDetect {
  addEventListener<K extends keyof CvDetectEventMap>(type: K, listener: (this: CvDetect, ev: CvDetectEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: CvDetect, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof CvDetectEventMap>(type: K, listener: (this: CvDetect, ev: CvDetectEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: CvDetect, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}
