import { Component, CUSTOM_ELEMENTS_SCHEMA, computed, signal } from '@angular/core';

@Component({
  selector: 'app-root',
  // cv-segment is a custom element: Angular renders it and binds its events without knowing it.
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  template: `
    <cv-segment effect="blur" (cv-result)="onResult($event)"></cv-segment>
    <output>{{ label() }}</output>
  `,
})
export class App {
  readonly share = signal<number | null>(null);
  readonly label = computed(() => (this.share() === null ? '' : `${Math.round(this.share()! * 100)} % person`));

  onResult(e: Event) {
    this.share.set((e as CustomEvent<{ foreground: number }>).detail.foreground);
  }
}
