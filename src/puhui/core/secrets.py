"""Secrets come from the environment; outside production a random one is made once under var/."""

import os
import secrets
from pathlib import Path


def secret_from_env_or_file(name: str, path: Path, *, required: bool, factory=None) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if required:
        raise RuntimeError(f"{name} must be set in production")
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = factory() if factory else secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
