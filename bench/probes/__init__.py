"""Probes ``bench/server.py`` runs in a subprocess with a tree's ``src`` on ``PYTHONPATH``."""
