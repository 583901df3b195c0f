"""The care-case rules of the admin (issue 24) that VBA's API does not enforce: what a case's priority means, and what
closing a case requires. The API keeps VBA's contract (free text, nothing required to close); the admin's forms apply
these rules, and README.md's care-case admin section documents both.
"""

from __future__ import annotations

import datetime as dt

from config.admin.codes import code_key

#: What a case's priority means (VBA stores a bare number; the meanings are ours, shown in the admin's form and list).
#: A stored value outside 1–5 (the API accepts any whole number) is shown as it is.
PRIORITIES: dict[int, str] = {1: "Urgent", 2: "High", 3: "Medium", 4: "Low", 5: "Routine"}
PRIORITY_CHOICES: list[tuple[str, str]] = [(str(n), f"{n} – {meaning}") for n, meaning in PRIORITIES.items()]


def priority_label(value: int | None) -> str:
    """``2`` → "2 – High"; a value without a meaning as it is; "–" for none."""
    if value is None:
        return "–"
    meaning = PRIORITIES.get(value)
    return f"{value} – {meaning}" if meaning else str(value)


def is_closed_status(status: str | None) -> bool:
    """A status means closed when, ignoring case, spaces and punctuation, it is "CLOSE" or begins with "CLOSED"
    ("CLOSED", "Closed", "closed-gm"); "CLOSING" or "OPEN" do not."""
    key = code_key(status or "")
    return key == "close" or key.startswith("closed")


def close_problems(status: str | None, end_date: dt.datetime | None, close_reason: str | None) -> dict[str, str]:
    """What a case with ``status`` lacks to be closed, by field name (empty when it is not closed or has both): an
    end date and a close reason."""
    if not is_closed_status(status):
        return {}
    problems = {}
    if end_date is None:
        problems["case_end_date"] = f"A closed case (status {status}) needs an end date: enter the date it closed."
    if not (close_reason or "").strip():
        problems["case_close_reason"] = f"A closed case (status {status}) needs a close reason: say why it closed."
    return problems
