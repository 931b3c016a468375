import { DatePipe } from '@angular/common';
import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { injectPasskeys } from '@jotauth/angular';
import { type Passkey, passkeysSupported } from '@jotauth/client/passkeys';

import { Attempt } from './attempt';
import { StepUp } from './step-up';
import { StepUpComponent } from './step-up.component';

/** The signed-in user's passkeys: add one on this device, rename, remove. */
@Component({
  selector: 'demo-passkeys-page',
  imports: [DatePipe, FormsModule, StepUpComponent],
  template: `
    <section class="card">
      <h1>Passkeys</h1>
      <p class="note">Sign in with your device's screen lock or a security key instead of a password.</p>
      <demo-step-up />
      @if (attempt.error(); as message) {
        <p class="error" role="alert" data-test="passkeys-error">{{ message }}</p>
      }
      <ul class="passkeys" data-test="passkeys">
        @for (passkey of passkeys(); track passkey.id) {
          <li data-test="passkey">
            @if (renaming() === passkey.id) {
              <form class="inline" (ngSubmit)="rename(passkey)">
                <input name="passkey-name" maxlength="64" required [(ngModel)]="newName" />
                <button type="submit" data-test="passkey-rename-save">Save</button>
              </form>
            } @else {
              <strong data-test="passkey-name">{{ passkey.name || 'Unnamed passkey' }}</strong>
              @if (passkey.synced) { <span class="badge">synced</span> }
              @if (passkey.created_at) {
                <span class="note">added {{ passkey.created_at * 1000 | date: 'MMM d, HH:mm' }}</span>
              }
              <button type="button" class="link" data-test="passkey-rename" (click)="renaming.set(passkey.id); newName = passkey.name">Rename</button>
              <button type="button" class="link" data-test="passkey-remove" (click)="remove(passkey)">Remove</button>
            }
          </li>
        } @empty {
          <li data-test="no-passkeys">No passkeys yet.</li>
        }
      </ul>
      @if (supported) {
        <form class="inline" (ngSubmit)="register()">
          <input name="name" maxlength="64" placeholder="Name, e.g. Work laptop" [(ngModel)]="name" />
          <button type="submit" data-test="passkey-add" [disabled]="attempt.busy()">Add a passkey</button>
        </form>
      } @else {
        <p class="note">This browser cannot create passkeys.</p>
      }
    </section>
  `,
})
export class PasskeysPage {
  protected name = '';
  protected newName = '';
  protected readonly supported = passkeysSupported();
  protected readonly passkeys = signal<readonly Passkey[]>([]);
  protected readonly renaming = signal<string | null>(null);
  protected readonly attempt = new Attempt();

  private readonly api = injectPasskeys();
  private readonly stepUp = inject(StepUp);

  constructor() {
    void this.attempt.run(() => this.load());
  }

  protected async register(): Promise<void> {
    await this.attempt.run(async () => {
      const name = this.name.trim();
      await this.stepUp.run(() => this.api.register(name || undefined));
      this.name = '';
      await this.load();
    });
  }

  protected async rename(passkey: Passkey): Promise<void> {
    await this.attempt.run(async () => {
      await this.stepUp.run(() => this.api.rename(passkey.id, this.newName.trim()));
      this.renaming.set(null);
      await this.load();
    });
  }

  protected async remove(passkey: Passkey): Promise<void> {
    await this.attempt.run(async () => {
      await this.stepUp.run(() => this.api.remove(passkey.id));
      await this.load();
    });
  }

  private async load(): Promise<void> {
    this.passkeys.set(await this.api.list());
  }
}
