import { Component, computed, DestroyRef, inject, signal } from '@angular/core';
import { AuthService } from '@jotauth/angular';

/** Formats a number of seconds as m:ss (or h:mm:ss). */
export function formatRemaining(seconds: number): string {
  const clamped = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(clamped / 3600);
  const minutes = Math.floor((clamped % 3600) / 60);
  const secs = String(clamped % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

/** Shows how long the current access token has left; the client renews it before zero. */
@Component({
  selector: 'demo-session-timer',
  template: `
    @if (remaining() !== null) {
      <span class="timer" data-test="session-remaining" title="Access token lifetime left; renewed silently">
        token {{ remaining() }}
      </span>
    }
  `,
})
export class SessionTimerComponent {
  private readonly auth = inject(AuthService);
  private readonly now = signal(Date.now());

  protected readonly remaining = computed(() => {
    const expiresAt = this.auth.expiresAt();
    return expiresAt === null ? null : formatRemaining((expiresAt.getTime() - this.now()) / 1000);
  });

  constructor() {
    const timer = setInterval(() => this.now.set(Date.now()), 1000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }
}
