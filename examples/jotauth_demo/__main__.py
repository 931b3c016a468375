"""``python -m jotauth_demo``: the same as ``jotauth demo`` with ``examples/`` on the path."""

from jotauth_demo.command import demo

demo()
