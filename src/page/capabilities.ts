/**
 * Page-side feature checks for the APIs whose support differs by engine (docs/browsers.md), each read
 * when it is needed, so a page or test that changes them before the elements start is seen.
 */
import type { CvPaths } from '../events/cv-ready.js';

/** How a video source is paced here: requestVideoFrameCallback, or animation frames where it is missing (older Firefox). */
export function framePacing(): CvPaths['frames'] {
  return typeof HTMLVideoElement !== 'undefined' && typeof HTMLVideoElement.prototype.requestVideoFrameCallback === 'function' ? 'video-frame-callback' : 'animation-frame';
}

/** Whether the page can make a VideoFrame (WebCodecs; Safari before 16.4 and Firefox before 130 cannot). */
export function pageHasVideoFrame(): boolean {
  return typeof VideoFrame === 'function';
}

let moduleWorkers: boolean | undefined;

/**
 * Whether `new Worker(url, {type: 'module'})` runs a module: a browser that does not know the option
 * never reads it, and would start the worker as a classic script that fails on its first `import`.
 * Read without starting anything: the options are read before the URL is parsed, and this URL does not parse.
 */
export function moduleWorkersSupported(): boolean {
  if (moduleWorkers !== undefined) return moduleWorkers;
  if (typeof Worker !== 'function') return (moduleWorkers = false);
  let read = false;
  const options = {
    get type(): WorkerType {
      read = true;
      return 'module';
    },
  };
  try {
    new Worker('http://[', options).terminate();
  } catch {
    // expected: the URL is invalid (or refused by Trusted Types), after the options were read
  }
  return (moduleWorkers = read);
}
