import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Component, inject, signal } from '@angular/core';
import { AuthService } from '@jotauth/angular';

import { describeStats } from './stats';

/** Admin-only statistics; the route is guarded by roleGuard('admin') and the API by the role. */
@Component({
  selector: 'demo-admin-page',
  template: `
    <section class="card" data-test="admin">
      <h1>Admin</h1>
      <p class="muted">Only users with the <code>admin</code> role see this page.</p>
      @if (error(); as message) {
        <p class="error" role="alert">{{ message }}</p>
      }
      @if (stats(); as entries) {
        <dl class="stats" data-test="admin-stats">
          @for (entry of entries; track entry[0]) {
            <dt>{{ entry[0] }}</dt>
            <dd>{{ entry[1] }}</dd>
          }
        </dl>
      }
    </section>
  `,
})
export class AdminPage {
  protected readonly stats = signal<readonly (readonly [string, string])[] | null>(null);
  protected readonly error = signal<string | null>(null);

  constructor() {
    const auth = inject(AuthService);
    inject(HttpClient)
      .get<Record<string, unknown>>('/api/admin/stats')
      .subscribe({
        next: (body) => this.stats.set(describeStats(body, auth.user() ?? null)),
        error: (error: HttpErrorResponse) => {
          this.error.set(`The statistics could not be loaded (HTTP ${error.status}).`);
        },
      });
  }
}
