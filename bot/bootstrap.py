"""Wires settings, database, knowledge and services together — the one place that builds the object graph."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from bot.db.engine import UnitOfWork, make_engine, migrate
from bot.knowledge import Knowledge, load_knowledge
from bot.offer_files import read_offers
from bot.services.offers import OfferRepository, import_offers
from bot.settings import Settings

log = logging.getLogger("familienlotse")


class BundledOffersError(RuntimeError):
    """The bundled example offers do not validate (a packaging bug, never a family's problem)."""


@dataclass
class App:
    settings: Settings
    engine: Engine
    uow: UnitOfWork
    knowledge: Knowledge


def load_bundled_offers(app: App) -> int:
    offers = []
    for path in app.knowledge.offer_files:
        result = read_offers(path, app.knowledge.places)
        if result.problems:
            raise BundledOffersError(f"{path.name}: {result.problems[0]} (+{len(result.problems) - 1} weitere)")
        offers += result.offers
    import_offers(app.uow, offers, prune=False)
    return len(offers)


def bootstrap(settings: Settings | None = None, *, load_examples: bool = True) -> App:
    """Connect, migrate, read knowledge/; on an empty database, load the bundled example offers."""
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    created = migrate(engine)
    app = App(settings, engine, UnitOfWork(engine), load_knowledge(settings.knowledge_dir))
    if load_examples:
        with app.uow() as session:
            empty = OfferRepository(session).count() == 0
        if empty:
            count = load_bundled_offers(app)
            log.info(
                "%s: %d Beispielangebote aus %s geladen",
                "Neue Datenbank angelegt" if created else "Keine Angebote gefunden",
                count,
                app.knowledge.directory / "offers",
            )
    return app
