import { Component, effect, inject, signal } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { AuthService } from '@jotauth/angular';

import { Notice } from './notice';
import { SessionTimerComponent } from './session-timer.component';

/** The shell: navigation, who is signed in, the session's remaining time, sign out. */
@Component({
  selector: 'demo-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, SessionTimerComponent],
  template: `
    <header class="bar">
      <a class="brand" routerLink="/">jotauth <span>demo</span></a>
      @if (auth.user(); as user) {
        <nav>
          <a routerLink="/lessons" routerLinkActive="active">Lessons</a>
          @if (auth.hasRole('admin')) {
            <a routerLink="/admin" routerLinkActive="active">Admin</a>
          }
          <a routerLink="/sessions" routerLinkActive="active">Sessions</a>
          <a routerLink="/security" routerLinkActive="active">Security</a>
        </nav>
        <div class="who">
          <demo-session-timer />
          <span class="email" data-test="user-email" [title]="user.email">{{ user.email }}</span>
          <button type="button" class="link" data-test="logout" (click)="logout()">Sign out</button>
        </div>
      }
    </header>
    @if (auth.user(); as user) {
      @if (user.email_verified === false) {
        <p class="note unverified" data-test="unverified">
          Your address {{ user.email }} is not confirmed yet.
          <button type="button" class="link" data-test="resend-verification" (click)="resend()">Send the mail again</button>
          @if (resent()) { <span data-test="resent">Sent.</span> }
        </p>
      }
    }
    <main>
      <router-outlet />
    </main>
    <footer>
      Token delivery: <strong data-test="delivery">{{ auth.delivery }}</strong>
      · <a href="/legacy/">AngularJS page</a>
      · <a href="/dev/mailbox" data-test="dev-mailbox">Dev mailbox</a>
    </footer>
  `,
})
export class AppComponent {
  protected readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  private readonly notice = inject(Notice);

  constructor() {
    // A sign-out elsewhere (another tab, "log out everywhere", a failed refresh) must not
    // leave a protected page on screen: go to the login page, remembering where we were.
    let wasLoggedIn = false;
    effect(() => {
      const user = this.auth.user();
      if (user) {
        wasLoggedIn = true;
      } else if (user === null && wasLoggedIn) {
        wasLoggedIn = false;
        const returnUrl = this.router.url.startsWith('/signin') ? undefined : this.router.url;
        void this.router.navigate(['/signin'], { queryParams: { returnUrl } });
      }
    });
  }

  protected readonly resent = signal(false);

  protected async resend(): Promise<void> {
    await this.auth.accounts.sendVerification();
    this.resent.set(true);
  }

  protected async logout(): Promise<void> {
    this.notice.show('You signed out.');
    await this.auth.logout();
  }
}
