"""Signing keys from PEM files (``signing_key_files``): fixed, rotated by replacing the files.

The first file signs; the others stay published (retired) so tokens they signed keep
verifying. Nothing is written anywhere, so rotation and revocation are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from jotauth.jose import Algorithm
from jotauth.keys.errors import SigningKeysError
from jotauth.keys.lifecycle import KeyRing, KeyState, ManagedKey
from jotauth.keys.pem import load_pem_file
from jotauth.keys.signing import PublishedRing, RotationResult
from jotauth.keys.x509 import with_x5c

_REFUSED = "keys come from PEM files; rotate them by replacing the files"


class PemFileSigningKeys(PublishedRing):
    """The :class:`~jotauth.keys.signing.SigningKeys` strategy for keys kept in PEM files."""

    def __init__(
        self, paths: Sequence[Path], *, algorithm: Algorithm, clock: Callable[[], float]
    ) -> None:
        super().__init__(algorithm)
        self._paths = tuple(paths)
        self._algorithm = algorithm
        self._clock = clock

    async def start(self) -> None:
        """Read the files (nothing to create: the operator provides the keys)."""
        await self.load()

    async def load(self) -> None:
        """Read the files again."""
        now = self._clock()
        managed = [
            ManagedKey(
                key=with_x5c(load_pem_file(path, self._algorithm)),
                state=KeyState.CURRENT if index == 0 else KeyState.RETIRED,
                created_at=now,
                activated_at=now,
            )
            for index, path in enumerate(self._paths)
        ]
        if not managed or not managed[0].key.is_private:
            raise SigningKeysError("the first signing key file must hold a private key")
        self._publish(KeyRing(managed))

    async def tick(self) -> None:
        """Nothing rotates automatically: the files are the operator's."""

    async def rotate(self, *, force: bool = False) -> RotationResult:
        """Refused: replace the files instead."""
        raise SigningKeysError(_REFUSED)

    async def revoke(self, kid: str) -> RotationResult:
        """Refused: remove the file instead."""
        raise SigningKeysError(_REFUSED)
