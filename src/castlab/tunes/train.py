"""Train and evaluate tune language models.

``train_tunes`` reads a corpus, splits it by tune, builds a tokenizer (ABC tokens,
characters or BPE), trains an LSTM or transformer through :mod:`castlab.core.training`
and saves a :class:`~castlab.tunes.model.TuneModel` folder. ``next_token_metrics`` gives
held-out next-token accuracy and cross-entropy in bits per ABC character, which is
comparable across tokenizers.

Examples
--------
>>> config = TunesTrainConfig(tokenizer="abc", model="lstm")
>>> config.seq_len
128
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import DataLoader

from castlab.core.artifacts import write_json
from castlab.core.errors import CastlabError, require_at_least
from castlab.core.language_model import LanguageModelConfig, build_language_model
from castlab.core.tokenizers import BOS, CharTokenizer, SubwordTokenizer, Tokenizer
from castlab.core.training import (
    LanguageModelTask,
    TokenStreamDataset,
    TrainConfig,
    check_run_folder,
    data_fingerprint,
    find_learning_rate,
    fit,
    is_main_process,
    last_checkpoint,
    load_checkpoint,
    run_settings,
    seed_everything,
)
from castlab.tunes.abc import Tune, abc_tokenizer, abc_tokens
from castlab.tunes.data import load_corpus, split_tunes
from castlab.tunes.decoder import decoder_notation
from castlab.tunes.model import TuneModel, encode_tune_text
from castlab.tunes.style import dotting
from castlab.tunes.tune_types import TypeClassifier, infer_types, labelled_types

if TYPE_CHECKING:
    from lightning.pytorch.callbacks import Callback

__all__ = [
    "TuneWindows",
    "TunesTrainConfig",
    "build_tokenizer",
    "find_tunes_learning_rate",
    "next_token_metrics",
    "prepare",
    "token_stream",
    "train_tunes",
]


@dataclass(frozen=True)
class TunesTrainConfig:
    """What to train on and which model; training-loop settings live in ``TrainConfig``."""

    corpus: tuple[str, ...] = ("oneills", "ryans", "airds")  # files, folders or collections
    tokenizer: str = "abc"  # "abc", "char" or "bpe"
    bpe_vocab: int = 512  # vocabulary size of the BPE tokenizer
    model: str = "lstm"  # "lstm" or "transformer"
    dim: int = 256
    hidden: int = 512  # LSTM only
    layers: int = 2
    heads: int = 4  # transformer only
    dropout: float = 0.1
    seq_len: int = 128  # training window in tokens
    max_tunes: int = 0  # use only the first N training tunes (0: all); for quick runs
    # give untyped tunes (no R:) the type a classifier on meter and rhythm is sure of, so
    # the type works as a control code (castlab.tunes.tune_types.infer_types)
    infer_types: bool = True
    # "tune": every tune's first window starts at its <bos>, so the model learns the body
    # with the header (type, meter, key) in view; "stream": back-to-back windows
    windows: str = "tune"
    # start from this model folder's weights and tokenizer ("pretrained": the packaged
    # model); the size fields above are then taken from it
    init_model: str = ""
    # "decoder": bodies rewritten in the notation the constrained decoder writes
    # (castlab.tunes.decoder.decoder_notation); "written": as the books print them
    notation: str = "decoder"
    # write each tune's dotting (N:dotted / N:plain, castlab.tunes.style.dotting) in its
    # header, a control code: the corpus mixes books that write dotting out and books that
    # leave it to the player
    dotting: bool = True

    def __post_init__(self) -> None:
        sizes = {"--dim": self.dim, "--hidden": self.hidden, "--layers": self.layers}
        for flag, value in {**sizes, "heads": self.heads, "bpe_vocab": self.bpe_vocab}.items():
            require_at_least(flag, value, 1)  # 0 layers saved an LM without its LSTM
        require_at_least("--seq-len", self.seq_len, 2)  # a window predicts its next tokens
        require_at_least("max_tunes", self.max_tunes, 0)

    def as_started_from(self, start: TuneModel) -> TunesTrainConfig:
        """This config with the tokenizer and shape of the model ``--init-model`` started
        from: what is trained, and so what ``config.json`` and the model's info record."""
        shape = start.model_config
        return replace(
            self,
            tokenizer=str(start.info.get("tokenizer", self.tokenizer)),
            model=shape.kind,
            dim=shape.dim,
            hidden=shape.hidden,
            layers=shape.layers,
            heads=shape.heads,
        )

    @classmethod
    def of_model(cls, info: dict, corpus: Sequence[str] | None = None) -> TunesTrainConfig:
        """The text a model was trained on, from its ``info``: corpus, inferred types,
        notation and dotting codes (a model saved before a setting existed had it off).

        >>> TunesTrainConfig.of_model({"corpus": ["oneills"], "notation": "decoder"}).dotting
        False
        """
        return cls(
            corpus=tuple(corpus or info.get("corpus") or cls.corpus),
            infer_types=bool(info.get("infer_types", False)),
            notation=str(info.get("notation", "written")),
            dotting=bool(info.get("dotting", False)),
        )

    def language_model(self, vocab_size: int) -> LanguageModelConfig:
        """The network's config for a tokenizer of ``vocab_size`` tokens."""
        return LanguageModelConfig(
            kind=self.model,
            vocab_size=vocab_size,
            dim=self.dim,
            hidden=self.hidden,
            layers=self.layers,
            heads=self.heads,
            block_size=max(512, self.seq_len),
            dropout=self.dropout,
        )


def build_tokenizer(kind: str, texts: Sequence[str], *, bpe_vocab: int = 512) -> Tokenizer:
    """A tokenizer of ``kind`` learnt from ``texts``."""
    if kind == "abc":
        return abc_tokenizer(list(texts))
    if kind == "char":
        return CharTokenizer.train(texts)
    if kind == "bpe":
        return SubwordTokenizer.train(texts, vocab_size=bpe_vocab, algorithm="bpe")
    raise CastlabError(f"unknown tokenizer {kind!r}", fix="use abc, char or bpe")


def token_stream(tokenizer: Tokenizer, tunes: Sequence[Tune]) -> torch.Tensor:
    """All tunes as one stream of ids, each wrapped in ``<bos>`` ... ``<eos>``."""
    ids: list[int] = []
    for tune in tunes:
        ids.extend(encode_tune_text(tokenizer, tune.model_text))
    return torch.tensor(ids, dtype=torch.long)


class TuneWindows(torch.utils.data.Dataset):
    """Windows of ``seq_len`` + 1 ids from a stream of tunes, each tune's first at its start.

    Tunes longer than ``seq_len`` get further windows every ``seq_len`` tokens, so every
    token is trained on; ``starts`` are the offsets of the tunes' ``<bos>`` in ``ids``.
    Item ``i`` is ``(x, y)``, both shape ``(seq_len,)``.

    Examples
    --------
    >>> windows = TuneWindows(torch.arange(10), [0, 4], seq_len=3)
    >>> [x.tolist() for x, _ in windows]
    [[0, 1, 2], [4, 5, 6], [6, 7, 8]]
    """

    def __init__(self, ids: torch.Tensor, starts: Sequence[int], seq_len: int) -> None:
        self.ids, self.seq_len = ids, seq_len
        last = ids.numel() - seq_len - 1
        if last < 0:
            raise CastlabError(
                f"only {ids.numel()} tokens, fewer than one window of {seq_len + 1}",
                fix="give more data or a shorter --seq-len",
            )
        ends = [*starts[1:], ids.numel()]
        self.offsets = [
            min(offset, last)
            for start, end in zip(starts, ends, strict=True)
            for offset in range(start, max(end - 1, start + 1), seq_len)
        ]

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        chunk = self.ids[self.offsets[i] : self.offsets[i] + self.seq_len + 1]
        return chunk[:-1], chunk[1:]


def _dataset(ids: torch.Tensor, seq_len: int, windows: str) -> torch.utils.data.Dataset:
    if windows == "stream":
        return TokenStreamDataset(ids, seq_len)
    if windows != "tune":
        raise CastlabError(f"unknown windows {windows!r}", fix="use tune or stream")
    starts = (ids == BOS).nonzero().flatten().tolist()
    return TuneWindows(ids, starts, seq_len)


def _start_model(init_model: str) -> TuneModel | None:
    if not init_model:
        return None
    return TuneModel.pretrained() if init_model == "pretrained" else TuneModel.load(init_model)


def prepare(config: TunesTrainConfig) -> tuple[dict[str, list[Tune]], Tokenizer, Any]:
    """Load and split the corpus and learn the tokenizer; returns (splits, tokenizer, corpus)."""
    corpus = load_corpus(config.corpus)
    splits = split_tunes(corpus.tunes)
    if config.infer_types and len(labelled_types(splits["train"])) >= 2:
        classifier = TypeClassifier().fit(splits["train"])
        splits = {
            name: infer_types(tunes, classifier=classifier)[0] for name, tunes in splits.items()
        }
    if config.notation == "decoder":
        splits = {
            name: [t.with_body(decoder_notation(t.body)) for t in tunes]
            for name, tunes in splits.items()
        }
    elif config.notation != "written":
        raise CastlabError(f"unknown notation {config.notation!r}", fix="use decoder or written")
    if config.dotting:
        splits = {
            name: [replace(t, dotting=dotting(t)) for t in tunes] for name, tunes in splits.items()
        }
    if config.max_tunes:
        splits["train"] = splits["train"][: config.max_tunes]
    tokenizer = build_tokenizer(
        config.tokenizer, [t.model_text for t in splits["train"]], bpe_vocab=config.bpe_vocab
    )
    return splits, tokenizer, corpus


def train_tunes(
    config: TunesTrainConfig,
    train_config: TrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    callbacks: Sequence[Callback] = (),
) -> TuneModel:
    """Train a tune model into ``run_dir`` and save it to ``run_dir/model``.

    ``callbacks`` join the trainer's own (e.g. :class:`castlab.core.training.StepProgress`).

    The run folder also holds ``config.json``, ``metrics.csv``, ``loss.png`` and
    ``checkpoints/last.ckpt`` (for ``resume``).
    """
    run_dir = Path(run_dir)
    # before the corpus is read and config.json written (an unfinished run's must stay)
    check_run_folder(run_dir, train_config, resume=resume)
    splits, tokenizer, corpus = prepare(config)
    start_model = _start_model(config.init_model)
    if start_model is not None:
        # header values the start model never saw (e.g. the N: control code) get new ids
        headers = {t for tune in splits["train"] for t in abc_tokens(tune.header_text)}
        start_model = start_model.with_tokens(sorted(headers))
        tokenizer = start_model.tokenizer
        config = config.as_started_from(start_model)  # its shape, not the flags', is trained
    if not splits["valid"]:
        splits["valid"] = splits["train"][-max(1, len(splits["train"]) // 20) :]
    train_ids = token_stream(tokenizer, splits["train"])
    valid_ids = token_stream(tokenizer, splits["valid"])
    seq_len = min(config.seq_len, len(valid_ids) - 1)
    model_config = (
        config.language_model(tokenizer.vocab_size)
        if start_model is None
        else start_model.model_config
    )
    seed_everything(train_config.seed)  # the initial weights too: the same seed, the same model
    network = build_language_model(model_config) if start_model is None else start_model.network
    network.train()
    task = LanguageModelTask(network, train_config)
    train_loader = DataLoader(
        _dataset(train_ids, seq_len, config.windows),
        batch_size=train_config.batch_size,
        shuffle=True,
        drop_last=len(train_ids) > train_config.batch_size * (seq_len + 1),
    )
    valid_loader = DataLoader(
        _dataset(valid_ids, seq_len, config.windows), batch_size=train_config.batch_size
    )
    # written once the settings have built a network and its data (a bad --windows left a
    # config.json of a run that never started); a resumed run keeps the one it started with
    if is_main_process() and not resume:  # one writer under DDP: rank 0
        write_json(
            run_dir / "config.json",
            {
                "tunes": asdict(config),
                "train": asdict(train_config),
                "model": model_config.to_dict(),
            },
        )
    checkpoint = last_checkpoint(run_dir) if resume else None
    start_step = 0
    if checkpoint is not None:
        start_step = int(load_checkpoint(checkpoint).get("global_step", 0))
    start = time.perf_counter()
    # what a resume must keep: the options (the corpus by its tokens, not its path) and data
    settings = run_settings(
        train_config,
        tunes={k: v for k, v in asdict(config).items() if k != "corpus"},
        data=data_fingerprint(train_ids),
    )
    trainer = fit(
        task,
        train_loader,
        valid_loader,
        run_dir,
        train_config,
        resume=resume,
        callbacks=callbacks,
        settings=settings,
    )
    seconds = time.perf_counter() - start
    steps = int(trainer.global_step)
    # every process trains on batch_size windows per step
    new_tokens = (steps - start_step) * train_config.batch_size * seq_len * trainer.world_size
    info = {
        "corpus": list(config.corpus),
        "tunes": {name: len(tunes) for name, tunes in splits.items()},
        "skipped": len(corpus.skipped),
        "skipped_first": [str(problem) for problem in corpus.skipped[:3]],  # the reasons
        "tokenizer": config.tokenizer,
        "train_tokens": int(train_ids.numel()),
        "steps": steps,
        "seconds": round(seconds, 1),
        "tokens_per_second": round(new_tokens / max(seconds, 1e-9)),  # this session's
        "rhythms": sorted({t.rhythm for t in splits["train"] if t.rhythm}),
        "typed_tunes": sum(bool(t.rhythm) for t in splits["train"]),
        "init_model": config.init_model,
        "notation": config.notation,
        "init_steps": start_model.info.get("steps", 0) if start_model is not None else 0,
        "infer_types": config.infer_types,
        "dotting": config.dotting,
    }
    model = TuneModel(tokenizer, network.eval(), model_config, info)
    if trainer.is_global_zero:
        model.save(run_dir / "model")
    return model


def find_tunes_learning_rate(
    config: TunesTrainConfig,
    run_dir: str | Path,
    *,
    steps: int = 100,
    batch_size: int = 32,
    seed: int = 0,
) -> tuple[float, Path]:
    """Lightning's learning-rate range test on the corpus; returns the suggestion and plot.

    Seeded (the initial weights and the batches), so the same call suggests the same rate.
    """
    require_at_least("--steps", steps, 1)
    require_at_least("--batch-size", batch_size, 1)
    seed_everything(seed)
    splits, tokenizer, _ = prepare(config)
    network = build_language_model(config.language_model(tokenizer.vocab_size))
    loader = DataLoader(
        TokenStreamDataset(token_stream(tokenizer, splits["train"]), config.seq_len),
        batch_size=batch_size,
        shuffle=True,
    )
    task = LanguageModelTask(network, TrainConfig(one_cycle=False))
    return find_learning_rate(task, loader, run_dir, steps=steps)


@torch.no_grad()
def next_token_metrics(model: TuneModel, tunes: Sequence[Tune]) -> dict[str, float]:
    """Held-out next-token accuracy and cross-entropy per token and per ABC character.

    Each tune is scored from ``<bos>`` to ``<eos>``; bits per character divide the total
    bits by the characters of the tune texts (+1 for the end), so tokenizers compare fairly.
    A transformer sees at most ``block_size`` tokens of context (windows without overlap).
    """
    if not tunes:
        raise CastlabError("no tunes to evaluate", fix="give a corpus with a test split")
    network = model.network.eval()
    total_bits = correct = tokens = characters = 0.0
    block = model.model_config.block_size
    for tune in tunes:
        ids = torch.tensor([model.encode(tune.model_text)])
        inputs, targets = ids[:, :-1], ids[:, 1:]
        if model.model_config.kind == "lstm":
            logits, _ = network(inputs)
        else:
            logits = torch.cat(
                [network(inputs[:, i : i + block])[0] for i in range(0, inputs.size(1), block)],
                dim=1,
            )
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        nll = -log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        total_bits += float(nll.sum()) / math.log(2)
        correct += float((logits.argmax(-1) == targets).sum())
        tokens += targets.numel()
        characters += len(tune.model_text) + 1
    return {
        "accuracy": correct / tokens,
        "bits_per_token": total_bits / tokens,
        "bits_per_character": total_bits / characters,
        "tokens": tokens,
    }
