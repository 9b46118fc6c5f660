"""household_import: the village register workbook into households and members (DOMAIN §8).

Set-based: one read of the workbook, one pass of pure checks, a few IN-queries per chunk, bulk writes.
Each chunk of households commits on its own with the job's progress, so the progress bar moves and a
rerun after a crash picks up where it stopped (people are keyed by ID number, households by number).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from puhui.core import ids
from puhui.core.models import JobRun
from puhui.core.pii_store import blind_index
from puhui.households import register
from puhui.households.completeness import person_is_collected
from puhui.households.import_messages import ImportRefused, problem_text
from puhui.households.models import Household, Person
from puhui.households.profile_rules import member_facts
from puhui.households.services import ID_INDEX, PHONE_INDEX, households_completeness_refresh
from puhui.households.workbooks import error_workbook_write, register_rows_read
from puhui.org.models import Grid, Village

CHUNK_HOUSEHOLDS = 2000


@dataclass
class ImportResult:
    imported_households: int = 0
    imported_persons: int = 0
    rejected_households: int = 0
    rejected_rows: int = 0
    error_report: Path | None = None

    def as_dict(self, error_report_url: str | None) -> dict:
        return {
            "imported_households": self.imported_households,
            "imported_persons": self.imported_persons,
            "rejected_households": self.rejected_households,
            "rejected_rows": self.rejected_rows,
            "error_report_url": error_report_url,
        }


def household_import(*, path: Path, user, job: JobRun | None = None, error_path: Path | None = None) -> ImportResult:
    """Import a register workbook as `user`. Raises ImportRefused (nothing changed) for an unusable file."""
    today = timezone.localdate()
    rows = [register.row_parse(line, cells, today=today) for line, cells in register_rows_read(path)]
    if not rows:
        raise ImportRefused(_("The workbook has no data rows under the header."))
    households = register.households_group(rows)
    villages = _villages_check(households, user)
    _database_conflicts_check(households, villages)
    good = [h for h in households if h.is_valid]
    bad = [h for h in households if not h.is_valid]
    _progress(job, total=len(rows), done=sum(len(h.rows) for h in bad))
    result = ImportResult(rejected_households=len(bad), rejected_rows=sum(1 for r in rows if r.problems))
    for start in range(0, len(good), CHUNK_HOUSEHOLDS):
        chunk = good[start : start + CHUNK_HOUSEHOLDS]
        with transaction.atomic():
            result.imported_persons += _chunk_write(chunk, villages, user)
            result.imported_households += len(chunk)
            _progress(job, done_increment=sum(len(h.rows) for h in chunk))
    if bad:
        result.error_report = error_workbook_write(bad, error_path or _default_error_path(path), problem_text)
    return result


def _villages_check(households, user) -> dict[str, Village]:
    codes = {row.village_code for h in households for row in h.rows}
    villages = {v.code: v for v in Village.objects.filter(code__in=codes).select_related("township")}
    in_scope = set(Village.objects.visible_to(user).filter(code__in=codes).values_list("code", flat=True))
    township_of = {code: v.township.code for code, v in villages.items()}
    register.villages_check(households, township_of=township_of, in_scope=in_scope)
    return villages


def _database_conflicts_check(households, villages: dict[str, Village]) -> None:
    """An ID number may not belong to a person of another household; an existing head stays the head."""
    index_rows = {}
    for household in households:
        for row in household.rows:
            if row.id_number:
                index_rows[blind_index(row.id_number, purpose=ID_INDEX)] = (household, row)
    for chunk in _chunks(list(index_rows), 5000):
        for id_index, village_id, number in Person.objects.filter(id_index__in=chunk).values_list(
            "id_index", "household__village_id", "household__number"
        ):
            household, row = index_rows[id_index]
            village = villages.get(household.village_code)
            if village is None or (village.pk, household.number) != (village_id, number):
                row.refuse("id_in_other_household")
    _existing_heads_check(households, villages, index_rows)


def _existing_heads_check(households, villages, index_rows) -> None:
    keys = {(villages[h.village_code].pk, h.number): h for h in households if h.village_code in villages}
    if not keys:
        return
    heads = Person.objects.filter(
        relation=Person.Relation.HEAD,
        household__village_id__in={k[0] for k in keys},
        household__number__in={k[1] for k in keys},
    ).values_list("household__village_id", "household__number", "id_index")
    for village_id, number, head_index in heads:
        household = keys.get((village_id, number))
        if household is None or not any(r.relation == "head" for r in household.rows):
            continue
        head_row = household.head
        if head_row.id_number and blind_index(head_row.id_number, purpose=ID_INDEX) != head_index:
            head_row.refuse("household_has_other_head")


def _chunk_write(chunk, villages: dict[str, Village], user) -> int:
    targets = _households_upsert(chunk, villages, user)
    persons = _persons_upsert(chunk, targets)
    households_completeness_refresh([t.pk for t in targets])
    return persons


def _households_upsert(chunk, villages, user) -> list[Household]:
    """The chunk's households, created or updated from the head's row; returned in chunk order."""
    keys = [(villages[h.village_code].pk, h.number) for h in chunk]
    found = _households_by_key(keys)
    grids = _grid_for_village({k[0] for k in keys}, user)
    now = timezone.now()
    new, changed = [], []
    for household, key in zip(chunk, keys, strict=True):
        target = found.get(key) or Household(
            village_id=key[0], number=household.number, grid_id=grids[key[0]], created_by=user
        )
        for name, value in household.head.money.items():
            setattr(target, name, value)
        target.is_low_income = household.head.is_low_income
        target.updated_at = now
        (changed if target.pk else new).append(target)
    Household.objects.bulk_create(new, batch_size=1000)
    Household.objects.bulk_update(changed, HOUSEHOLD_FIELDS, batch_size=1000)
    if any(h.pk is None for h in new):  # a backend that returns no ids from bulk inserts
        found = _households_by_key(keys)
        return [found[key] for key in keys]
    by_key = {(h.village_id, h.number): h for h in new + changed}
    return [by_key[key] for key in keys]


HOUSEHOLD_FIELDS = [name for name, _ in register.MONEY_COLUMNS] + ["is_low_income", "updated_at"]
PERSON_FIELDS = [
    "household",
    "relation",
    "name",
    "id_number",
    "id_masked",
    "phone",
    "phone_index",
    "phone_masked",
    "occupation",
    "birth_date",
    "sex",
    "is_collected",
    "updated_at",
]


def _households_by_key(keys) -> dict[tuple[int, str], Household]:
    households = Household.objects.filter(village_id__in={k[0] for k in keys}, number__in={k[1] for k in keys})
    return {(h.village_id, h.number): h for h in households}


def _grid_for_village(village_ids: set[int], user) -> dict[int, int]:
    """The uploader's own grid in the village when there is one, else the village's first grid."""
    first: dict[int, int] = {}
    own: dict[int, int] = {}
    grids = Grid.objects.filter(village_id__in=village_ids).order_by("code")
    for grid_id, village_id, manager_id in grids.values_list("pk", "village_id", "account_manager_id"):
        first.setdefault(village_id, grid_id)
        if manager_id == user.pk:
            own.setdefault(village_id, grid_id)
    return first | own


def _persons_upsert(chunk, targets: list[Household]) -> int:
    keyed = [
        (blind_index(row.id_number, purpose=ID_INDEX), target, row)
        for household, target in zip(chunk, targets, strict=True)
        for row in household.rows
    ]
    existing = {p.id_index: p for p in Person.objects.filter(id_index__in=[k for k, _, _ in keyed])}
    now = timezone.now()
    new, changed = [], []
    for id_index, target, row in keyed:
        person = existing.get(id_index) or Person(id_index=id_index)
        _person_fill(person, target, row, now)
        (changed if person.pk else new).append(person)
    Person.objects.bulk_create(new, batch_size=1000)
    Person.objects.bulk_update(changed, PERSON_FIELDS, batch_size=1000)
    return len(keyed)


def _person_fill(person: Person, household: Household, row: register.RegisterRow, now) -> None:
    person.household = household
    person.relation = row.relation
    person.name = row.name
    person.id_number = row.id_number
    person.id_masked = ids.mask_resident_id(row.id_number)
    person.phone = row.phone
    person.phone_index = blind_index(row.phone, purpose=PHONE_INDEX) if row.phone else ""
    person.phone_masked = ids.mask_phone(row.phone) if row.phone else ""
    person.occupation = row.occupation
    person.birth_date, person.sex = row.birth_date, row.sex
    person.is_collected = person_is_collected(
        member_facts(is_head=row.relation == "head", name=row.name, id_number=row.id_number, phone=row.phone)
    )
    person.updated_at = now


def _progress(job: JobRun | None, *, total: int | None = None, done: int = 0, done_increment: int = 0) -> None:
    if job is None:
        return
    if total is not None:
        job.total = total
    job.done = done if done_increment == 0 else job.done + done_increment
    JobRun.objects.filter(pk=job.pk).update(total=job.total, done=job.done)


def _default_error_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-错误.xlsx")


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
