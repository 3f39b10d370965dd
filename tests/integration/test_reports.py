"""`python -m admin_scripts.report` over generated demand: a few thousand seeded events over twelve weeks."""

from __future__ import annotations

import csv
import itertools
import os
import random
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from admin_scripts._cli import run
from admin_scripts.report import GAP_COLUMNS, main
from bot.bootstrap import App, bootstrap, load_bundled_offers
from bot.services import statistics
from bot.services.offers import OfferRepository
from bot.services.reports import MIN_COUNT, GapCell, gap_cells, gap_sentence, largest_gaps, load_events
from bot.settings import Settings

TODAY = date(2026, 11, 21)
FIRST_DAY = TODAY - timedelta(weeks=12)
PLANTED = ("lb-eglosheim", "childcare")  # Kita und Betreuung in Eglosheim: many ask, most find nothing
PLANTED_REQUESTS, PLANTED_NOTHING = 150, 120
ENTRIES = ("qr-eglosheim", "qr-weimar-west", "plakat-jobcenter")


@dataclass(frozen=True)
class Generated:
    """What the generator recorded, counted independently of the report code."""

    requests: Counter[tuple[str, str]]
    nothing: Counter[tuple[str, str]]
    handed_over: Counter[tuple[str, str]]
    entries: Counter[str]
    total: int
    searches: list[tuple[date, bool]]  # (day, found nothing) of every search with district and need


def generate_demand(app: App, seed: int = 2026, searches: int = 2000) -> Generated:
    """Seeded-random searches over twelve weeks in every network, plus the planted gap."""
    rng = random.Random(seed)
    districts = app.knowledge.places.districts
    need_ids = [n.id for n in app.knowledge.needs]
    locales = ["de", "de", "de", "tr", "ar", "uk", "ru", "de@simple", "en", "fa"]
    requests: Counter[tuple[str, str]] = Counter()
    nothing: Counter[tuple[str, str]] = Counter()
    handed: Counter[tuple[str, str]] = Counter()
    entries: Counter[str] = Counter()
    made: list[tuple[date, bool]] = []
    total = 0

    def search(district_id: str, need: str, empty: bool, day: date) -> None:
        nonlocal total
        district = app.knowledge.places.district(district_id)
        assert district is not None
        entry = rng.choice(ENTRIES) if rng.random() < 0.2 else None
        common = {
            "network": district.network_id,
            "district": district_id,
            "need": need,
            "locale": rng.choice(locales),
            "entry": entry,
            "age_months": rng.randint(0, 200),
        }
        statistics.record(session, day=day, outcome="nothing_fits" if empty else "found", **common)
        requests[(district_id, need)] += 1
        nothing[(district_id, need)] += empty
        entries[entry or ""] += 1
        made.append((day, empty))
        total += 1
        if rng.random() < (0.5 if empty else 0.1):  # empty-handed families ask a person more often
            statistics.record(session, day=day, outcome="handed_over", **common)
            handed[(district_id, need)] += 1
            total += 1
            if rng.random() < 0.8:
                minutes = rng.uniform(5, 600)
                statistics.record(session, day=day, outcome="claimed", minutes_to_claim=minutes, **common)
                total += 1

    with app.uow() as session:
        for _ in range(searches):
            day = FIRST_DAY + timedelta(days=rng.randrange(84))
            search(rng.choice(districts).id, rng.choice(need_ids), rng.random() < 0.3, day)
        for i in range(PLANTED_REQUESTS):
            search(*PLANTED, i < PLANTED_NOTHING, FIRST_DAY + timedelta(days=rng.randrange(84)))
        # without district or need: counted, but not placed on the map of gaps
        for _ in range(40):
            statistics.record(session, day=TODAY - timedelta(days=3), outcome="found", locale="de")
            total += 1
    return Generated(requests, nothing, handed, entries, total, made)


def report(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> tuple[int, str, str]:
    code = run(main, ["--database-url", database_url, args[0], "--today", TODAY.isoformat(), *args[1:]])
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@dataclass(frozen=True)
class Written:
    out: Path
    generated: Generated
    seconds: float
    database_url: str


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    """Both reports for all networks combined, once, over the generated demand on SQLite (without the PDF, which
    test_by_default_each_network_gets_its_own_report_with_an_a4_pdf prints)."""
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'report.db'}"
    app = bootstrap(Settings(database_url=url), load_examples=False)
    load_bundled_offers(app)
    generated = generate_demand(app)
    out = folder / "out"
    started = time.perf_counter()
    combined = ["--network", "all", "--no-pdf", "--today", TODAY.isoformat(), "--out", str(out)]
    assert run(main, ["--database-url", url, "gaps", *combined]) == 0
    seconds = time.perf_counter() - started
    register = folder / "plakate.csv"
    register.write_text("quelle;bezeichnung\nplakat-jobcenter;Jobcenter Ludwigsburg, Wartezone\n", encoding="utf-8")
    assert run(main, ["--database-url", url, "usage", *combined, "--posters", str(register)]) == 0
    app.engine.dispose()
    yield Written(out, generated, seconds, url)


# ------------------------------------------------------------------------------------------ gaps


def test_the_gap_csv_has_one_row_per_district_and_need_with_the_documented_columns(written: Written):
    rows = read_csv(written.out / "luecken.csv")
    assert tuple(rows[0]) == GAP_COLUMNS
    assert len(rows) == 35 * 16  # every district of the three networks x every need
    shown = sum(int(r["anfragen"]) for r in rows if r["anfragen"] != "< 5")
    assert shown == sum(n for n in written.generated.requests.values() if n >= MIN_COUNT)


def test_the_numbers_of_each_cell_are_what_was_recorded(written: Written):
    rows = {(r["stadtteil_id"], r["bedarf_id"]): r for r in read_csv(written.out / "luecken.csv")}
    generated = written.generated
    small = 0
    for key, count in generated.requests.items():
        row = rows[key]
        if count < MIN_COUNT:  # too few to say anything: '< 5', no other number, no rank
            small += 1
            assert (row["anfragen"], row["nichts_gefunden"], row["luecken_wert"], row["rang"]) == ("< 5", "", "", "")
            continue
        assert int(row["anfragen"]) == count
        assert int(row["nichts_gefunden"]) == generated.nothing[key]
        assert int(row["an_lotse_uebergeben"]) == generated.handed_over[key]
        share = float(row["anteil_uebergeben"].replace(",", "."))
        assert share == pytest.approx(generated.handed_over[key] / count, abs=0.0005)
    assert small > 100  # 2,000 searches over 560 cells: most cells are small, and the report says so
    planted = rows[PLANTED]
    assert (planted["stadtteil"], planted["bedarf"]) == ("Eglosheim", "Kita und Betreuung")
    assert int(planted["angebote"]) == 3  # the example offers for childcare that serve Eglosheim
    assert float(planted["median_minuten_bis_lotse"].replace(",", ".")) > 0


def test_the_planted_gap_is_the_largest_and_named_in_plain_german(written: Written):
    rows = read_csv(written.out / "luecken.csv")
    ranked = sorted((r for r in rows if r["rang"]), key=lambda r: int(r["rang"]))
    assert len(ranked) == 10
    assert (ranked[0]["stadtteil_id"], ranked[0]["bedarf_id"]) == PLANTED
    page = (written.out / "luecken-bericht.html").read_text(encoding="utf-8")
    first = re.search(r'<ol class="befunde"><li>(.*?)</li>', page)
    assert first is not None
    requests, nothing = written.generated.requests[PLANTED], written.generated.nothing[PLANTED]
    assert requests >= PLANTED_REQUESTS and nothing >= PLANTED_NOTHING
    assert first.group(1).startswith(
        f"In Eglosheim fanden {nothing} von {requests} Familien nichts Passendes für Kita und Betreuung "
        "(3 Angebote vor Ort). Bis ein Lotse übernahm, vergingen im Mittel (Median) "
    )


def test_no_cell_below_five_requests_is_ranked_and_every_finding_names_a_real_gap(written: Written):
    generated = written.generated
    rows = read_csv(written.out / "luecken.csv")
    ranked = [r for r in rows if r["rang"]]
    for row in ranked:
        key = (row["stadtteil_id"], row["bedarf_id"])
        assert generated.requests[key] >= MIN_COUNT
        assert generated.nothing[key] / generated.requests[key] >= 0.25  # a quarter or more went without
    page = (written.out / "luecken-bericht.html").read_text(encoding="utf-8")
    findings = re.findall(r"<li>(In .*?)</li>", page)
    assert len(findings) == len(ranked) == 10
    assert all("fand niemand" in f or "nichts Passendes" in f for f in findings)
    assert not any("alle fanden" in f or "fragte 1 Familie" in f for f in findings)


def test_a_small_cell_or_one_where_families_found_something_is_no_finding():
    def cell(requests: int, nothing: int, offers: int, claims: int = 0) -> GapCell:
        return GapCell(
            "es",
            "Landkreis Esslingen",
            "es-aichwald",
            "Aichwald",
            "basic_needs",
            "Essen, Kleidung, Ausstattung",
            requests,
            nothing,
            offers,
            0,
            2.0 if claims else None,
            claims,
        )

    assert largest_gaps([cell(3, 0, 3), cell(4, 4, 0), cell(40, 1, 5), cell(8, 1, 0)]) == []
    gap = cell(7, 7, 0, claims=1)
    assert largest_gaps([gap]) == [gap]
    assert gap_sentence(gap) == (
        "In Aichwald fand niemand ein passendes Angebot für Essen, Kleidung, Ausstattung "
        "(7 Anfragen, kein Angebot vor Ort)."  # a median over one case is not shown
    )
    assert "Median) 2 Minuten (5 Fälle)" in gap_sentence(cell(7, 7, 0, claims=5))


def test_this_quarter_is_compared_with_the_last(written: Written):
    rows = read_csv(written.out / "quartale.csv")
    total = {r["zeitraum"]: r for r in rows if r["bedarf_id"] == "alle"}
    now = [empty for day, empty in written.generated.searches if date(2026, 10, 1) <= day <= TODAY]
    before = [empty for day, empty in written.generated.searches if date(2026, 7, 1) <= day <= date(2026, 9, 30)]
    assert int(total["4. Quartal 2026 (bis 21.11.)"]["anfragen"]) == len(now) + 40  # + those without district
    assert int(total["3. Quartal 2026"]["nichts_gefunden"]) == sum(before)
    page = (written.out / "luecken-bericht.html").read_text(encoding="utf-8")
    assert f"4. Quartal 2026 (bis 21.11.): {len(now) + 40} Anfragen" in page
    assert "Prozentpunkte" in page


def test_the_charts_are_real_pngs_of_a_readable_size(written: Written):
    for name in ("luecken-top.png", "luecken-heatmap.png", "anfragen-pro-woche.png", "nutzung.png"):
        data = (written.out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert 600 <= width <= 4000 and 300 <= height <= 4000, (name, width, height)
        assert len(data) > 20_000, name  # a chart with content, not an empty frame


def test_the_weekly_csv_covers_twelve_weeks_without_holes(written: Written):
    weeks = read_csv(written.out / "anfragen-pro-woche.csv")
    assert 12 <= len(weeks) <= 14
    assert all(int(w["anfragen"]) > 0 for w in weeks)
    assert sum(int(w["anfragen"]) for w in weeks) == sum(written.generated.requests.values()) + 40


def test_the_html_page_is_self_contained_german_and_accessible(written: Written):
    page = (written.out / "luecken-bericht.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in page
    external = re.findall(r'(?:src|href)="(https?://[^"]*)"', page)
    assert all(url.startswith("https://example.org/") for url in external), external
    assert "<script" not in page and "@import" not in page and "url(" not in page
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 3 and all('alt="' in img and 'src="data:image/png;base64,' in img for img in images)
    headings = [int(level) for level in re.findall(r"<h([1-6])", page)]
    assert headings[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(headings))
    assert "Lücken-Wert = Familien, die nichts Passendes fanden" in page  # the score explained
    assert "Weitere 40 Anfragen ohne Stadtteil oder Bedarf" in page


def test_the_gap_report_is_quick_on_the_generated_demand(written: Written):
    assert written.seconds < 15, f"gaps took {written.seconds:.1f} s"


# ------------------------------------------------------------------------------------------ usage


def test_the_usage_report_counts_languages_and_the_posters_that_brought_families(written: Written):
    rows = read_csv(written.out / "nutzung.csv")
    entries = {r["wert"]: int(r["anfragen"]) for r in rows if r["bereich"] == "einstieg"}
    labels = {  # by the label a coordinator knows: the district's poster, or the registered name
        "qr-eglosheim": "QR-Plakat Eglosheim",
        "qr-weimar-west": "QR-Plakat Weimar-West",
        "plakat-jobcenter": "Jobcenter Ludwigsburg, Wartezone",
    }
    for entry in ENTRIES:
        assert entries[labels[entry]] == written.generated.entries[entry]
    assert entries["direkt (ohne Plakat/QR-Code)"] == written.generated.entries[""] + 40
    languages = {r["wert"] for r in rows if r["bereich"] == "sprache"}
    assert {"Deutsch", "Türkisch", "Einfache Sprache", "Arabisch"} <= languages
    page = (written.out / "nutzung-bericht.html").read_text(encoding="utf-8")
    assert "QR-Plakat Eglosheim" in page and "qr-eglosheim" not in page and '<html lang="de">' in page


# ------------------------------------------------------------------------------------------ every database


def test_the_report_reads_the_recorded_numbers_on_every_database(app: App):
    load_bundled_offers(app)
    generated = generate_demand(app, seed=7, searches=500)
    with app.uow() as session:
        events = load_events(session)
        offers = OfferRepository(session).all()
        since = load_events(session, since=TODAY - timedelta(days=7), network="weimar")
    assert len(events) == generated.total
    assert since and all(e.day >= TODAY - timedelta(days=7) and e.network == "weimar" for e in since)
    cells = gap_cells(events, offers, app.knowledge.places, app.knowledge.needs, day=TODAY)
    assert len(cells) == 35 * 16
    for cell in cells:
        key = (cell.district_id, cell.need_id)
        assert (cell.requests, cell.nothing_found, cell.handed_over) == (
            generated.requests[key],
            generated.nothing[key],
            generated.handed_over[key],
        )
    top = largest_gaps(cells)[0]
    assert (top.district_id, top.need_id, top.offers_available) == (*PLANTED, 3)


def test_one_network_since_a_day_narrows_the_report(capsys, written: Written, tmp_path: Path):
    args = ("gaps", "--network", "Stadt Weimar", "--since", "2026-11-01", "--no-pdf", "--out", str(tmp_path))
    code, out, _ = report(capsys, written.database_url, *args)
    assert code == 0 and "geschrieben nach" in out
    rows = read_csv(tmp_path / "luecken.csv")
    assert len(rows) == 11 * 16 and {r["netzwerk"] for r in rows} == {"weimar"}
    asked = [r for r in rows if r["anfragen"] != "0"]
    assert asked and len(asked) < len(rows)
    assert "ab 01.11.2026" in (tmp_path / "luecken-bericht.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ errors


def test_a_bad_since_date_is_one_line_and_exit_1(capsys, tmp_path: Path):
    code, out, err = report(
        capsys, f"sqlite:///{tmp_path / 'x.db'}", "gaps", "--since", "2026-13-01", "--out", str(tmp_path)
    )
    assert code == 1 and out == ""
    assert err == "Fehler: --since '2026-13-01' ist kein Datum wie 2026-09-01\n"


def test_an_unknown_network_is_one_line_naming_the_known_ones(capsys, tmp_path: Path):
    code, _, err = report(
        capsys, f"sqlite:///{tmp_path / 'x.db'}", "usage", "--network", "Stuttgart", "--out", str(tmp_path)
    )
    assert code == 1
    assert err == "Fehler: unbekanntes Netzwerk 'Stuttgart' (bekannt: ludwigsburg, esslingen, weimar, oder all)\n"


def test_a_missing_out_folder_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["gaps"])
    assert exit_.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_an_empty_database_still_writes_a_report_saying_there_are_no_requests(capsys, tmp_path: Path):
    code, out, _ = report(capsys, f"sqlite:///{tmp_path / 'leer.db'}", "gaps", "--no-pdf", "--out", str(tmp_path))
    assert code == 0 and "0 Anfragen" in out
    page = (tmp_path / "weimar" / "luecken-bericht.html").read_text(encoding="utf-8")
    assert "Keine Anfragen im Zeitraum" in page and "weniger als 5 Anfragen" in page


def _pdf_text(pdf: Path) -> str | None:
    if not shutil.which("pdftotext"):
        return None  # poppler-utils missing: the page size is still checked from the PDF itself
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_by_default_each_network_gets_its_own_report_with_an_a4_pdf(capsys, written: Written, tmp_path: Path):
    if not shutil.which("chromium") and not os.environ.get("REQUIRE_BROWSER"):
        pytest.skip("Debian's chromium prints the PDF (apt-get install -y chromium)")
    code, _, err = report(capsys, written.database_url, "gaps", "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["esslingen", "ludwigsburg", "weimar"]
    rows = read_csv(tmp_path / "weimar" / "luecken.csv")
    assert len(rows) == 11 * 16 and {r["netzwerk"] for r in rows} == {"weimar"}
    pdf = tmp_path / "ludwigsburg" / "luecken-bericht.pdf"
    media_box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf.read_bytes())
    assert media_box and (round(float(media_box.group(1))), round(float(media_box.group(2)))) == (595, 842)
    text = _pdf_text(pdf)
    if text is not None:
        assert "Lückenbericht Familienlotse – Stadt Ludwigsburg" in text
        assert "In Eglosheim fanden" in " ".join(text.split())
        assert "Weimar-West" not in text  # another network's districts stay in its own report
