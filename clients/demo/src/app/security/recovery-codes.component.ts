import { Component, input, output } from '@angular/core';

/** Recovery codes, shown once: the user keeps them, then says so. */
@Component({
  selector: 'demo-recovery-codes',
  template: `
    <div class="recovery" data-test="recovery-codes">
      <p class="note">
        Keep these recovery codes somewhere safe. Each signs you in once when your authenticator is not at hand.
        They are shown only now.
      </p>
      <ol class="codes">
        @for (code of codes(); track code) {
          <li><code data-test="recovery-code">{{ code }}</code></li>
        }
      </ol>
      <button type="button" data-test="recovery-codes-done" (click)="done.emit()">I have saved them</button>
    </div>
  `,
})
export class RecoveryCodesComponent {
  readonly codes = input.required<readonly string[]>();
  readonly done = output();
}
