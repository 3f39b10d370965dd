"""The offer database on SQLite and PostgreSQL: import, export, all-or-nothing, stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.bootstrap import App, load_bundled_offers
from bot.offer_files import read_offers, write_offers
from bot.services.offers import OfferRepository, import_offers, stale_offers
from tests.conftest import DATA


def stored(app: App):
    with app.uow() as session:
        return OfferRepository(session).all()


def test_imported_offers_come_back_unchanged(app: App):
    offers = read_offers(DATA / "offers_small.csv", app.knowledge.places).offers
    plan = import_offers(app.uow, offers)
    assert len(plan.added) == 3
    assert stored(app) == sorted(offers, key=lambda o: o.external_id)


def test_importing_the_same_file_twice_changes_nothing(app: App):
    offers = read_offers(DATA / "offers_small.csv", app.knowledge.places).offers
    import_offers(app.uow, offers)
    again = import_offers(app.uow, offers)
    assert again.is_empty and again.unchanged == 3


def test_dry_run_reports_but_does_not_write(app: App):
    offers = read_offers(DATA / "offers_small.csv", app.knowledge.places).offers
    plan = import_offers(app.uow, offers, dry_run=True)
    assert len(plan.added) == 3
    assert stored(app) == []


def test_changed_and_missing_offers_are_updated_and_pruned_within_their_network(app: App):
    offers = read_offers(DATA / "offers_small.csv", app.knowledge.places).offers
    import_offers(app.uow, offers)
    cafe = next(o for o in offers if o.external_id == "t-elterncafe")
    renamed = replace(cafe, title="Elterncafé am Dienstag", languages=("de", "uk"), opening_hours=())
    plan = import_offers(app.uow, [renamed], allow_removals=True)  # 1 of 2: more than the 10 % guard lets through
    assert [after.title for _, after in plan.changed] == ["Elterncafé am Dienstag"]
    assert [o.external_id for o in plan.removed] == ["t-schuldner"]  # same network; weimar's offer stays
    assert {o.external_id: o for o in stored(app)}["t-elterncafe"] == renamed
    assert {o.external_id for o in stored(app)} == {"t-elterncafe", "t-kita-we"}


def test_bundled_example_offers_import_and_export_give_the_same_data(app: App, tmp_path: Path):
    count = load_bundled_offers(app)
    assert count >= 150
    bundled = sorted(
        (o for path in app.knowledge.offer_files for o in read_offers(path, app.knowledge.places).offers),
        key=lambda o: o.external_id,
    )
    assert stored(app) == bundled
    for suffix in (".json", ".csv", ".xlsx"):
        path = tmp_path / f"export{suffix}"
        write_offers(path, stored(app), app.knowledge.places)
        assert read_offers(path, app.knowledge.places).offers == bundled


def test_stale_lists_expired_and_long_unverified_offers(app: App):
    offers = read_offers(DATA / "offers_small.csv", app.knowledge.places).offers
    import_offers(app.uow, offers)
    found = dict((o.external_id, reason) for o, reason in stale_offers(stored(app), 365, date(2026, 11, 21)))
    assert found == {"t-schuldner": "zuletzt geprüft am 2023-01-15", "t-kita-we": "abgelaufen am 2026-06-30"}
