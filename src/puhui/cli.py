"""The `puhui` console command: Django management with the project's settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puhui.settings")
    if argv[:1] == ["demo"]:
        # The demo serves as in production (DEBUG off, compressed static) but over HTTP on loopback.
        os.environ.setdefault("PUHUI_ENV", "demo")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["puhui", *argv])


if __name__ == "__main__":
    main()
