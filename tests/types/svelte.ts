// Svelte 5: the tags in svelteHTML.IntrinsicElements, as svelte-check types a template's attributes.
/// <reference path="../../node_modules/svelte/svelte-html.d.ts" />
import type {} from 'cv-elements/svelte';

type Segment = svelteHTML.IntrinsicElements['cv-segment'];
type Generate = svelteHTML.IntrinsicElements['cv-generate'];

export const segment: Segment = { effect: 'replace', background: '#0a0', mirrored: true, 'oncv-result': (e) => e.detail.foreground.toFixed(2) };
export const generate: Generate = { variants: 4, seed: 7, 'oncv-result': (e) => e.detail.images, 'oncv-error': (e) => e.detail.code };
// @ts-expect-error effect is one of mask, blur, replace, none
export const badEffect: Segment = { effect: 'sparkle' };
// @ts-expect-error a generate result has no foreground
export const badDetail: Generate = { 'oncv-result': (e) => e.detail.foreground };
