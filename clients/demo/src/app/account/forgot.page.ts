import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { AuthService } from '@jotauth/angular';

import { describeAccountError } from './account-error';

/** "Forgot your password?": the same answer for every address. */
@Component({
  selector: 'demo-forgot-page',
  imports: [FormsModule, RouterLink],
  template: `
    <section class="card narrow">
      <h1>Forgotten password</h1>
      @if (sent()) {
        <p class="note" data-test="check-mail">
          If an account uses this address, a link to choose a new password is on its way to it.
        </p>
      } @else {
        <form (ngSubmit)="submit()" #form="ngForm">
          <label>Email <input name="email" type="email" autocomplete="email" required [(ngModel)]="email" /></label>
          @if (error(); as message) {
            <p class="error" role="alert" data-test="account-error">{{ message }}</p>
          }
          <button type="submit" [disabled]="busy() || form.invalid">Send me a link</button>
        </form>
      }
      <p class="muted"><a routerLink="/signin">Back to sign in</a></p>
    </section>
  `,
})
export class ForgotPage {
  protected email = '';
  protected readonly busy = signal(false);
  protected readonly sent = signal(false);
  protected readonly error = signal<string | null>(null);
  private readonly auth = inject(AuthService);

  protected async submit(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.accounts.forgotPassword(this.email);
      this.sent.set(true);
    } catch (error: unknown) {
      this.error.set(describeAccountError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
