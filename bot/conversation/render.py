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


def opening_line(offer: Offer, now: datetime, t: Texts) -> str:
    """'Open today 09:00–12:00', 'Closed today · Wed 14:00' or 'By appointment'."""
    if not offer.opening_hours:
        return t._("By appointment")
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
    lines = [f"{number}. {title}", f"   {t.ltr(offer.organization)}"]
    summary = short(own.summary if own else offer.description)
    if summary:
        lines.append(f"   {summary}")
    if own is None and not t.code.startswith("de"):
        lines.append("   " + t._("(This offer is described in German.)"))
    if offer.address:
        lines.append(f"   📍 {t.ltr(offer.address)}")
    lines.append(f"   🕒 {opening_line(offer, now, t)}")
    contact = " · ".join(t.ltr(c) for c in (offer.phone, offer.website.removeprefix("https://")) if c)
    if contact:
        lines.append(f"   ☎️ {contact}")
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
