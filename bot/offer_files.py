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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import String

from bot.db.orm import OfferRow, OfferTranslationRow, OrganizationRow
from bot.domain.needs import NEED_IDS, Need
from bot.domain.offers import (
    WHOLE_NETWORK,
    Access,
    Cost,
    Offer,
    OpeningHoursError,
    Status,
    Translation,
    format_opening_hours,
    read_opening_hours,
    safe_url,
)
from bot.domain.places import Places, fold

# (id, the German name the template documents, other names people use). The ids stay the export header,
# so files round-trip; on import either spelling works (case, umlauts, spaces and punctuation ignored).
_COLUMN_NAMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("external_id", "Angebots-ID", ("ID", "Kennung", "Nr")),
    ("network", "Netzwerk", ("Präventionsnetzwerk",)),
    ("title", "Titel", ("Angebot", "Name des Angebots", "Angebotsname")),
    ("organization", "Träger", ("Anbieter", "Organisation", "Einrichtung")),
    ("description", "Beschreibung", ("Kurzbeschreibung",)),
    ("needs", "Bedarfe", ("Bedarf", "Themen", "Thema", "Kategorie", "Kategorien")),
    ("age_min_months", "Alter von (Monate)", ("Alter von", "Mindestalter", "Alter ab")),
    ("age_max_months", "Alter bis (Monate)", ("Alter bis", "Höchstalter")),
    ("pregnancy", "Für Schwangere", ("Schwangere", "Schwangerschaft")),
    ("cost", "Kosten", ()),
    ("cost_note", "Kostenhinweis", ("fees_description", "Gebühren", "Kosten Hinweis")),
    ("languages", "Sprachen", ("Sprache",)),
    ("step_free", "Barrierefrei", ("barrierefrei zugänglich",)),
    ("childcare", "Kinderbetreuung", ()),
    ("access", "Zugang", ()),
    ("phone", "Telefon", ("Tel", "Telefonnummer")),
    ("email", "E-Mail", ("Mail", "E-Mail-Adresse")),
    ("website", "Webseite", ("Website", "Internet", "Homepage", "Link")),
    ("address", "Adresse", ("Anschrift",)),
    ("district", "Stadtteil/Ort", ("Stadtteil", "Ort", "Gemeinde")),
    ("latitude", "Breitengrad", ("lat",)),
    ("longitude", "Längengrad", ("lon", "lng")),
    ("districts_served", "Einzugsgebiet", ("für Stadtteile",)),
    ("opening_hours", "Öffnungszeiten", ("Sprechzeiten",)),
    ("valid_from", "Gültig ab", ()),
    ("valid_until", "Gültig bis", ()),
    ("last_verified", "Zuletzt geprüft", ("geprüft am",)),
    ("source", "Quelle", ()),
    ("example", "Beispiel", ("Beispieldaten",)),
    # HSDS 3 service fields
    ("eligibility_description", "Wer kann kommen", ("Voraussetzungen", "Zielgruppe")),
    ("application_process", "So geht es", ("Anmeldung", "nächster Schritt")),
    ("required_documents", "Mitbringen", ("Unterlagen", "Dokumente")),
    ("interpretation_services", "Dolmetschen", ("Dolmetscher",)),
    ("status", "Status", ()),
    ("closed_until", "Geschlossen bis", ()),
    ("alert", "Hinweis", ("aktueller Hinweis",)),
    ("free_places", "Freie Plätze", ()),
    ("free_places_counted", "Plätze gezählt am", ()),
    ("assured_date", "Bestätigt am", ("noch gültig am",)),
    ("assurer_email", "Bestätigt von", ()),
    ("phone_around_the_clock", "Telefon rund um die Uhr", ("Tag und Nacht erreichbar", "24/7")),
)
COLUMNS: tuple[str, ...] = tuple(c for c, _, _ in _COLUMN_NAMES)
GERMAN_COLUMNS: dict[str, str] = {c: german for c, german, _ in _COLUMN_NAMES}
AGE_COLUMN = "age"  # "Alter": a range as people write it ("0–3 J.", "ab 3 Jahren"); fills both age columns
REQUIRED = ("external_id", "network", "title", "organization", "needs", "district")
LIST_FIELDS = ("needs", "languages", "districts_served")
BOOL_FIELDS = ("pregnancy", "step_free", "childcare", "example", "phone_around_the_clock")
TRUE_WORDS = {"ja", "j", "yes", "y", "true", "wahr", "1", "x", "✓", "✔"}
FALSE_WORDS = {"nein", "n", "no", "false", "falsch", "0", "", "-"}
MAX_AGE_MONTHS = 18 * 12
HEADER_SEARCH_ROWS = 15  # title rows, a date line, an empty line: the header is among the first rows
_TRANSLATION_COLUMN = re.compile(r"^(title|summary|translated_from)_([a-z]{2}(?:-[a-z]+)?)$")
_GERMAN_TRANSLATION_COLUMN = re.compile(
    r"^(titel|title|zusammenfassung|kurzbeschreibung|summary)[\s_(\[-]*([a-z]{2})[)\]]?$", re.IGNORECASE
)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FORMATS = ("csv", "xlsx", "json", "hsds")


def _key(name: str) -> str:
    """A header or value folded for comparison: case, umlauts, ß, spaces and punctuation ignored."""
    return re.sub(r"[^a-z0-9]", "", fold(name))


_HEADER_KEYS: dict[str, str] = {}
for _column, _german, _others in _COLUMN_NAMES:
    for _name in (_column, _german, *_others):
        _HEADER_KEYS.setdefault(_key(_name), _column)
for _name in ("Alter", "Altersgruppe", "Alter (Jahre)", "age"):
    _HEADER_KEYS[_key(_name)] = AGE_COLUMN


def column_id(header: str) -> str:
    """The column id for a header cell (an id, the German template name or a common other name), else ''."""
    text = header.strip()
    if found := _HEADER_KEYS.get(_key(text)):
        return found
    if m := _TRANSLATION_COLUMN.match(text):
        return text
    if m := _GERMAN_TRANSLATION_COLUMN.match(text):
        part = "title" if fold(m.group(1)).startswith("tit") else "summary"
        return f"{part}_{m.group(2).lower()}"
    return ""


def _column_limits() -> dict[str, int]:
    """Each text column's length in the database schema, so `validate` refuses what a database would."""
    limits = {
        c.name: c.type.length
        for c in OfferRow.__table__.columns
        if isinstance(c.type, String) and c.type.length and c.name in COLUMNS
    }
    limits["organization"] = OrganizationRow.__table__.c.name.type.length
    limits["translation_title"] = OfferTranslationRow.__table__.c.title.type.length
    limits["language"] = OfferTranslationRow.__table__.c.language.type.length
    return limits


LIMITS: dict[str, int] = _column_limits()

# language names as coordinators write them (German and English), to ISO 639 codes
LANGUAGE_NAMES: dict[str, str] = {
    "deutsch": "de", "german": "de", "englisch": "en", "english": "en", "türkisch": "tr", "turkish": "tr",
    "arabisch": "ar", "arabic": "ar", "persisch": "fa", "farsi": "fa", "dari": "fa", "persian": "fa",
    "russisch": "ru", "russian": "ru", "ukrainisch": "uk", "ukrainian": "uk", "polnisch": "pl", "polish": "pl",
    "rumänisch": "ro", "romanian": "ro", "italienisch": "it", "italian": "it", "kroatisch": "hr",
    "croatian": "hr", "albanisch": "sq", "albanian": "sq", "kurdisch": "ku", "kurdish": "ku",
    "französisch": "fr", "french": "fr", "spanisch": "es", "spanish": "es", "griechisch": "el", "greek": "el",
    "bulgarisch": "bg", "serbisch": "sr", "bosnisch": "bs", "tigrinya": "ti", "somali": "so", "paschtu": "ps",
    "urdu": "ur", "vietnamesisch": "vi", "chinesisch": "zh", "ungarisch": "hu", "portugiesisch": "pt",
    "gebärdensprache": "gsg", "leichte sprache": "de", "einfache sprache": "de",
}  # fmt: skip

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
    problems: list[Problem]  # any problem: the file changes nothing
    warnings: list[Problem] = field(default_factory=list)  # read, but said how (a title row, a lost 0)


def file_format(path: Path) -> str:
    """csv, xlsx or json by the suffix; hsds for an Open Referral data package (a folder or a .zip)."""
    from bot.offer_hsds import is_package

    if is_package(path):
        return "hsds"
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise OfferFileError(
            f"{path.name}: unbekanntes Format '.{suffix}' (erlaubt: .csv, .xlsx, .json, HSDS-Ordner oder .zip;"
            " ein neuer HSDS-Ordner: export --format hsds)"
        )
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


class NumberCell(str):
    """A cell the spreadsheet stored as a number (a phone number there has lost its leading 0)."""


Record = dict[str, Any]


def _find_header(rows: list[list[str]], name: str, warnings: list[Problem]) -> tuple[int, list[str]]:
    """The index of the header row among the first rows, and its column ids; rows above it are titles."""
    best: tuple[int, int, list[str]] = (-1, -1, [])
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        ids = [column_id(c) if c else "" for c in cells]
        present = sum(1 for c in REQUIRED if c in ids)
        if present == len(REQUIRED):
            if index:
                above = " / ".join(" ".join(c for c in row if c.strip())[:60] for row in rows[:index] if any(row))
                skipped = f"Zeile 1–{index}" if index > 1 else "Zeile 1"
                warnings.append(
                    Problem(index + 1, "-", f"{skipped} über der Kopfzeile übersprungen ({above or 'leer'})")
                )
            unknown = [c for c, i in zip(cells, ids, strict=True) if c.strip() and not i]
            if unknown:
                warnings.append(Problem(index + 1, "-", f"Spalte(n) nicht bekannt, ignoriert: {', '.join(unknown)}"))
            return index, ids
        if present > best[0]:
            best = (present, index, ids)
    missing = [f"{c} ({GERMAN_COLUMNS[c]})" for c in REQUIRED if c not in best[2]]
    raise OfferFileError(f"{name}: Spalte(n) fehlen: {', '.join(missing)}")


def _rows_to_records(
    rows: list[tuple[int, list[str]]], name: str, warnings: list[Problem]
) -> Iterator[tuple[int, Record]]:
    """Rows (line, cells) below the header as records keyed by column id; empty rows are skipped."""
    index, ids = _find_header([cells for _, cells in rows], name, warnings)
    width = len(ids)
    for line, cells in rows[index + 1 :]:
        if not any(str(v).strip() for v in cells):
            continue
        record: Record = {}
        for column, value in zip(ids, cells, strict=False):
            if column:
                record[column] = value if isinstance(value, NumberCell) else _unguard(value)
        if any(str(v).strip() for v in cells[width:]):
            record["__extra__"] = len(cells)
        yield line, record


def _csv_records(raw: bytes, name: str, warnings: list[Problem]) -> Iterator[tuple[int, Record]]:
    text = _decode(raw, name)
    if not text.strip():
        raise OfferFileError(f"{name}: die Datei ist leer")
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    delimiter = ";" if head.count(";") > head.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [(reader.line_num, [c for c in cells]) for cells in reader]
    except csv.Error as exc:
        raise OfferFileError(f"{name}: CSV nicht lesbar ({exc})") from exc
    yield from _rows_to_records(rows, name, warnings)


def _xlsx_records(raw: bytes, name: str, warnings: list[Problem]) -> Iterator[tuple[int, Record]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise OfferFileError(f"{name}: keine gültige XLSX-Datei ({exc.__class__.__name__})") from exc
    sheet = workbook.worksheets[0]
    rows = [
        (number, ["" if c is None else _cell_text(c) for c in cells])
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    yield from _rows_to_records(rows, name, warnings)


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and value.is_integer():
        return NumberCell(int(value))
    if isinstance(value, int | float):
        return NumberCell(value)
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _json_records(raw: bytes, name: str, warnings: list[Problem]) -> Iterator[tuple[int, Record]]:
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
            flat: Record = {}
            for key, value in record.items():
                if key == "translations":
                    continue
                flat[column_id(key) or key] = value
            for lang, texts in (record.get("translations") or {}).items():
                if isinstance(texts, dict):
                    flat[f"title_{lang}"] = texts.get("title", "")
                    flat[f"summary_{lang}"] = texts.get("summary", "")
                    flat[f"translated_from_{lang}"] = texts.get("source", "")
            yield number, flat


def _hsds_records(path: Path, names: Names, warnings: list[Problem]) -> Iterator[tuple[int, Record]]:
    """An HSDS data package's services as records (line = position in services.json)."""
    from bot.offer_hsds import PackageError, read_tables, service_records

    try:
        tables = read_tables(path)
    except PackageError as exc:
        raise OfferFileError(str(exc)) from exc
    except OSError as exc:
        raise OfferFileError(f"{path}: nicht lesbar ({exc.strerror})") from exc
    for line, record, notes in service_records(tables, names.places, lambda word: names.need(word)[0]):
        warnings += [Problem(line, "-", note) for note in notes]
        yield line, record


def _bundled_needs() -> tuple[Need, ...]:
    from bot.knowledge import bundled_knowledge  # lazily: knowledge loading is not needed for writing

    return bundled_knowledge().needs


# ---------------------------------------------------------------- names people write, to ids


def _suggest(word: str, choices: dict[str, str]) -> str:
    """ " — meinten Sie 'X'?" for a near miss among `choices` (folded name -> what to show), else ""."""
    from rapidfuzz import fuzz, process

    best = process.extractOne(_key(word), list(choices), scorer=fuzz.ratio, score_cutoff=75)
    return f" — meinten Sie '{choices[best[0]]}'?" if best else ""


class Names:
    """Need, network and language names in German (and the ids) to ids, with suggestions for near misses."""

    def __init__(self, places: Places, needs: tuple[Need, ...]) -> None:
        self.places = places
        self.needs: dict[str, set[str]] = {}
        self.need_shown: dict[str, str] = {}
        for need in needs:
            label = need.label_de
            names = [need.id, label, *need.covers, *re.split(r"\s+und\s+|\s*[(),/&]\s*", label)]
            for name in (n.strip() for n in names):
                if len(name) >= 3 and not name[0].isdigit():
                    self.needs.setdefault(_key(name), set()).add(need.id)
                    self.need_shown.setdefault(_key(name), f"{name} ({need.id})" if name != need.id else name)
        self.networks: dict[str, str] = {}
        for network in places.networks:
            short = re.sub(r"^(stadt|landkreis|kreis|lk|netzwerk)\s+", "", network.name, flags=re.IGNORECASE)
            for name in (network.id, network.name, short):
                self.networks[_key(name)] = network.id
        self.languages = {_key(name): code for name, code in LANGUAGE_NAMES.items()}
        self.language_shown = {_key(name): f"{name} ({code})" for name, code in LANGUAGE_NAMES.items()}

    def need(self, word: str) -> tuple[str | None, str]:
        """(need id, '') or (None, reason)."""
        if word in NEED_IDS:
            return word, ""
        found = self.needs.get(_key(word), set())
        if len(found) == 1:
            return next(iter(found)), ""
        if found:
            return None, f"'{word}' passt zu mehreren Bedarfen ({', '.join(sorted(found))}) — bitte die id nehmen"
        return None, f"unbekannter Bedarf '{word}'{_suggest(word, self.need_shown)}"

    def network(self, word: str) -> tuple[str | None, str]:
        if found := self.networks.get(_key(word)):
            return found, ""
        shown = {_key(n.name): f"{n.name} ({n.id})" for n in self.places.networks}
        shown |= {_key(n.id): n.id for n in self.places.networks}
        known = ", ".join(n.id for n in self.places.networks)
        return None, f"unbekanntes Netzwerk '{word}'{_suggest(word, shown) or f' (bekannt: {known})'}"

    def language(self, word: str) -> tuple[str | None, str]:
        low = word.strip().lower()
        if _LANGUAGE_CODE.match(low) and _key(low) not in self.languages:
            return low, ""
        if found := self.languages.get(_key(word)):
            return found, ""
        hint = _suggest(word, self.language_shown)
        return None, f"'{word}' ist keine bekannte Sprache{hint or ' (Sprachcode wie de, tr, ar oder deutsch)'}"


_AGE = re.compile(
    r"^(?:(?P<from>ab)\s*)?(?:(?P<to>bis)\s*)?(?:(?P<under>unter)\s*)?"
    r"(?P<a>\d+(?:[.,]\d+)?)\s*(?:(?P<unit_a>jahre?n?|j\.?|monate?n?|mon\.?|m\.?)\s*)?"
    r"(?:[-–—]|bis)?\s*(?P<b>\d+(?:[.,]\d+)?)?\s*(?P<unit>jahre?n?|j\.?|lebensjahr|monate?n?|mon\.?|m\.?)?$",
    re.IGNORECASE,
)


def _months(number: str, unit: str | None, default_unit: str) -> int:
    value = float(number.replace(",", "."))
    unit = (unit or default_unit).lower()
    return round(value * 12) if unit.startswith(("j", "l")) else round(value)


def parse_age(text: str, default_unit: str) -> tuple[int | None, int | None] | None:
    """'18 Jahre' -> (216, None); '0–3 J.' -> (0, 36); 'ab 3 Jahren' -> (36, None); None if unreadable.

    A bare number takes `default_unit` ("monate" in the age_*_months columns, "jahre" in "Alter").
    """
    m = _AGE.match(" ".join(text.split()))
    if not m:
        return None
    unit = m.group("unit") or m.group("unit_a")
    a = _months(m.group("a"), m.group("unit_a") or unit, default_unit)
    if m.group("b") is not None:
        return a, _months(m.group("b"), unit, default_unit)
    if m.group("to") or m.group("under"):
        return None, a - (1 if m.group("under") else 0)
    return a, None


_PHONE_NUMBER = re.compile(r"^\d{5,15}$")


# ---------------------------------------------------------------- validating one record


class _RowReader:
    """Reads the fields of one record, collecting a Problem for each bad cell instead of stopping."""

    def __init__(self, line: int, record: dict[str, Any]) -> None:
        self.line, self.record = line, record
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def bad(self, column: str, reason: str) -> None:
        self.problems.append(Problem(self.line, column, reason))

    def warn(self, column: str, reason: str) -> None:
        self.warnings.append(Problem(self.line, column, reason))

    def text(self, column: str, required: bool = False) -> str:
        value = self.record.get(column)
        value = "" if value is None else str(value).strip()
        if required and not value:
            self.bad(column, "darf nicht leer sein")
        limit = LIMITS.get(column) or (LIMITS["translation_title"] if column.startswith("title_") else None)
        if limit and len(value) > limit:
            self.bad(column, f"zu lang: {len(value)} Zeichen, höchstens {limit} erlaubt")
        return value

    def items(self, column: str) -> list[str]:
        value = self.record.get(column)
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [p.strip() for p in re.split(r"[;,|\n]|\s+und\s+", self.text(column)) if p.strip()]

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

    def count(self, column: str) -> int | None:
        value = self.record.get(column)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = self.text(column)
        if not text:
            return None
        if not re.fullmatch(r"\d+", text):
            self.bad(column, f"'{text}' ist keine ganze Zahl ≥ 0")
            return None
        return int(text)

    def age(self, column: str, default: int) -> int:
        """Months from '24', '18 Jahre', '2,5 J.', '6 Monate' (a bare number is months here)."""
        value = self.record.get(column)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = self.text(column)
        if not text:
            return default
        parsed = parse_age(text, "monate")
        if parsed is None or parsed[1] is not None:
            self.bad(column, f"'{text}' ist kein Alter (Monate wie 36, oder '3 Jahre')")
            return default
        return parsed[0] if parsed[0] is not None else default

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

    def choice(self, column: str, enum: type[Cost] | type[Access] | type[Status], default: str) -> Any:
        word = " ".join(self.text(column).lower().split()) or default
        aliases = {
            "kostenlos": "free",
            "gratis": "free",
            "frei": "free",
            "ermäßigt": "reduced",
            "kostenpflichtig": "paid",
            "offen": "walk_in",
            "offene sprechstunde": "walk_in",
            "ohne termin": "walk_in",
            "termin": "appointment",
            "mit termin": "appointment",
            "nach vereinbarung": "appointment",
            "überweisung": "referral",
            "vermittlung": "referral",
            "aktiv": "active",
            "geschlossen": "temporarily_closed",
            "vorübergehend geschlossen": "temporarily_closed",
            "temporarily closed": "temporarily_closed",
            "pause": "temporarily_closed",
            "beendet": "ended",
            "eingestellt": "ended",
            "defunct": "ended",
            "inactive": "ended",
        }
        word = aliases.get(word, word)
        try:
            return enum(word)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            self.bad(column, f"'{word}' ist nicht erlaubt (erlaubt: {allowed})")
            return enum(default)

    def email(self, column: str) -> str:
        text = self.text(column)
        if text and not _EMAIL.match(text):
            self.bad(column, f"'{text}' ist keine E-Mail-Adresse")
        return text

    def phone(self, column: str) -> str:
        """Phone numbers stay text; a number-typed cell (or a CSV Excel saved from one) gets its 0 back."""
        value = self.record.get(column)
        text = self.text(column)
        if (isinstance(value, NumberCell | int) and not isinstance(value, bool)) or _PHONE_NUMBER.match(text):
            if text.startswith("49") and len(text) >= 11:
                fixed = "+" + text
            elif not text.startswith("0"):
                fixed = "0" + text
            else:
                return text
            self.warn(column, f"'{text}' war als Zahl gespeichert, gelesen als '{fixed}' (Spalte als Text formatieren)")
            return fixed
        return text

    def website(self, column: str) -> str:
        text = self.text(column)
        if not text:
            return ""
        if re.match(r"^(www\.)?[\w-]+(\.[\w-]+)+(/\S*)?$", text, re.IGNORECASE) and ":" not in text:
            self.warn(column, f"'{text}' ohne https:// — gelesen als 'https://{text}'")
            text = "https://" + text
        if safe_url(text) is None:
            self.bad(column, f"'{text[:60]}' ist keine Webadresse (nur http:// oder https:// mit Rechnername)")
        return text


def _offer_from_record(line: int, record: dict[str, Any], names: Names) -> tuple[Offer | None, _RowReader]:
    r = _RowReader(line, record)
    if "__invalid__" in record:
        r.bad("-", "Eintrag ist kein Objekt mit Feldern")
        return None, r
    if "__extra__" in record:
        r.bad("-", f"{record['__extra__']} Zellen, mehr als die Kopfzeile Spalten hat")
    places = names.places
    external_id = r.text("external_id", required=True)
    if external_id and not re.match(r"^[\w.\-/:]+$", external_id):
        r.bad("external_id", "nur Buchstaben, Ziffern und - _ . / : erlaubt")
    network_name = r.text("network", required=True)
    network_id, reason = names.network(network_name) if network_name else (None, "")
    if reason:
        r.bad("network", reason)
    network = places.network(network_id) if network_id else None

    needs: list[str] = []
    for word in r.items("needs"):
        need, reason = names.need(word)
        if need:
            needs.append(need)
        else:
            r.bad("needs", reason)
    if not needs and not r.items("needs"):
        r.bad("needs", "mindestens ein Bedarf nötig")

    def district_id(name: str, column: str) -> str | None:
        if network is None:
            return None
        found = network.district_named(name)
        if found is None:
            shown = {_key(d.name): d.name for d in network.districts} | {
                _key(a): f"{a} ({d.name})" for d in network.districts for a in d.aliases
            }
            r.bad(column, f"unbekannter Stadtteil/Ort '{name}' in {network.name}{_suggest(name, shown)}")
            return None
        return found.id

    district_name = r.text("district", required=True)
    district = district_id(district_name, "district") if district_name else None
    served_names = r.items("districts_served") or [WHOLE_NETWORK]
    if WHOLE_NETWORK in served_names or {s.lower() for s in served_names} & {"alle", "all", "ganze stadt"}:
        served: tuple[str, ...] = (WHOLE_NETWORK,)
    else:
        served = tuple(d for d in (district_id(n, "districts_served") for n in served_names) if d)

    age_min = r.age("age_min_months", 0)
    age_max = r.age("age_max_months", MAX_AGE_MONTHS)
    if age_text := r.text(AGE_COLUMN):
        parsed = parse_age(age_text, "jahre")
        if parsed is None:
            r.bad(AGE_COLUMN, f"'{age_text}' ist keine Altersangabe wie '0–3 Jahre', 'ab 3 J.', 'bis 18 Jahre'")
        else:
            age_min = parsed[0] if parsed[0] is not None else age_min
            age_max = parsed[1] if parsed[1] is not None else age_max
    if not (0 <= age_min <= MAX_AGE_MONTHS):
        r.bad("age_min_months", f"{age_min} liegt nicht zwischen 0 und {MAX_AGE_MONTHS}")
    if not (0 <= age_max <= MAX_AGE_MONTHS):
        r.bad("age_max_months", f"{age_max} liegt nicht zwischen 0 und {MAX_AGE_MONTHS}")
    if age_min > age_max:
        r.bad("age_min_months", f"age_min_months ({age_min}) ist größer als age_max_months ({age_max})")

    languages: list[str] = []
    for word in r.items("languages") or ["de"]:
        code, reason = names.language(word)
        if code:
            languages.append(code)
        else:
            r.bad("languages", reason)

    access = r.choice("access", Access, "walk_in")
    around_the_clock = r.flag("phone_around_the_clock")
    try:
        reading = read_opening_hours(r.text("opening_hours"))
        hours = reading.slots
        for note in reading.notes:
            r.warn("opening_hours", note)
        if reading.by_appointment and not hours and not r.text("access"):
            access = Access.APPOINTMENT  # "nach Vereinbarung" says what the access column did not
    except OpeningHoursError as exc:
        r.bad("opening_hours", str(exc))
        hours = ()

    translations: dict[str, Translation] = {}
    for key in sorted(record):
        if (m := _TRANSLATION_COLUMN.match(key)) and m.group(1) == "title":
            lang = m.group(2)
            title, summary = r.text(f"title_{lang}"), r.text(f"summary_{lang}")
            if len(lang) > LIMITS["language"]:
                r.bad(key, f"Sprachcode '{lang}' ist zu lang")
            if title or summary:
                translations[lang] = Translation(title, summary, r.text(f"translated_from_{lang}"))

    status = r.choice("status", Status, "active")
    closed_until = r.day("closed_until")
    if closed_until and not r.text("status"):
        status = Status.TEMPORARILY_CLOSED  # a date in "Geschlossen bis" says it
    free_places = r.count("free_places")
    free_places_counted = r.day("free_places_counted")
    if free_places is not None and free_places_counted is None:
        r.warn("free_places_counted", "freie Plätze ohne Datum der Zählung")

    offer = Offer(
        external_id=external_id,
        network=network_id or network_name,
        title=r.text("title", required=True),
        organization=r.text("organization", required=True),
        description=r.text("description"),
        needs=tuple(dict.fromkeys(needs)),
        age_min_months=age_min,
        age_max_months=age_max,
        pregnancy=r.flag("pregnancy"),
        cost=r.choice("cost", Cost, "free"),
        cost_note=r.text("cost_note"),
        languages=tuple(dict.fromkeys(languages)),
        step_free=r.flag("step_free"),
        childcare=r.flag("childcare"),
        access=access,
        phone=r.phone("phone"),
        email=r.email("email"),
        website=r.website("website"),
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
        eligibility_description=r.text("eligibility_description"),
        application_process=r.text("application_process"),
        required_documents=r.text("required_documents"),
        interpretation_services=r.text("interpretation_services"),
        status=status,
        closed_until=closed_until,
        alert=r.text("alert"),
        free_places=free_places,
        free_places_counted=free_places_counted,
        assured_date=r.day("assured_date"),
        assurer_email=r.email("assurer_email"),
        phone_around_the_clock=around_the_clock,
    )
    if offer.valid_from and offer.valid_until and offer.valid_from > offer.valid_until:
        r.bad("valid_until", "endet vor valid_from")
    return (None if r.problems else offer), r


def read_offers(path: Path, places: Places, needs: tuple[Need, ...] | None = None) -> ReadResult:
    """Read and validate every row, all problems at once; the caller imports only when `problems` is empty.

    `needs` (the knowledge's) lets German need names through; without it the bundled needs are used.
    """
    kind = file_format(path)
    needs = needs if needs is not None else _bundled_needs()
    names = Names(places, needs)
    warnings: list[Problem] = []
    if kind == "hsds":
        records = _hsds_records(path, names, warnings)
    else:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise OfferFileError(f"{path}: nicht lesbar ({exc.strerror})") from exc
        records = {"csv": _csv_records, "xlsx": _xlsx_records, "json": _json_records}[kind](raw, path.name, warnings)
    offers: list[Offer] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, record in records:
        offer, row = _offer_from_record(line, record, names)
        problems += row.problems
        warnings += row.warnings
        external_id = str(record.get("external_id") or "").strip()
        if external_id in seen:  # a duplicate is reported even when the row has other problems too
            first = seen[external_id]
            problems.append(Problem(line, "external_id", f"'{external_id}' doppelt (schon in Zeile {first})"))
        elif external_id:
            seen[external_id] = line
            if offer is not None:
                offers.append(offer)
    return ReadResult(offers, problems, warnings)


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
        "eligibility_description": offer.eligibility_description,
        "application_process": offer.application_process,
        "required_documents": offer.required_documents,
        "interpretation_services": offer.interpretation_services,
        "status": offer.status.value,
        "closed_until": _iso(offer.closed_until),
        "alert": offer.alert,
        "free_places": offer.free_places,
        "free_places_counted": _iso(offer.free_places_counted),
        "assured_date": _iso(offer.assured_date),
        "assurer_email": offer.assurer_email,
        "phone_around_the_clock": offer.phone_around_the_clock,
        "translations": {
            lang: {"title": t.title, "summary": t.summary, **({"source": t.source} if t.source else {})}
            for lang, t in sorted(offer.translations.items())
        },
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# OWASP's list of characters that make a spreadsheet read a cell as a formula (CSV injection), plus the
# apostrophe itself: a coordinator's own leading "'" is doubled, so the import's un-guarding gives it back.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def _guard(cell: str) -> str:
    """Defuse formula injection: a cell that starts like a formula (also after spaces) gets a leading "'"."""
    if cell.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


guard_cell = _guard  # for other CSVs written for spreadsheets (the per-provider lists)


def _unguard(cell: str) -> str:
    if cell.startswith("'") and cell[1:].lstrip(" ").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _flat_cells(record: dict[str, Any], languages: list[str], sourced: set[str]) -> list[str]:
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
        if lang in sourced:
            cells.append(texts.get("source", ""))
    return [_guard(c) for c in cells]


def write_offers(
    path: Path, offers: list[Offer], places: Places, *, kind: str | None = None, needs: tuple[Need, ...] | None = None
) -> None:
    """Write the offers as `kind` (by default from the suffix; "hsds" writes a data package folder or .zip)."""
    kind = kind or file_format(path)
    if kind not in FORMATS:
        raise OfferFileError(f"unbekanntes Format '{kind}' (erlaubt: {', '.join(FORMATS)})")
    records = [offer_to_record(o, places) for o in sorted(offers, key=lambda o: o.external_id)]
    if kind == "hsds":
        from bot.offer_hsds import write_package

        write_package(path, records, places, needs if needs is not None else _bundled_needs())
        return
    languages = translation_languages(offers)
    sourced = {lang for o in offers for lang, t in o.translations.items() if t.source}
    header = list(COLUMNS)
    for lang in languages:  # the fingerprint column only where one exists: old files keep their shape
        header += [f"title_{lang}", f"summary_{lang}"] + ([f"translated_from_{lang}"] if lang in sourced else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "json":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    elif kind == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel then reads UTF-8
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(header)
            writer.writerows(_flat_cells(r, languages, sourced) for r in records)
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Angebote"
        sheet.append(header)
        for record in records:
            sheet.append(_flat_cells(record, languages, sourced))
        for column_cells in sheet.columns:  # store everything as text, so Excel does not reinterpret
            for c in column_cells:
                c.data_type = "s"
        workbook.save(path)
