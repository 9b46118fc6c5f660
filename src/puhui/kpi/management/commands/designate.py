"""`puhui designate [--as-of YYYY-MM-DD] [--yearly]`: evaluate 信用户 / 信用村 / 信用乡镇 for the whole city."""

import datetime

from django.core.management import BaseCommand, CommandError

from puhui.core.commands import command_actor
from puhui.kpi.designations import DesignationRefused, designations_evaluate
from puhui.kpi.models import DesignationRun


class Command(BaseCommand):
    help = "Evaluate the designations (信用户, 信用村, 信用乡镇) as of a date (default: the business date)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, help="evaluation date, YYYY-MM-DD")
        parser.add_argument("--yearly", action="store_true", help="record the run as the yearly evaluation")
        parser.add_argument("--user", help="acting user recorded on the run; default: the first head-office user")

    def handle(self, *args, as_of: datetime.date | None, yearly: bool, user: str | None, **options):
        trigger = DesignationRun.Trigger.YEARLY if yearly else DesignationRun.Trigger.ON_DEMAND
        try:
            run = designations_evaluate(user=command_actor(user), as_of=as_of, trigger=trigger)
        except DesignationRefused as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"评定日 as of: {run.as_of} ({run.get_trigger_display()})")
        for level, label in (("household", "信用户"), ("village", "信用村"), ("township", "信用乡镇")):
            held, gained, lost = (run.counts.get(f"{level}_{k}", 0) for k in ("held", "gained", "lost"))
            self.stdout.write(f"{label} {level}: {held} (+{gained} / -{lost})")
