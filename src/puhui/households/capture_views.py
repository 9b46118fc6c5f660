"""扫村建档 pages, phone first: household list, household card, forms, reveals, photos, village export.

Scope comes from the selectors (404 outside it); auditors read but never write; full ID numbers, phones and
addresses appear only through an audited reveal by a user holding the reveal permission.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from puhui.core import ids
from puhui.core.audit import audit_access
from puhui.households import selectors, services
from puhui.households.export import village_export_workbook
from puhui.households.forms import HouseholdForm, PersonForm, PhotoForm, errors_add
from puhui.households.models import Household, Person
from puhui.households.photos import photo_add, photo_get
from puhui.households.profile_rules import ProfileInvalid
from puhui.org import roles
from puhui.org.models import Grid
from puhui.org.selectors import village_get
from puhui.web.views import staff_required

REVEAL_PERMISSION = "households.reveal_personal_data"
CAPTURE_ROLES = (roles.HEAD_OFFICE, roles.BRANCH_MANAGER, roles.ACCOUNT_MANAGER, roles.LIAISON)

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MISSING_ITEM_LABELS = {
    "head": gettext_lazy("Head of household"),
    "members_collected": gettext_lazy("Every member collected (name and valid ID)"),
    "head_phone": gettext_lazy("Head's mobile phone"),
    "address": gettext_lazy("Address"),
    "main_industry": gettext_lazy("Main industry"),
    "annual_net_income": gettext_lazy("Annual net income"),
    "total_assets": gettext_lazy("Total assets"),
    "debts": gettext_lazy("Debts"),
    "land_area": gettext_lazy("Land area"),
    "gps": gettext_lazy("Location (GPS)"),
    "photo_house": gettext_lazy("Photo of the house"),
    "photo_family": gettext_lazy("Photo of the family"),
}


def _require_capture(user) -> None:
    """Auditors (and anyone else without a capture role) read only."""
    if not user.has_role(*CAPTURE_ROLES):
        raise PermissionDenied


def _require_reveal(user) -> None:
    if not user.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied


def _abilities(user) -> dict:
    return {
        "can_capture": user.has_role(*CAPTURE_ROLES),
        "can_reveal": user.has_perm(REVEAL_PERMISSION),
        "can_import": user.can_import_register,
    }


@staff_required
@require_GET
def village_households(request, code: str):
    village = village_get(user=request.user, code=code)
    query = request.GET.get("q", "")[:40]
    incomplete = request.GET.get("incomplete") == "1"
    households = selectors.household_search(user=request.user, village=village, query=query, incomplete_only=incomplete)
    page = Paginator(selectors.households_with_head_and_size(households), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"village": village, "page": page, "query": query, "incomplete": incomplete}
    return render(request, "households/household_list.html", context | _abilities(request.user))


@staff_required
@require_GET
def household_detail(request, pk: int):
    household = selectors.household_get(user=request.user, pk=pk)
    members = sorted(household.members.all(), key=lambda m: (m.relation != Person.Relation.HEAD, m.pk))
    context = {
        "household": household,
        "members": members,
        "photos": household.photos.all(),
        "facts": _facts(household),
        "missing": [MISSING_ITEM_LABELS.get(code, code) for code in household.missing_items],
    }
    return render(request, "households/household_detail.html", context | _abilities(request.user))


def _yuan(fen: int | None) -> str:
    """Yuan with thousands separators, as bank staff read amounts: 8600050 → '86,000.50'."""
    if fen is None:
        return "—"
    whole, cents = ids.fen_to_yuan_str(fen).split(".")
    return f"{int(whole):,}.{cents}"


def _facts(household: Household) -> list[tuple[str, str]]:
    land = "—" if household.land_area_mu is None else f"{household.land_area_mu}"
    return [
        (_("Main industry"), household.main_industry or "—"),
        (_("Annual net income (yuan)"), _yuan(household.annual_net_income_fen)),
        (_("Total assets (yuan)"), _yuan(household.total_assets_fen)),
        (_("Debts (yuan)"), _yuan(household.debts_fen)),
        (_("Land area (mu)"), land),
        (_("Low-income household"), _("Yes") if household.is_low_income else _("No")),
    ]


@staff_required
@require_http_methods(["GET", "POST"])
def household_create(request, code: str):
    _require_capture(request.user)
    village = village_get(user=request.user, code=code)
    grids = Grid.objects.visible_to(request.user).filter(village=village).order_by("code")
    form = HouseholdForm(request.POST or None, grids=grids, initial={"grid": grids.first()})
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_save(
                user=request.user, household=Household(village=village), fields=form.household_fields()
            )
        except ProfileInvalid as exc:
            errors_add(form, exc)
        else:
            messages.success(request, _("Household saved."))
            return redirect("household-detail", pk=household.pk)
    context = {"form": form, "village": village, "no_grid": not grids.exists()}
    return render(request, "households/household_form.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk: int):
    _require_capture(request.user)
    household = selectors.household_get(user=request.user, pk=pk)
    form = HouseholdForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_save(user=request.user, household=household, fields=form.household_fields())
        except ProfileInvalid as exc:
            errors_add(form, exc)
        else:
            messages.success(request, _("Household saved."))
            return redirect("household-detail", pk=household.pk)
    context = {"form": form, "village": household.village, "household": household}
    return render(request, "households/household_form.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def person_create(request, pk: int):
    _require_capture(request.user)
    household = selectors.household_get(user=request.user, pk=pk)
    has_head = household.members.filter(relation=Person.Relation.HEAD).exists()
    initial = {"relation": Person.Relation.SPOUSE if has_head else Person.Relation.HEAD}
    form = PersonForm(request.POST or None, initial=initial)
    return _person_form(request, form, household, person=None)


@staff_required
@require_http_methods(["GET", "POST"])
def person_edit(request, pk: int):
    _require_capture(request.user)
    person = selectors.person_get(user=request.user, pk=pk)
    form = PersonForm(request.POST or None, person=person)
    return _person_form(request, form, person.household, person=person)


def _person_form(request, form: PersonForm, household: Household, person: Person | None):
    if request.method == "POST" and form.is_valid():
        try:
            services.person_save(user=request.user, household=household, person=person, **form.person_values())
        except ProfileInvalid as exc:
            errors_add(form, exc)
        else:
            messages.success(request, _("Member saved."))
            return redirect("household-detail", pk=household.pk)
    context = {"form": form, "household": household, "person": person}
    return render(request, "households/person_form.html", context)


@staff_required
@require_POST
def person_delete(request, pk: int):
    _require_capture(request.user)
    person = selectors.person_get(user=request.user, pk=pk)
    household_pk = person.household_id
    services.person_delete(user=request.user, person=person)
    messages.success(request, _("Member removed."))
    return redirect("household-detail", pk=household_pk)


@staff_required
@require_http_methods(["GET", "POST"])
def photo_create(request, pk: int):
    _require_capture(request.user)
    household = selectors.household_get(user=request.user, pk=pk)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            photo_add(
                user=request.user,
                household=household,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["image"],
            )
        except ProfileInvalid as exc:
            errors_add(form, exc)
        else:
            messages.success(request, _("Photo saved."))
            return redirect("household-detail", pk=household.pk)
    context = {"form": form, "household": household, "max_mb": settings.PUHUI_PHOTO_MAX_BYTES // (1024 * 1024)}
    return render(request, "households/photo_form.html", context)


@staff_required
@require_POST
def person_reveal(request, pk: int, field: str):
    """The full ID number or phone as an htmx fragment; audited; 403 without the reveal permission."""
    if field not in services.REVEALABLE:
        raise Http404
    _require_reveal(request.user)
    person = selectors.person_get(user=request.user, pk=pk)
    value = services.person_reveal(user=request.user, person=person, field=field)
    return _revealed(request, value)


@staff_required
@require_POST
def household_reveal_address(request, pk: int):
    _require_reveal(request.user)
    household = selectors.household_get(user=request.user, pk=pk)
    value = services.household_reveal_address(user=request.user, household=household)
    return _revealed(request, value)


def _revealed(request, value: str) -> HttpResponse:
    response = render(request, "households/_revealed.html", {"value": value})
    response["Cache-Control"] = "no-store"  # a full ID, phone or address must not linger in a cache
    return response


def _photo_file(request, pk: int, attribute: str) -> FileResponse:
    photo = photo_get(user=request.user, pk=pk)
    field = getattr(photo, attribute)
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@staff_required
@require_GET
def photo_image(request, pk: int):
    return _photo_file(request, pk, "image")


@staff_required
@require_GET
def photo_thumbnail(request, pk: int):
    return _photo_file(request, pk, "thumbnail")


@staff_required
@require_GET
def village_export(request, code: str):
    """The village's households and members in scope as a workbook; ID numbers and phones masked."""
    village = village_get(user=request.user, code=code)
    households = selectors.household_search(user=request.user, village=village).prefetch_related("members")
    with transaction.atomic():
        audit_access(instance=village, actor=request.user, field="households_export")
    content = village_export_workbook(households)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{village.code}-households.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
