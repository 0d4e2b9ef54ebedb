// React 19 JSX of the bare tags (typed by importing cv-elements/react's types) and the @lit/react wrappers.
import { useRef } from 'react';
import { CvClassify, CvSegment } from 'cv-elements/react';
import type { CvSegment as CvSegmentElement } from 'cv-elements';

export function Tags() {
  const ref = useRef<CvSegmentElement>(null);
  return (
    <>
      <cv-segment ref={ref} effect="blur" threshold={0.4} max-fps={15} mirrored id="seg" oncv-result={(e) => e.detail.foreground.toFixed(2)} />
      <cv-classify top-k={3} roi="face" learn classes="cat,dog" oncv-learn={(e) => e.detail.examples} oncv-error={(e) => e.detail.code} />
      <cv-generate variants={4} seed={7} oncv-result={(e) => e.detail.images} />
      {/* @ts-expect-error effect is one of mask, blur, replace, none */}
      <cv-segment effect="sparkle" />
      {/* @ts-expect-error threshold is a number */}
      <cv-segment threshold="high" />
      {/* @ts-expect-error a segment result has no labels */}
      <cv-segment oncv-result={(e) => e.detail.labels} />
    </>
  );
}

export function Wrappers() {
  const ref = useRef<CvSegmentElement>(null);
  return (
    <>
      <CvSegment ref={ref} effect="replace" background="#0a0" onCvResult={(e) => e.detail.foreground} onCvError={(e) => e.detail.message} />
      <CvClassify topK={5} onCvResult={(e) => e.detail.labels[0]?.label} onCvLearn={(e) => e.detail.counts} />
      {/* @ts-expect-error a classify result has no foreground */}
      <CvClassify onCvResult={(e) => e.detail.foreground} />
      {/* @ts-expect-error roi is full or face */}
      <CvClassify roi="middle" />
    </>
  );
}
