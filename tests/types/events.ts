// Typed DOM use of the tags: the tag map, per-element event maps and the global cv-* events.
import { CvSegment, type BlurPath, type CvErrorEvent, type CvPaths, type CvResultEvent, type SegmentOutput } from 'cv-elements';

const segment = document.querySelector('cv-segment');
if (segment) {
  const el: CvSegment = segment;
  el.effect = 'blur';
  el.threshold = 0.4;
  // @ts-expect-error effect is one of mask, blur, replace, none
  el.effect = 'sparkle';
  el.addEventListener('cv-result', (e) => {
    const share: number = e.detail.foreground;
    const latency: number = e.detail.latencyMs;
    // @ts-expect-error a segment result has no labels
    void e.detail.labels;
    void share, latency;
  });
  el.addEventListener('cv-ready', (e) => e.detail.backend satisfies 'wasm' | 'webgpu' | 'mediapipe');
  el.addEventListener('cv-ready', (e) => e.detail.paths.capture satisfies 'video-frame' | 'image-bitmap' | 'canvas');
  const paths: CvPaths = el.paths;
  void (paths.blur satisfies BlurPath | undefined);
  void (el.compositing?.blur satisfies 'webgl' | 'canvas-filter' | 'downscale' | undefined);
  // @ts-expect-error frames are paced by one of two paths
  void (paths.frames === 'timer');
  el.addEventListener('cv-progress', (e) => e.detail.loaded / e.detail.total);
  el.addEventListener('cv-error', (e: CvErrorEvent) => e.detail.code.toUpperCase());
  el.addEventListener('click', (e) => e.clientX); // the DOM's own events keep their types
  const typed: (e: CvResultEvent<SegmentOutput>) => void = () => {};
  el.removeEventListener('cv-result', typed);
}

const classify = document.createElement('cv-classify');
classify.topK = 5;
// @ts-expect-error top-k is a number
classify.topK = 'five';
classify.addEventListener('cv-result', (e) => e.detail.labels.map((l) => l.label.toUpperCase()));
classify.addEventListener('cv-learn', (e) => Object.values(e.detail.counts).reduce((a, b) => a + b, 0));
void classify.addExample('cat').then((n: number) => n);

const generate = document.querySelector('cv-generate');
generate?.addEventListener('cv-result', (e) => {
  const images: number = e.detail.images;
  // @ts-expect-error a generate result has no foreground
  void e.detail.foreground;
  void images;
});

// cv-* events bubble: the global map types them on any element.
document.body.addEventListener('cv-error', (e) => e.detail.message.length);

// The generated per-tag types are public too.
import type { CvSegmentEventMap, CvClassifyAttributes, CvStats } from 'cv-elements';
export const onResult = (e: CvSegmentEventMap['cv-result']) => e.detail.foreground;
export const attrs: CvClassifyAttributes = { 'top-k': 2, roi: 'full' };
export const fps = (s: CvStats) => s.fps + s.phases.runMs;
