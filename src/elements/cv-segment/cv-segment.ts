import { CvSegment } from './cv-segment.component.js';

export { CvSegment };
if (!customElements.get('cv-segment')) customElements.define('cv-segment', CvSegment);

declare global {
  interface HTMLElementTagNameMap {
    'cv-segment': CvSegment;
  }
}
