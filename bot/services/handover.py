"""Handover to human Lotsen: the case note, claiming (exactly one wins), relaying both ways, closing.

Everything that must reach Telegram goes through the outbox in the same transaction as the change it
reports, so a crash never loses a note, a claim notice or a message. The note is German, short and complete;
it carries no name or Telegram handle of the family.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from bot.conversation import State
from bot.conversation import notices as family_notices
from bot.conversation.checkin import NOTE_PREFIX as CHECKIN_NOTE
from bot.conversation.model import ContactTimeGiven, EscalateCase, RequestHandover
from bot.db.engine import UnitOfWork
from bot.db.orm import CaseRow, LotsenGroupRow, LotseRow, OfferRow, OfficeHoursRow, OutboxRow, RelayLinkRow
from bot.i18n import texts
from bot.knowledge import Knowledge
from bot.services import statistics
from bot.services.outbox import (
    Translate,
    enqueue,
    enqueue_erase,
    enqueue_topic_deletion,
    first_delivery,
    message_surfaced,
)
from bot.services.reports import CHECKIN_REASONS_DE

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
    "child_missing": "Kind vermisst",
    "homeless": "akute Not (Wohnung, Essen, Heizung)",
}


MAX_FAMILY_WORDS = 2000  # the family's own words in the note (the whole note stays under Telegram's 4,096)
# The family's typed answer to "when may a person write?" is kept after the words, behind this separator (a
# control character nobody types; the case has no column of its own for it — see the report to the lead).
CONTACT_SEPARATOR = "\x1e"
OPEN_STATUSES = ("open", "claimed")


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool
    message: str  # German, for the Lotse (a callback answer or a reply in the group)


ALREADY_HANDLED = ActionResult(True, "")  # a second delivery of the same Telegram update: nothing to say
NOT_SENT = " Nichts wurde an die Familie gesendet."
FILE_METHODS = {"photo": "sendPhoto", "document": "sendDocument"}
FILE_LABELS = {"photo": "📷 Foto", "document": "📄 Dokument"}
FILE_ACK_EVERY = timedelta(minutes=10)  # a family sending three pages of a letter hears once that they went on
# The note's last line: how a Lotse works in the case's thread (the topic, or the replies to the note).
NOTE_HINT = "Antwort an die Familie: hier schreiben · // am Anfang: interne Notiz · /vorlage: Textbausteine"
MAX_COLLEAGUE_BUTTONS = 12


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or document as Telegram knows it: only its file id is kept, until it was sent on."""

    kind: str  # photo | document
    file_id: str


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
        oncall_group: int | None = None,
        language_of: Callable[[str], str | None] | None = None,
    ) -> None:
        """`language_of`: the language a line of the family's is in (the note says whether any was German)."""
        self.language_of = language_of
        self.uow = uow
        self.knowledge = knowledge
        self.default_group = default_group
        self.now = now
        self.raise_after = raise_after
        # ONCALL_CHAT_ID: an urgent case waiting outside office hours is announced there once, with Übernehmen
        self.oncall_group = oncall_group
        # Called with the family's chat key after a Lotse closed its case (the conversation service sends
        # CaseClosed into the core, so the family's next message starts a new request).
        self.closed_hooks: list[Callable[[str], None]] = []

    # ------------------------------------------------------------------ opening a case (family side)

    def open_case(self, session: Session, chat_key: str, state: State, effect: RequestHandover) -> CaseRow:
        """Create the case and queue the note for the Lotsen group (called inside the conversation's transaction).

        A family with a case still open gets no second one: the open case takes the new facts and words, and
        its note in the group is brought up to date."""
        existing = self.open_case_of(session, chat_key, lock=True)
        if existing is not None:
            return self._update_case(session, existing, state, effect)
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
            children_months=",".join(map(str, state.children_months)),
            pregnant=state.pregnant,
            needs=",".join(state.needs),
            offers_shown=",".join(state.shown_offer_ids),
            family_words=_family_words("", effect.words),
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
                extra={"topic": self.topic_name(case)},  # its own topic, where the group is a forum
            )
        self._tell_family_when(session, case, now)
        return case

    def open_case_of(self, session: Session, chat_key: str, *, lock: bool = False) -> CaseRow | None:
        """The family's case that is still with the Lotsen (open or claimed), if any.

        `lock`: for a change that rewrites the note — the row is locked (PostgreSQL; SQLite has one writer
        anyway) and read afresh, so a claim committed meanwhile is not overwritten by an "Übernehmen" note."""
        query = select(CaseRow).where(CaseRow.chat_key == chat_key, CaseRow.status.in_(OPEN_STATUSES))
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return session.scalar(query.order_by(CaseRow.id.desc()))

    def _update_case(self, session: Session, case: CaseRow, state: State, effect: RequestHandover) -> CaseRow:
        """A second request while the first is open: the same case, with the newer facts and the added words."""
        case.urgent = case.urgent or effect.urgent
        if effect.urgent:
            case.reason = effect.reason
        case.locale = state.locale or case.locale
        case.network = state.network_id or case.network
        case.district = state.district_id or case.district
        case.age_months = state.age_months if state.age_months is not None else case.age_months
        if state.children_months:
            case.children_months = ",".join(map(str, state.children_months))
        case.pregnant = case.pregnant or state.pregnant
        case.needs = ",".join(dict.fromkeys([*state.needs, *(n for n in case.needs.split(",") if n)]))
        shown = [*(o for o in case.offers_shown.split(",") if o), *state.shown_offer_ids]
        case.offers_shown = ",".join(dict.fromkeys(shown))
        words, _, contact = case.family_words.partition(CONTACT_SEPARATOR)
        case.family_words = _family_words(words, effect.words) + (CONTACT_SEPARATOR + contact if contact else "")
        self.refresh_note(session, case, state.emergency_kinds)
        return case

    def contact_time_given(self, session: Session, chat_key: str, effect: ContactTimeGiven) -> bool:
        """When a person may write, added to the open case's note (typed words exactly as the family wrote them)."""
        case = self.open_case_of(session, chat_key, lock=True)
        if case is None:
            return False
        words, _, _old = case.family_words.partition(CONTACT_SEPARATOR)
        if effect.typed:
            case.contact_time = "typed"
            case.family_words = f"{words}{CONTACT_SEPARATOR}{_clean(effect.value)[: MAX_FAMILY_WORDS // 4]}"
        else:
            case.contact_time = effect.value if effect.value in CONTACT_TIMES else "any"
            case.family_words = words
        self.refresh_note(session, case)
        return True

    def escalate(self, session: Session, chat_key: str, effect: EscalateCase) -> bool:
        """An emergency while the case is open: urgent now, a 🆘 line in the group under the note, no new case."""
        case = self.open_case_of(session, chat_key, lock=True)
        if case is None:
            return False
        now = self.now()
        case.urgent, case.reason, case.last_raised_at = True, "emergency", now
        group = case.group_chat_id or self.route(session, case)
        if group is not None:
            kinds = ", ".join(EMERGENCY_KINDS.get(k, k) for k in effect.kinds) or "Notfall"
            who = "" if case.status == "claimed" else " Bitte sofort übernehmen."
            enqueue(
                session,
                chat_id=group,
                text=f"🆘 DRINGEND – Fall #{case.id}: {kinds}. Die Familie hat die Notrufnummern bekommen.{who}",
                purpose="escalation",
                now=now,
                case_id=case.id,
                reply_to=case.note_message_id,
                buttons=[] if case.status == "claimed" else [[("Übernehmen", f"claim:{case.id}")]],
            )
            if case.topic_id is not None:  # the topic's name says it too, 🆘 first
                enqueue(
                    session,
                    chat_id=group,
                    text="",
                    purpose="topic",
                    now=now,
                    case_id=case.id,
                    method="editForumTopic",
                    extra={"name": self.topic_name(case), "thread_id": case.topic_id},
                )
        self.refresh_note(session, case, effect.kinds)
        return True

    def refresh_note(self, session: Session, case: CaseRow, emergency_kinds: tuple[str, ...] = ()) -> None:
        """Bring the note in the group up to date: edit the sent note, or rewrite the one still waiting to go."""
        _latest(session, case)
        text = self.note_text(case, emergency_kinds)
        if case.note_message_id is None:
            waiting = session.scalar(
                select(OutboxRow).where(
                    OutboxRow.case_id == case.id, OutboxRow.purpose == "note", OutboxRow.sent_at.is_(None)
                )
            )
            if waiting is not None:
                payload = json.loads(waiting.payload)
                payload["text"] = text
                translate = self._to_german(case)
                payload["translate"] = asdict(translate) if translate else None
                payload["extra"] = {**payload.get("extra", {}), "topic": self.topic_name(case)}
                waiting.payload = json.dumps(payload, ensure_ascii=False)
            return
        status = ""
        if case.status == "claimed" and case.claimed_by is not None:
            lotse = session.get(LotseRow, case.claimed_by)
            since = f" um {_local(case.claimed_at):%H:%M}" if case.claimed_at else ""
            status = f"✅ Übernommen von {lotse.name if lotse else 'einem Lotsen'}{since}"
        self._note_changed(session, case, status, self.now(), case.status == "claimed", text)

    def _wrote_german(self, words: str) -> bool:
        """Whether a line of at least two words is German ("Kita" alone inside Arabic is no German)."""
        assert self.language_of is not None
        return any(self.language_of(line) == "de" for line in words.splitlines() if len(line.split()) >= 2)

    def erase_from_group(self, session: Session, chat_key: str) -> int:
        """/delete: every message of the family's cases in a Lotsen chat (note, relayed words) is edited to say
        it was deleted. The edits carry no case id, so they survive the deletion of the cases they report."""
        # Write first: the transaction then holds the write lock (SQLite) or the cases' rows (PostgreSQL), so
        # what is read below is what the sender last recorded (a topic, a note's id), and what it records
        # next waits for the deletion and finds the case gone (topics.topic_opened, outbox.delivered).
        session.execute(update(CaseRow).where(CaseRow.chat_key == chat_key).values(topic_id=CaseRow.topic_id))
        case_ids = session.scalars(select(CaseRow.id).where(CaseRow.chat_key == chat_key)).all()
        if not case_ids:
            return 0
        links = session.scalars(select(RelayLinkRow).where(RelayLinkRow.case_id.in_(case_ids))).all()
        now = self.now()
        for link in links:
            enqueue_erase(session, link.chat_id, link.message_id, now)
        case_topics = session.execute(
            select(CaseRow.group_chat_id, CaseRow.topic_id).where(
                CaseRow.id.in_(case_ids), CaseRow.topic_id.is_not(None), CaseRow.group_chat_id.is_not(None)
            )
        ).all()
        for group, topic in case_topics:  # the edits above stand where the topic can't be deleted
            enqueue_topic_deletion(session, group, topic, now)
        return len(links)

    def was_erased(self, chat_id: int, message_id: int) -> bool:
        """Whether this message of a Lotsen chat belonged to a family that deleted its data (the erase rows
        keep only the chat and the message id, until the outbox's retention purge)."""
        with self.uow() as session:
            rows = session.execute(
                select(OutboxRow.telegram_message_id, OutboxRow.payload).where(
                    OutboxRow.chat_id == chat_id, OutboxRow.purpose == "erase"
                )
            ).all()
        return any(
            sent == message_id or (sent is None and json.loads(payload).get("message_id") == message_id)
            for sent, payload in rows
        )

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
        words = case.family_words.replace(CONTACT_SEPARATOR, "\n")
        if not words or language == "de":
            return None
        return Translate(words, language, "de", "Übersetzung (automatisch):")

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
        lines.append(children_de(case))
        district = places.district(case.district or "")
        network = places.network(case.network or "")
        where = f"{district.name} ({network.name})" if district and network else network.name if network else "offen"
        lines.append(f"Ort: {where}")
        needs = [self.knowledge.need(n) for n in case.needs.split(",") if n]
        lines.append(f"Bedarf: {', '.join(n.label_de for n in needs if n) or 'noch offen'}")
        if case.reason.startswith(CHECKIN_NOTE):  # the family answered a check-in: it did not (fully) work
            why = CHECKIN_REASONS_DE.get(case.reason.removeprefix(CHECKIN_NOTE), "hat nicht geklappt")
            lines.append(f"Anlass: Antwort auf die Nachfrage des Bots – {why}")
        words, _, typed_time = case.family_words.partition(CONTACT_SEPARATOR)
        if words:
            lines.append(f"Worte der Familie: „{words}“")
            if language != "de" and self.language_of is not None:
                lines.append(f"Schreibt auch Deutsch: {'ja' if self._wrote_german(words) else 'nein'}")
        if case.offers_shown:
            lines.append(f"Schon gezeigt: {'; '.join(_offer_titles(case))}")
        lines.append(f"Notfall: {'ja' if case.urgent else 'nein'}")
        if typed_time:
            lines.append(f"Kontakt: hier im Chat über den Bot, die Familie schreibt dazu: „{typed_time}“")
        else:
            when = CONTACT_TIMES.get(case.contact_time or "", "jederzeit")
            lines.append(f"Kontakt: hier im Chat über den Bot, am besten {when}")
        # A duration reads at a glance; the clock time beside it keeps it true when the note is read later.
        created, came = _aware(case.created_at, self.now()), f"eingegangen {_local(case.created_at):%d.%m. %H:%M}"
        if case.claimed_at is not None:  # claimed (or closed since): how long the family waited for a person
            lines.append(f"Gewartet: {duration_de(_aware(case.claimed_at, created) - created)} ({came})")
        else:
            lines.append(f"Wartet seit: {duration_de(self.now() - created)} ({came})")
        lines.append(f"Einwilligung zur Weitergabe: Fassung {case.consent_version}, {case.consent_at[:16]}")
        lines.append(NOTE_HINT)
        return "\n".join(lines)

    def topic_name(self, case: CaseRow) -> str:
        """The case's topic in a forum group: "#12 · Arabisch · Eglosheim · Kita", 🆘 first when urgent."""
        return f"{'🆘 ' if case.urgent else ''}#{case.id} · {case_about(self.knowledge, case)}".rstrip(" ·")

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

    def claim(
        self,
        case_id: int,
        telegram_user_id: int,
        chat_id: int,
        update_key: str | None = None,
        pressed_message_id: int | None = None,
        pressed_text: str = "",
    ) -> ActionResult:
        """Exactly one Lotse wins: the status changes from open to claimed in one conditional UPDATE.

        The pressed message is one of the case's (its note, a reminder): if its send was never recorded (the
        answer got lost), the press records it, or marks it as a second copy (outbox.message_surfaced)."""
        now = self.now()
        with self.uow() as session:
            if not first_delivery(session, update_key, now):
                return ALREADY_HANDLED
            lotse = self.lotse(session, telegram_user_id)
            if lotse is None:
                return ActionResult(False, "Nur registrierte Lotsen können Fälle übernehmen.")
            case = session.get(CaseRow, case_id)
            in_its_group = case is not None and chat_id in (case.group_chat_id or self.route(session, case),)
            if case is not None and pressed_message_id is not None and in_its_group:
                message_surfaced(session, chat_id, pressed_message_id, pressed_text, now, pressed_case=case.id)
            if case is not None and case.group_chat_id is None and self.route(session, case) == chat_id:
                # Telegram showed the note before the outbox recorded its answer: the press itself proves
                # where the note is, so a Lotse quick to press is not told the case does not exist
                case.group_chat_id = chat_id
                case.note_message_id = case.note_message_id or pressed_message_id
            on_call = chat_id == self.oncall_group and case is not None and case.group_chat_id is not None
            if case is None or (case.group_chat_id != chat_id and not on_call):
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

    def _note_changed(
        self,
        session: Session,
        case: CaseRow,
        status: str,
        now: datetime,
        claimed: bool,
        text: str | None = None,
        *,
        closed: bool = False,
    ) -> None:
        if text is None:
            _latest(session, case)
        if case.group_chat_id is None or case.note_message_id is None:
            return
        # A closed note keeps no button: an "Übernehmen" under it would make a finished case look open.
        buttons = [] if closed else claimed_buttons(case.id) if claimed else [[("Übernehmen", f"claim:{case.id}")]]
        enqueue(
            session,
            chat_id=case.group_chat_id,
            text=f"{text or self.note_text(case)}\n\n{status}".rstrip(),
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
        if case.status == "closed":
            return f"Fall #{case_id} ist abgeschlossen. Schreibt die Familie wieder, kommt ein neuer Fall."
        if case.claimed_by != lotse.id or case.status != "claimed":
            return f"Fall #{case_id} ist nicht deiner – erst übernehmen."
        return case, lotse

    def is_lotsen_chat(self, chat_id: int) -> bool:
        """Whether a group is one the Lotsen work in (LOTSEN_CHAT_ID or a routed group)."""
        if chat_id == self.default_group:
            return True
        with self.uow() as session:
            return session.scalar(select(LotsenGroupRow.id).where(LotsenGroupRow.chat_id == chat_id)) is not None

    def release(self, session: Session, case: CaseRow, why: str) -> None:
        """An admin takes a claimed case back into the queue (its Lotse left): note edited with the reason and
        the Übernehmen button again, the family told that a new person will take over."""
        case.status, case.claimed_by, case.claimed_at, case.last_raised_at = "open", None, None, self.now()
        self._note_changed(session, case, f"↩️ {why} – wartet wieder", self.now(), False)
        self._reopened(session, case, why)
        self._to_family(session, case, family_notices.HANDED_BACK)

    def case_of_message(self, chat_id: int, message_id: int, text: str | None = None) -> int | None:
        """The case a message in a Lotsen chat belongs to. With `text` (the message is the bot's own), one
        whose send was never recorded is recognised by how it begins, and recorded or linked as a copy
        (outbox.message_surfaced), so a reply to it reaches the family."""
        with self.uow() as session:
            if text is None:
                link = session.get(RelayLinkRow, (chat_id, message_id))
                return link.case_id if link else None
            return message_surfaced(session, chat_id, message_id, text, self.now())

    def lotse_wrote(
        self,
        telegram_user_id: int,
        case_id: int,
        text: str,
        update_key: str | None = None,
        *,
        attachment: Attachment | None = None,
        correction: bool = False,
    ) -> ActionResult:
        """A Lotse's message (a text, a template, a photo or PDF with its caption) goes to the family in its
        chat, with the Lotse's name and a translation; an edited one as a correction. Refused: the Lotse is
        told why and that nothing was sent."""
        with self.uow() as session:
            if not first_delivery(session, update_key, self.now()):
                return ALREADY_HANDLED
            owned = self._owned_case(session, case_id, telegram_user_id)
            if isinstance(owned, str):
                return ActionResult(False, owned + NOT_SENT)
            case, lotse = owned
            if case.family_chat_id is None:
                return ActionResult(False, "Diese Familie ist nicht über Telegram erreichbar." + NOT_SENT)
            t = texts(case.locale)
            language = case.locale.split("@")[0]
            translate = (
                Translate(text, "de", language, t._(family_notices.AUTOMATIC_TRANSLATION))
                if language != "de" and text
                else None
            )
            header = t._(
                family_notices.CORRECTION_FROM_LOTSE if correction else family_notices.FROM_LOTSE, name=lotse.name
            )
            enqueue(
                session,
                chat_id=case.family_chat_id,
                text=f"{header}\n{text}" if text else header,
                purpose="relay_to_family",
                now=self.now(),
                case_id=case.id,
                translate=translate,
                method=FILE_METHODS[attachment.kind] if attachment else None,
                extra={"file_id": attachment.file_id} if attachment else None,
            )
        return ActionResult(True, "")

    def family_sent_file(
        self, chat_key: str, attachment: Attachment, caption: str, update_key: str | None = None
    ) -> bool:
        """A photo or document of a family with an open case (a letter from the Jobcenter) goes to the case's
        thread by Telegram's file id — nothing of the file is kept here — and the family hears, once in a
        while, that it went on. False: no open case; the conversation answers it like any photo."""
        now = self.now()
        with self.uow() as session:
            case = self.open_case_of(session, chat_key)
            group = None if case is None else case.group_chat_id or self.route(session, case)
            if case is None or group is None:
                return False
            if not first_delivery(session, update_key, now):
                return True
            language = case.locale.split("@")[0]
            caption = _clean(caption)
            enqueue(
                session,
                chat_id=group,
                text="\n".join(
                    x for x in (f"Fall #{case.id} – die Familie schreibt:", FILE_LABELS[attachment.kind], caption) if x
                ),
                purpose="relay_to_lotse",
                now=now,
                case_id=case.id,
                reply_to=case.note_message_id,
                translate=Translate(caption, language, "de", "Übersetzung (automatisch):")
                if caption and language != "de"
                else None,
                method=FILE_METHODS[attachment.kind],
                extra={"file_id": attachment.file_id},
            )
            acked = session.scalar(
                select(OutboxRow.id).where(
                    OutboxRow.case_id == case.id,
                    OutboxRow.purpose == "file_ack",
                    OutboxRow.created_at > (now - FILE_ACK_EVERY).astimezone(UTC),
                )
            )
            if acked is None and case.family_chat_id is not None:
                enqueue(
                    session,
                    chat_id=case.family_chat_id,
                    text=texts(case.locale)._(family_notices.PASSED_TO_LOTSE),
                    purpose="file_ack",
                    now=now,
                    case_id=case.id,
                )
        return True

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

    def hand_back(self, case_id: int, telegram_user_id: int, update_key: str | None = None) -> ActionResult:
        with self.uow() as session:
            if not first_delivery(session, update_key, self.now()):
                return ALREADY_HANDLED
            owned = self._owned_case(session, case_id, telegram_user_id)
            if isinstance(owned, str):
                return ActionResult(False, owned)
            case, lotse = owned
            case.status, case.claimed_by, case.claimed_at = "open", None, None
            self._note_changed(session, case, f"↩️ Zurückgegeben von {lotse.name} – wartet wieder", self.now(), False)
            self._reopened(session, case, f"zurückgegeben von {lotse.name}")
            self._to_family(session, case, family_notices.HANDED_BACK)
        return ActionResult(True, f"Fall #{case_id} ist wieder offen.")

    def pass_on(
        self, case_id: int, telegram_user_id: int, to: int | str, update_key: str | None = None
    ) -> ActionResult:
        """The case goes to a colleague: `to` is their Telegram id, or (typed) their first or full name."""
        with self.uow() as session:
            if not first_delivery(session, update_key, self.now()):
                return ALREADY_HANDLED
            owned = self._owned_case(session, case_id, telegram_user_id)
            if isinstance(owned, str):
                return ActionResult(False, owned)
            case, lotse = owned
            other = self.colleague(session, to)
            if isinstance(other, str):
                return ActionResult(False, other)
            if other.id == lotse.id:
                return ActionResult(False, f"Fall #{case_id} ist schon bei dir.")
            case.claimed_by = other.id
            self._note_changed(session, case, f"➡️ Weitergegeben von {lotse.name} an {other.name}", self.now(), True)
            self._to_family(session, case, family_notices.PASSED_ON, name=other.name)
        return ActionResult(True, f"Fall #{case_id} ist jetzt bei {other.name}".rstrip(".") + ".")  # "Eva M."

    def colleague(self, session: Session, to: int | str) -> LotseRow | str:
        """The active Lotse meant by a Telegram id, a full name or a first name (case does not matter);
        else the German line that says why not (unknown, or several of that name)."""
        if isinstance(to, int) or to.strip().isdigit():
            found = self.lotse(session, int(to))
            return found or "An diese Person kann ich nicht weitergeben: nicht als Lotse registriert."
        wanted = to.strip().lstrip("@").casefold()
        team = session.scalars(select(LotseRow).where(LotseRow.active.is_(True)).order_by(LotseRow.name)).all()
        for fits in (
            lambda name: name == wanted,
            lambda name: name.split()[0].strip("(),") == wanted,
            lambda name: name.startswith(wanted),
        ):
            matches = [lotse for lotse in team if wanted and fits(lotse.name.casefold())]
            if len(matches) == 1:
                return matches[0]
            if matches:
                names = ", ".join(f"{m.name} ({m.telegram_user_id})" for m in matches)
                return f"„{to.strip()}“ passt auf mehrere: {names}. Bitte den ganzen Namen oder die Telegram-ID."
        known = ", ".join(lotse.name for lotse in team) or "keine"
        return f"Keine Lotsin und keinen Lotsen „{to.strip()}“ gefunden. Im Team: {known}."

    def colleague_buttons(self, case_id: int, telegram_user_id: int) -> list[list[tuple[str, str]]]:
        """One button per active colleague (two a row), then Abbrechen: the owner's choice of whom to pass to."""
        with self.uow() as session:
            team = session.scalars(
                select(LotseRow)
                .where(LotseRow.active.is_(True), LotseRow.telegram_user_id != telegram_user_id)
                .order_by(LotseRow.name)
                .limit(MAX_COLLEAGUE_BUTTONS)
            ).all()
            buttons = [(f"➡️ {lotse.name}"[:40], f"give:{case_id}:{lotse.telegram_user_id}") for lotse in team]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        return [*rows, [("Abbrechen", f"keep:{case_id}")]]

    def close(self, case_id: int, telegram_user_id: int, outcome: str, update_key: str | None = None) -> ActionResult:
        if outcome not in OUTCOMES:
            return ActionResult(False, "Unbekanntes Ergebnis.")
        now = self.now()
        with self.uow() as session:
            if not first_delivery(session, update_key, now):
                return ALREADY_HANDLED
            owned = self._owned_case(session, case_id, telegram_user_id)
            if isinstance(owned, str):
                return ActionResult(False, owned)
            case, lotse = owned
            case.status, case.closed_at, case.outcome = "closed", now, outcome
            self._note_changed(
                session, case, f"✅ Abgeschlossen: {OUTCOMES[outcome]} ({lotse.name})", now, False, closed=True
            )
            if case.topic_id is not None and case.group_chat_id is not None:  # a finished case's topic is closed
                enqueue(
                    session,
                    chat_id=case.group_chat_id,
                    text="",
                    purpose="topic",
                    now=now,
                    case_id=case.id,
                    method="closeForumTopic",
                    extra={"thread_id": case.topic_id},
                )
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
            chat_key = case.chat_key
        for hook in self.closed_hooks:  # after the commit: the close stands even if a hook fails
            try:
                hook(chat_key)
            except Exception:
                log.exception(
                    "case %s closed, but the conversation was not told (it notices at the next message)", case_id
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
        """Unclaimed cases are raised calmly (caselist.raise_waiting): one digest per group, edited in place,
        and a new message per case at most once an hour, only within office hours."""
        from bot.services.caselist import raise_waiting  # caselist builds on this module, so imported here

        with self.uow() as session:
            return raise_waiting(self, session, self.now())

    def _reopened(self, session: Session, case: CaseRow, why: str) -> None:
        """A case back in the queue gets a new line under its note: an edited note alone goes unnoticed."""
        if case.group_chat_id is None:
            return
        now = self.now()
        enqueue(
            session,
            chat_id=case.group_chat_id,
            text=f"🔄 Fall #{case.id} ist wieder offen ({why}).",
            purpose="reminder",  # counts as the case's new message of the hour; its button goes after a claim
            now=now,
            case_id=case.id,
            reply_to=case.note_message_id,
            buttons=[[("Übernehmen", f"claim:{case.id}")]],
        )
        case.last_raised_at = now


def claimed_buttons(case_id: int) -> list[list[tuple[str, str]]]:
    """The buttons under a claimed case's note (also what "Abbrechen" in a choice brings back)."""
    return [
        [("Zurückgeben", f"back:{case_id}"), ("Weitergeben", f"pass:{case_id}"), ("Abschließen", f"close:{case_id}")]
    ]


def language_de(locale: str) -> str:
    """The family's language as Lotsen name it: "Arabisch", "Deutsch" (Einfache Sprache is German)."""
    language = locale.split("@")[0]
    return "Deutsch" if language == "de" else texts("de").language_name(language)


def case_about(knowledge: Knowledge, case: CaseRow) -> str:
    """Language · district · first need: what tells Lotsen at a glance whether a case is one for them."""
    district = knowledge.places.district(case.district or "")
    need = knowledge.need(next((n for n in case.needs.split(",") if n), ""))
    return " · ".join(
        x for x in (language_de(case.locale), district.name if district else "", need.label_de if need else "") if x
    )


def duration_de(delta: timedelta) -> str:
    """A waiting time as Lotsen say it after "seit" or "nach": "25 Min.", "2 Std. 5 Min.", "3 Tagen"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "unter 1 Min."
    if minutes < 60:
        return f"{minutes} Min."
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} Std." + (f" {rest} Min." if rest else "")
    days = minutes // (24 * 60)
    return "1 Tag" if days == 1 else f"{days} Tagen"


def _age_de(months: int) -> str:
    return f"{months} Monate" if months < 24 else f"{months // 12} Jahre"


def children_de(case: CaseRow) -> str:
    """The note's line about the children: every age the family named ("Kinder: 5 und 7 Jahre")."""
    ages = [int(a) for a in (case.children_months or "").split(",") if a.isdigit()]
    if not ages and case.age_months is not None:
        ages = [case.age_months]  # a case from before 0007, or one age only
    if not ages:
        return "Kind: schwanger" if case.pregnant else "Kind: Alter nicht angegeben"
    if all(a >= 24 for a in ages):  # "5 und 7 Jahre" rather than "5 Jahre und 7 Jahre"
        said = [str(a // 12) for a in ages]
        text = (", ".join(said[:-1]) + " und " + said[-1] if len(said) > 1 else said[0]) + " Jahre"
    else:
        said = [_age_de(a) for a in ages]
        text = ", ".join(said[:-1]) + " und " + said[-1] if len(said) > 1 else said[0]
    pregnant = ", außerdem schwanger" if case.pregnant else ""
    return f"{'Kinder' if len(ages) > 1 else 'Kind'}: {text}{pregnant}"


def _offer_titles(case: CaseRow) -> list[str]:
    """The shown offers by their titles (what a Lotse can look up); an offer removed since keeps its id."""
    ids = [o for o in case.offers_shown.split(",") if o]
    session = object_session(case)
    if session is None or not ids:
        return ids
    query = select(OfferRow.external_id, OfferRow.title).where(OfferRow.external_id.in_(ids))
    titles = dict(session.execute(query).tuples().all())
    return [titles.get(i, i) for i in ids]


def _clean(text: str) -> str:
    return text.replace(CONTACT_SEPARATOR, " ").strip()


def _family_words(before: str, added: tuple[str, ...]) -> str:
    """The family's words for the note: earlier ones, then the new ones, verbatim; over 2,000 characters the
    oldest go first (the newest say best what the family needs now)."""
    text = "\n".join(x for x in (before, *(_clean(w) for w in added)) if x)
    return text[-MAX_FAMILY_WORDS:] if len(text) > MAX_FAMILY_WORDS else text


def _aware(value: datetime, like: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); compare them in the same zone as `like`."""
    if value.tzinfo is None and like.tzinfo is not None:
        return value.replace(tzinfo=UTC).astimezone(like.tzinfo)
    return value


def _latest(session: Session, case: CaseRow) -> None:
    """Hold the case's row and read it again before a note is rendered from it. Two processes may change one
    case at once (a claim in one, the family's contact time in the other): each renders the whole note, so the
    edit enqueued last must be rendered from what was committed last. The no-op UPDATE takes the row lock
    (PostgreSQL) or the write lock (SQLite) until this transaction commits, so render order is commit order."""
    session.flush()
    session.execute(
        update(CaseRow)
        .where(CaseRow.id == case.id)
        .values(status=CaseRow.status)
        .execution_options(synchronize_session=False)
    )
    session.refresh(case)


def _local(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(LOCAL)
