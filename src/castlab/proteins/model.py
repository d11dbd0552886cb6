"""Protein family classifiers and the saved model folder.

- :class:`LanguageModelClassifier`: a pretrained language-model encoder (AWD-LSTM or GPT from
  :mod:`castlab.core.language_model`) whose hidden states are concat-pooled
  ``[last, max, mean]`` (ULMFiT) and fed to a small head.
- :class:`ProtCNN`: a dilated residual 1-D CNN over residue embeddings with max pooling
  (after ProtCNN, Bileschi et al. 2019).

Both take ``idx`` (B, T) of token ids (``<bos>`` first, right-padded with ``<pad>``) and
``lengths`` (B,) and return logits (B, n_families). :class:`ProteinModel` bundles a network
with its tokenizer and family names and saves them as safetensors + JSON (never pickle).

Examples
--------
>>> import torch
>>> config = ClassifierConfig(kind="cnn", vocab_size=29, n_classes=3, dim=16, blocks=2)
>>> net = build_classifier(config)
>>> tuple(net(torch.ones(2, 7, dtype=torch.long), torch.tensor([7, 4])).shape)
(2, 3)
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from castlab.core.artifacts import (
    build_for_weights,
    load_model_weights,
    read_json,
    save_model,
    write_text,
)
from castlab.core.errors import CastlabError, require_at_least, require_sizes
from castlab.core.language_model import LanguageModelConfig, build_language_model
from castlab.core.tokenizers import BOS, PAD, Tokenizer
from castlab.proteins.confirm import (
    ConfirmConfig,
    References,
    confirm,
    load_references,
    save_references,
)
from castlab.proteins.data import ProteinRecord
from castlab.proteins.tokenize import load_protein_tokenizer

#: the answer for a sequence of none of the families (see castlab.proteins.openset)
UNKNOWN = "unknown"

if TYPE_CHECKING:
    from castlab.core.training import TrainConfig

__all__ = [
    "DEFAULT_LR",
    "ProteinConfig",
    "default_lr",
    "ClassifierConfig",
    "FamilyPrediction",
    "LanguageModelClassifier",
    "ProtCNN",
    "ProteinEnsemble",
    "ProteinModel",
    "build_classifier",
    "encode_batch",
    "load_classifier",
    "load_network",
    "save_network",
]


@dataclass(frozen=True)
class ClassifierConfig:
    """A classifier's shape. ``kind`` "lstm"/"transformer" use an LM encoder; "cnn" ProtCNN."""

    kind: str = "lstm"
    vocab_size: int = 29
    n_classes: int = 2
    dim: int = 128  # embedding width (LM encoder output width; CNN channels)
    hidden: int = 256  # LSTM hidden size
    layers: int = 2  # LM layers
    heads: int = 4  # transformer heads
    block_size: int = 512  # longest input in tokens (incl. <bos>); longer ones are cut
    dropout: float = 0.1
    head_hidden: int = 128  # width of the classifier head's hidden layer
    blocks: int = 4  # CNN residual blocks; dilation doubles each block
    kernel: int = 5  # CNN kernel width

    def __post_init__(self) -> None:
        # a saved model's config.json may say anything: blocks 10**7 built for minutes
        require_sizes(self, {"layers": 64, "heads": 256, "blocks": 64, "kernel": 1025})

    def language_model(self) -> LanguageModelConfig:
        """The encoder's language-model config (what pretraining builds)."""
        return LanguageModelConfig(
            kind=self.kind,
            vocab_size=self.vocab_size,
            dim=self.dim,
            hidden=self.hidden,
            layers=self.layers,
            heads=self.heads,
            block_size=self.block_size,
            dropout=self.dropout,
        )


#: peak learning rates by model and stage, measured on the Pfam and kinase benchmarks
DEFAULT_LR = {
    "pretrain": {"lstm": 1e-2, "transformer": 2e-3},
    "finetune": {"lstm": 1e-2, "transformer": 1e-3, "cnn": 5e-3},
}


def default_lr(model: str, stage: str) -> float:
    """The peak learning rate used when none is given (``stage``: pretrain or finetune).

    Examples
    --------
    >>> default_lr("transformer", "pretrain"), default_lr("cnn", "finetune")
    (0.002, 0.005)
    """
    return DEFAULT_LR[stage][model]


def check_learning_rate(flag: str, lr: float) -> None:
    """Refuse a learning rate below 0 (it climbs the loss) or nan; 0 means the default.

    Examples
    --------
    >>> check_learning_rate("--lr", 0.0)
    >>> try:
    ...     check_learning_rate("--lr", -0.01)
    ... except CastlabError as error:
    ...     print(error)
    --lr -0.01: not a learning rate (fix: use a positive number, or 0 for the model's default)
    """
    if not (math.isfinite(lr) and lr >= 0):
        raise CastlabError(
            f"{flag} {lr}: not a learning rate",
            fix="use a positive number, or 0 for the model's default",
        )


@dataclass(frozen=True)
class ProteinConfig:
    """Fields shared by pretraining and classifier configs: tokenizer, network, how to run."""

    tokenizer: str = "aa"  # aa | kmer | bpe | unigram (subwords are learnt on the corpus)
    vocab_size: int = 256  # bpe / unigram only
    k: int = 3  # kmer only
    model: str = "lstm"  # lstm (AWD-LSTM) | transformer | cnn (classifiers only)
    dim: int = 128
    hidden: int = 256  # LSTM only
    layers: int = 2
    heads: int = 4  # transformer only
    dropout: float = 0.1
    batch_size: int = 32
    max_steps: int = -1  # stop after this many optimiser steps (-1: epochs decide)
    seed: int = 0
    precision: str = "32-true"
    accelerator: str = "auto"  # Lightning: auto, cpu, gpu, ...
    devices: str = "auto"  # Lightning devices per node
    num_nodes: int = 1
    strategy: str = "auto"  # ddp, fsdp, ... for several devices

    def __post_init__(self) -> None:
        sizes = {"--dim": self.dim, "--hidden": self.hidden, "--layers": self.layers}
        sizes |= {"heads": self.heads, "k": self.k, "--batch-size": self.batch_size}
        for flag, value in sizes.items():  # 0 builds an empty network or batch
            require_at_least(flag, value, 1)
        if self.max_steps != -1:
            require_at_least("--max-steps", self.max_steps, 1)
        if not 0 <= self.dropout < 1:
            raise CastlabError(f"dropout {self.dropout}: not in 0-1", fix="use e.g. 0.1")

    def training(self, epochs: int, lr: float, **fields: Any) -> TrainConfig:
        """The core ``TrainConfig`` of one stage: these run fields plus ``fields``."""
        from castlab.core.training import TrainConfig

        return TrainConfig(
            max_epochs=epochs,
            lr=lr,
            max_steps=self.max_steps,
            batch_size=self.batch_size,
            seed=self.seed,
            precision=self.precision,
            accelerator=self.accelerator,
            devices=self.devices,
            num_nodes=self.num_nodes,
            strategy=self.strategy,
            **fields,
        )

    def classifier(self, vocab_size: int, n_classes: int, block_size: int) -> ClassifierConfig:
        """The network's shape for a tokenizer of ``vocab_size`` and ``n_classes`` families."""
        return ClassifierConfig(
            kind=self.model,
            vocab_size=vocab_size,
            n_classes=n_classes,
            dim=self.dim,
            hidden=self.hidden,
            layers=self.layers,
            heads=self.heads,
            block_size=block_size,
            dropout=self.dropout,
        )


def _mask(idx: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    return torch.arange(idx.size(1), device=idx.device)[None, :] < lengths[:, None]  # (B, T)


class _Head(nn.Sequential):
    def __init__(self, width: int, hidden: int, n_classes: int, dropout: float) -> None:
        super().__init__(
            nn.BatchNorm1d(width),  # ULMFiT: batch statistics expose small input-dependent parts
            nn.Dropout(dropout),
            nn.Linear(width, hidden),
            nn.ReLU(),
            nn.BatchNorm1d(hidden),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )


class LanguageModelClassifier(nn.Module):
    """LM encoder + concat pooling + head; layer groups for gradual unfreezing."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = build_language_model(config.language_model())
        self.head = _Head(3 * config.dim, config.head_hidden, config.n_classes, config.dropout)

    def forward(self, idx: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states = self.encoder.hidden_states(idx)  # (B, T, C)
        mask = _mask(idx, lengths).unsqueeze(-1)  # (B, T, 1)
        last = states[torch.arange(idx.size(0)), lengths - 1]  # (B, C)
        largest = states.masked_fill(~mask, float("-inf")).amax(dim=1)
        mean = (states * mask).sum(dim=1) / lengths[:, None].clamp(min=1)
        return self.head(torch.cat([last, largest, mean], dim=-1))  # (B, n_classes)

    def layer_groups(self) -> list[list[nn.Parameter]]:
        """Embedding, each LM layer, then the head (input side first)."""
        encoder = self.encoder
        if self.config.kind == "lstm":
            first = [encoder.embedding.weight]
            layers = [list(r.parameters()) for r in encoder.rnns]
            top = list(self.head.parameters())
        else:
            first = [encoder.embedding.weight, encoder.position.weight]
            layers = [list(b.parameters()) for b in encoder.blocks]
            top = list(encoder.norm.parameters()) + list(self.head.parameters())
        return [first, *layers, top]


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm1d(channels)
        self.conv1 = nn.Conv1d(
            channels, channels, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2
        )
        self.norm2 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # (B, C, T)
        # padding must reach the dilated convolution as zeros (like its own zero padding):
        # norm1(0) is not 0, and without the mask a sequence's answer would depend on how
        # much padding its batch gave it (training batches are mixed, prediction batches
        # are sorted by length)
        y = self.conv1(F.relu(self.norm1(x)) * mask)
        return x + self.conv2(F.relu(self.norm2(y)))


class ProtCNN(nn.Module):
    """Dilated residual CNN: embed, convolve, max-pool over real residues, classify."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.dim, padding_idx=PAD)
        self.conv = nn.Conv1d(config.dim, config.dim, config.kernel, padding=config.kernel // 2)
        self.blocks = nn.ModuleList(
            _ResidualBlock(config.dim, config.kernel, 2**i) for i in range(config.blocks)
        )
        self.head = nn.Sequential(
            nn.Dropout(config.dropout), nn.Linear(config.dim, config.n_classes)
        )

    def features(self, idx: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Max-pooled convolution features (B, C): what the head classifies."""
        mask = _mask(idx, lengths).unsqueeze(1)  # (B, 1, T)
        x = self.conv(self.embedding(idx).transpose(1, 2)) * mask  # (B, C, T)
        for block in self.blocks:
            x = block(x, mask) * mask
        return x.masked_fill(~mask, float("-inf")).amax(dim=2)  # (B, C)

    def forward(self, idx: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(idx, lengths))

    def layer_groups(self) -> list[list[nn.Parameter]]:
        return [list(self.parameters())]


def build_classifier(config: ClassifierConfig) -> nn.Module:
    """The network named by ``config.kind``."""
    if config.kind == "cnn":
        return ProtCNN(config)
    if config.kind in ("lstm", "transformer"):
        return LanguageModelClassifier(config)
    raise CastlabError(f"unknown model {config.kind!r}", fix="use lstm, transformer or cnn")


def encode_batch(
    tokenizer: Tokenizer, sequences: Sequence[str], *, max_tokens: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``<bos>`` + tokens, cut to ``max_tokens`` and right-padded: (idx (B, T), lengths (B,))."""
    encoded = [[BOS, *tokenizer.encode(s)][:max_tokens] for s in sequences]
    lengths = torch.tensor([len(e) for e in encoded], dtype=torch.long)
    idx = torch.full((len(encoded), int(lengths.max())), PAD, dtype=torch.long)
    for i, ids in enumerate(encoded):
        idx[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    return idx, lengths


class FamilyPrediction(NamedTuple):
    """One row of ``castlab proteins predict``: the likeliest family and the top k."""

    name: str
    family: str
    probability: float  # of ``family``, in [0, 1]
    top_k: str  # the k likeliest families, most likely first: "PF00001:0.9100;PF00002:0.0500"
    bit_score: float | None = None  # the confirming alignment's (models with references)
    evalue: float | None = None  # its E-value; above the references' max_evalue: unknown

    def answers(self) -> list[str]:
        """The answer cells of a predictions CSV, as ``castlab proteins predict`` writes them:
        family, probability (4 decimals), top k, bit score (1 decimal), E-value (3 digits).

        Examples
        --------
        >>> FamilyPrediction("q", "PF00004", 0.98765, "PF00004:0.9877", 260.83, 5.57e-75).answers()
        ['PF00004', '0.9877', 'PF00004:0.9877', '260.8', '5.57e-75']
        """
        return [
            self.family,
            f"{self.probability:.4f}",
            self.top_k,
            "" if self.bit_score is None else f"{self.bit_score:.1f}",
            "" if self.evalue is None else f"{self.evalue:.3g}",
        ]


class _FamilyPredictor:
    """``predict_families`` for anything with ``families`` and ``predict_proba``."""

    families: list[str]

    def open_set_threshold(self) -> float | None:
        """Top probabilities below this are answered ``unknown`` (None: closed set)."""
        return None

    def predict_proba(self, sequences: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        raise NotImplementedError

    def predict_families(
        self, records: Iterable[ProteinRecord], *, top_k: int = 3, batch_size: int = 256
    ) -> Iterator[FamilyPrediction]:
        """One :class:`FamilyPrediction` per record, in order; ``batch_size`` records at a time.

        ``records`` may be a generator (e.g. :func:`castlab.proteins.data.iter_fasta`), so a
        file of any size is scored in flat memory. A model with an open-set rule (see
        :mod:`castlab.proteins.openset`) answers ``unknown`` below its threshold.
        """
        records = iter(records)
        threshold = self.open_set_threshold()
        while chunk := list(itertools.islice(records, batch_size)):
            proba = self.predict_proba([r.sequence for r in chunk])  # (len(chunk), n_families)
            for record, row in zip(chunk, proba):
                order = row.argsort()[::-1][:top_k]
                top = ";".join(f"{self.families[i]}:{row[i]:.4f}" for i in order)
                family = self.families[order[0]]
                if threshold is not None and row[order[0]] < threshold:
                    family = UNKNOWN  # open set: not sure enough that it is any family
                yield FamilyPrediction(record.name, family, float(row[order[0]]), top)


_TIED = "encoder.decoder.weight"  # the LM decoder shares the embedding: saved once


def save_network(
    directory: str | Path, network: nn.Module, tokenizer: Tokenizer, meta: dict, *, tied: str
) -> Path:
    """Write ``model.safetensors`` (without the ``tied`` copy), ``config.json``, ``tokenizer.json``."""
    directory = Path(directory)
    state = {k: v for k, v in network.state_dict().items() if k != tied}
    save_model(directory, state, meta)
    write_text(directory / "tokenizer.json", json.dumps(tokenizer.to_dict()))
    return directory


def load_network(
    directory: str | Path,
    key: str,
    build: Callable[[dict[str, Any]], nn.Module],
    *,
    tied: str,
    fix: str,
) -> tuple[nn.Module, dict[str, Any], Tokenizer]:
    """Read a folder of :func:`save_network`: ``build(meta[key])`` gets its weights.

    Returns the network (in eval mode), the whole config and the tokenizer; a folder of
    another kind, or weights that do not fit, is a :class:`CastlabError` naming ``fix``.
    """
    directory = Path(directory)
    state, meta = load_model_weights(directory)
    if key not in meta:
        kind = "classifier" if key == "classifier" else "language-model"
        raise CastlabError(f"not a protein {kind} folder", path=directory, fix=fix)
    network = build_for_weights(
        lambda: build(meta[key]), state, directory, optional=(tied,), fix=fix
    )
    tokenizer = load_protein_tokenizer(read_json(directory / "tokenizer.json"))
    return network.eval(), meta, tokenizer


@dataclass
class ProteinModel(_FamilyPredictor):
    """A trained family classifier with its tokenizer and family names.

    With ``references`` (see :mod:`castlab.proteins.confirm` and :meth:`with_references`),
    :meth:`predict_families` lets alignment confirm the classifier's shortlist and answers
    ``unknown`` when no reference of a proposed family aligns well enough.
    """

    tokenizer: Tokenizer
    network: nn.Module
    config: ClassifierConfig
    families: list[str]
    info: dict[str, Any] = field(default_factory=dict)
    references: References | None = None
    confirmation: ConfirmConfig = ConfirmConfig()

    def save(self, directory: str | Path) -> Path:
        """Write ``model.safetensors``, ``config.json``, ``tokenizer.json`` (and references)."""
        meta = {"classifier": asdict(self.config), "families": self.families, "info": self.info}
        out = save_network(directory, self.network, self.tokenizer, meta, tied=_TIED)
        if self.references is not None:
            save_references(out, self.references, self.confirmation)
        return out

    def with_references(
        self, records: Sequence[ProteinRecord], config: ConfirmConfig = ConfirmConfig()
    ) -> ProteinModel:
        """This model with ``records`` (labelled family members) as alignment references."""
        features = self.embed([r.sequence for r in records])
        references = References(
            [r.sequence for r in records], [str(r.family) for r in records], features
        )
        return replace(self, references=references, confirmation=config)

    @classmethod
    def load(cls, directory: str | Path) -> ProteinModel:
        """Load a folder written by :meth:`save`."""
        network, meta, tokenizer = load_network(
            directory,
            "classifier",
            lambda config: build_classifier(ClassifierConfig(**config)),
            tied=_TIED,
            fix="pass the model folder written by castlab proteins train",
        )
        config = ClassifierConfig(**meta["classifier"])
        model = cls(tokenizer, network, config, list(meta["families"]), meta.get("info", {}))
        stored = load_references(directory, families=model.families, dim=config.dim)
        if stored is not None:
            model.references, model.confirmation = stored
        return model

    def open_set_threshold(self) -> float | None:
        """The calibrated threshold saved in ``info["open_set"]`` (None: closed set)."""
        rule = self.info.get("open_set") or {}
        return rule.get("threshold")

    @torch.no_grad()
    def _batched(
        self, sequences: Sequence[str], width: int, step: Callable, batch_size: int
    ) -> np.ndarray:
        """``step(idx, lengths)`` over length-sorted batches, rows back in input order."""
        self.network.eval()
        order = np.argsort([len(s) for s in sequences], kind="stable")
        out = np.zeros((len(sequences), width), dtype=np.float64)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            idx, lengths = encode_batch(
                self.tokenizer, [sequences[i] for i in chosen], max_tokens=self.config.block_size
            )
            out[chosen] = step(idx, lengths).float().numpy()
        return out

    def predict_proba(self, sequences: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Family probabilities (n, n_families); sequences are scored in length-sorted batches."""
        return self._batched(
            sequences,
            len(self.families),
            lambda idx, lengths: torch.softmax(self.network(idx, lengths).float(), dim=-1),
            batch_size,
        )

    def embed(self, sequences: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """(n, dim) ProtCNN features (the head's input), for nearest-neighbour search."""
        if not hasattr(self.network, "features"):
            raise CastlabError("only ProtCNN models have features to embed", fix="use --model cnn")
        return self._batched(sequences, self.config.dim, self.network.features, batch_size)

    def predict_confirmed(
        self, sequences: Sequence[str], *, batch_size: int = 64
    ) -> tuple[np.ndarray, list[tuple[str | None, float, float]]]:
        """Probabilities (n, n_families) and, per sequence, :func:`~castlab.proteins.confirm.
        confirm`'s (family or None when rejected, bit score, E-value); needs references."""
        if self.references is None:
            raise CastlabError(
                "this model has no alignment references", fix="use a model with references.json"
            )

        def step(idx: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
            features = self.network.features(idx, lengths)
            proba = torch.softmax(self.network.head(features).float(), dim=-1)
            return torch.cat([proba, features.float()], dim=-1)

        both = self._batched(sequences, len(self.families) + self.config.dim, step, batch_size)
        proba, features = both[:, : len(self.families)], both[:, len(self.families) :]
        answers = confirm(
            sequences, proba, features, self.families, self.references, self.confirmation
        )
        return proba, answers

    def predict_families(
        self, records: Iterable[ProteinRecord], *, top_k: int = 3, batch_size: int = 256
    ) -> Iterator[FamilyPrediction]:
        """Like the classifier's; with references, the family is the best-aligned reference's.

        ``probability`` is then the classifier's probability of that family, and the answer
        is ``unknown`` when the alignment's E-value is above the references' ``max_evalue``.
        """
        if self.references is None:
            yield from super().predict_families(records, top_k=top_k, batch_size=batch_size)
            return
        records = iter(records)
        index = {family: i for i, family in enumerate(self.families)}
        while chunk := list(itertools.islice(records, batch_size)):
            proba, answers = self.predict_confirmed([r.sequence for r in chunk])
            for record, row, (family, bits, evalue) in zip(chunk, proba, answers):
                order = row.argsort()[::-1][:top_k]
                top = ";".join(f"{self.families[i]}:{row[i]:.4f}" for i in order)
                chosen = index[family] if family is not None else order[0]
                probability = float(row[chosen])
                yield FamilyPrediction(
                    record.name, family or UNKNOWN, probability, top, float(bits), float(evalue)
                )


@dataclass
class ProteinEnsemble(_FamilyPredictor):
    """Several classifiers of the same families; probabilities are their average.

    ProtCNN's authors ensemble ProtCNNs of different seeds ("ProtENN") for fewer errors than
    any single one; any castlab protein models of the same families combine the same way.
    """

    members: list[ProteinModel]

    def __post_init__(self) -> None:
        if not self.members:
            raise CastlabError("an ensemble needs at least one model")
        for member in self.members[1:]:
            if member.families != self.members[0].families:
                raise CastlabError(
                    "the ensemble's models were trained on different families",
                    fix="combine models trained on the same training data",
                )
        self.families = list(self.members[0].families)

    def predict_proba(self, sequences: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Mean of the members' (n, n_families) probabilities."""
        return np.mean([m.predict_proba(sequences, batch_size=batch_size) for m in self.members], 0)


def load_classifier(*directories: str | Path) -> ProteinModel | ProteinEnsemble:
    """One model folder -> :class:`ProteinModel`; several -> their :class:`ProteinEnsemble`.

    A model that answers ``unknown`` by a rule of its own (alignment references from
    ``--confirm``, or an open-set threshold) cannot join an ensemble: the average of the
    members' probabilities has no such rule, and would drop it without a word.
    """
    models = [ProteinModel.load(d) for d in directories]
    if len(models) == 1:
        return models[0]
    for directory, model in zip(directories, models):
        rule = (
            "alignment references (--confirm)"
            if model.references is not None
            else "open-set threshold"
            if model.open_set_threshold() is not None
            else None
        )
        if rule is not None:
            raise CastlabError(
                f"answers 'unknown' by its {rule}, which an average of models cannot keep",
                path=directory,
                fix="predict with this model alone (without --also), or ensemble models "
                "trained without that rule",
            )
    return ProteinEnsemble(models)
