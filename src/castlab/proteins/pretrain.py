"""Pretrain a protein language model once, save it, and start classifiers from it (ULMFiT).

ULMFiT has three stages: a language model (LM) learnt on a large general corpus, the same LM
fine-tuned on the task's own sequences, then the classifier with gradual unfreezing. Stage 1
is costly and shared by every task, so :func:`pretrain` runs it on unlabelled sequences (e.g.
whole proteomes) and saves a :class:`ProteinLanguageModel` folder; stages 2-3 are
:func:`castlab.proteins.train.train_classifier` with ``language_model=``. The folder holds
``model.safetensors``, ``config.json`` (shape, tokenizer, metrics) and ``tokenizer.json``.

Examples
--------
>>> config = PretrainConfig(model="lstm", dim=16, hidden=32, layers=1)
>>> config.shape(vocab_size=29).language_model().hidden
32
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from castlab.core.errors import CastlabError, require_at_least
from castlab.core.language_model import build_language_model
from castlab.core.tokenizers import BOS, EOS, Tokenizer
from castlab.core.training import (
    LanguageModelTask,
    TokenStreamDataset,
    TrainConfig,
    data_fingerprint,
    fit,
    is_main_process,
    run_settings,
)
from castlab.proteins.model import (
    ClassifierConfig,
    ProteinConfig,
    check_learning_rate,
    default_lr,
    load_network,
    save_network,
)
from castlab.proteins.tokenize import build_tokenizer

__all__ = ["PretrainConfig", "ProteinLanguageModel", "pretrain", "pretrain_language_model"]


@dataclass(frozen=True)
class PretrainConfig(ProteinConfig):
    """Tokenizer, LM shape and schedule of one pretraining run (ULMFiT stage 1)."""

    hidden: int = 512  # LSTM only
    layers: int = 3
    block_size: int = 512  # longest classifier input a transformer LM will accept
    seq_len: int = 128  # tokens per training window
    epochs: int = 1
    lr: float = 0.0  # 0: default_lr(model, "pretrain")
    progress: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least("--epochs", self.epochs, 1)
        require_at_least("--seq-len", self.seq_len, 2)  # a window predicts its next tokens
        check_learning_rate("--lr", self.lr)

    def shape(self, vocab_size: int) -> ClassifierConfig:
        """The encoder shape a classifier built on this LM will have."""
        if self.model not in ("lstm", "transformer"):
            raise CastlabError(
                f"cannot pretrain a {self.model!r} language model", fix="use lstm or transformer"
            )
        return self.classifier(vocab_size, 1, max(self.block_size, self.seq_len))

    def train_config(self) -> TrainConfig:
        lr = self.lr or default_lr(self.model, "pretrain")
        return self.training(self.epochs, lr, progress=self.progress)


@dataclass
class ProteinLanguageModel:
    """A pretrained protein LM: tokenizer, core LM network, its shape and how it was made."""

    tokenizer: Tokenizer
    network: nn.Module
    shape: ClassifierConfig
    tokenizer_name: str = "aa"
    info: dict[str, Any] = field(default_factory=dict)

    def classifier_config(self, n_classes: int, config: Any = None) -> ClassifierConfig:
        """The shape of a classifier on this LM.

        ``config.max_tokens`` cuts LSTM inputs; a transformer keeps the LM's ``block_size``
        (its position table is fixed by pretraining).
        """
        block = self.shape.block_size
        if config is not None and self.shape.kind == "lstm":
            block = int(config.max_tokens)
        return replace(self.shape, n_classes=n_classes, block_size=block)

    def save(self, directory: str | Path) -> Path:
        """Write ``model.safetensors`` (tied decoder left out), ``config.json``, ``tokenizer.json``."""
        meta = {
            "language_model": asdict(self.shape),
            "tokenizer": self.tokenizer_name,
            "info": self.info,
        }
        return save_network(directory, self.network, self.tokenizer, meta, tied="decoder.weight")

    @classmethod
    def load(cls, directory: str | Path) -> ProteinLanguageModel:
        """Load a folder written by :meth:`save` (``castlab proteins pretrain``)."""
        network, meta, tokenizer = load_network(
            directory,
            "language_model",
            lambda shape: build_language_model(ClassifierConfig(**shape).language_model()),
            tied="decoder.weight",
            fix="pass the model folder written by castlab proteins pretrain",
        )
        shape = ClassifierConfig(**meta["language_model"])
        return cls(tokenizer, network, shape, str(meta["tokenizer"]), meta.get("info", {}))

    @torch.no_grad()
    def next_token_accuracy(self, sequences: Sequence[str], *, max_tokens: int = 512) -> float:
        """Share of next tokens the LM ranks first, over ``sequences`` (each cut to max_tokens).

        >>> shape = PretrainConfig(dim=8, hidden=8, layers=1).shape(vocab_size=29)
        >>> network = build_language_model(shape.language_model())
        >>> lm = ProteinLanguageModel(build_tokenizer("aa", []), network, shape)
        >>> 0.0 <= lm.next_token_accuracy(["MKVMKVMKV"]) <= 1.0
        True
        """
        self.network.eval()
        right = total = 0
        for sequence in sequences:
            ids = torch.tensor([[BOS, *self.tokenizer.encode(sequence)][:max_tokens]])
            if ids.size(1) < 2:
                continue
            logits, _ = self.network(ids[:, :-1])
            right += int((logits.argmax(-1) == ids[:, 1:]).sum())
            total += ids.size(1) - 1
        return right / max(total, 1)


def pretrain(
    sequences: Sequence[str],
    config: PretrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    source: str = "",
) -> ProteinLanguageModel:
    """Next-token pretraining on ``sequences``; saves and returns ``run_dir/model``.

    The sequences are shuffled (``config.seed``) and 5% are held out for validation. Training
    checkpoints into ``run_dir``, so ``resume=True`` continues a stopped run.
    """
    texts = [s for s in sequences if s]
    if len(texts) < 2:
        raise CastlabError(
            f"need at least two sequences to pretrain, got {len(texts)}",
            path=source or None,
            fix="pass FASTA files of unlabelled proteins",
        )
    random.Random(config.seed).shuffle(texts)
    tokenizer = build_tokenizer(config.tokenizer, texts, vocab_size=config.vocab_size, k=config.k)
    shape = config.shape(tokenizer.vocab_size)
    torch.manual_seed(config.seed)
    lm, metrics = pretrain_language_model(
        texts,
        tokenizer,
        shape,
        run_dir,
        train_config=config.train_config(),
        seq_len=config.seq_len,
        resume=resume,
        describe={
            "pretrain": {k: v for k, v in asdict(config).items() if k not in ("epochs", "progress")}
        },
    )
    info = {"source": source, "sequences": len(texts), "config": asdict(config), **metrics}
    model = ProteinLanguageModel(tokenizer, lm.eval(), shape, config.tokenizer, info)
    if is_main_process():  # one writer under DDP: rank 0
        model.save(Path(run_dir) / "model")
    return model


def _stream(tokenizer: Tokenizer, texts: Sequence[str]) -> torch.Tensor:
    ids: list[int] = []
    for text in texts:
        ids.extend([BOS, *tokenizer.encode(text), EOS])
    return torch.tensor(ids, dtype=torch.long)


def pretrain_language_model(
    texts: Sequence[str],
    tokenizer: Tokenizer,
    classifier: ClassifierConfig,
    run_dir: str | Path,
    *,
    train_config: TrainConfig,
    seq_len: int = 128,
    start_from: torch.nn.Module | None = None,
    resume: bool = False,
    describe: dict[str, Any] | None = None,
) -> tuple[torch.nn.Module, dict[str, float]]:
    """Next-token pretraining on ``texts`` (5% held out); returns the LM and its metrics.

    ``start_from`` continues an already pretrained LM (ULMFiT's second stage: the general LM
    fine-tuned on the task's own sequences); ``resume`` continues ``run_dir``'s last
    checkpoint. Windows are ``seq_len`` tokens (fewer if the held-out part is shorter).
    ``describe``: the caller's settings, which a resume must keep (with the training tokens
    and the window length; :func:`castlab.core.training.run_settings`).
    """
    texts = list(texts)
    if len(texts) < 2:
        raise CastlabError("need at least two sequences to pretrain a language model")
    held = max(1, len(texts) // 20)
    train_ids, valid_ids = _stream(tokenizer, texts[held:]), _stream(tokenizer, texts[:held])
    seq_len = max(8, min(seq_len, valid_ids.numel() - 1))
    lm = start_from if start_from is not None else build_language_model(classifier.language_model())
    lm.train()
    task = LanguageModelTask(lm, train_config)
    train_loader = DataLoader(
        TokenStreamDataset(train_ids, seq_len), batch_size=train_config.batch_size, shuffle=True
    )
    valid_loader = DataLoader(
        TokenStreamDataset(valid_ids, seq_len), batch_size=train_config.batch_size
    )
    start = time.perf_counter()
    settings = run_settings(
        train_config, seq_len=seq_len, data=data_fingerprint(train_ids), **(describe or {})
    )
    trainer = fit(
        task, train_loader, valid_loader, run_dir, train_config, resume=resume, settings=settings
    )
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
    metrics.update(
        seconds=round(time.perf_counter() - start, 1),
        train_tokens=int(train_ids.numel()),
        steps=int(trainer.global_step),
    )
    return lm.eval(), metrics
