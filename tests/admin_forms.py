"""Submit an admin form as a browser would: every field of the rendered ``<form>`` with the value it shows."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any


class _FormParser(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside = form_id, False
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._select_value = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            value = self._select_value if self._select_value is not None else self._first_option
            if value is not None:
                self.data.append((self._select, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            text = text[1:] if text.startswith("\n") else text
            self.data.append((self._textarea, text.replace("\r\n", "\n").replace("\n", "\r\n")))  # as browsers send
            self._textarea = None


def submitted(html: str, form_id: str) -> dict[str, Any]:
    """What the browser would post for the form ``form_id`` of ``html`` untouched (a name sent twice → a list)."""
    parser = _FormParser(form_id)
    parser.feed(html)
    data: dict[str, Any] = {}
    for name, value in parser.data:
        if name in data:
            data[name] = [*(data[name] if isinstance(data[name], list) else [data[name]]), value]
        else:
            data[name] = value
    return data


def version_in(html: str) -> dict[str, str]:
    """The record version a records page carries (its hidden ``_record_version``), to post with the fields a test
    fills in itself: a post without it is refused as a page that does not say what it showed."""
    match = re.search(r'name="_record_version" value="([^"]*)"', html)
    assert match, "the page carries no record version"
    return {"_record_version": match.group(1)}


def read_version(client: Any, url: str) -> dict[str, str]:
    """:func:`version_in` of the page at ``url`` as ``client`` reads it now."""
    return version_in(client.get(url).content.decode())
