"""`puhui restore FILE [--no-input]`: replace the database with an encrypted backup made by `puhui backup`.

Stop the web and worker processes first. A wrong key, a tampered or cut file is refused and nothing changes."""

from django.core.management import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from puhui.core.backup import BackupError, backup_read_header, backup_restore


class Command(BaseCommand):
    help = "Restore the database from a backup file made by `puhui backup` (replaces everything in it)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive")
        parser.add_argument("--database", default="default")

    def handle(self, *args, file: str, interactive: bool, database: str, **options):
        try:
            header = backup_read_header(file)
            self.stdout.write(
                _("Backup of a %(vendor)s database made at %(created)s.")
                % {"vendor": header.get("vendor"), "created": header.get("created_at")}
            )
            if interactive:
                name = connections[database].settings_dict["NAME"]
                question = _("This replaces everything in the database %(name)s. Type yes to go on: ")
                answer = input(question % {"name": name})
                if answer.strip().lower() != "yes":
                    raise CommandError(_("Restore cancelled; nothing was changed."))
            backup_restore(source=file, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_("Restored. Run `puhui migrate` if this code is newer than the backup."))
        if header.get("audit_head"):
            self.stdout.write(
                _("Check the audit chain: puhui audit verify --head %(head)s") % {"head": header["audit_head"]}
            )
