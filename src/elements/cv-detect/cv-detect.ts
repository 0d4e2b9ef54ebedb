import { CvDetect } from './cv-detect.component.js';

export { CvDetect };
/** So that an app importing only this tag can still host the files elsewhere. */
export { setAssetBase } from '../../asset-base.js';
if (!customElements.get('cv-detect')) customElements.define('cv-detect', CvDetect);

declare global {
  interface HTMLElementTagNameMap {
    'cv-detect': CvDetect;
  }
}
