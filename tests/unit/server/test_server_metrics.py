"""Counting an outcome through a kept label child exposes what ``labels().inc()`` did."""

from prometheus_client import generate_latest

from jotauth.server.metrics import ServerMetrics, counting


def test_counting_exposes_the_same_series_as_labels_inc() -> None:
    kept, looked_up = ServerMetrics(), ServerMetrics()
    count = counting(kept.refreshes)
    for outcome in ("success", "reused", "success", "grace", "success"):
        count(outcome)
        looked_up.refreshes.labels(outcome).inc()
    assert _exposed(kept) == _exposed(looked_up)
    assert 'jotauth_refreshes_total{outcome="success"} 3.0' in _exposed(kept)


def _exposed(metrics: ServerMetrics) -> list[str]:
    """The exposition without the ``_created`` timestamps (when each child was made)."""
    text = generate_latest(metrics.registry).decode()
    return [line for line in text.splitlines() if "_created" not in line]
