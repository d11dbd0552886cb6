"""Training and evaluation: the shipped MiniLM head, end-to-end fine-tuning, TweetEval scores.

TweetEval's metric is macro-averaged recall (the mean of the three per-class recalls), so
training weights each class by ``n / (3 n_class)``: negative tweets are rare (~16%) and
would otherwise be under-predicted.

Examples
--------
>>> result = evaluate_predictions([0, 1, 2, 2], [0, 1, 2, 1])
>>> round(result.macro_recall, 3), result.accuracy
(0.833, 0.75)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from castlab.core.errors import CastlabError

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from castlab.core.finetune import FinetuneConfig
    from castlab.core.training import TrainConfig
    from castlab.sentiment.model import SentimentClassifier, SentimentHead
    from castlab.sentiment.scorers import Scorer

__all__ = [
    "Evaluation",
    "FineTuneConfig",
    "HeadConfig",
    "check_run_kind",
    "class_weights",
    "evaluate_predictions",
    "evaluate_scorer",
    "export_model",
    "finetune",
    "initial_classifier",
    "optimiser_config",
    "run_kind",
    "save_head",
    "train_head",
    "train_head_from_data",
]


@dataclass(frozen=True)
class Evaluation:
    """Scores of predicted against true labels (0 negative, 1 neutral, 2 positive)."""

    macro_recall: float  # TweetEval's metric: mean of the three per-class recalls
    accuracy: float
    recalls: tuple[float, float, float]
    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted label

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_predictions(truth: Sequence[int], predicted: Sequence[int]) -> Evaluation:
    """Macro recall, accuracy, per-class recall and the 3 x 3 confusion matrix."""
    truth_array, predicted_array = np.asarray(truth), np.asarray(predicted)
    if truth_array.shape != predicted_array.shape or truth_array.size == 0:
        raise CastlabError("need as many predictions as labels, at least one")
    confusion = np.zeros((3, 3), dtype=int)
    np.add.at(confusion, (truth_array, predicted_array), 1)
    support = confusion.sum(1)
    recalls = np.where(support > 0, np.diag(confusion) / np.maximum(support, 1), np.nan)
    return Evaluation(
        macro_recall=float(np.nanmean(recalls)),
        accuracy=float(np.trace(confusion) / confusion.sum()),
        recalls=tuple(float(r) for r in recalls),  # type: ignore[arg-type]
        confusion=tuple(tuple(int(x) for x in row) for row in confusion),
    )


def evaluate_scorer(scorer: Scorer, frame: pd.DataFrame) -> Evaluation:
    """Score ``frame['text']`` and compare the argmax labels with ``frame['label']``."""
    probabilities = scorer.predict_proba(list(frame["text"]))
    return evaluate_predictions(frame["label"].to_numpy(), probabilities.argmax(1))


def class_weights(labels: Sequence[int]) -> list[float]:
    """``n / (3 n_class)`` per class, so each class counts equally in the loss.

    Examples
    --------
    >>> class_weights([0, 1, 1, 1])
    [1.3333333333333333, 0.4444444444444444, 1.0]
    """
    counts = np.bincount(np.asarray(labels), minlength=3).astype(float)
    return [float(len(labels) / (3 * c)) if c else 1.0 for c in counts]


@dataclass(frozen=True)
class HeadConfig:
    """How the linear head on frozen MiniLM vectors is trained (full batch, AdamW)."""

    steps: int = 400
    lr: float = 0.01
    weight_decay: float = 0.1  # AdamW's decoupled decay on the standardised features
    balanced: bool = True  # weight classes equally, for macro recall
    vader_features: bool = False  # append VADER's compound, neg, neu, pos to the 384-d vector
    max_length: int = 128  # tokens per post when embedding (tweets are shorter)
    seed: int = 0


def train_head(
    vectors: np.ndarray, labels: Sequence[int], config: HeadConfig = HeadConfig()
) -> SentimentHead:
    """Fit a :class:`SentimentHead` on (N, dim) vectors and (N,) labels; returns it in eval mode."""
    import torch

    from castlab.sentiment.model import SentimentHead, safe_scale

    torch.manual_seed(config.seed)
    x = torch.as_tensor(vectors, dtype=torch.float32)
    y = torch.tensor(np.asarray(labels, dtype=np.int64))
    weight = torch.tensor(class_weights(labels) if config.balanced else [1.0] * 3)
    head = SentimentHead(x.shape[1])
    head.mean.copy_(x.mean(0))
    head.scale.copy_(safe_scale(x.std(0)))
    optimizer = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.steps)
    for _ in range(config.steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(x), y, weight=weight)
        loss.backward()
        optimizer.step()
        schedule.step()
    return head.eval()


def save_head(head: SentimentHead, directory: str | Path, config: HeadConfig, **info: Any) -> Path:
    """Write the head as ``model.safetensors`` + ``config.json`` (with ``info``) in ``directory``."""
    from castlab.core.artifacts import save_model

    return save_model(directory, head.state_dict(), {**asdict(config), **info})


def run_kind(run_dir: str | Path) -> str | None:
    """What ``castlab sentiment train`` left in ``run_dir``: ``"head"``, ``"finetune"`` or None.

    A head run (:func:`train_head_from_data`) is ``model.safetensors`` + ``config.json`` in
    the folder itself; a fine-tuning run (:func:`finetune`) has ``model/``, ``checkpoints/``
    or a ``config.json`` with a ``finetune`` section.

    Examples
    --------
    >>> import tempfile
    >>> run_kind(tempfile.mkdtemp()) is None  # an empty folder
    True
    """
    from castlab.core.artifacts import read_json

    folder = Path(run_dir)
    if (folder / "model.safetensors").is_file():
        return "head"
    if (folder / "model").is_dir() or (folder / "checkpoints").is_dir():
        return "finetune"
    config = folder / "config.json"  # a run stopped before its first checkpoint has only this
    if config.is_file():
        saved = read_json(config)
        if isinstance(saved, dict) and "finetune" in saved:
            return "finetune"
    return None


def check_run_kind(run_dir: str | Path, kind: str, *, resume: bool = False) -> None:
    """Refuse to write a ``kind`` run (``"head"`` or ``"finetune"``) into a folder holding a run
    of the other kind: the two would mix (a new config.json beside the old model, which a
    scorer would then load without a word)."""
    found = run_kind(run_dir)
    if found is None or found == kind:
        return
    if resume:
        raise CastlabError(
            f"holds a --kind {found} run, not a --kind {kind} run to resume",
            path=run_dir,
            fix=f"pass the --out of the --kind {kind} run to resume",
        )
    raise CastlabError(
        f"holds a --kind {found} run; a --kind {kind} run written here would mix with its files",
        path=run_dir,
        fix="pass another --out, or delete this folder first",
    )


# ---- end-to-end fine-tuning -------------------------------------------------------------


@dataclass(frozen=True)
class FineTuneConfig:
    """What to fine-tune on; the optimisation settings are a core ``TrainConfig``."""

    max_length: int = 64  # tokens per tweet while training (99% of tweets fit)
    max_train: int = 0  # use at most this many training tweets (0: all), a random subset
    dropout: float = 0.1  # on the head's input
    encoder_dropout: float | None = None  # MiniLM's own dropout (None: its config's 0.1)
    head_lr_scale: float = 1.0  # the head learns at lr x this (a fresh head needs ~100)
    balanced: bool = True  # weight classes equally, for macro recall
    init_head: str | None = None  # start from this head folder ("shipped": castlab's own)
    # keep MiniLM's embedding tables as packaged: the model then ships without them (the 12 MB
    # word table is loaded from the packaged base model), see castlab.sentiment.default
    freeze_embeddings: bool = False
    seed: int = 0


def _shard() -> tuple[int, int]:
    """(rank, processes) of a distributed run, (0, 1) otherwise."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class _SortishBatches:
    """Shuffled batches of tweets of similar length: little padding, still random each epoch.

    Under DDP every process draws the same shuffle and takes every n-th batch (all take the
    same number), so the processes share out each epoch without overlap.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int) -> None:
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size) // _shard()[1]

    def __iter__(self):  # type: ignore[no-untyped-def]
        rng = np.random.default_rng(self.seed + self.epoch)
        self.epoch += 1
        order = rng.permutation(len(self.lengths))
        pool = self.batch_size * 50  # sort within pools of 50 batches
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [
                chunk[i : i + self.batch_size].tolist()
                for i in range(0, len(chunk), self.batch_size)
            ]
        rank, processes = _shard()
        shuffled = rng.permutation(len(batches))
        for index in shuffled[rank : len(shuffled) // processes * processes : processes]:
            yield batches[index]


def _loader(frame: pd.DataFrame, tokenizer: Any, config: FineTuneConfig, batch: int, shuffle: bool):  # type: ignore[no-untyped-def]
    import torch
    from torch.utils.data import DataLoader

    from castlab.sentiment.data import normalise_tweet

    items = list(zip([normalise_tweet(t) for t in frame["text"]], frame["label"].astype(int)))

    def collate(
        rows: list[tuple[str, int]],
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        encoded = tokenizer(
            [text for text, _ in rows],
            padding=True,
            truncation=True,
            max_length=config.max_length,
            return_tensors="pt",
        )
        labels = torch.tensor([label for _, label in rows])
        return (encoded["input_ids"], encoded["attention_mask"]), labels

    if shuffle:
        batches = _SortishBatches([len(text) for text, _ in items], batch, config.seed)
        return DataLoader(items, batch_sampler=batches, collate_fn=collate)  # type: ignore[arg-type]
    return DataLoader(items, batch_size=batch, collate_fn=collate)  # type: ignore[arg-type]


def optimiser_config(
    train_config: TrainConfig,
    head_lr_scale: float = 1.0,
    class_weights: Sequence[float] | None = None,
) -> FinetuneConfig:
    """The core fine-tuning settings: the encoder at ``lr``, the head at ``lr * head_lr_scale``.

    Two layer groups (encoder, head), so the head's rate is the top rate and the encoder's
    is ``head_lr_scale`` times lower; one-cycle with a 10% warm-up.

    Examples
    --------
    >>> from castlab.core.finetune import group_learning_rates
    >>> from castlab.core.training import TrainConfig
    >>> group_learning_rates(optimiser_config(TrainConfig(lr=1e-5), 100.0), 2)
    [1e-05, 0.001]
    """
    from castlab.core.finetune import FinetuneConfig

    return FinetuneConfig(
        lr=train_config.lr * head_lr_scale,
        lr_decay=head_lr_scale,
        weight_decay=train_config.weight_decay,
        one_cycle=train_config.one_cycle,
        warmup=0.1,
        class_weights=None if class_weights is None else tuple(class_weights),
    )


def initial_classifier(
    config: FineTuneConfig,
    encoder_path: str | Path,
    class_weights: Sequence[float] | None = None,
) -> SentimentClassifier:
    """MiniLM + head as fine-tuning starts: the head from ``config.init_head`` if given.

    Starting from a trained head (a linear probe) means the head is useful from step one.
    """
    from castlab.sentiment.model import SentimentClassifier, safe_scale

    model = SentimentClassifier(
        encoder_path,
        dropout=config.dropout,
        class_weights=class_weights,
        encoder_dropout=config.encoder_dropout,
    )
    if config.init_head:
        from castlab.core.artifacts import load_model_weights
        from castlab.sentiment.scorers import HEAD_DIR

        head_weights, head_config = load_model_weights(
            HEAD_DIR if config.init_head == "shipped" else config.init_head
        )
        if head_config.get("vader_features") or head_weights["mean"].numel() != model.encoder.dim:
            raise CastlabError(
                "this head takes other inputs than the MiniLM vector", fix="drop --init-head"
            )
        model.head.load_state_dict(head_weights)
        model.head.scale.copy_(safe_scale(model.head.scale))  # heads saved before safe_scale
    return model


def finetune(
    train: pd.DataFrame,
    val: pd.DataFrame | None,
    run_dir: str | Path,
    *,
    config: FineTuneConfig = FineTuneConfig(),
    train_config: TrainConfig | None = None,
    encoder_path: str | Path | None = None,
    resume: bool = False,
) -> Path:
    """Fine-tune MiniLM + head end to end on ``train`` (``text, label``); return the model folder.

    Writes ``run_dir/model/`` (safetensors + JSON), ``metrics.csv``, ``loss.png`` and
    checkpoints (``resume`` continues from ``checkpoints/last.ckpt``).
    """
    from transformers import AutoTokenizer

    from castlab.core.artifacts import save_model, write_json
    from castlab.core.finetune import ClassifierTask
    from castlab.core.training import (
        TrainConfig,
        allow_unused_parameters,
        check_run_folder,
        data_fingerprint,
        fit,
        is_main_process,
        run_settings,
    )
    from castlab.sentiment.model import minilm_path

    train_config = train_config or TrainConfig(max_epochs=1, batch_size=32, lr=5e-5)
    # before config.json is written: an unfinished run's must stay
    check_run_kind(run_dir, "finetune", resume=resume)
    check_run_folder(run_dir, train_config, resume=resume)
    if len(train) == 0:
        raise CastlabError("no training tweets", fix="check the data folders")
    if config.max_train and len(train) > config.max_train:
        train = train.sample(n=config.max_train, random_state=config.seed)
    path = encoder_path or minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    weights = class_weights(train["label"].to_numpy()) if config.balanced else None
    model = initial_classifier(config, path, weights)
    if config.freeze_embeddings:
        model.encoder.transformer.embeddings.requires_grad_(False)
    model.train()  # from_pretrained returns eval mode, and Lightning keeps a module's mode
    run_dir = Path(run_dir)
    # _SortishBatches shards each epoch itself; MiniLM's pooler is not used by the head
    train_config = allow_unused_parameters(replace(train_config, distributed_sampler=False))
    if is_main_process() and not resume:  # one writer under DDP; a resumed run keeps its own
        write_json(
            run_dir / "config.json", {"finetune": asdict(config), "train": train_config.to_dict()}
        )
    train_loader = _loader(train, tokenizer, config, train_config.batch_size, True)
    val_loader = None if val is None else _loader(val, tokenizer, config, 128, False)
    task = ClassifierTask(model, optimiser_config(train_config, config.head_lr_scale, weights))
    settings = run_settings(  # what a resume must keep
        train_config,
        finetune=asdict(config),
        encoder=str(Path(path).resolve()),
        data=data_fingerprint(train["text"].tolist(), train["label"].tolist()),
    )
    trainer = fit(
        task, train_loader, val_loader, run_dir, train_config, resume=resume, settings=settings
    )
    encoder = "minilm" if Path(path) == minilm_path() else str(path)  # portable for the default
    info = {"max_length": max(config.max_length, 128), "encoder": encoder, "train_rows": len(train)}
    if not trainer.is_global_zero:
        return run_dir / "model"
    return save_model(run_dir / "model", model.state_dict(), {**asdict(config), **info})


def train_head_from_data(
    train: pd.DataFrame,
    val: pd.DataFrame | None,
    directory: str | Path,
    *,
    config: HeadConfig = HeadConfig(),
    max_train: int = 0,
    batch_size: int = 64,
) -> tuple[Path, Evaluation | None]:
    """Embed ``train`` with MiniLM, fit the linear head, save it, and score it on ``val``.

    This is how the head shipped in ``castlab/sentiment/head/`` is made (see
    ``benchmarks/sentiment.py``); pass the folder to ``--model`` to use another head.
    """
    from transformers import AutoTokenizer

    from castlab.sentiment.data import normalise_tweet
    from castlab.sentiment.model import SentenceEncoder, embed_texts, minilm_path
    from castlab.sentiment.scorers import vader_features

    check_run_kind(directory, "head")
    if max_train and len(train) > max_train:
        train = train.sample(n=max_train, random_state=config.seed)
    encoder = SentenceEncoder()
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))

    def embed(frame: pd.DataFrame) -> np.ndarray:
        texts = [normalise_tweet(t) for t in frame["text"]]
        vectors = embed_texts(
            encoder, tokenizer, texts, batch_size=batch_size, max_length=config.max_length
        )
        if config.vader_features:
            vectors = np.hstack([vectors, vader_features(list(frame["text"]))])
        return vectors

    head = train_head(embed(train), train["label"].to_numpy(), config)
    result = None
    if val is not None:
        import torch

        with torch.no_grad():
            logits = head(torch.as_tensor(embed(val))).numpy()
        result = evaluate_predictions(val["label"].to_numpy(), logits.argmax(1))
    info = {
        "train_rows": len(train),
        "val_macro_recall": None if result is None else result.macro_recall,
    }
    return save_head(head, directory, config, **info), result


def export_model(
    model_dir: str | Path, out: str | Path, *, dtype: str = "float16", **info: Any
) -> Path:
    """Write the weights a fine-tuned run changed, in ``dtype``, to ``out`` (safetensors + JSON).

    The embedding tables (~47 MB of MiniLM's 90 MB in float32) must be the encoder's own, as
    after ``castlab sentiment train --freeze-embeddings``; they and the unused pooler are left
    out and loaded from the encoder (the packaged MiniLM) by
    :class:`castlab.sentiment.scorers.FineTunedScorer`.
    The head stays float32 (a few KB). This is how ``castlab/sentiment/default/`` is made.
    """
    import torch
    from safetensors.torch import load_file

    from castlab.core.artifacts import load_model_weights, save_model
    from castlab.sentiment.model import minilm_path

    model_dir = Path(model_dir)
    if (model_dir / "model" / "model.safetensors").exists():
        model_dir = model_dir / "model"
    weights, config = load_model_weights(model_dir)
    encoder = config.get("encoder", "minilm")
    base = load_file(
        str((minilm_path() if encoder == "minilm" else Path(encoder)) / "model.safetensors")
    )
    kept: dict[str, torch.Tensor] = {}
    for key, value in weights.items():
        if ".pooler." in key:
            continue
        if ".embeddings." in key:
            original = base.get(key.removeprefix("encoder.transformer."))
            if original is None or not torch.equal(original.float(), value.float()):
                raise CastlabError(
                    f"{key} changed during fine-tuning, so the model cannot load it from MiniLM",
                    path=model_dir,
                    fix="train with --freeze-embeddings",
                )
            continue
        is_encoder = key.startswith("encoder.") and value.is_floating_point()
        kept[key] = value.to(getattr(torch, dtype)) if is_encoder else value
    return save_model(out, kept, {**config, **info, "base_weights": encoder, "dtype": dtype})
