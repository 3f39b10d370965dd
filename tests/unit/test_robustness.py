"""Bad input is harmless: whatever a family sends, the core answers and never raises; logs stay clean."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation import ButtonPressed, Command, Media, SharedLocation, State, Step, Text, handle
from bot.conversation.flow import AGE_BANDS, NEED_LABELS
from bot.i18n import SUPPORTED, texts
from tests.unit.test_conversation import CONSENTED, buttons, run, services

REAL_BUTTONS = [
    *(f"lang:{c}" for c in SUPPORTED),
    "consent:yes",
    "consent:no",
    *(f"age:{b[0]}" for b in AGE_BANDS),
    "age:preg",
    "net:weimar",
    "net:choose",
    "d:lb-eglosheim",
    "d:we-suedstadt",
    *(f"need:{n}" for n in NEED_LABELS),
    "more",
    "other_need",
    "another_child",
    "lotse",
    "urgent",
    "handover:yes",
    "handover:no",
    "when:any",
    "delete:yes",
    "delete:no",
    "rate:3",
    "privacy",
    "restart",
    "language",
    "continue",
]
events = st.one_of(
    st.text(max_size=300).map(Text),
    st.sampled_from(REAL_BUTTONS).map(ButtonPressed),
    st.text(max_size=64).map(ButtonPressed),
    st.tuples(
        st.sampled_from(["start", "help", "language", "lotse", "privacy", "delete", "restart", "xyz"]),
        st.text(max_size=80),
    ).map(lambda c: Command(*c)),
    st.tuples(st.floats(-90, 90), st.floats(-180, 180)).map(lambda p: SharedLocation(*p)),
    st.sampled_from(["sticker", "photo", "voice", "document", "contact", "other"]).map(Media),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=12))
def test_any_sequence_of_events_always_gets_an_answer_and_never_raises(sequence):
    state = State()
    for event in sequence:
        outcome = handle(state, event, services())
        deleted = any(type(e).__name__ == "DeleteMyData" for e in outcome.effects)
        assert outcome.replies or deleted or outcome.state.step is Step.HANDED_OVER, (event, state.step)
        for reply in outcome.replies:
            assert reply.text.strip()
            assert all(len(b.data.encode()) <= 64 for row in reply.buttons for b in row)
        state = State.from_json(outcome.state.to_json())  # what the database would give back


@pytest.mark.parametrize(
    "text",
    [
        "x" * 4096,
        "Hallo\x00\x01\x02\x1b[31m Kita \x7f",
        "\u200b\u200c\u200d\ufeff",  # zero-width only
        "Kita\u200bplatz in Egl\u200bosheim",
        "😀😀😀🙏",
        "مرحبا Kita Привіт çocuk 3",  # mixed scripts
        "\u202eKita\u202c",  # a right-to-left override
        " ",
    ],
)
def test_odd_texts_get_a_friendly_answer(text: str):
    _, outcomes = run([*CONSENTED, Text(text)])
    assert outcomes[-1].replies and all(r.text.strip() for r in outcomes[-1].replies)


CRISIS = {
    "de": "mein Mann schlägt mich",
    "de@simple": "mein Mann schlägt mich",
    "en": "my husband hits me",
    "tr": "kocam beni dövüyor",
    "ar": "زوجي يضربني",
    "uk": "чоловік мене б'є",
    "ru": "муж меня бьёт",
    "fa": "شوهرم مرا کتک می‌زند",
    "ro": "soțul meu mă bate",
    "pl": "mąż mnie bije",
    "it": "mio marito mi picchia",
    "hr": "muž me tuče",
    "sq": "burri më rreh",
    "ku": "mêrê min li min dixe",
}


@pytest.mark.parametrize("code", SUPPORTED)
def test_a_crisis_in_any_language_gets_emergency_numbers_in_that_language_in_one_reply(code: str):
    start = [Command("start", user_language="de"), ButtonPressed(f"lang:{code}"), ButtonPressed("consent:yes")]
    state, outcomes = run([*start, Text(CRISIS[code])])
    [reply] = outcomes[-1].replies
    assert reply.text.startswith(texts(code)._("If you or a child are in danger right now, please call:"))
    assert "110" in reply.text and "116 016" in reply.text
    assert "urgent" in buttons(outcomes[-1]) and state.emergency


def test_logs_carry_no_message_text_and_no_chat_id(caplog: pytest.LogCaptureFixture, app):
    from bot.bootstrap import conversation_service

    service = conversation_service(app)
    secret = "Meine Tochter Leyla hat Asthma, Telefon 0171 1234567"
    with caplog.at_level(logging.DEBUG):
        for event in (*CONSENTED, Text(secret), Text("mein Mann schlägt mich")):
            service.handle("telegram:987654321", event)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Leyla" not in logged and "0171" not in logged and "schlägt" not in logged
    assert "987654321" not in logged and "handled" in logged
