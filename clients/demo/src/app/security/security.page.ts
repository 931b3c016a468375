import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { AuthService } from '@jotauth/angular';
import type { MfaStatus, TotpSetup } from '@jotauth/client/mfa';

import { Attempt } from './attempt';
import { RecoveryCodesComponent } from './recovery-codes.component';
import { StepUp } from './step-up';
import { StepUpComponent } from './step-up.component';
import { TotpSetupComponent } from './totp-setup.component';

/**
 * Second factors of the signed-in user: set up an authenticator app (QR code, secret, a first
 * code to confirm), recovery codes (shown once, regenerated on demand), removal. Each change
 * may ask for a fresh sign-in first (the server's 403 `insufficient_user_authentication`).
 */
@Component({
  selector: 'demo-security-page',
  imports: [FormsModule, RouterLink, RecoveryCodesComponent, StepUpComponent, TotpSetupComponent],
  template: `
    <section class="card">
      <h1>Security</h1>
      <demo-step-up />
      @if (attempt.error(); as message) {
        <p class="error" role="alert" data-test="security-error">{{ message }}</p>
      }
      @if (codes(); as shown) {
        <demo-recovery-codes [codes]="shown" (done)="codes.set(null); load()" />
      } @else if (setup(); as shown) {
        <h2>Set up an authenticator app</h2>
        <demo-totp-setup [setup]="shown" />
        <form class="inline" (ngSubmit)="confirm()" #form="ngForm">
          <input name="code" inputmode="numeric" autocomplete="one-time-code" placeholder="123456" required [(ngModel)]="code" />
          <button type="submit" data-test="totp-confirm" [disabled]="attempt.busy() || form.invalid">Confirm</button>
        </form>
      } @else if (status(); as current) {
        <h2>Authenticator app</h2>
        @if (current.methods.includes('totp')) {
          <p data-test="totp-on">On. Signing in asks for a code from the app.</p>
          <p class="note" data-test="recovery-left">Recovery codes left: {{ current.recovery_codes_remaining }}</p>
          <p class="actions">
            <button type="button" data-test="recovery-regenerate" [disabled]="attempt.busy()" (click)="regenerate()">New recovery codes</button>
            <button type="button" class="danger" data-test="totp-remove" [disabled]="attempt.busy()" (click)="remove()">Remove the app</button>
          </p>
        } @else {
          <p data-test="totp-off">Off. Add a code from an app on your phone to every sign-in.</p>
          <button type="button" data-test="totp-setup" [disabled]="attempt.busy()" (click)="start()">Set up an authenticator app</button>
        }
      }
      <h2>Passkeys</h2>
      <p><a routerLink="/passkeys" data-test="passkeys-link">Manage passkeys</a></p>
    </section>
  `,
})
export class SecurityPage {
  protected code = '';
  protected readonly status = signal<MfaStatus | null>(null);
  protected readonly setup = signal<TotpSetup | null>(null);
  protected readonly codes = signal<readonly string[] | null>(null);
  protected readonly attempt = new Attempt();

  private readonly auth = inject(AuthService);
  private readonly stepUp = inject(StepUp);

  constructor() {
    void this.load();
  }

  protected async load(): Promise<void> {
    await this.attempt.run(async () => {
      this.status.set(await this.auth.mfa.status());
    });
  }

  protected async start(): Promise<void> {
    await this.attempt.run(async () => {
      this.setup.set(await this.stepUp.run(() => this.auth.mfa.setupTotp()));
    });
  }

  protected async confirm(): Promise<void> {
    await this.attempt.run(async () => {
      const codes = await this.stepUp.run(() => this.auth.mfa.confirmTotp(this.code.trim()));
      this.code = '';
      this.setup.set(null);
      this.codes.set(codes);
    });
  }

  protected async regenerate(): Promise<void> {
    await this.attempt.run(async () => {
      this.codes.set(await this.stepUp.run(() => this.auth.mfa.regenerateRecoveryCodes()));
    });
  }

  protected async remove(): Promise<void> {
    await this.attempt.run(async () => {
      await this.stepUp.run(() => this.auth.mfa.removeTotp());
      await this.load();
    });
  }
}
