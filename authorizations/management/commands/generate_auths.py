"""``manage.py generate_auths --count N --database DB``: fill a VBA database with realistic synthetic Auths, fast.

PostgreSQL: ``COPY … FROM STDIN`` in chunks (one transaction each), then ``VACUUM (ANALYZE)``. SQLite: ``executemany``
in chunks. Every NOT NULL column and many nullable ones are set; values are varied and skewed the way real data is
(a few statuses dominate, providers are Zipf-like, subscribers have a few auths each over several years).

Keys are ``<prefix><9 digits>``, numbered after the highest key of that form already present, so a second run adds
rows instead of colliding. By default each chunk also gets its history rows ('+', one per Auth, written by one
``INSERT … SELECT`` from the rows just copied, as every other write path of the project leaves them).

Each Auth is decided with one of the payer's decision codes (:data:`authorizations.vba.demo.DECISION_CODES`, created
first through the batch engine where missing) and has the status of that code's action; it gets 1 to
``--lines-per-auth`` procedure lines (CPT codes of its service, the Auth's units split over them, approved as its
decision allows), 1 to ``--diagnoses-per-auth`` diagnoses (distinct ICD-10-CM codes of its service, then common
comorbidities; the first one primary) and 0 to ``--reviews-per-auth`` reviews, copied with the Auths in the same
chunk, with their history rows. The lines' and reviews' int32 keys are reserved from the key sequence the API assigns
from (after the largest key in use), so the API never hands out one of them; a diagnosis's key is its three key
fields (:func:`~authorizations.vba.models.diag_key`). The diagnoses have a random source of their own: the same seed
gives the same Auths, lines and reviews whatever ``--diagnoses-per-auth`` is.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator, Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, models, transaction

from authorizations.vba.demo import DECISION_CODES
from authorizations.vba.models import AUTH_ACTIONS, Auth, AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview, diag_key
from authorizations.vba.services import AUTH_CODE, AUTH_PROC_CODES, AUTH_REVIEW
from config.records.batch import Mode, batch_upsert
from config.records.commands import vba_database_option
from config.records.counting import tables_written
from config.records.generating import (
    copy_line,
    copy_rows,
    history_of_range,
    insert_rows,
    progress,
    reserve_keys,
    vacuum_analyze,
)
from config.records.writers import insert_history, table_sql
from config.serving.tenancy import use_vba_database

KEY_DIGITS = 9
GENERATOR_USER = "generate_auths"
FIRST_DAY = dt.date(2020, 1, 1)
SPAN_DAYS = (dt.date(2026, 3, 31) - FIRST_DAY).days
DAYS = [(FIRST_DAY + dt.timedelta(days=d)).isoformat() for d in range(SPAN_DAYS + 400)]

#: The statuses an Auth takes when decided (AUTH_ACTIONS' words), and how often.
STATUSES = (("APPROVED", 62), ("PENDED", 12), ("DENIED", 10), ("PARTIAL", 8), ("VOIDED", 8))
ACTION_OF = {word: letter for letter, (word, _text) in AUTH_ACTIONS.items()}
AUTH_TYPES = (("OUTPT", 45), ("INPT", 20), ("RX", 12), ("DME", 10), ("HH", 8), ("SNF", 5))
SERVICES = (("PT", "THERAPY", "PT"), ("OT", "THERAPY", "OT"), ("MRI", "IMAGING", "DX"), ("SURG", "SURGERY", "OP"))
LOCATIONS = ("OFFC", "HOSP", "HOME", "SNF", "ASC")
FREQUENCIES = ("WEEKLY", "DAILY", "MONTHLY", "ONCE")
UNIT_TYPES = ("VISITS", "DAYS", "UNITS")
PLANS = ("PLAN-A", "PLAN-B", "PLAN-C", "PLAN-D", "PLAN-E", "PLAN-F")
APPROVED_LIKE = {"APPROVED", "PARTIAL"}
#: Procedure lines by the Auth's service code: (CPT code, modifier1, modifier2).
PROCEDURES: dict[str, tuple[tuple[str, str | None, str | None], ...]] = {
    "PT": (("97110", "GP", None), ("97140", "GP", "59"), ("97530", "GP", None), ("97112", "GP", None)),
    "OT": (("97535", "GO", None), ("97530", "GO", None), ("97140", "GO", "59"), ("97165", "GO", None)),
    "MRI": (("73721", "RT", None), ("73721", "LT", None), ("70553", None, None), ("72148", "26", None)),
    "SURG": (("29881", "RT", None), ("27447", "LT", None), ("29827", "RT", None), ("63030", None, None)),
}
#: ICD-10-CM diagnoses by the Auth's service code (those that justify its procedures), then common comorbidities.
DIAGNOSES: dict[str, tuple[str, ...]] = {
    # low back pain; muscle weakness; pain in right knee; lumbar radiculopathy; gait abnormality; lumbar sprain
    "PT": ("M54.50", "M62.81", "M25.561", "M54.16", "R26.89", "S33.5XXA"),
    # muscle weakness; hemiplegia after stroke; carpal tunnel (right); rotator cuff tear (right); hand osteoarthritis
    "OT": ("M62.81", "I69.351", "G56.01", "M75.101", "M19.041"),
    # knee pain; medial meniscus tear; headache; lumbar radiculopathy; migraine; old meniscus tear
    "MRI": ("M25.561", "S83.241A", "R51.9", "M54.16", "G43.909", "M23.221"),
    # medial meniscus tear; knee osteoarthritis; rotator cuff tear; lumbar spinal stenosis; old meniscus tear
    "SURG": ("S83.241A", "M17.11", "M75.121", "M48.061", "M23.221"),
}
COMORBIDITIES = ("I10", "E11.9", "E66.9", "E78.5")  # hypertension; type 2 diabetes; obesity; hyperlipidemia
DIAGNOSIS_TYPE = "ICD10"
LINE_COLUMNS = [
    *("auth_proc_codes_key", "auth_number", "exclude_modifier_match", "modifier1", "modifier2", "modifier3"),
    *("modifier4", "procedure_cluster", "procedure_code", "units_actual", "units_approved", "units_requested"),
    *("entry_date", "entry_user", "update_date", "update_user"),
]
DIAGNOSIS_COLUMNS = [
    *("auth_diag_codes_key", "auth_number", "diagnostic_code", "diagnostic_code_type", "disable_provider_match"),
    *("entry_date", "entry_user", "primary_diag", "update_date", "update_user", "disable_diag_code_match"),
]
REVIEW_COLUMNS = [
    *("auth_review_key", "auth_number", "review_comment", "review_date", "review_level", "review_severity"),
    *("review_status", "review_type", "review_urgency_type", "review_user"),
    *("entry_date", "entry_user", "update_date", "update_user"),
]
REVIEW_LEVELS = ("L1 NURSE REVIEW", "L2 PHYSICIAN REVIEW", "L3 APPEAL REVIEW")
REVIEW_TYPES = ("PROSPECTIVE", "PROSPECTIVE", "CONCURRENT", "RETROSPECTIVE")
REVIEW_COMMENTS = (
    "Received; intake complete, routed for clinical review.",
    "Clinical notes reviewed against criteria.",
    "Peer-to-peer offered to the ordering provider.",
    "Decision letter sent to member and provider.",
)


def _weighted(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [value for value, weight in pairs for _ in range(weight)]


STATUS_POOL, TYPE_POOL = _weighted(STATUSES), _weighted(AUTH_TYPES)
MODELS = (Auth, AuthProcCodes, AuthDiagCodes, AuthReview)

#: Columns every generated row gets the same value for (keeps generation cheap; the varied ones are below).
CONSTANTS: dict[str, Any] = {
    "actual_location": None,
    "additional_visits": None,
    "audit_flag": "N",
    "auto_accident": "N",
    "body_code_id": None,
    "case_index_actual": None,
    "case_index_denied": None,
    "city_code_id": None,
    "drg_category": None,
    "drg_code": None,
    "daily_living": None,
    "discharge_date": None,
    "federal_id": None,
    "ivr_flag": "N",
    "injury_date": None,
    "monthly_amount": None,
    "narrative": None,
    "other_coverage_primary": "N",
    "other_insurance": "N",
    "previous_auth": None,
    "prior_auth": None,
    "radiating_pain": None,
    "range_of_motion": None,
    "referred_by_name": None,
    "reins_notification_date": None,
    "total_actual": None,
    "total_approved": None,
    "total_requested": None,
    "total_unit_type": None,
    "type_of_service": None,
    "tplan_downloaded_date": None,
    "tplan_downloaded_user": None,
    "work_related": "N",
    "entry_user": GENERATOR_USER,
}


def _stamp(day: int, minute: int) -> str:
    """A datetime as naive UTC text (what both backends accept for a UTC session / Django's SQLite storage)."""
    return f"{DAYS[day]} {minute // 60 % 24:02d}:{minute % 60:02d}:00"


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class AuthGenerator:
    """Rows of one run; the data's shape scales with ``count`` (subscribers ≈ count/4, providers ≈ count/200)."""

    def __init__(
        self,
        prefix: str,
        count: int,
        seed: int,
        codes: dict[str, list[str]] | None = None,
        lines_per_auth: int = 0,
        reviews_per_auth: int = 0,
        copy_text: bool = False,
        diagnoses_per_auth: int = 0,
    ) -> None:
        self.prefix, self.rng = prefix, random.Random(seed)
        self.subscribers = max(1, count // 4)
        self.providers = max(5, count // 200)
        self.attnames = table_sql(Auth, "postgresql").attnames
        self.varied = [a for a in self.attnames if a not in CONSTANTS]
        unknown = set(CONSTANTS) - set(self.attnames)
        assert not unknown, unknown
        #: the decision codes of each status (the first one most often)
        self.codes = codes or {word: [f"C{letter}"] for letter, (word, _text) in AUTH_ACTIONS.items()}
        self.lines_per_auth, self.reviews_per_auth = lines_per_auth, reviews_per_auth
        self.diagnoses_per_auth, self.diagnosis_rng = diagnoses_per_auth, random.Random(seed + 1)
        # the lines, diagnoses and reviews are built as tuples in their tables' column order, written here by hand
        assert table_sql(AuthProcCodes, "postgresql").attnames == LINE_COLUMNS
        assert table_sql(AuthDiagCodes, "postgresql").attnames == DIAGNOSIS_COLUMNS
        assert table_sql(AuthReview, "postgresql").attnames == REVIEW_COLUMNS
        self.copy_text = copy_text
        self.true: Any = "t" if copy_text else True
        self.false: Any = "f" if copy_text else False
        #: the lines, diagnoses and reviews of the Auths :meth:`rows` made since :meth:`take_children`
        self.lines: list[Any] = []
        self.diagnoses: list[Any] = []
        self.reviews: list[Any] = []

    def key(self, n: int) -> str:
        return f"{self.prefix}{n:0{KEY_DIGITS}d}"

    def varied_values(self, n: int) -> dict[str, Any]:
        r = self.rng.random
        status = STATUS_POOL[int(r() * len(STATUS_POOL))]
        approved = status in APPROVED_LIKE
        received = int(r() * SPAN_DAYS)
        minute = 420 + int(r() * 660)  # 07:00–18:00
        requested_from = received + 1 + int(r() * 30)
        requested_thru = requested_from + 30 + int(r() * 150)
        decided = received + int(r() * 14)
        updated = decided + int(r() * 60)
        subscriber = int(r() * self.subscribers)
        provider = int(r() ** 1.5 * self.providers)  # a few providers ask for most auths
        service_code, service_type, treatment = SERVICES[int(r() * len(SERVICES))]
        units = 4 + int(r() * 40)
        cents = 10000 + int(r() * 900000)
        seq = r()
        member_seq = "01" if seq < 0.6 else "02" if seq < 0.85 else f"{3 + int(r() * 4):02d}"
        closed = received < SPAN_DAYS - 365 and r() < 0.8
        has_case = r() < 0.3
        decided_stamp = _stamp(decided, minute + 90) if status != "PENDED" else None
        codes = self.codes[status]
        code = codes[0] if len(codes) == 1 or r() < 0.6 else codes[1 + int(r() * (len(codes) - 1))]
        lines = self._lines(n, service_code, status, units, closed, received, minute) if self.lines_per_auth else None
        if self.reviews_per_auth:
            self._reviews(n, status, received, decided, minute)
        if self.diagnoses_per_auth:
            self._diagnoses(n, service_code, received, minute)
        # the units approved: the lines' sum, or (without lines) what the decision grants
        approved_units = lines if lines is not None else {"PARTIAL": units // 2, "DENIED": 0}.get(status, units)
        return {
            "auth_number": self.key(n),
            "actual_from": _stamp(requested_from, 540) if closed else None,
            "actual_thru": _stamp(requested_thru, 540) if closed else None,
            "amount_actual": _money(cents // 2) if closed else None,
            "amount_approved": (_money(cents // 2) if status == "PARTIAL" else _money(cents)) if approved else None,
            "amount_denied": _money(cents)
            if status == "DENIED"
            else _money(cents // 2)
            if status == "PARTIAL"
            else None,
            "amount_requested": _money(cents),
            "approved_by": f"reviewer{int(r() * 40)}" if approved else None,
            "approved_date": decided_stamp if approved else None,
            "approved_frequency": FREQUENCIES[units % 4] if approved else None,
            "approved_from": _stamp(requested_from, 0) if approved else None,
            "approved_location": LOCATIONS[units % 5] if approved else None,
            "approved_thru": _stamp(requested_thru, 0) if approved else None,
            "assigned_user": f"nurse{int(r() * 25)}",
            "auth_code": code,
            "auth_type": TYPE_POOL[int(r() * len(TYPE_POOL))],
            "care_manager_key": 1 + int(r() * 300),
            "case_index_approved": "1" if approved else None,
            "case_index_requested": "1",
            "case_number": f"CS{n // 3:09d}" if has_case else None,
            "closed": closed,
            "denied_from": _stamp(requested_from, 0) if status == "DENIED" else None,
            "denied_thru": _stamp(requested_thru, 0) if status == "DENIED" else None,
            "entry_date": _stamp(received, minute + 5),
            "member_seq": member_seq,
            "new_or_extended": r() < 0.7,
            "notes": f"Auth for {service_type.lower()}, {units} {UNIT_TYPES[units % 3].lower()}"
            if r() < 0.25
            else None,
            "ordered_by_id": f"PRV{provider:06d}",
            "ordered_by_name": f"Dr. Provider {provider}",
            "payee_id": f"PAY{provider % 2000:05d}",
            "plan_id": PLANS[subscriber % len(PLANS)],
            "previous_treatment": r() < 0.2,
            "provider_id": f"PRV{provider:06d}",
            "received_date": _stamp(received, minute),
            "referred_by_id": f"PRV{int(r() * self.providers):06d}" if r() < 0.4 else None,
            "region": "NSEW"[subscriber % 4],
            "requested_frequency": FREQUENCIES[units % 4],
            "requested_from": _stamp(requested_from, 0),
            "requested_location": LOCATIONS[units % 5],
            "requested_thru": _stamp(requested_thru, 0),
            "service_code": service_code,
            "service_type": service_type,
            "status": status,
            "subscriber_id": f"{(subscriber * 7919 + 12345) % 900_000_000 + 100_000_000:09d}",
            "tplan_downloaded": r() < 0.1,
            "tplan_printed": "Y" if r() < 0.3 else "N",
            "tplan_printed_date": decided_stamp if approved and units % 3 == 0 else None,
            "treatment_type": treatment,
            "unit_type": UNIT_TYPES[units % 3],
            "units_actual": str(approved_units // 2) if closed and approved else None,
            "units_approved": str(approved_units) if approved else None,
            "units_denied": str(units - approved_units) if status in ("DENIED", "PARTIAL") else None,
            "units_requested": str(units),
            "update_date": _stamp(updated, minute + 200),
            "update_user": f"nurse{int(r() * 25)}",
            "urgent": r() < 0.08,
            "visits_actual": str(units // 2) if closed else None,
            "visits_approved": str(units) if approved else None,
            "visits_requested": str(units),
            "visits_to_date": str(units // 2) if closed else None,
        }

    def _lines(self, n: int, service: str, status: str, units: int, closed: bool, received: int, minute: int) -> int:
        """1 to ``lines_per_auth`` lines of Auth ``n`` sharing its ``units``; returns the units approved in all."""
        r = self.rng.random
        count = min(units, 1 + int(r() * self.lines_per_auth))
        procedures = PROCEDURES[service]
        first = int(r() * len(procedures))
        stamp = _stamp(received, minute + 5)
        number = self.key(n)
        total = 0
        for i in range(count):
            code, mod1, mod2 = procedures[(first + i) % len(procedures)]
            requested = units // count + (units % count if i == 0 else 0)
            if status == "APPROVED":
                granted: int | None = requested
            elif status == "PARTIAL":
                granted = requested // 2 if i == 0 else requested
            elif status == "DENIED":
                granted = 0
            else:
                granted = None
            total += granted or 0
            used = str(granted // 2) if closed and granted else None
            self.lines.append(
                self._child(
                    (
                        number,
                        self.true if mod1 is None else self.false,  # exclude_modifier_match
                        mod1,
                        mod2,
                        None,
                        None,
                        None,  # modifier3, modifier4, procedure_cluster
                        code,
                        used,  # units_actual
                        None if granted is None else str(granted),
                        str(requested),
                        stamp,
                        GENERATOR_USER,
                        stamp,
                        GENERATOR_USER,
                    )
                )
            )
        return total

    def _reviews(self, n: int, status: str, received: int, decided: int, minute: int) -> None:
        """0 to ``reviews_per_auth`` reviews of Auth ``n``, between its receipt and its decision; the last one of a
        decided Auth says the decision, a pended Auth's last one is open."""
        r = self.rng.random
        count = int(r() * (self.reviews_per_auth + 1))
        number = self.key(n)
        for i in range(count):
            last = i == count - 1
            level = min(i + (1 if status in ("DENIED", "PARTIAL") and last else 0), len(REVIEW_LEVELS) - 1)
            day = received + (decided - received) * (i + 1) // count
            stamp = _stamp(day, minute + 30 + 20 * i)
            if last and status != "PENDED":
                comment = f"Decision: {status.lower()}."
            else:
                comment = REVIEW_COMMENTS[int(r() * len(REVIEW_COMMENTS))]
            self.reviews.append(
                self._child(
                    (
                        number,
                        comment,
                        stamp,  # review_date
                        REVIEW_LEVELS[level],
                        ("LOW", "MODERATE", "HIGH")[int(r() * 3)],  # review_severity
                        "OPEN" if last and status == "PENDED" else "COMPLETE",  # review_status
                        REVIEW_TYPES[int(r() * len(REVIEW_TYPES))],
                        "STANDARD",  # review_urgency_type
                        f"{'md' if level else 'nurse'}{int(r() * 25)}",  # review_user
                        stamp,
                        GENERATOR_USER,
                        stamp,
                        GENERATOR_USER,
                    )
                )
            )

    def _diagnoses(self, n: int, service: str, received: int, minute: int) -> None:
        """1 to ``diagnoses_per_auth`` distinct diagnoses of Auth ``n`` (at most as many as there are codes): codes of
        its service from a random one on, then comorbidities; the first one is primary. Each row holds its key."""
        r = self.diagnosis_rng.random
        codes = DIAGNOSES[service]
        pool = codes[int(r() * len(codes)) :] + COMORBIDITIES
        count = min(len(pool), 1 + int(r() * self.diagnoses_per_auth))
        number, stamp = self.key(n), _stamp(received, minute + 5)
        for i, code in enumerate(pool[:count]):
            values = (
                *(diag_key(number, code, DIAGNOSIS_TYPE), number, code, DIAGNOSIS_TYPE, self.false),
                *(stamp, GENERATOR_USER, "Y" if i == 0 else "N", stamp, GENERATOR_USER, self.false),
            )
            self.diagnoses.append(self._child(values))

    def _child(self, values: tuple[Any, ...]) -> Any:
        """A line's or review's values but its key (first), in column order: ``COPY`` text for PostgreSQL."""
        if not self.copy_text:
            return values
        return "\t".join(["\\N" if v is None else v for v in values])

    def take_children(self) -> tuple[list[Any], list[Any], list[Any]]:
        """The lines, diagnoses and reviews made since the last call; lines and reviews without their keys, diagnoses
        with theirs (:meth:`_child`)."""
        lines, diagnoses, reviews = self.lines, self.diagnoses, self.reviews
        self.lines, self.diagnoses, self.reviews = [], [], []
        return lines, diagnoses, reviews

    def rows(self, start: int, count: int) -> Iterator[tuple[Any, ...]]:
        """Rows ``start`` … ``start + count - 1`` as tuples in the table's column order."""
        columns = self.attnames
        for n in range(start, start + count):
            values = self.varied_values(n)
            yield tuple(values[a] if a in values else CONSTANTS[a] for a in columns)


def next_number(using: str, prefix: str) -> int:
    """One past the highest ``<prefix><9 digits>`` key already in the table (1 if none)."""
    sql = table_sql(Auth, connections[using].vendor)
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "_" * KEY_DIGITS
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT {sql.pk_column} FROM {sql.table} WHERE {sql.pk_column} LIKE %s ESCAPE '\\' "
            f"ORDER BY {sql.pk_column} DESC",
            [like],
        )
        for (key,) in cursor:
            digits = key[len(prefix) :]
            if digits.isdigit() and len(digits) == KEY_DIGITS:
                return int(digits) + 1
    return 1


def write_chunk(using: str, generator: AuthGenerator, start: int, count: int, *, history: bool) -> tuple[int, int, int]:
    """Auths ``start`` … ``start + count - 1`` with their lines, diagnoses and reviews, in one transaction; returns
    how many lines, diagnoses and reviews."""
    connection = connections[using]
    postgres = connection.vendor == "postgresql"
    rows = generator.rows(start, count)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL synchronous_commit = off")
            copy_rows(cursor, table_sql(Auth, connection.vendor), (copy_line(row) for row in rows))
        else:
            insert_rows(cursor, table_sql(Auth, connection.vendor), rows)
        lines, diagnoses, reviews = generator.take_children()
        written: list[tuple[type[models.Model], Sequence[Any]]] = [
            (Auth, [generator.key(n) for n in range(start, start + count)])
        ]
        if diagnoses:  # (their keys are in the rows)
            sql = table_sql(AuthDiagCodes, connection.vendor)
            (copy_rows if postgres else insert_rows)(cursor, sql, diagnoses)
            key_of = (lambda row: row.split("\t", 1)[0]) if postgres else (lambda row: row[0])
            written.append((AuthDiagCodes, [key_of(row) for row in diagnoses]))
        for resource, records in ((AUTH_PROC_CODES, lines), (AUTH_REVIEW, reviews)):
            sql = table_sql(resource.spec.model, connection.vendor)
            keys = reserve_keys(resource, using, len(records))
            if not records:
                continue
            if postgres:
                copy_rows(cursor, sql, (f"{key}\t{text}" for key, text in zip(keys, records, strict=True)))
            else:
                insert_rows(cursor, sql, ((key, *values) for key, values in zip(keys, records, strict=True)))
            written.append((resource.spec.model, keys))
        if history:
            now = dt.datetime.now(dt.UTC)
            for model, keys_written in written:
                if isinstance(keys_written, range):  # a line's or review's: one range scan of the key index
                    history_of_range(model, using, keys_written, now)
                else:
                    insert_history(model, using, [("+", keys_written)], user_id=None, when=now, activity_id=None)
    return len(lines), len(diagnoses), len(reviews)


def decision_codes(using: str) -> dict[str, list[str]]:
    """The codes of :data:`~authorizations.vba.demo.DECISION_CODES` that the database lacks, created through the batch
    engine (with their history rows); a code it has is kept as it is. Returns the codes of each status: those of
    the list whose action in the database is the status's."""
    items = [{"auth_Code": code, "auth_Action": action, "description": text} for code, action, text in DECISION_CODES]
    batch_upsert(AUTH_CODE, items, user=None, mode=Mode.CREATE)  # an existing code: 409, kept
    actions = dict(
        AuthCode.objects.using(using)
        .filter(pk__in=[c for c, _a, _t in DECISION_CODES])
        .values_list("pk", "auth_action")
    )
    codes: dict[str, list[str]] = {}
    for word, letter in ACTION_OF.items():
        codes[word] = [code for code, _action, _text in DECISION_CODES if actions.get(code) == letter]
        if not codes[word]:
            raise CommandError(
                f"No decision code of action {letter} ({word}) among {', '.join(c for c, _a, _t in DECISION_CODES)}: "
                "the database gives them other actions"
            )
    return codes


class Command(BaseCommand):
    help = (
        "Fill a VBA database with realistic synthetic Auths (COPY on PostgreSQL, executemany on SQLite), keys "
        "<prefix><9 digits> after the highest existing one, each decided with one of the demo's decision codes "
        "(created where missing), with 1 to --lines-per-auth procedure lines, 1 to --diagnoses-per-auth diagnoses "
        "and 0 to --reviews-per-auth reviews, and a '+' history row per record unless --no-history; VACUUM (ANALYZE) "
        "at the end on PostgreSQL (ANALYZE inside a transaction)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, required=True, help="how many Auths to add")
        parser.add_argument("--database", required=True, help="the VBA database to fill")
        parser.add_argument("--prefix", default="GEN", help="key prefix (default GEN): keys are GEN000000001, …")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
        parser.add_argument("--chunk-size", type=int, default=None, help="rows per transaction (50000 PG, 5000 SQLite)")
        parser.add_argument(
            "--history",
            action="store_true",
            default=True,
            help="write one '+' history row per Auth, as every write path does (default)",
        )
        parser.add_argument("--no-history", dest="history", action="store_false", help="write no history rows")
        parser.add_argument(
            "--lines-per-auth",
            type=int,
            default=4,
            help="each Auth gets 1 to N procedure lines (default 4; 0: none)",
        )
        parser.add_argument(
            "--diagnoses-per-auth",
            type=int,
            default=2,
            help="each Auth gets 1 to N distinct ICD-10 diagnoses, the first one primary (default 2; 0: none)",
        )
        parser.add_argument(
            "--reviews-per-auth", type=int, default=3, help="each Auth gets 0 to N reviews (default 3; 0: none)"
        )

    def handle(self, *args: Any, count: int, database: str, prefix: str, seed: int, **options: Any) -> None:
        vba_database_option(database)
        if count < 0:
            raise CommandError("--count must be at least 0")
        width = Auth._meta.get_field("auth_number").max_length or 20
        if not prefix or len(prefix) + KEY_DIGITS > width or any(c in prefix for c in "\t\n\\"):
            raise CommandError(f"--prefix must be 1 to {width - KEY_DIGITS} plain characters")
        vendor = connections[database].vendor
        chunk_size = options["chunk_size"] or (50_000 if vendor == "postgresql" else 5_000)
        history = options["history"]
        lines_per_auth, reviews_per_auth = options["lines_per_auth"], options["reviews_per_auth"]
        diagnoses_per_auth = options["diagnoses_per_auth"]
        if min(lines_per_auth, diagnoses_per_auth, reviews_per_auth) < 0:
            raise CommandError("--lines-per-auth, --diagnoses-per-auth and --reviews-per-auth must be at least 0")
        started = time.perf_counter()
        with use_vba_database(database):
            first = next_number(database, prefix)
            if first + count - 1 >= 10**KEY_DIGITS:
                raise CommandError(f"--prefix {prefix!r} has no room for {count} more keys; pick another prefix")
            codes = decision_codes(database)
            generator = AuthGenerator(
                prefix,
                count,
                seed,
                codes,
                lines_per_auth,
                reviews_per_auth,
                copy_text=vendor == "postgresql",
                diagnoses_per_auth=diagnoses_per_auth,
            )
            lines = diagnoses = reviews = 0
            with progress(self.stdout, "generate_auths", count) as advance:
                for start in range(first, first + count, chunk_size):
                    size = min(chunk_size, first + count - start)
                    more = write_chunk(database, generator, start, size, history=history)
                    lines, diagnoses, reviews = lines + more[0], diagnoses + more[1], reviews + more[2]
                    advance(size)
            written = time.perf_counter() - started
            for model in MODELS:  # the lists' counts reused from before are stale now
                tables_written(database, model)
            maintenance = vacuum_analyze(database, MODELS)  # (PostgreSQL only)
        total = time.perf_counter() - started
        keys = f"{generator.key(first)} … {generator.key(first + count - 1)}" if count else "none"
        self.stdout.write(
            f"generate_auths: {count} Auths ({keys}), {lines} procedure lines, {diagnoses} diagnoses and {reviews} "
            f"reviews into "
            f"{database} ({vendor}), {'with' if history else 'without'} history, in {written:.1f} s"
            + (f"; {maintenance} {total - written:.1f} s" if vendor == "postgresql" else "")
        )
