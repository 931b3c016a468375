"""How a second factor plugs into the login step (DESIGN §13).

A method is anything with this shape: TOTP and recovery codes (:mod:`jotauth.factors`) and
passkeys implement it, and the composition root lists them in the order the ``methods`` of an
``mfa_required`` answer shows them. The login step (:class:`jotauth.accounts.SecondStep`) asks
each method whether the user has it, lets it add data to the answer (a passkey's WebAuthn
request options), and hands it the proof the client sent.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, Protocol

from jotauth.store import Store


class EnrolledReader(Protocol):
    """The names of the methods a user has enrolled, read inside a unit of work. The storage
    side builds it (``jotauth.factors.EnrolledFactors``) so that one statement asks every
    method (``/me`` and each login ask all of them; a read per method was most of ``/me``'s
    cost, issue 15)."""

    def __call__(self, conn: Any, user_id: str) -> Collection[str]: ...

    def beside(self, reader: Any) -> Any:
        """``reader`` (a user read of the users layer, alone or as a row) whose user comes
        with the names of their enrolled methods, read in the same row."""
        ...


class SecondFactorMethod(Protocol):
    """One way to prove a second factor at ``POST /api/auth/login/mfa``."""

    # "totp" | "recovery_code" | "passkey": the ``method`` of /api/auth/login/mfa.
    name: str

    async def challenge(self, user_id: str, attempt_id: str) -> dict[str, object] | None:
        """Extra data for the ``mfa_required`` answer under the key ``name`` (a passkey's
        request options bound to this attempt); None when the method needs none.
        ``attempt_id`` identifies the login attempt (stable across its tries)."""
        ...

    async def verify(
        self, user_id: str, attempt_id: str, proof: Mapping[str, object]
    ) -> tuple[str, ...]:
        """Check ``proof`` (the request body: ``code`` or ``credential``); returns the RFC 8176
        amr values it proves (``("otp",)``, ``("hwk",)``). Raises a ``JotauthError`` whose code
        is ``second_factor_invalid`` on a bad proof (a method may raise its own codes)."""
        ...


class SecondFactorMethods:
    """The methods of this server, in the order clients are offered them."""

    def __init__(
        self, methods: Iterable[SecondFactorMethod], *, store: Store, enrolled: EnrolledReader
    ) -> None:
        """``enrolled`` tells which of ``methods`` a user has, in a unit of work of ``store``."""
        self._methods = tuple(methods)
        self._store = store
        self._enrolled = enrolled
        names = [method.name for method in self._methods]
        if len(set(names)) != len(names):
            raise ValueError(f"second-factor method names must be unique: {names}")

    def __iter__(self) -> Iterator[SecondFactorMethod]:
        return iter(self._methods)

    def get(self, name: str) -> SecondFactorMethod | None:
        """The method called ``name``, or None."""
        return next((method for method in self._methods if method.name == name), None)

    async def enrolled_of(self, user_id: str) -> tuple[SecondFactorMethod, ...]:
        """The methods the user has enrolled, in offer order (one read)."""
        return await self._store.read_unit(lambda conn: self.enrolled_in(conn, user_id))

    def enrolled_in(self, conn: Any, user_id: str) -> tuple[SecondFactorMethod, ...]:
        """:meth:`enrolled_of` inside a unit of work."""
        return self.named(self._enrolled(conn, user_id))

    def beside(self, reader: Any) -> Any:
        """``reader`` (a user read of the users layer) whose user comes with the names of
        the methods they enrolled, read in its row (:meth:`named` turns them into methods):
        ``/me`` reads it in its session's statement."""
        return self._enrolled.beside(reader)

    def named(self, names: Collection[str]) -> tuple[SecondFactorMethod, ...]:
        """The methods called ``names``, in offer order."""
        return tuple(method for method in self._methods if method.name in names)
