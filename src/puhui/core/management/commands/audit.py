"""`puhui audit seal` / `puhui audit verify [--no-seal] [--head ID:DIGEST]`: the audit log's hash chain.

verify exits non-zero and names the first broken record when the chain does not hold (puhui.core.audit_chain)."""

import re

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from puhui.core.audit_chain import audit_seal, audit_verify

_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _anchor(text: str) -> tuple[int, str]:
    match = _ANCHOR.match(text.strip().lower())
    if not match:
        raise CommandError(_("--head must be ENTRY_ID:CHAIN_DIGEST (64 hex digits), as printed by seal or verify."))
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = "Seal new audit log entries into the hash chain, or verify the chain (exit code 1 when broken)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["seal", "verify"])
        parser.add_argument("--no-seal", action="store_true", help="verify only what is already sealed")
        parser.add_argument("--head", help="ENTRY_ID:CHAIN_DIGEST of an earlier head that must still be in the chain")
        parser.add_argument("--database", default="default")

    def handle(self, *args, action: str, no_seal: bool, head: str | None, database: str, **options):
        anchor = _anchor(head) if head else None
        if action == "seal" or not no_seal:
            sealed = audit_seal(using=database)
            self.stdout.write(_("Sealed %(count)s new audit entries.") % {"count": sealed.sealed})
            if sealed.waiting:
                self.stdout.write(_("Some entries wait for transactions still in progress; run seal again later."))
        if action == "seal":
            self._head(sealed.head_id, sealed.head_digest)
            return
        result = audit_verify(using=database, anchor=anchor)
        if not result.ok:
            raise CommandError(
                _("Audit chain broken at entry #%(id)s: %(reason)s. %(count)s entries before it are intact.")
                % {"id": result.broken_id, "reason": result.reason, "count": result.checked}
            )
        self.stdout.write(
            _("Audit chain intact: %(count)s entries verified, %(unsealed)s not yet sealed.")
            % {"count": result.checked, "unsealed": result.unsealed}
        )
        self._head(result.head_id, result.head_digest)

    def _head(self, head_id, digest) -> None:
        if head_id:
            self.stdout.write(_("Head (keep it outside the database): %(head)s") % {"head": f"{head_id}:{digest}"})
