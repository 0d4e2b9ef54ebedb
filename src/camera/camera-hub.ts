import { CvError } from '../events/cv-error.js';

export interface CameraRequest {
  facing: 'user' | 'environment';
  width: number;
  height: number;
}

interface Shared {
  stream: Promise<MediaStream>;
  refs: number;
}

const shared = new Map<string, Shared>();

/** Number of live camera streams on the page (tests check that removed elements stop theirs). */
export function liveCameraStreams(): number {
  return shared.size;
}

function cameraError(e: unknown): CvError {
  const name = (e as DOMException)?.name;
  const why = (e as Error)?.message ?? String(e);
  if (name === 'NotAllowedError' || name === 'SecurityError') return new CvError('camera-denied', `Camera permission was denied: ${why}`);
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return new CvError('camera-not-found', `No camera matches the request: ${why}`);
  return new CvError('camera-unavailable', `The camera could not start: ${why}`);
}

/**
 * Elements on one page share one camera stream per (facing, resolution); the tracks stop when the last
 * element lets go. Returns the stream and the function that lets go of it (call it exactly once).
 */
export async function acquireCamera(req: CameraRequest): Promise<{ stream: MediaStream; release: () => void }> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CvError('camera-unavailable', 'This page cannot use a camera: getUserMedia needs a secure context (https or localhost)');
  }
  const key = `${req.facing}:${req.width}x${req.height}`;
  let entry = shared.get(key);
  if (!entry) {
    const stream = navigator.mediaDevices
      .getUserMedia({
        audio: false,
        video: { facingMode: req.facing, width: { ideal: req.width }, height: { ideal: req.height } },
      })
      .catch((e) => {
        shared.delete(key);
        throw cameraError(e);
      });
    entry = { stream, refs: 0 };
    shared.set(key, entry);
  }
  entry.refs++;
  const mine = entry;
  let stream: MediaStream;
  try {
    stream = await mine.stream;
  } catch (e) {
    mine.refs--;
    throw e;
  }
  let released = false;
  return {
    stream,
    release: () => {
      if (released) return;
      released = true;
      if (--mine.refs > 0) return;
      if (shared.get(key) === mine) shared.delete(key);
      for (const t of stream.getTracks()) t.stop();
    },
  };
}

/** Parses `640x480` into numbers, with a clear error for anything else. */
export function parseResolution(value: string | null | undefined): { width: number; height: number } {
  const m = /^\s*(\d{2,5})\s*[x×]\s*(\d{2,5})\s*$/.exec(value ?? '640x480');
  if (!m) throw new CvError('bad-attribute', `resolution must look like "640x480", got "${value}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}
