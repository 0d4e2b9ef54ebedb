import { CvClassify } from './cv-classify.component.js';

export { CvClassify };
if (!customElements.get('cv-classify')) customElements.define('cv-classify', CvClassify);

declare global {
  interface HTMLElementTagNameMap {
    'cv-classify': CvClassify;
  }
}
