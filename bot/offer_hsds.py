"""Offers as an Open Referral HSDS 3.0 data package, so they can go to and come from other directories.

A package is a folder (or a .zip of one) with `datapackage.json` and one JSON file per HSDS table, each a list
of rows exactly as in HSDS's tabular data package (`organizations.json`, `services.json`, `locations.json`,
`addresses.json`, `service_at_location.json`, `phones.json`, `schedules.json`, `service_areas.json`,
`languages.json`, `required_documents.json`, `taxonomies.json`, `taxonomy_terms.json`, `attributes.json`).

What HSDS has a field for goes there (title → `service.name`, cost note → `fees_description`, opening hours
→ weekly `schedules` as iCal recurrence rules, districts served → `service_areas`, …). What it has none for
(the network, the district, cost and access, the needs, the yes/no columns, validity, translations, free
places — HSDS 3.0 has no `service_capacity` yet) is an `attribute` of the service: needs point to the terms
of the taxonomy `familienlotse-bedarfe` (code = need id, value = rank); every other field to a term of
`familienlotse-felder` whose code is the column id of docs/offers-template.md, with the value as text.

Ids are UUIDs derived from the offer's external id (uuid5), so the same offers give the same files: export,
import and export again, and the package is identical byte for byte. Reading turns every service into the
same record a spreadsheet row becomes, so it gets the same validation and the same problems.
"""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import time
from pathlib import Path
from typing import Any

from bot.domain.needs import Need
from bot.domain.offers import OpeningSlot, Status, format_opening_hours
from bot.domain.places import Places

HSDS_VERSION = "3.0"
DATAPACKAGE = "datapackage.json"
# HSDS table name -> file, in the order of HSDS's own datapackage.json
TABLES: tuple[tuple[str, str], ...] = (
    ("organization", "organizations.json"),
    ("service", "services.json"),
    ("attribute", "attributes.json"),
    ("service_at_location", "service_at_location.json"),
    ("location", "locations.json"),
    ("phone", "phones.json"),
    ("address", "addresses.json"),
    ("schedule", "schedules.json"),
    ("service_area", "service_areas.json"),
    ("required_document", "required_documents.json"),
    ("language", "languages.json"),
    ("taxonomy_term", "taxonomy_terms.json"),
    ("taxonomy", "taxonomies.json"),
)
NEEDS_TAXONOMY = "familienlotse-bedarfe"
FIELDS_TAXONOMY = "familienlotse-felder"
_NAMESPACE = uuid.UUID("5b0e6f2a-6a55-4d1c-9f1e-0f6b8c1d2e3f")  # fixed forever: the ids must not change

# our columns without an HSDS 3.0 field: written as attributes of the service (value as text)
EXTENSION_COLUMNS = (
    "external_id",
    "network",
    "district",
    "cost",
    "access",
    "pregnancy",
    "step_free",
    "childcare",
    "valid_from",
    "valid_until",
    "last_verified",
    "source",
    "example",
    "closed_until",
    "free_places",
    "free_places_counted",
    "phone_around_the_clock",
)
_STATUS_TO_HSDS = {
    Status.ACTIVE.value: "active",
    Status.TEMPORARILY_CLOSED.value: "temporarily closed",
    Status.ENDED.value: "defunct",
}
_STATUS_FROM_HSDS = {
    "active": "active",
    "temporarily closed": "temporarily_closed",
    "defunct": "ended",
    "inactive": "ended",
}
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STATES = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}
_ADDRESS = re.compile(r"^(?P<street>.+?),\s*(?P<postal>\d{5})\s+(?P<city>[^,]+)$")
_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # zip entries carry no export time: the same offers, the same bytes

Row = dict[str, Any]


def is_package(path: Path) -> bool:
    """A folder or a .zip: an HSDS data package rather than a spreadsheet."""
    return path.suffix.lower() == ".zip" or path.is_dir()


def _id(kind: str, *parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join([kind, *(str(p) for p in parts)])))


def _compact(row: Row) -> Row:
    """Without empty optional fields: HSDS rows carry what is known (None is no valid value in its schema)."""
    return {k: v for k, v in row.items() if v not in (None, "", [])}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _years(months: int) -> int | float:
    years = months / 12
    return int(years) if years.is_integer() else years


# ---------------------------------------------------------------- writing


class _Tables:
    """The rows of every table, each row once by id."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Row]] = {name: {} for name, _ in TABLES}

    def add(self, table: str, row: Row) -> str:
        self.rows[table].setdefault(row["id"], row)
        return str(row["id"])


def package_tables(records: list[dict[str, Any]], places: Places, needs: tuple[Need, ...]) -> dict[str, list[Row]]:
    """HSDS rows per table for offers given as `offer_to_record` records (sorted by external id)."""
    tables = _Tables()
    labels = {need.id: need for need in needs}
    taxonomy_of = {
        NEEDS_TAXONOMY: tables.add(
            "taxonomy",
            {
                "id": _id("taxonomy", NEEDS_TAXONOMY),
                "name": NEEDS_TAXONOMY,
                "description": "Die Bedarfe des Familienlotsen (knowledge/needs.yaml); value = Rang, 1 = Hauptbedarf",
                "version": "1",
            },
        ),
        FIELDS_TAXONOMY: tables.add(
            "taxonomy",
            {
                "id": _id("taxonomy", FIELDS_TAXONOMY),
                "name": FIELDS_TAXONOMY,
                "description": "Felder des Familienlotsen ohne HSDS-3.0-Feld; code = Spalte der Angebotsvorlage "
                "(docs/offers-template.md), value = Wert als Text",
                "version": "1",
            },
        ),
    }

    def term(taxonomy: str, code: str, name: str, description: str) -> str:
        return tables.add(
            "taxonomy_term",
            {
                "id": _id("taxonomy_term", taxonomy, code),
                "code": code,
                "name": name,
                "description": description,
                "taxonomy": taxonomy,
                "language": "de",
                "taxonomy_id": taxonomy_of[taxonomy],
            },
        )

    for record in records:
        service_id = _id("service", record["external_id"])
        network = places.network(record["network"])
        organization_id = tables.add(
            "organization",
            {"id": _id("organization", record["organization"]), "name": record["organization"], "description": ""},
        )
        hsds_status = _STATUS_TO_HSDS[record["status"]]
        tables.add(
            "service",
            _compact(
                {
                    "id": service_id,
                    "organization_id": organization_id,
                    "name": record["title"],
                    "description": record["description"],
                    "url": record["website"],
                    "email": record["email"],
                    "status": hsds_status,
                    "interpretation_services": record["interpretation_services"],
                    "application_process": record["application_process"],
                    "fees_description": record["cost_note"],
                    "eligibility_description": record["eligibility_description"],
                    "minimum_age": _years(record["age_min_months"]),
                    "maximum_age": _years(record["age_max_months"]),
                    "assured_date": record["assured_date"],
                    "assurer_email": record["assurer_email"],
                    "alert": record["alert"],
                }
            ),
        )

        def attribute(code: str, value: str, taxonomy: str = FIELDS_TAXONOMY, *, sid: str = service_id) -> None:
            name, description = code, f"Spalte {code} der Angebotsvorlage"
            if taxonomy == NEEDS_TAXONOMY:
                need = labels.get(code)
                name = need.label_de if need else code
                description = ", ".join(need.covers) if need and need.covers else name
            term_id = term(taxonomy, code, name, description)
            tables.add(
                "attribute",
                {
                    "id": _id("attribute", sid, term_id),
                    "link_id": sid,
                    "taxonomy_term_id": term_id,
                    "link_type": "need" if taxonomy == NEEDS_TAXONOMY else "familienlotse_field",
                    "link_entity": "service",
                    "value": value,
                },
            )

        for rank, need in enumerate(record["needs"], start=1):
            attribute(need, str(rank), NEEDS_TAXONOMY)
        for column in EXTENSION_COLUMNS:
            value = record[column]
            if value not in (None, "", False):
                attribute(column, _text(value))
        for lang, texts in record["translations"].items():
            attribute(f"title_{lang}", texts["title"])
            attribute(f"summary_{lang}", texts["summary"])
            if texts.get("source"):
                attribute(f"translated_from_{lang}", texts["source"])

        if record["phone"]:
            tables.add(
                "phone",
                _compact(
                    {
                        "id": _id("phone", service_id),
                        "service_id": service_id,
                        "number": record["phone"],
                        "type": "voice",
                        "description": "rund um die Uhr erreichbar" if record["phone_around_the_clock"] else "",
                    }
                ),
            )
        for position, (opens, closes, days) in enumerate(_schedule_groups(record["opening_hours"])):
            tables.add(
                "schedule",
                {
                    "id": _id("schedule", service_id, position),
                    "service_id": service_id,
                    "freq": "WEEKLY",
                    "wkst": "MO",
                    "byday": ",".join(_BYDAY[d] for d in days),
                    "opens_at": opens,
                    "closes_at": closes,
                },
            )
        if record["required_documents"]:
            tables.add(
                "required_document",
                {
                    "id": _id("required_document", service_id),
                    "service_id": service_id,
                    "document": record["required_documents"],
                },
            )
        for code in record["languages"]:
            tables.add("language", {"id": _id("language", service_id, code), "service_id": service_id, "code": code})
        for name in record["districts_served"]:
            whole = name == "*"
            tables.add(
                "service_area",
                _compact(
                    {
                        "id": _id("service_area", service_id, name),
                        "service_id": service_id,
                        "name": (network.name if network else record["network"]) if whole else name,
                        "description": "das ganze Netzwerk" if whole else "",
                    }
                ),
            )
        if record["address"] or record["latitude"] is not None:
            location_id = _location(tables, record, network)
            tables.add(
                "service_at_location",
                {
                    "id": _id("service_at_location", service_id, location_id),
                    "service_id": service_id,
                    "location_id": location_id,
                },
            )
    return {name: list(tables.rows[name].values()) for name, _ in TABLES}


def _location(tables: _Tables, record: dict[str, Any], network: Any) -> str:
    """The location (shared by offers at the same place) with its address, split into HSDS's fields."""
    key = (record["address"], record["latitude"], record["longitude"])
    location_id = _id("location", *key)
    parts = _ADDRESS.match(record["address"])
    tables.add(
        "location",
        _compact(
            {
                "id": location_id,
                "location_type": "physical",
                "name": parts.group("street") if parts else record["address"] or record["district"],
                "latitude": record["latitude"],
                "longitude": record["longitude"],
            }
        ),
    )
    if record["address"]:
        tables.add(
            "address",
            {
                "id": _id("address", location_id),
                "location_id": location_id,
                "address_1": parts.group("street") if parts else record["address"],
                "city": parts.group("city") if parts else "",
                "region": record["district"],
                "state_province": _STATES.get(network.state, network.state) if network else "",
                "postal_code": parts.group("postal") if parts else "",
                "country": "DE",
                "address_type": "physical",
            },
        )
    return location_id


def _schedule_groups(opening_hours: str) -> list[tuple[str, str, list[int]]]:
    """The weekly slots grouped by time span: (opens, closes, weekdays) — one HSDS schedule each."""
    from bot.domain.offers import parse_opening_hours  # the canonical text `offer_to_record` wrote

    groups: dict[tuple[str, str], list[int]] = {}
    for slot in parse_opening_hours(opening_hours):
        groups.setdefault((f"{slot.opens:%H:%M}", f"{slot.closes:%H:%M}"), []).append(slot.weekday)
    return [(opens, closes, days) for (opens, closes), days in sorted(groups.items(), key=lambda g: (g[1], g[0]))]


def datapackage(tables: dict[str, list[Row]]) -> dict[str, Any]:
    return {
        "name": "familienlotse-angebote",
        "title": "Familienlotse – Angebote für Familien",
        "description": "Angebote im Format Open Referral HSDS 3.0: eine JSON-Datei je Tabelle, die Zeilen wie im "
        "tabellarischen HSDS-Datenpaket. Felder ohne HSDS-Gegenstück stehen als attribute mit der Taxonomie "
        f"'{FIELDS_TAXONOMY}', die Bedarfe mit '{NEEDS_TAXONOMY}'.",
        "profile": "data-package",
        "hsds_version": HSDS_VERSION,
        "homepage": "https://docs.openreferral.org",
        "resources": [
            {"name": name, "path": file, "format": "json", "mediatype": "application/json", "rows": len(tables[name])}
            for name, file in TABLES
        ],
    }


def _dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write_package(target: Path, records: list[dict[str, Any]], places: Places, needs: tuple[Need, ...]) -> None:
    """Write the package to a folder, or to a .zip when `target` ends with .zip."""
    tables = package_tables(records, places, needs)
    files = [(DATAPACKAGE, _dump(datapackage(tables)))] + [(file, _dump(tables[name])) for name, file in TABLES]
    if target.suffix.lower() == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files:
                archive.writestr(zipfile.ZipInfo(name, _FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
        return
    target.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (target / name).write_bytes(data)


# ---------------------------------------------------------------- reading


class PackageError(ValueError):
    """The package as a whole cannot be read: one line saying why."""


def _opener(path: Path) -> Callable[[str], bytes | None]:
    """A function giving a file of the package by name (None when absent), from a folder or a zip."""
    if path.is_dir():
        return lambda name: (path / name).read_bytes() if (path / name).is_file() else None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path.name}: keine gültige ZIP-Datei ({exc.__class__.__name__})") from exc
    names = {Path(n).name: n for n in archive.namelist() if not n.endswith("/")}  # also one folder deep

    def read(name: str) -> bytes | None:
        return archive.read(names[name]) if name in names else None

    return read


def _json(raw: bytes, name: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{name}: kein gültiges JSON ({exc.__class__.__name__})") from exc


def read_tables(path: Path) -> dict[str, list[Row]]:
    """Every known table of the package as a list of rows; unknown tables are ignored."""
    read = _opener(path)
    raw = read(DATAPACKAGE)
    if raw is None:
        raise PackageError(f"{path.name}: kein HSDS-Datenpaket ({DATAPACKAGE} fehlt)")
    descriptor = _json(raw, DATAPACKAGE)
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        raise PackageError(f"{path.name}: {DATAPACKAGE} nennt keine resources")
    files = {name: file for name, file in TABLES}
    for resource in resources:
        if isinstance(resource, dict) and resource.get("name") in files and isinstance(resource.get("path"), str):
            files[resource["name"]] = resource["path"]
    tables: dict[str, list[Row]] = {}
    for name, _ in TABLES:
        content = read(files[name])
        if content is None:
            if name == "service":
                raise PackageError(f"{path.name}: {files[name]} fehlt")
            tables[name] = []
            continue
        rows = _json(content, files[name])
        if isinstance(rows, dict) and isinstance(rows.get(name), list):
            rows = rows[name]
        if not isinstance(rows, list) or not all(isinstance(r, dict) and "id" in r for r in rows):
            raise PackageError(f"{files[name]}: muss eine Liste von Zeilen mit 'id' sein")
        tables[name] = rows
    return tables


def _by(rows: Iterable[Row], key: str) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        if row.get(key) is not None:
            grouped.setdefault(str(row[key]), []).append(row)
    return grouped


def _hours(schedules: list[Row]) -> tuple[str, list[str]]:
    """Weekly schedules as our opening-hours text, and what could not be read (other recurrences)."""
    slots: set[OpeningSlot] = set()
    skipped: list[str] = []
    for row in schedules:
        opens, closes = str(row.get("opens_at") or "")[:5], str(row.get("closes_at") or "")[:5]
        days = [d.strip().upper() for d in str(row.get("byday") or "").split(",") if d.strip()]
        if (row.get("freq") or "WEEKLY") != "WEEKLY" or not opens or not closes or not days:
            skipped.append(str(row.get("description") or row["id"]))
            continue
        try:
            start, end = time.fromisoformat(opens), time.fromisoformat(closes)
            slots.update(OpeningSlot(_BYDAY.index(day), start, end) for day in days)
        except ValueError:
            skipped.append(f"{row.get('byday')} {opens}-{closes}")
    return format_opening_hours(tuple(sorted(slots))), skipped


def service_records(
    tables: dict[str, list[Row]], places: Places, need_of: Callable[[str], str | None]
) -> Iterator[tuple[int, dict[str, Any], list[str]]]:
    """(position in services.json, the record a spreadsheet row would give, notes on what was read how)."""
    organizations = {str(r["id"]): r for r in tables["organization"]}
    terms = {str(r["id"]): r for r in tables["taxonomy_term"]}
    taxonomies = {str(r["id"]): str(r.get("name") or "") for r in tables["taxonomy"]}
    locations = {str(r["id"]): r for r in tables["location"]}
    attributes = _by((r for r in tables["attribute"] if r.get("link_entity", "service") == "service"), "link_id")
    children = {
        name: _by(tables[name], "service_id")
        for name in ("phone", "schedule", "required_document", "language", "service_area", "service_at_location")
    }
    addresses = _by(tables["address"], "location_id")

    def taxonomy(term: Row) -> str:
        return str(term.get("taxonomy") or taxonomies.get(str(term.get("taxonomy_id")), ""))

    for position, service in enumerate(tables["service"], start=1):
        sid = str(service["id"])
        notes: list[str] = []
        record: dict[str, Any] = {}
        ranked_needs: list[tuple[float, str]] = []
        for number, attribute in enumerate(attributes.get(sid, [])):
            term = terms.get(str(attribute.get("taxonomy_term_id")))
            if term is None:
                continue
            code, value = str(term.get("code") or ""), attribute.get("value")
            if taxonomy(term) == FIELDS_TAXONOMY:
                record[code] = "" if value is None else str(value)
            elif taxonomy(term) == NEEDS_TAXONOMY:
                ranked_needs.append((_rank(value, number), code))
            elif found := need_of(str(term.get("name") or "")):
                ranked_needs.append((_rank(value, number), found))  # another directory's term with our name
        organization = organizations.get(str(service.get("organization_id")))
        if organization is None and service.get("organization_id"):
            notes.append(f"organization_id '{service['organization_id']}' fehlt in organizations.json")
        record.setdefault("external_id", sid)
        record |= {
            "title": service.get("name"),
            "organization": organization.get("name") if organization else None,
            "description": service.get("description"),
            "needs": [code for _, code in sorted(ranked_needs)],
            "cost_note": service.get("fees_description"),
            "website": service.get("url"),
            "email": service.get("email"),
            "eligibility_description": service.get("eligibility_description"),
            "application_process": service.get("application_process"),
            "interpretation_services": service.get("interpretation_services"),
            "alert": service.get("alert"),
            "assured_date": service.get("assured_date"),
            "assurer_email": service.get("assurer_email"),
            "status": _STATUS_FROM_HSDS.get(str(service.get("status")), service.get("status")),
            "languages": [str(r.get("code") or r.get("name") or "") for r in children["language"].get(sid, [])],
            "required_documents": "; ".join(
                str(r.get("document") or "") for r in children["required_document"].get(sid, [])
            ),
        }
        for column, field in (("age_min_months", "minimum_age"), ("age_max_months", "maximum_age")):
            if isinstance(service.get(field), int | float) and not isinstance(service.get(field), bool):
                record[column] = round(service[field] * 12)
        phones = children["phone"].get(sid, [])
        if phones:
            record["phone"] = phones[0].get("number")
            if len(phones) > 1:
                notes.append(f"{len(phones)} Telefonnummern, die erste übernommen")
        record["opening_hours"], skipped = _hours(children["schedule"].get(sid, []))
        if skipped:
            notes.append(f"Zeitplan nicht wöchentlich, nicht übernommen: {'; '.join(skipped)[:80]}")
        areas = [str(r.get("name") or "") for r in children["service_area"].get(sid, [])]
        network_names = {n.name.lower(): n.id for n in places.networks} | {n.id: n.id for n in places.networks}
        record["districts_served"] = ["*" if a.lower() in network_names else a for a in areas]
        at = [
            locations[str(r.get("location_id"))]
            for r in children["service_at_location"].get(sid, [])
            if str(r.get("location_id")) in locations
        ]
        if at:
            _read_location(record, at[0], addresses.get(str(at[0]["id"]), []), places, notes)
            if len(at) > 1:
                notes.append(f"{len(at)} Orte, der erste übernommen")
        if not record.get("network") and (district := record.get("district")):
            found = places.named(str(district))
            if len(found) == 1:
                record["network"] = found[0].network_id
        if not record.get("network") and len(areas) == 1 and areas[0].lower() in network_names:
            record["network"] = network_names[areas[0].lower()]
        yield position, {k: v for k, v in record.items() if v is not None}, notes


def _rank(value: Any, fallback: int) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 1000.0 + fallback


def _read_location(
    record: dict[str, Any], location: Row, addresses: list[Row], places: Places, notes: list[str]
) -> None:
    """Address, coordinates and — for another directory's data — network and district, from an HSDS location."""
    latitude, longitude = location.get("latitude"), location.get("longitude")
    record["latitude"], record["longitude"] = latitude, longitude
    address = addresses[0] if addresses else {}
    street, postal, city = (str(address.get(k) or "").strip() for k in ("address_1", "postal_code", "city"))
    if street:
        record["address"] = f"{street}, {postal} {city}" if postal else (f"{street}, {city}" if city else street)
    if not record.get("network") and postal:
        networks = [n.id for n in places.networks if postal in n.postal_codes or any(
            postal in d.postal_codes for d in n.districts)]  # fmt: skip
        if len(networks) == 1:
            record["network"] = networks[0]
    if record.get("district"):
        return
    found = [d for name in (str(address.get("region") or ""), city) if name for d in places.named(name)[:1]]
    found += [d for d in places.districts if postal and postal in d.postal_codes]
    if not found and isinstance(latitude, int | float) and isinstance(longitude, int | float):
        nearest = places.nearest(latitude, longitude)
        found = [nearest] if nearest else []
    if found and (not record.get("network") or found[0].network_id == record["network"]):
        record["district"] = found[0].name
        record.setdefault("network", found[0].network_id)
        notes.append(f"Stadtteil/Ort aus Adresse oder Lage gelesen: {found[0].name}")
