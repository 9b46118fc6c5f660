"""Writes to households and members: every change atomic and audited with the acting user."""

import datetime
import uuid
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from puhui.core import ids
from puhui.core.audit import audit_access, set_actor
from puhui.core.models import JobRun
from puhui.core.pii_store import blind_index
from puhui.households.completeness import HouseholdFacts, household_completeness, person_is_collected
from puhui.households.import_messages import ImportRefused
from puhui.households.models import Household, Person, Photo
from puhui.households.profile_rules import ProfileInvalid, member_facts, person_values_clean
from puhui.households.protect import ID_INDEX, PHONE_INDEX
from puhui.households.workbooks import register_precheck


def households_completeness_refresh(household_ids: list[int]) -> None:
    """Recompute 建档完整度, missing items and collected counts for these households, set-based."""
    for start in range(0, len(household_ids), 1000):
        chunk = household_ids[start : start + 1000]
        members: dict[int, list] = {pk: [] for pk in chunk}
        for household_id, relation, name, id_index, phone_index in Person.objects.filter(
            household_id__in=chunk
        ).values_list("household_id", "relation", "name", "id_index", "phone_index"):
            members[household_id].append(
                member_facts(
                    is_head=relation == Person.Relation.HEAD,
                    name=name,
                    id_number=id_index or "",
                    phone=phone_index,
                )
            )
        photos: dict[int, set] = {pk: set() for pk in chunk}
        for household_id, kind in Photo.objects.filter(household_id__in=chunk).values_list("household_id", "kind"):
            photos[household_id].add(kind)
        updates = [
            _completeness_row(row, tuple(members[row["pk"]]), frozenset(photos[row["pk"]]))
            for row in Household.objects.filter(pk__in=chunk)
            .values("pk", *_FACT_FIELDS)
            .annotate(has_address=ExpressionWrapper(~Q(address=""), output_field=BooleanField()))
        ]
        Household.objects.bulk_update(updates, ["completeness", "missing_items", "collected_persons"])


_FACT_FIELDS = (
    "main_industry",
    "annual_net_income_fen",
    "total_assets_fen",
    "debts_fen",
    "land_area_mu",
    "gps_lat",
    "gps_lng",
)


def _completeness_row(row: dict, members: tuple, photo_kinds: frozenset) -> Household:
    facts = HouseholdFacts(
        members=members,
        has_address=bool(row["has_address"]),
        has_main_industry=bool(row["main_industry"]),
        has_income=row["annual_net_income_fen"] is not None,
        has_assets=row["total_assets_fen"] is not None,
        has_debts=row["debts_fen"] is not None,
        has_land_area=row["land_area_mu"] is not None,
        has_gps=row["gps_lat"] is not None and row["gps_lng"] is not None,
        photo_kinds=photo_kinds,
    )
    result = household_completeness(facts)
    return Household(
        pk=row["pk"],
        completeness=result.score,
        missing_items=list(result.missing),
        collected_persons=sum(person_is_collected(m) for m in members),
    )


def household_completeness_refresh(household: Household) -> None:
    """The same for one household after an edit; the instance gets the new figures too."""
    households_completeness_refresh([household.pk])
    fresh = Household.objects.filter(pk=household.pk).values("completeness", "missing_items", "collected_persons")[0]
    for name, value in fresh.items():
        setattr(household, name, value)


@transaction.atomic
def household_save(*, user, household: Household, fields: dict) -> Household:
    """Create (household.pk is None) or update a household's own fields; fields are already clean."""
    with set_actor(user):
        for name, value in fields.items():
            setattr(household, name, value)
        if household.pk is None:
            household.created_by = user
        try:
            with transaction.atomic():
                household.save()
        except IntegrityError as exc:
            raise ProfileInvalid({"number": _("This household number is already used in this village.")}) from exc
        household_completeness_refresh(household)
    return household


@transaction.atomic
def person_save(
    *,
    user,
    household: Household,
    person: Person | None,
    relation: str,
    name: str,
    id_number: str,
    phone: str,
    occupation: str,
    today: datetime.date | None = None,
) -> Person:
    """Add (person None) or change a member. Refuses a second head and an ID number registered elsewhere."""
    values = person_values_clean(name=name, id_number=id_number, phone=phone, today=today or timezone.localdate())
    if relation not in Person.Relation.values:
        raise ProfileInvalid({"relation": _("Choose the relation to the head of household.")})
    person = person or Person(household=household)
    person.relation = relation
    person.name = values.name
    person.occupation = occupation.strip()[:40]
    person_identity_set(person, values.id_number, values.phone)
    person.birth_date, person.sex = values.birth_date, values.sex
    person.is_collected = person_is_collected(
        member_facts(
            is_head=relation == Person.Relation.HEAD,
            name=person.name,
            id_number=person.id_number,
            phone=person.phone,
        )
    )
    with set_actor(user):
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError as exc:
            raise ProfileInvalid(_person_conflict(person)) from exc
        household_completeness_refresh(household)
    return person


def person_identity_set(person: Person, id_number: str, phone: str) -> None:
    """Set the encrypted values with their blind indexes and masks together, so they never disagree."""
    person.id_number = id_number
    person.id_index = blind_index(id_number, purpose=ID_INDEX) if id_number else None
    person.id_masked = ids.mask_resident_id(id_number) if id_number else ""
    person.phone = phone
    person.phone_index = blind_index(phone, purpose=PHONE_INDEX) if phone else ""
    person.phone_masked = ids.mask_phone(phone) if phone else ""


def _person_conflict(person: Person) -> dict[str, str]:
    if person.id_index and Person.objects.filter(id_index=person.id_index).exclude(pk=person.pk).exists():
        return {"id_number": _("This ID number is already registered to another person.")}
    return {"relation": _("This household already has a head.")}


@transaction.atomic
def person_delete(*, user, person: Person) -> None:
    household = person.household
    with set_actor(user):
        person.delete()
        household_completeness_refresh(household)


REVEALABLE = {"id_number", "phone"}


def person_reveal(*, user, person: Person, field: str) -> str:
    """The full value of a member's ID number or phone; the reveal is written to the audit log."""
    if field not in REVEALABLE:
        raise ValueError(field)
    with transaction.atomic():
        audit_access(instance=person, actor=user, field=field)
    return getattr(person, field)


def household_reveal_address(*, user, household: Household) -> str:
    with transaction.atomic():
        audit_access(instance=household, actor=user, field="address")
    return household.address


def import_input_path(suffix: str = ".xlsx") -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex}{suffix}"


@transaction.atomic
def household_import_start(*, user, upload) -> JobRun:
    """Check and keep an uploaded register workbook, then queue its import. ImportRefused: nothing kept."""
    from puhui.households.tasks import household_import_job

    if upload.size > settings.PUHUI_IMPORT_MAX_BYTES:
        raise ImportRefused(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.PUHUI_IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    path = import_input_path()
    with path.open("wb") as handle:
        for piece in upload.chunks():
            handle.write(piece)
    try:
        register_precheck(path)
    except ImportRefused:
        path.unlink(missing_ok=True)
        raise
    with set_actor(user):
        job = JobRun.objects.create(
            kind="household_import", owner=user, input_name=(upload.name or "")[:255], input_path=str(path)
        )
    transaction.on_commit(lambda: household_import_job.enqueue(job.pk))
    return job
