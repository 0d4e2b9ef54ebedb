import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { acquireCamera, type CameraLease, type CameraRequest } from '../page/camera-hub.js';
import { CvError, toCvError } from '../errors.js';
import { own } from '../page/resources.js';
import { FaultBackoff } from './fault-backoff.js';

/**
 * How long the camera stays on after nothing watches it (element paused, scrolled off-screen, or tab
 * hidden). Long enough that scrolling past or a quick tab switch does not blink the camera light and
 * pay a new getUserMedia; short enough that the light soon tells the truth.
 */
export const CAMERA_IDLE_GRACE_MS = 3000;

export interface CameraHost extends ReactiveControllerHost, HTMLElement {}

/**
 * One element's camera: takes a lease from the shared hub while the element is watched, lets go after
 * {@link CAMERA_IDLE_GRACE_MS} once nobody can see it (paused, off-screen, hidden tab), and takes it
 * again when it is watched. A camera that ends mid-stream (unplugged, revoked) is reported once as
 * `camera-ended`, and the controller tries again on `devicechange` and on a backoff timer.
 */
export class CameraController implements ReactiveController {
  private lease: CameraLease | null = null;
  private pending: Promise<void> | null = null;
  private token = 0;
  private graceTimer = 0;
  private retryTimer = 0;
  /** Retries after the camera ended or failed to start: 1 s, doubling, at most every 30 s. */
  private readonly retry = new FaultBackoff(1000, 30000);
  private onScreen = true;
  private io?: IntersectionObserver;
  private failed = false;
  private readonly onVisibility = () => this.update();
  private readonly onDeviceChange = () => {
    if (this.failed) this.retryNow();
  };

  constructor(
    private readonly host: CameraHost,
    private readonly options: {
      /** Whether the element wants the camera at all (connected, started, no `source`). */
      wanted: () => boolean;
      /** Whether the element wants frames now (not paused). */
      running: () => boolean;
      request: () => CameraRequest;
      /** The stream is live on the element's video (or null: gone). */
      onStream: (stream: MediaStream | null) => void;
      onError: (err: CvError) => void;
    },
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.onVisibility);
    navigator.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
    own('listener', 2);
    this.io = new IntersectionObserver((entries) => {
      this.onScreen = entries.some((e) => e.isIntersecting);
      this.update();
    });
    this.io.observe(this.host);
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.onVisibility);
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.onDeviceChange);
    own('listener', -2);
    this.io?.disconnect();
    this.io = undefined;
    this.stop();
  }

  /** Whether anyone can see what the camera feeds this element now. */
  get watched(): boolean {
    return this.options.wanted() && this.options.running() && this.onScreen && document.visibilityState !== 'hidden';
  }

  /** Whether the element holds a camera lease now (tests and the readout read it). */
  get holding(): boolean {
    return this.lease !== null;
  }

  /** Call after anything `wanted`/`running` read changed: takes the camera, or starts the grace period. */
  update(): void {
    if (!this.options.wanted()) return this.stop();
    if (this.watched) {
      this.clearGrace();
      if (!this.lease && !this.pending && !this.retryTimer) void this.take();
    } else if ((this.lease || this.pending) && !this.graceTimer) {
      own('timer');
      this.graceTimer = window.setTimeout(() => {
        this.graceTimer = 0;
        own('timer', -1);
        if (!this.watched) this.drop();
      }, CAMERA_IDLE_GRACE_MS);
    }
  }

  /** Drops the camera now and takes it again with the current request (facing or resolution changed). */
  restart(): void {
    this.drop();
    this.clearRetry();
    this.retry.succeed();
    this.update();
  }

  /** Lets go of everything now: no grace, no retry. */
  stop(): void {
    this.clearGrace();
    this.clearRetry();
    this.drop();
  }

  private drop() {
    this.token++;
    this.pending = null;
    if (this.lease) {
      this.lease.release();
      this.lease = null;
      this.options.onStream(null);
    }
  }

  private clearGrace() {
    if (!this.graceTimer) return;
    clearTimeout(this.graceTimer);
    this.graceTimer = 0;
    own('timer', -1);
  }

  private clearRetry() {
    if (!this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    own('timer', -1);
  }

  private retryNow() {
    this.clearRetry();
    this.update();
  }

  private scheduleRetry() {
    if (this.retryTimer) return;
    own('timer');
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = 0;
      own('timer', -1);
      this.update();
    }, this.retry.fault());
  }

  private take(): Promise<void> {
    const token = ++this.token;
    const work = (async () => {
      try {
        const lease = await acquireCamera(this.options.request(), () => token === this.token && this.ended());
        if (token !== this.token) return lease.release();
        this.lease = lease;
        this.failed = false;
        this.retry.succeed();
        this.options.onStream(lease.stream);
      } catch (e) {
        if (token !== this.token) return;
        this.failed = true;
        this.options.onError(toCvError(e, 'camera-unavailable'));
        // A refusal stays a refusal until the user acts; anything else may pass (camera busy, plugged in later).
        if ((e as CvError).code !== 'camera-denied') this.scheduleRetry();
      } finally {
        if (token === this.token) this.pending = null;
      }
    })();
    this.pending = work;
    return work;
  }

  /** The stream died under us: say so once, let go, and look for a camera again. */
  private ended() {
    this.drop();
    this.failed = true;
    this.options.onError(new CvError('camera-ended', 'The camera stopped (unplugged or taken away); it will be used again when it is back'));
    this.scheduleRetry();
  }
}
