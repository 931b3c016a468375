import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { AuthService } from '@jotauth/angular';

import { describeAccountError } from './account-error';
import { StrengthMeterComponent } from './strength-meter.component';

/** Create an account: the strength shown while typing, the server's policy deciding. */
@Component({
  selector: 'demo-signup-page',
  imports: [FormsModule, RouterLink, StrengthMeterComponent],
  template: `
    <section class="card narrow">
      <h1>Create an account</h1>
      @if (checkMail()) {
        <p class="note" data-test="check-mail">Check your mail: a message with what to do next is on its way.</p>
      } @else {
        <form (ngSubmit)="submit()" #form="ngForm">
          <label>Email <input name="email" type="email" autocomplete="email" required [(ngModel)]="email" /></label>
          <label>Name <input name="name" autocomplete="name" [(ngModel)]="name" /></label>
          <label>
            Password
            <input name="password" type="password" autocomplete="new-password" required minlength="8" [(ngModel)]="password" />
          </label>
          <demo-strength-meter [password]="password" [email]="email" [name]="name" />
          @if (error(); as message) {
            <p class="error" role="alert" data-test="account-error">{{ message }}</p>
          }
          <button type="submit" [disabled]="busy() || form.invalid">Create account</button>
        </form>
      }
      <p class="muted"><a routerLink="/signin">I already have an account</a></p>
    </section>
  `,
})
export class SignupPage {
  protected email = '';
  protected name = '';
  protected password = '';
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly checkMail = signal(false);

  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);

  protected async submit(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      const user = await this.auth.signUp({ email: this.email, password: this.password, name: this.name });
      this.password = '';
      if (user) await this.router.navigateByUrl('/lessons');
      else this.checkMail.set(true);
    } catch (error: unknown) {
      this.error.set(describeAccountError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
