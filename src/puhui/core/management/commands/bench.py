"""`puhui bench NAME [--size N]`: one benchmark workload on the configured database, beside its baseline."""

import importlib
import sys

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

WORKLOADS = {
    "import": "bench.workloads.import_",
    "money": "bench.workloads.money",
    "eod": "bench.workloads.eod",
    "grant": "bench.workloads.grant",
    "kpi": "bench.workloads.kpi",
}


class Command(BaseCommand):
    help = "Run one benchmark workload beside its raw-SQL baseline; writes bench/results/NAME.json."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(WORKLOADS))
        parser.add_argument("--size", type=int)

    def handle(self, *args, name: str, size: int | None, **options):
        # bench/ and tests/ live in the source tree beside src/, not in the installed package
        sys.path.insert(0, str(settings.BASE_DIR))
        try:
            workload = importlib.import_module(WORKLOADS[name])
        except ImportError as exc:
            raise CommandError(f"run `puhui bench` from the source tree ({exc})") from exc
        from bench.harness import record

        call_command("migrate", interactive=False, verbosity=0)
        measurement = workload.run(size or workload.DEFAULT_SIZE)
        row = record(measurement)
        self.stdout.write(
            f"{row['workload']} on {row['backend']}: {row['size']:,} in {row['seconds']:.2f} s, "
            f"baseline {row['baseline_seconds']:.2f} s, ratio {row['ratio']:.2f} {row['extra']}"
        )
