"""`puhui import-service-points FILE.xlsx`: the register page's import, printed (counts and refused rows)."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError

from puhui.core.commands import command_actor
from puhui.kpi.service_points import ServicePointImportRefused, service_points_import


class Command(BaseCommand):
    help = "Import the service-point register workbook (村代码, 类型, 名称, 启用日期, 停用日期)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="acting user (scope and audit); default: the first head-office user")

    def handle(self, *args, file: Path, user: str | None, **options):
        if not file.is_file():
            raise CommandError(f"文件不存在 / no such file: {file}")
        try:
            result = service_points_import(user=command_actor(user), path=file)
        except ServicePointImportRefused as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"读取 rows: {result.rows}")
        self.stdout.write(
            f"新增 created: {result.created}  更新 updated: {result.updated}  未变 unchanged: {result.unchanged}"
        )
        self.stdout.write(f"拒绝 rejected: {len(result.rejected)}")
        for row in result.rejected:
            self.stdout.write(f"  第 {row['line']} 行 row: {'；'.join(row['errors'])}")
