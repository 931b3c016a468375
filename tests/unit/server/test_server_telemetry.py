"""FastAPI's native OpenTelemetry is switched off only when nothing could record it."""

import pytest
from opentelemetry import trace

from jotauth.server.telemetry import fastapi_telemetry

_OFF = {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def test_without_a_configured_provider_the_three_signals_are_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    assert fastapi_telemetry() == _OFF


def test_fastapis_own_auto_configuration_keeps_its_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    assert fastapi_telemetry() == {}


def test_a_configured_provider_keeps_fastapis_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real SDK provider, as opentelemetry-instrument would have set before the app is built
    # (set_tracer_provider works once per process, so the lookup is replaced instead).
    class SdkTracerProvider(trace.NoOpTracerProvider):
        pass

    monkeypatch.setattr(trace, "get_tracer_provider", SdkTracerProvider)
    assert fastapi_telemetry() == {}
