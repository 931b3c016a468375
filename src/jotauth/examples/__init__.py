"""Runnable example resource servers built on :mod:`jotauth.guard` (see ``examples/``)."""
