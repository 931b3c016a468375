"""The auth server: ``from jotauth.server.app import create_app``; ``jotauth serve``.

Kept free of imports so that ``jotauth.server.cli`` loads without the server extras.
"""
