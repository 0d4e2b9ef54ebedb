import { CvGenerate } from './cv-generate.component.js';

export { CvGenerate };
if (!customElements.get('cv-generate')) customElements.define('cv-generate', CvGenerate);

declare global {
  interface HTMLElementTagNameMap {
    'cv-generate': CvGenerate;
  }
}
