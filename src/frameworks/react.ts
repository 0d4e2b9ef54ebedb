// `cv-elements/react`: React components for the tags, made with @lit/react, for React versions that
// set every prop as a string attribute (18 and older) and for typed `onCvResult`-style event props.
// Importing this module also registers the tags and types them in JSX (./react-jsx.ts).
import * as React from 'react';
import { createComponent, type EventName } from '@lit/react';
import { CvClassify as CvClassifyElement, CvGenerate as CvGenerateElement, CvSegment as CvSegmentElement } from '../index.js';
import { EVENT_PROPS, type CvElementsApi } from './elements.generated.js';

export type { CvEventListenerProps, CvJsxProps } from './react-jsx.js';

/** `cv-result` → `CvResult` */
type Pascal<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Capitalize<Head>}${Pascal<Tail>}` : Capitalize<S>;
/** `{'cv-result': E}` → `{onCvResult: EventName<E>}`, the shape @lit/react types event props from. */
type EventProps<Events> = { [K in keyof Events & string as `on${Pascal<K>}`]: Events[K] extends Event ? EventName<Events[K]> : never };
const events = <Tag extends keyof CvElementsApi>(tag: Tag) => EVENT_PROPS[tag] as unknown as EventProps<CvElementsApi[Tag]['events']>;

/** `<cv-classify>` as a React component: `<CvClassify topK={5} onCvResult={(e) => e.detail.labels} />`. */
export const CvClassify = createComponent({ react: React, tagName: 'cv-classify', elementClass: CvClassifyElement, events: events('cv-classify'), displayName: 'CvClassify' });
/** `<cv-segment>` as a React component: `<CvSegment effect="blur" onCvResult={(e) => e.detail.foreground} />`. */
export const CvSegment = createComponent({ react: React, tagName: 'cv-segment', elementClass: CvSegmentElement, events: events('cv-segment'), displayName: 'CvSegment' });
/** `<cv-generate>` as a React component: `<CvGenerate variants={4} onCvResult={(e) => e.detail.images} />`. */
export const CvGenerate = createComponent({ react: React, tagName: 'cv-generate', elementClass: CvGenerateElement, events: events('cv-generate'), displayName: 'CvGenerate' });
