import { HttpClient } from '@angular/common/http';
import { Component, DestroyRef, inject, input, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { AuthService, injectPasskeys } from '@jotauth/angular';
import { AuthError, continueWith } from '@jotauth/client';
import { passkeyAutofillSupported, passkeysSupported } from '@jotauth/client/passkeys';

import { describeFactorError } from '../security/factor-error';

import { Notice } from '../notice';
import { describeLoginError, describeThrottle, retryAfterOf } from './login-error';
import { safeReturnUrl } from './return-url';

/** Email and password form; shows why a login failed (wrong password, throttled). */
@Component({
  selector: 'demo-login-page',
  imports: [FormsModule, RouterLink],
  template: `
    <section class="card narrow">
      <h1>Sign in</h1>
      @if (notice.message(); as message) {
        <p class="notice" role="status" data-test="notice">{{ message }}</p>
      }
      <form (ngSubmit)="submit()" #form="ngForm">
        <label>
          Email
          <!-- "webauthn": the browser offers this site's passkeys in the field's autofill. -->
          <input name="email" type="email" autocomplete="username webauthn" required [(ngModel)]="email" />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required [(ngModel)]="password" />
        </label>
        @if (error(); as message) {
          <p class="error" role="alert" data-test="login-error">{{ message }}</p>
        }
        <button type="submit" data-test="sign-in" [disabled]="busy() || form.invalid || waitSeconds() > 0">
          Sign in
        </button>
      </form>
      @if (passkeys && passkeysOn()) {
        <button type="button" class="secondary" data-test="passkey-sign-in" [disabled]="busy()" (click)="signInWithPasskey()">
          Sign in with a passkey
        </button>
      }
      @for (name of providers(); track name) {
        <button type="button" class="secondary" [attr.data-test]="'continue-with-' + name" (click)="continueWith(name)">
          Continue with {{ name }}
        </button>
      }
      <p class="muted links">
        <a routerLink="/account/forgot" data-test="forgot-link">Forgot your password?</a>
        <a routerLink="/account/signup" data-test="signup-link">Create an account</a>
      </p>
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
  /** Seconds until the server takes another attempt (429 Retry-After), counted down. */
  protected readonly waitSeconds = signal(0);
  protected readonly notice = inject(Notice);

  /** The identity providers of the auth server ("Continue with NAME"). */
  protected readonly providers = signal<readonly string[]>([]);

  /** Passwordless sign-in, where the browser has WebAuthn. */
  protected readonly passkeys = passkeysSupported() ? injectPasskeys() : null;
  /** False once the auth server said it has passkeys off (404: no relying party, e.g. an IP host). */
  protected readonly passkeysOn = signal(true);

  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  private countdown: ReturnType<typeof setInterval> | undefined;
  private left = false;

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      clearInterval(this.countdown);
      this.left = true;
      // The autofill's passkey request would otherwise outlive the page.
      this.passkeys?.cancel();
    });
    void this.offerPasskeysInAutofill();
    inject(HttpClient)
      .get<{ providers: { name: string }[] }>('/api/auth/providers')
      .subscribe({
        next: (body) => this.providers.set(body.providers.map((p) => p.name)),
        error: () => this.providers.set([]),
      });
  }

  /** Sign in with another provider: the auth server comes back to this app afterwards. */
  protected continueWith(name: string): void {
    const back = new URL(safeReturnUrl(this.returnUrl()), window.location.origin).href;
    continueWith(name, { returnTo: back });
  }

  /** The button: the browser's passkey dialog now. */
  protected async signInWithPasskey(): Promise<void> {
    if (!this.passkeys) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.passkeys.signIn();
      await this.signedIn();
    } catch (error: unknown) {
      this.error.set(describeFactorError(error));
      void this.offerPasskeysInAutofill();
    } finally {
      this.busy.set(false);
    }
  }

  /** Conditional UI: the passkeys of this site among the email field's suggestions. */
  private async offerPasskeysInAutofill(): Promise<void> {
    if (!this.passkeys || this.left || !(await passkeyAutofillSupported())) return;
    try {
      await this.passkeys.signIn({ autofill: true });
      await this.signedIn();
    } catch (error: unknown) {
      // Cancelled (the button or the password form took over, the page was left), or the
      // passkey was refused: the form stays, and the button shows errors.
      if (error instanceof AuthError && error.status === 404) this.passkeysOn.set(false);
    }
  }

  private async signedIn(): Promise<void> {
    this.password = '';
    this.notice.clear();
    await this.router.navigateByUrl(safeReturnUrl(this.returnUrl()));
  }

  protected async submit(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.login({ email: this.email, password: this.password });
      await this.signedIn();
    } catch (error: unknown) {
      if (error instanceof AuthError && error.code === 'mfa_required') {
        this.password = '';
        this.passkeys?.cancel();
        await this.router.navigate(['/signin/second-step'], { queryParams: { returnUrl: this.returnUrl() } });
        return;
      }
      const wait = retryAfterOf(error);
      if (wait > 0) {
        this.waitFor(wait);
      } else {
        this.error.set(describeLoginError(error));
      }
    } finally {
      this.busy.set(false);
    }
  }

  /** Keeps the button disabled and the message current until the throttle lets go. */
  private waitFor(seconds: number): void {
    clearInterval(this.countdown);
    const until = Date.now() + seconds * 1000;
    const tick = (): void => {
      const left = Math.ceil((until - Date.now()) / 1000);
      this.waitSeconds.set(Math.max(left, 0));
      this.error.set(left > 0 ? describeThrottle(left) : null);
      if (left <= 0) {
        clearInterval(this.countdown);
      }
    };
    tick();
    this.countdown = setInterval(tick, 1000);
  }
}
