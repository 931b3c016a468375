"""The auth server: ``from jotauth.server.app import create_app``; ``jotauth serve``.

Kept free of imports, so that importing a submodule loads only what it needs.
"""
