"""The Lotsen workplace's texts for families (bot/conversation/notices.py) in every catalog.

Run from the project root: `.venv/bin/python locales/lotsen_texts.py`. Idempotent, and it touches only these
msgids: the machinery is checkin_texts.py's (replace our entries, keep every other entry as it is, add what
locales/messages.pot lacks), run with this set of texts.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import checkin_texts as catalogs  # noqa: E402  (beside this file, not a package)

TEXTS: dict[str | tuple[str, str], dict[str, str | list[str]]] = {
    # a Lotse edited a message the family already has: the newer words follow
    "Correction from {name}:": {
        "de": "Korrektur von {name}:",
        "de@simple": "{name} hat die Nachricht verbessert:",
        "ar": "تصحيح من {name}:",
        "fa": "اصلاحیه از {name}:",
        "hr": "{name} ispravlja poruku:",
        "it": "Correzione da {name}:",
        "ku": "Rastkirin ji {name}:",
        "pl": "Poprawka od {name}:",
        "ro": "Corectare de la {name}:",
        "ru": "Исправление от {name}:",
        "sq": "Korrigjim nga {name}:",
        "tr": "{name} mesajını düzeltti:",
        "uk": "Виправлення від {name}:",
    },
}

if __name__ == "__main__":
    catalogs.TEXTS = TEXTS  # type: ignore[assignment]  # the same steps, for these msgids only
    sys.exit(catalogs.main())
