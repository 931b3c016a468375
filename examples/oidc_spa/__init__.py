"""An example single-page app on a second origin that signs in through jotauth.

It is a public OAuth client using oidc-client-ts (authorization code + PKCE, refresh token,
userinfo, RP-initiated logout); ``server.py`` serves its static files and its configuration.
Register it, then run it (``examples/`` on the path, ``npm ci`` done in this directory)::

    jotauth clients add "Example SPA" --public \\
        --redirect-uri http://127.0.0.1:8001/callback \\
        --post-logout-redirect-uri http://127.0.0.1:8001/signed-out
    python -m oidc_spa --authority http://127.0.0.1:8000 --client-id ID --port 8001

``make demo`` does both for you.
"""

from oidc_spa.server import LIBRARY_BUNDLE, SpaConfig, ensure_library, spa_server, start_spa

__all__ = ["LIBRARY_BUNDLE", "SpaConfig", "ensure_library", "spa_server", "start_spa"]
