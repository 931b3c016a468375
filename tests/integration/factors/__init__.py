"""Second factors on a real store: TOTP, recovery codes, MFA challenges."""
