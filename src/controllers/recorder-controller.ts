import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CvError } from '../events/cv-error.js';

/** One layer of the picture, bottom first; `flip` mirrors it as the stage's CSS does. */
export interface RecordLayer {
  image: CanvasImageSource;
  flip: boolean;
}

export interface RecordOptions {
  /** Container and codec, e.g. `video/webm;codecs=vp9`; the first WebM type the browser supports by default. */
  mimeType?: string;
  /** Frames per second captured from the composite, 30 by default. */
  fps?: number;
  videoBitsPerSecond?: number;
}

// VP9 first: Chromium's VP8 recorder stalled after ~10 frames at 640×480 in our headless runs, VP9 did not.
const WEBM_TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'];

/**
 * `record()` / `stopRecording()`: draws the element's layers (video or source, the worker's composite,
 * the overlay) onto a canvas of the frame's size once per animation frame, and records that canvas's
 * captureStream with MediaRecorder. Costs nothing until recording starts; the canvas, its stream and
 * the recorder are released at `stopRecording()` or when the element leaves the page.
 */
export class RecorderController implements ReactiveController {
  private session: {
    recorder: MediaRecorder;
    stream: MediaStream;
    canvas: HTMLCanvasElement;
    raf: number;
    chunks: Blob[];
    done: Promise<Blob>;
  } | null = null;
  /** A recording ended by the element leaving the page, for the next `stop()`. */
  private orphan: Promise<Blob> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly source: {
      /** Frame size, or 0×0 when nothing is playing. */
      size: () => { width: number; height: number };
      layers: () => RecordLayer[];
    },
  ) {
    host.addController(this);
  }

  get recording(): boolean {
    return this.session !== null;
  }

  start(options: RecordOptions = {}): void {
    if (typeof MediaRecorder === 'undefined' || typeof HTMLCanvasElement.prototype.captureStream !== 'function') {
      throw new CvError('not-supported', 'Recording needs MediaRecorder and canvas.captureStream, which this browser lacks');
    }
    if (this.session) return;
    this.orphan = null;
    const { width, height } = this.source.size();
    if (!width || !height || !this.host.isConnected) throw new CvError('not-ready', 'Nothing is playing yet: record() needs a frame');
    const mimeType = options.mimeType ?? WEBM_TYPES.find((t) => MediaRecorder.isTypeSupported(t));
    if (!mimeType || !MediaRecorder.isTypeSupported(mimeType)) {
      throw new CvError('not-supported', `This browser cannot record ${options.mimeType ?? 'WebM'}`);
    }
    const canvas = document.createElement('canvas');
    Object.assign(canvas, { width, height });
    const ctx = canvas.getContext('2d')!;
    const stream = canvas.captureStream(options.fps ?? 30);
    const recorder = new MediaRecorder(stream, { mimeType, ...(options.videoBitsPerSecond ? { videoBitsPerSecond: options.videoBitsPerSecond } : {}) });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    const done = new Promise<Blob>((resolve) => {
      recorder.onstop = () => resolve(new Blob(chunks, { type: mimeType.split(';')[0] }));
    });
    const session = { recorder, stream, canvas, raf: 0, chunks, done };
    const draw = () => {
      session.raf = requestAnimationFrame(draw);
      const size = this.source.size();
      if (!size.width) return; // between sources: keep the last picture
      for (const { image, flip } of this.source.layers()) {
        ctx.setTransform(flip ? -1 : 1, 0, 0, 1, flip ? width : 0, 0);
        ctx.drawImage(image, 0, 0, width, height);
      }
    };
    draw();
    recorder.start(1000);
    this.session = session;
  }

  /** Stops and resolves with the recording; `not-ready` when nothing is being recorded. */
  stop(): Promise<Blob> {
    const s = this.session;
    if (!s && this.orphan) {
      const blob = this.orphan;
      this.orphan = null;
      return blob;
    }
    if (!s) return Promise.reject(new CvError('not-ready', 'Not recording: call record() first'));
    this.session = null;
    cancelAnimationFrame(s.raf);
    if (s.recorder.state !== 'inactive') s.recorder.stop();
    return s.done.finally(() => {
      s.stream.getTracks().forEach((t) => t.stop());
      s.canvas.width = s.canvas.height = 0;
    });
  }

  /** Leaving the page ends a recording and releases it; a later `stop()` still gets what was recorded. */
  hostDisconnected(): void {
    if (this.session) this.orphan = this.stop();
  }
}
