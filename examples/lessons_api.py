"""The lessons API: a FastAPI resource server protected by ``jotauth.guard``.

Run it next to a ``jotauth serve`` (which issues the tokens and publishes the JWKS)::

    jotauth serve --dev &
    python examples/lessons_api.py --issuer http://127.0.0.1:8000 --audience jotauth --port 8001

or with uvicorn's factory mode, configured from the same ``JOTAUTH_*`` settings as the server::

    uvicorn --factory examples.lessons_api:create_app_from_env --port 8001

The app factory lives in the package (:mod:`jotauth.examples.lessons`) so that it is
importable from anywhere; this file is the runnable entry point and the ``create_app``
hook that ``jotauth demo`` loads.
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI

from jotauth.examples.lessons import create_lessons_app, create_lessons_app_for
from jotauth.settings import Settings

__all__ = ["create_app", "create_app_from_env", "create_lessons_app"]


def create_app(settings: Settings) -> FastAPI:
    """The lessons API trusting the auth server that ``settings`` describes (the demo hook)."""
    return create_lessons_app_for(settings)


def create_app_from_env() -> FastAPI:
    """The lessons API configured from ``JOTAUTH_*`` variables / ``jotauth.toml``."""
    return create_lessons_app_for(Settings())


def main() -> None:
    """Serve the lessons API with uvicorn."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--issuer", required=True, help="the auth server's issuer URL")
    parser.add_argument("--audience", required=True, help="the audience tokens must carry")
    parser.add_argument("--jwks-url", help="default: ISSUER/.well-known/jwks.json")
    parser.add_argument("--cookie-name", default="__Host-jot_access")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    app = create_lessons_app(
        jwks_url=args.jwks_url or f"{args.issuer.rstrip('/')}/.well-known/jwks.json",
        issuer=args.issuer,
        audience=args.audience,
        cookie_name=args.cookie_name,
    )
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
