"""Email addresses as account names: one canonical form per address, hostile input refused."""

from __future__ import annotations

import unicodedata

from jotauth.users.errors import InvalidEmail

# RFC 5321 §4.5.3.1: a path holds at most 256 octets including "<" and ">", so 254 for the
# address; 64 for the local part.
MAX_EMAIL_OCTETS = 254
MAX_LOCAL_PART_OCTETS = 64
# Raw input longer than this is refused before any Unicode work (normalisation is not free).
_MAX_RAW_CHARS = 1024
# Control, format (bidi overrides, zero-width joiners), surrogate, private-use, unassigned;
# separators (spaces of every kind, line/paragraph separators).
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def normalise_email(raw: str) -> str:
    """The canonical form of an address: stripped, NFKC, lower-cased; raises :class:`InvalidEmail`.

    NFKC folds compatibility look-alikes (fullwidth letters, ligatures) into one account name,
    so fullwidth "ADMIN" and ASCII "admin" at the same domain are one user (UTS #39 spoofing).
    """
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_CHARS:
        raise InvalidEmail()
    email = unicodedata.normalize("NFKC", raw.strip())
    email = unicodedata.normalize("NFKC", email.lower())
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in email):
        raise InvalidEmail("the email address contains control or invisible characters")
    if len(email.encode("utf-8")) > MAX_EMAIL_OCTETS:
        raise InvalidEmail("the email address is too long")
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or "@" in local:
        raise InvalidEmail("the email address must look like name@example.com")
    if len(local.encode("utf-8")) > MAX_LOCAL_PART_OCTETS:
        raise InvalidEmail("the part before @ is too long")
    labels = domain.split(".")
    if any(not label or label.startswith("-") or label.endswith("-") for label in labels):
        raise InvalidEmail("the domain of the email address is not valid")
    if any(char in '()<>[]:;,\\"' for char in email):
        raise InvalidEmail("the email address contains characters that need quoting")
    return email
