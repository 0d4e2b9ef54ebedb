/**
 * How a `<video>` frame becomes something the worker can take, by the best path this browser allows:
 * a VideoFrame (no copy), else an ImageBitmap, else a canvas copy. A path that fails steps down to the
 * next for good: a VideoFrame the engine cannot construct, transfer or use in the worker costs one frame.
 */
import type { CvPaths } from '../events/cv-ready.js';
import type { WorkerEnv } from '../worker/protocol.js';
import { pageHasVideoFrame } from './capabilities.js';

type CapturePath = CvPaths['capture'];
const ORDER: CapturePath[] = ['video-frame', 'image-bitmap', 'canvas'];

export class VideoCapture {
  private readonly failed = new Set<CapturePath>();
  private workerVideoFrame = true;
  /** A VideoFrame went through the worker once: a later failure is the model's, not the path's. */
  private videoFrameWorked = false;
  private canvas: OffscreenCanvas | HTMLCanvasElement | null = null;

  /** The path the next video frame takes. */
  get path(): CapturePath {
    return ORDER.find((p) => !this.failed.has(p) && (p !== 'video-frame' || (this.workerVideoFrame && pageHasVideoFrame())))!;
  }

  /** The worker that runs the frames said what it can take. */
  setWorker(env: WorkerEnv | undefined): void {
    this.workerVideoFrame = env?.videoFrame ?? true;
  }

  /** A copy of the video's current frame; the caller owns it (close(), or transfer). */
  async grab(video: HTMLVideoElement, mediaTime: number): Promise<VideoFrame | ImageBitmap> {
    for (;;) {
      const path = this.path;
      try {
        if (path === 'video-frame') return new VideoFrame(video, { timestamp: Math.round(mediaTime * 1e6) });
        if (path === 'image-bitmap') return await createImageBitmap(video);
        return this.viaCanvas(video);
      } catch (e) {
        if (path === 'canvas') throw e;
        this.failed.add(path);
      }
    }
  }

  /** A run that got `frame` succeeded. */
  sent(frame: VideoFrame | ImageBitmap): void {
    if (isVideoFrame(frame)) this.videoFrameWorked = true;
  }

  /**
   * A run with `frame` failed: if it was the first VideoFrame tried, the path is blamed (not transferable,
   * not usable in the worker) and the next frame goes as an ImageBitmap. True when the failure is handled so.
   */
  runFailed(frame: VideoFrame | ImageBitmap): boolean {
    if (!isVideoFrame(frame) || this.videoFrameWorked || this.failed.has('video-frame')) return false;
    this.failed.add('video-frame');
    return true;
  }

  private viaCanvas(video: HTMLVideoElement): Promise<ImageBitmap> | ImageBitmap {
    const { videoWidth: w, videoHeight: h } = video;
    const c = (this.canvas ??= typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h) : document.createElement('canvas'));
    if (c.width !== w || c.height !== h) Object.assign(c, { width: w, height: h });
    (c.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D).drawImage(video, 0, 0, w, h);
    return 'transferToImageBitmap' in c ? c.transferToImageBitmap() : createImageBitmap(c);
  }
}

function isVideoFrame(frame: object): frame is VideoFrame {
  return 'displayWidth' in frame;
}
