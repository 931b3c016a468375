"""Regenerate src/jotauth/users/data/common_passwords.txt from zxcvbn's frequency list.

    python -m venv /tmp/zx && /tmp/zx/bin/pip install zxcvbn==4.5.0
    /tmp/zx/bin/python scripts/extract-common-passwords.py

The list's source and licence are in src/jotauth/users/data/COMMON_PASSWORDS_NOTICE.txt.
"""

from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-not-found]

TOP = 10_000
OUT = Path(__file__).resolve().parents[1] / "src/jotauth/users/data/common_passwords.txt"

passwords = FREQUENCY_LISTS["passwords"][:TOP]
assert len(set(passwords)) == TOP
OUT.write_text("\n".join(passwords) + "\n", encoding="utf-8")
print(f"wrote {TOP} passwords to {OUT}")
