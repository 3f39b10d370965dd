"""Coordinators' sheets as they are (title rows, German headers and names, hours and ages as written) and
the guards on what leaves and enters (formulas, links, field lengths)."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.offers import Access, Status, read_opening_hours, safe_url
from bot.knowledge import Knowledge
from bot.offer_files import COLUMNS, GERMAN_COLUMNS, read_offers, write_offers
from tests.conftest import DATA

GERMAN_SHEET = """Angebote Ludwigsburg;;;;;;;;;;
Stand: November 2026 (Beispieldaten);;;;;;;;;;
Angebots-ID;Netzwerk;Titel;Träger;Bedarfe;Stadtteil/Ort;Alter;Öffnungszeiten;Telefon;Sprachen;Webseite
x-kita;Ludwigsburg;Kita Beispiel;Beispielträger;Kita, Erziehungsberatung;Eglosheim;0–3 J.;Mo–Fr 9–12 Uhr, Do auch 14–18 Uhr;7141055500;deutsch, türkisch;www.example.org/kita
x-frauen;Stadt Ludwigsburg;Notruf Beispiel;Beispielträger;Schutz vor Gewalt;Innenstadt;bis 18 Jahre;rund um die Uhr;07141 0555-9;de;https://example.org
x-termin;ludwigsburg;Beratung Beispiel;Beispielträger;money;Innenstadt;ab 3 Jahren;nach Vereinbarung;;arabisch;
"""  # noqa: E501


def write(tmp_path: Path, text: str, name: str = "sheet.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_sheet_with_title_rows_german_headers_and_names_imports_with_warnings(knowledge: Knowledge, tmp_path):
    result = read_offers(write(tmp_path, GERMAN_SHEET), knowledge.places, knowledge.needs)
    assert result.problems == []
    offers = {o.external_id: o for o in result.offers}
    kita = offers["x-kita"]
    assert kita.needs == ("childcare", "parenting") and kita.network == "ludwigsburg"
    assert (kita.age_min_months, kita.age_max_months) == (0, 36)
    assert kita.languages == ("de", "tr") and kita.phone == "07141055500"
    assert kita.website == "https://www.example.org/kita"
    assert len(kita.opening_hours) == 6  # Mo–Fr mornings and Thursday afternoon
    assert offers["x-frauen"].age_max_months == 216 and len(offers["x-frauen"].opening_hours) == 7
    assert offers["x-termin"].access is Access.APPOINTMENT and offers["x-termin"].age_min_months == 36
    said = [str(w) for w in result.warnings]
    assert any("Zeile 1–2 über der Kopfzeile übersprungen" in w for w in said)
    assert any("Spalte phone" in w and "'07141055500'" in w for w in said)
    assert any("ohne https://" in w for w in said)


def test_the_template_german_names_are_all_understood(knowledge: Knowledge, tmp_path):
    from bot.offer_files import column_id

    assert {column_id(german): column for column, german in GERMAN_COLUMNS.items()} == {
        c: c for c in GERMAN_COLUMNS
    }
    assert column_id("Titel (en)") == "title_en" and column_id("summary_tr") == "summary_tr"


def test_a_phone_stored_as_a_number_in_xlsx_gets_its_zero_back(knowledge: Knowledge, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Angebote (Beispiel)"])
    sheet.append(["ID", "Netzwerk", "Titel", "Träger", "Bedarf", "Ort", "Telefon"])
    sheet.append(["x-1", "Esslingen", "Beratung", "Beispielträger", "Geld und Anträge", "Nürtingen", 7022055512])
    path = tmp_path / "zahl.xlsx"
    workbook.save(path)
    result = read_offers(path, knowledge.places, knowledge.needs)
    assert result.problems == [] and result.offers[0].phone == "07022055512"
    assert any(w.column == "phone" and w.line == 3 for w in result.warnings)


def test_near_misses_are_refused_with_did_you_mean(knowledge: Knowledge, tmp_path):
    sheet = GERMAN_SHEET.replace("Kita, Erziehungsberatung", "Kitta").replace("deutsch, türkisch", "türksich")
    sheet = sheet.replace("Stadt Ludwigsburg", "Ludwigsbrug").replace("Mo–Fr 9–12 Uhr, Do", "Mo–Fr 9–12 Uhr, Donerstg")
    problems = read_offers(write(tmp_path, sheet), knowledge.places, knowledge.needs).problems
    text = "\n".join(str(p) for p in problems)
    assert "Zeile 4, Spalte needs: unbekannter Bedarf 'Kitta' — meinten Sie 'Kita (childcare)'?" in text
    assert "Zeile 4, Spalte languages: 'türksich' ist keine bekannte Sprache — meinten Sie 'türkisch (tr)'?" in text
    assert "Zeile 5, Spalte network: unbekanntes Netzwerk 'Ludwigsbrug' — meinten Sie" in text
    assert "meinten Sie 'Donnerstag'?" in text


def test_every_problem_of_every_row_comes_at_once_duplicates_included(knowledge: Knowledge, tmp_path):
    lines = (DATA / "offers_small.csv").read_text(encoding="utf-8").splitlines()
    bad = lines[1].replace(';"leisure; parenting";0;72;', ';"leisure; zauberei";80;72;')
    path = write(tmp_path, "\n".join([lines[0], bad, bad, lines[2]]))
    problems = read_offers(path, knowledge.places).problems
    assert {(p.line, p.column) for p in problems} == {
        (2, "needs"), (2, "age_min_months"), (3, "needs"), (3, "age_min_months"), (3, "external_id")
    }  # fmt: skip


def test_a_title_too_long_for_the_database_fails_validation_with_its_line(knowledge: Knowledge, tmp_path):
    lines = (DATA / "offers_small.csv").read_text(encoding="utf-8").splitlines()
    path = write(tmp_path, "\n".join([lines[0], lines[1].replace("Elterncafé Eglosheim", "T" * 301), lines[2]]))
    (problem,) = read_offers(path, knowledge.places).problems
    assert str(problem) == "Zeile 2, Spalte title: zu lang: 301 Zeichen, höchstens 300 erlaubt"


@pytest.mark.parametrize(
    "website",
    ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "java\tscript:x", "ftp://example.org",
     "https://", "vbscript:msgbox"],
)  # fmt: skip
def test_a_website_that_is_not_http_is_refused_at_import_and_never_a_link(knowledge: Knowledge, tmp_path, website):
    assert safe_url(website) is None
    lines = (DATA / "offers_small.csv").read_text(encoding="utf-8").splitlines()
    row = lines[1].replace("https://example.org/elterncafe", f'"{website}"')
    (problem,) = read_offers(write(tmp_path, "\n".join([lines[0], row])), knowledge.places).problems
    assert (problem.line, problem.column) == (2, "website") and "keine Webadresse" in problem.reason


def test_safe_url_keeps_real_links_and_allows_tel_and_mailto_only_when_asked():
    assert safe_url("https://example.org/a?b=c#d") == "https://example.org/a?b=c#d"
    assert safe_url("tel:+4971410555") is None
    assert safe_url("tel:+4971410555", ("http", "https", "tel", "mailto")) == "tel:+4971410555"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize(
    "text", ["-2+3+cmd|' /C calc'!A0", "=1+1", "+49 Euro", "@SUM(A1)", "\t=x", " =1", "'mein Apostroph", "'=x", "-5"]
)
def test_formula_like_cells_are_defused_and_come_back_exactly(knowledge: Knowledge, tmp_path, suffix, text):
    offer = replace(read_offers(DATA / "offers_small.csv", knowledge.places).offers[0], title=text, cost_note=text)
    path = tmp_path / f"out{suffix}"
    write_offers(path, [offer], knowledge.places)
    if suffix == ".csv":
        row = next(iter(csv.DictReader(path.open(encoding="utf-8-sig"), delimiter=";")))
        cells = [row["title"]]
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(path).active
        cells = [sheet.cell(row=2, column=COLUMNS.index("title") + 1).value]
    assert all(str(c).startswith("'") for c in cells) and cells
    again = read_offers(path, knowledge.places).offers[0]
    assert (again.title, again.cost_note) == (text.strip(), text.strip())


@pytest.mark.parametrize(
    ("text", "slots", "appointment"),
    [
        ("Mo–Fr 9–12 Uhr, Do auch 14–18 Uhr", 6, False),
        ("9-12", 5, False),
        ("nach Vereinbarung", 0, True),
        ("rund um die Uhr", 7, False),
        ("Mo 9-12, Di 14-16", 2, False),
        ("Montag, Mittwoch und Freitag 9:30 bis 11 Uhr", 3, False),
        ("Mo 9-12, sonst nach Vereinbarung", 1, True),
    ],
)
def test_opening_hours_as_people_write_them(text: str, slots: int, appointment: bool):
    reading = read_opening_hours(text)
    assert (len(reading.slots), reading.by_appointment) == (slots, appointment)


def test_hsds_fields_and_translation_fingerprints_round_trip(knowledge: Knowledge, tmp_path):
    from datetime import date

    from bot.domain.offers import Translation

    base = read_offers(DATA / "offers_small.csv", knowledge.places).offers[0]
    offer = replace(
        base, eligibility_description="Familien mit Kindern bis 6", application_process="Anrufen oder vorbeikommen",
        required_documents="Ausweis", interpretation_services="Türkisch auf Anfrage",
        status=Status.TEMPORARILY_CLOSED, closed_until=date(2026, 9, 1), alert="Sommerpause", free_places=3,
        free_places_counted=date(2026, 7, 1), assured_date=date(2026, 7, 2), assurer_email="netzwerk@example.org",
        phone_around_the_clock=True, translations={"en": Translation("Café", "Open café", "abc123abc123")},
    )  # fmt: skip
    for suffix in (".csv", ".xlsx", ".json"):
        path = tmp_path / f"hsds{suffix}"
        write_offers(path, [offer], knowledge.places)
        result = read_offers(path, knowledge.places)
        assert result.problems == [] and result.offers == [offer]
        assert result.offers[0].translations["en"].source == "abc123abc123"
