"""Whole dialogues as data, in all 14 languages: what a family types (or taps) and what must be true after it.

Each row is (name, locale, [(event, Expect), ...]); one driver runs them all. An Expect names the step, facts of
the state, effects of that turn and words of the reply — the state and the effects matter, not only the words.
Over every dialogue: a case is requested at most once (never silently lost, never twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from bot.conversation import ButtonPressed, Command, State, Step, Text, handle
from bot.conversation.flow import Services
from bot.conversation.model import (
    CaseClosed,
    ContactTimeGiven,
    CountRequest,
    DeleteMyData,
    EscalateCase,
    Event,
    Outcome,
    RelayToLotse,
    RequestHandover,
)
from bot.i18n import SUPPORTED, texts
from bot.understanding import Understanding
from tests.unit.test_conversation import TUESDAY_MORNING, services

# ----------------------------------------------------------------- what each language types


@dataclass(frozen=True)
class Words:
    yes: str  # a typed yes ("ja bitte", "evet")
    crisis: str  # a message that is an emergency
    when: str  # a contact time in the family's words
    thanks: str


WORDS: dict[str, Words] = {
    "de": Words("ja bitte", "mein Mann schlägt mich", "morgen früh", "danke"),
    "de@simple": Words("ja", "mein Mann schlägt mich", "ab 17 Uhr", "danke"),
    "en": Words("yes please", "my husband hits me", "now please, he is at work until 5", "thank you"),
    "tr": Words("evet", "kocam beni dovuyor", "yarın sabah", "teşekkürler"),
    "ar": Words("نعم", "زوجي يضربني", "بعد الظهر", "شكرا"),
    "uk": Words("так", "чоловік мене б'є", "вранці", "дякую"),
    "ru": Words("да", "муж меня бьёт", "после обеда", "спасибо"),
    "fa": Words("بله", "شوهرم مرا کتک می‌زند", "فردا صبح", "ممنون"),
    "ro": Words("da", "soțul meu mă bate", "dimineața", "mulțumesc"),
    "pl": Words("tak", "mąż mnie bije", "po południu", "dziękuję"),
    "it": Words("sì", "mio marito mi picchia", "domani mattina", "grazie"),
    "hr": Words("da", "muž me tuče", "ujutro", "hvala"),
    "sq": Words("po", "burri më rreh", "pasdite", "faleminderit"),
    "ku": Words("erê", "mêrê min min dixe", "sibê", "spas"),
}
assert set(WORDS) == set(SUPPORTED)


# A need said with "I don't know what to do", and a need asked as a question: both answer "what do you need?".
NEED_SAID: dict[str, tuple[str, str]] = {  # (debts + "I don't know what to do", "how do I get Kindergeld?")
    "de": ("wir haben schulden und ich weiß nicht was ich tun soll", "wie bekomme ich kindergeld?"),
    "de@simple": ("ich habe schulden. ich weiß nicht weiter.", "wie bekomme ich kindergeld?"),
    "en": ("we have debts and i don't know what to do", "how do i get kindergeld?"),
    "tr": ("borçlarımız var, ne yapacağımı bilmiyorum", "kindergeld nasıl alırım?"),
    "ar": ("علينا ديون وما بعرف شو أعمل", "كيف أحصل على Kindergeld؟"),
    "uk": ("у нас борги, я не знаю що робити", "як отримати Kindergeld?"),
    "ru": ("у нас долги, не знаю что делать", "как получить Kindergeld?"),
    "fa": ("بدهی داریم و نمی‌دونم چیکار کنم", "چطور Kindergeld بگیرم؟"),
    "ro": ("avem datorii și nu știu ce să fac", "cum primesc Kindergeld?"),
    "pl": ("mamy długi i nie wiem co robić", "jak dostać Kindergeld?"),
    "it": ("abbiamo debiti e non so cosa fare", "come ottengo il Kindergeld?"),
    "hr": ("imamo dugove i ne znam što da radim", "kako dobiti Kindergeld?"),
    "sq": ("kemi borxhe dhe nuk di çfarë të bëj", "si ta marr Kindergeld?"),
    "ku": ("deynên me hene û ez nizanim çi bikim", "ez çawa Kindergeld bistînim?"),
}
assert set(NEED_SAID) == set(SUPPORTED)


def label(locale: str, msgid: str) -> Text:
    """The family types a button's label in its language instead of tapping it."""
    return Text(texts(locale)._(msgid))


# ----------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Expect:
    step: Step | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # State attributes and their values
    has: tuple[type, ...] = ()  # effect types emitted in this turn
    lacks: tuple[type, ...] = ()  # effect types that must not be emitted in this turn
    says: tuple[str, ...] = ()  # msgids whose translation the reply contains
    buttons: tuple[str, ...] = ()  # button data offered
    check: Callable[[State, Outcome], bool] | None = None  # anything else, as one readable predicate


def E(step: Step | None = None, **kwargs: Any) -> Expect:  # short: rows read like E(Step.ASKING_AGE, ...)
    options = {k: kwargs.pop(k) for k in ("has", "lacks", "says", "buttons", "check") if k in kwargs}
    return Expect(step, kwargs, **options)


ANY = E()
ACK = "I've passed that on to the Lotse. They will answer you here."
Row = tuple[str, str, list[tuple[Event, Expect]]]


def start(locale: str) -> list[tuple[Event, Expect]]:
    return [
        (Command("start", user_language=locale.split("@")[0]), E(Step.CHOOSING_LANGUAGE)),
        (ButtonPressed(f"lang:{locale}"), E(Step.ASKING_CONSENT, locale=locale)),
    ]


def consented(locale: str) -> list[tuple[Event, Expect]]:
    return [*start(locale), (ButtonPressed("consent:yes"), E(Step.ASKING_AGE))]


def to_offers(locale: str) -> list[tuple[Event, Expect]]:
    return [
        *consented(locale),
        (ButtonPressed("age:3"), E(Step.CHOOSING_NETWORK)),
        (ButtonPressed("net:ludwigsburg"), E(Step.ASKING_DISTRICT)),
        (ButtonPressed("d:lb-eglosheim"), E(Step.CHOOSING_NEED)),
        (ButtonPressed("need:childcare"), E(Step.SHOWING_OFFERS, has=(CountRequest,))),
    ]


def handed_over(locale: str) -> list[tuple[Event, Expect]]:
    return [
        *to_offers(locale),
        (ButtonPressed("lotse"), E(Step.CONFIRMING_HANDOVER)),
        (ButtonPressed("handover:yes"), E(Step.ASKING_CONTACT_TIME, case_open=True, has=(RequestHandover,))),
        (ButtonPressed("when:evening"), E(Step.HANDED_OVER, has=(ContactTimeGiven,))),
    ]


def urgent(outcome: Outcome) -> bool:
    return any(isinstance(e, RequestHandover) and e.urgent for e in outcome.effects)


def typed_time(text: str) -> Callable[[State, Outcome], bool]:
    """The contact time is kept exactly in the family's words (or, if it was a button's label, as that choice)."""

    def kept(_state: State, outcome: Outcome) -> bool:
        [given] = [e for e in outcome.effects if isinstance(e, ContactTimeGiven)]
        return (given.typed and given.value == text) or (not given.typed and given.value in ("morning", "afternoon"))

    return kept


# ----------------------------------------------------------------- dialogues for every language


def typed_yes_at_consent(loc: str) -> list[tuple[Event, Expect]]:
    return [*start(loc), (Text(WORDS[loc].yes), E(Step.ASKING_AGE, consent_version="2026-11"))]


def typed_labels_all_the_way_to_a_person(loc: str) -> list[tuple[Event, Expect]]:
    """Every button typed instead of tapped: consent, age band, town, whole town, need, person, yes, time."""
    return [
        *start(loc),
        (label(loc, "Yes, let's start"), E(Step.ASKING_AGE, consent_version="2026-11")),
        (label(loc, "3–5 years"), E(Step.CHOOSING_NETWORK, age_months=36)),
        (Text("Weimar"), E(Step.ASKING_DISTRICT, network_id="weimar", buttons=("place:town", "net:choose"))),
        (label(loc, "Whole town"), E(Step.CHOOSING_NEED, whole_town=True, district_id=None)),
        (label(loc, "Kita & childcare"), E(Step.SHOWING_OFFERS, needs=("childcare",), buttons=("change", "lotse"))),
        (label(loc, "Talk to a person"), E(Step.CONFIRMING_HANDOVER)),
        (Text(WORDS[loc].yes), E(Step.ASKING_CONTACT_TIME, case_open=True, has=(RequestHandover,), words=())),
        (Text(WORDS[loc].when), E(Step.HANDED_OVER, has=(ContactTimeGiven,), check=typed_time(WORDS[loc].when))),
    ]


def crisis_first_then_a_person(loc: str) -> list[tuple[Event, Expect]]:
    """Numbers first, the crisis message's facts kept, protection set; typed yes = a person now, urgent."""
    crisis = f"{WORDS[loc].crisis}, Eglosheim"
    return [
        *consented(loc),
        (
            Text(crisis),
            E(
                Step.CHOOSING_AFTER_CRISIS,
                emergency=True,
                district_id="lb-eglosheim",
                buttons=("urgent", "continue"),
                check=lambda s, o: "110" in o.replies[0].text and "protection" in s.needs,
            ),
        ),
        (Text(WORDS[loc].yes), E(Step.CONFIRMING_HANDOVER, handover_reason="emergency")),
        (
            Text(WORDS[loc].yes),
            E(Step.HANDED_OVER, case_open=True, check=lambda s, o: urgent(o) and not s.words, has=(RequestHandover,)),
        ),
    ]


def crisis_before_consent(loc: str) -> list[tuple[Event, Expect]]:
    """A crisis before any question: numbers first, then still the short pass-on okay, then an urgent case."""
    return [
        *start(loc),
        (Text(WORDS[loc].crisis), E(Step.CHOOSING_AFTER_CRISIS, consent_version=None, lacks=(RequestHandover,))),
        (ButtonPressed("urgent"), E(Step.CONFIRMING_HANDOVER, lacks=(RequestHandover,))),
        (ButtonPressed("handover:yes"), E(Step.HANDED_OVER, consent_version="2026-11", check=lambda s, o: urgent(o))),
    ]


def crisis_before_consent_typed_all_the_way(loc: str) -> list[tuple[Event, Expect]]:
    """The same, typed: a miss at the urgent question asks it again (never the consent question instead), and
    a yes held long ("jaaa", "evettt") or "help" passes the case on, urgent."""
    held_yes = WORDS[loc].yes + WORDS[loc].yes[-1] * 2
    return [
        *start(loc),
        (Text(WORDS[loc].crisis), E(Step.CHOOSING_AFTER_CRISIS, consent_version=None)),
        (Text(WORDS[loc].yes), E(Step.CONFIRMING_HANDOVER, handover_reason="emergency")),
        (Text("xqzv"), E(Step.CONFIRMING_HANDOVER, lacks=(RequestHandover,), buttons=("handover:yes",))),
        (Text(held_yes), E(Step.HANDED_OVER, consent_version="2026-11", check=lambda s, o: urgent(o))),
    ]


def crisis_then_continue(loc: str) -> list[tuple[Event, Expect]]:
    """'Continue' after the numbers goes back to where the family was — here, the need question."""
    return [
        *consented(loc),
        (ButtonPressed("age:6"), E(Step.CHOOSING_NETWORK)),
        (ButtonPressed("net:esslingen"), E(Step.ASKING_DISTRICT)),
        (ButtonPressed("d:es-neuhausen"), E(Step.CHOOSING_NEED)),
        (Text(WORDS[loc].crisis), E(Step.CHOOSING_AFTER_CRISIS, resume=Step.CHOOSING_NEED)),
        (label(loc, "Continue"), E(Step.SHOWING_OFFERS, needs=("protection",), lacks=(RequestHandover,))),
    ]


def after_the_handover(loc: str) -> list[tuple[Event, Expect]]:
    """Relayed and acknowledged; /language and /delete->No keep the relay; a crisis escalates the same case."""
    return [
        *handed_over(loc),
        (Text("Hallo?"), E(Step.HANDED_OVER, has=(RelayToLotse,), says=(ACK,))),
        (Text("noch eine Frage"), E(Step.HANDED_OVER, has=(RelayToLotse,), check=lambda s, o: not o.replies)),
        (Command("language"), E(Step.CHOOSING_LANGUAGE, resume=Step.HANDED_OVER)),
        (ButtonPressed(f"lang:{loc}"), E(Step.HANDED_OVER, case_open=True)),
        (Command("delete"), E(Step.CONFIRMING_DELETE)),
        (ButtonPressed("delete:no"), E(Step.HANDED_OVER, case_open=True, lacks=(DeleteMyData,))),
        (Text("1234"), E(Step.HANDED_OVER, has=(RelayToLotse,))),
        (
            Text(WORDS[loc].crisis),
            E(
                Step.HANDED_OVER,
                has=(EscalateCase, RelayToLotse),
                lacks=(RequestHandover,),
                check=lambda s, o: "110" in o.replies[0].text,
            ),
        ),
    ]


def after_the_case_was_closed(loc: str) -> list[tuple[Event, Expect]]:
    """CaseClosed from the Lotsen: the next message is not relayed to nobody; the search returns, facts kept.
    The family is asked (through the outbox) whether the bot may check in later; thanks is no answer to it."""
    return [
        *handed_over(loc),
        (CaseClosed(), E(Step.OFFERING_CHECKIN, case_open=False)),
        (
            Text(WORDS[loc].thanks),
            E(
                lacks=(RelayToLotse,),
                district_id="lb-eglosheim",
                needs=("childcare",),
                check=lambda s, o: bool(o.replies),
            ),
        ),
        (Command("lotse"), E(Step.CONFIRMING_HANDOVER)),
        (ButtonPressed("handover:yes"), E(Step.ASKING_CONTACT_TIME, has=(RequestHandover,))),
    ]


def typed_contact_time_label(loc: str) -> list[tuple[Event, Expect]]:
    return [
        *to_offers(loc),
        (Command("lotse"), E(Step.CONFIRMING_HANDOVER)),
        (label(loc, "Yes, pass it on"), E(Step.ASKING_CONTACT_TIME, has=(RequestHandover,))),
        (
            label(loc, "Afternoon"),
            E(Step.HANDED_OVER, check=lambda s, o: ContactTimeGiven("afternoon") in o.effects),
        ),
    ]


def a_miss_never_loops(loc: str) -> list[tuple[Event, Expect]]:
    return [
        *consented(loc),
        (Text("xqzv"), E(Step.ASKING_AGE, misses=1)),
        (Text("qqq zzz"), E(Step.ASKING_AGE, misses=2, buttons=("age:skip", "lotse"))),
        (ButtonPressed("age:skip"), E(Step.CHOOSING_NETWORK, age_known=True)),
    ]


def thanks_after_offers_is_not_a_miss(loc: str) -> list[tuple[Event, Expect]]:
    return [*to_offers(loc), (Text(WORDS[loc].thanks), E(Step.SHOWING_OFFERS, misses=0, needs=("childcare",)))]


def at_the_need_question(loc: str) -> list[tuple[Event, Expect]]:
    return [
        *consented(loc),
        (Text("4"), E(Step.CHOOSING_NETWORK, age_months=48)),
        (Text("Weimar"), E(Step.ASKING_DISTRICT, network_id="weimar")),
        (label(loc, "Whole town"), E(Step.CHOOSING_NEED, whole_town=True)),
    ]


def a_need_with_i_dont_know_is_the_need(loc: str) -> list[tuple[Event, Expect]]:
    """ "Debts, I don't know what to do" names a need: the offers, not the "I don't know" way to a person."""
    return [
        *at_the_need_question(loc),
        (Text(NEED_SAID[loc][0]), E(Step.SHOWING_OFFERS, check=lambda s, o: s.needs[:1] == ("debt",))),
    ]


def a_question_naming_the_need_is_the_need(loc: str) -> list[tuple[Event, Expect]]:
    """ "How do I get Kindergeld?" before any offer is shown: the need, not an offer question or a miss."""
    return [
        *at_the_need_question(loc),
        (Text(NEED_SAID[loc][1]), E(Step.SHOWING_OFFERS, misses=0, check=lambda s, o: s.needs[:1] == ("money",))),
    ]


def the_town_again_is_the_whole_town(loc: str) -> list[tuple[Event, Expect]]:
    """At "which part of Weimar?", "Weimar" (or its shared postcode) again: the whole town, never a third ask."""
    return [
        *consented(loc),
        (Text("4"), E(Step.CHOOSING_NETWORK)),
        (Text("Weimar"), E(Step.ASKING_DISTRICT, network_id="weimar")),
        (Text("99427" if loc in ("de", "en", "ar") else "Weimar"), E(Step.CHOOSING_NEED, whole_town=True)),
    ]


PER_LOCALE: tuple[Callable[[str], list[tuple[Event, Expect]]], ...] = (
    typed_yes_at_consent,
    typed_labels_all_the_way_to_a_person,
    crisis_first_then_a_person,
    crisis_before_consent,
    crisis_before_consent_typed_all_the_way,
    crisis_then_continue,
    after_the_handover,
    after_the_case_was_closed,
    typed_contact_time_label,
    a_miss_never_loops,
    thanks_after_offers_is_not_a_miss,
    a_need_with_i_dont_know_is_the_need,
    a_question_naming_the_need_is_the_need,
    the_town_again_is_the_whole_town,
)

# ----------------------------------------------------------------- single dialogues, as the issue told them

SINGLE: list[Row] = [
    (
        "a Turkish half year at the age question",
        "tr",
        [*consented("tr"), (Text("2 bucuk yasinda"), E(Step.CHOOSING_NETWORK, age_months=30))],
    ),
    ("a bare number is an age", "de", [*consented("de"), (Text("4"), E(Step.CHOOSING_NETWORK, age_months=48))]),
    (
        "two children at once",
        "de",
        [
            *consented("de"),
            (Text("5 und 9"), E(Step.CHOOSING_NETWORK, children_months=(60, 108), age_months=60, age_until_months=108)),
        ],
    ),
    (
        "weimar typed at where do you live",
        "en",
        [
            *consented("en"),
            (ButtonPressed("age:3"), E(Step.CHOOSING_NETWORK)),
            (Text("weimar"), E(Step.ASKING_DISTRICT, network_id="weimar")),
            (Text("I don't know"), ANY),
        ],
    ),
    (
        "Ludwigsburg typed chooses the town, with a way out",
        "de",
        [
            *consented("de"),
            (ButtonPressed("age:3"), E(Step.CHOOSING_NETWORK)),
            (
                Text("Ludwigsburg"),
                E(Step.ASKING_DISTRICT, network_id="ludwigsburg", buttons=("place:town", "net:choose")),
            ),
            (ButtonPressed("place:town"), E(Step.CHOOSING_NEED, whole_town=True)),
            (ButtonPressed("need:leisure"), E(Step.SHOWING_OFFERS, check=lambda s, o: "(" in o.replies[-1].text)),
        ],
    ),
    (
        "an ambiguous name has a way out",
        "de",
        [
            *consented("de"),
            (ButtonPressed("age:6"), E(Step.CHOOSING_NETWORK)),
            (
                Text("wir wohnen in der Südstadt"),
                E(Step.ASKING_DISTRICT, buttons=("d:lb-suedstadt", "net:choose", "lotse")),
            ),
            (ButtonPressed("net:choose"), E(Step.CHOOSING_NETWORK, district_candidates=())),
        ],
    ),
    (
        "a question after the offers changes no fact",
        "en",
        [
            *to_offers("en"),
            (Text("is it open on Saturday?"), E(Step.SHOWING_OFFERS, age_months=36, needs=("childcare",))),
            (Text("how much is 80 Euro?"), E(Step.SHOWING_OFFERS, age_months=36)),
        ],
    ),
    (
        "a Turkish question about an offer",
        "tr",
        [*to_offers("tr"), (Text("cumartesi açık mı?"), E(Step.SHOWING_OFFERS, age_months=36, misses=0))],
    ),
    (
        "a later age is confirmed in one line",
        "en",
        [
            *to_offers("en"),
            (
                Text("my son is 10"),
                E(Step.CONFIRMING_FACT, age_months=36, pending_fact="age:120", buttons=("fact:yes",)),
            ),
            (Text("yes"), E(Step.SHOWING_OFFERS, age_months=120, pending_fact=None, has=(CountRequest,))),
        ],
    ),
    (
        "a later age can be refused",
        "de",
        [
            *to_offers("de"),
            (Text("er ist 10"), E(Step.CONFIRMING_FACT)),
            (Text("nein"), E(Step.SHOWING_OFFERS, age_months=36)),
        ],
    ),
    (
        "school for two weeks does not make a teenager a baby",
        "en",
        [
            *consented("en"),
            (Text("15"), E(Step.CHOOSING_NETWORK, age_months=180)),
            (ButtonPressed("net:ludwigsburg"), ANY),
            (ButtonPressed("d:lb-eglosheim"), E(Step.CHOOSING_NEED)),
            (
                Text("he hasn't gone to school for two weeks"),
                E(check=lambda s, o: s.age_months == 180 or s.pending_fact),
            ),
        ],
    ),
    (
        "'la grande' marks no pregnancy once the age is known",
        "it",
        [*to_offers("it"), (Text("la grande"), E(pregnant=False, age_months=36))],
    ),
    (
        "a need named later is added, not swapped",
        "de",
        [
            *to_offers("de"),
            (
                Text("und Hausaufgabenhilfe"),
                E(Step.SHOWING_OFFERS, check=lambda s, o: s.needs[:2] == ("school", "childcare")),
            ),
        ],
    ),
    (
        "a district named later is confirmed",
        "de",
        [
            *to_offers("de"),
            (Text("wir sind nach Oßweil umgezogen"), E(Step.CONFIRMING_FACT, district_id="lb-eglosheim")),
            (ButtonPressed("fact:yes"), E(Step.SHOWING_OFFERS, district_id="lb-ossweil")),
        ],
    ),
    (
        "the understood line and [change] before the results",
        "de",
        [
            *consented("de"),
            (Text("2 Jahre, Oßweil, Kita"), E(Step.SHOWING_OFFERS, check=lambda s, o: "Oßweil" in o.replies[-1].text)),
            (ButtonPressed("change"), E(Step.CHOOSING_CHANGE, buttons=("change:age", "change:place", "change:need"))),
            (ButtonPressed("change:place"), E(Step.CHOOSING_NETWORK, district_id=None, age_months=24)),
        ],
    ),
    (
        "change, then back, shows the same results",
        "en",
        [
            *to_offers("en"),
            (ButtonPressed("change"), E(Step.CHOOSING_CHANGE)),
            (label("en", "Back"), E(Step.SHOWING_OFFERS, lacks=(CountRequest,))),
        ],
    ),
    (
        "all the family's words reach the case, then are gone",
        "de",
        [
            *consented("de"),
            (Text("wir wohnen in Eglosheim"), ANY),
            (Text("meine Tochter ist 3"), ANY),
            (Text("wir brauchen eine Kita"), ANY),
            (
                Text("bitte schnell, ich arbeite ab Januar"),
                E(
                    words=(
                        "wir wohnen in Eglosheim",
                        "meine Tochter ist 3",
                        "wir brauchen eine Kita",
                        "bitte schnell, ich arbeite ab Januar",
                    )
                ),
            ),
            (Command("lotse"), ANY),
            (
                ButtonPressed("handover:yes"),
                E(
                    words=(),
                    check=lambda s, o: len(next(e for e in o.effects if isinstance(e, RequestHandover)).words) == 4,
                ),
            ),
        ],
    ),
    (
        "words are kept up to 2,000 characters, oldest dropped first",
        "en",
        [
            *consented("en"),
            *[(Text(f"{i} " + "x" * 600), ANY) for i in range(5)],
            (Text("last words"), E(check=lambda s, o: sum(map(len, s.words)) <= 2000 and s.words[-1] == "last words")),
        ],
    ),
    (
        "facts written before consent are kept and used",
        "tr",
        [
            *start("tr"),
            (
                Text("kızım 3 yaşında, Oßweil'de oturuyoruz, kreş lazım"),
                E(Step.ASKING_CONSENT, district_id="lb-ossweil"),
            ),
            (Text("evet"), E(Step.SHOWING_OFFERS, age_months=36, check=lambda s, o: s.needs[0] == "childcare")),
        ],
    ),
    (
        "no at consent stores nothing",
        "ar",
        [*start("ar"), (Text("لا"), E(Step.DECLINED, has=(DeleteMyData,)))],
    ),
    (
        "typed no at the handover goes back to the offers",
        "pl",
        [*to_offers("pl"), (Command("lotse"), ANY), (Text("nie"), E(Step.SHOWING_OFFERS, case_open=False))],
    ),
    (
        "a second /lotse never opens a second case",
        "uk",
        [
            *handed_over("uk"),
            (Command("lotse"), E(Step.HANDED_OVER, lacks=(RequestHandover,))),
            (ButtonPressed("restart"), E(browsing=True, case_open=True)),
            (Command("lotse"), E(Step.HANDED_OVER, browsing=False, lacks=(RequestHandover,))),
        ],
    ),
    (
        "a crisis while looking again escalates the open case",
        "ru",
        [
            *handed_over("ru"),
            (ButtonPressed("restart"), E(browsing=True)),
            (Text(WORDS["ru"].crisis), E(has=(EscalateCase, RelayToLotse), lacks=(RequestHandover,))),
        ],
    ),
    (
        "a crisis at the contact time question escalates, the case stays",
        "fa",
        [
            *to_offers("fa"),
            (ButtonPressed("lotse"), ANY),
            (ButtonPressed("handover:yes"), E(Step.ASKING_CONTACT_TIME)),
            (Text(WORDS["fa"].crisis), E(has=(EscalateCase,), lacks=(RequestHandover, ContactTimeGiven))),
        ],
    ),
    (
        "help me after the numbers is a person now",
        "en",
        [
            *consented("en"),
            (Text(WORDS["en"].crisis), E(Step.CHOOSING_AFTER_CRISIS)),
            (Text("help me"), E(Step.CONFIRMING_HANDOVER)),
        ],
    ),
    (
        "the crisis message's ages and district reach the urgent case",
        "tr",
        [
            *consented("tr"),
            (Text("kocam beni dovuyor, Oßweil'de oturuyoruz, kızım 3 yaşında"), E(Step.CHOOSING_AFTER_CRISIS)),
            (ButtonPressed("urgent"), ANY),
            (
                Text("evet"),
                E(
                    Step.HANDED_OVER,
                    district_id="lb-ossweil",
                    age_months=36,
                    check=lambda s, o: urgent(o) and "protection" in s.needs,
                ),
            ),
        ],
    ),
    (
        "acknowledgements come again after five messages",
        "de",
        [
            *handed_over("de"),
            (Text("eins"), E(says=(ACK,))),
            *[(Text(w), E(check=lambda s, o: not o.replies)) for w in ("zwei", "drei", "vier", "fünf")],
            (Text("sechs"), E(says=(ACK,))),
        ],
    ),
    (
        "a typed language name at /language",
        "de",
        [
            *consented("de"),
            (Command("language"), E(Step.CHOOSING_LANGUAGE)),
            (Text("Türkçe"), E(Step.ASKING_AGE, locale="tr")),
        ],
    ),
    (
        "/delete then typed yes erases",
        "hr",
        [*consented("hr"), (Command("delete"), E(Step.CONFIRMING_DELETE)), (Text("da"), E(has=(DeleteMyData,)))],
    ),
]


def rows() -> list[Row]:
    generated = [(f"{make.__name__} [{loc}]", loc, make(loc)) for make in PER_LOCALE for loc in SUPPORTED]
    return [*generated, *SINGLE]


ROWS = rows()


def run_dialogue(turns: list[tuple[Event, Expect]], svc: Services) -> None:
    state = State()
    requested = 0
    for number, (event, expect) in enumerate(turns, 1):
        outcome = handle(state, event, svc)
        state = State.from_json(outcome.state.to_json())  # what the database would give back
        where = f"turn {number} {event!r} -> {state.step}"
        assert outcome.replies or outcome.effects or isinstance(event, CaseClosed), f"{where}: no answer"
        kinds = [type(e) for e in outcome.effects]
        requested += kinds.count(RequestHandover)
        if expect.step is not None:
            assert state.step is expect.step, f"{where}: expected {expect.step}"
        for name, value in expect.facts.items():
            assert getattr(state, name) == value, f"{where}: {name}={getattr(state, name)!r}, expected {value!r}"
        for kind in expect.has:
            assert kind in kinds, f"{where}: no {kind.__name__} in {outcome.effects}"
        for kind in expect.lacks:
            assert kind not in kinds, f"{where}: unexpected {kind.__name__}"
        said = "\n".join(r.text for r in outcome.replies)
        for msgid in expect.says:
            assert texts(state.locale or "en")._(msgid) in said, f"{where}: {msgid!r} not in {said!r}"
        offered = {b.data for r in outcome.replies for row in r.buttons for b in row}
        assert set(expect.buttons) <= offered, f"{where}: {set(expect.buttons) - offered} not offered in {offered}"
        if expect.check is not None:
            assert expect.check(state, outcome), f"{where}: check failed; replies={said!r} effects={outcome.effects}"
        assert requested <= 2, f"{where}: a case was requested {requested} times"
    if not any(isinstance(e, CaseClosed) for e, _ in turns):
        assert requested <= 1, "a case was requested more than once"


@pytest.mark.parametrize(("name", "locale", "turns"), ROWS, ids=[r[0] for r in ROWS])
def test_dialogue(name: str, locale: str, turns: list[tuple[Event, Expect]]):
    run_dialogue(turns, services())


def test_there_are_at_least_80_dialogues_over_all_14_locales():
    assert len(ROWS) >= 80 and {loc for _, loc, _ in ROWS} == set(SUPPORTED)


# ----------------------------------------------------------------- maybe a crisis: one gentle question


class Uncertain:
    """The real understanding, except that one message is exactly 'maybe a crisis' (uncertain, not certain)."""

    def __init__(self, inner: Any, text: str) -> None:
        self.inner, self.text = inner, text

    def understand(self, text: str, lang_hint: str | None = None) -> Understanding:
        understood = self.inner.understand(text, lang_hint=lang_hint)
        if text != self.text:
            return understood
        return replace(understood, emergency=False, emergency_kinds=(), emergency_uncertain=True)


UNSURE = "ich halte das nicht mehr aus"


@pytest.mark.parametrize(
    ("answer", "step", "urgent_offered"),
    [(ButtonPressed("danger:yes"), Step.CHOOSING_AFTER_CRISIS, True), (Text("nein"), Step.SHOWING_OFFERS, False)],
)
def test_maybe_a_crisis_shows_the_numbers_and_asks_gently(answer: Event, step: Step, urgent_offered: bool):
    svc = replace(services(), understander=Uncertain(services().understander, UNSURE))
    run_dialogue(
        [
            *to_offers("de"),
            (
                Text(UNSURE),
                E(
                    Step.ASKING_DANGER,
                    buttons=("danger:yes", "danger:no"),
                    check=lambda s, o: "110" in o.replies[0].text,
                ),
            ),
            (answer, E(step, emergency=urgent_offered)),
        ],
        svc,
    )


def test_after_no_danger_the_same_worry_is_read_for_its_need_not_asked_about_again():
    """The family says it is not in danger and writes its worry again: no loop of the gentle question."""
    svc = replace(services(), understander=Uncertain(services().understander, UNSURE))
    run_dialogue(
        [
            *at_the_need_question("de"),
            (Text(UNSURE), E(Step.ASKING_DANGER, check=lambda s, o: "110" in o.replies[0].text)),
            (Text("nein"), E(Step.SHOWING_OFFERS, danger_denied=True)),  # the worry's need, kept from it
            (Text(UNSURE), E(check=lambda s, o: s.step is not Step.ASKING_DANGER)),  # read as what it says
            (Text("mein Mann schlägt mich"), E(Step.CHOOSING_AFTER_CRISIS, emergency=True)),  # certain: always
        ],
        svc,
    )


@pytest.mark.parametrize("word", ["hilfe", "sofort", "bitte schnell"])
def test_after_a_crisis_help_or_now_at_the_pass_on_question_is_a_yes(word: str):
    run_dialogue(
        [
            *start("de"),
            (Text(WORDS["de"].crisis), E(Step.CHOOSING_AFTER_CRISIS)),
            (ButtonPressed("urgent"), E(Step.CONFIRMING_HANDOVER)),
            (Text(word), E(Step.HANDED_OVER, check=lambda s, o: urgent(o))),
        ],
        services(),
    )


@pytest.mark.parametrize("locale", [code for code in SUPPORTED if "@" not in code])
@pytest.mark.parametrize("greeting", ["hi", "hallo", "salam", "privet", "hej"])
def test_a_greeting_keeps_the_language_telegram_gave(locale: str, greeting: str):
    """A word or two cannot tell languages apart ("privet" was read as Romanian): Telegram's language stands."""
    run_dialogue(
        [
            (Command("start", user_language=locale), E(Step.CHOOSING_LANGUAGE, suggested_locale=locale)),
            (Text(greeting), E(Step.ASKING_CONSENT, locale=locale)),
        ],
        services(),
    )


def test_a_sentence_chooses_its_own_language_over_telegrams():
    run_dialogue(
        [
            (Command("start", user_language="de"), E(Step.CHOOSING_LANGUAGE)),
            (Text("ابني عمره ٤ سنوات ونحتاج روضة"), E(locale="ar", age_months=48)),
        ],
        services(),
    )


@pytest.mark.parametrize(
    ("locale", "word"),
    [("de", "ein baby"), ("en", "a baby"), ("tr", "bebek"), ("ar", "رضيع"), ("ru", "младенец"), ("uk", "немовля"),
     ("pl", "niemowlę"), ("ro", "bebeluș"), ("hr", "beba"), ("sq", "foshnjë"), ("ku", "pitik"), ("fa", "نوزاد")],
)  # fmt: skip
def test_a_baby_at_the_age_question_is_under_one(locale: str, word: str):
    run_dialogue([*consented(locale), (Text(word), E(Step.CHOOSING_NETWORK, age_months=0))], services())


@pytest.mark.parametrize(
    ("locale", "said"),
    [("de", "nein warte sie ist 4 nicht 3"), ("de", "sie ist 4, nicht 3"), ("en", "no wait, she is 4 not 3"),
     ("tr", "hayır 3 değil 4 yaşında"), ("ru", "нет, ей 4, не 3"), ("pl", "nie, ma 4 lata nie 3")],
)  # fmt: skip
def test_a_corrected_age_replaces_the_old_one(locale: str, said: str):
    """ "She is 4, not 3" is one child of four, not two children of four and three."""
    run_dialogue(
        [
            *consented(locale),
            (Text("3"), E(Step.CHOOSING_NETWORK, age_months=36)),
            (Text(said), E(age_months=48, children_months=(48,))),
        ],
        services(),
    )


@pytest.mark.parametrize(
    ("locale", "asked"),
    [("de", "warum brauchen sie meine daten?"), ("de", "was speichern sie?"), ("en", "why do you need my data?"),
     ("tr", "verilerimi neden istiyorsunuz?"), ("ar", "ليش بدكم بياناتي؟"), ("ru", "зачем вам мои данные?"),
     ("pl", "po co wam moje dane?")],
)  # fmt: skip
def test_why_do_you_need_my_data_gets_the_privacy_text(locale: str, asked: str):
    """The privacy text (what is kept, for how long, /delete), then the consent question again."""
    run_dialogue(
        [
            *start(locale),
            (
                Text(asked),
                E(
                    Step.ASKING_CONSENT,
                    consent_version=None,
                    buttons=("consent:yes", "consent:no"),
                    check=lambda s, o: len(o.replies) >= 2 and "/delete" in o.replies[0].text,
                ),
            ),
        ],
        services(),
    )


@pytest.mark.parametrize(
    ("locale", "asked", "switched"),
    [("de", "can we speak english please", "en"), ("en", "auf deutsch bitte", "de"), ("de", "türkçe lütfen", "tr"),
     ("ar", "English please", "en"), ("de", "einfache sprache bitte", "de@simple")],
)  # fmt: skip
def test_asking_for_another_language_in_words_switches_it(locale: str, asked: str, switched: str):
    run_dialogue(
        [*consented(locale), (Text(asked), E(Step.ASKING_AGE, locale=switched, age_months=None))], services()
    )


def test_a_language_name_alone_at_the_need_question_stays_a_need():
    """ "Deutsch" where the need is asked: the German course, the conversation stays in Arabic."""
    run_dialogue([*at_the_need_question("ar"), (Text("Deutsch"), E(locale="ar"))], services())


@pytest.mark.parametrize(
    ("locale", "asked"),
    [("de", "lösch alles"), ("de", "bitte löschen sie meine daten"), ("en", "delete my data"),
     ("ar", "احذف بياناتي"), ("tr", "verilerimi silin"), ("ru", "удалите мои данные"), ("pl", "usuń moje dane")],
)  # fmt: skip
def test_delete_my_data_in_words_asks_before_it_deletes(locale: str, asked: str):
    """ "lösch alles" was read as despair (the emergency numbers); it is a privacy request: /delete's question."""
    run_dialogue(
        [
            *consented(locale),
            (Text(asked), E(Step.CONFIRMING_DELETE, lacks=(DeleteMyData,), buttons=("delete:yes", "delete:no"))),
            (Text(WORDS[locale].yes), E(has=(DeleteMyData,))),
        ],
        services(),
    )


def test_despair_with_delete_words_is_still_a_crisis():
    run_dialogue(
        [*consented("de"), (Text("ich will nicht mehr leben lösch alles"), E(Step.CHOOSING_AFTER_CRISIS))], services()
    )


def test_a_short_question_starting_like_a_no_is_a_question():
    """Turkish "ne kadar?" (how much?) after the offers: the cost answer, not "okay, I won't ask"."""
    state = State()
    for event, _ in to_offers("tr"):
        state = handle(state, event, services()).state
    outcome = handle(state, Text("ne kadar?"), services())
    assert outcome.state.step is Step.SHOWING_OFFERS and outcome.state.needs == ("childcare",)
    assert texts("tr")._("Okay, I won't ask.") not in "\n".join(r.text for r in outcome.replies)


def test_maybe_a_crisis_after_the_handover_is_relayed_and_yes_escalates():
    svc = replace(services(), understander=Uncertain(services().understander, UNSURE))
    run_dialogue(
        [
            *handed_over("de"),
            (Text(UNSURE), E(Step.ASKING_DANGER, has=(RelayToLotse,), lacks=(EscalateCase,))),
            (Text("ja"), E(Step.HANDED_OVER, has=(EscalateCase,), lacks=(RequestHandover,))),
        ],
        svc,
    )


def test_the_acknowledgement_comes_again_after_ten_minutes():
    later = replace(services(), now=lambda: TUESDAY_MORNING + timedelta(minutes=11))
    state = State()
    for event, _ in handed_over("en"):
        state = handle(state, event, services()).state
    state = handle(state, Text("first"), services()).state
    assert not handle(state, Text("second"), services()).replies
    assert handle(state, Text("second"), later).replies


def test_an_offer_question_goes_to_the_offer_answers_or_gets_an_honest_way_on():
    state = State()
    for event, _ in to_offers("en"):
        state = handle(state, event, services()).state
    svc = replace(services(), understander=AskHours(services().understander))
    outcome = handle(state, Text("is it open on Saturday?"), svc)
    assert outcome.replies and outcome.state.step is Step.SHOWING_OFFERS and outcome.state.age_months == 36


class AskHours:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def understand(self, text: str, lang_hint: str | None = None) -> Understanding:
        return replace(self.inner.understand(text, lang_hint=lang_hint), intents=("ask_hours",), age_months=120)


def test_maybe_a_crisis_at_the_contact_time_keeps_the_time_then_asks_gently():
    svc = replace(services(), understander=Uncertain(services().understander, "nach 17 Uhr"))
    run_dialogue(
        [
            *to_offers("de"),
            (ButtonPressed("lotse"), ANY),
            (ButtonPressed("handover:yes"), E(Step.ASKING_CONTACT_TIME, has=(RequestHandover,))),
            (
                Text("nach 17 Uhr"),
                E(Step.ASKING_DANGER, check=lambda s, o: ContactTimeGiven("nach 17 Uhr", typed=True) in o.effects),
            ),
            (ButtonPressed("danger:no"), E(Step.HANDED_OVER, case_open=True)),
        ],
        svc,
    )
