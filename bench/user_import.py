"""How long ``jotauth users import`` takes for a large export. Figures, not a test.

Writes ``--rows`` (default 10,000) users with foreign hashes to a JSON Lines file (a few real
hashes of each scheme, made once by pyca/bcrypt, passlib and Django's own hashers, spread
over the rows: the importer checks shape and cost, it hashes nothing), then runs the real
command, ``jotauth users import FILE``, in a subprocess against a fresh SQLite file (or
``--database-url`` for PostgreSQL), and prints the wall time of a dry run, the import and an
idempotent re-run.

    .venv/bin/python bench/user_import.py [--rows 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.foreign_hashes import PRODUCERS

JOTAUTH = str(Path(sys.executable).parent / "jotauth")
FAST = ("pyca-bcrypt-2b", "pyca-bcrypt-2y", "passlib-bcrypt", "passlib-django-pbkdf2-sha256",
        "passlib-argon2id", "passlib-argon2i", "passlib-scrypt", "django-pbkdf2-sha256",
        "django-scrypt")  # fmt: skip


def write_export(path: Path, rows: int) -> None:
    hashes = [PRODUCERS[name](f"password {name}") for name in FAST for _ in range(3)]
    with path.open("w", encoding="utf-8") as out:
        for index, encoded in zip(range(rows), itertools.cycle(hashes), strict=False):
            row = {"email": f"user{index:06d}@example.org", "name": f"User {index}",
                   "roles": ["reader"] if index % 10 else ["admin", "reader"],
                   "password_hash": encoded}  # fmt: skip
            out.write(json.dumps(row) + "\n")


def timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([JOTAUTH, *args], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"jotauth {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        export = Path(workdir) / "users.jsonl"
        write_export(export, options.rows)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOTAUTH_")}
        env["JOTAUTH_DATABASE_URL"] = (
            options.database_url or f"sqlite+aiosqlite:///{workdir}/bench.db"
        )
        env["JOTAUTH_SECRET_KEY"] = "bench-secret-0123456789abcdef0123"
        print(f"{options.rows:,} rows, {export.stat().st_size / 1e6:.1f} MB, "
              f"{env['JOTAUTH_DATABASE_URL'].split(':', 1)[0]}")  # fmt: skip
        for label, args in (
            ("dry run", ("users", "import", "--dry-run", str(export))),
            ("import", ("users", "import", str(export))),
            ("re-run (all skipped)", ("users", "import", str(export))),
        ):
            elapsed, summary = timed(env, *args)
            print(
                f"{label:>22}: {elapsed:6.2f} s  ({options.rows / elapsed:,.0f} rows/s)  {summary}"
            )


if __name__ == "__main__":
    main()
