import { html, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { CvStrings } from '../i18n/strings.js';

interface HudHost extends ReactiveControllerHost, HTMLElement {
  hud: boolean;
  readonly stats: { fps: number; latencyMs: number };
  readonly renderRoot: HTMLElement | DocumentFragment;
}

/**
 * The `hud` readout (`part="hud"`): fps and latency from `element.stats`, written into the part's text
 * on a timer a few times a second. It never re-renders the element and does nothing per frame; with
 * `hud` off there is no timer at all.
 */
export class HudController implements ReactiveController {
  /** Time spent writing the readout, in ms, and how many times (for measuring its cost). */
  readonly cost = { ms: 0, ticks: 0, samples: [] as number[] };
  private timer = 0;
  private box: Element | null = null;

  constructor(
    private readonly host: HudHost,
    private readonly strings: () => CvStrings,
    private readonly periodMs = 250,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    this.box = this.host.hud ? this.host.renderRoot.querySelector('[part~="hud"]') : null;
    if (this.host.hud && !this.timer && this.host.isConnected) {
      this.timer = window.setInterval(() => this.tick(), this.periodMs);
      this.tick();
    } else if (!this.host.hud && this.timer) this.stop();
  }

  hostDisconnected(): void {
    this.stop();
  }

  private stop() {
    clearInterval(this.timer);
    this.timer = 0;
  }

  private tick() {
    const t0 = performance.now();
    const el = this.box;
    if (el) {
      const { fps, latencyMs } = this.host.stats;
      const text = this.strings().hud(fps, latencyMs);
      if (el.textContent !== text) el.textContent = text;
    }
    const ms = performance.now() - t0;
    this.cost.ms += ms;
    this.cost.ticks++;
    if (this.cost.samples.length < 256) this.cost.samples.push(ms);
  }

  /** An empty box: lit binds nothing inside it, so the text written by the timer stays. */
  render(): TemplateResult | string {
    return this.host.hud ? html`<div part="hud" class="hud"></div>` : '';
  }
}
