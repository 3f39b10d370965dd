"""Training the semantic heads from the authored corpus: `python -m bot train`.

The corpus (knowledge/corpus/*.jsonl) is data a coordinator can read: one message per line with its labels.
Training is plain numpy logistic regression (full batch, fixed steps, zero start), so the same corpus and
encoder give the same heads on every machine (up to float rounding). Thresholds are chosen on a dev set —
out-of-fold predictions on the corpus plus tests/data/understanding_eval.jsonl — never on the held-out set.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.domain.needs import NEED_IDS
from bot.understanding.intents import INTENTS
from bot.understanding.language import SUPPORTED
from bot.understanding.lexicon import EMERGENCY_KINDS
from bot.understanding.semantic import (
    BUNDLED_SEMANTIC_DIR,
    Encoder,
    Head,
    Heads,
    Neighbours,
    Thresholds,
    corpus_sha256,
    heads_path,
    heads_to_json,
    write_neighbours,
)

log = logging.getLogger(__name__)

BUNDLED_CORPUS_DIR = BUNDLED_SEMANTIC_DIR.parent / "corpus"
_TEST_DATA = Path(__file__).resolve().parent.parent.parent / "tests" / "data"
# The thresholds are chosen on these: the lexicons' eval set and the first six rounds' held-out sets, whose
# misses were read for the next round's corpus (so dev sets now). tests/data/heldout7.jsonl is never read here.
DEV_FILES = (_TEST_DATA / "understanding_eval.jsonl", *(_TEST_DATA / f"heldout{n}.jsonl" for n in ("", 2, 3, 4, 5, 6)))
LANGUAGES = frozenset(SUPPORTED)
TRAIN_CHARS = 1000
STEPS, LEARNING_RATE, L2 = 200, 0.05, 0.02  # chosen by out-of-fold figures: strong L2 generalizes better
FOLDS = 5
UNCERTAIN_PRECISION, CERTAIN_PRECISION, CORPUS_PRECISION_FLOOR = 0.90, 0.92, 0.6


class CorpusError(ValueError):
    """A corpus line that cannot be trained on; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    lang: str
    emergency: str | None
    decoy: bool
    needs: tuple[str, ...]
    intent: str | None


def corpus_files(directory: Path = BUNDLED_CORPUS_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"), key=lambda p: p.name)


def read_corpus(files: Iterable[Path]) -> list[Example]:
    """All lines, validated; every problem is reported at once (file:line: reason), nothing half-read."""
    examples: list[Example] = []
    problems: list[str] = []
    seen: dict[str, tuple[str, Example]] = {}
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                example = _example(json.loads(line))
            except (ValueError, TypeError, KeyError) as exc:
                problems.append(f"{where}: {exc}")
                continue
            key = " ".join(example.text.casefold().split())
            if key in seen:
                first, earlier = seen[key]
                labels = (example.emergency, example.decoy, example.needs, example.intent)
                same = labels == (earlier.emergency, earlier.decoy, earlier.needs, earlier.intent)
                # "ok" is Turkish and German alike: a repeat across languages with the same labels is harmless
                if first.split(":")[0] == path.name or not same:
                    problems.append(f"{where}: same text as {first}" + ("" if same else " with other labels"))
                continue
            seen[key] = (where, example)
            examples.append(example)
    if problems:
        shown = "; ".join(problems[:10]) + (f"; … {len(problems) - 10} more" if len(problems) > 10 else "")
        raise CorpusError(f"{len(problems)} corpus line(s) unusable: {shown}")
    return examples


def _example(raw: object) -> Example:
    if not isinstance(raw, dict):
        raise ValueError("expected a JSON object")
    text, lang = raw["text"], raw["lang"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty text")
    if lang not in LANGUAGES:
        raise ValueError(f"unknown lang {lang!r}")
    emergency = raw.get("emergency")
    if emergency is not None and emergency not in EMERGENCY_KINDS:
        raise ValueError(f"unknown emergency kind {emergency!r}")
    needs = raw.get("needs") or []
    if not isinstance(needs, list) or any(n not in NEED_IDS for n in needs):
        raise ValueError(f"unknown need in {needs!r}")
    intent = raw.get("intent")
    if intent is not None and intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}")
    decoy = bool(raw.get("decoy", False))
    if decoy and emergency:
        raise ValueError("a decoy cannot be an emergency")
    return Example(text.strip(), lang, emergency, decoy, tuple(dict.fromkeys(needs)), intent)


# ------------------------------------------------------------------ fitting


def fit_logistic(
    x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression for all columns of y at once; Adam, full batch, fixed steps."""
    n, d = x.shape
    k = y.shape[1]
    pos = y.sum(axis=0)
    # balance each label: positives weigh as much as negatives together (capped, so rare labels don't explode)
    pos_weight = np.clip((n - pos) / np.maximum(pos, 1.0), 1.0, 20.0)
    weight = np.where(y > 0, pos_weight, 1.0)
    if sample_weight is not None:
        weight = weight * sample_weight[:, None]
    weight = weight / weight.mean(axis=0)
    w = np.zeros((d, k), dtype=np.float64)
    b = np.zeros(k, dtype=np.float64)
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    x64 = x.astype(np.float64)
    for step in range(1, STEPS + 1):
        p = 1.0 / (1.0 + np.exp(-(x64 @ w + b)))
        error = (p - y) * weight / n
        grad_w = x64.T @ error + L2 * w
        grad_b = error.sum(axis=0)
        for param, grad, m, v in ((w, grad_w, m_w, v_w), (b, grad_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= LEARNING_RATE * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return w.astype(np.float32), b.astype(np.float32)


@dataclass(frozen=True)
class Targets:
    emergency: np.ndarray  # (n, 1)
    kinds: np.ndarray  # (n, kinds), rows only meaningful where emergency
    needs: np.ndarray
    intents: np.ndarray
    weight: np.ndarray  # per line, for the emergency head: 0 leaves a line out
    languages: np.ndarray  # (n, len(SUPPORTED)) the line's language


def targets(examples: Sequence[Example]) -> Targets:
    n = len(examples)
    emergency = np.zeros((n, 1), dtype=np.float64)
    kinds = np.zeros((n, len(EMERGENCY_KINDS)))
    needs = np.zeros((n, len(NEED_IDS)))
    intents = np.zeros((n, len(INTENTS)))
    weight = np.ones(n)
    languages = np.zeros((n, len(SUPPORTED)))
    for i, ex in enumerate(examples):
        languages[i, SUPPORTED.index(ex.lang)] = 1
        if ex.emergency:
            emergency[i, 0] = 1
            kinds[i, EMERGENCY_KINDS.index(ex.emergency)] = 1
        for need in ex.needs:
            needs[i, NEED_IDS.index(need)] = 1
        if ex.intent:
            intents[i, INTENTS.index(ex.intent)] = 1
        if not ex.emergency and not ex.decoy and "protection" in ex.needs:
            # "he controls me", "my ex waits outside the Kita": people label these need or emergency alike;
            # recall first, so they never teach the emergency head that such words are harmless
            weight[i] = 0.0
    return Targets(emergency, kinds, needs, intents, weight, languages)


def fit_heads(features: np.ndarray, t: Targets) -> dict[str, Head]:
    is_emergency = t.emergency[:, 0] > 0
    heads = {
        "emergency": Head(("emergency",), *fit_logistic(features, t.emergency, t.weight)),
        "needs": Head(tuple(NEED_IDS), *fit_logistic(features, t.needs)),
        "intents": Head(INTENTS, *fit_logistic(features, t.intents)),
        "languages": Head(SUPPORTED, *fit_logistic(features, t.languages)),
    }
    kinds_w, kinds_b = fit_logistic(features[is_emergency], t.kinds[is_emergency])
    heads["kinds"] = Head(EMERGENCY_KINDS, kinds_w, kinds_b)
    return heads


# ------------------------------------------------------------------ thresholds on the dev set


def _threshold_for_precision(*sets: tuple[np.ndarray, np.ndarray, float]) -> float:
    """The lowest threshold at which every (scores, truth, precision) set keeps its precision: recall as high
    as that allows."""
    best = 0.99
    for t in np.round(np.arange(0.98, 0.02, -0.01), 2):
        precisions_met = True
        for scores, truth, precision in sets:
            flagged = scores >= t
            if flagged.any() and (flagged & truth).sum() / flagged.sum() < precision:
                precisions_met = False
        if precisions_met:
            best = float(t)
    return best


@dataclass(frozen=True)
class DevSet:
    scores: np.ndarray  # emergency probability of each dev message, as the bot computes it
    emergency: np.ndarray  # bool


def choose_thresholds(oof: dict[str, np.ndarray], t: Targets, dev: DevSet | None) -> Thresholds:
    """Recall first: `emergency_uncertain` is the lowest level that keeps the dev set's precision at
    UNCERTAIN_PRECISION (it shows the numbers and asks one gentle question, so a false alarm costs a question, a
    miss costs far more) and the corpus' out-of-fold precision — full of deliberate decoys — at a floor;
    `emergency` is where CERTAIN_PRECISION holds. Needs and intents at their best F1."""
    corpus = (oof["emergency"][:, 0], t.emergency[:, 0] > 0)
    dev_set = (dev.scores, dev.emergency) if dev is not None and len(dev.scores) else corpus
    need_scores, need_truth = [oof["needs"]], [t.needs > 0]
    uncertain = _threshold_for_precision((*dev_set, UNCERTAIN_PRECISION), (*corpus, CORPUS_PRECISION_FLOOR))
    certain = max(_threshold_for_precision((*dev_set, CERTAIN_PRECISION), (*corpus, 0.8)), uncertain)
    need = _best_f1(np.concatenate(need_scores).ravel(), np.concatenate(need_truth).ravel())
    intent = _best_f1(oof["intents"].ravel(), (t.intents > 0).ravel())
    return Thresholds(emergency=certain, emergency_uncertain=uncertain, need=need, intent=intent)


def _best_f1(scores: np.ndarray, truth: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        flagged = scores >= t
        tp = (flagged & truth).sum()
        f1 = 2 * tp / max(flagged.sum() + truth.sum(), 1)
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def out_of_fold(features: np.ndarray, t: Targets, raw: np.ndarray) -> dict[str, np.ndarray]:
    """Each line scored by heads trained without its fold: an honest dev set drawn from the corpus itself."""
    n = len(features)
    fold = np.arange(n) % FOLDS  # deterministic interleaved folds (the corpus files are grouped by language)
    oof = {"emergency": np.zeros((n, 1)), "needs": np.zeros(t.needs.shape), "intents": np.zeros(t.intents.shape)}
    for k in range(FOLDS):
        train, test = fold != k, fold == k
        for name, y, w in (
            ("emergency", t.emergency, t.weight),
            ("needs", t.needs, None),
            ("intents", t.intents, None),
        ):
            weights, bias = fit_logistic(features[train], y[train], None if w is None else w[train])
            oof[name][test] = Head((), weights, bias).probabilities(features[test])
        voters = neighbours_of(raw[train], t.emergency[train, 0], t.weight[train], t.needs[train])
        similarity = voters.similarities(raw[test])
        oof["emergency"][test, 0] = (oof["emergency"][test, 0] + voters.vote(raw[test], similarity)) / 2
        needs_vote = voters.needs_vote(similarity)
        assert needs_vote is not None
        oof["needs"][test] = (oof["needs"][test] + needs_vote) / 2
    return oof


def neighbours_of(raw: np.ndarray, emergency: np.ndarray, weight: np.ndarray, needs: np.ndarray) -> Neighbours:
    """Every corpus line with its labels; lines left out of the emergency head vote on needs only."""
    return Neighbours(raw.astype(np.float32), emergency.astype(np.float32), weight > 0, needs.astype(np.float32))


# ------------------------------------------------------------------ the whole run


def cache_key(text: str) -> str:
    """A text's key in an embedding cache (see encode_texts)."""
    return hashlib.sha1(text[:TRAIN_CHARS].encode("utf-8")).hexdigest()


def encode_texts(encoder: Encoder, texts: Sequence[str], batch: int = 64, cache: Path | None = None) -> np.ndarray:
    """Embeddings of the texts; with `cache` (an .npz keyed by text hash) only new texts are encoded."""
    clipped = [x[:TRAIN_CHARS] for x in texts]
    keys = [cache_key(x) for x in clipped]
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        with np.load(cache) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    text_of = dict(zip(keys, clipped, strict=True))
    for i in range(0, len(missing), batch):
        part = missing[i : i + batch]
        known.update(zip(part, encoder.encode([text_of[k] for k in part]), strict=True))
    if cache is not None and missing:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    if not keys:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)


def read_dev(paths: Sequence[Path] = DEV_FILES) -> list[dict]:
    rows: list[dict] = []
    for path in paths:
        if path.exists():
            rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def dev_vectors_path(encoder_name: str) -> Path:
    """The dev sets' embeddings as training saw them: the retrain test reads them instead of encoding 4,500
    lines again (it checks a sample against the encoder)."""
    return _TEST_DATA / f"dev_embeddings.{encoder_name}.npz"


def write_dev_vectors(encoder: Encoder, dev_rows: Sequence[dict], cache: Path | None = None) -> Path:
    texts = [r["text"][:TRAIN_CHARS] for r in dev_rows]
    path = dev_vectors_path(encoder.name)
    vectors = encode_texts(encoder, texts, cache=cache).astype(np.float16)
    np.savez_compressed(path, keys=np.array([cache_key(t) for t in texts]), vectors=vectors)
    return path


def train(
    encoder: Encoder,
    files: Sequence[Path],
    dev_rows: Sequence[dict] = (),
    cache: Path | None = None,
) -> tuple[Heads, dict[str, float]]:
    """Fits all heads on the corpus files and picks thresholds; returns the heads and dev figures."""
    examples = read_corpus(files)
    if not examples:
        raise CorpusError("the corpus is empty")
    # at the precision the neighbours keep them: training again from the committed vectors gives the same heads
    raw = encode_texts(encoder, [e.text for e in examples], cache=cache).astype(np.float16).astype(np.float32)
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0) + 1e-6
    features = (raw - mean) / scale
    t = targets(examples)
    fitted = fit_heads(features, t)
    oof = out_of_fold(features, t, raw)
    heads = Heads(
        encoder=encoder.name,
        corpus_sha256=corpus_sha256(files),
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        thresholds=Thresholds(1.0, 1.0, 1.0, 1.0),  # chosen below, with the finished heads
        neighbours=neighbours_of(raw, t.emergency[:, 0], t.weight, t.needs),
        **fitted,
    )
    dev = None
    if dev_rows:
        # float16 like the neighbours: the dev vectors are kept so (write_dev_vectors), and training again
        # from them must choose the same thresholds
        dev_raw = encode_texts(encoder, [r["text"] for r in dev_rows], cache=cache)
        dev_raw = dev_raw.astype(np.float16).astype(np.float32)
        dev = DevSet(heads.emergency_probability(dev_raw), np.array([bool(r.get("emergency")) for r in dev_rows]))
    thresholds = choose_thresholds(oof, t, dev)
    heads = replace(heads, thresholds=thresholds)
    figures = _oof_figures(oof, t, thresholds)
    figures["lines"] = float(len(examples))
    return heads, figures


def _oof_figures(oof: dict[str, np.ndarray], t: Targets, th: Thresholds) -> dict[str, float]:
    truth = t.emergency[:, 0] > 0
    flagged = oof["emergency"][:, 0] >= th.emergency_uncertain
    tp = (flagged & truth).sum()
    with_needs = t.needs.sum(axis=1) > 0
    top3 = np.argsort(-oof["needs"], axis=1, kind="stable")[:, :3]
    hit = [bool(t.needs[i, top3[i]].any()) for i in np.flatnonzero(with_needs)]
    intent_rows = t.intents.sum(axis=1) > 0
    intent_hit = (oof["intents"].argmax(axis=1) == t.intents.argmax(axis=1))[intent_rows]
    return {
        "oof_emergency_recall": float(tp / max(truth.sum(), 1)),
        "oof_emergency_precision": float(tp / max(flagged.sum(), 1)),
        "oof_needs_top3": float(np.mean(hit)) if hit else 0.0,
        "oof_intent_accuracy": float(intent_hit.mean()) if intent_hit.size else 0.0,
    }


def write_heads(heads: Heads, directory: Path = BUNDLED_SEMANTIC_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = heads_path(heads.encoder, directory)
    path.write_text(json.dumps(heads_to_json(heads), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if heads.neighbours is not None:
        write_neighbours(heads, path)
    return path
