"""What a message wants from the conversation, apart from facts: yes, no, a person, a question about an offer.

The conversation reads these at every step, so a typed "ja bitte" works where a button offers "Yes".
"""

from __future__ import annotations

INTENTS: tuple[str, ...] = (
    "yes",  # agreement: "ja bitte", "evet", "نعم", "ok"
    "no",  # refusal: "nein danke", "hayır", "не надо"
    "person",  # wants a human: "kann ich mit jemandem sprechen"
    "ask_cost",  # a question about a shown offer: what it costs
    "ask_hours",  # ... when it is open ("open on Saturday?")
    "ask_place",  # ... where it is
    "ask_appointment",  # ... whether one needs an appointment or can walk in
    "ask_languages",  # ... which languages are spoken there
    "ask_documents",  # ... what to bring
    "correction",  # "no, I meant ...", "not 6, he is 10"
    "thanks",  # thanks or goodbye
    "greeting",  # hello
    "dont_know",  # "I don't know", "keine Ahnung"
)

QUESTION_INTENTS: frozenset[str] = frozenset(i for i in INTENTS if i.startswith("ask_"))
