"""The npm packages as a new user gets them: packed from a clean checkout (only the files git
tracks, so ``dist/`` is built by ``prepack``), then installed as tarballs into a new Angular app
that builds (issue 16).

Speed: the checkout reuses the workspace's installed ``node_modules`` (a hard-linked copy, its
workspace links relative, so they point into the checkout), and the app installs with
``--prefer-offline`` from the npm cache the workspace filled.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
APP_TEMPLATE = Path(__file__).parent / "angular_app"
PACKAGES = ("client", "angular", "angularjs")
NPM_QUIET = ("--no-audit", "--no-fund", "--loglevel=error")


def run(*args: str | Path, cwd: Path, timeout: float = 600) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def tarballs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("npm") is None or not (ROOT / "clients" / "node_modules").is_dir():
        pytest.skip("npm and clients/node_modules (scripts/bootstrap.sh) are needed")
    checkout = tmp_path_factory.mktemp("checkout")
    tracked = run("git", "ls-files", "-z", "clients", "LICENSE", cwd=ROOT).split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    for package in PACKAGES:
        assert not (checkout / "clients" / package / "dist").exists()
    run("cp", "-al", ROOT / "clients" / "node_modules", checkout / "clients" / "node_modules",
        cwd=ROOT)  # fmt: skip
    out = tmp_path_factory.mktemp("tarballs")
    workspaces = [f"--workspace=@jotauth/{p}" for p in PACKAGES]
    run("npm", "pack", *workspaces, "--pack-destination", out, *NPM_QUIET,
        cwd=checkout / "clients")  # fmt: skip
    for package in PACKAGES:
        # prepack copied the LICENSE in for the tarball; postpack took it out again
        assert not (checkout / "clients" / package / "LICENSE").exists()
    return out


def _members(tarball: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(tarball) as archive:
        return {m.name.removeprefix("package/"): m for m in archive.getmembers()}


def _manifest(tarball: Path) -> dict[str, object]:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/package.json")
        assert member is not None
        manifest: dict[str, object] = json.load(member)
        return manifest


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_packs_its_built_code_license_and_readme(tarballs: Path, package: str) -> None:
    tarball = tarballs / f"jotauth-{package}-0.1.0.tgz"
    members = _members(tarball)
    assert {"package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.d.ts"} <= set(
        members
    )
    assert not any(name.startswith(("test/", "node_modules/")) for name in members)
    manifest = _manifest(tarball)
    assert manifest["license"] == "Apache-2.0" and manifest["repository"]
    assert "prepack" in manifest["scripts"]  # type: ignore[operator]


def test_every_peer_range_is_bounded(tarballs: Path) -> None:
    for package in PACKAGES:
        peers = _manifest(tarballs / f"jotauth-{package}-0.1.0.tgz").get("peerDependencies", {})
        assert isinstance(peers, dict)
        for name, spec in peers.items():
            assert spec.startswith("^") or "<" in spec, f"{package}: {name} {spec} is open-ended"
    angular = _manifest(tarballs / "jotauth-angular-0.1.0.tgz")["peerDependencies"]
    assert isinstance(angular, dict) and angular["@angular/core"] == ">=19.0.0 <22.0.0"


def test_a_new_angular_app_installs_the_tarballs_and_builds(tarballs: Path, tmp_path: Path) -> None:
    demo = json.loads((ROOT / "clients" / "demo" / "package.json").read_text())
    versions = {**demo["dependencies"], **demo["devDependencies"]}
    shutil.copytree(APP_TEMPLATE, tmp_path / "app")
    app = tmp_path / "app"
    template = (app / "package.json.in").read_text()
    for placeholder, value in {
        "@ANGULAR_BUILD@": versions["@angular/build"],
        "@ANGULAR_CLI@": versions["@angular/cli"],
        "@ANGULAR@": versions["@angular/core"],
        "@RXJS@": versions["rxjs"],
        "@TSLIB@": versions["tslib"],
        "@TYPESCRIPT@": versions["typescript"],
        "@TARBALLS@": str(tarballs),
    }.items():
        template = template.replace(placeholder, value)
    (app / "package.json").write_text(template)
    (app / "package.json.in").unlink()
    run("npm", "install", "--prefer-offline", *NPM_QUIET, cwd=app)
    run("npx", "--no-install", "ng", "build", cwd=app)
    bundle = (app / "dist" / "app" / "browser" / "main.js").read_text()
    assert "XSRF-TOKEN" in bundle  # the app's code and the packages' are in it
    # The other two import in plain Node as ES modules from their tarballs.
    probe = (
        "const c = await import('@jotauth/client'); const j = await import('@jotauth/angularjs');"
        "console.log(typeof c.createAuthClient, Object.keys(j).length > 0)"
    )
    assert run("node", "--input-type=module", "-e", probe, cwd=app).split() == [
        "function",
        "true",
    ]
