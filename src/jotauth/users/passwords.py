"""Password hashing (argon2id, RFC 9106) off the event loop, and the password policy."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.resources
import logging
import os
import secrets
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from jotauth.settings import Settings
from jotauth.users.errors import HashQueueFull, PasswordTooLong, WeakPassword
from jotauth.users.foreign_hashes import IMPORTED_PREFIX, verify_stored

_T = TypeVar("_T")
# Default bound of the hash queue, per worker: enough to absorb a burst of real logins,
# short enough that a queued login still answers within a couple of seconds.
HASH_QUEUE_PER_WORKER = 8

# Long passphrases are welcome; 100 KB "passwords" are a denial-of-service vector (CWE-400).
MAX_PASSWORD_CHARS = 1024

_log = logging.getLogger("jotauth.users")

# CPU priority of the hashing threads: the lowest, so a login storm uses the CPU the request
# path leaves idle instead of competing with it (bench/server.py, 2 cores: GET /me p99 during
# a storm ~5x the quiet p99 at nice 0, 1.6-2.2x at nice 10, ~1.4x at nice 19).
HASH_THREAD_NICENESS = 19


def _lower_thread_priority() -> None:
    # Linux only: there setpriority(PRIO_PROCESS, tid) renices just this thread. Elsewhere
    # a thread id is not a process id, so nothing is attempted.
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)


def prepare_password(password: str) -> str:
    """Length-check and normalise a password before it is hashed or verified.

    NIST SP 800-63B §5.1.1.2: normalise Unicode (NFKC) so the same passphrase typed on two
    keyboards hashes identically. The length limit is checked first, on the raw input.
    """
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
        raise PasswordTooLong(f"the password is longer than {MAX_PASSWORD_CHARS} characters")
    return unicodedata.normalize("NFKC", password)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, casefolded (``users/data/common_passwords.txt``;
    source and licence in ``COMMON_PASSWORDS_NOTICE.txt`` beside it). Read once: it is
    constant package data, not state."""
    text = (
        importlib.resources.files("jotauth.users")
        .joinpath("data/common_passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(line.casefold() for line in text.splitlines() if line)


# Words that make a password guessable for *this* service whatever the user: NIST SP 800-63B
# §5.1.1.2 names "context-specific words, such as the name of the service".
_SERVICE_WORDS = ("password", "jotauth")
# Context words shorter than this are too common inside passphrases to refuse.
_MIN_CONTEXT_WORD = 4


def check_password_policy(
    password: str, *, min_length: int, email: str = "", context: Iterable[str] = ()
) -> str:
    """Validate a *new* password (signup, change, reset); returns it prepared for hashing.

    NIST SP 800-63B §5.1.1.2: a minimum length, no composition rules, and a screen against
    "passwords obtained from previous breach corpuses" (the 10,000 most common, see
    :func:`common_passwords`), repetitive or sequential characters, and context words (the
    email address and its local part, the user's name, the service's name). Raises
    :class:`PasswordTooLong` or :class:`WeakPassword`.
    """
    prepared = prepare_password(password)
    if len(prepared) < min_length:
        raise WeakPassword(f"the password must have at least {min_length} characters")
    if not prepared.strip():
        raise WeakPassword("the password must not be only spaces")
    if any(unicodedata.category(char) == "Cc" for char in prepared):
        raise WeakPassword("the password must not contain control characters")
    if len(set(prepared)) < 3:
        raise WeakPassword("the password repeats too few different characters")
    lowered = prepared.casefold()
    if lowered in common_passwords() or lowered.replace(" ", "") in common_passwords():
        raise WeakPassword("this password is one of the most common ones; choose another")
    local_part = email.partition("@")[0].casefold()
    if lowered == email.casefold() or (
        len(local_part) >= _MIN_CONTEXT_WORD and local_part in lowered
    ):
        raise WeakPassword("the password must not contain the email address")
    words = [*_SERVICE_WORDS, *(word.casefold() for text in context for word in text.split())]
    for word in words:
        # A password that is a context word with a few characters around it is refused; a
        # long passphrase that merely contains one is not (no composition rules).
        if len(word) >= _MIN_CONTEXT_WORD and word in lowered and len(lowered) - len(word) < 6:
            raise WeakPassword("the password is too close to your name or this service's name")
    return prepared


class PasswordHasher:
    """argon2id with the parameters from Settings, run in a bounded thread pool.

    It also verifies the foreign hashes ``jotauth users import`` stored (``imported$…``,
    :mod:`jotauth.users.foreign_hashes`), which always need a rehash.

    At most ``settings.hash_workers`` hashes run at once, so a login storm queues behind the
    pool instead of starving the event loop (argon2-cffi releases the GIL while hashing), and
    at most ``settings.hash_queue_limit`` wait behind them: past that, :class:`HashQueueFull`.
    """

    def __init__(self, settings: Settings) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=settings.hash_workers,
            thread_name_prefix="jotauth-argon2",
            initializer=_lower_thread_priority,
        )
        self._workers = settings.hash_workers
        self._queue_limit = settings.hash_queue_limit or HASH_QUEUE_PER_WORKER * self._workers
        self._in_flight = 0  # submitted and not finished (running + waiting), loop thread only
        # Made once, up front: building it lazily would make the first unknown-user login
        # slower than the others (a timing signal of its own).
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    @property
    def queue_depth(self) -> int:
        """How many hashes are waiting for a worker (the running ones not counted)."""
        return max(0, self._in_flight - self._workers)

    async def hash(self, password: str) -> str:
        """Hash a prepared password (see :func:`prepare_password`); may raise
        :class:`HashQueueFull`."""
        return await self._run(self._hasher.hash, password)

    async def verify(
        self, password_hash: str, password: str, *, as_typed: str | None = None
    ) -> bool:
        """Whether ``password`` matches ``password_hash``; a corrupt hash never matches.

        ``password`` is prepared (:func:`prepare_password`); an imported hash is checked
        against ``as_typed``, the password before NFKC, since the other system hashed what the
        user typed. Raises :class:`HashQueueFull` when the queue is full (nothing is checked).
        """
        if password_hash.startswith(IMPORTED_PREFIX):
            return await self._run(verify_stored, password_hash, as_typed or password)
        return await self._run(self._verify_sync, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of a real verification, for a user who does not exist.

        Answering "no such user" faster than "wrong password" enumerates accounts by timing
        (OWASP Authentication Cheat Sheet, "Authentication responses").
        """
        await self.verify(self._dummy_hash, password)

    def check_needs_rehash(self, password_hash: str) -> bool:
        """Whether a stored hash is foreign or uses other parameters than the configured ones."""
        if password_hash.startswith(IMPORTED_PREFIX):
            return True
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def close(self) -> None:
        """Stop the worker threads (pending hashes are cancelled)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _run(self, work: Callable[..., _T], *args: str) -> _T:
        if self.queue_depth >= self._queue_limit:
            raise HashQueueFull()
        loop = asyncio.get_running_loop()
        self._in_flight += 1
        submitted = self._pool.submit(work, *args)

        def finished(_future: Future[_T]) -> None:
            # Runs in the worker thread (or here, when a queued hash is cancelled): hand the
            # decrement to the loop so the counter has one writer. A hash already running when
            # its caller gives up keeps its slot until it ends: it still occupies a worker.
            with contextlib.suppress(RuntimeError):  # the loop is closed at shutdown
                loop.call_soon_threadsafe(self._release)

        submitted.add_done_callback(finished)
        return await asyncio.wrap_future(submitted)

    def _release(self) -> None:
        self._in_flight -= 1

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except VerificationError:  # includes VerifyMismatchError
            return False
        except InvalidHashError:
            _log.error("a stored password hash is not a valid argon2 hash")
            return False
