import { Component, computed, input } from '@angular/core';
import type { TotpSetup } from '@jotauth/client/mfa';
import { svgDataUrl } from '@jotauth/client/mfa';

/**
 * The QR code and secret of a TOTP enrolment. The server's SVG is shown as an `<img>` from a
 * `data:` URL: an image runs no script and reaches no page, so nothing of it is trusted as
 * markup (no innerHTML, no bypassSecurityTrust…).
 */
@Component({
  selector: 'demo-totp-setup',
  template: `
    <div class="totp-setup">
      <img data-test="totp-qr" [src]="qr()" width="180" height="180" alt="QR code of your authenticator app's secret" />
      <div>
        <p class="note">Scan it with your authenticator app, or type the secret in:</p>
        <p><code data-test="totp-secret">{{ setup().secret }}</code></p>
      </div>
    </div>
  `,
})
export class TotpSetupComponent {
  readonly setup = input.required<TotpSetup>();
  protected readonly qr = computed(() => svgDataUrl(this.setup().qr_svg));
}
