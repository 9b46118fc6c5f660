"""Writes of the imported figures and the branch annual plans (DOMAIN §6).

An imported figure is never changed or deleted: a new value for the same indicator, scope and date is a new
row and the current one points to it (``superseded_by``). Rows with the value already current add nothing, so
the same file uploaded twice applies nothing new. The good rows of a file apply in one transaction; the bad
ones are listed with every reason and none of them is written.
"""

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from auditlog.models import LogEntry
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from puhui.core import upload_limits
from puhui.core.audit import set_actor
from puhui.core.errors import RuleRefused
from puhui.core.selectors import business_date_current
from puhui.kpi import figure_workbook as wb
from puhui.kpi.figure_selectors import (
    catalogue_facts,
    figure_scope_checker,
    figure_scope_resolver,
    user_may_enter_figures,
)
from puhui.kpi.models import BranchTarget, FigureUpload, ImportedFigure, Indicator
from puhui.org import roles

ROW_MESSAGES = {
    "formula": gettext_lazy("The row holds a formula: paste the figures as values."),
    "code_missing": gettext_lazy("指标代码 is empty."),
    "code_unknown": gettext_lazy("指标代码 %(indicator)s does not exist."),
    "internal_only": gettext_lazy("%(indicator)s is computed by the platform from its own data and is not imported."),
    "other_source": gettext_lazy("%(indicator)s belongs to the %(source_label)s template, not to this file's system."),
    "scope_missing": gettext_lazy("范围 is empty: write 全市, a township code or a branch code."),
    "scope_unknown": gettext_lazy("范围 %(scope)s is neither 全市 nor a known township or branch code."),
    "scope_outside": gettext_lazy("范围 %(scope)s is outside your scope."),
    "scope_level": gettext_lazy("%(indicator)s is not reported per %(level_label)s."),
    "date_missing": gettext_lazy("截至日期 is empty."),
    "bad_date": gettext_lazy("截至日期 must be a date written YYYY-MM-DD."),
    "date_after_business_date": gettext_lazy("截至日期 cannot be after the business date %(date)s."),
    "not_number": gettext_lazy("数值 is not a number."),
    "negative": gettext_lazy("数值 cannot be negative."),
    "too_large": gettext_lazy("数值 is too large."),
    "percent_range": gettext_lazy(
        "A percentage must lie between 0%% and 100%%: %(shown)s would be %(percent)s%%. Type 85.3 in the "
        "percent-formatted cell, or 85.3%% or 0.853."
    ),
    "percent_places": gettext_lazy("A percentage can have at most two decimals (85.35%%)."),
    "yuan_places": gettext_lazy("An amount in yuan can have at most two decimals."),
    "whole_number": gettext_lazy("This indicator counts: 数值 must be a whole number."),
    "note_too_long": gettext_lazy("备注 can have at most %(max)d characters."),
    "duplicate": gettext_lazy("The same indicator, scope and date already appear in row %(line)d."),
}
FILE_MESSAGES = {
    "not_xlsx": gettext_lazy("The file is not an Excel workbook (.xlsx)."),
    "headers": gettext_lazy("The first row must be the template's headers: %(headers)s."),
    "empty": gettext_lazy("The workbook has no data rows under the header."),
    "no_values": gettext_lazy("The workbook has no figures: 数值 is empty on every row."),
    "too_large": gettext_lazy("The file is larger than %(max_mb)d MB."),
    "too_many_rows": gettext_lazy("The workbook has more than %(max)d rows."),
    "unpacks_too_large": upload_limits.MESSAGES["unpacks_too_large"],
    "too_many_columns": upload_limits.MESSAGES["too_many_columns"],
}
LEVEL_LABELS = {"city": gettext_lazy("city"), "township": gettext_lazy("township"), "branch": gettext_lazy("branch")}


def problem_text(code: str, params: dict) -> str:
    params = dict(params)
    if "source" in params:
        params["source_label"] = str(FigureUpload.SourceSystem(params["source"]).label)
    if "level" in params:
        params["level_label"] = str(LEVEL_LABELS.get(params["level"], params["level"]))
    text = str(ROW_MESSAGES.get(code, gettext_lazy("Invalid value.")))
    return text % params if "%(" in text or "%%" in text else text


def file_problem_text(code: str, params: dict) -> str:
    text = str(FILE_MESSAGES[code])
    return text % params if "%(" in text else text


class FigureRefused(RuleRefused):
    """An upload, an entry or a branch target refused as a whole: nothing changed."""

    MESSAGES = {
        "not_allowed": gettext_lazy("Only the head office and branch managers enter imported figures."),
        "concurrent": gettext_lazy(
            "Someone else changed the same figures at the same moment; nothing was applied. Upload again."
        ),
        "not_branch_manager": gettext_lazy("Only the branch's manager enters its annual plan."),
        "bad_year": gettext_lazy("The year must lie between 2000 and 2100."),
        "not_branch_indicator": gettext_lazy("%(indicator)s has no branch targets."),
        **{code: text for code, text in ROW_MESSAGES.items()},
        **{f"file_{code}": text for code, text in FILE_MESSAGES.items()},
    }

    @property
    def message(self) -> str:
        if self.code.startswith("file_"):
            return file_problem_text(self.code[5:], self.details)
        if self.code in ROW_MESSAGES:
            return problem_text(self.code, self.details)
        return super().message


@dataclass
class UploadResult:
    upload: FigureUpload
    applied: int
    unchanged: int
    rejected: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def figure_upload(*, path: Path, file_name: str, source_system: str, user) -> UploadResult:
    """Import one monthly workbook of `source_system` as `user`. FigureRefused (nothing changed) for an
    unusable file or a user who may not upload; otherwise the good rows apply and the bad ones are listed."""
    if not user_may_enter_figures(user):
        raise FigureRefused("not_allowed")
    if source_system not in wb.FILE_SOURCES:
        raise ValueError(source_system)
    try:
        data = wb.sheet_rows_read(path)
    except wb.FigureFileRefused as exc:
        raise FigureRefused(f"file_{exc.code}", **exc.params) from None
    rows = wb.rows_parse(data, wb.formula_cells(path))
    if not rows:
        raise FigureRefused("file_no_values")
    wb.rows_check(rows, _check_context(user=user, source=source_system))
    good = [row for row in rows if row.is_valid]
    bad = [row for row in rows if not row.is_valid]
    errors = [{"line": row.line, "cells": list(row.raw), "problems": row.problems} for row in bad]
    try:
        with transaction.atomic(), set_actor(user):
            upload = FigureUpload.objects.create(
                source_system=source_system,
                file_name=file_name.replace("\x00", "")[:200],
                file_sha256=file_sha256(path),
                uploaded_by=user,
                rows_total=len(rows),
                rows_rejected=len(bad),
                errors=errors,
            )
            applied = _figures_apply(good, user=user, upload=upload, source_system=source_system)
            FigureUpload.objects.filter(pk=upload.pk).update(rows_applied=applied)
            upload.rows_applied = applied
            _audit(upload, user, {"file": [None, upload.file_name], "rows_applied": [None, applied]})
    except IntegrityError:
        raise FigureRefused("concurrent") from None
    return UploadResult(upload=upload, applied=applied, unchanged=len(good) - applied, rejected=len(bad))


def figure_enter(
    *, user, indicator_code: str, scope: str, period: datetime.date, value: Decimal, note: str = ""
) -> ImportedFigure | None:
    """One figure entered by hand (value in the stored representation). The same checks as a file row;
    FigureRefused with the first problem. None when the value is already the current one."""
    if not user_may_enter_figures(user):
        raise FigureRefused("not_allowed")
    row = wb.FigureRow(line=0, raw=(), code=indicator_code.strip().upper(), scope_text=scope.strip())
    row.period, row.note = period, note.strip()
    row.value = value if isinstance(value, Decimal) else Decimal(str(value))
    wb.row_check(row, _check_context(user=user, source=None))
    if not row.is_valid:
        code, params = row.problems[0]
        raise FigureRefused(code, **params)
    try:
        with transaction.atomic(), set_actor(user):
            applied = _figures_apply([row], user=user, upload=None, source_system=FigureUpload.SourceSystem.MANUAL)
            if not applied:
                return None
            figure = ImportedFigure.objects.get(
                indicator_id=row.indicator.pk, scope=row.scope, period=period, superseded_by__isnull=True
            )
            _audit(figure, user, {"value": [None, str(figure.value)], "scope": [None, figure.scope]})
    except IntegrityError:
        raise FigureRefused("concurrent") from None
    return figure


def _check_context(*, user, source: str | None) -> wb.CheckContext:
    return wb.CheckContext(
        catalogue=catalogue_facts(),
        source=source,
        scope_resolve=figure_scope_resolver(),
        scope_allowed=figure_scope_checker(user),
        latest=business_date_current(),
    )


def _figures_apply(rows: list[wb.FigureRow], *, user, upload, source_system: str) -> int:
    """Write the rows whose value differs from the current one; the current rows they correct point to them.

    One current row per indicator, scope and date is a unique constraint, and ``superseded_by`` is unique too,
    so a correction goes in three set-based steps: the new row is inserted pointing to the first version of its
    key (the one row nobody points to, so it is not current and takes no pointer another row holds), the old
    row then points to it, and last the new row's temporary pointer is cleared."""
    if not rows:
        return 0
    keys = {(r.indicator.pk, r.scope, r.period) for r in rows}
    # Writers of the same indicators take turns (their catalogue rows locked in pk order), so each reads the
    # current rows the previous one committed instead of failing on the one-current-row constraint.
    list(Indicator.objects.select_for_update().filter(pk__in={k[0] for k in keys}).order_by("pk").values("pk"))
    same_keys = ImportedFigure.objects.filter(
        indicator_id__in={k[0] for k in keys}, scope__in={k[1] for k in keys}, period__in={k[2] for k in keys}
    )
    current = {
        (f.indicator_id, f.scope, f.period): f
        for f in same_keys.select_for_update().filter(superseded_by__isnull=True).order_by("pk")
    }
    firsts = {
        (v["indicator_id"], v["scope"], v["period"]): v["first"]
        for v in same_keys.values("indicator_id", "scope", "period").annotate(first=Min("pk")).order_by()
    }
    fresh, replaced = [], []
    for row in rows:
        key = (row.indicator.pk, row.scope, row.period)
        old = current.get(key)
        if old is not None and old.value == row.value:
            continue
        fresh.append(
            ImportedFigure(
                indicator_id=row.indicator.pk,
                scope=row.scope,
                period=row.period,
                value=row.value,
                source_system=source_system,
                upload=upload,
                entered_by=user,
                note=row.note,
                superseded_by_id=None if old is None else firsts[key],
            )
        )
        replaced.append(old)
    created = ImportedFigure.objects.bulk_create(fresh)
    olds = []
    for old, new in zip(replaced, created, strict=True):
        if old is not None:
            old.superseded_by_id = new.pk
            olds.append(old)
    ImportedFigure.objects.bulk_update(olds, ["superseded_by"])
    ImportedFigure.objects.filter(pk__in=[o.superseded_by_id for o in olds]).update(superseded_by=None)
    return len(created)


def _audit(instance, actor, changes: dict, action=LogEntry.Action.CREATE) -> None:
    LogEntry.objects.log_create(instance, force_log=True, action=action, actor=actor, changes=changes)


# ---------------------------------------------------------------- branch annual plans


def branch_targets_set(*, user, branch, year: int, values: dict[str, tuple[Decimal | None, str]]) -> int:
    """年度实施计划: the branch manager sets own branch's targets of a year, code → (value or None, note) in
    the stored representation; None removes the target. Returns how many rows changed. All or nothing."""
    if not (user.has_role(roles.BRANCH_MANAGER) and user.branch_id == branch.pk):
        raise FigureRefused("not_branch_manager")
    if not 2000 <= year <= 2100:
        raise FigureRefused("bad_year")
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=list(values))}
    for code, (value, note) in values.items():
        indicator = indicators.get(code)
        if indicator is None:
            raise FigureRefused("code_unknown", indicator=code)
        if "branch" not in indicator.scopes:
            raise FigureRefused("not_branch_indicator", indicator=code)
        problem = None if value is None else wb.value_problem(value, indicator.unit)
        if problem is not None:
            raise FigureRefused(problem[0], **problem[1])
        if len(note) > wb.MAX_NOTE:
            raise FigureRefused("note_too_long", max=wb.MAX_NOTE)
    with transaction.atomic(), set_actor(user):
        existing = {
            t.indicator.code: t
            for t in BranchTarget.objects.select_for_update()
            .filter(branch=branch, year=year, indicator__code__in=list(values))
            .select_related("indicator")
        }
        return sum(
            _branch_target_write(user, branch, year, indicators[code], existing.get(code), value, note)
            for code, (value, note) in values.items()
        )


def _branch_target_write(user, branch, year, indicator, target, value, note) -> int:
    if value is None:
        if target is None:
            return 0
        with set_actor(user):  # audited by the registry (kpi/apps.py), admin edits too
            target.delete()
        return 1
    if target is not None and target.value == value and target.note == note:
        return 0
    if target is None:
        target = BranchTarget(branch=branch, indicator=indicator, year=year)
    target.value, target.note, target.entered_by = value, note, user
    with set_actor(user):
        target.save()
    return 1


def unit_hint(unit: str) -> str:
    return str(UNIT_HINTS.get(unit, ""))


UNIT_HINTS = {
    "percent": gettext_lazy(
        "Percentage: type 85.3 in this percent-formatted cell for 85.3% (or the text 85.3%, or 0.853); 0%–100%."
    ),
    "yuan": gettext_lazy("Amount in yuan (not 10,000 yuan), at most two decimals."),
    "households": gettext_lazy("Number of households (customers): a whole number."),
    "count": gettext_lazy("A whole number."),
    "villages": gettext_lazy("Number of villages: a whole number."),
}
OUTSIDE_PART = gettext_lazy(
    "only the part from OUTSIDE the platform (e.g. core-banking loans not granted on the platform): the "
    "platform adds its own part"
)


def template_texts() -> wb.TemplateTexts:
    return wb.TemplateTexts(
        sheet_title=_("Monthly figures"),
        unit_hints={unit: str(text) for unit, text in UNIT_HINTS.items()},
        outside_part=str(OUTSIDE_PART),
        instructions=[
            _("One row per indicator, scope and date. Keep the first row (the headers) as it is."),
            _("范围: 全市 for the whole city, a 9-digit township code, or a branch code (e.g. LX07)."),
            _("截至日期: the date the figure is as of, usually a month end, written YYYY-MM-DD."),
            _("数值: see 单位说明 on each row. Rows with an empty 数值 are not imported."),
            _(
                "Percentages: the 数值 cells of percent indicators are formatted as percentages: type 85.3 "
                "there for 85.3%. Elsewhere write 85.3% or 0.853. A value above 100% is refused."
            ),
            _("Amounts in yuan (not 10,000 yuan); households and counts as whole numbers; never negative."),
            _(
                "Indicators computed partly by the platform (internal and imported): enter only the part from "
                "outside the platform, e.g. core-banking loans not granted on the platform."
            ),
            _("Type or paste values: a cell with a formula is refused."),
            _(
                "Uploading the same file again changes nothing; a new value for the same indicator, scope and "
                "date replaces the current one, which stays in the history."
            ),
        ],
    )
