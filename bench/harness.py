"""Benchmark harness: each workload is timed beside its raw-SQL baseline in the same run.

A workload module has `run(size: int) -> Measurement`. Results go to bench/results/NAME.json, a JSON array
with one object per database backend, and bench/results/NAME.md, the markdown table the README quotes.
"""

import json
import os
import platform
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    workload: str
    size: int
    seconds: float
    baseline_seconds: float
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("inf")


class Stopwatch:
    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def timing(self):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start


def backend_name() -> str:
    return "postgresql" if connection.vendor == "postgresql" else connection.vendor


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def record(measurement: Measurement) -> dict:
    """Write this backend's row into bench/results/NAME.json (keeping the other backend's) and the table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{measurement.workload}.json"
    rows = [r for r in _load(path) if r.get("backend") != backend_name()]
    row = {
        "workload": measurement.workload,
        "backend": backend_name(),
        "size": measurement.size,
        "seconds": round(measurement.seconds, 3),
        "baseline_seconds": round(measurement.baseline_seconds, 3),
        "ratio": round(measurement.ratio, 2),
        "machine": machine(),
        "extra": measurement.extra,
    }
    rows.append(row)
    rows.sort(key=lambda r: r["backend"])
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    (RESULTS / f"{measurement.workload}.md").write_text(markdown_table(rows))
    return row


def _load(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return []


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| workload | backend | size | seconds | baseline seconds | ratio | machine |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workload']} | {r['backend']} | {r['size']:,} | {r['seconds']:.2f} | "
            f"{r['baseline_seconds']:.2f} | {r['ratio']:.2f} | {r['machine']} |"
        )
    return "\n".join(lines) + "\n"
