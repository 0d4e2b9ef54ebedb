// Svelte 5 typing of the tags (`import type {} from 'cv-elements/svelte'` once, e.g. in app.d.ts):
// attributes and properties typed as the element's own, and `oncv-result` handlers typed with the
// detail (Svelte 5 listens to `<name>` for an `on<name>` attribute, case kept).
import type { HTMLAttributes } from 'svelte/elements';
import type { CvElementsApi } from './elements.generated.js';

/** `{'cv-result': E}` → `{'oncv-result'?: (event: E) => void}` */
type Listeners<Events> = { [K in keyof Events & string as `on${K}`]?: (event: Events[K]) => void };

/** What a cv-* tag takes in a Svelte template. */
export type CvSvelteProps<Tag extends keyof CvElementsApi> = HTMLAttributes<CvElementsApi[Tag]['element']> &
  CvElementsApi[Tag]['attributes'] &
  CvElementsApi[Tag]['properties'] &
  Listeners<CvElementsApi[Tag]['events']>;

type CvSvelteElements = { [Tag in keyof CvElementsApi]: CvSvelteProps<Tag> };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace svelteHTML {
    interface IntrinsicElements extends CvSvelteElements {}
  }
}
