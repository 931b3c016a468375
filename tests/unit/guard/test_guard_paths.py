"""PathRules: prefix protection on segment boundaries, failing closed on odd paths."""

import pytest

from jotauth.guard.paths import PathRules

RULES = PathRules(protect=("/api",), exclude=("/api/public", "/api/auth"))


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/lessons", "/api/lessons/1"])
def test_prefix_protects_itself_and_everything_below(path):
    assert RULES.protects(path)


@pytest.mark.parametrize("path", ["/", "/apix", "/ap", "/apis/x", "/static/api", "/lessons"])
def test_prefix_does_not_protect_other_segments(path):
    assert not RULES.protects(path)


@pytest.mark.parametrize("path", ["/api/public", "/api/public/x", "/api/auth/refresh"])
def test_exclusions_are_public(path):
    assert not RULES.protects(path)


def test_exclusion_respects_segment_boundaries():
    assert RULES.protects("/api/publicity")
    assert RULES.protects("/api/authors")


@pytest.mark.parametrize(
    "path",
    [
        "/API/lessons",
        "/Api",
        "//api/lessons",
        "/api//lessons",
        "///api",
        "/./api/x",
        "/x/../api/y",
        "/api/../x",
        "/api\\x",
        "\\api\\x",
        "/%61pi/x",
        "/api%2fx",
        "/ap%69",
    ],
)
def test_non_canonical_spellings_of_protected_paths_are_protected(path):
    assert RULES.protects(path)


@pytest.mark.parametrize(
    "path",
    [
        "//api/public",
        "/api/public/../lessons",
        "/api/public/./x",
        "/api/public/%2e%2e/x",
        "/api/public\\..\\lessons",
        "/API/public/x",
        "/api/Public/x",
    ],
)
def test_exclusions_never_apply_to_odd_spellings(path):
    assert RULES.protects(path)


def test_non_canonical_paths_outside_the_prefix_stay_public():
    assert not RULES.protects("/static//app.js")
    assert not RULES.protects("/docs/../index.html")


def test_root_prefix_protects_everything_but_exclusions():
    rules = PathRules(protect=("/",), exclude=("/healthz",))
    assert rules.protects("/anything")
    assert rules.protects("/")
    assert not rules.protects("/healthz")


def test_trailing_slash_in_a_prefix_is_ignored():
    assert PathRules(protect=("/api/",)).protects("/api")


@pytest.mark.parametrize("prefix", ["api", "", "/api/../x", "//api", "/api%2f"])
def test_odd_prefixes_are_refused_at_start_up(prefix):
    with pytest.raises(ValueError):
        PathRules(protect=(prefix,))
