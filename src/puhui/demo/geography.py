"""Demo geography of 兰溪市 (Lanxi city, Zhejiang, county code 330781).

This is synthetic demo data for the rural-bank platform demo: the 16
township-level divisions and their codes follow the real structure, but the
village / community names are plausible inventions built from syllable lists
(plus a handful of well-known Lanxi village names). It is NOT the official
administrative register, and the population / household figures are
generated deterministically from ``random.Random(seed)``.

Standard library only -- no Django imports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CITY_CODE = "330781"
CITY_NAME = "兰溪市"


@dataclass(frozen=True)
class VillageSpec:
    code: str  # 12 digits: '330781' + 3 township + 3 village
    name: str  # e.g. '下陈村' or '兰江社区'
    is_rural: bool  # False for urban 社区, True for 行政村
    population: int  # registered population 村人数
    households: int  # registered household count 村户数


@dataclass(frozen=True)
class TownshipSpec:
    code: str  # 9 digits, e.g. '330781101'
    name: str  # e.g. '游埠镇'
    kind: str  # 'street' (街道) | 'town' (镇) | 'township' (乡)
    villages: tuple[VillageSpec, ...]


# (code suffix, name, kind, community names, rural village count, real village names)
# Community names get the suffix 社区; village names get 村.
_TOWNSHIPS: tuple[tuple[str, str, str, tuple[str, ...], int, tuple[str, ...]], ...] = (
    (
        "001",
        "兰江街道",
        "street",
        ("兰江", "城中", "城东", "城西", "江滨", "西门", "北门", "南门", "桃花坞", "中洲", "振兴", "丹溪"),
        10,
        (),
    ),
    (
        "002",
        "云山街道",
        "street",
        ("云山", "清风", "和平", "新城", "官塘", "白沙", "五里", "横山", "紫金"),
        18,
        (),
    ),
    ("003", "上华街道", "street", ("上华", "兰荫", "华丰", "大桥"), 20, ()),
    ("004", "永昌街道", "street", ("永昌", "永福", "昌盛"), 24, ("姚村", "石渠村")),
    ("005", "赤溪街道", "street", ("赤溪", "溪南", "兴隆"), 20, ("社峰村",)),
    ("006", "女埠街道", "street", ("女埠", "兰湖"), 22, ("渡渎村",)),
    ("101", "游埠镇", "town", ("游埠", "溪西"), 28, ("下陈村",)),
    ("102", "诸葛镇", "town", ("诸葛",), 23, ("诸葛村", "长乐村", "厚仁村")),
    ("103", "黄店镇", "town", ("黄店",), 22, ("芝堰村",)),
    ("104", "香溪镇", "town", ("香溪",), 22, ()),
    ("105", "马涧镇", "town", ("马涧",), 20, ()),
    ("106", "梅江镇", "town", ("梅江",), 21, ()),
    ("107", "横溪镇", "town", ("横溪",), 15, ()),
    ("200", "灵洞乡", "township", (), 12, ()),
    ("201", "柏社乡", "township", (), 10, ()),
    ("202", "水亭畲族乡", "township", (), 12, ()),
)

# Syllables for generated 行政村 names: <surname / feature> + <place word> + 村.
_PREFIXES = (
    "下",
    "上",
    "前",
    "后",
    "东",
    "西",
    "南",
    "北",
    "大",
    "小",
    "新",
    "石",
    "高",
    "长",
    "黄",
    "陈",
    "王",
    "李",
    "张",
    "吴",
    "徐",
    "方",
    "周",
    "柳",
    "杨",
    "叶",
    "洪",
    "童",
    "章",
    "胡",
    "金",
    "梅",
    "竹",
    "桐",
    "龙",
    "项",
)
_PLACES = (
    "塘",
    "溪",
    "山",
    "坞",
    "岭",
    "坑",
    "源",
    "宅",
    "畈",
    "桥",
    "口",
    "头",
    "湖",
    "垅",
    "田",
    "里",
    "店",
    "墩",
    "园",
    "岩",
)

_NAME_SEED = 330781  # names are fixed regardless of the population seed
_TARGET_POP = (655_000, 665_000)
_HH_SIZE_MEAN = (3.28, 3.32)


def _name_pool() -> list[str]:
    pool = [p + q + "村" for p in _PREFIXES for q in _PLACES if p != q]
    random.Random(_NAME_SEED).shuffle(pool)
    return pool


def _scale_to(values: list[int], target: int, floors: list[int]) -> list[int]:
    """Scale ``values`` so they sum exactly to ``target`` (each >= its floor)."""
    factor = target / sum(values)
    out = [max(f, round(v * factor)) for v, f in zip(values, floors, strict=True)]
    diff = target - sum(out)
    # Put the rounding residual on the largest entries, one unit at a time.
    order = sorted(range(len(out)), key=lambda i: (-out[i], i))
    k = 0
    while diff != 0:
        i = order[k % len(order)]
        step = 1 if diff > 0 else -1
        if out[i] + step >= floors[i]:
            out[i] += step
            diff -= step
        k += 1
    return out


def lanxi_townships(seed: int = 330781) -> list[TownshipSpec]:
    """Return the 16 townships of 兰溪市 with their villages, deterministically."""
    rng = random.Random(seed)
    pool = _name_pool()
    used: set[str] = set()
    for row in _TOWNSHIPS:
        used.update(row[5])
    pool_pos = 0

    # First pass: codes, names and raw (unscaled) figures.
    codes: list[str] = []
    names: list[str] = []
    rural_flags: list[bool] = []
    owners: list[int] = []
    raw_pop: list[int] = []
    hh_size: list[float] = []
    for t_idx, (suffix, _tname, kind, communities, n_rural, real) in enumerate(_TOWNSHIPS):
        t_code = CITY_CODE + suffix
        for i, cname in enumerate(communities, start=1):
            codes.append(f"{t_code}{i:03d}")
            names.append(cname + "社区")
            rural_flags.append(False)
            owners.append(t_idx)
            raw_pop.append(rng.randint(3_000, 9_000))
            hh_size.append(rng.uniform(2.85, 3.5))
        village_names = list(real)
        while len(village_names) < n_rural:
            cand = pool[pool_pos]
            pool_pos += 1
            if cand not in used:
                used.add(cand)
                village_names.append(cand)
        mu = 7.45 if kind == "street" else 7.3  # median ~1,720 / ~1,480
        for j, vname in enumerate(village_names, start=1):
            codes.append(f"{t_code}{200 + j:03d}")
            names.append(vname)
            rural_flags.append(True)
            owners.append(t_idx)
            pop = int(rng.lognormvariate(mu, 0.5))
            raw_pop.append(min(6_400, max(700, pop)))
            hh_size.append(rng.uniform(2.85, 3.7))

    # Second pass: scale so that city totals land in the target ranges.
    target_pop = rng.randint(*_TARGET_POP)
    target_hh = round(target_pop / rng.uniform(*_HH_SIZE_MEAN))
    population = _scale_to(raw_pop, target_pop, [2] * len(raw_pop))
    raw_hh = [max(1, round(p / s)) for p, s in zip(population, hh_size, strict=True)]
    households = _scale_to(raw_hh, target_hh, [1] * len(raw_hh))
    # Keep population >= households (only possible to break for tiny villages).
    households = [min(h, p) for h, p in zip(households, population, strict=True)]

    result: list[TownshipSpec] = []
    for t_idx, (suffix, tname, kind, _c, _n, _r) in enumerate(_TOWNSHIPS):
        villages = tuple(
            VillageSpec(codes[k], names[k], rural_flags[k], population[k], households[k])
            for k in range(len(codes))
            if owners[k] == t_idx
        )
        result.append(TownshipSpec(CITY_CODE + suffix, tname, kind, villages))
    return result
