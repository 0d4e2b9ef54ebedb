/** Model download progress. `total` is 0 when the server sent no length. */
export interface CvProgressDetail {
  loaded: number;
  total: number;
  /** Catalog name or URL of the model being fetched. */
  model: string;
}
export type CvProgressEvent = CustomEvent<CvProgressDetail>;
declare global {
  interface HTMLElementEventMap {
    'cv-progress': CvProgressEvent;
  }
}
