"""The auth server's routers, one module per concern."""
