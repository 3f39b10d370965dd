"""Offers as Open Referral HSDS 3.0 data packages: exact round trip, valid against the official schema, read from
another directory's package with the same validation as a spreadsheet."""

from __future__ import annotations

import copy
import json
import zipfile
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from bot.domain.offers import Offer, Status
from bot.knowledge import Knowledge
from bot.offer_files import OfferFileError, read_offers, write_offers
from bot.offer_hsds import DATAPACKAGE, TABLES
from tests.conftest import DATA

SCHEMA = DATA / "hsds" / "tabular.json"
# bundled offers that use what HSDS spreads over its tables: 24/7 phone and how to apply (Frauenhaus), a
# coordinate-less offer, translations, a cost note, several opening-hour spans a day
SAMPLE = ("lb-frauenhaus", "lb-tafel", "lb-kifaz-eglosheim", "we-kita-platzvergabe", "es-schwimmkurs-filderstadt")


def sample(knowledge: Knowledge) -> list[Offer]:
    """A few bundled offers, plus every HSDS field the bundled data leaves empty, set on one of them."""
    offers = {
        o.external_id: o for path in knowledge.offer_files for o in read_offers(path, knowledge.places).offers
    }
    chosen = [offers[i] for i in SAMPLE]
    chosen[1] = replace(
        chosen[1],
        eligibility_description="Mit Tafelausweis",
        required_documents="Bescheid vom Jobcenter; Personalausweis",
        status=Status.TEMPORARILY_CLOSED,
        closed_until=date(2026, 9, 1),
        alert="Sommerpause bis 1.9.",
        free_places=3,
        free_places_counted=date(2026, 7, 1),
        assured_date=date(2026, 7, 2),
        assurer_email="netzwerk@example.org",
        age_min_months=7,  # not a whole number of years: HSDS counts ages in years
    )
    return chosen


def by_id(offers: list[Offer]) -> list[Offer]:
    return sorted(offers, key=lambda o: o.external_id)


@pytest.mark.parametrize("target", ["paket", "paket.zip"])
def test_export_import_export_is_exact(knowledge: Knowledge, tmp_path: Path, target: str):
    offers = sample(knowledge)
    first = tmp_path / "one" / target
    write_offers(first, offers, knowledge.places, kind="hsds")
    again = read_offers(first, knowledge.places)
    assert again.problems == [] and again.warnings == []
    assert by_id(again.offers) == by_id(offers)
    assert [o.translations for o in by_id(again.offers)] == [o.translations for o in by_id(offers)]
    second = tmp_path / "two" / target
    write_offers(second, again.offers, knowledge.places, kind="hsds")
    if first.is_dir():
        assert sorted(p.name for p in first.iterdir()) == sorted([DATAPACKAGE, *(f for _, f in TABLES)])
        assert all((second / p.name).read_bytes() == p.read_bytes() for p in first.iterdir())
    else:
        assert second.read_bytes() == first.read_bytes()


@cache
def validators() -> dict[str, Draft202012Validator]:
    """Per table, HSDS's row schema made strict: no field HSDS lacks, tabular foreign keys required."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    strict = {}
    for table, spec in schema["properties"].items():
        row = copy.deepcopy(spec["items"])
        row["properties"] = {k: v for k, v in row["properties"].items() if v.get("type") != "array"}
        row["required"] = [*row.get("required", []), *row.get("tabular_required", [])]
        row["additionalProperties"] = False
        strict[table] = Draft202012Validator(row, format_checker=FormatChecker())
    return strict


def test_every_exported_row_is_valid_hsds_3(knowledge: Knowledge, tmp_path: Path):
    write_offers(tmp_path / "p", sample(knowledge), knowledge.places, kind="hsds")
    descriptor = json.loads((tmp_path / "p" / DATAPACKAGE).read_text(encoding="utf-8"))
    assert [r["name"] for r in descriptor["resources"]] == [name for name, _ in TABLES]
    errors = []
    for resource in descriptor["resources"]:
        rows = json.loads((tmp_path / "p" / resource["path"]).read_text(encoding="utf-8"))
        assert len(rows) == resource["rows"]
        validator = validators()[resource["name"]]
        errors += [f"{resource['path']}: {e.message}" for row in rows for e in validator.iter_errors(row)]
    assert errors == []
    services = json.loads((tmp_path / "p" / "services.json").read_text(encoding="utf-8"))
    tafel = next(s for s in services if s["name"].startswith("Ludwigsburger Tafel"))
    assert tafel["status"] == "temporarily closed" and tafel["alert"] == "Sommerpause bis 1.9."
    assert tafel["minimum_age"] == pytest.approx(7 / 12)
    schedules = json.loads((tmp_path / "p" / "schedules.json").read_text(encoding="utf-8"))
    assert {"freq": "WEEKLY", "byday": "MO,WE", "opens_at": "14:00", "closes_at": "17:00"}.items() <= next(
        s for s in schedules if s["service_id"] == tafel["id"]
    ).items()


def write_package(folder: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    folder.mkdir()
    files = dict(TABLES)
    resources = [{"name": name, "path": files[name]} for name in tables]
    (folder / DATAPACKAGE).write_text(json.dumps({"resources": resources}), encoding="utf-8")
    for name, rows in tables.items():
        (folder / files[name]).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return folder


# Another directory's package: its own ids and taxonomy, no attributes of ours, a monthly schedule.
FOREIGN = {
    "organization": [{"id": "org-1", "name": "Beispielverein Ludwigsburg e.V.", "description": ""}],
    "service": [
        {"id": "svc-1", "organization_id": "org-1", "name": "Krabbelgruppe Beispiel", "status": "active",
         "minimum_age": 0, "maximum_age": 3, "fees_description": "2 € pro Treffen"},
        {"id": "svc-2", "organization_id": "org-1", "name": "Beratung Beispiel", "status": "inactive"},
    ],
    "taxonomy_term": [{"id": "t-1", "code": "K-1", "name": "Kita", "description": "", "taxonomy": "other"}],
    "attribute": [{"id": "a-1", "link_id": "svc-1", "taxonomy_term_id": "t-1", "link_entity": "service"}],
    "location": [{"id": "loc-1", "location_type": "physical", "latitude": 48.9135, "longitude": 9.1631}],
    "address": [{"id": "ad-1", "location_id": "loc-1", "address_1": "Hirschbergstraße 10", "city": "Ludwigsburg",
                 "state_province": "Baden-Württemberg", "postal_code": "71634", "country": "DE",
                 "address_type": "physical"}],
    "service_at_location": [{"id": "sal-1", "service_id": "svc-1", "location_id": "loc-1"}],
    "schedule": [
        {"id": "s-1", "service_id": "svc-1", "freq": "WEEKLY", "byday": "TU,TH", "opens_at": "09:30",
         "closes_at": "11:00"},
        {"id": "s-2", "service_id": "svc-1", "freq": "MONTHLY", "byday": "1SA", "description": "1. Samstag"},
    ],
    "language": [{"id": "l-1", "service_id": "svc-1", "code": "tr"}, {"id": "l-2", "service_id": "svc-1",
                                                                        "name": "deutsch"}],
}  # fmt: skip


def test_another_directorys_package_is_read_as_far_as_it_goes(knowledge: Knowledge, tmp_path: Path):
    package = write_package(tmp_path / "fremd", FOREIGN)
    result = read_offers(package, knowledge.places, knowledge.needs)
    krabbel = next(o for o in result.offers if o.external_id == "svc-1")
    assert krabbel.network == "ludwigsburg" and krabbel.district == "lb-eglosheim"  # postal code, coordinates
    assert krabbel.needs == ("childcare",)  # their term named "Kita"
    assert (krabbel.age_min_months, krabbel.age_max_months) == (0, 36)
    assert krabbel.languages == ("tr", "de") and krabbel.cost_note == "2 € pro Treffen"
    assert krabbel.address == "Hirschbergstraße 10, 71634 Ludwigsburg" and len(krabbel.opening_hours) == 2
    said = " ".join(str(w) for w in result.warnings)
    assert "Stadtteil/Ort aus Adresse oder Lage gelesen: Eglosheim" in said
    assert "nicht wöchentlich" in said and "1. Samstag" in said
    # the second service says too little: the same problems a spreadsheet row would get, nothing imported
    assert {(p.line, p.column) for p in result.problems} == {(2, "network"), (2, "needs"), (2, "district")}


def test_a_zip_or_folder_that_is_no_package_is_one_clear_error(knowledge: Knowledge, tmp_path: Path):
    (tmp_path / "leer").mkdir()
    with pytest.raises(OfferFileError, match="kein HSDS-Datenpaket"):
        read_offers(tmp_path / "leer", knowledge.places)
    (tmp_path / "kaputt.zip").write_bytes(b"not a zip")
    with pytest.raises(OfferFileError, match="keine gültige ZIP-Datei"):
        read_offers(tmp_path / "kaputt.zip", knowledge.places)
    with zipfile.ZipFile(tmp_path / "falsch.zip", "w") as archive:
        archive.writestr("paket/datapackage.json", '{"resources": []}')
        archive.writestr("paket/services.json", '{"not": "a list"}')
    with pytest.raises(OfferFileError, match=r"services\.json: muss eine Liste"):
        read_offers(tmp_path / "falsch.zip", knowledge.places)
