"""JSON parsing for the APIs: exact decimals, no NaN/Infinity, bounded nesting, and the body-size limit (413).

Also the text rule shared by both APIs' validators (:data:`Text`): no NUL character (PostgreSQL cannot store it)
and no unpaired surrogate (``"\\ud800"`` parses, but is no character and cannot be stored or encoded)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from django.conf import settings
from pydantic import BeforeValidator, StrictStr
from rest_framework import exceptions, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


#: Arrays and objects nested deeper than this are refused (no record needs more than 3 levels).
class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(value: str) -> str:
    """The :data:`Text` rule: a string that can be stored and sent back as it came."""
    if "\x00" in value:
        raise ValueError("may not contain the NUL character (\\u0000)")
    match = None if value.isascii() else _SURROGATE.search(value)  # (isascii() reads a flag: no scan)
    if match:
        raise ValueError(f"contains an unpaired surrogate (\\u{ord(match.group()):04x}); send valid Unicode text")
    return value


def _check_if_text(value: Any) -> Any:
    return check_text(value) if isinstance(value, str) else value


#: The rule of :func:`check_text`, checked before the type and length: ``Annotated[StrictStr, Field(...),
#: StorableText]``.
StorableText = BeforeValidator(_check_if_text)
#: A JSON string that can be stored: see :func:`check_text`.
Text = Annotated[StrictStr, StorableText]


def _check_depth(value: Any) -> None:
    """Refuse containers nested deeper than :data:`MAX_DEPTH`, level by level. A container's children are looked at
    one by one only when its values include a container (``set(map(type, …))`` runs in C), so that a batch of flat
    records costs one C call per record."""
    level, depth = [value], 1
    while level:
        deeper: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            kinds = set(map(type, children))
            if dict in kinds or list in kinds:
                deeper.extend(child for child in children if type(child) is dict or type(child) is list)
        if deeper and depth >= MAX_DEPTH:
            raise ValueError(f"arrays and objects may be nested at most {MAX_DEPTH} deep")
        level, depth = deeper, depth + 1


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (numbers must be finite)")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)  # (one for all: no setup per call)
#: msgspec's decoder, tried first (about a third faster): it reads a subset of what ``json`` reads, with the same
#: values (floats as Decimal from their text), and refuses the rest (NaN, lone surrogates, …), which ``json`` then
#: reads or refuses with its own message. ``tests/config/test_parsers.py`` compares the two.
_FAST_DECODER = msgspec.json.Decoder(float_hook=Decimal)
#: The escapes through which a JSON text can make a string that breaks the text rule (NUL, a lone surrogate).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE_ESCAPE_BYTES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_FAILED = object()


class CheckedArray(list):  # type: ignore[type-arg]
    """A JSON array read by :func:`loads` from a text without any escape that could make a NUL or a lone surrogate,
    so that none of its strings breaks the text rule: a batch then needs no check per string."""


def loads(data: bytes | str, encoding: str | None = None) -> Any:
    """Parse JSON text: floats become ``Decimal`` (no binary rounding), NaN and Infinity are refused; an array is a
    :class:`CheckedArray` when its text shows that all its strings keep the text rule.

    Bytes are read as UTF-8 by msgspec (no decoded copy of a large body), and for ``json`` decoded with
    ``encoding`` (strictly: a ``UnicodeDecodeError`` for the caller) or, by default, as ``json.loads`` does."""
    try:
        value = _FAST_DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError):
        value = _FAILED
    if value is _FAILED:
        if isinstance(data, bytes):
            data = data.decode(encoding) if encoding else data.decode(json.detect_encoding(data), "surrogatepass")
        try:
            value = _DECODER.decode(data)
        except RecursionError:
            raise ValueError(f"arrays and objects may be nested at most {MAX_DEPTH} deep") from None
    if (type(value) is dict or type(value) is list) and not _shallow(data, value):
        _check_depth(value)
    if type(value) is list and not may_hold_unstorable_text(data):
        return CheckedArray(value)
    return value


def may_hold_unstorable_text(data: bytes | str) -> bool:
    """Whether the JSON text ``data`` has an escape that can make a string break the text rule (a JSON text holds
    no raw control character nor lone surrogate: only ``\\u0000`` and surrogate escapes can)."""
    if isinstance(data, bytes):
        return _UNSTORABLE_ESCAPE_BYTES.search(data) is not None
    return _UNSTORABLE_ESCAPE.search(data) is not None


def _shallow(data: bytes | str, value: Any) -> bool:
    """Whether a batch (an array of objects) is certainly within :data:`MAX_DEPTH`, from its text alone: its array
    and its objects make two levels, and every deeper level needs one more bracket in the text (brackets inside
    strings only raise the count), so the depth is at most 2 plus the brackets beyond those. A flat batch of any
    size passes with two scans of the text in C; so does a record (an object: one level per bracket at most)."""
    if type(value) is list and set(map(type, value)) - {dict}:
        return False
    opening = data.count(b"[") + data.count(b"{") if isinstance(data, bytes) else data.count("[") + data.count("{")
    if type(value) is dict:
        return opening <= MAX_DEPTH
    return 2 + opening - 1 - len(value) <= MAX_DEPTH


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
        if not body or body.isspace():  # (no copy of a large body)
            raise ParseError(self.empty_message)
        try:
            return loads(body, encoding="utf-8")
        except UnicodeDecodeError:
            raise ParseError("Request body is not UTF-8 encoded JSON.") from None
        except ValueError as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None
