"""Demo households (DOMAIN §3 step 2), loaded through the real register import.

small: about 30 villages (the demo township and some of 游埠镇) profiled 60–100 %, so gaps show;
county: every village of the city fully profiled (about 200,000 households and 660,000 persons).
About 70 % of households also get an address, industry, land and GPS, the rest stay incomplete.
"""

import random
from decimal import Decimal

from django.db import connection, transaction

from puhui.core.pii_store import pii_cipher
from puhui.demo import plan
from puhui.demo.register import person_row
from puhui.households.importing import household_import_cells
from puhui.households.models import Household
from puhui.households.services import households_completeness_refresh
from puhui.org.models import User, Village

INDUSTRIES = ("粮油种植", "茶叶", "杨梅", "枇杷", "生猪养殖", "淡水养殖", "农家乐", "来料加工", "竹木加工", "外出务工")
SMALL_EXTRA_TOWNSHIP = "330781101"  # 游埠镇
SMALL_EXTRA_VILLAGES = 6


def demo_villages(scale: str) -> list[Village]:
    villages = Village.objects.select_related("township").order_by("code")
    if scale == "county":
        return list(villages)
    demo = list(villages.filter(township__code=plan.DEMO_TOWNSHIP))
    extra = list(villages.filter(township__code=SMALL_EXTRA_TOWNSHIP, is_rural=True)[:SMALL_EXTRA_VILLAGES])
    return demo + extra


def demo_households_load(*, scale: str, seed: int = 330781) -> int:
    """Profile the demo villages that have no households yet; returns the number of households added."""
    user = User.objects.get(username="ho_analyst")
    rng = random.Random(seed)
    used_ids: set[str] = set()
    added = 0
    for village in demo_villages(scale):
        share = 1.0 if scale == "county" else rng.uniform(0.6, 1.0)
        if Household.objects.filter(village=village).exists():
            continue
        cells = list(_village_cells(village, rng, used_ids, share))
        result = household_import_cells(cells=cells, user=user)
        added += result.imported_households
        _profiles_enrich(village, rng)
    return added


def _village_cells(village: Village, rng: random.Random, used_ids: set[str], share: float):
    households = max(1, round(village.registered_households * share))
    mean_size = village.registered_population / max(1, village.registered_households)
    line = 2
    for n in range(households):
        number = f"{village.code}{n + 1:04d}"
        size = max(1, min(8, round(rng.gauss(mean_size, 1.1))))
        for m in range(size):
            yield line, tuple(person_row(rng, used_ids, village.township.code, village.code, number, m))
            line += 1


def _profiles_enrich(village: Village, rng: random.Random) -> None:
    """Address, industry, land and GPS for about 70 % of the village's households (set-based)."""
    cipher = pii_cipher()
    base_lat, base_lng = 29.21 + rng.uniform(-0.15, 0.15), 119.46 + rng.uniform(-0.2, 0.2)
    rows = []
    for pk, number in Household.objects.filter(village=village).values_list("pk", "number"):
        if rng.random() > 0.7:
            continue
        address = f"浙江省兰溪市{village.township.name}{village.name}{int(number[-4:])}号"
        lat = Decimal(f"{base_lat + rng.uniform(-0.01, 0.01):.6f}")
        lng = Decimal(f"{base_lng + rng.uniform(-0.01, 0.01):.6f}")
        land = Decimal(f"{rng.uniform(0.5, 12):.2f}")
        rows.append((cipher.encrypt(address), rng.choice(INDUSTRIES), land, lat, lng, rng.randrange(5, 40), pk))
    table = Household._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET address = %s, main_industry = %s, land_area_mu = %s, gps_lat = %s, gps_lng = %s,"  # noqa: S608
            " gps_accuracy_m = %s WHERE id = %s",
            rows,
        )
        households_completeness_refresh([r[-1] for r in rows])
