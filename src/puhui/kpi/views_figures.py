"""Pages of the imported figures (upload, template, manual entry, history) and the branch annual plans.

Thin: parse, call one service or selector, render. Outside the user's scope: 404; a role without the right: 403."""

import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from puhui.core.selectors import business_date_current
from puhui.kpi import figure_selectors as fs
from puhui.kpi import figure_workbook as wb
from puhui.kpi.figures import (
    FigureRefused,
    branch_targets_set,
    figure_enter,
    figure_upload,
    problem_text,
    template_texts,
)
from puhui.kpi.forms_figures import BranchPlanForm, FigureEntryForm, FigureUploadForm
from puhui.kpi.models import FigureUpload
from puhui.kpi.selectors import target_met
from puhui.org import roles
from puhui.web.views import staff_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reader(request) -> None:
    fs.figures_read_check(request.user)


def _enterer(request) -> None:
    if not fs.user_may_enter_figures(request.user):
        raise PermissionDenied


def _source_labels() -> list[tuple[str, str]]:
    return [(s, label) for s, label in FigureUpload.SourceSystem.choices if s in wb.FILE_SOURCES]


@staff_required
@require_GET
def figures_index(request):
    """导入数据: the current figures in the user's scope, the recent uploads, links to upload and enter."""
    _reader(request)
    context = {
        "figures": fs.figures_current(user=request.user),
        "uploads": fs.uploads_recent(user=request.user, limit=10),
        "names": fs.scope_names(),
        "may_enter": fs.user_may_enter_figures(request.user),
    }
    return render(request, "kpi/figures/index.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def figures_upload(request):
    _enterer(request)
    posted = request.method == "POST"
    form = FigureUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.xlsx"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                result = figure_upload(
                    path=path,
                    file_name=upload.name,
                    source_system=form.cleaned_data["source_system"],
                    user=request.user,
                )
            except FigureRefused as exc:
                messages.error(request, exc.message)
            else:
                return redirect("kpi_figures:upload-detail", pk=result.upload.pk)
    sources = [(s, label, fs.source_indicators(s)) for s, label in _source_labels()]
    return render(request, "kpi/figures/upload.html", {"form": form, "sources": sources})


@staff_required
@require_GET
def figures_template(request, source: str):
    _reader(request)
    if source not in wb.FILE_SOURCES:
        raise Http404
    stream = io.BytesIO()
    wb.template_write(stream, indicators=fs.source_indicators(source), texts=template_texts())
    stream.seek(0)
    label = FigureUpload.SourceSystem(source).label
    name = _("%(source)s monthly figures template.xlsx") % {"source": label}
    return FileResponse(stream, as_attachment=True, filename=name, content_type=XLSX)


def _error_rows(upload: FigureUpload) -> list[dict]:
    return [
        {
            "line": error["line"],
            "cells": error["cells"],
            "reason": "；".join(problem_text(code, params) for code, params in error["problems"]),
        }
        for error in upload.errors
    ]


@staff_required
@require_GET
def upload_detail(request, pk: int):
    _reader(request)
    upload = fs.upload_get(user=request.user, pk=pk)
    context = {
        "upload": upload,
        "errors": _error_rows(upload),
        "unchanged": upload.rows_total - upload.rows_applied - upload.rows_rejected,
        "headers": wb.HEADERS,
    }
    return render(request, "kpi/figures/upload_detail.html", context)


@staff_required
@require_GET
def upload_errors(request, pk: int):
    _reader(request)
    upload = fs.upload_get(user=request.user, pk=pk)
    if not upload.errors:
        raise Http404
    stream = io.BytesIO()
    wb.error_workbook_write(stream, [(tuple(e["cells"]), e["reason"]) for e in _error_rows(upload)])
    stream.seek(0)
    return FileResponse(stream, as_attachment=True, filename=_("figure import errors.xlsx"), content_type=XLSX)


def _scope_choices(user) -> list[tuple[str, str]]:
    names = fs.scope_names()
    allowed = fs.figure_scope_checker(user)
    keys = sorted(k for k in names if allowed(k))
    keys.sort(key=lambda k: ("city", "branch", "township").index(k.split(":")[0]))
    return [(key, names[key]) for key in keys]


@staff_required
@require_http_methods(["GET", "POST"])
def figures_enter(request):
    """手工录入: one figure, with the same checks and the same supersession as a file row."""
    _enterer(request)
    form = FigureEntryForm(
        request.POST if request.method == "POST" else None,
        indicators=fs.imported_indicators(),
        scopes=_scope_choices(request.user),
        initial={"period": business_date_current()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            figure = figure_enter(
                user=request.user,
                indicator_code=data["indicator"],
                scope=data["scope"],
                period=data["period"],
                value=data["value"],
                note=data["note"],
            )
        except FigureRefused as exc:
            messages.error(request, exc.message)
        else:
            if figure is None:
                messages.info(request, _("The value is already the current one: nothing changed."))
            else:
                messages.success(request, _("The figure was saved."))
            url = reverse("kpi_figures:history", args=[data["indicator"], data["scope"]])
            return redirect(url)
    return render(request, "kpi/figures/enter.html", {"form": form})


@staff_required
@require_GET
def figures_history(request, code: str, scope: str):
    _reader(request)
    indicator, versions = fs.figure_history(user=request.user, indicator_code=code, scope=scope)
    context = {
        "indicator": indicator,
        "scope": scope,
        "scope_name": fs.scope_names().get(scope, scope),
        "versions": versions,
    }
    return render(request, "kpi/figures/history.html", context)


def _city_shown(target, indicator, *, wan: bool = False) -> dict | None:
    if target is None:
        return None
    shown = fs.value_shown(target.value, indicator.unit, wan=wan)
    return {"value": shown, "year": target.year, "note": target.note}


def _year(request) -> int:
    text = request.GET.get("year", "")
    if text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    return business_date_current().year


@staff_required
@require_GET
def branch_plans(request):
    """年度实施计划: each branch's targets of a year beside the city target and the actual values."""
    _reader(request)
    year = _year(request)
    branches = fs.branches_visible(user=request.user)
    date = min(business_date_current(), business_date_current().replace(year=year, month=12, day=31))
    actuals, computed = fs.branch_actuals(user=request.user, branches=branches, date=date)
    targets = fs.branch_targets(branches=branches, year=year)
    city = fs.city_targets(year)
    rows = []
    for indicator in fs.branch_indicators():
        cells = []
        for branch in branches:
            target = targets.get((branch.pk, indicator.pk))
            value = target.value if target else None
            actual = actuals.get((branch.pk, indicator.code))
            cells.append(
                {
                    "target": fs.value_shown(value, indicator.unit, wan=True),
                    "note": target.note if target else "",
                    "actual": fs.value_shown(actual, indicator.unit, wan=True),
                    "met": target_met(indicator, actual, value),
                }
            )
        city_target = _city_shown(city.get(indicator.pk), indicator, wan=True)
        rows.append({"indicator": indicator, "city": city_target, "cells": cells})
    context = {
        "year": year,
        "years": sorted({*fs.plan_years(), year, business_date_current().year}),
        "branches": branches,
        "rows": rows,
        "as_of": date,
        "computed": computed,
        "own_branch": request.user.branch if request.user.has_role(roles.BRANCH_MANAGER) else None,
    }
    return render(request, "kpi/figures/branch_plans.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def branch_plan_edit(request, code: str, year: int):
    """The branch manager enters own branch's targets of the year, the city target beside each."""
    branch = fs.branch_get(user=request.user, code=code)
    if not (request.user.has_role(roles.BRANCH_MANAGER) and request.user.branch_id == branch.pk):
        raise PermissionDenied
    if not 2000 <= year <= 2100:
        raise Http404
    indicators = fs.branch_indicators()
    existing = fs.branch_targets(branches=[branch], year=year)
    initial = {i.code: (t.value, t.note) for i in indicators if (t := existing.get((branch.pk, i.pk)))}
    data = request.POST if request.method == "POST" else None
    form = BranchPlanForm(data, indicators=indicators, initial_values=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = branch_targets_set(
                user=request.user, branch=branch, year=year, values=form.cleaned_data["values"]
            )
        except FigureRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(count)d targets saved.") % {"count": changed})
            return redirect(f"{reverse('kpi_figures:branch-plans')}?year={year}")
    city = fs.city_targets(year)
    rows = [(i, value, note, _city_shown(city.get(i.pk), i)) for i, value, note in form.rows()]
    return render(
        request, "kpi/figures/branch_plan_edit.html", {"branch": branch, "year": year, "rows": rows, "form": form}
    )
