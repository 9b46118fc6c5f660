"""Platform-wide state: the business date (营业日) and API tokens."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BusinessDate(models.Model):
    """营业日: one row (pk 1), separate from the clock; only end of day advances it."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    business_date = models.DateField(_("business date"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business date")
        verbose_name_plural = _("business date")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="business_date_single_row")]

    def __str__(self) -> str:
        return self.business_date.isoformat()


class ApiToken(models.Model):
    """A bearer token for the API. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("token prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def is_usable(self, now: datetime.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class JobRun(models.Model):
    """A background job's progress and result, polled by the page (htmx) and the API."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="job_runs", verbose_name=_("owner")
    )
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    input_name = models.CharField(_("input file"), max_length=255, blank=True)
    input_path = models.CharField(max_length=500, blank=True, editable=False)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written by the running job's process every few seconds (puhui.core.jobs): a killed worker stops writing
    # it, and a running job whose heartbeat is too old is recorded as interrupted (jobrun_expire_stale).
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            # the staleness check runs on every job page: it reads only the few running rows
            models.Index(
                fields=["heartbeat_at"], condition=models.Q(status="running"), name="jobrun_running_heartbeat"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def is_interrupted(self) -> bool:
        """Failed because its worker process died mid-way (puhui.core.jobs): shown as 中断, may be started again."""
        return self.status == self.Status.FAILED and bool((self.result or {}).get("interrupted"))

    @property
    def status_label(self) -> str:
        return str(_("interrupted")) if self.is_interrupted else self.get_status_display()

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class IdempotencyKey(models.Model):
    """A money request's Idempotency-Key (API.md): the first response is replayed, a different request refused."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")

    def __str__(self) -> str:
        return self.key


class AuditSeal(models.Model):
    """The hash-chain seal of one audit log entry (see puhui.core.audit_chain); written once, never changed.

    No foreign key to the entry on purpose: a deleted entry must leave its seal behind to be noticed."""

    entry_id = models.BigIntegerField(_("audit entry"), primary_key=True)
    entry_digest = models.CharField(_("entry digest"), max_length=64)
    chain_digest = models.CharField(_("chain digest"), max_length=64)
    sealed_at = models.DateTimeField(_("sealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")

    def __str__(self) -> str:
        return f"#{self.entry_id} {self.chain_digest[:12]}"
