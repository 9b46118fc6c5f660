"""考核评估 pages: thin views over kpi.dashboard. Head office and auditors see the city; a branch manager own
townships; an account manager own villages; evaluators and farmers nothing (403). Outside scope: 404."""

import functools
import re

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from puhui.core.errors import ApiError
from puhui.core.selectors import business_date_current
from puhui.kpi import dashboard
from puhui.kpi import selectors as kpi_selectors
from puhui.kpi.gap_export import gap_workbook
from puhui.org import roles
from puhui.org import selectors as org_selectors
from puhui.web.views import staff_required

TOWNSHIP_CODE = re.compile(r"^\d{9}$")
VILLAGE_CODE = re.compile(r"^\d{12}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def in_scope(view):
    """A scope the user may not see is a 404 (the city for a non city-wide user too); a malformed one a 400."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            raise Http404 from None
        except ApiError as error:
            return HttpResponseBadRequest(str(error.message), content_type="text/plain; charset=utf-8")

    return wrapped


@staff_required
@require_GET
@in_scope
def overview(request):
    """The city for the head office and auditors, own branch for a branch manager; for others the townships of
    their scope."""
    date = business_date_current()
    rank_by = request.GET.get("rank", "ZC1")
    user = request.user
    if user.is_city_wide:
        context = dashboard.dashboard_city_data(user=user, date=date, rank_by=rank_by)
        return render(request, "kpi/dashboard/overview.html", {**context, **_common("city")})
    if user.has_role(roles.BRANCH_MANAGER) and user.branch_id:
        return _branch_page(request, user.branch.code)
    townships = list(org_selectors.township_list(user=request.user))
    targets = {}
    if townships:
        rows = dashboard.dashboard_rows(user=request.user, scope=f"township:{townships[0].code}", date=date)
        targets = dashboard.zc_targets(rows)
    ranking = dashboard.township_ranking(user=request.user, date=date, targets=targets, rank_by=rank_by)
    context = {
        "date": date,
        "ranking": ranking,
        "ranking_chart": dashboard.chart_rows(ranking),
        "rank_by": rank_by if rank_by in dashboard.ZC_CODES else "ZC1",
    }
    return render(request, "kpi/dashboard/townships.html", {**context, **_common("")})


@staff_required
@require_GET
@in_scope
def branch(request, code: str):
    return _branch_page(request, code)


def _branch_page(request, code: str):
    """A branch: its indicators, trend and its townships ranked (head office, auditors, its own manager)."""
    date = business_date_current()
    scope = f"branch:{code}"
    place = kpi_selectors.branch_get(user=request.user, code=code)
    rank_by = request.GET.get("rank", "ZC1")
    rows = dashboard.dashboard_rows(user=request.user, scope=scope, date=date)
    ranking = dashboard.township_ranking(
        user=request.user, date=date, targets=dashboard.zc_targets(rows), rank_by=rank_by, branch_id=place.pk
    )
    context = {
        "branch": place,
        "date": date,
        "rows": rows,
        "groups": dashboard.rows_grouped(rows),
        "counts": dashboard.state_counts(rows),
        "ranking": ranking,
        "ranking_chart": dashboard.chart_rows(ranking),
        "rank_by": rank_by if rank_by in dashboard.ZC_CODES else "ZC1",
        "trend": dashboard.indicator_series(
            user=request.user, scope=scope, code=rows[0].code if rows else "ZC1", date=date
        ),
    }
    return render(request, "kpi/dashboard/branch.html", {**context, **_common(scope)})


@staff_required
@require_GET
@in_scope
def township(request, code: str):
    if not TOWNSHIP_CODE.match(code):
        raise Http404
    date = business_date_current()
    scope = f"township:{code}"
    area = kpi_selectors.kpi_scope_area(user=request.user, scope=scope)
    place = org_selectors.township_get(user=request.user, code=code)
    rows = dashboard.dashboard_rows(user=request.user, scope=scope, date=date)
    villages = dashboard.township_villages(villages=area.villages, date=date, targets=dashboard.zc_targets(rows))
    trend_code = rows[0].code if rows else "ZC1"
    context = {
        "township": place,
        "date": date,
        "rows": rows,
        "groups": dashboard.rows_grouped(rows),
        "counts": dashboard.state_counts(rows),
        "villages": villages,
        "villages_chart": dashboard.chart_rows(villages),
        "trend": dashboard.indicator_series(user=request.user, scope=scope, code=trend_code, date=date),
    }
    return render(request, "kpi/dashboard/township.html", {**context, **_common(scope)})


@staff_required
@require_GET
@in_scope
def village(request, code: str):
    if not VILLAGE_CODE.match(code):
        raise Http404
    date = business_date_current()
    place = org_selectors.village_get(user=request.user, code=code)
    scope = f"village:{code}"
    rows = dashboard.dashboard_rows(user=request.user, scope=scope, date=date)
    lists = dashboard.village_gap_households(user=request.user, village=place, date=date)
    shown = request.GET.get("list", "unevaluated")
    context = {
        "village": place,
        "date": date,
        "rows": rows,
        "groups": dashboard.rows_grouped(rows),
        "counts": dashboard.state_counts(rows),
        "lists": lists,
        "shown": shown if shown in lists else "unevaluated",
        "campaign": dashboard.village_campaign(place),
        "list_limit": dashboard.LIST_LIMIT,
    }
    return render(request, "kpi/dashboard/village.html", {**context, **_common(scope)})


@staff_required
@require_GET
@in_scope
def series(request):
    """One indicator's trend as JSON (the chart's indicator picker): numbers as strings."""
    scope = request.GET.get("scope", "")
    data = dashboard.indicator_series(
        user=request.user, scope=scope, code=request.GET.get("indicator", ""), date=business_date_current()
    )
    if data is None:
        return JsonResponse({"error": {"code": "unknown_indicator"}}, status=404)
    return JsonResponse(data)


@staff_required
@require_GET
@in_scope
def export(request):
    """差距分析表 of a scope as a workbook."""
    scope = request.GET.get("scope", "city")
    date = business_date_current()
    content = gap_workbook(user=request.user, scope=scope, date=date)
    response = HttpResponse(content, content_type=XLSX)
    name = scope.replace(":", "-")
    response["Content-Disposition"] = f'attachment; filename="gap-{name}-{date.isoformat()}.xlsx"'
    return response


def _common(scope: str) -> dict:
    return {
        "scope": scope,
        "at_risk_margin": dashboard.AT_RISK_MARGIN,
        "projection_days": dashboard.PROJECTION_WINDOW_DAYS,
        "zc_codes": dashboard.ZC_CODES,
    }
