"""Encrypted backup and restore of the whole database: SQLite (sqlite3 backup API) and PostgreSQL (pg_dump -Fc).

File format (version 1)::

    b"PUHUIBAK" | header length (4 bytes, big-endian) | header (JSON, UTF-8) | chunk …
    chunk = ciphertext length (4 bytes) | AES-256-GCM(plaintext of at most chunk_size bytes)

- The key: HKDF-SHA256 of the platform key (PUHUI_PII_KEY, which production keeps safe anyway) with a random
  salt per file and its own info label, so the backup key is never the key that encrypts personal data, and no
  two files share a key. The header carries an HMAC of a fixed label under that key: a wrong platform key is
  told apart from a damaged file before any chunk is read.
- Each chunk's nonce is its index (8 bytes) and a last-chunk flag; each chunk authenticates the whole header as
  associated data. So an edited header (vendor, created_at, …), reordered, dropped or appended chunks and a cut
  file all fail authentication (the STREAM construction), while the file is written and read in 1 MiB pieces.
- Restore decrypts and authenticates the *whole* file into a private temporary file first and only then touches
  the database: a wrong key, a tampered or cut file is refused with a clear message and nothing is changed. The
  database then changes in one step: SQLite's backup API copies every page in one write transaction;
  pg_restore runs with --single-transaction.
- The audit chain is sealed before the copy and its head is written into the header, so the restored database
  can be checked against it (`puhui audit verify --head …`).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

from puhui.core.audit_chain import audit_seal
from puhui.core.pii import key_from_text

MAGIC = b"PUHUIBAK"
VERSION = 1
CHUNK_SIZE = 1024 * 1024
MAX_HEADER = 64 * 1024
KEY_INFO = b"puhui-backup-v1"
KEY_CHECK_LABEL = b"puhui-backup-key-check"
PAYLOADS = {"sqlite": "sqlite3-database", "postgresql": "pg_dump-custom"}


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why, and nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    header: dict


def backup_create(*, output: Path, using: str = "default") -> BackupInfo:
    """Seal the audit chain, copy the database and write it encrypted to `output` (written whole or not at all)."""
    connection = connections[using]
    vendor = _vendor(connection.vendor)
    seal = audit_seal(using=using)
    master = _master_key()
    salt = os.urandom(16)
    key = _derive(master, salt)
    header = {
        "format": "puhui-backup",
        "version": VERSION,
        "vendor": vendor,
        "payload": PAYLOADS[vendor],
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "salt": base64.b64encode(salt).decode(),
        "key_check": _key_check(key),
        "chunk_size": CHUNK_SIZE,
        "audit_head": f"{seal.head_id}:{seal.head_digest}" if seal.head_id else None,
    }
    output = Path(output)
    partial = output.with_name(output.name + ".part")
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _private_dir() as work, _private_file(partial) as sink:
            if vendor == "sqlite":
                copy = work / "copy.sqlite3"
                _sqlite_copy(connection, copy)
                with copy.open("rb") as source:
                    _encrypt(source, sink, key, header)
            else:
                _pg_dump_encrypted(connection.settings_dict, sink, key, header)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(output, header)


def backup_read_header(path: Path) -> dict:
    """The header of a backup file (not yet authenticated: restore authenticates it with every chunk)."""
    with _open_backup(path) as handle:
        return _read_header(handle)[0]


def backup_restore(*, source: Path, using: str = "default", connection=None) -> dict:
    """Replace the database of `using` (or of the given connection wrapper) with the backup's content; refuse,
    changing nothing, if anything is wrong."""
    connection = connection or connections[using]
    with _private_dir() as work, _open_backup(source) as handle:
        header, prefix = _read_header(handle)
        vendor = _vendor(connection.vendor)
        if header.get("vendor") != vendor:
            raise BackupError(
                _("This backup is of a %(theirs)s database; the configured database is %(ours)s.")
                % {"theirs": header.get("vendor"), "ours": vendor}
            )
        key = _derive(_master_key(), base64.b64decode(header["salt"]))
        if not hmac.compare_digest(header.get("key_check", ""), _key_check(key)):
            raise BackupError(_("This backup was made with another platform key (PUHUI_PII_KEY); it cannot be read."))
        plain = work / "restore.bin"
        with _private_file(plain) as sink:
            _decrypt(handle, sink, key, prefix)
        if vendor == "sqlite":
            _sqlite_restore(connection, plain)
        else:
            _pg_restore(connection.settings_dict, plain)
    return header


# --- the encrypted stream ------------------------------------------------------------------------------------


def _encrypt(source: BinaryIO, sink: BinaryIO, key: bytes, header: dict) -> None:
    body = json.dumps(header, sort_keys=True).encode()
    prefix = MAGIC + struct.pack(">I", len(body)) + body
    sink.write(prefix)
    aead = AESGCM(key)
    index, chunk = 0, source.read(CHUNK_SIZE)
    while True:
        following = source.read(CHUNK_SIZE) if len(chunk) == CHUNK_SIZE else b""
        last = not following
        sealed = aead.encrypt(_nonce(index, last), chunk, prefix)
        sink.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        index, chunk = index + 1, following


def _decrypt(handle: BinaryIO, sink: BinaryIO, key: bytes, prefix: bytes) -> None:
    aead = AESGCM(key)
    index = 0
    while True:
        size_bytes = handle.read(4)
        if len(size_bytes) < 4:
            raise BackupError(_("The backup file is cut short or damaged; nothing was restored."))
        (size,) = struct.unpack(">I", size_bytes)
        sealed = handle.read(size) if size <= CHUNK_SIZE + 16 else b""
        if len(sealed) != size or size < 16:
            raise BackupError(_("The backup file is cut short or damaged; nothing was restored."))
        last = _open_chunk(aead, index, sealed, prefix, sink)
        if last:
            if handle.read(1):
                raise BackupError(_("The backup file has data after its end: it was tampered with."))
            return
        index += 1


def _open_chunk(aead: AESGCM, index: int, sealed: bytes, prefix: bytes, sink: BinaryIO) -> bool:
    """Decrypt chunk `index`; True if it is the last one."""
    for last in (False, True):
        try:
            sink.write(aead.decrypt(_nonce(index, last), sealed, prefix))
            return last
        except InvalidTag:
            continue
    message = _("The backup file was altered or damaged (chunk %(index)s fails authentication).")
    raise BackupError(message % {"index": index})


def _nonce(index: int, last: bool) -> bytes:
    return struct.pack(">Q", index) + b"\x00\x00\x00" + (b"\x01" if last else b"\x00")


def _read_header(handle: BinaryIO) -> tuple[dict, bytes]:
    magic = handle.read(len(MAGIC))
    length_bytes = handle.read(4)
    if magic != MAGIC or len(length_bytes) != 4:
        raise BackupError(_("This is not a puhui backup file."))
    (length,) = struct.unpack(">I", length_bytes)
    body = handle.read(length) if length <= MAX_HEADER else b""
    try:
        header = json.loads(body)
        base64.b64decode(header["salt"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise BackupError(_("The backup file's header is damaged.")) from None
    if header.get("format") != "puhui-backup" or header.get("version") != VERSION:
        raise BackupError(_("This backup file's format version is not supported."))
    return header, magic + length_bytes + body


def _master_key() -> bytes:
    return key_from_text(settings.PUHUI_PII_KEY)


def _derive(master: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=KEY_INFO).derive(master)


def _key_check(key: bytes) -> str:
    return hmac.new(key, KEY_CHECK_LABEL, hashlib.sha256).hexdigest()


def _vendor(vendor: str) -> str:
    if vendor not in PAYLOADS:
        raise BackupError(_("Backups support SQLite and PostgreSQL only."))
    return vendor


@contextmanager
def _private_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="puhui-backup-"))  # mode 0700: the plaintext copy lives here briefly
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _private_file(path: Path) -> Iterator[BinaryIO]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        yield handle


@contextmanager
def _open_backup(path: Path) -> Iterator[BinaryIO]:
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 — closed by the with below, after the error is translated
    except OSError as exc:
        raise BackupError(_("The backup file cannot be read: %(error)s") % {"error": exc.strerror}) from None
    with handle:
        yield handle


# --- SQLite --------------------------------------------------------------------------------------------------


def _sqlite_copy(connection, target: Path) -> None:
    """A consistent copy through SQLite's backup API (works while others read and write, and for :memory:)."""
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()


def _sqlite_restore(connection, plain: Path) -> None:
    source = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
    try:
        try:
            ok = source.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            ok = False
        if not ok:
            raise BackupError(_("The backup decrypts but is not a sound SQLite database; nothing was restored."))
        connection.close()
        connection.ensure_connection()
        source.backup(connection.connection)  # every page in one write transaction on the target
    finally:
        source.close()
        connection.close()


# --- PostgreSQL ----------------------------------------------------------------------------------------------


def _pg_dump_encrypted(settings_dict: dict, sink: BinaryIO, key: bytes, header: dict) -> None:
    args, env = _libpq(settings_dict)
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)  # noqa: S603 — fixed argv, no shell
        try:
            _encrypt(process.stdout, sink, key, header)
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            raise BackupError(_("pg_dump failed: %(error)s") % {"error": errors.read().decode(errors="replace")})


def _pg_restore(settings_dict: dict, plain: Path) -> None:
    args, env = _libpq(settings_dict)
    command = [
        "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
        "--exit-on-error", *args[:-1], "--dbname", args[-1], str(plain),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 — fixed argv, no shell
    if result.returncode != 0:
        raise BackupError(_("pg_restore failed, nothing was changed: %(error)s") % {"error": result.stderr.strip()})


def _libpq(settings_dict: dict) -> tuple[list[str], dict]:
    """Connection options for pg_dump / pg_restore from Django's settings; the password only in the environment."""
    from django.db.backends.postgresql.client import DatabaseClient

    args, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    return args[1:], {**os.environ, **(env or {})}
