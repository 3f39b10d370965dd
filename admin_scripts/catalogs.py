"""Translation catalogs: extract texts from the code, update every language, compile, check.

examples:
  python -m admin_scripts.catalogs extract   # bot/**.py -> locales/messages.pot
  python -m admin_scripts.catalogs update    # merge the .pot into every locales/<lang>/LC_MESSAGES/messages.po
  python -m admin_scripts.catalogs compile   # .po -> .mo (the install step runs this too)
  python -m admin_scripts.catalogs init xx   # start a new language

Translators (or Weblate) work on the .po files; see docs/translating.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from babel.messages.frontend import CommandLineInterface

from admin_scripts._cli import EXIT_OK, ScriptError, parser, run
from bot.i18n import DOMAIN, LOCALES_DIR, SUPPORTED, compile_catalog

ROOT = LOCALES_DIR.parent
POT = LOCALES_DIR / f"{DOMAIN}.pot"
KEYWORDS = ["-k", "_", "-k", "n_:1,2", "-k", "N_"]


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract() -> None:
    pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        *KEYWORDS,
        "--no-location",
        "--sort-output",
        "--project",
        "Familienlotse",
        "--copyright-holder",
        "Familienlotse",
        "-o",
        str(POT),
        str(ROOT / "bot"),
    )


def update() -> None:
    for code in SUPPORTED:
        if code == "en":
            continue
        po = LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            pybabel("init", "-D", DOMAIN, "-i", str(POT), "-d", str(LOCALES_DIR), "-l", code)
    pybabel("update", "-D", DOMAIN, "-i", str(POT), "-d", str(LOCALES_DIR), "--no-fuzzy-matching", "--ignore-obsolete")


def compile_all() -> int:
    count = 0
    for po in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        compile_catalog(po, po.with_suffix(".mo"))
        count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    p = parser("python -m admin_scripts.catalogs", __doc__)
    p.add_argument("command", choices=["extract", "update", "compile", "init"])
    p.add_argument("language", nargs="?")
    args = p.parse_args(argv)
    if args.command == "extract":
        extract()
        print(f"{POT.relative_to(ROOT)} geschrieben")
    elif args.command == "update":
        extract()
        update()
        print("alle Kataloge aktualisiert")
    elif args.command == "compile":
        print(f"{compile_all()} Kataloge kompiliert")
    else:
        if not args.language:
            raise ScriptError("init braucht einen Sprachcode, z. B. init pt")
        pybabel("init", "-D", DOMAIN, "-i", str(POT), "-d", str(LOCALES_DIR), "-l", args.language)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run(main))
