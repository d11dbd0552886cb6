"""Train protein family classifiers: LM pretraining, ULMFiT fine-tuning, ProtCNN; evaluate.

``train_classifier`` builds the tokenizer, then for an LM classifier pretrains the language
model on unlabelled sequences (next-token, :mod:`castlab.core.training`), copies it into a
:class:`~castlab.proteins.model.LanguageModelClassifier` and fine-tunes it with gradual
unfreezing and discriminative learning rates (:mod:`castlab.core.finetune`); a CNN is trained
directly. ``evaluate`` scores any ``predict_proba``-like output: accuracy, macro-F1, log loss.

Examples
--------
>>> config = ProteinTrainConfig(model="cnn", finetune_epochs=1)
>>> config.tokenizer
'aa'
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from castlab.core.artifacts import write_json
from castlab.core.errors import CastlabError, require_at_least
from castlab.core.finetune import ClassifierTask, FinetuneConfig, GradualUnfreezing, fit_classifier
from castlab.core.tokenizers import BOS, PAD, Tokenizer
from castlab.core.training import is_main_process
from castlab.proteins.confirm import ConfirmConfig, calibrate_max_evalue
from castlab.proteins.data import ProteinRecord
from castlab.proteins.model import (
    ProteinConfig,
    ProteinModel,
    build_classifier,
    check_learning_rate,
    default_lr,
)
from castlab.proteins.pretrain import ProteinLanguageModel, pretrain_language_model
from castlab.proteins.splits import SplitConfig, prepare_split, write_split
from castlab.proteins.tokenize import build_tokenizer

__all__ = [
    "ProteinTrainConfig",
    "SequenceDataset",
    "evaluate",
    "score_probabilities",
    "train_classifier",
    "train_from_records",
]


@dataclass(frozen=True)
class ProteinTrainConfig(ProteinConfig):
    """Tokenizer, model and schedule of one classifier run."""

    max_tokens: int = 512  # inputs are cut to this many tokens (incl. <bos>)
    seq_len: int = 128  # LM pretraining window
    pretrain_epochs: int = 2  # 0: no pretraining (LM classifier from scratch)
    pretrain_lr: float = 0.0  # 0: default_lr(model, "pretrain")
    finetune_epochs: int = 4
    finetune_lr: float = 0.0  # 0: default_lr(model, "finetune")
    lr_decay: float = 2.6  # discriminative rates: each lower layer group learns this much slower
    unfreeze: bool = True  # gradual unfreezing (one more layer group per epoch)
    devices: str = "1"  # Lightning devices per node (ProteinConfig has the other run fields)

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least("--max-tokens", self.max_tokens, 2)  # <bos> and one residue
        require_at_least("--seq-len", self.seq_len, 2)
        require_at_least("--epochs", self.finetune_epochs, 1)
        require_at_least("--pretrain-epochs", self.pretrain_epochs, 0)
        check_learning_rate("pretrain_lr", self.pretrain_lr)
        check_learning_rate("finetune_lr", self.finetune_lr)
        if not self.lr_decay > 0:
            raise CastlabError(f"lr_decay {self.lr_decay}: must be above 0", fix="use e.g. 2.6")


#: classifier runs inside a larger command: no progress bar, checkpoints at epoch ends only
_QUIET = {"progress": False, "checkpoint_every_steps": 0}


class SequenceDataset(Dataset):
    """Tokenized sequences and family indices; batches via :meth:`collate`."""

    def __init__(
        self,
        records: Sequence[ProteinRecord],
        tokenizer: Tokenizer,
        families: Sequence[str],
        *,
        max_tokens: int,
    ) -> None:
        index = {family: i for i, family in enumerate(families)}
        self.ids = [[BOS, *tokenizer.encode(r.sequence)][:max_tokens] for r in records]
        self.labels = [index[str(r.family)] for r in records]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[list[int], int]:
        return self.ids[i], self.labels[i]

    @staticmethod
    def collate(
        items: list[tuple[list[int], int]],
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        lengths = torch.tensor([len(ids) for ids, _ in items], dtype=torch.long)
        idx = torch.full((len(items), int(lengths.max())), PAD, dtype=torch.long)
        for row, (ids, _) in enumerate(items):
            idx[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return (idx, lengths), torch.tensor([label for _, label in items], dtype=torch.long)


def train_classifier(
    train: Sequence[ProteinRecord],
    valid: Sequence[ProteinRecord],
    config: ProteinTrainConfig,
    run_dir: str | Path,
    *,
    pretrain_texts: Sequence[str] | None = None,
    language_model: ProteinLanguageModel | None = None,
) -> ProteinModel:
    """Train a family classifier into ``run_dir`` and save it to ``run_dir/model``.

    ``pretrain_texts`` (default: the training sequences) feed LM pretraining. With
    ``language_model`` (from :func:`castlab.proteins.pretrain.pretrain`) the classifier takes
    that LM's tokenizer, shape and weights (ULMFiT's general-domain LM); ``pretrain_epochs``
    then fine-tune it on ``pretrain_texts`` first, and 0 goes straight to the classifier.
    """
    run_dir = Path(run_dir)
    if not train:
        raise CastlabError("no training sequences", fix="check the input files and split")
    families = sorted({str(r.family) for r in train})
    valid = [r for r in valid if str(r.family) in set(families)]
    texts = [r.sequence for r in train]
    torch.manual_seed(config.seed)
    info: dict[str, Any] = {"tokenizer": config.tokenizer, "train_sequences": len(train)}
    if language_model is not None and config.model == "cnn":
        raise CastlabError(
            "a CNN cannot start from a language model", fix="use --model lstm or drop --lm"
        )
    if language_model is not None:
        tokenizer = language_model.tokenizer
        classifier = language_model.classifier_config(len(families), config)
        config = replace(config, model=classifier.kind, tokenizer=language_model.tokenizer_name)
        info.update(tokenizer=config.tokenizer, language_model=language_model.info)
    else:
        tokenizer = build_tokenizer(
            config.tokenizer, texts, vocab_size=config.vocab_size, k=config.k
        )
        # a transformer pretrained here needs positions for its seq_len-token windows
        pretrains = config.model == "transformer" and config.pretrain_epochs > 0
        if pretrains and config.max_tokens < config.seq_len:
            raise CastlabError(
                f"--max-tokens {config.max_tokens} is shorter than the {config.seq_len}-token "
                "windows a transformer language model is pretrained on",
                fix=f"use --max-tokens {config.seq_len} or more, or --pretrain-epochs 0",
            )
        block_size = config.max_tokens  # inputs are cut to it (before: never below seq_len)
        classifier = config.classifier(tokenizer.vocab_size, len(families), block_size)
    if is_main_process():  # one writer under DDP: rank 0
        write_json(
            run_dir / "config.json", {"train": asdict(config), "classifier": asdict(classifier)}
        )
    network = build_classifier(classifier)
    if language_model is not None:
        network.encoder.load_state_dict(language_model.network.state_dict())
    if config.model != "cnn" and config.pretrain_epochs > 0:
        lr = config.pretrain_lr or default_lr(config.model, "pretrain")
        lm, info["pretrain"] = pretrain_language_model(
            list(pretrain_texts) if pretrain_texts is not None else texts,
            tokenizer,
            classifier,
            run_dir / "pretrain",
            train_config=config.training(config.pretrain_epochs, lr, **_QUIET),
            seq_len=config.seq_len,
            start_from=network.encoder if language_model is not None else None,
        )
        if lm is not network.encoder:  # a given LM was fine-tuned in place
            network.encoder.load_state_dict(lm.state_dict())
    lr = config.finetune_lr or default_lr(config.model, "finetune")
    finetune = FinetuneConfig(lr=lr, lr_decay=config.lr_decay)
    task = ClassifierTask(network, finetune)
    train_loader = DataLoader(
        SequenceDataset(train, tokenizer, families, max_tokens=classifier.block_size),
        batch_size=config.batch_size,
        shuffle=True,
        collate_fn=SequenceDataset.collate,
    )
    valid_loader = None
    if valid:
        valid_loader = DataLoader(
            SequenceDataset(valid, tokenizer, families, max_tokens=classifier.block_size),
            batch_size=config.batch_size,
            collate_fn=SequenceDataset.collate,
        )
    pretrained = config.model != "cnn" and (
        config.pretrain_epochs > 0 or language_model is not None
    )
    unfreezing = GradualUnfreezing() if config.unfreeze and pretrained else None
    network.train()  # stage 2 hands the encoder back in eval mode
    start = time.perf_counter()
    trainer = fit_classifier(
        task,
        train_loader,
        valid_loader,
        run_dir / "finetune",
        config.training(config.finetune_epochs, finetune.lr, **_QUIET),
        unfreezing=unfreezing,
    )
    for param in network.parameters():
        param.requires_grad_(True)
    info["finetune"] = {
        "seconds": round(time.perf_counter() - start, 1),
        "steps": int(trainer.global_step),
        **{k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")},
    }
    model = ProteinModel(tokenizer, network.eval(), classifier, families, info)
    if trainer.is_global_zero:
        model.save(run_dir / "model")
    return model


def train_from_records(
    records: Sequence[ProteinRecord],
    split: SplitConfig,
    config: ProteinTrainConfig,
    run_dir: str | Path,
    *,
    pretrain_texts: Sequence[str] = (),
    language_model: ProteinLanguageModel | None = None,
    confirm: ConfirmConfig | None = None,
) -> tuple[ProteinModel, dict[str, float] | None]:
    """The whole ``castlab proteins train`` pipeline; returns the model and its test scores.

    De-duplicate, subsample and split ``records`` (written to ``run_dir/split``), train on
    the training part (LM pretraining on it plus ``pretrain_texts``; or from
    ``language_model``), then score the test part into ``run_dir/test_scores.json``. With
    ``confirm`` (ProtCNN only) the model keeps the training part as Smith-Waterman references
    (:func:`with_confirmation`) and the test scores add the confirmed answers.
    """
    run_dir = Path(run_dir)
    parts, info = prepare_split(records, split)
    if is_main_process():
        write_split(parts, run_dir / "split", info=info)
    texts = None
    if pretrain_texts:
        texts = [r.sequence for r in parts["train"]] + list(pretrain_texts)
    model = train_classifier(
        parts["train"],
        parts["valid"],
        config,
        run_dir,
        pretrain_texts=texts,
        language_model=language_model,
    )
    if not is_main_process():  # rank 0 adds references and scores the test part
        return model, None
    if confirm is not None:
        model = with_confirmation(model, parts["train"], parts["valid"], confirm)
        model.save(run_dir / "model")
    test = parts["test"]
    if not test:
        return model, None
    proba = model.predict_proba([r.sequence for r in test])
    scores = {
        **score_probabilities([r.family for r in test], proba, model.families),
        "sequences": len(test),
    }
    if model.references is not None:
        _, answers = model.predict_confirmed([r.sequence for r in test])
        truth = [r.family for r in test]
        scores["confirmed_accuracy"] = float(np.mean([a[0] == t for a, t in zip(answers, truth)]))
        scores["unknown_share"] = float(np.mean([a[0] is None for a in answers]))
    write_json(run_dir / "test_scores.json", scores)
    return model, scores


def with_confirmation(
    model: ProteinModel,
    train: Sequence[ProteinRecord],
    valid: Sequence[ProteinRecord],
    config: ConfirmConfig = ConfirmConfig(),
    *,
    accept: float = 0.98,
    min_evalue: float = 1e-5,
) -> ProteinModel:
    """``model`` with ``train`` as alignment references and an E-value rule for ``unknown``.

    The rule's ``max_evalue`` keeps ``accept`` of the ``valid`` (in-family) sequences'
    best alignments (:func:`~castlab.proteins.confirm.calibrate_max_evalue`), and is never
    below ``min_evalue`` (a clear homology), so a small validation part whose members all align
    very well cannot make every weaker family member ``unknown``; without
    validation sequences the model stays closed-set (no rejection). Only in-family sequences
    calibrate it here, so how many strangers it rejects is not measured: castlab's default
    model also calibrates on proteins of none of its families (see its model card).
    """
    model = model.with_references(train, replace(config, max_evalue=None))
    if not valid:
        return model
    _, answers = model.predict_confirmed([r.sequence for r in valid])
    calibrated = calibrate_max_evalue(np.array([e for _, _, e in answers]), accept=accept)
    max_evalue = max(calibrated, min_evalue)
    calibration = {"accept": accept, "calibrated_on": len(valid), "calibrated": calibrated}
    info = {**model.info, "confirm": {**calibration, "min_evalue": min_evalue}}
    return replace(model, info=info, confirmation=replace(config, max_evalue=max_evalue))


def score_probabilities(
    true_families: Sequence[str | None], proba: np.ndarray, families: Sequence[str]
) -> dict[str, float]:
    """Accuracy, macro-F1 (over the true families) and log loss (natural log, clipped at 1e-15).

    A test family the model never saw counts as an error with probability 1e-15.

    Examples
    --------
    >>> import numpy as np
    >>> s = score_probabilities(["a", "b"], np.array([[0.9, 0.1], [0.2, 0.8]]), ["a", "b"])
    >>> round(s["accuracy"], 2), round(s["log_loss"], 3)
    (1.0, 0.164)
    """
    from sklearn.metrics import f1_score

    index = {family: i for i, family in enumerate(families)}
    truth = [str(f) for f in true_families]
    predicted = [families[i] for i in np.asarray(proba).argmax(axis=1)]
    p_true = np.array(
        [proba[row, index[f]] if f in index else 0.0 for row, f in enumerate(truth)], dtype=float
    )
    return {
        "accuracy": float(np.mean([p == t for p, t in zip(predicted, truth)])),
        "macro_f1": float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro")),
        "log_loss": float(-np.mean(np.log(np.clip(p_true, 1e-15, 1.0)))),
        "n": float(len(truth)),
    }


def evaluate(model_dir: str | Path, records: Sequence[ProteinRecord]) -> dict[str, float]:
    """Load a saved model, score ``records`` and time it (queries/s include loading)."""
    start = time.perf_counter()
    model = ProteinModel.load(model_dir)
    proba = model.predict_proba([r.sequence for r in records])
    seconds = time.perf_counter() - start
    scores = score_probabilities([r.family for r in records], proba, model.families)
    scores["seconds"] = seconds
    scores["queries_per_second"] = len(records) / max(seconds, 1e-9)
    return scores
