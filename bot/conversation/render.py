"""Turning offers and emergency contacts into short texts for a phone screen, in the family's locale."""

from __future__ import annotations

import re
from datetime import datetime

from bot.domain.matching import Match, Reason
from bot.domain.offers import Cost, Offer
from bot.domain.places import Places
from bot.i18n import N_, Texts
from bot.knowledge import EmergencyContact

COST_LABELS = {Cost.FREE: N_("free"), Cost.REDUCED: N_("reduced price"), Cost.PAID: N_("costs money")}

EMERGENCY_LABELS = {
    "police": N_("Police"),
    "emergency": N_("Ambulance and fire brigade"),
    "hilfetelefon": N_("Help line violence against women (24/7, many languages)"),
    "nummer_gegen_kummer_kinder": N_("Help line for children and teenagers"),
    "elterntelefon": N_("Help line for parents"),
    "telefonseelsorge": N_("Crisis line, someone to talk to (24/7)"),
    "bereitschaftsdienst": N_("Doctor on call when your practice is closed"),
}


CLOSED_UNTIL = N_("Closed until {date}")
CLOSED_FOR_NOW = N_("Closed for the time being")
AROUND_THE_CLOCK = N_("By phone day and night")
DAY_AND_NIGHT = N_("day and night")
IN_GERMAN = N_("(in German)")


def german_note(note: str, t: Texts) -> str:
    """A text of the offer sheet (German only), marked as such for families reading another language."""
    return t.ltr(note) if t.code.startswith("de") else f"{t.ltr(note)} {t._(IN_GERMAN)}"


def status_lines(offer: Offer, now: datetime, t: Texts) -> list[str]:
    """What a family must know before anything else: closed for now (until when), and the offer's current note."""
    lines = []
    if offer.closed_on(now.date()):
        closed = t._(CLOSED_UNTIL, date=t.date(offer.closed_until)) if offer.closed_until else t._(CLOSED_FOR_NOW)
        lines.append(f"⛔ {closed}")
    if offer.alert:
        lines.append(f"⚠️ {german_note(offer.alert, t)}")
    return lines


def free_places_line(offer: Offer, t: Texts) -> str | None:
    """'3 free places (as of 1 Jul 2026)': only with the date they were counted, a bare number may be old."""
    if offer.free_places is None or offer.free_places_counted is None:
        return None
    counted = t.date(offer.free_places_counted)
    if offer.free_places == 0:
        return t._("No free places at the moment (as of {date})", date=counted)
    return t.n_(
        "{count} free place (as of {date})", "{count} free places (as of {date})", offer.free_places, date=counted
    )


def opening_line(offer: Offer, now: datetime, t: Texts) -> str:
    """'Open today 09:00–12:00', 'Closed today · Wed 14:00', 'By phone day and night' or 'By appointment';
    an offer closed for the time being says so instead of its hours."""
    if offer.closed_on(now.date()):
        return status_lines(offer, now, t)[0].removeprefix("⛔ ")
    if not offer.opening_hours:
        return t._(AROUND_THE_CLOCK) if offer.phone_around_the_clock else t._("By appointment")
    today = now.weekday()
    spans = [s for s in offer.opening_hours if s.weekday == today]
    if spans:
        hours = ", ".join(f"{t.time(s.opens)}–{t.time(s.closes)}" for s in spans)
        return t._("Open today {hours}", hours=t.ltr(hours))
    upcoming = sorted(offer.opening_hours, key=lambda s: ((s.weekday - today) % 7, s.opens))
    following = upcoming[0]
    return t._(
        "Closed today · next: {day} {time}", day=t.weekday(following.weekday), time=t.ltr(t.time(following.opens))
    )


def short(text: str, limit: int = 170) -> str:
    """The first sentences that fit, or the text cut at a word with an ellipsis — never mid-word."""
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?。؟])\s+", text)
    kept = ""
    for sentence in sentences:
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or text[:limit].rsplit(" ", 1)[0] + "…"


def reason_text(reason: Reason, places: Places, t: Texts) -> str:
    if reason.kind == "cost":
        return t._(COST_LABELS[Cost(reason.value)])
    if reason.kind == "place":
        district = places.district(reason.value)
        return t.ltr(district.name) if district else t._("whole city")
    if reason.kind == "language":
        return t._("{language} spoken", language=t.language_name(reason.value))
    return reason.value


def offer_card(number: int, match: Match, places: Places, now: datetime, t: Texts) -> str:
    offer = match.offer
    own = offer.text_in(t.code.split("@")[0])
    title = own.title if own and own.title else t.ltr(offer.title)
    lines = [f"{number}. {title}", *(f"   {line}" for line in status_lines(offer, now, t))]
    lines.append(f"   {t.ltr(offer.organization)}")
    summary = short(own.summary if own else offer.description)
    if summary:
        lines.append(f"   {summary}")
    if own is None and not t.code.startswith("de"):
        lines.append("   " + t._("(This offer is described in German.)"))
    if offer.address:
        lines.append(f"   📍 {t.ltr(offer.address)}")
    if not offer.closed_on(now.date()):  # closed: said at the top, no "open today" below it
        lines.append(f"   🕒 {opening_line(offer, now, t)}")
    contact = []
    if offer.phone:
        contact.append(t.ltr(offer.phone))
        if offer.phone_around_the_clock and offer.opening_hours:  # office hours, and a line that always answers
            contact[-1] += f" ({t._(DAY_AND_NIGHT)})"
    if offer.website:
        contact.append(t.ltr(offer.website.removeprefix("https://")))
    if contact:
        lines.append("   ☎️ " + " · ".join(contact))
    if free := free_places_line(offer, t):
        lines.append(f"   🟢 {free}")
    spoken = t.join([t.language_name(code) for code in offer.languages[:4]])
    lines.append(f"   🗣️ {spoken}")
    lines.append("   ✅ " + " · ".join(reason_text(r, places, t) for r in match.reasons))
    if offer.example:
        lines.append("   " + t._("(example data)"))
    return "\n".join(lines)


def emergency_lines(contacts: tuple[EmergencyContact, ...], kinds: tuple[str, ...], t: Texts) -> list[str]:
    """The fitting numbers first (110/112 always), each with what it is in the family's language."""
    wanted = set(kinds) | {"any"}
    chosen = [c for c in contacts if wanted & set(c.kinds)]
    return [f"☎️ {t.ltr(c.phone)} — {t._(EMERGENCY_LABELS.get(c.id, c.name_de))}" for c in chosen]
