import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Component, inject, signal } from '@angular/core';
import { DatePipe } from '@angular/common';
import { AuthService } from '@jotauth/angular';

import { Notice } from '../notice';
import { LinkedIdentitiesComponent } from './linked-identities.component';
import { type SessionRow, sessionsFrom } from './session-row';

/** The signed-in user's sessions: revoke one, or log out everywhere. */
@Component({
  selector: 'demo-sessions-page',
  imports: [DatePipe, LinkedIdentitiesComponent],
  template: `
    <section class="card">
      <h1>Active sessions</h1>
      @if (error(); as message) {
        <p class="error" role="alert">{{ message }}</p>
      }
      <table class="sessions" data-test="sessions">
        <thead>
          <tr><th>Signed in</th><th>Last used</th><th>Ends</th><th>Device</th><th></th></tr>
        </thead>
        <tbody>
          @for (session of sessions(); track session.id) {
            <tr data-test="session" [class.current]="session.current">
              <td data-label="Signed in">{{ session.createdAt | date: 'MMM d, HH:mm' }}</td>
              <td data-label="Last used">{{ session.lastUsedAt | date: 'MMM d, HH:mm' }}</td>
              <td data-label="Ends">{{ session.expiresAt | date: 'MMM d, HH:mm' }}</td>
              <td data-label="Device" class="agent" data-test="device" [title]="session.userAgent ?? ''">{{ session.device || '—' }}</td>
              <td class="actions">
                @if (session.current) {
                  <span class="badge">this browser</span>
                } @else {
                  <button type="button" class="link" (click)="revoke(session)">Revoke</button>
                }
              </td>
            </tr>
          }
        </tbody>
      </table>
      <button type="button" class="danger" data-test="logout-all" (click)="logoutEverywhere()">
        Log out everywhere
      </button>
      <demo-linked-identities />
    </section>
  `,
})
export class SessionsPage {
  protected readonly sessions = signal<readonly SessionRow[]>([]);
  protected readonly error = signal<string | null>(null);

  private readonly http = inject(HttpClient);
  private readonly auth = inject(AuthService);
  private readonly notice = inject(Notice);

  constructor() {
    this.load();
  }

  protected revoke(session: SessionRow): void {
    this.http.delete(`/api/auth/sessions/${encodeURIComponent(session.id)}`).subscribe({
      next: () => this.load(),
      error: (error: HttpErrorResponse) => this.error.set(`Revoking failed (HTTP ${error.status}).`),
    });
  }

  protected async logoutEverywhere(): Promise<void> {
    // Set before the sign-out: the shell moves to the sign-in page as soon as the user is gone.
    this.notice.show('You were signed out on every device, this one included.');
    try {
      await this.auth.logoutEverywhere();
    } catch {
      this.notice.clear();
      this.error.set('Logging out everywhere failed. Please try again.');
    }
  }

  private load(): void {
    this.http.get<unknown>('/api/auth/sessions').subscribe({
      next: (body) => this.sessions.set(sessionsFrom(body)),
      error: (error: HttpErrorResponse) =>
        this.error.set(`The sessions could not be loaded (HTTP ${error.status}).`),
    });
  }
}
