"""The revocation wire format and the guard's bounded list of ended sessions."""

from __future__ import annotations

import json

import pytest

from jotauth.guard.revocations import RevocationList
from jotauth.revocations import InvalidRevocationDocument, RevocationDocument
from tests.support.clock import SettableClock


def test_a_document_round_trips_with_a_stable_etag() -> None:
    document = RevocationDocument(sessions={"b" * 32: 2.0, "a" * 32: 1.5}, keys={"kid-1": 3.0})
    again = RevocationDocument.from_json(document.to_json())
    assert again == document
    assert again.etag() == document.etag()
    assert document.etag() != RevocationDocument().etag()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"sessions": []}',
        b'{"sessions": {"a b": 1}}',
        b'{"sessions": {"ok": "1"}}',
        b'{"sessions": {"ok": true}}',
        b'{"sessions": {"ok": NaN}}',
        b'{"sessions": {"ok": Infinity}}',
        json.dumps({"sessions": {"x" * 129: 1}}).encode(),
        b'{"keys": {"\\u0000": 1}}',
        b"\xff\xfe",
    ],
)
def test_anything_but_the_document_shape_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidRevocationDocument):
        RevocationDocument.from_json(body)


def test_too_many_entries_are_refused_whole() -> None:
    body = json.dumps({"sessions": {f"s{i}": 1 for i in range(100_001)}}).encode()
    with pytest.raises(InvalidRevocationDocument):
        RevocationDocument.from_json(body)


def test_a_session_is_refused_until_its_tokens_have_expired_then_forgotten() -> None:
    clock = SettableClock()
    revoked = RevocationList(clock=clock)
    revoked.apply(RevocationDocument(sessions={"s1": clock.now + 60, "old": clock.now - 1}))
    assert revoked.is_revoked("s1") and not revoked.is_revoked("old")
    assert not revoked.is_revoked(None) and not revoked.is_revoked("other")
    clock.now += 61
    assert not revoked.is_revoked("s1")
    assert len(revoked) == 0


def test_memory_is_bounded_keeping_the_longest_lived_entries() -> None:
    clock = SettableClock()
    revoked = RevocationList(max_entries=100, clock=clock)
    revoked.apply(RevocationDocument(sessions={f"s{i}": clock.now + 1 + i for i in range(250)}))
    assert len(revoked) == 100
    assert revoked.is_revoked("s249") and not revoked.is_revoked("s0")


def test_a_later_until_wins_and_an_earlier_one_does_not_shorten() -> None:
    clock = SettableClock()
    revoked = RevocationList(clock=clock)
    revoked.apply(RevocationDocument(sessions={"s": clock.now + 100}))
    revoked.apply(RevocationDocument(sessions={"s": clock.now + 10}))
    clock.now += 50
    assert revoked.is_revoked("s")
