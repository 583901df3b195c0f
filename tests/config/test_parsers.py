"""The JSON reader shared by both APIs: the nesting bound is exact, whatever mixes arrays and objects; its two
decoders read the same values."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.records import parsers
from config.records.parsers import MAX_DEPTH, CheckedArray, loads


def nested(depth: int, leaf: str = "1") -> str:
    text = leaf
    for level in range(depth):
        text = f'{{"k{level}": {text}, "flat": "x"}}' if level % 2 else f'["x", {text}, 2.5]'
    return text


@pytest.mark.parametrize("depth", [1, 2, MAX_DEPTH - 1, MAX_DEPTH])
def test_documents_nested_up_to_the_bound_are_read(depth: int) -> None:
    value = loads(nested(depth))
    for level in reversed(range(depth)):
        value = value[f"k{level}"] if level % 2 else value[1]
    assert value == 1


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, MAX_DEPTH + 2, 5000])
def test_documents_nested_beyond_the_bound_are_refused(depth: int) -> None:
    with pytest.raises(ValueError, match=f"arrays and objects may be nested at most {MAX_DEPTH} deep"):
        loads(nested(depth))


def test_a_deep_container_among_many_flat_records_is_found() -> None:
    records = ", ".join(['{"a": 1, "b": "x", "c": null}'] * 500)
    with pytest.raises(ValueError, match="nested at most"):
        loads(f'[{records}, {{"deep": {nested(MAX_DEPTH - 1)}}}]')
    assert len(loads(f'[{records}, {{"deep": {nested(MAX_DEPTH - 2)}}}]')) == 501


def test_scalars_and_empty_containers_are_read() -> None:
    assert loads('"text"') == "text"
    assert loads("[]") == [] and loads("{}") == {}


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = '"' + "[{" * 40 + '"'
    assert loads(f'[{{"notes": {text}}}, {{"notes": {text}}}]') == [{"notes": "[{" * 40}] * 2
    assert loads(f'{{"notes": {text}}}') == {"notes": "[{" * 40}


# -- the two decoders: msgspec's (tried first) reads a subset of what json reads, with the same values --------------

json_numbers = st.from_regex(r"\A-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?\Z")
documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


def both(text: str) -> tuple[Any, Any]:
    try:
        fast: Any = parsers._FAST_DECODER.decode(text)
    except (msgspec.DecodeError, RecursionError):
        fast = "refused"
    try:
        slow: Any = parsers._DECODER.decode(text)
    except (ValueError, RecursionError):
        slow = "refused"
    return fast, slow


@settings(max_examples=400, deadline=None, derandomize=True)
@given(document=documents, ascii_only=st.booleans())
def test_msgspec_reads_every_document_as_json_does(document: Any, ascii_only: bool) -> None:
    fast, slow = both(json.dumps(document, ensure_ascii=ascii_only))
    assert fast == "refused" or fast == slow


@settings(max_examples=300, deadline=None, derandomize=True)
@given(numbers=st.lists(json_numbers, min_size=1, max_size=5))
def test_numbers_are_the_same_decimals_from_both(numbers: list[str]) -> None:
    fast, slow = both("[" + ", ".join(numbers) + "]")
    assert fast == slow and [str(n) for n in fast] == [str(n) for n in slow]  # the same digits and exponent


@pytest.mark.parametrize(
    "text",
    ['"\\udc00"', '"a\\ud800"', '"a\\u0000b"', "NaN", "[Infinity]", '"a\nb"', "[1,]", "01", "\ufeff[1]", "[1] x"],
)
def test_what_msgspec_refuses_json_decides_with_its_own_message(text: str) -> None:
    fast, slow = both(text)
    assert fast in ("refused", slow)
    try:
        expected: Any = ("value", loads_json_only(text))
    except ValueError as exc:
        expected = ("error", str(exc))
    try:
        actual: Any = ("value", loads(text))
    except ValueError as exc:
        actual = ("error", str(exc))
    assert actual == expected


def loads_json_only(text: str) -> Any:
    try:
        return parsers._DECODER.decode(text)
    except RecursionError:
        raise ValueError(f"arrays and objects may be nested at most {MAX_DEPTH} deep") from None


def test_an_array_says_whether_its_text_could_hold_an_unstorable_string() -> None:
    assert isinstance(loads('[{"a": "plain \\u00e9"}]'), CheckedArray)
    for escape in ("\\u0000", "\\ud800", "\\uDFFF", "\\udc00"):
        value = loads(f'[{{"a": "x{escape}"}}]')
        assert type(value) is list, escape
    assert type(loads('[{"a": "\\ud83d\\ude00"}]')) is list  # a valid pair: checked per string, then stored


@pytest.mark.parametrize(
    "text",
    ['[{"a": "plain \\u00e9", "b": 1.50}]', '{"a": [1, 2.5e3]}', '"\\udc00"', "[NaN]", "[1,]", '[{"a": "x\\u0000"}]'],
)
def test_a_body_as_bytes_is_read_as_its_text_is(text: str) -> None:
    def read(data: bytes | str) -> Any:
        try:
            value = loads(data, encoding="utf-8") if isinstance(data, bytes) else loads(data)
            return type(value).__name__, value
        except ValueError as exc:
            return "error", str(exc)

    assert read(text.encode()) == read(text)


def test_a_body_that_is_not_utf8_is_a_unicode_error_for_the_caller() -> None:
    with pytest.raises(UnicodeDecodeError):
        loads(b'["\xed\xa0\x80"]', encoding="utf-8")  # an encoded surrogate: not UTF-8
    assert loads(b'["\xc3\xa9"]', encoding="utf-8") == ["é"]
