import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { onStringsChange, stringsFor, type CvStrings } from '../i18n/strings.js';

/**
 * The host's strings, for the language of its nearest `lang` attribute (or the document's), read
 * again before each update; the host re-renders when `setStrings()` changes them.
 */
export class StringsController implements ReactiveController {
  private off: (() => void) | null = null;
  private table: CvStrings = stringsFor();

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
  }

  /** The strings to render with now. */
  get t(): CvStrings {
    return this.table;
  }

  hostConnected(): void {
    this.off = onStringsChange(() => this.host.requestUpdate());
  }

  hostDisconnected(): void {
    this.off?.();
    this.off = null;
  }

  hostUpdate(): void {
    const lang = this.host.closest('[lang]')?.getAttribute('lang') ?? document.documentElement.lang ?? '';
    this.table = stringsFor(lang);
  }
}
