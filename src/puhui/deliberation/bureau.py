"""征信 (credit bureau) adapters for eligibility screening (DOMAIN §3 step 5) and the batch result file import.

Adapters (``BureauAdapter``): ``facts_for(person_ids, on)`` gives each person's latest ``BureauRecord`` queried on
or before ``on`` as ``BureauFacts``; a person with no such record is absent (screening lists ``bureau_missing``).
``CsvBureau`` is the real one — its records come from the bank's batch query result file through
``bureau_csv_import``; ``DemoBureau`` draws deterministic records from a seed. Both read every stored record,
whatever its source: the latest fact known on the day is what counts.

The batch query result file (批量查询结果文件, also docs/bureau-csv.md):

- CSV, comma-separated, double quotes for quoting; encoding UTF-8 (with or without a BOM) or, when the bytes are
  not valid UTF-8, GB18030 (what Excel on Chinese Windows writes); at most ``PUHUI_IMPORT_MAX_BYTES``,
  ``MAX_ROWS`` data rows and lines of ``MAX_LINE`` characters (checked before the file is split into cells).
- Row 1 is the header, exactly (each name trimmed of surrounding spaces):
  ``身份证号,查询日期,当前逾期,不良余额,服刑,涉毒,被诉,逾期结清日期``.
- One row per person and query date; blank rows are skipped. Row numbers count the header as row 1.

  ======== ============================================================================================
  身份证号  resident ID (GB 11643, checked like everywhere else; lowercase x accepted) of a person
           registered on the platform, found by its blind index
  查询日期  YYYY-MM-DD, the day the bureau was queried; not in the future (nor, when the import is given
           a batch date, another day)
  当前逾期  是 / 否 — a current overdue
  不良余额  是 / 否 — a non-performing balance, on or off balance sheet
  服刑      是 / 否 — serving a sentence
  涉毒      是 / 否 — a drug record
  被诉      是 / 否 — defendant in litigation
  逾期结清日期 YYYY-MM-DD or empty — the day the last overdue was settled; not after 查询日期
  ======== ============================================================================================

A file that cannot be read as such a CSV (too large, empty, binary, undecodable, wrong header, no data rows)
raises ``BureauFileRefused`` and changes nothing. Otherwise each bad row is listed with its row number, its ID
masked (``3307**********001X``) and every reason; the good rows are written in one transaction (all of them or
none). A person has one record a query date: a rerun of the same file updates in place and counts the rows that
are already identical as ``unchanged``.
"""

import codecs
import csv
import datetime
import io
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from puhui.core import ids
from puhui.core.pii_store import pii_cipher
from puhui.core.validation_messages import invalid_value_message
from puhui.deliberation.eligibility import BureauFacts, months_before
from puhui.deliberation.models import BureauRecord
from puhui.households.models import Person
from puhui.households.protect import ID_INDEX

HEADER = ("身份证号", "查询日期", "当前逾期", "不良余额", "服刑", "涉毒", "被诉", "逾期结清日期")
FLAG_COLUMNS = (
    ("当前逾期", "current_overdue"),
    ("不良余额", "non_performing"),
    ("服刑", "serving_sentence"),
    ("涉毒", "drug_record"),
    ("被诉", "litigation_defendant"),
)
FLAG_FIELDS = tuple(name for _column, name in FLAG_COLUMNS)
FACT_FIELDS = (*FLAG_FIELDS, "settled_overdue_on")
YES, NO = "是", "否"
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LOOKUP_CHUNK = 900  # keys per IN-query: below SQLite's historical 999-parameter limit
WRITE_BATCH = 1000
MAX_ROWS = 100_000  # a batch query covers a few townships; the whole file is checked in memory before writing
MAX_LINE = 1000  # a row is under 100 characters; a much longer line is not a result row
LONG_LINE = re.compile(rf"(?<![^\r\n])[^\r\n]{{{MAX_LINE + 1}}}")  # tried at line starts only


class BureauAdapter(Protocol):
    """Where screening gets bureau facts from."""

    def facts_for(self, person_ids: list[int], on: datetime.date) -> dict[int, BureauFacts]: ...


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RecordedBureau:
    """Facts from the stored ``BureauRecord`` rows: per person, the latest queried on or before the day."""

    def facts_for(self, person_ids: list[int], on: datetime.date) -> dict[int, BureauFacts]:
        latest: dict[int, tuple] = {}
        for chunk in _chunks(sorted(set(person_ids)), LOOKUP_CHUNK):
            rows = (
                BureauRecord.objects.filter(person_id__in=chunk, queried_on__lte=on)
                .order_by("person_id", "queried_on")
                .values_list("person_id", "queried_on", *FACT_FIELDS)
            )
            for person_id, *values in rows:  # ascending dates: the last one seen is the latest
                latest[person_id] = values
        return {
            person_id: BureauFacts(queried_on=queried_on, **dict(zip(FACT_FIELDS, facts, strict=True)))
            for person_id, (queried_on, *facts) in latest.items()
        }


def facts_for(person_ids: list[int], on: datetime.date) -> dict[int, BureauFacts]:
    """The platform's bureau facts: the stored records, whichever adapter wrote them."""
    return RecordedBureau().facts_for(person_ids, on)


class CsvBureau(RecordedBureau):
    """The real adapter: records come from the bank's batch query result file (``bureau_csv_import``)."""

    def import_file(self, *, path: Path, user, queried_on: datetime.date | None = None) -> "BureauImportResult":
        return bureau_csv_import(path=path, user=user, queried_on=queried_on)


@dataclass(frozen=True)
class DemoBureau(RecordedBureau):
    """The demo adapter: per person, facts drawn from (seed, person id) alone, so a rerun draws the same."""

    seed: int = 2016
    # share of people with each fact; independent draws, so a person may carry several
    rates: tuple[tuple[str, float], ...] = (
        ("current_overdue", 0.02),
        ("non_performing", 0.01),
        ("litigation_defendant", 0.03),
        ("drug_record", 0.003),
        ("serving_sentence", 0.002),
    )
    settled_overdue_rate: float = 0.05
    settled_within_months: int = 48  # spread both sides of the 24-month look-back

    def facts_draw(self, person_id: int, on: datetime.date) -> BureauFacts:
        rng = random.Random(f"puhui-demo-bureau:{self.seed}:{person_id}")  # str seeds hash stably (SHA-512)
        flags = {name: rng.random() < rate for name, rate in self.rates}
        settled = None
        if rng.random() < self.settled_overdue_rate:
            month = months_before(on, rng.randint(0, self.settled_within_months - 1))
            settled = max(month - datetime.timedelta(days=rng.randint(0, 27)), datetime.date(1900, 1, 1))
        return BureauFacts(queried_on=on, settled_overdue_on=settled, **flags)

    def records_create(self, person_ids: list[int], *, queried_on: datetime.date, user=None) -> int:
        """Demo records for these people queried on a day; people who already have one that day keep it."""
        wanted = sorted(set(person_ids))
        with transaction.atomic():
            existing = set()
            for chunk in _chunks(wanted, LOOKUP_CHUNK):
                existing.update(
                    BureauRecord.objects.filter(person_id__in=chunk, queried_on=queried_on).values_list(
                        "person_id", flat=True
                    )
                )
            records = [
                _record(person_id, self.facts_draw(person_id, queried_on), BureauRecord.Source.DEMO, "", user)
                for person_id in wanted
                if person_id not in existing
            ]
            BureauRecord.objects.bulk_create(records, batch_size=WRITE_BATCH, ignore_conflicts=True)
        return len(records)


def _record(person_id: int, facts: BureauFacts, source: str, source_file: str, user) -> BureauRecord:
    return BureauRecord(
        person_id=person_id,
        queried_on=facts.queried_on,
        source=source,
        source_file=source_file,
        imported_by=user,
        **{name: getattr(facts, name) for name in FACT_FIELDS},
    )


class BureauFileRefused(Exception):
    """The file as a whole cannot be imported (not a CSV, wrong header, empty, too large): nothing changed."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class BureauImportResult:
    applied: int = 0  # rows created or updated
    unchanged: int = 0  # rows already stored exactly so
    rejected_rows: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list)  # (row, masked ID, reasons)


ROW_MESSAGES = {
    "columns": gettext_lazy("The row has %(count)d columns; it must have %(expected)d."),
    "date_required": gettext_lazy("%(column)s is missing."),
    "date_format": gettext_lazy("%(column)s must be a date written as YYYY-MM-DD, such as 2017-06-30."),
    "date_future": gettext_lazy("%(column)s is in the future."),
    "date_other_batch": gettext_lazy("查询日期 differs from the query date of this batch, %(date)s."),
    "flag_value": gettext_lazy("%(column)s must be 是 or 否."),
    "settled_after_query": gettext_lazy("逾期结清日期 is after 查询日期."),
    "person_unknown": gettext_lazy("This ID number does not belong to any person on the platform."),
    "repeated": gettext_lazy("This ID number with the same 查询日期 already appears in row %(line)d."),
}


def reason_text(code: str, **params) -> str:
    """The translated text of a row problem."""
    return str(ROW_MESSAGES[code]) % params if params else str(ROW_MESSAGES[code])


@dataclass
class _Row:
    line: int
    masked_id: str
    problems: list[str] = field(default_factory=list)
    id_number: str = ""
    facts: BureauFacts | None = None
    person_id: int | None = None


def bureau_csv_import(
    *, path: Path, user, queried_on: datetime.date | None = None, today: datetime.date | None = None
) -> BureauImportResult:
    """Import a batch query result file as ``user``; ``queried_on``: the batch's date, when every row must carry it.

    Raises BureauFileRefused (nothing changed) for a file that is not such a CSV."""
    today = today or timezone.localdate()
    rows = [_row_parse(line, cells, today=today, queried_on=queried_on) for line, cells in _csv_records(Path(path))]
    _persons_match(rows)
    _repeats_refuse(rows)
    good = [row for row in rows if not row.problems]
    result = BureauImportResult(
        rejected_rows=[(row.line, row.masked_id, tuple(row.problems)) for row in rows if row.problems]
    )
    with transaction.atomic():
        result.applied, result.unchanged = _apply(good, user=user, source_file=Path(path).name[:255])
    return result


def _csv_records(path: Path) -> list[tuple[int, list[str]]]:
    """(row number, cells) of the data rows under a correct header; BureauFileRefused otherwise."""
    text = _text_read(path)
    if LONG_LINE.search(text):  # before csv splits it: a line of millions of commas is millions of cells
        raise BureauFileRefused(_("A line of the file is longer than %(max)d characters.") % {"max": MAX_LINE})
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(records, None)
        if header is None:
            raise BureauFileRefused(_("The file is empty."))
        if tuple(cell.strip() for cell in header) != HEADER:
            raise BureauFileRefused(
                _("The first row must be exactly the header %(header)s.") % {"header": ",".join(HEADER)}
            )
        data = []
        for line, cells in enumerate(records, start=2):
            if any(c.strip() for c in cells):
                data.append((line, cells))
                if len(data) > MAX_ROWS:
                    raise BureauFileRefused(_("The file has more than %(max)d data rows.") % {"max": MAX_ROWS})
    except csv.Error as exc:
        raise BureauFileRefused(_not_csv()) from exc
    if not data:
        raise BureauFileRefused(_("The file has no data rows under the header."))
    return data


def _not_csv() -> str:
    return _("The file is not a CSV text file: save it as CSV (UTF-8 or GB18030) and upload it again.")


def _text_read(path: Path) -> str:
    limit = settings.PUHUI_IMPORT_MAX_BYTES
    try:
        if path.stat().st_size > limit:
            raise BureauFileRefused(_("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
        data = path.read_bytes()
    except OSError as exc:
        raise BureauFileRefused(_("The file cannot be read.")) from exc
    if not data.strip():
        raise BureauFileRefused(_("The file is empty."))
    if b"\x00" in data:  # a workbook or other binary file; no text encoding here puts NUL in a CSV
        raise BureauFileRefused(_not_csv())
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8) :], ("utf-8",))
    return _decode(data, ("utf-8", "gb18030"))


def _decode(data: bytes, encodings: tuple[str, ...]) -> str:
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BureauFileRefused(_not_csv())


def _row_parse(line: int, cells: list[str], *, today: datetime.date, queried_on: datetime.date | None) -> _Row:
    cells = [cell.strip() for cell in cells]
    row = _Row(line=line, masked_id=ids.mask_resident_id(cells[0].upper() if cells else ""))
    if len(cells) != len(HEADER):
        row.problems.append(reason_text("columns", count=len(cells), expected=len(HEADER)))
        return row
    id_cell, date_cell, *flag_cells, settled_cell = cells
    try:
        row.id_number = ids.resident_id_parse(id_cell, today=today).number
    except ids.InvalidValue as exc:
        row.problems.append(invalid_value_message(exc))
    query_date = _date_parse(date_cell, HEADER[1], row.problems, required=True)
    if query_date is not None and query_date > today:
        row.problems.append(reason_text("date_future", column=HEADER[1]))
    if query_date is not None and queried_on is not None and query_date != queried_on:
        row.problems.append(reason_text("date_other_batch", date=queried_on.isoformat()))
    flags = {}
    for (column, name), cell in zip(FLAG_COLUMNS, flag_cells, strict=True):
        if cell in (YES, NO):
            flags[name] = cell == YES
        else:
            row.problems.append(reason_text("flag_value", column=column))
    settled = _date_parse(settled_cell, HEADER[7], row.problems, required=False)
    if settled is not None and query_date is not None and settled > query_date:
        row.problems.append(reason_text("settled_after_query"))
    if not row.problems:
        row.facts = BureauFacts(queried_on=query_date, settled_overdue_on=settled, **flags)
    return row


def _date_parse(cell: str, column: str, problems: list[str], *, required: bool) -> datetime.date | None:
    if not cell:
        if required:
            problems.append(reason_text("date_required", column=column))
        return None
    try:
        if DATE_PATTERN.fullmatch(cell):
            return datetime.date.fromisoformat(cell)
    except ValueError:
        pass  # 2017-02-30 and the like: shaped right, not a day
    problems.append(reason_text("date_format", column=column))
    return None


def _persons_match(rows: list[_Row]) -> None:
    """The person of each valid ID, by blind index in a few IN-queries: plaintext IDs are never scanned."""
    cipher = pii_cipher()
    wanted: dict[str, list[_Row]] = {}
    for row in rows:
        if row.id_number:
            wanted.setdefault(cipher.blind_index(row.id_number, purpose=ID_INDEX), []).append(row)
    found: dict[str, int] = {}
    for chunk in _chunks(list(wanted), LOOKUP_CHUNK):
        found.update(Person.objects.filter(id_index__in=chunk).values_list("id_index", "pk"))
    for index, group in wanted.items():
        for row in group:
            if index in found:
                row.person_id = found[index]
            else:
                row.problems.append(reason_text("person_unknown"))


def _repeats_refuse(rows: list[_Row]) -> None:
    # Two rows for one person and day would race for one record; the first good one is kept.
    first: dict[tuple[int, datetime.date], int] = {}
    for row in rows:
        if row.problems:
            continue
        key = (row.person_id, row.facts.queried_on)
        if key in first:
            row.problems.append(reason_text("repeated", line=first[key]))
        else:
            first[key] = row.line


def _apply(rows: list[_Row], *, user, source_file: str) -> tuple[int, int]:
    """Write the rows that differ from what is stored; (applied, unchanged). The caller holds the transaction."""
    stored = _stored([(row.person_id, row.facts.queried_on) for row in rows])
    csv_source = BureauRecord.Source.CSV
    changed = [
        row for row in rows if stored.get((row.person_id, row.facts.queried_on)) != (csv_source, _values(row.facts))
    ]
    records = [_record(row.person_id, row.facts, csv_source, source_file, user) for row in changed]
    for batch in _chunks(records, WRITE_BATCH):
        _records_write(batch)
    return len(changed), len(rows) - len(changed)


def _values(facts: BureauFacts) -> tuple:
    return tuple(getattr(facts, name) for name in FACT_FIELDS)


def _stored(keys: list[tuple[int, datetime.date]]) -> dict[tuple[int, datetime.date], tuple]:
    """(person, day) → (source, fact values) of the records already stored for these keys."""
    wanted = set(keys)
    stored = {}
    # By person only: a person has a handful of records, and a day filter would add parameters per day.
    for chunk in _chunks(sorted({person for person, _day in wanted}), LOOKUP_CHUNK):
        rows = BureauRecord.objects.filter(person_id__in=chunk).values_list(
            "person_id", "queried_on", "source", *FACT_FIELDS
        )
        for person_id, day, source, *values in rows:
            if (person_id, day) in wanted:
                stored[(person_id, day)] = (source, tuple(values))
    return stored


def _records_write(records: Sequence[BureauRecord]) -> None:
    # An upsert on (person, queried_on): a concurrent import of the same file cannot make a duplicate.
    BureauRecord.objects.bulk_create(
        records,
        update_conflicts=True,
        unique_fields=["person", "queried_on"],
        update_fields=[*FACT_FIELDS, "source", "source_file", "imported_by", "imported_at"],
    )
