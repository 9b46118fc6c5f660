"""`puhui import-figures FILE.xlsx --source core_banking|channels|social_security`: the upload page's import,
printed (applied, unchanged, refused rows with their reasons, the error workbook)."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError

from puhui.core.commands import command_actor
from puhui.kpi import figure_workbook as wb
from puhui.kpi.figures import FigureRefused, figure_upload, problem_text


class Command(BaseCommand):
    help = "Import a monthly workbook of imported figures (core banking, channels or social-security cards)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", required=True, choices=wb.FILE_SOURCES)
        parser.add_argument("--user", help="acting user (scope and provenance); default: the first head-office user")
        parser.add_argument("--errors", type=Path, help="where to write the workbook of refused rows")

    def handle(self, *args, file: Path, source: str, user: str | None, errors: Path | None, **options):
        if not file.is_file():
            raise CommandError(f"文件不存在 / no such file: {file}")
        actor = command_actor(user)
        try:
            result = figure_upload(path=file, file_name=file.name, source_system=source, user=actor)
        except FigureRefused as exc:
            raise CommandError(exc.message) from exc
        upload = result.upload
        self.stdout.write(f"上传编号 upload:        {upload.pk} (sha256 {upload.file_sha256})")
        self.stdout.write(f"已导入 applied:        {result.applied}")
        self.stdout.write(f"未变化 unchanged:      {result.unchanged}")
        self.stdout.write(f"被拒绝 refused:        {result.rejected}")
        rows = []
        for error in upload.errors:
            reason = "；".join(problem_text(code, params) for code, params in error["problems"])
            rows.append((tuple(error["cells"]), reason))
            self.stdout.write(f"  第{error['line']}行 row {error['line']}: {reason}")
        if rows:
            path = errors or file.with_name(f"{file.stem}-错误行.xlsx")
            with path.open("wb") as stream:
                wb.error_workbook_write(stream, rows)
            self.stdout.write(f"错误工作簿 error workbook: {path}")
