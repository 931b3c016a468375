// Passkeys on the hosted pages (DESIGN §13), as a progressive enhancement: the pages work
// without this script, and it shows its buttons only where the browser has WebAuthn with the
// JSON helpers (PublicKeyCredential.parseRequestOptionsFromJSON, credential.toJSON()).
// Loaded from /static under the pages' CSP (script-src 'self'; no inline script anywhere).
//
// [data-passkey-login]          passwordless sign-in: a button, and the browser's passkey
//                               autofill on the email field (autocomplete="username webauthn",
//                               mediation "conditional"); options from data-options-url.
// [data-passkey-second-factor]  the second step of a login: options in data-options (the
//                               mfa_required answer's "passkey" member), one button.
// Either way the assertion goes into the section's form as JSON (field "credential") and the
// form is submitted like the password form: same CSRF token, same origin check.
(() => {
  "use strict";

  const supported =
    typeof window.PublicKeyCredential === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.prototype.toJSON === "function";
  if (!supported) {
    return; // the sections stay hidden: password (or code) only
  }

  function showError(section, message) {
    const line = section.querySelector("[role=alert]");
    if (line) {
      line.textContent = message;
      line.hidden = false;
    }
  }

  function explain(error) {
    if (error && error.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out. Try again.";
    }
    return (error && error.message) || "The passkey could not be used. Try again.";
  }

  function submitWith(form, credential) {
    form.elements.namedItem("credential").value = JSON.stringify(credential.toJSON());
    form.submit();
  }

  async function fetchRequestOptions(url) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: "{}",
      credentials: "same-origin",
    });
    if (!response.ok) {
      throw new Error("Signing in with a passkey is not available right now.");
    }
    return PublicKeyCredential.parseRequestOptionsFromJSON(await response.json());
  }

  function passwordless(section) {
    const form = section.querySelector("form");
    const button = section.querySelector("button");
    const url = section.dataset.optionsUrl;
    let pending = null; // the AbortController of the request in flight (autofill or button)

    async function signIn(mediation) {
      if (pending) {
        pending.abort(); // one WebAuthn request at a time: the button replaces the autofill
      }
      const controller = new AbortController();
      pending = controller;
      const publicKey = await fetchRequestOptions(url);
      const request = { publicKey, signal: controller.signal };
      if (mediation) {
        request.mediation = mediation;
      }
      const credential = await navigator.credentials.get(request);
      if (credential) {
        submitWith(form, credential);
      }
    }

    section.hidden = false;
    button.addEventListener("click", () => {
      signIn(null).catch((error) => {
        if (error.name !== "AbortError") {
          showError(section, explain(error));
        }
      });
    });
    if (typeof PublicKeyCredential.isConditionalMediationAvailable === "function") {
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (available) {
          // Passkeys offered in the email field's autofill; nothing to say if dismissed.
          signIn("conditional").catch(() => {});
        }
      });
    }
  }

  function secondFactor(section) {
    const form = section.querySelector("form");
    const button = section.querySelector("button");
    section.hidden = false;
    button.addEventListener("click", async () => {
      try {
        const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(
          JSON.parse(section.dataset.options),
        );
        const credential = await navigator.credentials.get({ publicKey });
        if (credential) {
          submitWith(form, credential);
        }
      } catch (error) {
        showError(section, explain(error));
      }
    });
  }

  document.querySelectorAll("[data-passkey-login]").forEach(passwordless);
  document.querySelectorAll("[data-passkey-second-factor]").forEach(secondFactor);
})();
