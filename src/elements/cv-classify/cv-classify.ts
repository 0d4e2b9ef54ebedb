import { CvClassify } from './cv-classify.component.js';

export { CvClassify };
/** So that an app importing only this tag can still host the files elsewhere. */
export { setAssetBase } from '../../asset-base.js';
if (!customElements.get('cv-classify')) customElements.define('cv-classify', CvClassify);

declare global {
  interface HTMLElementTagNameMap {
    'cv-classify': CvClassify;
  }
}
