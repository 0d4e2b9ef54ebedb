import { CvSegment } from './cv-segment.component.js';

export { CvSegment };
/** So that an app importing only this tag can still host the files elsewhere. */
export { setAssetBase } from '../../asset-base.js';
if (!customElements.get('cv-segment')) customElements.define('cv-segment', CvSegment);

declare global {
  interface HTMLElementTagNameMap {
    'cv-segment': CvSegment;
  }
}
