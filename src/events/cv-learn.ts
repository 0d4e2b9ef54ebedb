/**
 * `<cv-classify learn>` changed what it knows: an example was captured, a class was cleared, a head
 * was imported or restored, or a training chunk finished (then `loss` and `accuracy` are there).
 */
export interface CvLearnDetail {
  /** The class an example was added to or cleared; null for training progress and whole-head changes. */
  label: string | null;
  /** Captured frames of `label`, or of all classes when `label` is null. */
  examples: number;
  /** Captured frames per class. */
  counts: Record<string, number>;
  /** Mean cross-entropy of the head on its (augmented) examples, when it has been trained. */
  loss?: number;
  /** Fraction of its (augmented) examples the head gets right, when it has been trained. */
  accuracy?: number;
  /** Epochs of the current or last training run. */
  epochs?: number;
  /** True while training goes on after this report. */
  training?: boolean;
}
export type CvLearnEvent = CustomEvent<CvLearnDetail>;
declare global {
  interface HTMLElementEventMap {
    'cv-learn': CvLearnEvent;
  }
}
