"""Email addresses as account names: one canonical form per address, hostile input refused."""

from __future__ import annotations

import functools
import unicodedata

import idna

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
# Letters proper: digits, punctuation and marks are shared by every script (Common/Inherited),
# and modifier letters (Lm, e.g. the Japanese prolonged sound mark) extend more than one.
_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lo"})
# UTS #39 §5.2 "Highly Restrictive": one script, or Latin with the scripts that Chinese,
# Japanese and Korean text mixes with it. Anything else in one local part (Latin "admin" with
# a Cyrillic "\u0456") is a homoglyph of another address, not a name anyone writes.
_ALLOWED_SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def normalise_email(raw: str) -> str:
    """The canonical form of an address: stripped, NFKC, lower-cased, the domain by IDNA;
    raises :class:`InvalidEmail`.

    NFKC folds compatibility look-alikes (fullwidth letters, ligatures) into one account name,
    so fullwidth "ADMIN" and ASCII "admin" at the same domain are one user (UTS #39 spoofing).
    The domain is mapped by UTS #46 and kept in its Unicode form, so ``example。com`` (U+3002),
    ``xn--bcher-kva.example`` and ``bücher.example`` each name one domain. A local part that
    mixes scripts (Latin with a Cyrillic homoglyph) is refused: it can only be a look-alike.
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
    if _mixes_scripts(local):
        raise InvalidEmail("the part before @ mixes letters of different scripts")
    domain = _canonical_domain(domain)
    email = f"{local}@{domain}"
    if len(email.encode("utf-8")) > MAX_EMAIL_OCTETS:
        raise InvalidEmail("the email address is too long")
    labels = domain.split(".")
    if any(not label or label.startswith("-") or label.endswith("-") for label in labels):
        raise InvalidEmail("the domain of the email address is not valid")
    if any(char in '()<>[]:;,\\"' for char in email):
        raise InvalidEmail("the email address contains characters that need quoting")
    return email


# A pure function of the domain, and the costliest step here (~0.8 ms): the few domains an
# import file or a login storm repeats are mapped once (bounded; errors are not cached).
@functools.lru_cache(maxsize=1024)
def _canonical_domain(domain: str) -> str:
    """The domain as IDNA2008 U-labels after UTS #46 mapping (full stops such as U+3002 become
    ".", A-labels are decoded), so every spelling of one domain is one string."""
    try:
        return idna.decode(idna.encode(domain, uts46=True, std3_rules=True))
    except UnicodeError as error:  # idna.IDNAError and invalid punycode
        raise InvalidEmail("the domain of the email address is not valid") from error


def _mixes_scripts(local: str) -> bool:
    """Whether the letters of ``local`` come from a mix of scripts UTS #39 does not allow."""
    scripts = {_script(char) for char in local if unicodedata.category(char) in _LETTERS}
    if len(scripts) <= 1:
        return False
    return not any(scripts <= allowed for allowed in _ALLOWED_SCRIPT_MIXES)


def _script(char: str) -> str:
    """A letter's script, from its Unicode name ("CYRILLIC SMALL LETTER I" is Cyrillic).

    The standard library has no Script property; after NFKC every letter's name starts with
    its script, except the CJK ideographs ("CJK UNIFIED IDEOGRAPH-4E2D"), which are Han.
    """
    first_word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return "HAN" if first_word == "CJK" else first_word
