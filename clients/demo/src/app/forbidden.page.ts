import { Component } from '@angular/core';
import { RouterLink } from '@angular/router';

/** Where roleGuard sends a signed-in user who lacks the role. */
@Component({
  selector: 'demo-forbidden-page',
  imports: [RouterLink],
  template: `
    <section class="card" data-test="forbidden">
      <h1>Not allowed</h1>
      <p>This page is for administrators only. Your account does not have the <code>admin</code> role.</p>
      <a routerLink="/lessons">Back to the lessons</a>
    </section>
  `,
})
export class ForbiddenPage {}
