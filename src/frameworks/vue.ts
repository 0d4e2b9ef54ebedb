// Vue 3 template typing of the tags (`import type {} from 'cv-elements/vue'` once, e.g. in env.d.ts):
// attributes and properties typed as the element's own, and `@cv-result` handlers typed with the detail.
// Vue must also be told the tags are custom elements at run time (compilerOptions.isCustomElement).
import type { EmitFn, HTMLAttributes, PublicProps } from 'vue';
import type { CvElementsApi } from './elements.generated.js';

/**
 * A tag as Vue's language tools see a component: the element instance, plus `$props` (what a template
 * may set) and `$emit` (what it may listen to). Both exist for typing only, not on the element.
 */
export type CvVueElement<Tag extends keyof CvElementsApi> = new () => CvElementsApi[Tag]['element'] & {
  /** Template typing only: not a property of the element. */
  $props: HTMLAttributes & CvElementsApi[Tag]['attributes'] & CvElementsApi[Tag]['properties'] & PublicProps;
  /** Template typing only: not a property of the element. */
  $emit: EmitFn<{ [K in keyof CvElementsApi[Tag]['events']]: (event: CvElementsApi[Tag]['events'][K]) => void }>;
};

type CvGlobalComponents = { [Tag in keyof CvElementsApi]: CvVueElement<Tag> };

declare module 'vue' {
  interface GlobalComponents extends CvGlobalComponents {}
}
