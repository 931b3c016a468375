import { signal } from '@angular/core';

import { describeFactorError } from './factor-error';

/** One user action at a time on a page: busy while it runs, its failure as a sentence. */
export class Attempt {
  readonly busy = signal(false);
  readonly error = signal<string | null>(null);

  async run(step: () => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await step();
    } catch (error: unknown) {
      this.error.set(describeFactorError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
