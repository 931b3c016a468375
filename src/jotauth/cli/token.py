"""``jotauth token decode|verify``: look inside a token offline, or check it for real."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from jotauth.jose import (
    ALGORITHMS,
    InvalidKey,
    InvalidToken,
    JoseError,
    Key,
    KeySet,
    decode_unverified,
)
from jotauth.verify.jwks_client import SyncJWKSClient
from jotauth.verify.verifier import TokenVerifier


def _read_token(token: str) -> str:
    if token == "-":
        return sys.stdin.read().strip()
    return token.strip()


@click.group()
def token() -> None:
    """Inspect and verify access tokens."""


@token.command()
@click.argument("token_text", metavar="TOKEN")
def decode(token_text: str) -> None:
    """Print TOKEN's header and claims WITHOUT verifying it ("-" reads stdin)."""
    try:
        header, claims = decode_unverified(_read_token(token_text), max_bytes=65536)
    except InvalidToken as exc:
        raise click.ClickException(f"{exc.code}: {exc.detail}") from exc
    click.secho("WARNING: not verified — anyone can write these claims.", fg="yellow", err=True)
    click.echo(json.dumps({"header": header, "claims": claims}, indent=2, sort_keys=True))


@token.command()
@click.argument("token_text", metavar="TOKEN")
@click.option("--jwks", "jwks_url", help="URL of the issuer's JWKS.")
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM public key, or a JWK/JWKS JSON file.",
)
@click.option("--iss", "issuer", required=True, help="Expected issuer.")
@click.option("--aud", "audience", required=True, multiple=True, help="Accepted audience.")
@click.option(
    "--alg",
    "algorithms",
    multiple=True,
    type=click.Choice(ALGORITHMS),
    help="Allowed algorithm(s); default: all asymmetric ones.",
)
@click.option("--leeway", default=30, show_default=True, help="Clock skew allowance, seconds.")
@click.option("--typ", default="at+jwt", show_default=True, help='Required typ ("" for none).')
def verify(
    token_text: str,
    jwks_url: str | None,
    key_file: Path | None,
    issuer: str,
    audience: tuple[str, ...],
    algorithms: tuple[str, ...],
    leeway: int,
    typ: str,
) -> None:
    """Verify TOKEN; print its claims and exit 0, or print the reason code and exit 1."""
    if (jwks_url is None) == (key_file is None):
        raise click.UsageError("give exactly one of --jwks URL or --key FILE")
    allowed = algorithms or ("RS256", "PS256", "ES256", "EdDSA")
    token_text = _read_token(token_text)  # once: "-" reads stdin
    try:
        keys: KeySet | SyncJWKSClient
        if jwks_url is not None:
            keys = SyncJWKSClient(jwks_url, algorithms=allowed)  # type: ignore[arg-type]
        else:
            assert key_file is not None
            keys = _load_key_file(key_file, allowed, _token_kid(token_text))
        verifier = TokenVerifier(
            issuer=issuer,
            audience=audience,
            keys=keys,
            algorithms=allowed,  # type: ignore[arg-type]
            leeway=leeway,
            typ=typ or None,
            cache_size=0,
        )
        claims = verifier.verify(token_text)
    except InvalidToken as exc:
        click.echo(f"invalid: {exc.code}: {exc.detail}", err=True)
        sys.exit(1)
    except JoseError as exc:
        click.echo(f"error: {exc.code}: {exc.detail}", err=True)
        sys.exit(2)
    click.echo(json.dumps(dict(claims.raw), indent=2, sort_keys=True))


def _token_kid(token_text: str) -> str | None:
    try:
        header, _ = decode_unverified(token_text, max_bytes=65536)
    except InvalidToken:
        return None  # verification reports the precise reason
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def _load_key_file(path: Path, algorithms: tuple[str, ...], token_kid: str | None) -> KeySet:
    # A PEM file, or a JWK without a kid, is the one key the operator named: it takes the
    # token's kid, so only the signature (with the key's own algorithm) decides. A JWKS
    # document is a set, where kids choose the key as usual.
    data = path.read_bytes()
    if data.lstrip().startswith(b"{"):
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise InvalidKey(f"{path} is neither JSON nor PEM") from exc
        if "keys" in document:
            return KeySet.from_jwks(document, algorithms=algorithms)  # type: ignore[arg-type]
        if "kid" not in document and token_kid is not None:
            document = {**document, "kid": token_kid}
        return KeySet([Key.from_jwk(document)])
    errors = []
    for alg in algorithms:
        try:
            return KeySet([Key.from_pem(data, alg, kid=token_kid)])  # type: ignore[arg-type]
        except InvalidKey as exc:
            errors.append(exc.detail)
    raise InvalidKey(f"the key file fits none of {', '.join(algorithms)}")
