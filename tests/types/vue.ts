// Vue: the tags in GlobalComponents, as vue-tsc checks a template's props and @event handlers.
import type { GlobalComponents } from 'vue';
import type {} from 'cv-elements/vue';
import type { CvResultEvent, SegmentOutput } from 'cv-elements';

type Segment = InstanceType<GlobalComponents['cv-segment']>;
type Classify = InstanceType<GlobalComponents['cv-classify']>;

export const segmentProps: Segment['$props'] = { effect: 'blur', threshold: 0.4, 'max-fps': 15, maxFps: 15, class: 'camera' };
export const classifyProps: Classify['$props'] = { 'top-k': 3, roi: 'face', learn: true, 'head-name': 'my-head' };
// @ts-expect-error effect is one of mask, blur, replace, none
export const badEffect: Segment['$props'] = { effect: 'sparkle' };
// @ts-expect-error top-k is a number
export const badTopK: Classify['$props'] = { 'top-k': 'three' };

declare const segment: Segment;
declare const result: CvResultEvent<SegmentOutput>;
segment.$emit('cv-result', result);
// @ts-expect-error cv-result carries a CvResultEvent, not a number
segment.$emit('cv-result', 3);
segment.threshold = 0.5; // the instance is the element
