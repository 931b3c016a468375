import { Injectable, signal } from '@angular/core';

/** A one-time message for the next page ("You were signed out on every device"). */
@Injectable({ providedIn: 'root' })
export class Notice {
  private readonly text = signal<string | null>(null);
  /** The message to show, until cleared. */
  readonly message = this.text.asReadonly();

  show(message: string): void {
    this.text.set(message);
  }

  clear(): void {
    this.text.set(null);
  }
}
