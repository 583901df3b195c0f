"""The JSON renderer both APIs' envelopes build on: an answer that echoes a client's malformed text (a lone surrogate
in a key) is still sent, as ASCII JSON with ``\\uXXXX`` escapes, instead of failing to encode (a 500)."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer


class SafeJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True  # type: ignore[misc]
            return super().render(data, accepted_media_type, renderer_context)
