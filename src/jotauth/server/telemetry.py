"""FastAPI's native OpenTelemetry, decided once when the app is built (issue 15).

FastAPI (0.16x) asks OpenTelemetry for its three global providers (tracer, meter, logger) on
every request, each lookup also reading ``os.environ``, to find out whether anyone would
record a span: about 4 µs of every request, all of it wasted when no provider is configured,
which is how the auth server runs unless its operator installs an OpenTelemetry SDK.

The providers are set up before the app exists (``opentelemetry-instrument``, an
``OTEL_PYTHON_*_PROVIDER`` variable, or code that calls ``set_*_provider`` first), or by
FastAPI itself at startup with ``FASTAPI_OTEL_AUTO_CONFIGURE=true``. So the question is asked
once, with FastAPI's own test: nothing configured and no auto-configuration means the three
signals are switched off for the app's lifetime, anything else leaves FastAPI's defaults.
"""

from __future__ import annotations

import os
from typing import Any


def fastapi_telemetry() -> dict[str, Any]:
    """The ``telemetry`` keyword for ``FastAPI(...)``, or none (FastAPI's defaults)."""
    try:  # FastAPI before its native telemetry has nothing to switch off
        from fastapi.telemetry._api import _unconfigured  # the test FastAPI asks per request
        from opentelemetry import _logs, metrics, trace
    except ImportError:
        return {}
    if os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true":
        return {}  # FastAPI sets up providers in its lifespan, after this
    providers = (
        trace.get_tracer_provider(),
        metrics.get_meter_provider(),
        _logs.get_logger_provider(),
    )
    if not all(_unconfigured(provider) for provider in providers):
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
