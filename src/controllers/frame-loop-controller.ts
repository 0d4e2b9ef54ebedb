import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { framePacing } from '../page/capabilities.js';

/** A frame the loop hands to its host: the capture time and, for video, the media time. */
export interface FrameTick {
  now: number;
  mediaTime: number;
}

/**
 * Paces work to the source's frames (requestVideoFrameCallback for video, requestAnimationFrame
 * otherwise), honours max-fps, and stops while the host is paused, off-screen, disconnected or the tab
 * is hidden. One frame at a time: while the host works on one, no callback is even requested, and the
 * next frame taken is the newest the source shows when the work ends. Frames shown meanwhile are
 * dropped, never queued, and counted (from the video's `presentedFrames`). Not ticking while busy
 * matters for slow models: ESRGAN's 200 ms frames used to cost the page ~1.5 ms of idle callbacks each.
 */
export class FrameLoopController implements ReactiveController {
  /** Frames skipped because the previous one was still in the worker. */
  dropped = 0;
  private busy = false;
  private visible = true;
  private running = false;
  private handle = 0;
  private video: HTMLVideoElement | null = null;
  private lastStart = -Infinity;
  private lastPresented: number | undefined;
  /** The video's currentTime at the last frame run, for pacing by animation frames. */
  private lastVideoTime = -1;
  private io?: IntersectionObserver;
  private readonly onVisibility = () => this.reschedule();

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly options: {
      onFrame: (tick: FrameTick) => Promise<void>;
      maxFps: () => number;
      enabled: () => boolean;
    },
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.onVisibility);
    this.io = new IntersectionObserver((entries) => {
      this.visible = entries.some((e) => e.isIntersecting);
      this.reschedule();
    });
    this.io.observe(this.host);
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.io?.disconnect();
    this.cancel();
  }

  /** Sets the video to follow (null: animation frames) and restarts pacing. */
  follow(video: HTMLVideoElement | null): void {
    this.cancel();
    this.video = video;
    this.lastPresented = undefined;
    this.lastVideoTime = -1;
    this.reschedule();
  }

  get active(): boolean {
    return this.options.enabled() && this.visible && !document.hidden && this.host.isConnected;
  }

  /** Call after anything that may start or stop the loop changed. */
  reschedule(): void {
    if (this.active && !this.running) {
      this.running = true;
      this.schedule();
    } else if (!this.active) {
      this.cancel();
    }
  }

  private cancel() {
    this.running = false;
    if (!this.handle) return;
    if (this.video && typeof this.video.cancelVideoFrameCallback === 'function' && typeof this.video.requestVideoFrameCallback === 'function') this.video.cancelVideoFrameCallback(this.handle);
    else cancelAnimationFrame(this.handle);
    this.handle = 0;
  }

  private schedule() {
    if (!this.running || this.busy || this.handle) return;
    const v = this.video;
    if (v && typeof v.requestVideoFrameCallback === 'function') {
      this.handle = v.requestVideoFrameCallback((now, meta) => this.tick(now, meta.mediaTime, meta.presentedFrames));
    } else if (v) {
      // No requestVideoFrameCallback (older Firefox): animation frames, but a frame runs only once the
      // video's currentTime moved, so a paused or slow video is not sent the same picture again.
      this.handle = requestAnimationFrame((now) => {
        if (v.currentTime === this.lastVideoTime) {
          this.handle = 0;
          this.schedule();
          return;
        }
        this.lastVideoTime = v.currentTime;
        this.tick(now, v.currentTime);
      });
    } else {
      this.handle = requestAnimationFrame((now) => this.tick(now, now / 1000));
    }
  }

  /** How a video is paced here (see CvPaths.frames). */
  get path(): 'video-frame-callback' | 'animation-frame' {
    return framePacing();
  }

  private tick(now: number, mediaTime: number, presented?: number) {
    this.handle = 0;
    if (!this.running || this.busy) return;
    const fps = this.options.maxFps();
    if (fps > 0 && now - this.lastStart < 1000 / fps - 2) {
      this.lastPresented = presented;
      this.schedule();
      return;
    }
    if (presented !== undefined && this.lastPresented !== undefined) this.dropped += Math.max(0, presented - this.lastPresented - 1);
    this.lastPresented = presented;
    this.busy = true;
    this.lastStart = now;
    this.options.onFrame({ now, mediaTime }).finally(() => {
      this.busy = false;
      this.schedule();
    });
  }
}
