"""`puhui import-bureau FILE.csv`: the bank's credit-bureau batch query result file (docs/bureau-csv.md), printed."""

import datetime
from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from puhui.core.commands import command_actor
from puhui.deliberation.bureau import BureauFileRefused, bureau_csv_import


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("Write the date as YYYY-MM-DD, such as 2017-06-30.")) from None


class Command(BaseCommand):
    help = "Import a credit-bureau batch query result CSV; prints the counts and every rejected row."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="acting user (recorded on the records); default: the first head-office user")
        parser.add_argument(
            "--queried-on", type=_date, help="the batch's query date: rows with another 查询日期 are rejected"
        )

    def handle(self, *args, file: Path, user: str | None, queried_on: datetime.date | None, **options):
        if not file.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        actor = command_actor(user)
        try:
            result = bureau_csv_import(path=file, user=actor, queried_on=queried_on)
        except BureauFileRefused as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(_("Applied: %(count)d") % {"count": result.applied})
        self.stdout.write(_("Unchanged: %(count)d") % {"count": result.unchanged})
        self.stdout.write(_("Rejected rows: %(count)d") % {"count": len(result.rejected_rows)})
        for line, masked_id, reasons in result.rejected_rows:
            self.stdout.write(
                _("Row %(line)d %(id)s: %(reasons)s") % {"line": line, "id": masked_id, "reasons": "；".join(reasons)}
            )
