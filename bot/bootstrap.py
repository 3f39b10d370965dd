"""Wires settings, database, knowledge and services together — the one place that builds the object graph."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.conversation import Services
from bot.db.engine import UnitOfWork, make_engine, migrate
from bot.domain.matching import OfferIndex
from bot.knowledge import Knowledge, load_knowledge
from bot.offer_files import read_offers
from bot.services.conversations import ConversationService
from bot.services.handover import HandoverService
from bot.services.offers import OfferRepository, import_offers
from bot.settings import Settings
from bot.understanding import Understander, bundled_understander

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


BERLIN = ZoneInfo("Europe/Berlin")


def offer_index(app: App) -> OfferIndex:
    with app.uow() as session:
        index = OfferIndex(OfferRepository(session).all())
    # The offers live as long as the process: keep the garbage collector from walking them again and again
    # (it dominated the slowest matches at 100,000 offers).
    gc.collect()
    gc.freeze()
    return index


def handover_service(app: App) -> HandoverService:
    return HandoverService(
        app.uow,
        app.knowledge,
        default_group=app.settings.lotsen_chat_id,
        now=lambda: datetime.now(UTC),
        raise_after=timedelta(minutes=app.settings.raise_after_minutes),
    )


def conversation_service(app: App, listen: frozenset[str] = frozenset()) -> ConversationService:
    """The conversation core wired to this app's database, knowledge, offers and the Lotsen handover."""
    services = Services(
        knowledge=app.knowledge,
        understander=bundled_understander() if app.settings.knowledge_dir is None else Understander(app.knowledge),
        offers=offer_index(app),
        now=lambda: datetime.now(BERLIN),
        controller=app.settings.privacy_controller,
        retention_days=app.settings.retention_days,
        listen=listen,
    )
    return ConversationService(app.uow, services, handover_service(app))


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
