"""Offer data that stays true: no surprise removals, stale translations, "still valid", live in every bot."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from admin_scripts._cli import run
from admin_scripts.offers import main
from bot.bootstrap import App, LiveOffers
from bot.domain.offers import Status
from bot.offer_files import read_offers
from bot.services.offers import (
    OfferRepository,
    RemovalsNeedConsent,
    current_generation,
    import_offers,
    stale_offers,
)
from tests.conftest import DATA


def bundled(app: App):
    return [o for path in app.knowledge.offer_files for o in read_offers(path, app.knowledge.places).offers]


def cli(capsys: pytest.CaptureFixture[str], app: App, *args: str) -> tuple[int, str, str]:
    code = run(main, ["--database-url", app.settings.database_url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_removing_more_than_a_tenth_of_a_network_stops_and_asks(app: App, capsys, tmp_path: Path):
    offers = bundled(app)
    import_offers(app.uow, offers)
    lb = [o for o in offers if o.network == "ludwigsburg"]
    with pytest.raises(RemovalsNeedConsent, match=r"50 von 55 Angeboten in ludwigsburg \(91%\)"):
        import_offers(app.uow, lb[:5])
    with app.uow() as session:
        assert len(OfferRepository(session).all("ludwigsburg")) == 55  # nothing changed

    from bot.offer_files import write_offers

    sheet = tmp_path / "fuenf.json"
    write_offers(sheet, lb[:5], app.knowledge.places)
    code, out, _ = cli(capsys, app, "import", str(sheet), "--dry-run")
    assert code == 0 and "ludwigsburg: 50 von 55 Angeboten würden entfernt (91%" in out and "--allow-removals" in out
    assert f"- {lb[5].external_id}" in out  # and which
    code, _, err = cli(capsys, app, "import", str(sheet))
    assert code == 1 and "--allow-removals" in err and "Traceback" not in err
    code, out, _ = cli(capsys, app, "import", str(sheet), "--allow-removals")
    assert code == 0 and "50 entfernt" in out
    # a tenth or less goes through without asking
    import_offers(app.uow, lb[:5], allow_removals=True)
    assert import_offers(app.uow, lb[:5]).removed == []


def test_a_changed_german_text_makes_its_translations_stale(app: App, capsys, tmp_path: Path):
    offers = read_offers(DATA / "offers_small.csv", app.knowledge.places).offers
    import_offers(app.uow, offers)
    cafe = next(o for o in offers if o.translations)
    with app.uow() as session:
        stored = {o.external_id: o for o in OfferRepository(session).all()}[cafe.external_id]
    assert stored.translations["en"].source == cafe.german_fingerprint and not stored.stale_translations

    changed = replace(cafe, description="Jetzt dienstags und donnerstags, mit Frühstück.")
    plan = import_offers(app.uow, [changed, *[o for o in offers if o is not cafe]], dry_run=True)
    assert [(o.external_id, langs) for o, langs in plan.stale] == [(cafe.external_id, ("en",))]
    import_offers(app.uow, [changed, *[o for o in offers if o is not cafe]])
    with app.uow() as session:
        now = {o.external_id: o for o in OfferRepository(session).all()}[cafe.external_id]
    assert now.stale_translations == ("en",)
    assert now.text_in("en") is None  # the family reads the German text, with the note that it is German
    assert any("Übersetzung(en) veraltet: en" in reason for _, reason in stale_offers([now], 365, now.last_verified))

    # a new translation, made from the new German, is current again
    fresh = replace(changed, translations={"en": replace(cafe.translations["en"], summary="Now Tue and Thu.")})
    import_offers(app.uow, [fresh, *[o for o in offers if o is not cafe]])
    with app.uow() as session:
        again = {o.external_id: o for o in OfferRepository(session).all()}[cafe.external_id]
    assert again.stale_translations == () and again.text_in("en") is not None


def test_confirm_sets_the_assured_date_by_provider_and_stale_writes_one_csv_per_provider(
    app: App, capsys, tmp_path: Path
):
    import_offers(app.uow, read_offers(DATA / "offers_small.csv", app.knowledge.places).offers)
    code, out, _ = cli(capsys, app, "confirm", "--provider", "Diakonieverband Ludwigsburg", "--by",
                       "netzwerk@example.org", "--today", "2026-11-21")  # fmt: skip
    assert code == 0 and "1 Angebot(e) als noch gültig bestätigt" in out
    with app.uow() as session:
        schuldner = {o.external_id: o for o in OfferRepository(session).all()}["t-schuldner"]
    assert str(schuldner.assured_date) == "2026-11-21" and schuldner.assurer_email == "netzwerk@example.org"
    code, _, err = cli(capsys, app, "confirm", "--provider", "Niemand e.V.")
    assert code == 1 and "keine Angebote gefunden" in err
    code, out, _ = cli(capsys, app, "stale", "--days", "365", "--today", "2026-11-21", "--by-provider",
                       str(tmp_path / "rund"))  # fmt: skip
    assert code == 0 and "t-schuldner" not in out
    files = sorted(p.name for p in (tmp_path / "rund").iterdir())
    assert files and all(name.endswith(".csv") for name in files)


def test_every_change_raises_the_generation_and_a_live_holder_swaps_without_restart(app: App):
    offers = read_offers(DATA / "offers_small.csv", app.knowledge.places).offers
    live = LiveOffers(app)
    before = live.generation
    assert len(live) == 0
    import_offers(app.uow, offers)
    with app.uow() as session:
        assert current_generation(session) == before + 1
    assert live.refresh() and len(live) == 3 and live.get("t-elterncafe") is not None
    assert not live.refresh()  # nothing changed, nothing rebuilt
    import_offers(app.uow, offers)  # the same file again: no change, no rebuild anywhere
    assert not live.refresh()
    ended = replace(offers[0], status=Status.ENDED)
    import_offers(app.uow, [ended, *offers[1:]])
    assert live.refresh() and live.get(ended.external_id) is None  # ended offers are never shown


def test_the_watcher_thread_picks_an_import_up_within_seconds(app: App):
    live = LiveOffers(app, poll_seconds=0.1).start()
    try:
        import_offers(app.uow, read_offers(DATA / "offers_small.csv", app.knowledge.places).offers)
        started = time.monotonic()
        while len(live) == 0 and time.monotonic() - started < 5:
            time.sleep(0.02)
        assert len(live) == 3
    finally:
        live.stop()
