"""HTTP building blocks without a web framework, shared by the auth server and the guard.

``bearer`` parses the ``Authorization`` header (RFC 6750 §2.1), ``cookies`` holds the cookie
grammar and the ``Set-Cookie`` formatter (RFC 6265), ``csrf`` the session-bound token, the
double submit check and the ``Origin``/``Sec-Fetch-Site`` checks. Nothing here imports
Starlette, FastAPI or Flask, so every layer above may use it.
"""
