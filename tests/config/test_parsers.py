"""The JSON reader shared by both APIs: the nesting bound is exact, whatever mixes arrays and objects."""

from __future__ import annotations

import pytest

from config.api.parsers import MAX_DEPTH, loads


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
