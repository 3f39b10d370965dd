"""Loads the files in knowledge/ into typed objects: needs, places, emergency contacts, lexicons."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.domain.needs import NEED_IDS, Need
from bot.domain.offers import OpeningHoursError, parse_opening_hours
from bot.domain.places import District, LotsenOffice, Network, Places

BUNDLED_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"


# libyaml's safe loader where PyYAML was built with it (start-up: 0.4 s -> 0.05 s for knowledge/), else PyYAML's
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    """A knowledge file is missing or malformed; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class EmergencyContact:
    id: str
    name_de: str
    phone: str
    hours: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Knowledge:
    directory: Path
    needs: tuple[Need, ...]
    places: Places
    emergency_contacts: tuple[EmergencyContact, ...]
    lexicons: dict[str, dict[str, Any]]  # language -> raw lexicon (see knowledge/README.md)
    intents: dict[str, Any] = field(default_factory=dict)  # raw knowledge/intents.yaml (yes, no, questions...)
    network_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # network id -> the town's names

    def need(self, need_id: str) -> Need | None:
        return next((n for n in self.needs if n.id == need_id), None)

    @property
    def offer_files(self) -> list[Path]:
        return sorted((self.directory / "offers").glob("*.json"))


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_SAFE_LOADER)  # a safe loader (libyaml where built with it)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: Datei fehlt") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: kein gültiges YAML ({exc.__class__.__name__})") from exc


def _needs(path: Path) -> tuple[Need, ...]:
    data = _read_yaml(path)
    needs = tuple(
        Need(id=n["id"], icon=n.get("icon", ""), label_de=n["label_de"], covers=tuple(n.get("covers", ())))
        for n in data["needs"]
    )
    if tuple(n.id for n in needs) != NEED_IDS:
        raise KnowledgeError(f"{path}: die Bedarfs-IDs müssen genau {', '.join(NEED_IDS)} sein")
    return needs


def _places(path: Path) -> Places:
    data = _read_yaml(path)
    networks = []
    for net in data["networks"]:
        districts = tuple(
            District(
                id=d["id"],
                name=d["name"],
                network_id=net["id"],
                aliases=tuple(str(a) for a in d.get("aliases") or ()),
                postal_codes=tuple(str(c) for c in d.get("postal_codes") or ()),
                center=tuple(d["center"]) if d.get("center") else None,  # type: ignore[arg-type]
            )
            for d in net["districts"]
        )
        networks.append(
            Network(
                id=net["id"],
                name=net["name"],
                kind=net.get("kind", "city"),
                state=net.get("state", ""),
                districts=districts,
                postal_codes=tuple(str(c) for c in net.get("postal_codes") or ()),
                lotsen_office=_lotsen_office(path, net),
                followup_days=_followup_days(path, net),
            )
        )
    return Places(tuple(networks))


def _followup_days(path: Path, net: dict[str, Any]) -> int:
    """`followup_days: 7` under a network: when a check-in the family agreed to comes (1 to 60 days)."""
    days = net.get("followup_days", 7)
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise KnowledgeError(f"{path}: followup_days von '{net['id']}' muss eine ganze Zahl von 1 bis 60 sein")
    return days


def _lotsen_office(path: Path, net: dict[str, Any]) -> LotsenOffice | None:
    """`lotsen_office: {phone: "...", hours: "Mo-Do 09:00-16:00"}` under a network; optional, hours too."""
    office = net.get("lotsen_office")
    if not office:
        return None
    phone = str(office.get("phone") or "").strip() if isinstance(office, dict) else ""
    if not phone:
        raise KnowledgeError(f"{path}: lotsen_office von '{net['id']}' braucht eine Telefonnummer (phone)")
    try:
        hours = parse_opening_hours(str(office.get("hours") or ""))
    except OpeningHoursError as exc:
        raise KnowledgeError(f"{path}: lotsen_office.hours von '{net['id']}': {exc}") from None
    return LotsenOffice(phone=phone, hours=hours)


def _network_aliases(path: Path) -> dict[str, tuple[str, ...]]:
    return {net["id"]: tuple(str(a) for a in net.get("aliases") or ()) for net in _read_yaml(path)["networks"]}


def _emergency(path: Path) -> tuple[EmergencyContact, ...]:
    data = _read_yaml(path)
    return tuple(
        EmergencyContact(c["id"], c["name_de"], str(c["phone"]), c.get("hours", ""), tuple(c.get("for", ())))
        for c in data["contacts"]
    )


def _lexicons(directory: Path) -> dict[str, dict[str, Any]]:
    lexicons: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = _read_yaml(path) or {}
        lexicons[data.get("language", path.stem)] = data
    return lexicons


def _intents(directory: Path) -> dict[str, Any]:
    # everyday words are the same for every network: a knowledge folder without its own file uses ours
    path = directory / "intents.yaml"
    data = _read_yaml(path if path.exists() else BUNDLED_KNOWLEDGE_DIR / "intents.yaml")
    return data if isinstance(data, dict) else {}


def load_knowledge(directory: Path | None = None) -> Knowledge:
    """Read all knowledge files from `directory` (default: $KNOWLEDGE_DIR or the bundled knowledge/)."""
    directory = Path(directory or os.environ.get("KNOWLEDGE_DIR") or BUNDLED_KNOWLEDGE_DIR)
    try:
        return Knowledge(
            directory=directory,
            needs=_needs(directory / "needs.yaml"),
            places=_places(directory / "districts.yaml"),
            emergency_contacts=_emergency(directory / "emergency.yaml"),
            lexicons=_lexicons(directory / "lexicon"),
            intents=_intents(directory),
            network_aliases=_network_aliases(directory / "districts.yaml"),
        )
    except (KeyError, TypeError) as exc:
        raise KnowledgeError(f"{directory}: Feld fehlt oder hat den falschen Typ ({exc})") from exc


@cache
def bundled_knowledge() -> Knowledge:
    """The bundled knowledge, read once per process (tests and CLI commands share it)."""
    return load_knowledge(BUNDLED_KNOWLEDGE_DIR)
