import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { CvProgressEvent } from '../events/cv-progress.js';
import type { CvStrings } from '../i18n/strings.js';

/**
 * The download progress bar (`part="progress"`): fed by the host's own `cv-progress` events, so it
 * shows exactly what a listener sees, summed over the models being fetched. It appears once a download
 * is under way (a model read from the cache, complete in one step, shows nothing) and hides at
 * `cv-ready` or `cv-error`. Re-renders at most once per animation frame, however fast chunks arrive.
 */
export class ProgressController implements ReactiveController {
  private readonly models = new Map<string, { loaded: number; total: number }>();
  private downloading = false;
  private raf = 0;
  private readonly onProgress = (e: CvProgressEvent) => {
    if (e.target !== this.host) return;
    const { model, loaded, total } = e.detail;
    if (!this.models.has(model) && (total === 0 || loaded < total)) this.downloading = true;
    this.models.set(model, { loaded, total });
    if (this.downloading) this.schedule();
  };
  private readonly onDone = (e: Event) => {
    if (e.target !== this.host) return;
    this.models.clear();
    if (!this.downloading) return;
    this.downloading = false;
    this.schedule();
  };

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
  }

  /** Whether the bar is showing. */
  get visible(): boolean {
    return this.downloading;
  }

  hostConnected(): void {
    this.host.addEventListener('cv-progress', this.onProgress);
    this.host.addEventListener('cv-ready', this.onDone);
    this.host.addEventListener('cv-error', this.onDone);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('cv-progress', this.onProgress);
    this.host.removeEventListener('cv-ready', this.onDone);
    this.host.removeEventListener('cv-error', this.onDone);
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.models.clear();
    this.downloading = false;
  }

  private schedule() {
    this.raf ||= requestAnimationFrame(() => {
      this.raf = 0;
      this.host.requestUpdate();
    });
  }

  render(t: CvStrings): TemplateResult {
    let loaded = 0;
    let total = 0;
    let known = true;
    for (const m of this.models.values()) {
      loaded += m.loaded;
      total += m.total;
      known &&= m.total > 0;
    }
    const percent = known && total ? Math.min(100, Math.floor((loaded / total) * 100)) : null;
    return html`<div
      part="progress"
      class="progress"
      role="progressbar"
      aria-label=${t.progressLabel}
      aria-valuemin="0"
      aria-valuemax="100"
      aria-valuenow=${percent ?? nothing}
      aria-valuetext=${t.progressValue(loaded, known ? total : 0)}
      ?hidden=${!this.downloading}
    >
      <div class="progress-fill ${percent === null ? 'indeterminate' : ''}" style="width: ${percent ?? 100}%"></div>
    </div>`;
  }
}
