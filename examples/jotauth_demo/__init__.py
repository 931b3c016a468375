"""The demo: the auth server, the lessons API and the Angular app on one origin.

One ASGI application answers on ``http://localhost:8000`` (plain HTTP, ``--dev`` cookies):

* the auth server (``/api/auth/…``, ``/.well-known/…``, the hosted ``/login`` page, health),
* the lessons API of ``examples/lessons_api.py`` (``/api/lessons``, ``/api/admin/…``),
* the built Angular app (``clients/demo``) with an ``index.html`` fallback for client
  routes, and the AngularJS page under ``/legacy/``.

and on a second origin (``http://localhost:8001``, ``--spa-port``) the example SPA of
``examples/oidc_spa``, a public OpenID Connect client that signs in through the auth server
with code + PKCE (oidc-client-ts), registered on start-up.

The first app is served from one origin on purpose: cookie delivery with ``SameSite`` cookies
and the double-submit CSRF token needs no CORS at all that way (DESIGN §5, §8).

This package lives in the repository, outside the ``jotauth`` wheel: it serves files built
from ``clients/``. ``make demo`` (``scripts/demo.sh``) runs it as ``jotauth demo`` with
``examples/`` on the path; ``python -m jotauth_demo`` does the same.

* :mod:`jotauth_demo.accounts`: the demo logins, created on first start;
* :mod:`jotauth_demo.settings`: dev-mode settings, SQLite and a secret key in a data directory;
* :mod:`jotauth_demo.spa`: the built single-page app, with its CSP;
* :mod:`jotauth_demo.dispatch`: routing by path prefix and fanned-out lifespan events;
* :mod:`jotauth_demo.app`: the one ASGI app composed of the three;
* :mod:`jotauth_demo.oidc_spa_client`: the second app's client registration;
* :mod:`jotauth_demo.command`: the ``jotauth demo`` command.
"""
