import { Component, inject } from '@angular/core';
import { FormsModule } from '@angular/forms';

import { StepUp } from './step-up';

/** The re-authentication prompt of {@link StepUp}: password, then a code or a passkey. */
@Component({
  selector: 'demo-step-up',
  imports: [FormsModule],
  template: `
    @if (stepUp.stage(); as stage) {
      <section class="card step-up" data-test="step-up" role="dialog" aria-labelledby="step-up-title">
        <h2 id="step-up-title">Confirm it is you</h2>
        @if (stage === 'password') {
          <p class="note">This change needs a recent sign-in. Enter your password again.</p>
          <form (ngSubmit)="stepUp.password(password); password = ''">
            <label>
              Password
              <input name="reauth-password" type="password" autocomplete="current-password" [(ngModel)]="password" />
            </label>
            <button type="submit" data-test="step-up-password" [disabled]="stepUp.busy()">Confirm</button>
          </form>
        } @else {
          <p class="note">And your second factor.</p>
          @if (hasCodes()) {
            <form (ngSubmit)="stepUp.code(method(), code); code = ''">
              <label>
                {{ method() === 'totp' ? 'Code from your authenticator app' : 'A recovery code' }}
                <input name="reauth-code" autocomplete="one-time-code" [(ngModel)]="code" />
              </label>
              <button type="submit" data-test="step-up-code" [disabled]="stepUp.busy()">Confirm</button>
            </form>
          }
          @if (stepUp.methods().includes('passkey')) {
            <button type="button" class="secondary" data-test="step-up-passkey" (click)="stepUp.passkey()">Use a passkey</button>
          }
        }
        @if (stepUp.error(); as message) {
          <p class="error" role="alert" data-test="step-up-error">{{ message }}</p>
        }
        <button type="button" class="link" (click)="stepUp.cancel()">Cancel</button>
      </section>
    }
  `,
})
export class StepUpComponent {
  protected readonly stepUp = inject(StepUp);
  protected password = '';
  protected code = '';

  protected hasCodes(): boolean {
    const methods = this.stepUp.methods();
    return methods.includes('totp') || methods.includes('recovery_code');
  }

  protected method(): 'totp' | 'recovery_code' {
    return this.stepUp.methods().includes('totp') ? 'totp' : 'recovery_code';
  }
}
