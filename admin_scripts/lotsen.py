"""Register the Lotsen (navigators), their groups and office hours. Only registered Lotsen can take cases.

examples:
  python -m admin_scripts.lotsen add --telegram-id 123456789 --name "Aylin (Lotsin)" --languages de tr ar
  python -m admin_scripts.lotsen add --telegram-id 987654321 --name "Familienbüro Oststadt" --districts Oststadt
  python -m admin_scripts.lotsen list
  python -m admin_scripts.lotsen remove --telegram-id 123456789     # their open cases go back to the queue
  python -m admin_scripts.lotsen group --chat-id -1001234567890 --network weimar [--district Altstadt] [--language ar]
  python -m admin_scripts.lotsen hours --network ludwigsburg "Mo-Do 09:00-16:00; Fr 09:00-12:00"
  python -m admin_scripts.lotsen hours --network ludwigsburg        # show them
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy import delete, select

from admin_scripts._cli import EXIT_OK, ScriptError, open_app, parser, run
from bot.bootstrap import App, handover_service
from bot.db.orm import CaseRow, LotsenGroupRow, LotseRow, OfficeHoursRow
from bot.domain.offers import OpeningHoursError, OpeningSlot, format_opening_hours, parse_opening_hours
from bot.i18n import SUPPORTED


def _districts(app: App, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        found = app.knowledge.places.named(name)
        if len(found) != 1:
            raise ScriptError(f"Stadtteil/Ort '{name}' ist {'mehrdeutig' if found else 'unbekannt'}")
        ids.append(found[0].id)
    return ids


def _languages(codes: list[str]) -> list[str]:
    for code in codes:
        if code not in SUPPORTED:
            raise ScriptError(f"Sprache '{code}' gibt es nicht (möglich: {', '.join(SUPPORTED)})")
    return codes


def _network(app: App, network_id: str) -> str:
    if app.knowledge.places.network(network_id) is None:
        known = ", ".join(n.id for n in app.knowledge.places.networks)
        raise ScriptError(f"unbekanntes Netzwerk '{network_id}' (bekannt: {known})")
    return network_id


def cmd_add(app: App, args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name or len(name) > 80:
        raise ScriptError("--name: Vorname oder Rolle, 1 bis 80 Zeichen (Familien sehen ihn)")
    with app.uow() as session:
        lotse = session.scalar(select(LotseRow).where(LotseRow.telegram_user_id == args.telegram_id))
        verb = "geändert" if lotse else "angelegt"
        lotse = lotse or LotseRow(telegram_user_id=args.telegram_id)
        lotse.name, lotse.active = name, True
        lotse.districts = ",".join(_districts(app, args.districts or []))
        lotse.languages = ",".join(_languages(args.languages or []))
        session.add(lotse)
    print(f"Lotse {name} ({args.telegram_id}) {verb}")
    return EXIT_OK


def cmd_list(app: App, _args: argparse.Namespace) -> int:
    with app.uow() as session:
        for lotse in session.scalars(select(LotseRow).order_by(LotseRow.name)):
            state = "" if lotse.active else " (inaktiv)"
            print(f"{lotse.telegram_user_id}\t{lotse.name}{state}\t{lotse.languages or '-'}\t{lotse.districts or '-'}")
        for group in session.scalars(select(LotsenGroupRow).order_by(LotsenGroupRow.id)):
            scope = " ".join(
                f"{k}={v}"
                for k, v in (("network", group.network), ("district", group.district), ("language", group.language))
                if v
            )
            print(f"Gruppe {group.chat_id}\t{scope}")
    return EXIT_OK


def cmd_remove(app: App, args: argparse.Namespace) -> int:
    handover = handover_service(app)
    with app.uow() as session:
        lotse = session.scalar(select(LotseRow).where(LotseRow.telegram_user_id == args.telegram_id))
        if lotse is None:
            raise ScriptError(f"kein Lotse mit Telegram-ID {args.telegram_id}")
        lotse.active = False  # kept inactive: closed cases still name who had them
        # Nobody else could take their open cases (claimed_by stays theirs): back to the queue, visibly.
        cases = session.scalars(select(CaseRow).where(CaseRow.claimed_by == lotse.id, CaseRow.status == "claimed"))
        freed = [case.id for case in cases]
        for case in session.scalars(select(CaseRow).where(CaseRow.id.in_(freed))):
            handover.release(session, case, f"{lotse.name} ist nicht mehr im Team")
    print(f"Lotse {args.telegram_id} kann keine Fälle mehr übernehmen")
    if freed:
        print(f"{len(freed)} Fälle wieder offen: {', '.join(f'#{i}' for i in freed)}")
    return EXIT_OK


def cmd_group(app: App, args: argparse.Namespace) -> int:
    network = _network(app, args.network) if args.network else None
    district = _districts(app, [args.district])[0] if args.district else None
    language = _languages([args.language])[0] if args.language else None
    with app.uow() as session:
        session.add(LotsenGroupRow(chat_id=args.chat_id, network=network, district=district, language=language))
    print(f"Gruppe {args.chat_id} bekommt Fälle für {district or language or network or 'alle'}")
    return EXIT_OK


def cmd_hours(app: App, args: argparse.Namespace) -> int:
    network = _network(app, args.network)
    with app.uow() as session:
        if args.hours is None:
            rows = session.scalars(select(OfficeHoursRow).where(OfficeHoursRow.network == network)).all()
            slots = tuple(OpeningSlot(r.weekday, r.opens, r.closes) for r in rows)
            print(format_opening_hours(slots) or "keine Sprechzeiten eingetragen (Lotsen antworten jederzeit)")
            return EXIT_OK
        try:
            slots = parse_opening_hours(args.hours)
        except OpeningHoursError as exc:
            raise ScriptError(str(exc)) from exc
        session.execute(delete(OfficeHoursRow).where(OfficeHoursRow.network == network))
        session.add_all(
            OfficeHoursRow(network=network, weekday=s.weekday, opens=s.opens, closes=s.closes) for s in slots
        )
    print(f"Sprechzeiten {network}: {format_opening_hours(slots) or 'keine (jederzeit)'}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    p = parser("python -m admin_scripts.lotsen", __doc__)
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = commands.add_parser("add", help="register or update a Lotse")
    c.add_argument("--telegram-id", type=int, required=True)
    c.add_argument("--name", required=True, help="first name or role, shown to families")
    c.add_argument("--districts", nargs="*")
    c.add_argument("--languages", nargs="*")
    c.set_defaults(func=cmd_add)
    c = commands.add_parser("list", help="all Lotsen and groups")
    c.set_defaults(func=cmd_list)
    c = commands.add_parser("remove", help="a Lotse can no longer take cases; their open cases are freed")
    c.add_argument("--telegram-id", type=int, required=True)
    c.set_defaults(func=cmd_remove)
    c = commands.add_parser("group", help="route cases of a network/district/language to a Telegram group")
    c.add_argument("--chat-id", type=int, required=True)
    c.add_argument("--network")
    c.add_argument("--district")
    c.add_argument("--language")
    c.set_defaults(func=cmd_group)
    c = commands.add_parser("hours", help='office hours of a network, e.g. hours --network weimar "Mo-Fr 09:00-15:00"')
    c.add_argument("--network", required=True)
    c.add_argument("hours", nargs="?")
    c.set_defaults(func=cmd_hours)
    args = p.parse_args(argv)
    return args.func(open_app(args), args)


if __name__ == "__main__":
    sys.exit(run(main))
