"""Conversations in the database (SQLite and PostgreSQL): resumed after restart, erased on request, race-safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import inspect, select, text

from bot.bootstrap import App, bootstrap, conversation_service
from bot.conversation import ButtonPressed, Command, Step, Text
from bot.db.orm import CaseRow, DemandEventRow


def start(service, chat="telegram:42"):  # type: ignore[no-untyped-def]
    for event in (Command("start", user_language="de"), ButtonPressed("lang:de"), ButtonPressed("consent:yes")):
        service.handle(chat, event)


def test_a_restart_resumes_the_conversation_where_it_was(app: App):
    start(conversation_service(app))
    conversation_service(app).handle("telegram:42", ButtonPressed("age:3"))
    restarted = bootstrap(app.settings, load_examples=False)  # a new process on the same database
    assert conversation_service(restarted).state_of("telegram:42").step is Step.CHOOSING_NETWORK
    restarted.engine.dispose()


def test_handover_creates_a_case_with_only_what_was_agreed(app: App):
    service = conversation_service(app)
    start(service)
    service.handle("telegram:42", Text("my 4 year old in Eglosheim needs a Kita"))
    service.handle("telegram:42", Command("lotse"))
    service.handle("telegram:42", ButtonPressed("handover:yes"))
    service.handle("telegram:42", ButtonPressed("when:morning"))
    with app.uow() as session:
        case = session.scalars(select(CaseRow)).one()
    assert (case.district, case.age_months, case.needs, case.consent_version) == (
        "lb-eglosheim",
        48,
        "childcare",
        "2026-11",
    )


def test_after_delete_nothing_of_the_family_remains_in_any_table(app: App):
    service = conversation_service(app)
    start(service, "telegram:77")
    service.handle("telegram:77", Text("my 4 year old in Eglosheim needs a Kita"))
    service.handle("telegram:77", Command("lotse"))
    service.handle("telegram:77", ButtonPressed("handover:yes"))
    service.handle("telegram:77", ButtonPressed("when:any"))
    start(service, "telegram:88")  # another family stays
    service.handle("telegram:77", Command("delete"))
    service.handle("telegram:77", ButtonPressed("delete:yes"))
    with app.engine.connect() as connection:
        for table in inspect(app.engine).get_table_names():
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                assert "telegram:77" not in " ".join(str(v) for v in row), table
    assert service.state_of("telegram:88").step is Step.ASKING_AGE
    with app.uow() as session:  # the anonymous statistics stay: that is what the networks plan with
        outcomes = session.scalars(select(DemandEventRow.outcome)).all()
    assert sorted(outcomes) == ["handed_over", "nothing_fits"]  # no offers loaded in this database


def test_concurrent_updates_of_one_chat_lose_no_step(app: App):
    """Three answers that commute, sent at once for each of six chats: every answer must survive."""
    service = conversation_service(app)
    chats = [f"telegram:{n}" for n in range(6)]
    for chat in chats:
        start(service, chat)
    presses = [(chat, data) for chat in chats for data in ("age:3", "d:lb-eglosheim", "need:childcare")]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda job: service.handle(job[0], ButtonPressed(job[1])), presses))
    for chat in chats:
        state = service.state_of(chat)
        assert (state.age_months, state.district_id, state.needs) == (36, "lb-eglosheim", ("childcare",)), chat
