"""Pretext pre-training and downstream classification through the core Lightning ``fit``.

:func:`pretrain` trains an encoder (+ head) on a pretext task over unlabelled images and
writes ``<run>/encoder/`` (see :func:`castlab.selfsup.model.load_encoder`); :func:`finetune`
trains encoder + linear head on the labelled ``train`` images (from a saved encoder or from
random weights) and scores ``val`` after every epoch, writing ``<run>/model/``.
Both write the core run files: ``metrics.csv``, ``loss.png``, ``checkpoints/last.ckpt``.

Examples
--------
>>> config = PretrainConfig(task="inpaint", size=32)
>>> config.encoder.widths
(16, 32, 64, 128)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from castlab.core.artifacts import save_model, write_json
from castlab.core.errors import CastlabError
from castlab.core.training import (
    TrainConfig,
    data_fingerprint,
    fit,
    one_cycle_adamw,
    run_settings,
)
from castlab.selfsup.data import ImageSet
from castlab.selfsup.model import (
    Classifier,
    Encoder,
    EncoderConfig,
    PretextNetwork,
    encoder_config_dict,
    load_encoder,
    save_encoder,
)
from castlab.selfsup.pretext import PretextTask, make_task

__all__ = [
    "ClassifierModule",
    "FinetuneConfig",
    "FinetuneResult",
    "PretextModule",
    "PretrainConfig",
    "finetune",
    "load_pretext_network",
    "pretrain",
    "run_settings_of",
]


@dataclass(frozen=True)
class PretrainConfig:
    """What to pre-train: the pretext task, image size and encoder shape."""

    task: str = "greyblur"
    size: int = 64  # images are resized to size x size pixels
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    splits: tuple[str, ...] = ("unsup",)  # images used for the pretext task (labels unused)


@dataclass(frozen=True)
class FinetuneConfig:
    """Downstream classification: from an encoder folder (or random weights), head on top."""

    encoder: str | None = None  # encoder folder; None: random weights
    size: int = 64
    encoder_shape: EncoderConfig = field(default_factory=EncoderConfig)  # when encoder is None
    freeze: bool = False  # True: train the head only (linear probe through Lightning)
    freeze_epochs: int = 0  # with an encoder: train the head alone this many epochs first
    dropout: float = 0.1


def run_settings_of(config: PretrainConfig | FinetuneConfig, train: TrainConfig) -> dict[str, Any]:
    """What a resume of a pre-training or fine-tuning run must keep (its options; :func:`fit`
    adds the data): another pretext task, image size or encoder would train on silently.

    Examples
    --------
    >>> run_settings_of(PretrainConfig(task="grey"), TrainConfig())["pretrain"]["task"]
    'grey'
    """
    described = asdict(config)
    if isinstance(config, FinetuneConfig):
        described["encoder"] = str(Path(config.encoder).resolve()) if config.encoder else None
        return run_settings(train, finetune=described)
    return run_settings(train, pretrain=described)


def _pixels(batch: Any) -> torch.Tensor:
    return batch[0].float() / 255.0


def _flip(images: torch.Tensor) -> torch.Tensor:
    """Random horizontal flip: the one augmentation every downstream run gets."""
    flip = torch.rand(len(images), device=images.device) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)


class _Optimised(L.LightningModule):
    """AdamW with the core one-cycle schedule."""

    config: TrainConfig

    def configure_optimizers(self) -> Any:
        return one_cycle_adamw(self, self.config)


class PretextModule(_Optimised):
    """A pretext task on a :class:`PretextNetwork`; validation uses fixed corruptions."""

    def __init__(self, task: PretextTask, network: PretextNetwork, config: TrainConfig) -> None:
        super().__init__()
        self.task = task
        self.network = network
        self.config = config
        self.generator = torch.Generator().manual_seed(config.seed)

    def _common_step(self, batch: Any, batch_idx: int, stage: str) -> torch.Tensor:
        images = _pixels(batch)
        generator = self.generator
        if stage != "train":  # the same corruptions every epoch, so val_loss is comparable
            generator = torch.Generator().manual_seed(10_000 + batch_idx)
        inputs, target = self.task.make(images, generator)
        output = self.network(inputs)
        loss = self.task.loss(output, target)
        on_step = stage == "train"
        self.log(
            f"{stage}_loss", loss, prog_bar=True, on_step=on_step, on_epoch=True, sync_dist=True
        )
        if self.task.head == "classes":
            accuracy = (output.argmax(-1) == target).float().mean()
            self.log(f"{stage}_accuracy", accuracy, on_step=False, on_epoch=True, sync_dist=True)
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, batch_idx, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, batch_idx, "val")


class ClassifierModule(_Optimised):
    """Cross-entropy classification of labelled images; logs val accuracy every epoch."""

    def __init__(
        self, classifier: Classifier, config: TrainConfig, *, freeze_epochs: int = 0
    ) -> None:
        super().__init__()
        self.classifier = classifier
        self.config = config
        self.freeze_epochs = freeze_epochs  # -1: the encoder stays frozen throughout

    def on_train_epoch_start(self) -> None:
        if self.freeze_epochs:
            frozen = self.freeze_epochs < 0 or self.current_epoch < self.freeze_epochs
            self.classifier.encoder.requires_grad_(not frozen)

    def _common_step(self, batch: Any, batch_idx: int, stage: str) -> torch.Tensor:
        images, labels = _pixels(batch), batch[1]
        if stage == "train":
            images = _flip(images)
        logits = self.classifier(images)
        loss = F.cross_entropy(logits.float(), labels)
        accuracy = (logits.argmax(-1) == labels).float().mean()
        on_step = stage == "train"
        self.log(
            f"{stage}_loss", loss, prog_bar=True, on_step=on_step, on_epoch=True, sync_dist=True
        )
        self.log(
            f"{stage}_accuracy",
            accuracy,
            prog_bar=True,
            on_step=False,
            on_epoch=True,
            sync_dist=True,
        )
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, batch_idx, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, batch_idx, "val")


class _History(Callback):
    """Record epoch-level metrics (and images/s of training) as the run goes; kept in the
    checkpoint, so a resumed run's summary covers its epochs before the stop too."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []
        self.images = 0
        self.seconds = 0.0
        self._start = 0.0

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: Any, batch: Any, *args: Any
    ) -> None:
        self._start = time.perf_counter()

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: Any, outputs: Any, batch: Any, *args: Any
    ) -> None:
        self.images += len(batch[0])
        self.seconds += time.perf_counter() - self._start

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
        self.rows.append({"epoch": trainer.current_epoch + 1, **metrics})

    def state_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "images": self.images, "seconds": self.seconds}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rows = list(state_dict["rows"])
        self.images = int(state_dict["images"])
        self.seconds = float(state_dict["seconds"])

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds else float("nan")


def _loader(
    pixels: torch.Tensor, labels: torch.Tensor, batch_size: int, shuffle: bool, seed: int
) -> DataLoader:
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        TensorDataset(pixels, labels), batch_size=batch_size, shuffle=shuffle, generator=generator
    )


def pretrain(
    images: ImageSet,
    config: PretrainConfig,
    train: TrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
) -> dict[str, Any]:
    """Train ``config.task`` on ``config.splits`` images; write ``run_dir/encoder``.

    Validation uses the ``val`` split's pixels (never its labels) when it exists, else a
    twentieth of the training images. Returns a summary (final losses, images/s, paths).
    """
    run_dir = Path(run_dir)
    task = make_task(config.task)
    pool = [i for i, s in enumerate(images.splits) if s in config.splits]
    if len(pool) < 2:
        raise CastlabError(
            f"only {len(pool)} images in splits {config.splits}",
            fix="give more images or other splits (e.g. --splits unsup,train)",
        )
    held = [i for i, s in enumerate(images.splits) if s == "val" and "val" not in config.splits]
    if not held:
        step = max(2, len(pool) // max(1, len(pool) // 20))
        held, pool = pool[::step], [i for j, i in enumerate(pool) if j % step]
    pixels = images.pixels
    dummy = torch.zeros(len(pixels), dtype=torch.long)  # pretext labels come from the task
    train_loader = _loader(pixels[pool], dummy[pool], train.batch_size, True, train.seed)
    val_loader = _loader(pixels[held], dummy[held], train.batch_size, False, train.seed)
    torch.manual_seed(train.seed)
    encoder = Encoder(config.encoder)
    network = PretextNetwork(encoder, task.head, task.n_outputs)
    history = _History()
    start = time.perf_counter()
    trainer = fit(
        PretextModule(task, network, train),
        train_loader,
        val_loader,
        run_dir,
        train,
        resume=resume,
        callbacks=[history],
        settings={
            **run_settings_of(config, train),
            "data": data_fingerprint(pixels[pool], pixels[held]),
        },
    )
    summary = {
        "task": config.task,
        "images": len(pool),
        "epochs": history.rows,
        "images_per_second": history.images_per_second,
        "seconds": time.perf_counter() - start,  # wall time of this call's training
        "encoder": str(run_dir / "encoder"),
        "precision": train.precision,
    }
    if trainer.is_global_zero:  # one writer in a multi-process (DDP) run
        write_json(run_dir / "config.json", {"pretrain": asdict(config), "train": train.to_dict()})
        save_encoder(
            run_dir / "encoder",
            encoder,
            input_size=config.size,
            pretext=config.task,
            input_range=[0.0, 1.0],
        )
        save_model(
            run_dir / "pretext_network",
            network.state_dict(),
            {"task": config.task, **encoder_config_dict(config.encoder)},
        )
        write_json(run_dir / "summary.json", summary)
    return summary


@dataclass(frozen=True)
class FinetuneResult:
    """Validation accuracy after every epoch, the final one, and where the model went."""

    accuracy: tuple[float, ...]
    run_dir: Path
    images_per_second: float

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1] if self.accuracy else float("nan")


def finetune(
    images: ImageSet,
    config: FinetuneConfig,
    train: TrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
) -> FinetuneResult:
    """Train encoder + head on ``train`` images, score ``val`` each epoch; save ``run_dir/model``."""
    run_dir = Path(run_dir)
    train_set, val_set = images.check_labelled("fine-tuning")
    torch.manual_seed(train.seed)
    encoder = (
        load_encoder(config.encoder).train() if config.encoder else Encoder(config.encoder_shape)
    )
    freeze_epochs = -1 if config.freeze else config.freeze_epochs if config.encoder else 0
    classifier = Classifier(encoder, len(images.classes), config.dropout)
    module = ClassifierModule(classifier, train, freeze_epochs=freeze_epochs)
    history = _History()
    trainer = fit(
        module,
        _loader(train_set.pixels, train_set.labels, train.batch_size, True, train.seed),
        _loader(val_set.pixels, val_set.labels, 128, False, train.seed),
        run_dir,
        train,
        resume=resume,
        callbacks=[history],
        settings={
            **run_settings_of(config, train),
            "data": data_fingerprint(train_set.pixels, train_set.labels, val_set.labels),
        },
    )
    accuracy = tuple(row["val_accuracy"] for row in history.rows if "val_accuracy" in row)
    if trainer.is_global_zero:  # one writer in a multi-process (DDP) run
        write_json(run_dir / "config.json", {"finetune": asdict(config), "train": train.to_dict()})
        save_model(
            run_dir / "model",
            classifier.state_dict(),
            encoder_config_dict(
                encoder.config,
                classes=list(images.classes),
                input_size=config.size,
                kind="classifier",
                val_accuracy=accuracy[-1] if accuracy else None,
            ),
        )
        write_json(run_dir / "summary.json", {"accuracy": list(accuracy), "epochs": history.rows})
    return FinetuneResult(accuracy, run_dir, history.images_per_second)


def load_pretext_network(run_dir: str | Path) -> tuple[str, PretextNetwork]:
    """The task name and the whole pretext network (encoder + head) of a pretrain run."""
    from castlab.core.artifacts import load_model_weights

    if not (Path(run_dir) / "pretext_network").is_dir():
        raise CastlabError(
            "not a pretrain run folder (it has no pretext_network/)",
            path=run_dir,
            fix="give the folder castlab selfsup pretrain --out wrote",
        )
    tensors, config = load_model_weights(Path(run_dir) / "pretext_network")
    task = make_task(config["task"])
    shape = EncoderConfig(
        widths=tuple(config["widths"]), blocks=config["blocks"], in_channels=config["in_channels"]
    )
    network = PretextNetwork(Encoder(shape), task.head, task.n_outputs)
    network.load_state_dict(tensors)
    return config["task"], network.eval()
