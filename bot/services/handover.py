"""Handover to human Lotsen: the case note, claiming (exactly one wins), relaying both ways, closing.

Everything that must reach Telegram goes through the outbox in the same transaction as the change it
reports, so a crash never loses a note, a claim notice or a message. The note is German, short and complete;
it carries no name or Telegram handle of the family.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.conversation import State
from bot.conversation import notices as family_notices
from bot.conversation.model import RequestHandover
from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, LotsenGroupRow, LotseRow, OfficeHoursRow, RelayLinkRow
from bot.i18n import texts
from bot.knowledge import Knowledge
from bot.services import statistics
from bot.services.outbox import Translate, enqueue

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Europe/Berlin")  # Lotsen read local times; the database keeps UTC

OUTCOMES = {
    "arranged": "Angebot vermittelt",
    "referred": "an andere Stelle verwiesen",
    "no_contact": "kein Kontakt zustande gekommen",
    "other": "Sonstiges",
}
CONTACT_TIMES = {"morning": "vormittags", "afternoon": "nachmittags", "evening": "abends", "any": "jederzeit"}
EMERGENCY_KINDS = {
    "violence": "Gewalt",
    "child_danger": "Kind in Gefahr",
    "self_harm": "Selbstgefährdung",
    "homeless": "akute Wohnungslosigkeit",
}


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool
    message: str  # German, for the Lotse (a callback answer or a reply in the group)


def family_chat_id(chat_key: str) -> int | None:
    channel, _, raw = chat_key.partition(":")
    return int(raw) if channel == "telegram" and raw.lstrip("-").isdigit() else None


class HandoverService:
    def __init__(
        self,
        uow: UnitOfWork,
        knowledge: Knowledge,
        *,
        default_group: int | None,
        now: Callable[[], datetime],
        raise_after: timedelta = timedelta(minutes=30),
    ) -> None:
        self.uow = uow
        self.knowledge = knowledge
        self.default_group = default_group
        self.now = now
        self.raise_after = raise_after

    # ------------------------------------------------------------------ opening a case (family side)

    def open_case(self, session: Session, chat_key: str, state: State, effect: RequestHandover) -> CaseRow:
        """Create the case and queue the note for the Lotsen group (called inside the conversation's transaction)."""
        now = self.now()
        case = CaseRow(
            chat_key=chat_key,
            family_chat_id=family_chat_id(chat_key),
            urgent=effect.urgent,
            reason=effect.reason,
            locale=state.locale or "de",
            network=state.network_id,
            district=state.district_id,
            age_months=state.age_months,
            pregnant=state.pregnant,
            needs=",".join(state.needs),
            offers_shown=",".join(state.shown_offer_ids),
            family_words="\n".join(effect.words),
            contact_time=effect.contact_time,
            consent_version=state.consent_version or "",
            consent_at=state.consent_at or now.isoformat(),
            created_at=now,
            last_raised_at=now,
        )
        session.add(case)
        session.flush()
        group = self.route(session, case)
        if group is None:
            log.warning("case %s has no Lotsen group configured (set LOTSEN_CHAT_ID)", case.id)
        else:
            enqueue(
                session,
                chat_id=group,
                text=self.note_text(case, state.emergency_kinds),
                purpose="note",
                now=now,
                case_id=case.id,
                buttons=[[("Übernehmen", f"claim:{case.id}")]],
                translate=self._to_german(case),
            )
        self._tell_family_when(session, case, now)
        return case

    def route(self, session: Session, case: CaseRow) -> int | None:
        """The most specific Lotsen group: district, then language, then network, then LOTSEN_CHAT_ID."""
        groups = session.scalars(select(LotsenGroupRow)).all()
        language = case.locale.split("@")[0]
        for matches in (
            lambda g: g.district is not None and g.district == case.district,
            lambda g: g.language is not None and g.language == language and g.network in (None, case.network),
            lambda g: g.network is not None and g.network == case.network and not g.district and not g.language,
        ):
            found = next((g for g in groups if matches(g)), None)
            if found:
                return found.chat_id
        return self.default_group

    def _to_german(self, case: CaseRow) -> Translate | None:
        language = case.locale.split("@")[0]
        if not case.family_words or language == "de":
            return None
        return Translate(case.family_words, language, "de", "Übersetzung (automatisch):")

    def note_text(self, case: CaseRow, emergency_kinds: tuple[str, ...] = ()) -> str:
        places, german = self.knowledge.places, texts("de")
        language = case.locale.split("@")[0]
        lines = []
        if case.urgent:
            kinds = ", ".join(EMERGENCY_KINDS.get(k, k) for k in emergency_kinds) or "Notfall"
            lines.append(f"🆘 DRINGEND – {kinds}. Die Familie hat die Notrufnummern bekommen.")
        spoken = german.language_name(language) if language != "de" else "Deutsch"
        simple = " (Einfache Sprache)" if case.locale == "de@simple" else ""
        need_speaker = f" – Lotse mit {spoken} hilfreich" if language != "de" else ""
        lines.append(f"Fall #{case.id} · {spoken}{simple}{need_speaker}")
        if case.pregnant:
            child = "schwanger"
        elif case.age_months is None:
            child = "Alter nicht angegeben"
        elif case.age_months < 24:
            child = f"{case.age_months} Monate"
        else:
            child = f"{case.age_months // 12} Jahre"
        lines.append(f"Kind: {child}")
        district = places.district(case.district or "")
        network = places.network(case.network or "")
        where = f"{district.name} ({network.name})" if district and network else network.name if network else "offen"
        lines.append(f"Ort: {where}")
        needs = [self.knowledge.need(n) for n in case.needs.split(",") if n]
        lines.append(f"Bedarf: {', '.join(n.label_de for n in needs if n) or 'noch offen'}")
        if case.family_words:
            lines.append(f"Worte der Familie: „{case.family_words}“")
        if case.offers_shown:
            lines.append(f"Schon gezeigt: {case.offers_shown.replace(',', ', ')}")
        lines.append(f"Notfall: {'ja' if case.urgent else 'nein'}")
        lines.append(
            f"Kontakt: hier im Chat über den Bot, am besten {CONTACT_TIMES.get(case.contact_time or '', 'jederzeit')}"
        )
        lines.append(f"Wartet seit: {_local(case.created_at):%d.%m. %H:%M}")
        lines.append(f"Einwilligung zur Weitergabe: Fassung {case.consent_version}, {case.consent_at[:16]}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ office hours

    def next_office_time(self, session: Session, network: str | None, now: datetime) -> datetime | None:
        """None when a Lotse works now (or no hours are configured); else when the next office time starts."""
        now = _local(now)
        hours = session.scalars(select(OfficeHoursRow).where(OfficeHoursRow.network == (network or ""))).all()
        if not hours:
            return None
        net = self.knowledge.places.network(network or "")
        closed_days = holidays.country_holidays("DE", subdiv=net.state if net and net.state else None)
        for offset in range(0, 15):
            day = (now + timedelta(days=offset)).date()
            if day in closed_days:
                continue
            for slot in sorted((h for h in hours if h.weekday == day.weekday()), key=lambda h: h.opens):
                start = now.replace(
                    year=day.year,
                    month=day.month,
                    day=day.day,
                    hour=slot.opens.hour,
                    minute=slot.opens.minute,
                    second=0,
                    microsecond=0,
                )
                end = start.replace(hour=slot.closes.hour, minute=slot.closes.minute)
                if offset == 0 and start <= now < end:
                    return None
                if start > now:
                    return start
        return None

    def _tell_family_when(self, session: Session, case: CaseRow, now: datetime) -> None:
        if case.family_chat_id is None:
            return
        opens = self.next_office_time(session, case.network, now)
        if opens is None:
            return
        t = texts(case.locale)
        text = t._(
            family_notices.OUTSIDE_HOURS,
            day=t.date(opens) if opens.date() != now.date() else t.weekday(opens.weekday(), "wide"),
            time=t.ltr(t.time(opens.time())),
        )
        if case.urgent:
            text += "\n" + t._(family_notices.URGENT_OUTSIDE_HOURS)
        enqueue(session, chat_id=case.family_chat_id, text=text, purpose="family", now=now, case_id=case.id)

    # ------------------------------------------------------------------ Lotsen side

    def lotse(self, session: Session, telegram_user_id: int) -> LotseRow | None:
        return session.scalar(
            select(LotseRow).where(LotseRow.telegram_user_id == telegram_user_id, LotseRow.active.is_(True))
        )

    def claim(self, case_id: int, telegram_user_id: int, chat_id: int) -> ActionResult:
        """Exactly one Lotse wins: the status changes from open to claimed in one conditional UPDATE."""
        now = self.now()
        with self.uow() as session:
            lotse = self.lotse(session, telegram_user_id)
            if lotse is None:
                return ActionResult(False, "Nur registrierte Lotsen können Fälle übernehmen.")
            case = session.get(CaseRow, case_id)
            if case is None or case.group_chat_id != chat_id:
                return ActionResult(False, "Diesen Fall gibt es hier nicht (mehr).")
            won = (
                session.execute(
                    update(CaseRow)
                    .where(CaseRow.id == case_id, CaseRow.status == "open")
                    .values(status="claimed", claimed_by=lotse.id, claimed_at=now)
                ).rowcount
                == 1
            )
            if not won:
                return ActionResult(False, "Dieser Fall ist schon übernommen.")
            session.refresh(case)
            waited = (now - _aware(case.created_at, now)).total_seconds() / 60
            self._note_changed(session, case, f"✅ Übernommen von {lotse.name} um {_local(now):%H:%M}", now, True)
            self._to_family(session, case, family_notices.CLAIMED, name=lotse.name)
            statistics.record(
                session,
                day=now.date(),
                outcome="claimed",
                network=case.network,
                district=case.district,
                need=(case.needs.split(",") or [None])[0] or None,
                locale=case.locale,
                age_months=case.age_months,
                pregnant=case.pregnant,
                minutes_to_claim=round(waited, 1),
            )
        return ActionResult(True, f"Fall #{case_id} gehört jetzt dir.")

    def _note_changed(self, session: Session, case: CaseRow, status: str, now: datetime, claimed: bool) -> None:
        if case.group_chat_id is None or case.note_message_id is None:
            return
        buttons = (
            [[("Zurückgeben", f"back:{case.id}"), ("Abschließen", f"close:{case.id}")]]
            if claimed
            else [[("Übernehmen", f"claim:{case.id}")]]
        )
        enqueue(
            session,
            chat_id=case.group_chat_id,
            text=f"{self.note_text(case)}\n\n{status}",
            purpose="note_edit",
            now=now,
            case_id=case.id,
            buttons=buttons,
            edit_message_id=case.note_message_id,
        )

    def _to_family(self, session: Session, case: CaseRow, message: str, **values: str) -> None:
        if case.family_chat_id is None:
            return
        t = texts(case.locale)
        enqueue(
            session,
            chat_id=case.family_chat_id,
            text=t._(message, **values),
            purpose="family",
            now=self.now(),
            case_id=case.id,
        )

    def _owned_case(self, session: Session, case_id: int, telegram_user_id: int) -> tuple[CaseRow, LotseRow] | str:
        lotse = self.lotse(session, telegram_user_id)
        if lotse is None:
            return "Nur registrierte Lotsen können Fälle bearbeiten."
        case = session.get(CaseRow, case_id)
        if case is None:
            return "Diesen Fall gibt es nicht (mehr)."
        if case.claimed_by != lotse.id or case.status != "claimed":
            return f"Fall #{case_id} ist nicht deiner – erst übernehmen."
        return case, lotse

    def case_of_message(self, chat_id: int, message_id: int) -> int | None:
        with self.uow() as session:
            link = session.get(RelayLinkRow, (chat_id, message_id))
            return link.case_id if link else None

    def lotse_wrote(self, telegram_user_id: int, case_id: int, text: str) -> ActionResult:
        """A Lotse's message goes to the family in its chat, with the Lotse's name and a translation."""
        with self.uow() as session:
            owned = self._owned_case(session, case_id, telegram_user_id)
            if isinstance(owned, str):
                return ActionResult(False, owned)
            case, lotse = owned
            if case.family_chat_id is None:
                return ActionResult(False, "Diese Familie ist nicht über Telegram erreichbar.")
            t = texts(case.locale)
            language = case.locale.split("@")[0]
            translate = (
                Translate(text, "de", language, t._(family_notices.AUTOMATIC_TRANSLATION)) if language != "de" else None
            )
            enqueue(
                session,
                chat_id=case.family_chat_id,
                text=f"{t._(family_notices.FROM_LOTSE, name=lotse.name)}\n{text}",
                purpose="relay_to_family",
                now=self.now(),
                case_id=case.id,
                translate=translate,
            )
        return ActionResult(True, "")

    def family_wrote(self, session: Session, chat_key: str, text: str) -> bool:
        """A family's message after handover: to the Lotse who has the case (or the group while it waits)."""
        case = session.scalar(
            select(CaseRow)
            .where(CaseRow.chat_key == chat_key, CaseRow.status.in_(("open", "claimed")))
            .order_by(CaseRow.id.desc())
        )
        if case is None or (case.group_chat_id is None and self.route(session, case) is None):
            return False
        group = case.group_chat_id or self.route(session, case)
        assert group is not None
        language = case.locale.split("@")[0]
        enqueue(
            session,
            chat_id=group,
            text=f"Fall #{case.id} – die Familie schreibt:\n{text}",
            purpose="relay_to_lotse",
            now=self.now(),
            case_id=case.id,
            reply_to=case.note_message_id,
            translate=Translate(text, language, "de", "Übersetzung (automatisch):") if language != "de" else None,
        )
        return True

    def hand_back(self, case_id: int, telegram_user_id: int) -> ActionResult:
        with self.uow() as session:
            owned = self._owned_case(session, case_id, telegram_user_id)
            if isinstance(owned, str):
                return ActionResult(False, owned)
            case, lotse = owned
            case.status, case.claimed_by, case.claimed_at = "open", None, None
            self._note_changed(session, case, f"↩️ Zurückgegeben von {lotse.name} – wartet wieder", self.now(), False)
            self._to_family(session, case, family_notices.HANDED_BACK)
        return ActionResult(True, f"Fall #{case_id} ist wieder offen.")

    def pass_on(self, case_id: int, telegram_user_id: int, to_telegram_user_id: int) -> ActionResult:
        with self.uow() as session:
            owned = self._owned_case(session, case_id, telegram_user_id)
            if isinstance(owned, str):
                return ActionResult(False, owned)
            case, lotse = owned
            other = self.lotse(session, to_telegram_user_id)
            if other is None:
                return ActionResult(False, "An diese Person kann ich nicht weitergeben: nicht als Lotse registriert.")
            case.claimed_by = other.id
            self._note_changed(session, case, f"➡️ Weitergegeben von {lotse.name} an {other.name}", self.now(), True)
            self._to_family(session, case, family_notices.PASSED_ON, name=other.name)
        return ActionResult(True, f"Fall #{case_id} ist jetzt bei {other.name}.")

    def close(self, case_id: int, telegram_user_id: int, outcome: str) -> ActionResult:
        if outcome not in OUTCOMES:
            return ActionResult(False, "Unbekanntes Ergebnis.")
        now = self.now()
        with self.uow() as session:
            owned = self._owned_case(session, case_id, telegram_user_id)
            if isinstance(owned, str):
                return ActionResult(False, owned)
            case, lotse = owned
            case.status, case.closed_at, case.outcome = "closed", now, outcome
            self._note_changed(session, case, f"🏁 Abgeschlossen von {lotse.name}: {OUTCOMES[outcome]}", now, False)
            if case.family_chat_id is not None:
                t = texts(case.locale)
                enqueue(
                    session,
                    chat_id=case.family_chat_id,
                    purpose="close",
                    now=now,
                    case_id=case.id,
                    text=f"{t._(family_notices.CLOSED)}\n\n{t._(family_notices.RATE_QUESTION)}",
                    buttons=[[(str(n), f"rate:{n}") for n in range(1, 6)]],
                )
            statistics.record(
                session,
                day=now.date(),
                outcome=f"closed:{outcome}",
                network=case.network,
                district=case.district,
                locale=case.locale,
            )
        return ActionResult(True, f"Fall #{case_id} abgeschlossen: {OUTCOMES[outcome]}.")

    def rate(self, session: Session, chat_key: str, stars: int) -> None:
        """The family's rating goes to its own most recently closed case — never to anybody else's."""
        case = session.scalar(
            select(CaseRow)
            .where(CaseRow.chat_key == chat_key, CaseRow.status == "closed")
            .order_by(CaseRow.closed_at.desc())
        )
        if case is not None:
            case.rating = stars

    # ------------------------------------------------------------------ waiting

    def raise_waiting(self) -> int:
        """Raise unclaimed cases again in their group after a while (urgent ones after a third of it)."""
        now = self.now()
        raised = 0
        with self.uow() as session:
            cases = session.scalars(
                select(CaseRow).where(
                    CaseRow.status == "open",
                    CaseRow.group_chat_id.is_not(None),
                    or_(CaseRow.last_raised_at.is_(None), CaseRow.last_raised_at <= now - self.raise_after / 3),
                )
            ).all()
            for case in cases:
                limit = self.raise_after / 3 if case.urgent else self.raise_after
                if case.last_raised_at is not None and _aware(case.last_raised_at, now) > now - limit:
                    continue
                minutes = int((now - _aware(case.created_at, now)).total_seconds() // 60)
                prefix = "🆘 DRINGEND: " if case.urgent else "⏰ "
                enqueue(
                    session,
                    chat_id=case.group_chat_id or 0,
                    purpose="reminder",
                    now=now,
                    case_id=case.id,
                    text=f"{prefix}Fall #{case.id} wartet seit {minutes} Min. auf einen Lotsen.",
                    reply_to=case.note_message_id,
                    buttons=[[("Übernehmen", f"claim:{case.id}")]],
                )
                case.last_raised_at = now
                raised += 1
        return raised


def _aware(value: datetime, like: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); compare them in the same zone as `like`."""
    if value.tzinfo is None and like.tzinfo is not None:
        return value.replace(tzinfo=UTC).astimezone(like.tzinfo)
    return value


def _local(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(LOCAL)
