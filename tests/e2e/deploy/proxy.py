"""A TLS reverse proxy on loopback for the deployment tests: a local CA and Debian's nginx.

The nginx configuration is the one users copy, ``deploy/nginx/jotauth.conf.template``, with
its ``${...}`` placeholders filled in; only the process-level lines (pid file, logs, temp
folders) and the proxy's source address are the test's own.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = REPO_ROOT / "deploy" / "nginx" / "jotauth.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# nginx connects to the auth servers from this address, which is the only one they trust
# for X-Forwarded-For: a test client on 127.0.0.1 talking to them directly is not the proxy.
PROXY_SOURCE = "127.0.0.2"


@dataclass(frozen=True)
class LocalTLS:
    """A certificate for the test's host names, issued by a CA made for this test run."""

    cert: Path
    key: Path
    ca: Path
    spki_sha256: str  # what Chromium's --ignore-certificate-errors-spki-list pins

    @classmethod
    def issue(cls, folder: Path, *names: str) -> LocalTLS:
        """Make a CA, and a leaf certificate for ``names``, under ``folder``."""
        authority = trustme.CA()
        leaf = authority.issue_cert(*names)
        cert, key, ca = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
        leaf.cert_chain_pems[0].write_to_path(str(cert))
        for extra in leaf.cert_chain_pems[1:]:
            with cert.open("ab") as out:
                out.write(extra.bytes())
        leaf.private_key_pem.write_to_path(str(key))
        authority.cert_pem.write_to_path(str(ca))
        public_key = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()).public_key()
        spki = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(cert, key, ca, base64.b64encode(hashlib.sha256(spki).digest()).decode())


def render_template(**values: str) -> str:
    """The shipped nginx configuration with its placeholders filled in (nginx's $vars kept)."""
    text = string.Template(TEMPLATE.read_text()).safe_substitute(values)
    if "${" in text:
        raise AssertionError(f"unfilled placeholder in {TEMPLATE}:\n{text}")
    return text


class Nginx:
    """``nginx`` in the foreground with the shipped configuration, under ``folder``."""

    def __init__(self, folder: Path, port: int, **values: str) -> None:
        self.folder = folder
        self.port = port
        (folder / "temp").mkdir(parents=True, exist_ok=True)
        (folder / "jotauth.conf").write_text(render_template(LISTEN_PORT=str(port), **values))
        user = "user root root;\n" if os.geteuid() == 0 else ""
        temp = folder / "temp"
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\n"
            f"pid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log warn;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"  access_log {folder}/access.log;\n"
            f"  client_body_temp_path {temp}/body;\n"
            f"  proxy_temp_path {temp}/proxy;\n"
            f"  fastcgi_temp_path {temp}/fastcgi;\n"
            f"  uwsgi_temp_path {temp}/uwsgi;\n"
            f"  scgi_temp_path {temp}/scgi;\n"
            f"  proxy_bind {PROXY_SOURCE};\n"
            f"  include {folder}/jotauth.conf;\n"
            "}\n"
        )
        self.process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(folder / "stderr.log").open("wb"),
        )
        self._wait_listening()

    def _wait_listening(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx not listening in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        """nginx's error output so far."""
        parts = [self.folder / "stderr.log", self.folder / "error.log"]
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())

    def stop(self) -> None:
        """Stop nginx (SIGQUIT would wait for keep-alive connections; SIGTERM is fast)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
