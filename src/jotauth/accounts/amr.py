"""RFC 8176 authentication method references: what a sign-in proved, as token claims say it."""

from __future__ import annotations

from collections.abc import Sequence

# RFC 8176 §2: "mfa" whenever more than one factor was proved.
MFA = "mfa"


def combined_amr(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    """The amr of a sign-in that proved ``first`` and then ``second`` (in order, once each),
    with ``mfa`` when both proved something."""
    values = tuple(dict.fromkeys((*first, *second)))
    if first and second and MFA not in values:
        values += (MFA,)
    return values
