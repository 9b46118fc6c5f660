"""`puhui eod [--until YYYY-MM-DD]`: end of day for the current business date, or every date up to one."""

import datetime

from django.core.management import BaseCommand, CommandError

from puhui.core.audit_chain import audit_seal
from puhui.core.commands import command_actor
from puhui.core.selectors import business_date_current
from puhui.credit.eod import STEPS, eod_run
from puhui.credit.errors import CreditRefused

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Run end of day (日终) up to and including --until (default: the current business date only)."

    def add_arguments(self, parser):
        parser.add_argument("--until", type=datetime.date.fromisoformat, help="last business date to close")
        parser.add_argument("--user", help="acting user recorded on the runs; default: the first head-office user")

    def handle(self, *args, until: datetime.date | None, user: str | None, **options):
        first = business_date_current()
        last = until or first
        if last < first:
            self.stdout.write(f"营业日已是 {first}，无需日终 / business date is already {first}: nothing to close")
            return
        total_days = (last - first).days + 1
        self.stdout.write(f"日终 end of day: {first} → {last} ({total_days} 天 days)")

        def progress(day: datetime.date, step: str, done: int) -> None:
            fraction = ((day - first).days * len(STEPS) + done) / (total_days * len(STEPS))
            filled = round(fraction * BAR_WIDTH)
            bar = f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:6.1%} {day} {step:<8}"
            self.stderr.write(bar, ending="\n" if step == "done" else "")
            self.stderr.flush()

        try:
            runs = eod_run(user=command_actor(user), until=until, progress=progress)
        except CreditRefused as exc:
            raise CommandError(exc.message) from exc
        for run in runs:
            counts = " ".join(f"{name}={value}" for name, value in run.counts.items())
            self.stdout.write(f"{run.business_date} {run.status} {counts}")
        self.stdout.write(f"营业日 business date now: {business_date_current()}")
        sealed = audit_seal()  # the day's audit entries join the tamper-evident chain
        self.stdout.write(
            f"审计链 audit chain: {sealed.sealed} 条封存 sealed, head {sealed.head_id}:{sealed.head_digest}"
        )
