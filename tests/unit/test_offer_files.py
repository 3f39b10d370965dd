"""Reading and writing coordinators' offer files: every format, every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.knowledge import Knowledge
from bot.offer_files import COLUMNS, OfferFileError, read_offers, write_offers
from tests.conftest import DATA


def small(knowledge: Knowledge):
    return read_offers(DATA / "offers_small.csv", knowledge.places)


def test_semicolon_csv_from_excel_is_read_with_lists_decimals_and_translations(knowledge: Knowledge):
    result = small(knowledge)
    assert result.problems == []
    cafe = next(o for o in result.offers if o.external_id == "t-elterncafe")
    assert cafe.needs == ("leisure", "parenting")
    assert cafe.languages == ("de", "tr", "ar")
    assert cafe.latitude == pytest.approx(48.9135)
    assert cafe.district == "lb-eglosheim"
    assert cafe.translations["en"].title == "Parents' café Eglosheim"
    assert next(o for o in result.offers if o.external_id == "t-schuldner").serves_whole_network


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_every_format_round_trips_exactly(knowledge: Knowledge, tmp_path: Path, suffix: str):
    offers = small(knowledge).offers
    path = tmp_path / f"out{suffix}"
    write_offers(path, offers, knowledge.places)
    again = read_offers(path, knowledge.places)
    assert again.problems == []
    assert sorted(again.offers, key=lambda o: o.external_id) == sorted(offers, key=lambda o: o.external_id)
    second = tmp_path / f"second{suffix}"
    write_offers(second, again.offers, knowledge.places)
    if suffix != ".xlsx":  # xlsx carries a timestamp
        assert second.read_bytes() == path.read_bytes()


def test_comma_csv_in_cp1252_without_bom_is_read(knowledge: Knowledge, tmp_path: Path):
    header = "external_id,network,title,organization,needs,district,opening_hours"
    row = 'x-1,esslingen,Beratung für Familien,Caritas,money,Nürtingen,"Mo 09:00-12:00, 13:00-15:00"'
    path = tmp_path / "excel.csv"
    path.write_bytes(f"{header}\r\n{row}\r\n".encode("cp1252"))
    result = read_offers(path, knowledge.places)
    assert result.problems == []
    assert result.offers[0].title == "Beratung für Familien"
    assert result.offers[0].district == "es-nuertingen"
    assert len(result.offers[0].opening_hours) == 2


def test_every_bad_row_is_named_with_line_column_and_reason(knowledge: Knowledge, tmp_path: Path):
    lines = (DATA / "offers_small.csv").read_text(encoding="utf-8").splitlines()
    bad = lines[1].replace(';"leisure; parenting";0;72;', ';"leisure; zauberei";80;72;')
    bad = bad.replace("Eglosheim;48,9135", "Atlantis;48,9135").replace("Di 09:00-11:30", "Dienstag früh")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([lines[0], bad, *lines[2:]]), encoding="utf-8")
    result = read_offers(path, knowledge.places)
    reasons = {(p.line, p.column) for p in result.problems}
    assert reasons >= {(2, "needs"), (2, "age_min_months"), (2, "district"), (2, "opening_hours")}
    assert all(p.line == 2 for p in result.problems)
    assert "zauberei" in " ".join(str(p) for p in result.problems)


def test_missing_required_column_is_one_clear_error(knowledge: Knowledge, tmp_path: Path):
    path = tmp_path / "no-needs.csv"
    path.write_text("external_id;network;title;organization;district\nx;weimar;T;O;Altstadt\n", encoding="utf-8")
    with pytest.raises(OfferFileError, match="Spalte\\(n\\) fehlen: needs"):
        read_offers(path, knowledge.places)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "keine Textdatei"),
        ("broken.xlsx", b"not a zip at all", "keine gültige XLSX-Datei"),
        ("broken.json", b'[{"external_id": ', "kein gültiges JSON"),
        ("object.json", b'{"title": "x"}', "Liste von Angeboten"),
        ("empty.csv", b"", "leer"),
        ("offers.pdf", b"%PDF-1.4", "unbekanntes Format"),
    ],
)
def test_unreadable_files_get_one_line_reasons(knowledge: Knowledge, tmp_path: Path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(OfferFileError, match=message):
        read_offers(path, knowledge.places)


def test_duplicate_external_ids_are_a_problem(knowledge: Knowledge, tmp_path: Path):
    lines = (DATA / "offers_small.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "dup.csv"
    path.write_text("\n".join([lines[0], lines[1], lines[1]]), encoding="utf-8")
    problems = read_offers(path, knowledge.places).problems
    assert [(p.line, p.column) for p in problems] == [(3, "external_id")]


def test_formula_cells_are_defused_in_csv_and_restored_on_import(knowledge: Knowledge, tmp_path: Path):
    from dataclasses import replace

    offer = replace(small(knowledge).offers[0], title='=HYPERLINK("http://evil.example")', cost_note="+49 Euro")
    path = tmp_path / "out.csv"
    write_offers(path, [offer], knowledge.places)
    import csv

    row = next(iter(csv.DictReader(path.open(encoding="utf-8-sig"), delimiter=";")))
    assert row["title"].startswith("'=HYPERLINK") and row["cost_note"] == "'+49 Euro"
    assert read_offers(path, knowledge.places).offers[0].title == offer.title


def test_json_export_uses_native_types_and_canonical_names(knowledge: Knowledge, tmp_path: Path):
    path = tmp_path / "out.json"
    write_offers(path, small(knowledge).offers, knowledge.places)
    records = json.loads(path.read_text(encoding="utf-8"))
    assert set(COLUMNS) | {"translations"} == set(records[0])
    assert records[0]["district"] == "Eglosheim"
    assert records[0]["needs"] == ["leisure", "parenting"]
