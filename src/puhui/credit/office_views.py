"""Head-office pages: end of day (日终) with its past runs, and the ledger (总账: trial balance, controls)."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from puhui.core.jobs import jobrun_expire_stale
from puhui.core.models import JobRun
from puhui.core.selectors import business_date_current
from puhui.credit import selectors
from puhui.credit.eod import EOD_JOB, eod_start
from puhui.credit.errors import CreditRefused
from puhui.credit.forms import EodForm
from puhui.org import roles
from puhui.web.views import staff_required


def office_required(view):
    """Head office and auditors read these pages; only head office runs end of day."""

    @staff_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(roles.HEAD_OFFICE) and not request.user.has_role(roles.AUDITOR):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@office_required
@require_http_methods(["GET", "POST"])
def eod_page(request):
    # before "one job at a time" is checked: a job whose worker died is interrupted, and may be started again
    jobrun_expire_stale()
    today = business_date_current()
    may_run = request.user.has_role(roles.HEAD_OFFICE)
    form = EodForm(initial={"until": today})
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied
        form = EodForm(request.POST)
        if form.is_valid():
            try:
                job = eod_start(user=request.user, until=form.cleaned_data["until"])
            except CreditRefused as exc:
                form.add_error("until", exc.message)
            else:
                return redirect("eod-job", pk=job.pk)
    jobs = JobRun.objects.filter(kind=EOD_JOB).order_by("-created_at")[:5]
    context = {"form": form, "may_run": may_run, "runs": selectors.eod_runs(), "jobs": jobs, "today": today}
    return render(request, "credit/eod.html", context)


@office_required
@require_GET
def eod_job(request, pk: int):
    jobrun_expire_stale()
    job = get_object_or_404(JobRun, pk=pk, kind=EOD_JOB)
    return render(request, "credit/eod_job.html", {"job": job})


@office_required
@require_GET
def eod_job_progress(request, pk: int):
    """The progress fragment that htmx polls until the job has finished (or is found interrupted)."""
    jobrun_expire_stale()
    job = get_object_or_404(JobRun, pk=pk, kind=EOD_JOB)
    return render(request, "credit/_eod_progress.html", {"job": job})


@office_required
@require_GET
def ledger_page(request):
    context = {
        "balance": selectors.trial_balance(),
        "accounts": selectors.account_balances(),
        "classes": selectors.portfolio_by_classification(),
        "today": business_date_current(),
    }
    return render(request, "credit/ledger.html", context)
