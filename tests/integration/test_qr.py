"""`python -m admin_scripts.qr`: A4 entry posters whose QR code opens the bot preset to district and language."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from admin_scripts._cli import run
from admin_scripts.qr import main
from bot.conversation import Command, Services, State, handle
from bot.domain.matching import OfferIndex
from bot.knowledge import bundled_knowledge
from bot.posters import MAX_PAYLOAD, find_district, payload, poster_text

BOT = "FamilienlotseTestBot"


def qr(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


def started_with(start: str) -> State:
    """The conversation state after a family opened the deep link (what Telegram sends as /start <payload>)."""
    # /start reads no free text, so no Understander (building one takes seconds); a use would fail the test
    services = Services(bundled_knowledge(), None, OfferIndex([]), now=lambda: datetime(2026, 11, 21, 10))  # type: ignore[arg-type]
    return handle(State(), Command("start", payload=start), services).state


def decoded(png: Path) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp", reason="pip install zxing-cpp to decode the QR code")
    from PIL import Image

    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(png))]


def test_a_turkish_poster_for_eglosheim_is_an_a4_pdf_and_png_whose_code_opens_the_preset_bot(capsys, tmp_path: Path):
    code, out, err = qr(
        capsys,
        "--bot",
        BOT,
        "--district",
        "Eglosheim",
        "--lang",
        "tr",
        "--need",
        "childcare",
        "--out",
        str(tmp_path / "p.pdf"),
    )
    assert code == 0, err
    link = f"https://t.me/{BOT}?start=d-eglosheim_l-tr_n-childcare_s-qr-eglosheim"
    assert out.splitlines()[0] == link
    pdf, png = tmp_path / "p.pdf", tmp_path / "p.png"
    media_box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf.read_bytes())
    assert media_box and (round(float(media_box.group(1))), round(float(media_box.group(2)))) == (595, 842)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 30_000
    assert decoded(png) == [link]

    state = started_with(link.partition("?start=")[2])
    assert (state.locale, state.district_id, state.network_id) == ("tr", "lb-eglosheim", "ludwigsburg")
    assert state.needs == ("childcare",) and state.entry == "qr-eglosheim"  # entry goes into the statistics


def test_a_german_poster_carries_the_german_text_once(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@" + BOT)  # the env variable, written as Telegram shows it
    code, out, err = qr(
        capsys,
        "--district",
        "Nuertingen",
        "--lang",
        "de",
        "--source",
        "rathaus-nt",
        "--web",
        "https://familienlotse.example.org",
        "--out",
        str(tmp_path / "nt"),
    )
    assert code == 0 and err == ""
    link = f"https://t.me/{BOT}?start=d-nuertingen_l-de_s-rathaus-nt"
    assert out.splitlines()[0] == link
    web = "https://familienlotse.example.org/angebote/esslingen"  # German: no ?lang=
    assert (tmp_path / "nt.pdf").exists() and set(decoded(tmp_path / "nt.png")) == {link, web}


def test_simple_german_and_a_shared_district_name_round_trip_through_the_conversation():
    knowledge = bundled_knowledge()
    district = find_district(knowledge.places, "Südstadt", "Stadt Weimar")
    start = payload(knowledge.places, district, "de@simple")
    assert start == "d-we-suedstadt_l-de-simple_s-qr-we-suedstadt"  # 'suedstadt' alone would be ambiguous
    state = started_with(start)
    assert (state.locale, state.district_id, state.entry) == ("de@simple", "we-suedstadt", "qr-we-suedstadt")


def test_the_longest_payload_stays_within_telegrams_64_characters():
    knowledge = bundled_knowledge()
    district = find_district(knowledge.places, "Grünbühl")
    start = payload(knowledge.places, district, "de@simple", "single_parents")
    assert len(start) <= MAX_PAYLOAD and re.fullmatch(r"[A-Za-z0-9_-]+", start)
    assert start.startswith("d-gruenbuehl-sonnenberg_l-de-simple_n-single-parents_s-qr-")


def test_a_need_with_an_underscore_is_preset_by_the_deep_link():
    knowledge = bundled_knowledge()
    start = payload(knowledge.places, find_district(knowledge.places, "Eglosheim"), "ar", "early_help")
    assert started_with(start).needs == ("early_help",)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--district", "Südstadt", "--lang", "ar"), "'Südstadt' gibt es in mehreren Netzwerken (ludwigsburg, weimar)"),
        (("--district", "Atlantis", "--lang", "ar"), "Stadtteil oder Ort 'Atlantis' ist nicht bekannt"),
        (("--district", "Eglosheim", "--lang", "xx"), "Sprache 'xx' gibt es nicht (möglich: de, de@simple, en,"),
        (("--district", "Eglosheim", "--lang", "tr", "--need", "kita"), "Bedarf 'kita' gibt es nicht"),
        (("--district", "Eglosheim", "--lang", "tr", "--network", "Berlin"), "unbekanntes Netzwerk 'Berlin'"),
        (("--district", "Eglosheim", "--lang", "tr", "--source", "Plakat 1"), "--source 'Plakat 1' darf nur"),
        (("--district", "Eglosheim", "--lang", "tr", "--bot", "not a bot"), "'not a bot' ist kein Telegram-Bot-Name"),
        (("--district", "Eglosheim", "--lang", "de", "--bilingual"), "--bilingual stellt eine andere Sprache neben"),
    ],
)
def test_bad_options_are_one_line_and_exit_1(capsys, tmp_path: Path, args: tuple[str, ...], message: str):
    extra = () if "--bot" in args else ("--bot", BOT)
    code, out, err = qr(capsys, *args, *extra, "--out", str(tmp_path / "x.pdf"))
    assert code == 1 and out == ""
    assert err.startswith(f"Fehler: {message}") and err.count("\n") == 1
    assert not (tmp_path / "x.pdf").exists()


def test_without_a_bot_name_the_script_says_how_to_give_one(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    code, _, err = qr(capsys, "--district", "Eglosheim", "--lang", "tr", "--out", str(tmp_path / "x.pdf"))
    assert code == 1
    assert err == "Fehler: Bot-Name fehlt: --bot NAME angeben oder TELEGRAM_BOT_USERNAME setzen\n"


def test_the_poster_text_in_the_familys_language_comes_through_gettext():
    text = poster_text("uk", "Eglosheim", "money")
    assert "Eglosheim" in text.body and text.headline and text.footer
    assert text.topic  # the need label comes from the bot's translated button labels


def _boxes(pdf: Path) -> list[tuple[float, float, float, str]]:
    """The PDF's words as poppler extracts them, in reading order: (left edge, right edge, baseline from the top,
    word), in points."""
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils' pdftotext extracts the PDF text (apt-get install -y poppler-utils)")
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(float(x), float(r), float(y), html.unescape(w)) for x, r, y, w in re.findall(pattern, out)]


def _words(pdf: Path) -> list[tuple[float, float, str]]:
    """(left edge, baseline from the top, word) of every word of the PDF."""
    return [(x, y, w) for x, _, y, w in _boxes(pdf)]


def test_latin_words_in_an_arabic_poster_sit_where_right_to_left_reading_expects_them(capsys, tmp_path: Path):
    pdf = tmp_path / "ar.pdf"
    code, out, err = qr(
        capsys,
        "--bot",
        BOT,
        "--district",
        "Eglosheim",
        "--lang",
        "ar",
        "--web",
        "https://familienlotse.example.org",
        "--phone",
        "07141 0000-000",
        "--out",
        str(pdf),
    )
    assert code == 0, err
    assert out.splitlines()[1] == "https://familienlotse.example.org/angebote/ludwigsburg?lang=ar"
    codes = decoded(tmp_path / "ar.png")  # both scan: Telegram, and the web for families without it
    assert set(codes) == {
        f"https://t.me/{BOT}?start=d-eglosheim_l-ar_s-qr-eglosheim",
        "https://familienlotse.example.org/angebote/ludwigsburg?lang=ar",
    }
    words = _words(pdf)
    texts = [w for _, _, w in words]
    # Right to left, the sentence's final period stands LEFT of the last word. Before the RLM fix a wrapped line
    # starting with the district ran left to right and poppler read "Eglosheim." / "Telegram." at the wrong end.
    assert ".Eglosheim" in texts and ".Telegram" in texts
    footer_y = next(y for _, y, w in words if w == ".Telegram")
    german_footer_y = next(y for _, y, w in words if w == "Telegram-App.")
    assert german_footer_y - footer_y > 100  # not one mixed line: the German footer sits at the foot of the page
    digits = sorted((x, w) for x, y, w in words if w in ("07141", "0000-000") and y < german_footer_y - 100)
    assert [w for _, w in digits] == ["07141", "0000-000"]  # the phone number keeps its order in the Arabic line


PAGE_MIDDLE = 595 / 2  # points


def bilingual(capsys: pytest.CaptureFixture[str], tmp_path: Path, lang: str) -> list[tuple[float, float, float, str]]:
    pdf = tmp_path / f"{lang}.pdf"
    code, _, err = qr(
        capsys,
        *("--bot", BOT, "--district", "Eglosheim", "--lang", lang, "--bilingual", "--out", str(pdf)),
        *("--web", "https://familienlotse.example.org"),
    )
    assert code == 0, err
    return _boxes(pdf)


def test_a_bilingual_arabic_poster_has_arabic_in_the_right_column_and_german_in_the_left(capsys, tmp_path: Path):
    words = bilingual(capsys, tmp_path, "ar")
    arabic = [x for x, _, _, w in words if re.search(r"[\u0600-\u06ff]", w)]
    german = [right for _, right, _, w in words if w in ("Fragen", "Scannen", "Handykamera.", "Telegram-App.")]
    assert arabic and min(arabic) > PAGE_MIDDLE  # the column where right-to-left readers start
    assert len(german) >= 4 and max(german) < PAGE_MIDDLE
    texts = [w for _, _, _, w in words]
    assert ".Eglosheim" in texts and ".Telegram" in texts  # the final period left of the Latin word, as in RTL
    # no --phone: the network's Lotsen office from knowledge, its digits in order in both columns
    for column in (lambda x: x > PAGE_MIDDLE, lambda x: x < PAGE_MIDDLE):
        digits = sorted((x, w) for x, _, _, w in words if column(x) and w in ("030", "23125", "101"))
        assert [w for _, w in digits] == ["030", "23125", "101"]
    assert set(decoded(tmp_path / "ar.png")) == {
        f"https://t.me/{BOT}?start=d-eglosheim_l-ar_s-qr-eglosheim",
        "https://familienlotse.example.org/angebote/ludwigsburg?lang=ar",
    }


def test_a_bilingual_turkish_poster_reads_turkish_on_the_left_and_german_on_the_right(capsys, tmp_path: Path):
    words = bilingual(capsys, tmp_path, "tr")
    headline = {w: x for x, _, _, w in words if w in ("Aileniz", "Fragen")}
    assert headline["Aileniz"] < PAGE_MIDDLE < headline["Fragen"]
    # no word of the columns runs across the middle (the band at the top and the links under the two QR codes
    # stand in the middle)
    crossing = [
        w
        for x, right, y, w in words
        if y > 57 and x < PAGE_MIDDLE < right and not w.startswith(("t.me/", "familienlotse.example.org"))
    ]
    assert crossing == []
