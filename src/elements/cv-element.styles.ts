import { css } from 'lit';

export const baseStyles = css`
  :host {
    display: inline-block;
    position: relative;
    width: 480px;
    max-width: 100%;
    contain: layout paint;
    font: 14px/1.3 system-ui, sans-serif;
    color: var(--cv-color, #fff);
  }
  :host([hidden]) {
    display: none;
  }
  .stage {
    position: relative;
    width: 100%;
    aspect-ratio: 4 / 3;
    background: var(--cv-background, #111);
    overflow: hidden;
    border-radius: var(--cv-radius, 8px);
  }
  video,
  canvas {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    object-fit: contain;
  }
  .mirrored video,
  .mirrored canvas[part~='view'],
  .mirrored canvas[part~='composite'] {
    transform: scaleX(-1);
  }
  [hidden] {
    display: none !important;
  }
  .error {
    position: absolute;
    left: 8px;
    right: 8px;
    bottom: 8px;
    padding: 6px 10px;
    background: var(--cv-error-background, rgba(160, 20, 20, 0.85));
    border-radius: 6px;
  }
  .progress {
    position: absolute;
    left: 8px;
    right: 8px;
    top: 8px;
    height: 6px;
    border-radius: 3px;
    background: rgba(255, 255, 255, 0.25);
    overflow: hidden;
  }
  .progress-fill {
    height: 100%;
    background: var(--cv-progress-color, #4ea1ff);
    transition: width 0.2s linear;
  }
  .progress-fill.indeterminate {
    opacity: 0.5;
  }
  .hud {
    position: absolute;
    top: 8px;
    right: 8px;
    padding: 2px 6px;
    border-radius: 4px;
    background: rgba(0, 0, 0, 0.55);
    font: 12px/1.3 ui-monospace, monospace;
    font-variant-numeric: tabular-nums;
    pointer-events: none;
  }
  .progress:not([hidden]) ~ .hud {
    top: 20px;
  }
  @media (prefers-reduced-motion: reduce) {
    .progress-fill {
      transition: none;
    }
  }
  button:focus-visible {
    outline: 3px solid var(--cv-focus-color, #4ea1ff);
    outline-offset: 2px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
