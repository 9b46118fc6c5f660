"""`puhui backup [--output FILE]`: the whole database, encrypted with a key derived from the platform key."""

import datetime

from django.conf import settings
from django.core.management import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from puhui.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (SQLite or PostgreSQL) into one encrypted file; restore it with `puhui restore`."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the file to write; default var/backups/puhui-VENDOR-TIME.pbk")
        parser.add_argument("--database", default="default")

    def handle(self, *args, output: str | None, database: str, **options):
        if not output:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = settings.VAR_DIR / "backups" / f"puhui-{connections[database].vendor}-{stamp}.pbk"
        try:
            info = backup_create(output=output, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_("Backup written: %(path)s") % {"path": info.path})
        if info.header["audit_head"]:
            self.stdout.write(_("Audit chain head in this backup: %(head)s") % {"head": info.header["audit_head"]})
