import { HttpClient } from '@angular/common/http';
import { Component, computed, DestroyRef, effect, inject, signal } from '@angular/core';
import { AuthService } from '@jotauth/angular';

import { formatRemaining } from './format-remaining';
import { sessionsFrom } from './sessions/session-row';

/**
 * The session's remaining time (from the auth server's session list: idle or absolute
 * expiry, whichever comes first) and, when the client knows it (body delivery), the access
 * token's. The client renews the token on its own; the session ends unless it is used.
 */
@Component({
  selector: 'demo-session-timer',
  template: `
    @if (sessionLeft(); as left) {
      <span class="timer" data-test="session-remaining" title="Time until this session ends unless used">
        session {{ left }}
      </span>
    }
    @if (tokenLeft(); as left) {
      <span class="timer" data-test="token-remaining" title="Access token lifetime left; renewed silently">
        token {{ left }}
      </span>
    }
  `,
})
export class SessionTimerComponent {
  private readonly auth = inject(AuthService);
  private readonly http = inject(HttpClient);
  private readonly now = signal(Date.now());
  private readonly sessionEndsAt = signal<Date | null>(null);

  protected readonly sessionLeft = computed(() => this.left(this.sessionEndsAt()));
  protected readonly tokenLeft = computed(() => this.left(this.auth.expiresAt()));

  constructor() {
    const ticker = setInterval(() => this.now.set(Date.now()), 1000);
    // Using the session moves its idle expiry; look again now and then.
    const reload = setInterval(() => this.loadSessionEnd(), 60_000);
    inject(DestroyRef).onDestroy(() => {
      clearInterval(ticker);
      clearInterval(reload);
    });
    effect(() => {
      if (this.auth.user()) this.loadSessionEnd();
      else this.sessionEndsAt.set(null);
    });
  }

  private left(at: Date | null): string | null {
    return at === null ? null : formatRemaining((at.getTime() - this.now()) / 1000);
  }

  private loadSessionEnd(): void {
    if (!this.auth.user()) return;
    this.http.get<unknown>('/api/auth/sessions').subscribe({
      next: (body) => {
        const current = sessionsFrom(body).find((session) => session.current);
        this.sessionEndsAt.set(current?.expiresAt ?? null);
      },
      // Not worth an error on screen: the timer is a hint, the pages report failures.
      error: () => this.sessionEndsAt.set(null),
    });
  }
}
