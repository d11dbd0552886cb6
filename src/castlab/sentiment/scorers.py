"""Scorers: one interface from texts to p(negative), p(neutral), p(positive) and a score.

Every scorer returns probabilities ``(N, 3)`` in the order negative, neutral, positive; the
score is ``p_positive - p_negative`` in [-1, 1], the blog's single number per post.

=================  =============================================================
``default``        MiniLM fine-tuned on tweets, shipped in castlab; :class:`DefaultScorer`
``vader``          VADER's lexicon (offline, instant); see :class:`VaderScorer`
``minilm``         packaged MiniLM sentence vectors (frozen) + a linear head shipped in castlab
``finetune``       a MiniLM fine-tuned end to end by ``castlab sentiment train``
``hf:<id|path>``   any Hugging Face sequence-classification model with a label map
=================  =============================================================

Examples
--------
>>> scorer = load_scorer("vader")
>>> frame = scorer.score(["I love this!", "I hate this."])
>>> list(frame.columns)
['p_negative', 'p_neutral', 'p_positive', 'score', 'label']
>>> list(frame["label"])
['positive', 'negative']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from castlab.core.errors import CastlabError
from castlab.sentiment.data import LABELS, normalise_tweet

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from castlab.sentiment.data import ColumnMap

__all__ = [
    "DEFAULT_DIR",
    "DEFAULT_PRECISION",
    "HEAD_DIR",
    "PRECISIONS",
    "DefaultScorer",
    "FineTunedScorer",
    "HuggingFaceScorer",
    "MiniLMScorer",
    "Scorer",
    "VaderScorer",
    "add_scores",
    "check_scorer_options",
    "is_scored",
    "load_scorer",
    "probabilities_frame",
    "score_column_names",
    "score_posts",
    "vader_features",
    "vader_probabilities",
    "with_precision",
]

#: the shipped MiniLM head: model.safetensors + config.json, a few KB
HEAD_DIR = Path(__file__).resolve().parent / "head"
#: the shipped fine-tuned MiniLM (transformer layers + head, float16; see DefaultScorer)
DEFAULT_DIR = Path(__file__).resolve().parent / "default"
#: how the default scorer runs (chosen on the speed/accuracy table of benchmarks/sentiment.py)
DEFAULT_PRECISION = "bfloat16"


def probabilities_frame(probabilities: np.ndarray) -> pd.DataFrame:
    """(N, 3) probabilities -> frame with ``p_negative, p_neutral, p_positive, score, label``.

    Examples
    --------
    >>> probabilities_frame(np.array([[0.1, 0.2, 0.7]]))["score"].round(2).tolist()
    [0.6]
    """
    import pandas as pd

    probabilities = np.asarray(probabilities, dtype=np.float64)
    frame = pd.DataFrame(probabilities, columns=[f"p_{name}" for name in LABELS])
    frame["score"] = frame["p_positive"] - frame["p_negative"]
    frame["label"] = np.asarray(LABELS, dtype=object)[probabilities.argmax(1)]
    return frame


class Scorer(ABC):
    """Texts in, probabilities out. Subclasses implement :meth:`predict_proba`."""

    name: str = "scorer"
    #: what else decides the scores (a model folder's weights, a precision); see :meth:`identity`
    settings: dict[str, Any] = {}

    @abstractmethod
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(N,) texts -> (N, 3) probabilities of negative, neutral, positive."""

    def identity(self) -> dict[str, Any]:
        """Everything that decides this scorer's scores: its name and :attr:`settings`.

        Two scorers with the same identity give the same scores, so a half-done job may be
        finished by either (``castlab sentiment score`` keeps it with its finished chunks).

        Examples
        --------
        >>> VaderScorer().identity()
        {'name': 'vader'}
        """
        return {"name": self.name, **self.settings}

    def score(self, texts: Sequence[str]) -> pd.DataFrame:
        """Probabilities, score and label of each text, one row per text."""
        texts = [str(t) for t in texts]
        if not texts:
            return probabilities_frame(np.zeros((0, 3)))
        return probabilities_frame(self.predict_proba(texts))


def is_scored(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` already holds all the columns written by ``castlab sentiment score``.

    Examples
    --------
    >>> import pandas as pd
    >>> is_scored(pd.DataFrame(columns=["text", "label", "score"]))  # a user's own columns
    False
    """
    from castlab.sentiment.data import score_column_prefix

    return score_column_prefix([str(c) for c in frame.columns]) is not None


def score_column_names(
    existing: Sequence[str], prefix: str | None = None, *, path: str | Path | None = None
) -> dict[str, str]:
    """``{castlab's column: its name in the output}`` beside the input columns ``existing``.

    ``prefix=None`` (the default) names them ``p_negative, p_neutral, p_positive, score,
    label``, unless one of those is already an input column (a labelled file's ``label``):
    then all five get the prefix ``sentiment_``. A prefix given explicitly (``""`` too) is
    always used. A name that still clashes is a :class:`CastlabError` naming the column.

    Examples
    --------
    >>> score_column_names(["id", "text"])["label"]
    'label'
    >>> score_column_names(["id", "text", "label"])["label"]
    'sentiment_label'
    >>> score_column_names(["text"], prefix="vader_")["score"]
    'vader_score'
    >>> score_column_names(["text", "label"], prefix="")
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: the input already has a column 'label' (fix: pass another --prefix for castlab's columns, e.g. --prefix castlab_)
    """
    from castlab.sentiment.data import SCORE_COLUMNS, SCORE_PREFIX

    taken = {str(c) for c in existing}
    if prefix is None:
        prefix = SCORE_PREFIX if taken & set(SCORE_COLUMNS) else ""
    names = {name: prefix + name for name in SCORE_COLUMNS}
    for name in names.values():
        if name in taken:
            raise CastlabError(
                f"the input already has a column {name!r}",
                path=path,
                fix="pass another --prefix for castlab's columns, e.g. --prefix castlab_",
            )
    return names


def add_scores(frame: pd.DataFrame, scores: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``frame``'s columns, in order, then ``scores`` (row for row) renamed by ``names``."""
    import pandas as pd

    renamed = scores.rename(columns=names).set_axis(frame.index)
    return pd.concat([frame, renamed], axis=1)


def score_posts(
    frame: pd.DataFrame,
    scorer: Scorer,
    *,
    columns: ColumnMap | None = None,
    prefix: str | None = None,
    batch_size: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Every column of ``frame``, in order, then the scorer's columns, row for row.

    The text is the column ``columns`` finds (by default ``text`` or another recognised
    name such as ``tweet``); castlab's columns are named by :func:`score_column_names`
    (``sentiment_`` prefix when ``frame`` has a ``label`` or ``score`` column of its own). A
    frame that :func:`is_scored` is returned as it is. ``progress(done, total)`` is called
    after every batch of ``batch_size`` posts.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": [1, 2], "text": ["I love it", "I hate it"], "label": [2, 0]})
    >>> scored = score_posts(frame, VaderScorer())
    >>> list(scored.columns)[:4], scored["sentiment_label"].tolist()
    (['id', 'text', 'label', 'sentiment_p_negative'], ['positive', 'negative'])
    """
    import pandas as pd

    from castlab.sentiment.data import ColumnMap

    if is_scored(frame):
        return frame
    names = score_column_names(list(frame.columns), prefix)
    text_column = (columns or ColumnMap()).resolve([str(c) for c in frame.columns])["text"]
    texts = frame[text_column].fillna("").astype(str).tolist()
    parts = []
    for start in range(0, len(texts), batch_size):
        parts.append(scorer.score(texts[start : start + batch_size]))
        if progress is not None:
            progress(min(start + batch_size, len(texts)), len(texts))
    scores = pd.concat(parts, ignore_index=True) if parts else scorer.score([])
    return add_scores(frame, scores, names)


def weights_stamp(folder: str | Path) -> dict[str, Any]:
    """The stamp (path, size, modification time) of a model folder's ``model.safetensors``:
    a head trained again into the same folder gets another one."""
    from castlab.sentiment.stream import input_stamp  # stream imports this module

    return input_stamp(Path(folder) / "model.safetensors")


class VaderScorer(Scorer):
    """VADER's compound score ``c`` in [-1, 1] turned into three probabilities.

    VADER's own ``neg/neu/pos`` are shares of words, not probabilities of a label, so castlab
    maps the compound score instead: with ``t = threshold`` (VADER's usual 0.05),

    ``p_neutral = (1 + t)(1 - |c|) / (3 (1 - t))``, ``p_positive = (1 - p_neutral + c) / 2``,
    ``p_negative = (1 - p_neutral - c) / 2``.

    They sum to 1, the score ``p_positive - p_negative`` equals ``c``, and the most probable
    label follows VADER's rule: positive for ``c > t``, negative for ``c < -t``, else neutral.
    """

    name = "vader"
    threshold = 0.05

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        compound = np.array([self.analyzer.polarity_scores(t)["compound"] for t in texts])
        return vader_probabilities(compound, threshold=self.threshold)


def vader_probabilities(compound: np.ndarray, *, threshold: float = 0.05) -> np.ndarray:
    """(N,) VADER compound scores -> (N, 3) probabilities (see :class:`VaderScorer`).

    Examples
    --------
    >>> vader_probabilities(np.array([0.06, 0.04, -0.06])).argmax(1).tolist()
    [2, 1, 0]
    """
    compound = np.asarray(compound, dtype=np.float64)
    t = threshold
    neutral = (1 + t) * (1 - np.abs(compound)) / (3 * (1 - t))
    positive = (1 - neutral + compound) / 2
    negative = (1 - neutral - compound) / 2
    return np.clip(np.stack([negative, neutral, positive], axis=1), 0.0, 1.0)


_VADER: list[object] = []  # one shared analyser, built on first use


def vader_features(texts: Sequence[str]) -> np.ndarray:
    """(N,) texts -> (N, 4) VADER ``compound, neg, neu, pos``, extra inputs for the head."""
    if not _VADER:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _VADER.append(SentimentIntensityAnalyzer())
    analyzer = _VADER[0]
    rows = [analyzer.polarity_scores(t) for t in texts]  # type: ignore[attr-defined]
    return np.array([[r["compound"], r["neg"], r["neu"], r["pos"]] for r in rows], dtype=np.float32)


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(1, keepdims=True)


def _max_length(config: dict[str, Any], folder: Path) -> int:
    """A saved model's ``max_length`` (tokens per post), checked: config.json may say anything."""
    value = config.get("max_length", 128)
    if not isinstance(value, int) or isinstance(value, bool) or not 8 <= value <= 4096:
        raise CastlabError(
            f"field 'max_length' is {value!r}, not a token count from 8 to 4096"[:200],
            path=folder / "config.json",
            fix="pass the unchanged model folder castlab sentiment train wrote",
        )
    return value


class MiniLMScorer(Scorer):
    """MiniLM sentence vectors (packaged, offline) through a small trained linear head.

    ``head`` is a folder with ``model.safetensors`` + ``config.json`` written by
    :func:`castlab.sentiment.train.train_head`; the default is the head shipped in castlab.
    """

    name = "minilm"

    def __init__(self, head: str | Path | None = None, *, batch_size: int = 64) -> None:
        from transformers import AutoTokenizer

        from castlab.core.artifacts import load_model_weights
        from castlab.sentiment.model import SentenceEncoder, minilm_path

        folder = Path(head or HEAD_DIR)
        weights, config = load_model_weights(folder)
        dim = 384 + 4 * bool(config.get("vader_features", False))  # MiniLM (+ VADER's 4)
        shapes = {"linear.weight": [3, dim], "linear.bias": [3], "mean": [dim], "scale": [dim]}
        for name, shape in shapes.items():
            if name not in weights or list(weights[name].shape) != shape:
                found = list(weights[name].shape) if name in weights else "missing"
                raise CastlabError(
                    f"not a MiniLM sentiment head: {name} should be {shape}, is {found}",
                    path=folder,
                    fix="pass a head folder written by castlab sentiment train --kind head",
                )
        self.weight = weights["linear.weight"].numpy().astype(np.float32)  # (3, dim)
        self.bias = weights["linear.bias"].numpy().astype(np.float32)  # (3,)
        self.mean = weights["mean"].numpy().astype(np.float32)  # (dim,)
        self.scale = weights["scale"].numpy().astype(np.float32)  # (dim,)
        self.max_length = _max_length(config, folder)
        self.vader_features = bool(config.get("vader_features", False))
        self.settings = {"head": weights_stamp(head or HEAD_DIR)}
        self.encoder = SentenceEncoder()
        self.tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(N,) texts -> (N, 384) sentence vectors."""
        from castlab.sentiment.model import embed_texts

        return embed_texts(
            self.encoder,
            self.tokenizer,
            [normalise_tweet(t) for t in texts],
            batch_size=self.batch_size,
            max_length=self.max_length,
        )

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        features = self.embed(texts)
        if self.vader_features:
            features = np.hstack([features, vader_features(texts)])
        return _softmax(((features - self.mean) / self.scale) @ self.weight.T + self.bias)


def _batched_logits(
    model: object, tokenizer: object, texts: list[str], batch_size: int, max_length: int
) -> np.ndarray:
    import torch

    from castlab.sentiment.model import length_sorted_batches

    out: np.ndarray | None = None
    with torch.inference_mode():
        for index, batch in length_sorted_batches(tokenizer, texts, batch_size, max_length):
            result = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])  # type: ignore[operator]
            logits = (result[0] if isinstance(result, tuple) else result.logits).float().numpy()
            if out is None:
                out = np.zeros((len(texts), logits.shape[1]), dtype=np.float32)
            out[index] = logits
    assert out is not None
    return out


PRECISIONS = ("float32", "bfloat16", "int8")


def _from_base(key: str) -> bool:
    """Whether a classifier weight may come from the packaged MiniLM instead of the model file.

    The embedding tables (frozen by ``train --freeze-embeddings``) and the pooler (unused by
    the head, so never trained).
    """
    return ".embeddings." in key or ".pooler." in key


def with_precision(model: torch.nn.Module, precision: str) -> torch.nn.Module:
    """The classifier's transformer run in ``precision``; the small head stays float32.

    ``bfloat16`` casts the transformer's weights (fast on CPUs with AMX or AVX-512 bf16);
    ``int8`` quantises its Linear layers dynamically (int8 weights, activations quantised per
    batch), the lever the issue measured fastest on 2 CPU threads.

    Examples
    --------
    >>> import torch
    >>> with_precision(torch.nn.Linear(2, 2), "float64")
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: unknown precision 'float64' (fix: choose float32, bfloat16, int8)
    """
    import torch

    if precision not in PRECISIONS:
        raise CastlabError(
            f"unknown precision {precision!r}", fix=f"choose {', '.join(PRECISIONS)}"
        )
    target = getattr(getattr(model, "encoder", None), "transformer", model)
    if precision == "bfloat16":
        target.to(torch.bfloat16)
    elif precision == "int8":
        import warnings

        with warnings.catch_warnings():  # torch.ao's deprecation notices, one per layer
            warnings.simplefilter("ignore")
            quantised = torch.ao.quantization.quantize_dynamic(
                target, {torch.nn.Linear}, dtype=torch.qint8
            )
        if target is model:
            return quantised
        model.encoder.transformer = quantised  # type: ignore[union-attr]
    return model


class FineTunedScorer(Scorer):
    """A MiniLM classifier fine-tuned by ``castlab sentiment train`` (its ``model/`` folder).

    A folder written by :func:`castlab.sentiment.train.export_model` holds only the weights
    that fine-tuning changed (``base_weights`` in its config); the rest (the embedding
    tables) is loaded from the encoder it was fine-tuned from (the packaged MiniLM). ``precision`` is one of
    :data:`PRECISIONS` (see :func:`with_precision`).
    """

    name = "finetune"

    def __init__(
        self, model_dir: str | Path, *, batch_size: int = 64, precision: str = "float32"
    ) -> None:
        from transformers import AutoTokenizer

        from castlab.core.artifacts import load_model_weights
        from castlab.sentiment.model import SentimentClassifier, minilm_path

        model_dir = Path(model_dir)
        if (model_dir / "model" / "model.safetensors").exists():
            model_dir = model_dir / "model"  # a run folder was given
        weights, config = load_model_weights(model_dir)
        if "linear.weight" in weights:  # a SentimentHead's keys; the classifier's are head.*
            raise CastlabError(
                "holds a MiniLM head (castlab sentiment train --kind head), not a fine-tuned "
                "MiniLM",
                path=model_dir,
                fix=f"use --scorer minilm --model {model_dir}",
            )
        encoder = config.get("encoder", "minilm")
        path = minilm_path() if encoder == "minilm" else Path(str(encoder))
        if not (path / "config.json").is_file():  # a hub name would be downloaded
            raise CastlabError(
                f"field 'encoder' names {str(encoder)[:200]!r}, not a transformer folder on "
                "this machine",
                path=model_dir / "config.json",
                fix='set it to "minilm" or to the folder of the encoder the model was trained from',
            )
        self.model = SentimentClassifier(path)
        partial = config.get("base_weights") is not None
        try:  # strict=False still raises on a tensor of another shape
            missing, unexpected = self.model.load_state_dict(
                {key: value.float() for key, value in weights.items()}, strict=False
            )
            fits = not unexpected and all(partial and _from_base(key) for key in missing)
        except RuntimeError:
            fits = False
        if not fits:
            raise CastlabError(
                "these weights do not fit the MiniLM classifier",
                path=model_dir,
                fix="pass a model folder written by `castlab sentiment train`",
            )
        self.model = with_precision(self.model.eval(), precision)  # type: ignore[assignment]
        self.precision = precision
        self.settings = {"model": weights_stamp(model_dir), "precision": precision}
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.max_length = _max_length(config, model_dir)
        self.batch_size = batch_size
        self.config = config

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = [normalise_tweet(t) for t in texts]
        logits = _batched_logits(
            self.model, self.tokenizer, texts, self.batch_size, self.max_length
        )
        return _softmax(logits)


class DefaultScorer(FineTunedScorer):
    """castlab's default: MiniLM fine-tuned on SemEval tweets, shipped in the package.

    Only the six transformer layers and the head ship (float16, ~21 MB in
    ``castlab/sentiment/default/``); the embedding tables were frozen during fine-tuning
    and come from the packaged MiniLM. See ``docs/results/sentiment.md`` for its scores.
    """

    name = "default"

    def __init__(self, *, batch_size: int = 64, precision: str = DEFAULT_PRECISION) -> None:
        if not (DEFAULT_DIR / "model.safetensors").exists():
            raise CastlabError(
                "the default model is missing from this installation",
                path=DEFAULT_DIR,
                fix="reinstall castlab, or choose --scorer minilm or vader",
            )
        super().__init__(DEFAULT_DIR, batch_size=batch_size, precision=precision)


def _label_order(id2label: dict, labels: Sequence[str] | None, source: str) -> list[int | None]:
    """For negative, neutral, positive: the model's output index (None when it has none)."""
    names = [str(id2label[i]).lower() for i in sorted(id2label)]
    if labels is not None:
        names = [str(name).lower() for name in labels]
        if len(names) != len(id2label):
            raise CastlabError(
                f"{len(names)} labels given for a model with {len(id2label)} outputs",
                path=source,
                fix="give one label per model output, in order",
            )
    order: list[int | None] = []
    for wanted in ("neg", "neu", "pos"):
        matches = [i for i, name in enumerate(names) if name.startswith(wanted)]
        order.append(matches[0] if matches else None)
    if order[0] is None or order[2] is None:
        raise CastlabError(
            f"cannot tell which outputs are negative and positive from labels {names}",
            path=source,
            fix="pass --labels negative,neutral,positive in the model's output order",
        )
    return order


class HuggingFaceScorer(Scorer):
    """Any local (or cached) Hugging Face sequence-classification model.

    Outputs are mapped by name from ``config.id2label`` (``negative``/``neutral``/``positive``,
    any case or prefix such as ``NEG``); models with generic ``LABEL_0`` names need
    ``labels``. A two-class model gets ``p_neutral = 0``.
    """

    def __init__(
        self,
        model_id: str,
        *,
        labels: Sequence[str] | None = None,
        batch_size: int = 32,
        max_length: int = 128,
    ) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.name = f"hf:{model_id}"
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model_id)
            self.model = AutoModelForSequenceClassification.from_pretrained(model_id)
        except OSError as error:
            raise CastlabError(
                f"cannot load the Hugging Face model: {str(error).splitlines()[0]}",
                path=model_id,
                fix="give a local model folder, or go online so it can be downloaded",
            ) from None
        self.model.eval()
        self.order = _label_order(dict(self.model.config.id2label), labels, model_id)
        self.settings = {"order": list(self.order), "max_length": max_length}
        self.batch_size = batch_size
        self.max_length = max_length

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = [normalise_tweet(t) for t in texts]
        logits = _batched_logits(
            self.model, self.tokenizer, texts, self.batch_size, self.max_length
        )
        full = _softmax(logits)
        columns = [full[:, i] if i is not None else np.zeros(len(full)) for i in self.order]
        probabilities = np.stack(columns, axis=1)
        return probabilities / probabilities.sum(1, keepdims=True)


SCORER_NAMES = ("default", "vader", "minilm", "finetune", "hf:<model id or folder>")


def check_scorer_options(
    spec: str,
    *,
    model: str | Path | None = None,
    labels: Sequence[str] | None = None,
    precision: str | None = None,
) -> None:
    """Refuse options the scorer ``spec`` would score without (they were silently ignored).

    Examples
    --------
    >>> check_scorer_options("vader", precision="int8")
    Traceback (most recent call last):
    castlab.core.errors.CastlabError: --dtype int8 is for --scorer default or finetune; --scorer vader would score without it (fix: drop --dtype)
    """
    finetuned = spec == "finetune" or spec.startswith("finetune:")
    if model is not None and spec != "minilm" and not finetuned:
        raise CastlabError(
            f"--model {model} is for --scorer finetune (a run of castlab sentiment train) or "
            f"minilm (a head folder); --scorer {spec} would score without it",
            fix="add --scorer finetune (or minilm), or drop --model",
        )
    if precision is not None and spec != "default" and not finetuned:
        raise CastlabError(
            f"--dtype {precision} is for --scorer default or finetune; --scorer {spec} would "
            "score without it",
            fix="drop --dtype",
        )
    if labels is not None and not spec.startswith("hf:"):
        raise CastlabError(
            f"--labels names a hub model's outputs (--scorer hf:<id>); --scorer {spec} has its own",
            fix="drop --labels",
        )


def load_scorer(
    spec: str = "default",
    *,
    model: str | Path | None = None,
    labels: Sequence[str] | None = None,
    batch_size: int = 64,
    precision: str | None = None,
) -> Scorer:
    """Build a scorer from its name: ``default``, ``vader``, ``minilm``, ``finetune``, ``hf:...``.

    ``model`` is the head folder for ``minilm`` (default: the shipped one) and the
    run or model folder for ``finetune`` (required). ``precision`` (``float32``,
    ``bfloat16``, ``int8``) applies to ``default`` (default :data:`DEFAULT_PRECISION`) and
    ``finetune`` (default ``float32``).

    Examples
    --------
    >>> load_scorer("vader").name
    'vader'
    >>> load_scorer("bert")
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: unknown scorer 'bert' (fix: choose default, vader, minilm, finetune, hf:<model id or folder>)
    """
    check_scorer_options(spec, model=model, labels=labels, precision=precision)
    finetuned = spec == "finetune" or spec.startswith("finetune:")
    if spec == "default":
        return DefaultScorer(batch_size=batch_size, precision=precision or DEFAULT_PRECISION)
    if spec == "vader":
        return VaderScorer()
    if spec == "minilm":
        return MiniLMScorer(model, batch_size=batch_size)
    if finetuned:
        folder = spec.partition(":")[2] or model
        if not folder:
            raise CastlabError(
                "the finetune scorer needs a trained model",
                fix="pass --model runs/sentiment/<name> from `castlab sentiment train`",
            )
        return FineTunedScorer(folder, batch_size=batch_size, precision=precision or "float32")
    if spec.startswith("hf:") and len(spec) > 3:
        return HuggingFaceScorer(spec[3:], labels=labels, batch_size=batch_size)
    raise CastlabError(f"unknown scorer {spec!r}", fix=f"choose {', '.join(SCORER_NAMES)}")
