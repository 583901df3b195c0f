"""JSON parsing for the APIs: exact decimals, no NaN/Infinity, and the body-size limit (413)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config.api.envelope import PayloadTooLarge


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (numbers must be finite)")


def loads(data: bytes | str) -> Any:
    """Parse JSON text: floats become ``Decimal`` (no binary rounding), NaN and Infinity are refused."""
    return json.loads(data, parse_float=Decimal, parse_constant=_reject_constant)


def read_limited(stream: Any, limit: int) -> bytes:
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes.")
    return body


class StrictJSONParser(JSONParser):
    """Strict JSON (exact decimals, no NaN) within the body limit named by ``max_bytes_setting``."""

    max_bytes_setting = "VBA_MAX_BODY_BYTES"
    empty_message = "Request body is empty; send a JSON document."

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = read_limited(stream, getattr(settings, self.max_bytes_setting))
        if not body.strip():
            raise ParseError(self.empty_message)
        try:
            return loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ParseError("Request body is not UTF-8 encoded JSON.") from None
        except ValueError as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None
