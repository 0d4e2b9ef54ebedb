import type { ReactiveControllerHost } from 'lit';
import { CvError, toCvError } from '../errors.js';
import { parseResolution } from '../page/camera-hub.js';
import { own } from '../page/resources.js';
import type { AttributeGuard } from './attribute-guard.js';
import { CameraController } from './camera-controller.js';
import { LatestRun } from './latest-run.js';

/** What an element reads frames from: the `source` element it selects, or its own video of the camera. */
export type FrameSource = HTMLImageElement | HTMLVideoElement | HTMLCanvasElement;

export interface SourceHost extends ReactiveControllerHost, HTMLElement {
  source: string;
  facing: 'user' | 'environment';
  resolution: string;
  paused: boolean;
  readonly renderRoot: HTMLElement | DocumentFragment;
  readonly hasUpdated: boolean;
}

export interface SourceOptions {
  attrs: AttributeGuard;
  /** Whether `stop()` was called. */
  stopped: () => boolean;
  /** The frame loop follows this video's frames (null: no video to follow). */
  follow: (video: HTMLVideoElement | null) => void;
  /** A still image is ready (selected, or loaded anew): run the model on it once. */
  still: () => void;
  fail: (err: CvError, cause?: string) => void;
  clearError: (prefix: string) => void;
  clearFault: (cause: string) => void;
}

/**
 * Where an element's frames come from: finds the `source` element (looking again every 500 ms while it is
 * missing), follows an image's load and error events, or runs the camera through a CameraController and
 * plays its stream in the element's video. Each connection is a run of a {@link LatestRun}, so a stream or
 * retry from a connection that was replaced does nothing. The host calls connect() and disconnect() (after its
 * controllers' hostDisconnected, so the camera controller has let go first).
 */
export class SourceController {
  /** The element frames are read from now, or null. */
  element: FrameSource | null = null;
  readonly camera: CameraController;
  private readonly runs = new LatestRun();
  private retryTimer = 0;
  private readonly onLoad = () => {
    this.options.clearError('source-unavailable');
    this.options.still();
  };
  private readonly onError = () => this.options.fail(new CvError('source-unavailable', `The source image "${this.host.source}" failed to load`));

  constructor(
    private readonly host: SourceHost,
    private readonly options: SourceOptions,
  ) {
    this.camera = new CameraController(host, {
      wanted: () => host.isConnected && !options.stopped() && !host.source && host.hasUpdated,
      running: () => !host.paused,
      request: () => ({ facing: options.attrs.oneOf('facing', host.facing, ['user', 'environment'] as const, 'user'), ...this.cameraSize() }),
      onStream: (stream) => void this.showStream(stream),
      onError: (err) => options.fail(err),
    });
  }

  private get video(): HTMLVideoElement {
    return this.host.renderRoot.querySelector('video')!;
  }

  /** Removes the tap-to-play listeners an autoplay refusal left on the document. */
  private unblock: (() => void) | null = null;

  disconnect(): void {
    this.runs.cancel();
    this.unblock?.();
    if (this.retryTimer) own('timer', -1);
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.camera.stop();
    if (this.element instanceof HTMLImageElement) {
      this.element.removeEventListener('load', this.onLoad);
      this.element.removeEventListener('error', this.onError);
      own('listener', -2);
    }
    if (this.host.hasUpdated) this.video.srcObject = null;
    this.element = null;
    this.options.follow(null);
  }

  async connect(): Promise<void> {
    const { host, options } = this;
    await host.updateComplete;
    this.disconnect();
    if (!host.isConnected || options.stopped()) return;
    const run = this.runs.start();
    try {
      if (host.source) {
        const root = host.getRootNode() as Document | ShadowRoot;
        let el: Element | null;
        try {
          el = root.querySelector?.(host.source) ?? document.querySelector(host.source);
        } catch {
          // Not a selector at all: no element will ever match, so no retry.
          throw new CvError('source-not-found', `source="${host.source}" is not a valid CSS selector`);
        }
        if (!el) {
          // The element may be added later: look again shortly, and say why nothing shows meanwhile.
          own('timer');
          this.retryTimer = window.setTimeout(() => {
            own('timer', -1);
            this.retryTimer = 0;
            if (!run.aborted) void this.connect();
          }, 500);
          throw new CvError('source-not-found', `source="${host.source}" matches no element on the page`);
        }
        if (!(el instanceof HTMLImageElement || el instanceof HTMLVideoElement || el instanceof HTMLCanvasElement)) {
          throw new CvError('bad-attribute', `source must select an <img>, <video> or <canvas>; "${host.source}" is a <${el.localName}>`);
        }
        this.element = el;
        // A new source element: faults about the one before (not found, failed, tainted) are moot.
        options.clearFault('source');
        if (el instanceof HTMLImageElement) {
          el.addEventListener('load', this.onLoad);
          el.addEventListener('error', this.onError);
          own('listener', 2);
          if (el.complete && el.naturalWidth === 0 && el.src) this.onError();
          options.follow(null);
          options.still();
        } else {
          options.follow(el instanceof HTMLVideoElement ? el : null);
        }
        return;
      }
      // The camera: the controller takes it while the element is watched and calls showStream().
      options.clearError('source-');
      this.camera.restart();
    } catch (e) {
      if (!run.aborted) options.fail(toCvError(e, 'camera-unavailable'), 'source');
    }
  }

  /** The camera's resolution: the attribute when it parses, else the default (with a warning). */
  private cameraSize(): { width: number; height: number } {
    let size: { width: number; height: number } | null = null;
    try {
      size = parseResolution(this.host.resolution);
    } catch {
      size = null;
    }
    // check() hands back the attribute string when it is valid: the size is the parsed one.
    this.options.attrs.check('resolution', this.host.resolution, size !== null, { width: 640, height: 480 }, 'like "640x480"');
    return size ?? { width: 640, height: 480 };
  }

  /** The camera controller's stream arrives (or goes: null). */
  private async showStream(stream: MediaStream | null): Promise<void> {
    const run = this.runs.current;
    if (!this.host.hasUpdated) await this.host.updateComplete;
    const video = this.video;
    if (!stream) {
      if (video.srcObject) video.srcObject = null;
      if (this.element === video) this.element = null;
      this.options.follow(null);
      return;
    }
    video.srcObject = stream;
    const blocked = await video.play().then(
      () => false,
      (e: unknown) => (e as { name?: string })?.name === 'NotAllowedError',
    );
    if (run !== this.runs.current || video.srcObject !== stream) return;
    if (blocked) {
      // An autoplay policy (Safari, iOS Low Power Mode, some embeds) refused to play the stream: without a
      // word the element would sit with no frames. Say so, and start on the page's next tap or key.
      this.options.fail(new CvError('camera-unavailable', 'The browser blocked playing the camera until the page is tapped or clicked (autoplay policy); tap the page to start'), 'source');
      this.unblock?.();
      const unblock = () => {
        document.removeEventListener('pointerdown', retry, true);
        document.removeEventListener('keydown', retry, true);
        own('listener', -2);
        if (this.unblock === unblock) this.unblock = null;
      };
      const retry = () => {
        unblock();
        if (run === this.runs.current && video.srcObject === stream) void this.showStream(stream);
      };
      document.addEventListener('pointerdown', retry, true);
      document.addEventListener('keydown', retry, true);
      own('listener', 2);
      this.unblock = unblock;
      return;
    }
    this.options.clearFault('source');
    this.element = video;
    this.options.clearError('camera');
    this.options.follow(video);
  }
}
