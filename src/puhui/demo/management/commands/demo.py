"""`puhui demo`: migrate, load the Lanxi demo, print the accounts, serve on 127.0.0.1."""

import os
import secrets
import subprocess
import sys

from django.conf import settings
from django.core.management import BaseCommand, call_command

from puhui.demo.credit_history import demo_credit_history_load
from puhui.demo.deliberation import demo_deliberation_load
from puhui.demo.households import demo_households_load
from puhui.demo.plan_figures import plan_figures_schedule
from puhui.demo.plan_years import plan_years_schedule
from puhui.demo.services import DEMO_START_DATE, demo_accounts_reset, demo_load
from puhui.org.roles import ROLE_LABELS


class Command(BaseCommand):
    help = "Migrate, load the Lanxi demo data and serve it on 127.0.0.1 (one account per role)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--scale", choices=["small", "county"], default=os.environ.get("PUHUI_DEMO_SCALE", "small"))
        parser.add_argument("--seed", type=int, default=330781)
        parser.add_argument("--no-serve", action="store_true", help="load and print the accounts, do not serve")

    def handle(self, *args, port: int, scale: str, seed: int, no_serve: bool, **options):
        self.stdout.write("正在迁移数据库 / migrating …")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"正在载入兰溪演示数据（规模 {scale}）/ loading the Lanxi demo …")
        loaded = demo_load(seed=seed)
        self.stdout.write("演示区划与人员已载入。" if loaded else "演示区划与人员已存在。")
        demo_accounts_reset(password=secrets.token_urlsafe(12))  # the accounts exist before the households load
        added = demo_households_load(scale=scale, seed=seed)
        self.stdout.write(f"农户档案：新增 {added} 户。" if added else "农户档案已存在，跳过。")
        self.stdout.write("正在回放授信与用信历史（每个营业日真实日终）/ playing the credit history …")
        schedule = plan_years_schedule(until=DEMO_START_DATE, seed=seed)
        for day, steps in plan_figures_schedule(until=DEMO_START_DATE, seed=seed).items():
            schedule.setdefault(day, []).extend(steps)
        lines = demo_credit_history_load(
            scale=scale, until=DEMO_START_DATE, seed=seed, on_day=lambda day: [step() for step in schedule.pop(day, [])]
        )
        self.stdout.write(
            f"授信历史：{lines} 户授信，日终至 {DEMO_START_DATE}。" if lines else "授信历史已存在，跳过。"
        )
        campaigns = demo_deliberation_load(seed=seed)
        self.stdout.write(f"整村授信：{campaigns} 个村的活动。" if campaigns else "整村授信演示已存在，跳过。")
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        password = os.environ.get("PUHUI_DEMO_PASSWORD") or secrets.token_urlsafe(12)
        accounts = demo_accounts_reset(password=password)
        self._print_accounts(accounts, password, port, from_env=bool(os.environ.get("PUHUI_DEMO_PASSWORD")))
        if not no_serve:
            self._serve(port)

    def _print_accounts(self, accounts, password: str, port: int, *, from_env: bool) -> None:
        out = self.stdout
        out.write("")
        out.write(f"普惠演示已就绪 / puhui demo ready: http://127.0.0.1:{port}/")
        out.write("演示账号 / demo accounts:")
        for account in accounts:
            out.write(f"  {account.username:<10} {ROLE_LABELS[account.role]!s:<12} {account.scope}")
        source = "PUHUI_DEMO_PASSWORD" if from_env else "本次随机生成 / generated for this run"
        out.write(f"密码 / password ({source}): {password}")
        out.write("")

    def _serve(self, port: int) -> None:
        # The background-job worker (imports) runs beside the web server; Ctrl-C stops both.
        subprocess.Popen([sys.executable, "-m", "puhui.cli", "db_worker", "--interval", "0.5"])  # noqa: S603
        sys.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "puhui.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ]
        os.execv(sys.executable, argv)  # noqa: S606 — replace this process with the server, fixed argv
