"""The check-in end to end: the real PTB Application, its check-in job and outbox sender, on FakeBotApi.

A Turkish family agrees under the offers (typed "evet"); a week later (the clock moved, never slept) the job
asks it once, in Turkish, with one tap per answer; "could not reach" leads to a Lotse with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.adapters.telegram import build_application
from bot.bootstrap import App, conversation_service
from bot.db.orm import CaseRow, CheckInOutcomeRow
from bot.i18n import texts
from tests.e2e.conftest import Family, bot_settings, polling
from tests.fakes import FakeBotApi, buttons_of

GROUP = -1004321
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def data_of(message: dict) -> list[str]:
    return [button["callback_data"] for button in buttons_of(message)]


async def test_a_family_that_agreed_is_asked_once_a_week_later_and_could_not_reach_leads_to_a_lotse(
    example_app: App, bot_api: FakeBotApi
) -> None:
    tr = texts("tr")
    clock = Clock(TUESDAY)
    example_app.settings = replace(example_app.settings, lotsen_chat_id=GROUP)
    service = conversation_service(example_app)
    service.services = replace(service.services, now=clock)  # one clock for the core, the handover, the job
    service.handover.now = clock
    application = build_application(bot_settings(example_app, bot_api), service)
    async with polling(application):
        family = Family(bot_api, 7001, "tr")
        await family.says("/start")
        await family.taps("lang:tr")
        await family.taps("consent:yes", replies=2)
        for step in ("age:3", "net:ludwigsburg", "d:lb-eglosheim"):
            await family.taps(step)
        [offers] = await family.taps("need:childcare")
        assert tr.n_("May I ask you in {count} day whether it worked out?", "", 7) in offers["text"]
        assert {"fu:yes", "fu:no"} <= set(data_of(offers))
        [thanks] = await family.says("evet")
        assert thanks["text"] == tr.n_(
            "Thank you! I'll ask you in {count} day. /stop ends such questions.",
            "Thank you! I'll ask you in {count} days. /stop ends such questions.",
            7,
        )

        job = application.bot_data.checkins
        assert job is not None
        clock.now = TUESDAY + timedelta(days=6, hours=23)
        assert await job.round() == 0  # not yet due
        clock.now = TUESDAY + timedelta(days=7)
        assert await job.round() == 1
        [question] = await family.wait_for_new(1)
        assert question["text"].startswith(tr._("Hello again! You allowed me to ask you this:"))
        assert data_of(question) == ["ci:reached", "ci:not_yet", "ci:could_not"]
        assert await job.round() == 0  # asked once

        [why] = await family.taps("ci:could_not")
        assert why["text"] == tr._("I'm sorry. What got in the way?")
        [way_on] = await family.taps("ci:why:no_place")
        assert {"ci:person", "ci:others", "ci:done"} == set(data_of(way_on))
        [consent] = await family.taps("ci:person")
        assert data_of(consent) == ["handover:yes", "handover:no"]
        await family.taps("handover:yes")

    with example_app.uow() as session:
        case = session.scalars(select(CaseRow)).one()
        outcome = session.scalars(select(CheckInOutcomeRow)).one()
        assert case.reason == "checkin:no_place"
        assert "Anlass: Antwort auf die Nachfrage des Bots – kein Platz frei" in service.handover.note_text(case)
    assert (outcome.outcome, outcome.reason, outcome.locale, outcome.need) == (
        "could_not",
        "no_place",
        "tr",
        "childcare",
    )
