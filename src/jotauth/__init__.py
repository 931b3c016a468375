"""jotauth: JWT authentication for single-page apps and their APIs."""

__version__ = "0.1.0"
