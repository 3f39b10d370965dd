"""`python -m admin_scripts.report` over generated demand: a few thousand seeded events over twelve weeks."""

from __future__ import annotations

import csv
import itertools
import random
import re
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
from bot.services.reports import gap_cells, largest_gaps, load_events
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
    return Generated(requests, nothing, handed, entries, total)


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
    """Both reports, once, over the generated demand on SQLite (the per-database test compares the numbers)."""
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'report.db'}"
    app = bootstrap(Settings(database_url=url), load_examples=False)
    load_bundled_offers(app)
    generated = generate_demand(app)
    out = folder / "out"
    started = time.perf_counter()
    assert run(main, ["--database-url", url, "gaps", "--today", TODAY.isoformat(), "--out", str(out)]) == 0
    seconds = time.perf_counter() - started
    assert run(main, ["--database-url", url, "usage", "--out", str(out)]) == 0
    app.engine.dispose()
    yield Written(out, generated, seconds, url)


# ------------------------------------------------------------------------------------------ gaps


def test_the_gap_csv_has_one_row_per_district_and_need_with_the_documented_columns(written: Written):
    rows = read_csv(written.out / "luecken.csv")
    assert tuple(rows[0]) == GAP_COLUMNS
    assert len(rows) == 35 * 16  # every district of the three networks x every need
    assert sum(int(r["anfragen"]) for r in rows) == sum(written.generated.requests.values())


def test_the_numbers_of_each_cell_are_what_was_recorded(written: Written):
    rows = {(r["stadtteil_id"], r["bedarf_id"]): r for r in read_csv(written.out / "luecken.csv")}
    generated = written.generated
    for key, count in generated.requests.items():
        row = rows[key]
        assert int(row["anfragen"]) == count
        assert int(row["nichts_gefunden"]) == generated.nothing[key]
        assert int(row["an_lotse_uebergeben"]) == generated.handed_over[key]
        share = float(row["anteil_uebergeben"].replace(",", "."))
        assert share == pytest.approx(generated.handed_over[key] / count, abs=0.0005)
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
    first = re.search(r"<ol><li>(.*?)</li>", page)
    assert first is not None
    requests, nothing = written.generated.requests[PLANTED], written.generated.nothing[PLANTED]
    assert requests >= PLANTED_REQUESTS and nothing >= PLANTED_NOTHING
    assert first.group(1).startswith(
        f"In Eglosheim fragten {requests} Familien nach Kita und Betreuung; "
        f"{nothing} fanden nichts Passendes. Es gibt dort 3 Angebote. Bis ein Lotse übernahm, vergingen"
    )


def test_the_charts_are_real_pngs_of_a_readable_size(written: Written):
    for name in ("luecken-heatmap.png", "anfragen-pro-woche.png", "nutzung.png"):
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
    assert len(images) == 2 and all('alt="' in img and 'src="data:image/png;base64,' in img for img in images)
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
    for entry in ENTRIES:
        assert entries[entry] == written.generated.entries[entry]
    assert entries["direkt (ohne Plakat/QR-Code)"] == written.generated.entries[""] + 40
    languages = {r["wert"] for r in rows if r["bereich"] == "sprache"}
    assert {"Deutsch", "Türkisch", "Einfache Sprache", "Arabisch"} <= languages
    page = (written.out / "nutzung-bericht.html").read_text(encoding="utf-8")
    assert "qr-eglosheim" in page and '<html lang="de">' in page


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
    args = ("gaps", "--network", "Stadt Weimar", "--since", "2026-11-01", "--out", str(tmp_path))
    code, out, _ = report(capsys, written.database_url, *args)
    assert code == 0 and "geschrieben nach" in out
    rows = read_csv(tmp_path / "luecken.csv")
    assert len(rows) == 11 * 16 and {r["netzwerk"] for r in rows} == {"weimar"}
    assert 0 < sum(int(r["anfragen"]) for r in rows) < sum(written.generated.requests.values()) / 10
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
    assert err == "Fehler: unbekanntes Netzwerk 'Stuttgart' (bekannt: ludwigsburg, esslingen, weimar)\n"


def test_a_missing_out_folder_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["gaps"])
    assert exit_.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_an_empty_database_still_writes_a_report_saying_there_are_no_requests(capsys, tmp_path: Path):
    code, out, _ = report(capsys, f"sqlite:///{tmp_path / 'leer.db'}", "gaps", "--out", str(tmp_path))
    assert code == 0 and "0 Anfragen" in out
    assert "Keine Anfragen im Zeitraum" in (tmp_path / "luecken-bericht.html").read_text(encoding="utf-8")
