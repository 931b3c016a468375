"""Who we are to an authenticator: the WebAuthn relying party id, its name and the exact
origins a ceremony may come from, decided once from the settings and checked strictly.

The relying party id scopes every credential (an authenticator signs its SHA-256): it must
be the host of the public URL or a parent domain of it (WebAuthn L2 §5.1.3's "registrable
domain suffix" rule, enforced by browsers too). Origins are compared exactly, never by
prefix: ``https://example.org.evil.test`` is not ``https://example.org``.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from jotauth.settings import Settings, StartupRefused

_log = logging.getLogger("jotauth.passkeys")


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """The relying party of every ceremony: ``id`` (a host name), ``name``, ``origins``."""

    id: str
    name: str
    origins: tuple[str, ...]
    challenge_ttl: int  # seconds a challenge (and the browser prompt, as its timeout) lasts

    @property
    def timeout_ms(self) -> int:
        """The options' ``timeout``: the browser gives up when the challenge would expire."""
        return self.challenge_ttl * 1000


def relying_party_for(settings: Settings) -> RelyingParty | None:
    """The relying party the settings describe; None when passkeys cannot work (the default
    id would be an IP address). Raises ``StartupRefused`` for settings that are wrong."""
    base = settings.public_url or settings.issuer
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    explicit = settings.webauthn_rp_id
    rp_id = (explicit or host).lower().rstrip(".")
    if _is_ip_address(rp_id):
        if explicit:
            raise StartupRefused(f"webauthn_rp_id {explicit!r} is an IP address: use a host name")
        _log.warning(
            "passkeys are off: the public URL's host %s is an IP address, which WebAuthn does "
            "not allow; open the server as http://localhost:PORT (set JOTAUTH_PUBLIC_URL or "
            "JOTAUTH_ISSUER) or set JOTAUTH_WEBAUTHN_RP_ID",
            host,
        )
        return None
    if not rp_id or not _within(host, rp_id):
        raise StartupRefused(
            f"webauthn_rp_id {rp_id!r} must be the public URL's host {host!r} or a parent "
            "domain of it"
        )
    public_origin = f"{parts.scheme}://{parts.netloc}".lower()
    origins = settings.webauthn_origins or (
        public_origin,
        *(origin for origin in settings.allowed_origins if _origin_within(origin, rp_id)),
    )
    for origin in origins:
        _check_origin(origin, rp_id)
    return RelyingParty(
        id=rp_id,
        name=settings.webauthn_rp_name or settings.brand_name,
        origins=tuple(dict.fromkeys(origins)),
        challenge_ttl=settings.webauthn_challenge_ttl,
    )


def _check_origin(origin: str, rp_id: str) -> None:
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    secure = parts.scheme == "https" or (parts.scheme == "http" and _is_localhost(host))
    if not secure or parts.path or parts.query or parts.fragment or origin != origin.lower():
        raise StartupRefused(
            f"webauthn origin {origin!r} must be a lower-case https:// origin (http:// only "
            "for localhost) without a path"
        )
    if not _within(host, rp_id):
        raise StartupRefused(f"webauthn origin {origin!r} is outside the relying party {rp_id!r}")


def _origin_within(origin: str, rp_id: str) -> bool:
    return _within((urlsplit(origin).hostname or "").lower(), rp_id)


def _within(host: str, rp_id: str) -> bool:
    return host == rp_id or host.endswith("." + rp_id)


def _is_localhost(host: str) -> bool:
    # Browsers treat localhost and its subdomains as secure contexts: WebAuthn works there.
    return host == "localhost" or host.endswith(".localhost")


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
