import { HttpClient } from '@angular/common/http';
import { Component, DestroyRef, inject, input, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { AuthService } from '@jotauth/angular';
import { continueWith } from '@jotauth/client';

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
          <input name="email" type="email" autocomplete="username" required [(ngModel)]="email" />
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

  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  private countdown: ReturnType<typeof setInterval> | undefined;

  constructor() {
    inject(DestroyRef).onDestroy(() => clearInterval(this.countdown));
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

  protected async submit(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.login({ email: this.email, password: this.password });
      this.password = '';
      this.notice.clear();
      await this.router.navigateByUrl(safeReturnUrl(this.returnUrl()));
    } catch (error: unknown) {
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
