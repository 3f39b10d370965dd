"""Wires settings, database, knowledge and services together — the one place that builds the object graph."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.conversation import Services
from bot.db.engine import UnitOfWork, make_engine, migrate
from bot.domain.matching import Match, MatchRequest, OfferIndex
from bot.domain.offers import Offer, Status
from bot.knowledge import Knowledge, load_knowledge
from bot.offer_files import read_offers
from bot.services.conversations import ConversationService
from bot.services.handover import HandoverService
from bot.services.offers import OfferRepository, current_generation, import_offers
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
        result = read_offers(path, app.knowledge.places, app.knowledge.needs)
        if result.problems:
            raise BundledOffersError(f"{path.name}: {result.problems[0]} (+{len(result.problems) - 1} weitere)")
        offers += result.offers
    import_offers(app.uow, offers, prune=False)
    return len(offers)


BERLIN = ZoneInfo("Europe/Berlin")


def _shown(offers: Iterable[Offer]) -> OfferIndex:
    """The index families are matched against: ended offers stay in the database, never in an answer."""
    return OfferIndex(o for o in offers if o.status is not Status.ENDED)


def offer_index(app: App) -> OfferIndex:
    with app.uow() as session:
        index = _shown(OfferRepository(session).all())
    # The offers live as long as the process: keep the garbage collector from walking them again and again
    # (it dominated the slowest matches at 100,000 offers).
    gc.collect()
    gc.freeze()
    return index


OFFERS_POLL_SECONDS = 1.0
REBUILD_SWITCH_SECONDS = 0.001


class LiveOffers:
    """The offers the conversation reads (`Services.offers`): always the newest complete OfferIndex.

    Every import raises a generation counter in the database in the same transaction as its offers. A
    background thread of each bot process reads that one row every `poll_seconds`; when it moved, the thread
    builds a new index from the database and swaps it in with one reference assignment. A request never
    waits for a rebuild: it runs on whichever index was current when it started, the old one until the
    swap, the new one after. `page`, `match`, `get` and `len` delegate, so it stands wherever an OfferIndex does.
    """

    def __init__(self, app: App, poll_seconds: float = OFFERS_POLL_SECONDS) -> None:
        self._app = app
        self.poll_seconds = poll_seconds
        self.generation, self.index = self._load()
        self.last_swap_seconds = 0.0  # how long the last rebuild took (building, not waiting)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _load(self) -> tuple[int, OfferIndex]:
        # Without the collector while building: it would walk the half-built offers again and again (a third
        # of the load time at 100,000 offers), and a full collection before the freeze holds every thread for a
        # second. Only cycles wait meanwhile; the requests free their garbage as ever.
        # And a shorter switch interval: a request arriving on the event loop gets the interpreter lock from the
        # building thread within 1 ms instead of 5 ms.
        collecting, interval = gc.isenabled(), sys.getswitchinterval()
        gc.disable()
        sys.setswitchinterval(min(interval, REBUILD_SWITCH_SECONDS))
        try:
            with self._app.uow() as session:
                generation = current_generation(session)  # first: a change during the load is caught next poll
                offers = OfferRepository(session).all()
            index = _shown(offers)
            gc.freeze()  # the new offers live long: keep the collector off them
            return generation, index
        finally:
            sys.setswitchinterval(interval)
            if collecting:
                gc.enable()

    # --- what the conversation reads
    def page(self, request: MatchRequest, start: int, size: int) -> tuple[list[Match], int]:
        return self.index.page(request, start, size)

    def match(self, request: MatchRequest, limit: int | None = None) -> list[Match]:
        return self.index.match(request, limit=limit)

    def get(self, external_id: str) -> Offer | None:
        return self.index.get(external_id)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def offers(self) -> list[Offer]:
        return self.index.offers

    # --- keeping it current
    def refresh(self) -> bool:
        """Rebuild and swap if the offers changed since the last look; True when it swapped."""
        with self._app.uow() as session:
            generation = current_generation(session)
        if generation == self.generation:
            return False
        started = time.perf_counter()
        generation, index = self._load()
        self.index, self.generation = index, generation  # readers see the old or the new index, never a mix
        self.last_swap_seconds = time.perf_counter() - started
        log.info("Angebote neu geladen (Stand %d, %d Angebote, %.2f s)", generation, len(index), self.last_swap_seconds)
        return True

    def start(self) -> LiveOffers:
        """Start watching in a daemon thread; it ends with the process or when this holder is dropped."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=_watch, args=(weakref.ref(self), self._stop, self.poll_seconds), name="offers", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _watch(holder: weakref.ref[LiveOffers], stop: threading.Event, poll_seconds: float) -> None:
    """The watcher loop; holds the holder only weakly, so a dropped service takes its thread with it."""
    failing = False
    while not stop.wait(poll_seconds):
        live = holder()
        if live is None:
            return
        try:
            live.refresh()
            failing = False
        except Exception as exc:  # the database away for a while: keep serving the index we have
            if not failing:
                log.warning("Angebote nicht neu geladen, Datenbank nicht erreichbar (%s)", exc.__class__.__name__)
            failing = True
        del live


def handover_service(app: App, language_of: Callable[[str], str | None] | None = None) -> HandoverService:
    return HandoverService(
        app.uow,
        app.knowledge,
        default_group=app.settings.lotsen_chat_id,
        now=lambda: datetime.now(UTC),
        raise_after=timedelta(minutes=app.settings.raise_after_minutes),
        oncall_group=app.settings.oncall_chat_id,
        language_of=language_of,
    )


def live_offers(app: App, poll_seconds: float = OFFERS_POLL_SECONDS) -> LiveOffers:
    """The offers of a running bot: loaded now, then kept current by a watcher thread."""
    live = LiveOffers(app, poll_seconds)
    gc.collect()
    gc.freeze()  # see offer_index
    return live.start()


def conversation_service(
    app: App, listen: frozenset[str] = frozenset(), *, offers_poll_seconds: float = OFFERS_POLL_SECONDS
) -> ConversationService:
    """The conversation core wired to this app's database, knowledge, offers and the Lotsen handover."""
    understander = bundled_understander() if app.settings.knowledge_dir is None else Understander(app.knowledge)
    services = Services(
        knowledge=app.knowledge,
        understander=understander,
        offers=live_offers(app, offers_poll_seconds),  # type: ignore[arg-type]  # an OfferIndex that stays current
        now=lambda: datetime.now(BERLIN),
        controller=app.settings.privacy_controller,
        retention_days=app.settings.retention_days,
        listen=listen,
    )

    def language_of(text: str) -> str | None:  # for the note's line "Schreibt auch Deutsch"
        return understander.understand(text).language

    return ConversationService(app.uow, services, handover_service(app, language_of))


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
