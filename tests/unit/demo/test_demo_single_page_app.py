"""The demo's static server: files as they are, index.html for client routes, nothing else."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from jotauth_demo.spa import SinglePageApp


@pytest.fixture
def built_app(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<title>root</title>")
    (tmp_path / "main-ABC.js").write_text("console.log(1)")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "index.html").write_text("<title>legacy</title>")
    (tmp_path.parent / "secret.txt").write_text("outside")
    return tmp_path


async def _get(app: SinglePageApp, path: str, method: str = "GET") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.test") as client:
        return await client.request(method, path)


async def test_client_routes_get_index_html_with_a_strict_csp(built_app: Path) -> None:
    for path in ("/", "/lessons", "/admin/stats", "/signin?returnUrl=%2Flessons"):
        response = await _get(SinglePageApp(built_app), path)
        assert response.status_code == 200, path
        assert "<title>root</title>" in response.text
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-cache"


async def test_files_are_served_as_they_are(built_app: Path) -> None:
    response = await _get(SinglePageApp(built_app), "/main-ABC.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert "javascript" in response.headers["content-type"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_missing_bundle_is_a_404_not_html(built_app: Path) -> None:
    response = await _get(SinglePageApp(built_app), "/main-OLD.js")
    assert response.status_code == 404
    assert "<title>" not in response.text


async def test_a_directory_with_its_own_index_answers_its_client_routes(built_app: Path) -> None:
    for path in ("/legacy/", "/legacy/lessons", "/legacy"):
        response = await _get(SinglePageApp(built_app), path)
        assert "<title>legacy</title>" in response.text, path


@pytest.mark.parametrize(
    "path", ["/../secret.txt", "/%2e%2e/secret.txt", "/legacy/../../secret.txt", "/..%2fsecret.txt"]
)
async def test_paths_cannot_escape_the_build_directory(built_app: Path, path: str) -> None:
    response = await _get(SinglePageApp(built_app), path)
    assert "outside" not in response.text


async def test_unsafe_methods_are_refused(built_app: Path) -> None:
    response = await _get(SinglePageApp(built_app), "/lessons", method="POST")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


async def test_an_unbuilt_app_says_how_to_build_it(tmp_path: Path) -> None:
    response = await _get(SinglePageApp(tmp_path / "missing"), "/lessons")
    assert response.status_code == 503
    assert "scripts/demo.sh" in response.text
