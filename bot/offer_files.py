"""Offer files as coordinators keep them: CSV (comma or semicolon, UTF-8 or Excel's cp1252), XLSX and JSON.

Reading turns every row into a validated `Offer` or into problems naming line, column and reason;
writing gives back the same data (round trip exact) with spreadsheet formula injection defused.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.domain.needs import NEED_IDS
from bot.domain.offers import (
    WHOLE_NETWORK,
    Access,
    Cost,
    Offer,
    OpeningHoursError,
    Translation,
    format_opening_hours,
    parse_opening_hours,
)
from bot.domain.places import Places

COLUMNS: tuple[str, ...] = (
    "external_id",
    "network",
    "title",
    "organization",
    "description",
    "needs",
    "age_min_months",
    "age_max_months",
    "pregnancy",
    "cost",
    "cost_note",
    "languages",
    "step_free",
    "childcare",
    "access",
    "phone",
    "email",
    "website",
    "address",
    "district",
    "latitude",
    "longitude",
    "districts_served",
    "opening_hours",
    "valid_from",
    "valid_until",
    "last_verified",
    "source",
    "example",
)
REQUIRED = ("external_id", "network", "title", "organization", "needs", "district")
LIST_FIELDS = ("needs", "languages", "districts_served")
BOOL_FIELDS = ("pregnancy", "step_free", "childcare", "example")
TRUE_WORDS = {"ja", "j", "yes", "y", "true", "wahr", "1", "x"}
FALSE_WORDS = {"nein", "n", "no", "false", "falsch", "0", ""}
MAX_AGE_MONTHS = 18 * 12
_TRANSLATION_COLUMN = re.compile(r"^(title|summary)_([a-z]{2}(?:-[a-z]+)?)$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
FORMATS = ("csv", "xlsx", "json")


class OfferFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, missing columns): one line saying why."""


@dataclass(frozen=True, slots=True)
class Problem:
    line: int  # 1-based line of the file (CSV/XLSX row number; JSON: position in the list)
    column: str
    reason: str

    def __str__(self) -> str:
        return f"Zeile {self.line}, Spalte {self.column}: {self.reason}"


@dataclass(frozen=True)
class ReadResult:
    offers: list[Offer]
    problems: list[Problem]


def file_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise OfferFileError(f"{path.name}: unbekanntes Format '.{suffix}' (erlaubt: .csv, .xlsx, .json)")
    return suffix


# ---------------------------------------------------------------- reading raw records


def _decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw[:4096]:
        raise OfferFileError(f"{name}: das ist keine Textdatei (Binärdaten gefunden)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise OfferFileError(f"{name}: Zeichenkodierung unbekannt (bitte als UTF-8 speichern)")


def _csv_records(raw: bytes, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    text = _decode(raw, name)
    if not text.strip():
        raise OfferFileError(f"{name}: die Datei ist leer")
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    _check_header(reader.fieldnames or [], name)
    for record in reader:
        if None in record:
            raise OfferFileError(f"{name}: Zeile {reader.line_num} hat mehr Zellen als Spalten")
        if any((v or "").strip() for v in record.values()):
            yield reader.line_num, {k.strip(): _unguard(v or "") for k, v in record.items()}


def _xlsx_records(raw: bytes, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise OfferFileError(f"{name}: keine gültige XLSX-Datei ({exc.__class__.__name__})") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
    _check_header(header, name)
    for number, cells in enumerate(rows, start=2):
        values = ["" if c is None else _cell_text(c) for c in cells]
        if any(v.strip() for v in values):
            yield number, {h: _unguard(v) for h, v in zip(header, values, strict=False) if h}


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "ja" if value else "nein"
    return str(value)


def _json_records(raw: bytes, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(_decode(raw, name))
    except json.JSONDecodeError as exc:
        raise OfferFileError(f"{name}: kein gültiges JSON (Zeile {exc.lineno}: {exc.msg})") from exc
    if isinstance(data, dict) and isinstance(data.get("offers"), list):
        data = data["offers"]
    if not isinstance(data, list):
        raise OfferFileError(f"{name}: JSON muss eine Liste von Angeboten sein")
    for number, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            yield number, {"__invalid__": "kein Objekt"}
        else:
            flat = dict(record)
            for lang, texts in (flat.pop("translations", None) or {}).items():
                if isinstance(texts, dict):
                    flat[f"title_{lang}"] = texts.get("title", "")
                    flat[f"summary_{lang}"] = texts.get("summary", "")
            yield number, flat


def _check_header(header: list[str], name: str) -> None:
    present = {h.strip() for h in header}
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        raise OfferFileError(f"{name}: Spalte(n) fehlen: {', '.join(missing)}")


# ---------------------------------------------------------------- validating one record


class _RowReader:
    """Reads the fields of one record, collecting a Problem for each bad cell instead of stopping."""

    def __init__(self, line: int, record: dict[str, Any]) -> None:
        self.line, self.record, self.problems = line, record, []

    def bad(self, column: str, reason: str) -> None:
        self.problems.append(Problem(self.line, column, reason))

    def text(self, column: str, required: bool = False) -> str:
        value = self.record.get(column)
        value = "" if value is None else str(value).strip()
        if required and not value:
            self.bad(column, "darf nicht leer sein")
        return value

    def items(self, column: str) -> list[str]:
        value = self.record.get(column)
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [p.strip() for p in re.split(r"[;,|]", self.text(column)) if p.strip()]

    def flag(self, column: str) -> bool:
        value = self.record.get(column)
        if isinstance(value, bool):
            return value
        word = self.text(column).lower()
        if word in TRUE_WORDS:
            return True
        if word not in FALSE_WORDS:
            self.bad(column, f"'{word}' ist weder ja noch nein")
        return False

    def number(self, column: str, default: int | None = None) -> int | None:
        value = self.record.get(column)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = self.text(column)
        if not text:
            if default is None:
                self.bad(column, "darf nicht leer sein")
            return default
        try:
            return int(float(text.replace(",", ".")))
        except ValueError:
            self.bad(column, f"'{text}' ist keine Zahl")
            return default

    def coordinate(self, column: str, low: float, high: float) -> float | None:
        value = self.record.get(column)
        text = "" if value is None else str(value).strip().replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            self.bad(column, f"'{text}' ist keine Koordinate")
            return None
        if not low <= number <= high:
            self.bad(column, f"{number} liegt außerhalb von {low}..{high}")
            return None
        return number

    def day(self, column: str) -> date | None:
        text = self.text(column)
        if not text:
            return None
        for pattern in (r"^(\d{4})-(\d{2})-(\d{2})$", r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"):
            if m := re.match(pattern, text):
                parts = [int(g) for g in m.groups()]
                y, mo, d = parts if pattern.startswith("^(\\d{4})") else parts[::-1]
                try:
                    return date(y, mo, d)
                except ValueError:
                    break
        self.bad(column, f"'{text}' ist kein Datum (JJJJ-MM-TT oder TT.MM.JJJJ)")
        return None

    def choice(self, column: str, enum: type[Cost] | type[Access], default: str) -> Any:
        word = self.text(column).lower() or default
        aliases = {
            "kostenlos": "free",
            "gratis": "free",
            "ermäßigt": "reduced",
            "kostenpflichtig": "paid",
            "offen": "walk_in",
            "offene sprechstunde": "walk_in",
            "termin": "appointment",
            "überweisung": "referral",
            "vermittlung": "referral",
        }
        word = aliases.get(word, word)
        try:
            return enum(word)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            self.bad(column, f"'{word}' ist nicht erlaubt (erlaubt: {allowed})")
            return enum(default)


def _offer_from_record(line: int, record: dict[str, Any], places: Places) -> tuple[Offer | None, list[Problem]]:
    if "__invalid__" in record:
        return None, [Problem(line, "-", "Eintrag ist kein Objekt mit Feldern")]
    r = _RowReader(line, record)
    external_id = r.text("external_id", required=True)
    if external_id and not re.match(r"^[\w.\-/:]+$", external_id):
        r.bad("external_id", "nur Buchstaben, Ziffern und - _ . / : erlaubt")
    network_id = r.text("network", required=True)
    network = places.network(network_id) if network_id else None
    if network_id and network is None:
        known = ", ".join(n.id for n in places.networks)
        r.bad("network", f"unbekanntes Netzwerk '{network_id}' (bekannt: {known})")

    needs = r.items("needs")
    if not needs:
        r.bad("needs", "mindestens ein Bedarf nötig")
    for need in needs:
        if need not in NEED_IDS:
            r.bad("needs", f"unbekannter Bedarf '{need}'")

    def district_id(name: str, column: str) -> str | None:
        if network is None:
            return None
        found = network.district_named(name)
        if found is None:
            r.bad(column, f"unbekannter Stadtteil/Ort '{name}' in {network.name}")
            return None
        return found.id

    district_name = r.text("district", required=True)
    district = district_id(district_name, "district") if district_name else None
    served_names = r.items("districts_served") or [WHOLE_NETWORK]
    if WHOLE_NETWORK in served_names or {s.lower() for s in served_names} & {"alle", "all", "ganze stadt"}:
        served: tuple[str, ...] = (WHOLE_NETWORK,)
    else:
        served = tuple(d for d in (district_id(n, "districts_served") for n in served_names) if d)

    age_min = r.number("age_min_months", default=0)
    age_max = r.number("age_max_months", default=MAX_AGE_MONTHS)
    if age_min is not None and age_max is not None:
        if not (0 <= age_min <= MAX_AGE_MONTHS):
            r.bad("age_min_months", f"{age_min} liegt nicht zwischen 0 und {MAX_AGE_MONTHS}")
        if not (0 <= age_max <= MAX_AGE_MONTHS):
            r.bad("age_max_months", f"{age_max} liegt nicht zwischen 0 und {MAX_AGE_MONTHS}")
        if age_min > age_max:
            r.bad("age_min_months", f"age_min_months ({age_min}) ist größer als age_max_months ({age_max})")

    languages = [la.lower() for la in r.items("languages")] or ["de"]
    for lang in languages:
        if not _LANGUAGE_CODE.match(lang):
            r.bad("languages", f"'{lang}' ist kein Sprachcode wie de, tr, ar")

    try:
        hours = parse_opening_hours(r.text("opening_hours"))
    except OpeningHoursError as exc:
        r.bad("opening_hours", str(exc))
        hours = ()

    translations: dict[str, Translation] = {}
    for key in sorted(record):
        if (m := _TRANSLATION_COLUMN.match(key)) and m.group(1) == "title":
            lang = m.group(2)
            title, summary = r.text(f"title_{lang}"), r.text(f"summary_{lang}")
            if title or summary:
                translations[lang] = Translation(title, summary)

    offer = Offer(
        external_id=external_id,
        network=network_id,
        title=r.text("title", required=True),
        organization=r.text("organization", required=True),
        description=r.text("description"),
        needs=tuple(dict.fromkeys(needs)),
        age_min_months=age_min or 0,
        age_max_months=age_max if age_max is not None else MAX_AGE_MONTHS,
        pregnancy=r.flag("pregnancy"),
        cost=r.choice("cost", Cost, "free"),
        cost_note=r.text("cost_note"),
        languages=tuple(dict.fromkeys(languages)),
        step_free=r.flag("step_free"),
        childcare=r.flag("childcare"),
        access=r.choice("access", Access, "walk_in"),
        phone=r.text("phone"),
        email=r.text("email"),
        website=r.text("website"),
        address=r.text("address"),
        district=district or "",
        latitude=r.coordinate("latitude", -90, 90),
        longitude=r.coordinate("longitude", -180, 180),
        districts_served=served,
        opening_hours=hours,
        valid_from=r.day("valid_from"),
        valid_until=r.day("valid_until"),
        last_verified=r.day("last_verified"),
        source=r.text("source"),
        example=r.flag("example"),
        translations=translations,
    )
    if offer.valid_from and offer.valid_until and offer.valid_from > offer.valid_until:
        r.bad("valid_until", "endet vor valid_from")
    return (None if r.problems else offer), r.problems


def read_offers(path: Path, places: Places) -> ReadResult:
    """Read and validate every row; the caller imports only when `problems` is empty."""
    kind = file_format(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OfferFileError(f"{path}: nicht lesbar ({exc.strerror})") from exc
    records = {"csv": _csv_records, "xlsx": _xlsx_records, "json": _json_records}[kind](raw, path.name)
    offers: list[Offer] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    try:
        for line, record in records:
            offer, row_problems = _offer_from_record(line, record, places)
            problems += row_problems
            if offer is not None:
                if offer.external_id in seen:
                    problems.append(Problem(line, "external_id", f"doppelt (schon in Zeile {seen[offer.external_id]})"))
                else:
                    seen[offer.external_id] = line
                    offers.append(offer)
    except csv.Error as exc:
        raise OfferFileError(f"{path.name}: CSV nicht lesbar ({exc})") from exc
    return ReadResult(offers, problems)


# ---------------------------------------------------------------- writing


def translation_languages(offers: list[Offer]) -> list[str]:
    return sorted({lang for o in offers for lang in o.translations})


def offer_to_record(offer: Offer, places: Places) -> dict[str, Any]:
    """The offer with native JSON types; districts by canonical name."""

    def name(district_id: str) -> str:
        found = places.district(district_id)
        return found.name if found else district_id

    return {
        "external_id": offer.external_id,
        "network": offer.network,
        "title": offer.title,
        "organization": offer.organization,
        "description": offer.description,
        "needs": list(offer.needs),
        "age_min_months": offer.age_min_months,
        "age_max_months": offer.age_max_months,
        "pregnancy": offer.pregnancy,
        "cost": offer.cost.value,
        "cost_note": offer.cost_note,
        "languages": list(offer.languages),
        "step_free": offer.step_free,
        "childcare": offer.childcare,
        "access": offer.access.value,
        "phone": offer.phone,
        "email": offer.email,
        "website": offer.website,
        "address": offer.address,
        "district": name(offer.district),
        "latitude": offer.latitude,
        "longitude": offer.longitude,
        "districts_served": [WHOLE_NETWORK]
        if offer.serves_whole_network
        else [name(d) for d in offer.districts_served],
        "opening_hours": format_opening_hours(offer.opening_hours),
        "valid_from": offer.valid_from.isoformat() if offer.valid_from else None,
        "valid_until": offer.valid_until.isoformat() if offer.valid_until else None,
        "last_verified": offer.last_verified.isoformat() if offer.last_verified else None,
        "source": offer.source,
        "example": offer.example,
        "translations": {
            lang: {"title": t.title, "summary": t.summary} for lang, t in sorted(offer.translations.items())
        },
    }


def _guard(cell: str) -> str:
    """Defuse spreadsheet formula injection: a cell that starts like a formula gets a leading apostrophe."""
    if cell and (cell[0] in "=+@\t\r" or (cell[0] == "-" and not re.match(r"^-?\d", cell))):
        return "'" + cell
    return cell


def _unguard(cell: str) -> str:
    if cell.startswith("'") and len(cell) > 1 and (cell[1] in "=+-@\t\r"):
        return cell[1:]
    return cell


def _flat_cells(record: dict[str, Any], languages: list[str]) -> list[str]:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "ja" if value else "nein"
        if isinstance(value, list):
            return "; ".join(value)
        return str(value)

    cells = [cell(record[c]) for c in COLUMNS]
    for lang in languages:
        texts = record["translations"].get(lang, {})
        cells += [texts.get("title", ""), texts.get("summary", "")]
    return [_guard(c) for c in cells]


def write_offers(path: Path, offers: list[Offer], places: Places) -> None:
    kind = file_format(path)
    records = [offer_to_record(o, places) for o in sorted(offers, key=lambda o: o.external_id)]
    languages = translation_languages(offers)
    header = list(COLUMNS) + [f"{part}_{lang}" for lang in languages for part in ("title", "summary")]
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "json":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    elif kind == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel then reads UTF-8
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(header)
            writer.writerows(_flat_cells(r, languages) for r in records)
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Angebote"
        sheet.append(header)
        for record in records:
            sheet.append(_flat_cells(record, languages))
        for column_cells in sheet.columns:  # store everything as text, so Excel does not reinterpret
            for c in column_cells:
                c.data_type = "s"
        workbook.save(path)
