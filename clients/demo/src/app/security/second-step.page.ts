import { Component, inject, input, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { AuthService, injectPasskeys } from '@jotauth/angular';
import type { TotpSetup } from '@jotauth/client/mfa';

import { safeReturnUrl } from '../login/return-url';
import { Attempt } from './attempt';
import { RecoveryCodesComponent } from './recovery-codes.component';
import { TotpSetupComponent } from './totp-setup.component';

/**
 * The second step of a sign-in: a code from the authenticator app, a recovery code, or a
 * passkey; or, when the policy demands a factor the user does not have yet, its set-up.
 */
@Component({
  selector: 'demo-second-step-page',
  imports: [FormsModule, RouterLink, RecoveryCodesComponent, TotpSetupComponent],
  template: `
    <section class="card narrow">
      <h1>Confirm it is you</h1>
      @if (recoveryCodes(); as codes) {
        <p class="notice">Your authenticator app is set up.</p>
        <demo-recovery-codes [codes]="codes" (done)="continue()" />
      } @else if (!auth.secondStep()) {
        <p class="note" data-test="no-second-step">There is no sign-in to confirm (it may have expired).</p>
        <a routerLink="/signin">Sign in again</a>
      } @else if (auth.secondStep()?.enrollmentRequired) {
        <p class="note" data-test="enrol-required">This account needs a second factor. Set up an authenticator app.</p>
        @if (setup(); as shown) {
          <demo-totp-setup [setup]="shown" />
        } @else {
          <button type="button" data-test="enrol-start" (click)="startEnrolment()">Set up an authenticator app</button>
        }
      }
      @if (auth.secondStep() && !recoveryCodes()) {
        @if (codeMethod(); as method) {
          <form (ngSubmit)="submit(method)" #form="ngForm">
            <label>
              {{ method === 'totp' ? 'Code from your authenticator app' : 'One of your recovery codes' }}
              <input
                name="code"
                [attr.inputmode]="method === 'totp' ? 'numeric' : null"
                autocomplete="one-time-code"
                required
                [(ngModel)]="code"
              />
            </label>
            <button type="submit" data-test="second-step-submit" [disabled]="attempt.busy() || form.invalid">Confirm</button>
          </form>
          @if (method === 'totp' && offers('recovery_code')) {
            <button type="button" class="link" data-test="use-recovery-code" (click)="useRecovery.set(true)">
              Use a recovery code instead
            </button>
          }
        }
        @if (offers('passkey')) {
          <button type="button" class="secondary" data-test="second-step-passkey" (click)="usePasskey()">Use a passkey</button>
        }
      }
      @if (attempt.error(); as message) {
        <p class="error" role="alert" data-test="second-step-error">{{ message }}</p>
      }
    </section>
  `,
})
export class SecondStepPage {
  /** Where to go afterwards (bound from the query string by the router). */
  readonly returnUrl = input<string>();

  protected code = '';
  protected readonly attempt = new Attempt();
  protected readonly useRecovery = signal(false);
  protected readonly setup = signal<TotpSetup | null>(null);
  protected readonly recoveryCodes = signal<readonly string[] | null>(null);

  protected readonly auth = inject(AuthService);
  private readonly passkeys = injectPasskeys();
  private readonly router = inject(Router);

  protected offers(method: string): boolean {
    return this.auth.secondStep()?.methods.includes(method) ?? false;
  }

  /** The code the form asks for: TOTP first, a recovery code on request or when alone. */
  protected codeMethod(): 'totp' | 'recovery_code' | null {
    const step = this.auth.secondStep();
    if (step?.enrollmentRequired) return this.setup() ? 'totp' : null;
    if (this.offers('totp') && !this.useRecovery()) return 'totp';
    return this.offers('recovery_code') ? 'recovery_code' : null;
  }

  protected async startEnrolment(): Promise<void> {
    await this.attempt.run(async () => {
      this.setup.set(await this.auth.mfa.setupTotp());
    });
  }

  protected async submit(method: 'totp' | 'recovery_code'): Promise<void> {
    await this.attempt.run(async () => {
      const done = await this.auth.completeLogin({ method, code: this.code.trim() });
      this.code = '';
      if (done.recoveryCodes) this.recoveryCodes.set(done.recoveryCodes);
      else await this.continue();
    });
  }

  protected async usePasskey(): Promise<void> {
    await this.attempt.run(async () => {
      await this.passkeys.completeLogin();
      await this.continue();
    });
  }

  protected async continue(): Promise<void> {
    await this.router.navigateByUrl(safeReturnUrl(this.returnUrl()));
  }
}
