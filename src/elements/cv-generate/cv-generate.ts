import { CvGenerate } from './cv-generate.component.js';

export { CvGenerate };
/** So that an app importing only this tag can still host the files elsewhere. */
export { setAssetBase } from '../../asset-base.js';
if (!customElements.get('cv-generate')) customElements.define('cv-generate', CvGenerate);

declare global {
  interface HTMLElementTagNameMap {
    'cv-generate': CvGenerate;
  }
}
