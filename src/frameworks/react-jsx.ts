// React 19 JSX typing of the tags: attributes and properties typed as the element's own, and one
// `on<event>` prop per `cv-*` event typed with its detail. React 19 sets a prop as a property when the
// element has it, else as an attribute, and adds `on<name>` props on custom elements as listeners of
// `<name>` as written, hence `oncv-result` (for React 18 and older, use the wrappers in ./react.ts).
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { CvElementsApi } from './elements.generated.js';

/** `{'cv-result': E}` → `{'oncv-result'?: (event: E) => void}` */
export type CvEventListenerProps<Events> = { [K in keyof Events & string as `on${K}`]?: (event: Events[K]) => void };

/** The props of a cv-* tag in JSX. */
export type CvJsxProps<Tag extends keyof CvElementsApi> = DetailedHTMLProps<HTMLAttributes<CvElementsApi[Tag]['element']>, CvElementsApi[Tag]['element']> &
  CvElementsApi[Tag]['attributes'] &
  CvElementsApi[Tag]['properties'] &
  CvEventListenerProps<CvElementsApi[Tag]['events']>;

type CvIntrinsicElements = { [Tag in keyof CvElementsApi]: CvJsxProps<Tag> };

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements extends CvIntrinsicElements {}
  }
}
