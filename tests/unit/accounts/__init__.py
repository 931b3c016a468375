"""Unit tests of the application layer's pure parts."""
