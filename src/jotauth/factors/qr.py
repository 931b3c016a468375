"""The enrolment QR code: the ``otpauth://`` URI as an SVG image (segno)."""

from __future__ import annotations

import io

import segno


def otpauth_qr_svg(uri: str) -> str:
    """An SVG document of ``uri`` as a QR code (error correction M, no XML declaration, so
    it can be inlined into a page or shown from a JSON answer)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(
        buffer, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, title="TOTP QR code"
    )
    return buffer.getvalue().decode("utf-8")
