"""`python -m admin_scripts.report outcomes` (and the gap report's section) over stored check-in answers:
reached and helped per need, district and offer, the reasons, flagged offers, and the small-number rule."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from admin_scripts._cli import run
from admin_scripts.report import main
from bot.bootstrap import App
from bot.db.orm import CheckInOutcomeRow
from bot.services.reports import iso_week

DAY = date(2026, 11, 24)


def answers(app: App, offer: str | None, need: str, district: str, *rows: tuple[str, str | None, str | None]) -> None:
    """Stores anonymous check-in outcomes: (outcome, helped, reason) each."""
    with app.uow() as session:
        for outcome, helped, reason in rows:
            session.add(
                CheckInOutcomeRow(
                    day=DAY,
                    week=iso_week(DAY),
                    network="ludwigsburg",
                    district=district,
                    need=need,
                    age_band="3-5",
                    locale="tr",
                    offer_id=offer,
                    source="offer" if offer else "case",
                    case_outcome=None if offer else "arranged",
                    outcome=outcome,
                    helped=helped,
                    reason=reason,
                )
            )


@pytest.fixture
def answered(app: App) -> App:
    reached = [("reached", "yes", None)] * 3 + [("reached", "partly", None)]
    not_reached = [("could_not", None, "no_place")] * 5 + [("could_not", None, "busy")]
    answers(
        app, "lb-kita-anmeldung", "childcare", "lb-eglosheim", *reached, *not_reached, *[("no_answer", None, None)] * 2
    )
    far = ("could_not", None, "too_far")
    answers(app, "lb-tafel", "basic_needs", "lb-ossweil", far, far, ("reached", "no", "no_help"))
    answers(app, None, "money", "lb-ossweil", ("reached", "yes", None), ("not_yet", None, None))
    return app


def report(app: App, out: Path, *more: str) -> int:
    return run(main, ["--database-url", app.settings.database_url, "outcomes", "--out", str(out), "--no-pdf", *more])


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_reached_and_helped_per_need_district_and_offer_with_the_reasons(answered: App, tmp_path: Path, capsys):
    assert report(answered, tmp_path, "--network", "ludwigsburg") == 0
    assert "17 nachgefragt, 15 geantwortet" in capsys.readouterr().out
    rows = {(r["gruppe"], r["schluessel"]): r for r in rows_of(tmp_path / "nachfrage.csv")}
    kita = rows[("bedarf", "childcare")]
    assert (kita["gefragt"], kita["geantwortet"], kita["erreicht"], kita["nicht_erreicht"]) == ("12", "10", "< 5", "6")
    assert (kita["geholfen"], kita["anteil_erreicht"], kita["haeufigster_grund"]) == ("< 5", "0,400", "no_place")
    assert rows[("stadtteil", "lb-eglosheim")]["geantwortet"] == "10"
    assert rows[("angebot", "lb-kita-anmeldung")]["pruefen"] == "ja"  # 6 of 10 could not reach it
    reasons = rows_of(tmp_path / "nachfrage-gruende.csv")
    assert [(r["grund_id"], r["anzahl"]) for r in reasons] == [("no_place", "5"), ("busy", "< 5")]
    page = (tmp_path / "nachfrage-bericht.html").read_text(encoding="utf-8")
    assert "„lb-kita-anmeldung“: 6 von 10 Familien erreichten das Angebot nicht, meist: kein Platz frei" in page
    assert "freie Plätze prüfen" in page and "Ergebnis des Lotsen" in page


def test_small_numbers_are_shown_as_less_than_five_and_never_ranked_or_flagged(answered: App, tmp_path: Path):
    assert report(answered, tmp_path, "--network", "ludwigsburg") == 0
    rows = {(r["gruppe"], r["schluessel"]): r for r in rows_of(tmp_path / "nachfrage.csv")}
    tafel = rows[("angebot", "lb-tafel")]
    assert (tafel["gefragt"], tafel["geantwortet"], tafel["nicht_erreicht"], tafel["erreicht"]) == (
        "< 5",
        "< 5",
        "",
        "",
    )
    assert (tafel["anteil_erreicht"], tafel["haeufigster_grund"], tafel["pruefen"]) == ("", "", "")
    order = [r["schluessel"] for r in rows_of(tmp_path / "nachfrage.csv") if r["gruppe"] == "bedarf"]
    assert order[0] == "childcare"  # the one cell with 5 answers first; the small ones after, by name
    page = (tmp_path / "nachfrage-bericht.html").read_text(encoding="utf-8")
    assert "lb-tafel“:" not in page and "&lt; 5" in page


def test_the_gap_report_has_the_check_in_section_and_since_filters(answered: App, tmp_path: Path):
    args = ["--database-url", answered.settings.database_url, "gaps", "--network", "ludwigsburg", "--no-pdf"]
    assert run(main, [*args, "--out", str(tmp_path)]) == 0
    page = (tmp_path / "luecken-bericht.html").read_text(encoding="utf-8")
    assert "Hat es geholfen? Die Nachfrage bei den Familien" in page and "17 Familien wurden nachgefragt" in page
    assert report(answered, tmp_path / "later", "--since", "2026-12-01") == 0
    assert "Im Zeitraum hat noch keine Familie" in (
        tmp_path / "later" / "ludwigsburg" / "nachfrage-bericht.html"
    ).read_text(encoding="utf-8")


def test_bad_input_is_one_line_and_exit_1(app: App, tmp_path: Path, capsys):
    assert report(app, tmp_path, "--since", "2026-13-01") == 1
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert report(app, tmp_path, "--network", "Atlantis") == 1
