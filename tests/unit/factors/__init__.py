"""Unit tests of the second-factor checks that need no store."""
