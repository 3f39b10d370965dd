"""Networks (a city or a county) and the districts or towns they serve."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from bot.domain.offers import OpeningSlot


def fold(text: str) -> str:
    """Lower-case and strip diacritics, umlauts and ß so that 'Oßweil' == 'ossweil' and 'Nürtingen' == 'nurtingen'."""
    text = text.casefold().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class District:
    id: str
    name: str
    network_id: str
    aliases: tuple[str, ...] = ()
    postal_codes: tuple[str, ...] = ()
    center: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class LotsenOffice:
    """The network's Lotsen office: the way to a person for families without Telegram (web overview, posters)."""

    phone: str
    hours: tuple[OpeningSlot, ...] = ()  # when someone answers the phone; () = not stated


@dataclass(frozen=True, slots=True)
class Network:
    id: str
    name: str
    kind: str  # "city" | "county"
    state: str
    districts: tuple[District, ...]
    postal_codes: tuple[str, ...] = ()
    lotsen_office: LotsenOffice | None = None
    followup_days: int = 7  # a check-in the family agreed to comes after this many days

    def district_named(self, name: str) -> District | None:
        """The district whose canonical name or alias is `name` (case, umlauts and ß ignored)."""
        wanted = fold(name.strip())
        for district in self.districts:
            if fold(district.name) == wanted or district.id == name.strip():
                return district
        for district in self.districts:
            if any(fold(alias) == wanted for alias in district.aliases):
                return district
        return None


@dataclass(frozen=True)
class Places:
    networks: tuple[Network, ...]
    _by_id: dict[str, District] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {d.id: d for network in self.networks for d in network.districts})

    def network(self, network_id: str) -> Network | None:
        return next((n for n in self.networks if n.id == network_id), None)

    def district(self, district_id: str) -> District | None:
        return self._by_id.get(district_id)

    def named(self, name: str, network_id: str | None = None) -> list[District]:
        """Every district called `name` (id, canonical name or alias), in one network or all: more than one
        means the name is ambiguous (Südstadt) and the caller must ask which."""
        return [d for n in self.networks if network_id in (None, n.id) if (d := n.district_named(name)) is not None]

    @property
    def districts(self) -> tuple[District, ...]:
        return tuple(self._by_id.values())

    def nearest(self, latitude: float, longitude: float, max_km: float = 8.0) -> District | None:
        """The district whose centre is closest to a shared location, or None when all are farther than max_km."""
        best: tuple[float, District] | None = None
        for district in self.districts:
            if district.center is None:
                continue
            km = haversine_km(latitude, longitude, *district.center)
            if best is None or km < best[0]:
                best = (km, district)
        return best[1] if best and best[0] <= max_km else None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
