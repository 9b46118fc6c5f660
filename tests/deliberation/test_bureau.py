"""征信: the batch result CSV import (good rows, every bad kind, idempotent rerun, encodings, whole-file refusals,
all-or-nothing on a crash), facts_for's latest record, and the deterministic demo bureau."""

import datetime
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from puhui.core.ids import resident_id_check_char
from puhui.deliberation import bureau
from puhui.deliberation.bureau import (
    HEADER,
    BureauFileRefused,
    CsvBureau,
    DemoBureau,
    RecordedBureau,
    bureau_csv_import,
    reason_text,
)
from puhui.deliberation.eligibility import BureauFacts, months_before
from puhui.deliberation.models import BureauRecord
from puhui.households import services
from puhui.households.models import Household, Person
from puhui.org import roles

D = datetime.date
TODAY = D(2017, 7, 1)


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


HEAD_ID = resident_id("33078119800101123")
SPOUSE_ID = resident_id("33078119820202124")
SON_ID = "33078119850315102X"  # check character X: the file may write it lower-case
NEIGHBOUR_ID = resident_id("33078119700707135")
UNKNOWN_ID = resident_id("33078119900909146")  # valid, but nobody on the platform has it
BAD_CHECKSUM_ID = HEAD_ID[:17] + ("0" if HEAD_ID[17] != "0" else "1")


@pytest.fixture
def people(world) -> dict[str, Person]:
    """Four people registered through the households service (encrypted ID, blind index, birth date)."""
    user = world.users[roles.HEAD_OFFICE]
    made = {}
    for number, members in (
        (
            "001",
            [
                ("head", "王大明", HEAD_ID, "13812345678"),
                ("spouse", "李小红", SPOUSE_ID, ""),
                ("child", "王小明", SON_ID, ""),
            ],
        ),
        ("002", [("head", "赵四", NEIGHBOUR_ID, "13998765432")]),
    ):
        household = services.household_save(
            user=user,
            household=Household(village=world.village_mine),
            fields={"grid": world.grid_mine, "number": number},
        )
        for relation, name, id_number, phone in members:
            made[id_number] = services.person_save(
                user=user,
                household=household,
                person=None,
                relation=relation,
                name=name,
                id_number=id_number,
                phone=phone,
                occupation="",
            )
    return made


def csv_file(path: Path, rows, *, header=HEADER, encoding="utf-8", bom=False) -> Path:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def good_rows() -> list[list[str]]:
    return [
        [HEAD_ID, "2017-06-30", "否", "否", "否", "否", "否", ""],
        [SPOUSE_ID, "2017-06-30", "是", "否", "否", "否", "是", "2016-03-01"],
        [SON_ID.lower(), "2017-06-30", "否", "否", "否", "否", "否", "2014-05-20"],
    ]


def do_import(world, path, **kwargs):
    return bureau_csv_import(path=path, user=world.users[roles.HEAD_OFFICE], today=TODAY, **kwargs)


def stored() -> dict:
    return {(r.person_id, r.queried_on): r for r in BureauRecord.objects.all()}


def test_good_rows_apply_and_bad_rows_are_listed_with_reasons(world, people, tmp_path):
    bad = [
        [BAD_CHECKSUM_ID, "2017-06-30", "否", "否", "否", "否", "否", ""],  # row 5
        [UNKNOWN_ID, "2017-06-30", "否", "否", "否", "否", "否", ""],  # row 6
        [NEIGHBOUR_ID, "2017/06/30", "否", "否", "否", "否", "否", ""],  # row 7
        [NEIGHBOUR_ID, "2017-07-02", "否", "否", "否", "否", "否", ""],  # row 8: after today
        [NEIGHBOUR_ID, "2017-06-29", "否", "maybe", "否", "否", "否", ""],  # row 9
        [NEIGHBOUR_ID, "2017-06-28", "否", "否", "否", "否", "否"],  # row 10: a column missing
        [NEIGHBOUR_ID, "2017-06-27", "否", "否", "否", "否", "否", "", "多余"],  # row 11: one too many
        [NEIGHBOUR_ID, "2017-02-30", "否", "否", "否", "否", "否", "2017-06-31"],  # row 12: no such days
        [NEIGHBOUR_ID, "2017-06-26", "否", "否", "否", "否", "否", "2017-06-27"],  # row 13: settled after query
    ]
    path = csv_file(tmp_path / "征信批量查询结果.csv", good_rows() + bad)
    result = do_import(world, path)

    assert (result.applied, result.unchanged) == (3, 0)
    reasons = {line: (masked, set(texts)) for line, masked, texts in result.rejected_rows}
    assert sorted(reasons) == list(range(5, 14))
    assert reasons[5] == ("3307**********" + BAD_CHECKSUM_ID[-4:], {"身份证号校验位不正确。"})
    assert reasons[6] == ("3307**********" + UNKNOWN_ID[-4:], {reason_text("person_unknown")})
    assert reasons[7][1] == {reason_text("date_format", column="查询日期")}
    assert reasons[8][1] == {reason_text("date_future", column="查询日期")}
    assert reasons[9][1] == {reason_text("flag_value", column="不良余额")}
    assert reasons[10][1] == {reason_text("columns", count=7, expected=8)}
    assert reasons[11][1] == {reason_text("columns", count=9, expected=8)}
    assert reasons[12][1] == {
        reason_text("date_format", column="查询日期"),
        reason_text("date_format", column="逾期结清日期"),
    }
    assert reasons[13][1] == {reason_text("settled_after_query")}
    # the listing never carries a full ID number
    assert not any(full in repr(result) for full in (BAD_CHECKSUM_ID, UNKNOWN_ID, NEIGHBOUR_ID))

    records = stored()
    assert set(records) == {(people[i].pk, D(2017, 6, 30)) for i in (HEAD_ID, SPOUSE_ID, SON_ID)}
    spouse = records[(people[SPOUSE_ID].pk, D(2017, 6, 30))]
    assert spouse.current_overdue and spouse.litigation_defendant and not spouse.non_performing
    assert spouse.settled_overdue_on == D(2016, 3, 1)
    assert spouse.source == BureauRecord.Source.CSV
    assert spouse.source_file == "征信批量查询结果.csv"
    assert spouse.imported_by == world.users[roles.HEAD_OFFICE]
    assert records[(people[HEAD_ID].pk, D(2017, 6, 30))].settled_overdue_on is None


def test_every_problem_of_a_row_is_listed(world, people, tmp_path):
    path = csv_file(tmp_path / "b.csv", [[UNKNOWN_ID, "", "Y", "否", "1", "否", "否", "昨天"]])
    result = do_import(world, path)
    [(line, _masked, texts)] = result.rejected_rows
    assert line == 2
    assert set(texts) == {
        reason_text("person_unknown"),
        reason_text("date_required", column="查询日期"),
        reason_text("flag_value", column="当前逾期"),
        reason_text("flag_value", column="服刑"),
        reason_text("date_format", column="逾期结清日期"),
    }
    assert BureauRecord.objects.count() == 0


def test_rerun_is_idempotent_and_a_changed_row_updates_in_place(world, people, tmp_path):
    path = csv_file(tmp_path / "b.csv", good_rows())
    assert do_import(world, path).applied == 3
    before = {key: (r.pk, r.imported_at) for key, r in stored().items()}

    again = do_import(world, path)
    assert (again.applied, again.unchanged, again.rejected_rows) == (0, 3, [])
    assert {key: (r.pk, r.imported_at) for key, r in stored().items()} == before

    changed = good_rows()
    changed[0][2] = "是"
    changed.append([HEAD_ID, "2017-05-31", "否", "否", "否", "否", "否", ""])  # another day: another record
    result = do_import(world, csv_file(tmp_path / "b2.csv", changed))
    assert (result.applied, result.unchanged) == (2, 2)
    records = stored()
    assert len(records) == 4
    head = records[(people[HEAD_ID].pk, D(2017, 6, 30))]
    assert head.current_overdue and head.pk == before[(people[HEAD_ID].pk, D(2017, 6, 30))][0]
    assert head.source_file == "b2.csv"


def test_a_demo_record_of_the_same_day_is_replaced_by_the_file(world, people, tmp_path):
    DemoBureau(seed=1).records_create([people[HEAD_ID].pk], queried_on=D(2017, 6, 30))
    result = do_import(world, csv_file(tmp_path / "b.csv", good_rows()[:1]))
    assert (result.applied, result.unchanged) == (1, 0)
    record = BureauRecord.objects.get()
    assert record.source == BureauRecord.Source.CSV


def test_the_same_person_and_day_twice_keeps_the_first(world, people, tmp_path):
    rows = [good_rows()[0], [HEAD_ID, "2017-06-30", "是", "否", "否", "否", "否", ""]]
    result = do_import(world, csv_file(tmp_path / "b.csv", rows))
    assert result.applied == 1
    assert result.rejected_rows == [(3, "3307**********" + HEAD_ID[-4:], (reason_text("repeated", line=2),))]
    assert not BureauRecord.objects.get().current_overdue


def test_a_batch_date_rejects_rows_of_another_day(world, people, tmp_path):
    rows = [good_rows()[0], [SPOUSE_ID, "2017-06-29", "否", "否", "否", "否", "否", ""]]
    result = do_import(world, csv_file(tmp_path / "b.csv", rows), queried_on=D(2017, 6, 30))
    assert result.applied == 1
    assert result.rejected_rows == [
        (3, "3307**********" + SPOUSE_ID[-4:], (reason_text("date_other_batch", date="2017-06-30"),))
    ]


@pytest.mark.parametrize(("encoding", "bom"), [("gb18030", False), ("utf-8", True), ("utf-8", False)])
def test_encodings(world, people, tmp_path, encoding, bom):
    path = csv_file(tmp_path / "b.csv", good_rows(), encoding=encoding, bom=bom)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    result = do_import(world, path)
    assert (result.applied, result.rejected_rows) == (3, [])


def test_quoted_cells_and_spaces_are_accepted(world, people, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(
        " 身份证号 ,查询日期,当前逾期,不良余额,服刑,涉毒,被诉,逾期结清日期\n"
        f'"{HEAD_ID}", 2017-06-30 ,否,否,否,否,否,""\n\n'
    )
    result = do_import(world, path)
    assert (result.applied, result.rejected_rows) == (1, [])


def workbook_bytes() -> bytes:
    book = Workbook()
    book.active.append(list(HEADER))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


REFUSED_FILES = {
    "wrong header": (
        "身份证号,查询日期,当前逾期,不良余额,服刑,涉毒,被诉\n" + HEAD_ID + ",2017-06-30,否,否,否,否,否\n"
    ).encode(),
    "header reordered": (",".join(reversed(HEADER)) + "\n").encode() + b"x\n",
    "empty": b"",
    "blank lines only": b"\r\n\r\n",
    "header only": (",".join(HEADER) + "\r\n\r\n").encode(),
    "a workbook": workbook_bytes(),
    "neither UTF-8 nor GB18030": b"\xff\xfe\xff\xfe" * 10,
    "BOM then not UTF-8": b"\xef\xbb\xbf" + ",".join(HEADER).encode("gb18030"),
}


@pytest.mark.parametrize("content", list(REFUSED_FILES.values()), ids=list(REFUSED_FILES))
def test_unusable_files_are_refused_and_change_nothing(world, people, tmp_path, content):
    do_import(world, csv_file(tmp_path / "first.csv", good_rows()))
    before = {key: (r.pk, r.current_overdue) for key, r in stored().items()}
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(BureauFileRefused) as exc:
        do_import(world, path)
    assert exc.value.message
    assert {key: (r.pk, r.current_overdue) for key, r in stored().items()} == before


def test_too_large_a_file_is_refused(world, people, tmp_path, settings):
    path = csv_file(tmp_path / "b.csv", good_rows())
    settings.PUHUI_IMPORT_MAX_BYTES = path.stat().st_size - 1
    with pytest.raises(BureauFileRefused):
        do_import(world, path)
    assert BureauRecord.objects.count() == 0


def test_the_refusal_messages_are_specific(world, people, tmp_path):
    path = csv_file(tmp_path / "b.csv", [], header=HEADER[:-1])
    with pytest.raises(BureauFileRefused) as exc:
        do_import(world, path)
    assert ",".join(HEADER) in exc.value.message


@pytest.mark.django_db(transaction=True)
def test_a_crash_mid_apply_leaves_nothing_applied(world, people, tmp_path, monkeypatch):
    head_key = (people[HEAD_ID].pk, D(2017, 6, 30))
    do_import(world, csv_file(tmp_path / "first.csv", good_rows()[:1]))
    changed = good_rows()
    changed[0][3] = "是"  # the head's record changes, the others are new
    writes = []
    real_write = bureau._records_write

    def write_then_fail(batch):
        if writes:
            raise RuntimeError("disk full")
        writes.append(len(batch))
        real_write(batch)

    monkeypatch.setattr(bureau, "WRITE_BATCH", 1)
    monkeypatch.setattr(bureau, "_records_write", write_then_fail)
    with pytest.raises(RuntimeError):
        do_import(world, csv_file(tmp_path / "second.csv", changed))
    assert writes == [1]  # one record really was written before the failure
    records = stored()
    assert list(records) == [head_key]
    assert not records[head_key].non_performing


def test_matching_is_by_blind_index_in_bulk(world, people, tmp_path, django_assert_max_num_queries):
    rows = [[i, "2017-06-30", "否", "否", "否", "否", "否", ""] for i in (HEAD_ID, SPOUSE_ID, SON_ID, NEIGHBOUR_ID)]
    rows += [[i, "2017-05-31", "否", "否", "否", "否", "否", ""] for i in (HEAD_ID, SPOUSE_ID, SON_ID, NEIGHBOUR_ID)]
    rows += [
        [resident_id(f"330781199001{n:02d}15{n % 10}"), "2017-06-30", "否", "否", "否", "否", "否", ""]
        for n in range(1, 29)
    ]
    path = csv_file(tmp_path / "b.csv", rows)
    # a person lookup, a read of the stored records and one write (in a savepoint), whatever the number of rows
    with django_assert_max_num_queries(5):
        result = do_import(world, path)
    assert (result.applied, len(result.rejected_rows)) == (8, 28)


# ---- adapters ----


def record(person, day, **facts):
    return BureauRecord.objects.create(person=person, queried_on=day, source=BureauRecord.Source.CSV, **facts)


def test_facts_for_takes_the_latest_record_on_or_before_the_day(world, people):
    head, spouse, son = people[HEAD_ID], people[SPOUSE_ID], people[SON_ID]
    record(head, D(2016, 1, 1), current_overdue=True)
    record(head, D(2017, 1, 1), litigation_defendant=True, settled_overdue_on=D(2016, 12, 1))
    record(head, D(2018, 1, 1), drug_record=True)
    record(spouse, D(2017, 6, 30), non_performing=True)
    adapter = CsvBureau()

    facts = adapter.facts_for([head.pk, spouse.pk, son.pk], D(2017, 6, 30))
    assert facts == {
        head.pk: BureauFacts(queried_on=D(2017, 1, 1), litigation_defendant=True, settled_overdue_on=D(2016, 12, 1)),
        spouse.pk: BureauFacts(queried_on=D(2017, 6, 30), non_performing=True),
    }
    assert adapter.facts_for([head.pk], D(2017, 1, 1))[head.pk].queried_on == D(2017, 1, 1)
    assert adapter.facts_for([head.pk], D(2016, 12, 31))[head.pk] == BureauFacts(
        queried_on=D(2016, 1, 1), current_overdue=True
    )
    assert adapter.facts_for([head.pk, spouse.pk], D(2015, 12, 31)) == {}
    assert bureau.facts_for([head.pk], D(2030, 1, 1))[head.pk].drug_record
    assert RecordedBureau().facts_for([], D(2017, 1, 1)) == {}


def test_demo_draws_are_deterministic_for_a_seed():
    day = D(2017, 6, 30)
    first = [DemoBureau(seed=7).facts_draw(pk, day) for pk in range(1, 3001)]
    again = [DemoBureau(seed=7).facts_draw(pk, day) for pk in reversed(range(1, 3001))]
    assert first == list(reversed(again))
    other = [DemoBureau(seed=8).facts_draw(pk, day) for pk in range(1, 3001)]
    assert first != other


def test_demo_rates_and_settled_dates_spread_around_the_look_back():
    day = D(2017, 6, 30)
    draws = [DemoBureau(seed=2016).facts_draw(pk, day) for pk in range(1, 20_001)]
    shares = Counter()
    for facts in draws:
        for name in ("current_overdue", "non_performing", "litigation_defendant", "drug_record", "serving_sentence"):
            shares[name] += getattr(facts, name)
        shares["settled"] += facts.settled_overdue_on is not None
    expected = {
        "current_overdue": 0.02,
        "non_performing": 0.01,
        "litigation_defendant": 0.03,
        "drug_record": 0.003,
        "serving_sentence": 0.002,
        "settled": 0.05,
    }
    for name, rate in expected.items():
        assert abs(shares[name] / 20_000 - rate) < max(rate * 0.3, 0.002), name
    settled = [f.settled_overdue_on for f in draws if f.settled_overdue_on]
    cut_off = months_before(day, 24)
    assert all(s <= day for s in settled)
    assert 0.3 < sum(s >= cut_off for s in settled) / len(settled) < 0.7


def test_demo_records_are_created_in_bulk_once(world, people, django_assert_max_num_queries):
    ids = [p.pk for p in people.values()]
    day = D(2017, 6, 30)
    demo = DemoBureau(seed=3)
    with django_assert_max_num_queries(4):
        assert demo.records_create(ids, queried_on=day, user=world.users[roles.HEAD_OFFICE]) == 4
    assert demo.records_create(ids, queried_on=day) == 0
    assert BureauRecord.objects.filter(source=BureauRecord.Source.DEMO).count() == 4
    assert demo.facts_for(ids, day) == {pk: demo.facts_draw(pk, day) for pk in ids}


# ---- the command ----


def test_command_prints_counts_and_rejected_rows(world, people, tmp_path):
    rows = good_rows() + [[UNKNOWN_ID, "2017-06-30", "否", "否", "否", "否", "否", ""]]
    path = csv_file(tmp_path / "b.csv", rows)
    out = io.StringIO()
    call_command("import-bureau", str(path), "--user", "head", stdout=out)
    text = out.getvalue()
    assert "3" in text.splitlines()[0]
    assert "3307**********" + UNKNOWN_ID[-4:] in text
    assert reason_text("person_unknown") in text
    assert UNKNOWN_ID not in text
    assert BureauRecord.objects.count() == 3


def test_command_refusals(world, people, tmp_path):
    with pytest.raises(CommandError):
        call_command("import-bureau", str(tmp_path / "missing.csv"))
    path = tmp_path / "bad.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError):
        call_command("import-bureau", str(path))
    with pytest.raises(CommandError):
        call_command("import-bureau", str(csv_file(tmp_path / "b.csv", good_rows())), "--user", "nobody")
