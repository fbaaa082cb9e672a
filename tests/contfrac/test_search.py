"""Blind search: finds known formulas, rejects nothing true, writes JSON/CSV, resumes, stops on budget."""

import csv
import json

import pytest

from srkit.contfrac.box import CoefficientBox
from srkit.contfrac.search import RECORD_KEYS, SearchConfig, blind_search

BOX = CoefficientBox(1, 2, (-2, 2), (-2, 2))  # 24 x 124 = 2976 PCFs
CFG = SearchConfig(depth=600, verify_depth=400, metrics=False, block_size=1000, cap_digits=200)


@pytest.fixture(scope="module")
def full():
    return blind_search(BOX, CFG)


def test_finds_known_formulas_and_every_record_is_verified(full):
    found = {(tuple(r["a"]), tuple(r["b"])): r for r in full.records}
    assert found[((1, 2), (0, 0, 1))]["relation"] == "4/pi"         # Euler's 4/pi
    assert found[((0, 1), (0, 1))]["relation"] == "1/(e - 1)"       # a = n, b = n
    assert found[((1,), (1,))]["relation"] == "phi"
    assert all(r["status"] == "verified" and r["digits"] > 50 for r in full.records)
    assert all(min(r["checked_digits"]) > 0.8 * min(r["digits"], 200) for r in full.records)
    assert full.complete and full.n_screened == len(BOX) and not full.stopped_by


def test_slow_formulas_are_reported_apart(full):
    slow = {(tuple(r["a"]), tuple(r["b"])) for r in full.slow}
    verified = {(tuple(r["a"]), tuple(r["b"])) for r in full.records}
    assert not slow & verified
    assert all("slow" in r["reason"] for r in full.slow)


def test_json_and_csv_outputs(full, tmp_path):
    full.to_json(tmp_path / "out.json")
    recs = json.loads((tmp_path / "out.json").read_text())
    assert len(recs) == len(full.records) > 20
    for r in recs:
        assert set(RECORD_KEYS) <= set(r)
        assert isinstance(r["a"], list) and isinstance(r["limit"], str) and isinstance(r["delta"], float)
    full.to_csv(tmp_path / "out.csv")
    rows = list(csv.DictReader(open(tmp_path / "out.csv")))
    assert len(rows) == len(recs) and rows[0]["relation"] == recs[0]["relation"]


def test_resume_gives_the_same_result(full, tmp_path):
    ck = tmp_path / "run.jsonl"
    part = blind_search(BOX, CFG, max_blocks=1, checkpoint=ck)
    assert not part.complete and len(part.blocks_done) == 1
    rest = blind_search(BOX, CFG, checkpoint=ck, resume=True)
    assert rest.complete
    assert [r["index"] for r in rest.records] == [r["index"] for r in full.records]
    with pytest.raises(ValueError, match="another box"):
        blind_search(CoefficientBox(1, 1, (-2, 2), (-2, 2)), CFG, checkpoint=ck, resume=True)


def test_callback_stops_and_keeps_results():
    seen = []
    res = blind_search(BOX, CFG, callbacks=[lambda p: seen.append(p) or True])
    assert res.stopped_by == "callback" and len(seen) == 1 and len(res.blocks_done) == 2


def test_interrupt_returns_what_was_found(tmp_path):
    def interrupt(progress):
        raise KeyboardInterrupt

    res = blind_search(BOX, CFG, callbacks=[interrupt], checkpoint=tmp_path / "ck.jsonl")
    assert res.stopped_by == "interrupt" and len(res.records) > 0
    assert len((tmp_path / "ck.jsonl").read_text().splitlines()) == 2  # header + the finished batch


def test_time_budget_stops_early():
    res = blind_search(BOX, SearchConfig(depth=600, verify_depth=400, metrics=False, block_size=200), time_budget=0.0)
    assert res.stopped_by == "time_budget" and not res.complete and len(res.blocks_done) > 0


def test_bad_config():
    with pytest.raises(ValueError, match="rtol"):
        SearchConfig(rtol=0.1)


@pytest.mark.slow
def test_search_does_not_depend_on_n_jobs(full):
    two = blind_search(BOX, CFG, n_jobs=2)
    assert [(r["index"], r["relation"]) for r in two.records] == [(r["index"], r["relation"]) for r in full.records]


@pytest.mark.slow
def test_wider_moebius_table_reports_4_over_3pi_minus_8_and_everything_before():
    # (3n+3, -2n**2+n) -> 4/(3*pi - 8) needs a coefficient of 8; the table stopped at 6
    box = CoefficientBox(1, 2, (-5, 5), (-5, 5))
    cfg = SearchConfig(metrics=False, block_size=65536)
    wide = blind_search(box, cfg)
    found = {(tuple(r["a"]), tuple(r["b"])): r["relation"] for r in wide.records}
    assert found[((3, 3), (0, 1, -2))] == "4/(3*pi - 8)"
    narrow = blind_search(box, SearchConfig(metrics=False, block_size=65536, max_coef=6))
    before = {(tuple(r["a"]), tuple(r["b"])): r["relation"] for r in narrow.records}
    assert ((3, 3), (0, 1, -2)) not in before
    assert all(found.get(k) == rel for k, rel in before.items())  # everything it reported, and the same way
    assert len(found) > len(before) and not wide.rejected


def test_records_are_tagged_known_or_new_and_new_ones_come_first(full, tmp_path):
    tagged = full.tagged()
    assert {r["known"] for r in tagged} == {True, False}
    flags = [r["known"] for r in tagged]
    assert flags == sorted(flags)  # new (False) first
    by_pcf = {(tuple(r["a"]), tuple(r["b"])): r for r in tagged}
    assert by_pcf[((1, 2), (0, 0, 1))]["known"]          # Euler's 4/pi
    assert by_pcf[((0, 1), (0, 1))]["known"]             # 1/(e - 1)
    full.to_json(tmp_path / "f.json")
    saved = json.loads((tmp_path / "f.json").read_text())
    assert [r["known"] for r in saved] == flags
    assert "not in the catalogue of published ones" in full.summary()
