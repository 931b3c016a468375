import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Component, computed, inject, signal } from '@angular/core';
import { DatePipe } from '@angular/common';
import { linkProvider } from '@jotauth/client';

interface Identity {
  readonly id: string;
  readonly provider: string;
  readonly email: string | null;
  readonly linked_at: number;
}

/** The account's linked sign-ins (`/me`), "Link NAME" for each provider, and unlinking. */
@Component({
  selector: 'demo-linked-identities',
  imports: [DatePipe],
  template: `
    <h2>Linked sign-ins</h2>
    @if (error(); as message) {
      <p class="error" role="alert" data-test="identities-error">{{ message }}</p>
    }
    <ul data-test="identities">
      @for (identity of identities(); track identity.id) {
        <li data-test="identity">
          {{ identity.provider }} ({{ identity.email || 'no email' }}), linked
          {{ identity.linked_at * 1000 | date: 'MMM d, HH:mm' }}
          <button type="button" class="link" (click)="unlink(identity)">Unlink</button>
        </li>
      } @empty {
        <li>None yet.</li>
      }
    </ul>
    @for (name of unlinked(); track name) {
      <button type="button" [attr.data-test]="'link-' + name" (click)="link(name)">Link {{ name }}</button>
    }
  `,
})
export class LinkedIdentitiesComponent {
  protected readonly identities = signal<readonly Identity[]>([]);
  protected readonly providers = signal<readonly string[]>([]);
  protected readonly error = signal<string | null>(null);
  /** The providers no identity of this account comes from yet (one link per provider). */
  protected readonly unlinked = computed(() => {
    const linked = new Set(this.identities().map((identity) => identity.provider));
    return this.providers().filter((name) => !linked.has(name));
  });

  private readonly http = inject(HttpClient);

  constructor() {
    this.load();
  }

  protected async link(name: string): Promise<void> {
    try {
      await linkProvider(name, { returnTo: window.location.href });
    } catch (error: unknown) {
      this.error.set(error instanceof Error ? error.message : 'Linking failed.');
    }
  }

  protected unlink(identity: Identity): void {
    this.http.delete(`/api/auth/identities/${encodeURIComponent(identity.id)}`).subscribe({
      next: () => this.load(),
      error: (error: HttpErrorResponse) =>
        this.error.set(error.status === 409 ? 'This is your last way to sign in.' : `Unlinking failed (HTTP ${error.status}).`),
    });
  }

  private load(): void {
    this.http.get<{ identities?: Identity[] }>('/api/auth/me').subscribe({
      next: (me) => this.identities.set(me.identities ?? []),
      error: (error: HttpErrorResponse) => this.error.set(`Could not load (HTTP ${error.status}).`),
    });
    this.http.get<{ providers: { name: string }[] }>('/api/auth/providers').subscribe({
      next: (body) => this.providers.set(body.providers.map((p) => p.name)),
      error: () => this.providers.set([]),
    });
  }
}
