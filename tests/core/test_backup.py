"""Encrypted backup and restore: a fresh database gets the same books, rows and audit chain; bad files change
nothing."""

import dataclasses
import json
import os
import struct
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.utils import load_backend
from django.utils import translation

from puhui.core import backup
from puhui.core.audit_chain import audit_verify
from puhui.core.backup import BackupError, backup_create, backup_read_header, backup_restore
from puhui.core.pii import key_new_text
from puhui.credit.models import Leg
from puhui.credit.selectors import trial_balance
from puhui.credit.services import line_drawdown, line_repay
from puhui.org import roles
from tests.credit.test_money_services import make_line

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever the zh-hans catalogue holds."""
    with translation.override("en"):
        yield


def books_snapshot() -> dict:
    """The trial balance, every model's row count and the audit chain of the default database (also run in the
    restored database by a subprocess)."""
    balance = trial_balance()
    chain = audit_verify()
    return {
        "trial_balance": {**dataclasses.asdict(balance), "balanced": balance.balanced},
        "rows": {model._meta.label: model.objects.count() for model in apps.get_models()},
        "audit": {"ok": chain.ok, "checked": chain.checked, "head": f"{chain.head_id}:{chain.head_digest}"},
    }


def books_with_money(world) -> None:
    line = make_line(world)
    manager, farmer = world.users[roles.ACCOUNT_MANAGER], world.users[roles.FARMER]
    line_drawdown(user=manager, line_id=line.pk, amount_fen=2_000_000, channel="field", purpose="茶叶")
    line_drawdown(user=farmer, line_id=line.pk, amount_fen=150_050, channel="mobile")
    line_repay(user=farmer, line_id=line.pk, amount_fen=300_000, channel="mobile")


@contextmanager
def fresh_database(tmp_path):
    """A new, empty database beside the test database: a connection to it and its DATABASE_URL."""
    default = connections["default"].settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "fresh.sqlite3"
        settings_dict, url = {**default, "NAME": str(path)}, f"sqlite:///{path}"
    else:
        name = f"puhui_restore_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        settings_dict = {**default, "NAME": name}
        url = f"postgresql://{default['USER']}:{default['PASSWORD']}@{default['HOST']}:{default['PORT']}/{name}"
    # not registered in django.db.connections: the test case allows only its own databases there
    fresh = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="restored")
    try:
        yield fresh, url
    finally:
        fresh.close()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE "{settings_dict["NAME"]}" WITH (FORCE)')


def table_count(fresh) -> int:
    with fresh.cursor() as cursor:
        return len(fresh.introspection.table_names(cursor))


def puhui(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "puhui.cli", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("chunk_size", [backup.CHUNK_SIZE, 4096])
def test_restore_into_a_fresh_database_reproduces_the_books(world, tmp_path, monkeypatch, chunk_size):
    monkeypatch.setattr(backup, "CHUNK_SIZE", chunk_size)  # 4 KiB: the same database in hundreds of chunks
    books_with_money(world)
    info = backup_create(output=tmp_path / "puhui.pbk")
    header = backup_read_header(info.path)
    assert (header["version"], header["vendor"]) == (1, connection.vendor)
    assert header["created_at"] and header["audit_head"]
    assert info.path.read_bytes()[:8] == b"PUHUIBAK" and b"auditlog" not in info.path.read_bytes()  # encrypted
    before = books_snapshot()
    assert before["trial_balance"]["balanced"] and before["trial_balance"]["debits_fen"] > 0
    assert before["audit"]["head"] == header["audit_head"]

    with fresh_database(tmp_path) as (fresh, url):
        backup_restore(source=info.path, connection=fresh)
        code = "import json; from tests.core.test_backup import books_snapshot as s; print(json.dumps(s()))"
        shell = puhui(url, "shell", "-c", code)
        assert shell.returncode == 0, shell.stderr
        assert json.loads(shell.stdout.strip().splitlines()[-1]) == before
        verify = puhui(url, "audit", "verify", "--no-seal", "--head", header["audit_head"])
        assert verify.returncode == 0, verify.stdout + verify.stderr


def test_the_commands_back_up_and_restore(world, tmp_path, capsys):
    books_with_money(world)
    target = tmp_path / "nightly.pbk"
    call_command("backup", "--output", str(target))
    out = capsys.readouterr().out
    assert "nightly.pbk" in out and "sha256" not in out
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    legs = Leg.objects.count()
    with fresh_database(tmp_path) as (fresh, url):
        restored = puhui(url, "restore", str(target), "--no-input")
        assert restored.returncode == 0, restored.stderr
        assert "puhui audit verify --head" in restored.stdout
        with fresh.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM credit_leg")
            assert cursor.fetchone()[0] == legs > 0


def damaged(path: Path, how: str) -> Path:
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0x01
    elif how == "cut":
        data = data[: len(data) - 100]
    elif how == "header":
        data = data.replace(b'"created_at": "20', b'"created_at": "19')  # same length, another date
    elif how == "append":
        data += data[-200:]
    else:
        data = b"not a backup at all"
    out = path.with_name(f"{how}.pbk")
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("flip", "altered or damaged"),
        ("cut", "cut short"),
        ("header", "altered or damaged"),
        ("append", "data after its end"),
        ("junk", "not a puhui backup"),
    ],
)
def test_a_tampered_file_is_refused_and_changes_nothing(world, tmp_path, monkeypatch, how, message):
    monkeypatch.setattr(backup, "CHUNK_SIZE", 8192)
    info = backup_create(output=tmp_path / "good.pbk")
    bad = damaged(info.path, how)
    with fresh_database(tmp_path) as (fresh, url):
        with pytest.raises(BackupError, match=message):
            backup_restore(source=bad, connection=fresh)
        assert table_count(fresh) == 0
        refused = puhui(url, "restore", str(bad), "--no-input")
        assert refused.returncode != 0 and refused.stderr.strip()
        assert table_count(fresh) == 0


def test_a_wrong_key_is_refused_and_changes_nothing(world, tmp_path, settings):
    info = backup_create(output=tmp_path / "good.pbk")
    settings.PUHUI_PII_KEY = key_new_text()
    with fresh_database(tmp_path) as (fresh, _url):
        with pytest.raises(BackupError, match="another platform key"):
            backup_restore(source=info.path, connection=fresh)
        assert table_count(fresh) == 0


def test_a_backup_of_another_vendor_is_refused(world, tmp_path):
    info = backup_create(output=tmp_path / "good.pbk")
    data = info.path.read_bytes()
    (length,) = struct.unpack(">I", data[8:12])
    header = json.loads(data[12 : 12 + length])
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    body = json.dumps({**header, "vendor": other}).encode()
    forged = tmp_path / "forged.pbk"
    forged.write_bytes(data[:8] + struct.pack(">I", len(body)) + body + data[12 + length :])
    with pytest.raises(BackupError, match=f"backup is of a {other} database"):
        backup_restore(source=forged, using="default")


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("restore", str(tmp_path / "nope.pbk"), "--no-input")
