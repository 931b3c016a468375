import { Component, inject, input, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { AuthService } from '@jotauth/angular';

import { describeAccountError } from './account-error';
import { StrengthMeterComponent } from './strength-meter.component';

/** The page a reset mail links to (`/account/reset?token=…`): choose a new password. */
@Component({
  selector: 'demo-reset-page',
  imports: [FormsModule, RouterLink, StrengthMeterComponent],
  template: `
    <section class="card narrow">
      <h1>Choose a new password</h1>
      @if (done()) {
        <p class="note" data-test="reset-done">
          Your new password is set and every device has been signed out.
          <a routerLink="/signin">Sign in</a> with it.
        </p>
      } @else {
        <form (ngSubmit)="submit()" #form="ngForm">
          <label>
            New password
            <input name="password" type="password" autocomplete="new-password" required minlength="8" [(ngModel)]="password" />
          </label>
          <demo-strength-meter [password]="password" />
          @if (error(); as message) {
            <p class="error" role="alert" data-test="account-error">{{ message }}</p>
          }
          <button type="submit" [disabled]="busy() || form.invalid">Set the new password</button>
        </form>
      }
    </section>
  `,
})
export class ResetPage {
  /** The mailed link's token (bound from the query string by the router). */
  readonly token = input<string>('');

  protected password = '';
  protected readonly busy = signal(false);
  protected readonly done = signal(false);
  protected readonly error = signal<string | null>(null);
  private readonly auth = inject(AuthService);

  protected async submit(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.accounts.resetPassword(this.token(), this.password);
      this.password = '';
      this.done.set(true);
    } catch (error: unknown) {
      this.error.set(describeAccountError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
