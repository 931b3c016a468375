import { Component, effect, input, signal } from '@angular/core';

import { contextWords, estimateStrength, type Strength } from './password-strength';

/** A meter under a new-password field: zxcvbn-ts's score, updated while typing. */
@Component({
  selector: 'demo-strength-meter',
  template: `
    @if (strength(); as s) {
      <p class="strength" data-test="strength" [attr.data-score]="s.score" aria-live="polite">
        <meter min="0" max="4" low="2" high="3" optimum="4" [value]="s.score"></meter>
        <span data-test="strength-label">{{ s.label }}</span>
      </p>
    }
  `,
})
export class StrengthMeterComponent {
  readonly password = input.required<string>();
  readonly email = input<string>('');
  readonly name = input<string>('');

  protected readonly strength = signal<Strength | null>(null);
  private latest = 0;

  constructor() {
    effect(() => {
      const password = this.password();
      const words = contextWords(this.email(), this.name());
      const run = ++this.latest;
      if (!password) {
        this.strength.set(null);
        return;
      }
      void estimateStrength(password, words).then((result) => {
        if (run === this.latest) this.strength.set(result); // an older estimate arrived late
      });
    });
  }
}
