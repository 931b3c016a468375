import { Injectable, inject, signal } from '@angular/core';
import { AuthError } from '@jotauth/client';
import { AuthService, injectPasskeys } from '@jotauth/angular';

import { describeFactorError, needsStepUp } from './factor-error';

/** What the re-authentication prompt asks for now. */
export type StepUpStage = 'password' | 'second-factor';

/**
 * Runs a factor change that may need a fresh authentication: on a 403
 * `insufficient_user_authentication` it shows the prompt (password, then a second factor when
 * the user has one), and once the user passed it runs the change again, once.
 */
@Injectable({ providedIn: 'root' })
export class StepUp {
  private readonly auth = inject(AuthService);
  private readonly passkeys = injectPasskeys();
  private waiting: { resolve: () => void; reject: (error: unknown) => void } | null = null;

  /** The prompt's stage, or null when none is open. */
  readonly stage = signal<StepUpStage | null>(null);
  /** The methods of the second step (when the stage is 'second-factor'). */
  readonly methods = signal<readonly string[]>([]);
  readonly error = signal<string | null>(null);
  readonly busy = signal(false);

  /** Run `change`; when the server wants a fresh sign-in, ask for it and run `change` again. */
  async run<T>(change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error: unknown) {
      if (!needsStepUp(error)) throw error;
    }
    await new Promise<void>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.error.set(null);
      this.stage.set('password');
    });
    return change();
  }

  async password(password: string): Promise<void> {
    await this.step(async () => {
      await this.auth.reauthenticate({ password });
    });
  }

  async code(method: 'totp' | 'recovery_code', code: string): Promise<void> {
    await this.step(async () => {
      await this.auth.completeLogin({ method, code });
    });
  }

  async passkey(): Promise<void> {
    await this.step(async () => {
      await this.passkeys.completeLogin();
    });
  }

  cancel(): void {
    this.stage.set(null);
    this.waiting?.reject(new AuthError('insufficient_user_authentication', 403, 'cancelled'));
    this.waiting = null;
  }

  private async step(attempt: () => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await attempt();
      this.stage.set(null);
      this.waiting?.resolve();
      this.waiting = null;
    } catch (error: unknown) {
      if (error instanceof AuthError && error.code === 'mfa_required') {
        this.methods.set(error.mfa?.methods ?? []);
        this.stage.set('second-factor');
      } else {
        this.error.set(describeFactorError(error));
      }
    } finally {
      this.busy.set(false);
    }
  }
}
