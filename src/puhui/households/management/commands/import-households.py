"""`puhui import-households FILE.xlsx`: the same import as the API and the page, printed."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError

from puhui.core.commands import command_actor
from puhui.households.import_messages import ImportRefused
from puhui.households.importing import household_import


class Command(BaseCommand):
    help = "Import a household register workbook (template of DOMAIN §8); prints the counts and the error workbook."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="acting user (scope and audit); default: the first active head-office user")
        parser.add_argument("--errors", type=Path, help="where to write the error workbook")

    def handle(self, *args, file: Path, user: str | None, errors: Path | None, **options):
        if not file.is_file():
            raise CommandError(f"文件不存在 / no such file: {file}")
        actor = command_actor(user)
        error_path = errors or file.with_name(f"{file.stem}-错误行.xlsx")
        try:
            result = household_import(path=file, user=actor, error_path=error_path)
        except ImportRefused as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"导入农户 imported households: {result.imported_households}")
        self.stdout.write(f"导入人员 imported persons:    {result.imported_persons}")
        self.stdout.write(f"拒绝农户 rejected households: {result.rejected_households}")
        self.stdout.write(f"错误行数 rejected rows:       {result.rejected_rows}")
        if result.error_report:
            self.stdout.write(f"错误工作簿 error workbook:    {result.error_report}")
