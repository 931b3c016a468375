import { Component, inject, input, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Router } from '@angular/router';
import { AuthService } from '@jotauth/angular';

import { describeLoginError } from './login-error';
import { safeReturnUrl } from './return-url';

/** Email and password form; shows why a login failed (wrong password, throttled). */
@Component({
  selector: 'demo-login-page',
  imports: [FormsModule],
  template: `
    <section class="card narrow">
      <h1>Sign in</h1>
      <form (ngSubmit)="submit()" #form="ngForm">
        <label>
          Email
          <input name="email" type="email" autocomplete="username" required [(ngModel)]="email" />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required [(ngModel)]="password" />
        </label>
        @if (error(); as message) {
          <p class="error" role="alert" data-test="login-error">{{ message }}</p>
        }
        <button type="submit" [disabled]="busy() || form.invalid">Sign in</button>
      </form>
    </section>
  `,
})
export class LoginPage {
  /** Where to go after signing in (bound from the query string by the router). */
  readonly returnUrl = input<string>();

  protected email = '';
  protected password = '';
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);

  protected async submit(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.login({ email: this.email, password: this.password });
      this.password = '';
      await this.router.navigateByUrl(safeReturnUrl(this.returnUrl()));
    } catch (error: unknown) {
      this.error.set(describeLoginError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
