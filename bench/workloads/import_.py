"""`puhui bench import`: a generated register workbook imported end to end by the real service, beside a
baseline that reads the same file with calamine and inserts the same rows with one raw executemany
(no validation, no encryption, no grouping)."""

import random
import statistics
import tempfile
from pathlib import Path

from django.db import connection, transaction
from python_calamine import CalamineWorkbook

from bench.harness import Measurement, Stopwatch
from puhui.demo.register import RegisterFile, person_row
from puhui.demo.services import demo_load
from puhui.households.importing import household_import
from puhui.households.models import Household, Person
from puhui.org.models import Village

NAME = "import"
PREFIX = "BENCH-"  # the benchmark's own households: only these are removed before a run
DEFAULT_SIZE = 100_000
CACHE = Path(tempfile.gettempdir()) / "puhui-bench"


def workbook(size: int) -> Path:
    """`size` rows (about 3 per household) spread over the city's villages; made once and cached."""
    path = CACHE / f"register-{PREFIX}{size}.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(size)
    villages = list(Village.objects.values_list("township__code", "code").order_by("code"))
    register, used, n = RegisterFile(), set(), 0
    while len(register.rows) < size:
        township, village = villages[n % len(villages)]
        number = f"{PREFIX}{n:07d}"
        for m in range(min(rng.choice((1, 2, 3, 3, 4, 5)), size - len(register.rows))):
            register.rows.append(person_row(rng, used, township, village, number, m))
        n += 1
    return register.save(path)


def baseline(path: Path) -> float:
    watch = Stopwatch()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_register_rows")
        cursor.execute(
            "CREATE TABLE bench_register_rows (township text, village text, number text, relation text, name text,"
            " id_number text, phone text, occupation text, income text, assets text, debts text, low_income text)"
        )
    with watch.timing(), transaction.atomic():
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1:]
        params = [tuple("" if c is None else str(c) for c in row[:12]) for row in rows]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_register_rows VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", params
            )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_register_rows")
    return watch.seconds


ROUNDS = 3


def remove_bench_households() -> None:
    """The previous round's rows, removed in two statements (the ORM would collect and audit 100,000 rows)."""
    person, household = Person._meta.db_table, Household._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {person} WHERE household_id IN (SELECT id FROM {household} WHERE number LIKE %s)",
            [PREFIX + "%"],
        )
        cursor.execute(f"DELETE FROM {household} WHERE number LIKE %s", [PREFIX + "%"])


def run(size: int = DEFAULT_SIZE) -> Measurement:
    """Three rounds of baseline then import on a clean slate; the medians are compared."""
    demo_load()
    from puhui.org.models import User

    user = User.objects.get(username="ho_analyst")
    path = workbook(size)
    imports, baselines = [], []
    for _ in range(ROUNDS):
        remove_bench_households()
        baselines.append(baseline(path))
        watch = Stopwatch()
        with watch.timing():
            result = household_import(path=path, user=user)
        assert result.rejected_rows == 0, result
        imports.append(watch.seconds)
    return Measurement(
        NAME,
        size,
        statistics.median(imports),
        statistics.median(baselines),
        extra={
            "households": result.imported_households,
            "persons": result.imported_persons,
            "rounds": ROUNDS,
            "import_seconds": [round(x, 3) for x in imports],
            "baseline_seconds": [round(x, 3) for x in baselines],
        },
    )
