import { CvError } from '../errors.js';
import { own, probe } from './resources.js';

export interface CameraRequest {
  facing: 'user' | 'environment';
  width: number;
  height: number;
}

/** One element's hold on a shared stream. */
export interface CameraLease {
  stream: MediaStream;
  /** Lets go of the stream (idempotent); the tracks stop when the last lease goes. */
  release: () => void;
}

interface Shared {
  key: string;
  stream: Promise<MediaStream>;
  refs: number;
  /** Called once when a track of this stream ends by itself (unplugged, revoked). */
  onEnded: Set<() => void>;
  dead: boolean;
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

/** Every stream opened and not yet stopped: what the `track` count of the resource accounting reads. */
const opened = new Set<MediaStream>();
probe('track', () => [...opened].reduce((n, s) => n + s.getTracks().filter((t) => t.readyState === 'live').length, 0));

function stopTracks(stream: MediaStream) {
  for (const t of stream.getTracks()) t.stop();
  opened.delete(stream);
}

/** Drops a stream that died: never handed out again, and its holders are told once. */
function markDead(entry: Shared, stream: MediaStream) {
  // Whatever part of it still runs is let go too: a half-dead stream is no use to anyone.
  stopTracks(stream);
  if (entry.dead) return;
  entry.dead = true;
  if (shared.get(entry.key) === entry) shared.delete(entry.key);
  for (const f of [...entry.onEnded]) f();
  entry.onEnded.clear();
}

function open(key: string, req: CameraRequest): Shared {
  const entry: Shared = { key, stream: null!, refs: 0, onEnded: new Set(), dead: false };
  entry.stream = navigator.mediaDevices
    .getUserMedia({ audio: false, video: { facingMode: req.facing, width: { ideal: req.width }, height: { ideal: req.height } } })
    .then((stream) => {
      opened.add(stream);
      // `ended` fires only when a track ends without our stop(): unplugged, permission revoked.
      for (const t of stream.getTracks()) t.addEventListener('ended', () => markDead(entry, stream), { once: true });
      return stream;
    })
    .catch((e) => {
      if (shared.get(key) === entry) shared.delete(key);
      throw cameraError(e);
    });
  return entry;
}

/**
 * Elements on one page share one camera stream per (facing, resolution); the tracks stop when the last
 * element lets go. A stream whose track ended by itself is dropped and never handed out again;
 * `onEnded` is called (once) for each holder when that happens.
 */
export async function acquireCamera(req: CameraRequest, onEnded?: () => void): Promise<CameraLease> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CvError('camera-unavailable', 'This page cannot use a camera: getUserMedia needs a secure context (https or localhost)');
  }
  const key = `${req.facing}:${req.width}x${req.height}`;
  let entry = shared.get(key);
  if (!entry) shared.set(key, (entry = open(key, req)));
  entry.refs++;
  const mine = entry;
  let stream: MediaStream;
  try {
    stream = await mine.stream;
  } catch (e) {
    mine.refs--;
    throw e;
  }
  // A stream found dead on arrival (ended while we waited): drop it and take a fresh one.
  if (mine.dead || stream.getVideoTracks().some((t) => t.readyState === 'ended')) {
    mine.refs--;
    markDead(mine, stream);
    return acquireCamera(req, onEnded);
  }
  own('cameraLease');
  if (onEnded) mine.onEnded.add(onEnded);
  let released = false;
  return {
    stream,
    release: () => {
      if (released) return;
      released = true;
      own('cameraLease', -1);
      if (onEnded) mine.onEnded.delete(onEnded);
      if (--mine.refs > 0) return;
      if (shared.get(key) === mine) shared.delete(key);
      stopTracks(stream);
    },
  };
}

/** Parses `640x480` into numbers, with a clear error for anything else. */
export function parseResolution(value: string | null | undefined): { width: number; height: number } {
  const m = /^\s*(\d{2,5})\s*[x×]\s*(\d{2,5})\s*$/.exec(value ?? '640x480');
  if (!m) throw new CvError('bad-attribute', `resolution must look like "640x480", got "${value}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}
