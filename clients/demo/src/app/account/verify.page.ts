import { Component, inject, input, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { AuthService } from '@jotauth/angular';

import { describeAccountError } from './account-error';

/**
 * The page a verification mail links to (`/account/verify?token=…`). Opening it verifies
 * nothing (mail scanners open links); the button does.
 */
@Component({
  selector: 'demo-verify-page',
  imports: [RouterLink],
  template: `
    <section class="card narrow">
      <h1>Confirm your address</h1>
      @if (done()) {
        <p class="note" data-test="verify-done">Your address is confirmed.</p>
        <p><a routerLink="/lessons">Continue</a></p>
      } @else {
        @if (error(); as message) {
          <p class="error" role="alert" data-test="account-error">{{ message }}</p>
        }
        <button type="button" data-test="confirm" [disabled]="busy()" (click)="confirm()">Confirm my address</button>
      }
    </section>
  `,
})
export class VerifyPage {
  /** The mailed link's token (bound from the query string by the router). */
  readonly token = input<string>('');

  protected readonly busy = signal(false);
  protected readonly done = signal(false);
  protected readonly error = signal<string | null>(null);
  private readonly auth = inject(AuthService);

  protected async confirm(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.accounts.verifyEmail(this.token());
      this.done.set(true);
    } catch (error: unknown) {
      this.error.set(describeAccountError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
