"""Training through Lightning: one factory for every domain.

Each run folder gets ``metrics.csv`` (CSV log), ``loss.png`` (loss curves), a checkpoint
every epoch (and every ``checkpoint_every_steps`` steps, and on Ctrl-C or a crash) under
``checkpoints/``, and ``--resume`` picks up from ``checkpoints/last.ckpt``. Scaling to GPUs
or nodes is configuration (``accelerator``, ``devices``, ``num_nodes``, ``strategy``).

Several processes (DDP): Lightning gives each process its own share of every epoch (a
distributed sampler), averages gradients, and reduces the logged metrics over processes
(``sync_dist``); only rank 0 writes the log, the plot and checkpoints. Code that writes run
files itself asks :func:`is_main_process` first (before training) or
``trainer.is_global_zero`` (after).

Examples
--------
>>> config = TrainConfig(max_epochs=1, progress=False)
>>> config.precision
'32-true'
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import threading
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, Dataset

from castlab.core.artifacts import remove_stale_temporaries
from castlab.core.distributed import is_main_process
from castlab.core.errors import CastlabError, first_line

__all__ = [
    "LanguageModelTask",
    "allow_unused_parameters",
    "LastCheckpoint",
    "LossPlot",
    "StepProgress",
    "TokenStreamDataset",
    "TrainConfig",
    "adamw",
    "check_new_run",
    "check_resumable",
    "check_run_folder",
    "data_fingerprint",
    "discard_checkpoint",
    "find_learning_rate",
    "fit",
    "is_main_process",
    "last_checkpoint",
    "load_checkpoint",
    "lightning_optimizers",
    "make_trainer",
    "metrics_files",
    "one_cycle_adamw",
    "run_settings",
    "seed_everything",
]


@dataclass(frozen=True)
class TrainConfig:
    """How to train; every field maps to a CLI option."""

    max_epochs: int = 5
    max_steps: int = -1  # stop after this many optimiser steps (-1: no limit)
    batch_size: int = 32
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule
    weight_decay: float = 0.01
    one_cycle: bool = True  # one-cycle schedule (warm up, then anneal); else constant
    grad_clip: float = 0.5
    precision: str = "32-true"  # "bf16-mixed" is faster on CPUs with AMX
    seed: int = 0
    accelerator: str = "auto"  # "cpu", "gpu", ...
    devices: str = "auto"  # "auto", "1", "4", ...
    num_nodes: int = 1
    strategy: str = "auto"  # "ddp", "fsdp", ... for several devices
    checkpoint_every_steps: int = 200  # also save mid-epoch, so a crash loses little
    limit_val_batches: float = 1.0
    progress: bool = True
    # let Lightning shard each epoch over processes; False for loaders that shard themselves
    distributed_sampler: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class TokenStreamDataset(Dataset):
    """Windows of ``seq_len`` + 1 tokens cut from one long stream of token ids.

    Item ``i`` is ``(x, y)`` with ``y`` the next tokens of ``x``, both shape ``(seq_len,)``.
    """

    def __init__(self, ids: torch.Tensor, seq_len: int) -> None:
        if ids.numel() < seq_len + 1:
            raise CastlabError(
                f"only {ids.numel()} tokens, fewer than one window of {seq_len + 1}",
                fix="give more data or a shorter --seq-len",
            )
        self.ids = ids
        self.seq_len = seq_len

    def __len__(self) -> int:
        return (self.ids.numel() - 1) // self.seq_len

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        start = i * self.seq_len
        chunk = self.ids[start : start + self.seq_len + 1]
        return chunk[:-1], chunk[1:]


class LanguageModelTask(L.LightningModule):
    """Next-token training of any model with ``forward(idx, targets) -> (logits, loss)``."""

    def __init__(self, model: torch.nn.Module, config: TrainConfig) -> None:
        super().__init__()
        self.model = model
        self.config = config

    def _common_step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        x, y = batch
        logits, loss = self.model(x, y)
        accuracy = (logits.argmax(-1) == y).float().mean()
        on_step = stage == "train"
        self.log(
            f"{stage}_loss", loss, prog_bar=True, on_step=on_step, on_epoch=True, sync_dist=True
        )
        self.log(
            f"{stage}_accuracy",
            accuracy,
            prog_bar=stage != "train",
            on_step=on_step,
            on_epoch=True,
            sync_dist=True,
        )
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "val")

    def configure_optimizers(self) -> Any:
        return one_cycle_adamw(self, self.config)


def adamw(
    groups: Sequence[Sequence[torch.nn.Parameter]],
    rates: Sequence[float],
    *,
    weight_decay: float,
    total_steps: int,
    one_cycle: bool = True,
    warmup: float = 0.25,
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """AdamW with one peak rate per parameter group and, if ``one_cycle``, a one-cycle schedule
    over ``total_steps`` (``warmup``: the share spent warming up).

    Examples
    --------
    >>> layers = [[torch.nn.Parameter(torch.zeros(2))], [torch.nn.Parameter(torch.zeros(2))]]
    >>> optimizer, _ = adamw(layers, [1e-4, 1e-3], weight_decay=0.01, total_steps=100)
    >>> [group["max_lr"] for group in optimizer.param_groups]
    [0.0001, 0.001]
    """
    optimizer = torch.optim.AdamW(
        [{"params": list(g), "lr": r} for g, r in zip(groups, rates)], weight_decay=weight_decay
    )
    if not one_cycle:
        return optimizer, None
    # OneCycleLR divides by its warm-up length: very short runs get a schedule of 8 steps
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=list(rates), total_steps=max(total_steps, 8), pct_start=warmup
    )
    return optimizer, schedule


def lightning_optimizers(
    optimizer: torch.optim.Optimizer, schedule: torch.optim.lr_scheduler.LRScheduler | None
) -> Any:
    """What ``configure_optimizers`` returns: the optimiser, with its schedule stepped per batch."""
    if schedule is None:
        return optimizer
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def one_cycle_adamw(module: L.LightningModule, config: TrainConfig) -> Any:
    """``configure_optimizers`` for ``module``'s trainable parameters at peak rate ``config.lr``."""
    params = [p for p in module.parameters() if p.requires_grad]
    total = int(module.trainer.estimated_stepping_batches) if config.one_cycle else 0
    optimizer, schedule = adamw(
        [params],
        [config.lr],
        weight_decay=config.weight_decay,
        total_steps=total,
        one_cycle=config.one_cycle,
    )
    return lightning_optimizers(optimizer, schedule)


#: the checkpoint entry that records how many epochs (and steps) the run was planned for
PLAN = "castlab_plan"


class LastCheckpoint(Callback):
    """Keep ``last.ckpt`` fresh: after every epoch, every ``every_steps`` steps, and on a crash.

    A Ctrl-C (KeyboardInterrupt) or any exception during fit writes the checkpoint before
    Lightning stops, so ``--resume`` loses at most the current step (with several processes
    it keeps the last periodic checkpoint instead: see :meth:`on_exception`).
    """

    def __init__(self, path: Path, every_steps: int = 0) -> None:
        self.path = Path(path)
        self.every_steps = every_steps
        #: what the task predicts (class names), recorded in the plan when :func:`fit` is told
        self.labels: list[str] | None = None
        #: batches of the training loader :func:`fit` was given (before any sampler Lightning
        #: adds for several processes), recorded in the plan
        self.steps_per_epoch: int | None = None
        #: what defines the run (:func:`run_settings`), recorded in the plan
        self.settings: dict[str, Any] | None = None
        self._training = False  # set once the checkpoint is restored and training has begun
        self._finished = False  # set once every planned epoch (or step) is done

    def _save(self, trainer: L.Trainer) -> None:
        # Written beside and moved into place, so a kill -9 mid-write keeps the previous one.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        trainer.save_checkpoint(partial)
        if trainer.is_global_zero:
            os.replace(partial, self.path)

    def on_save_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        # the plan --resume must keep: a one-cycle schedule ends at the planned step (so the
        # steps of an epoch must stay), and the outputs must mean what they meant
        checkpoint[PLAN] = {
            "max_epochs": trainer.max_epochs,
            "max_steps": trainer.max_steps,
            "steps_per_epoch": self.steps_per_epoch,
            "labels": self.labels,
            "settings": self.settings,
            "finished": self._finished,
        }

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._training = True

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # the last checkpoint says the run is done: a --resume then has nothing to continue,
        # and a new run in the folder loses no unfinished one (see check_new_run)
        done = trainer.current_epoch >= (trainer.max_epochs or 0) or (
            trainer.max_steps > 0 and trainer.global_step >= trainer.max_steps
        )
        pressed = any(isinstance(c, CtrlC) and c.pressed for c in trainer.callbacks)
        if done and not pressed:
            self._finished = True
            self._save(trainer)

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if self.every_steps and trainer.global_step % self.every_steps == 0:
            self._save(trainer)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._save(trainer)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        # With several processes a save is collective (a barrier every process must reach),
        # and after a Ctrl-C another process may be stuck in a gradient all-reduce and never
        # reach it: both would wait with Ctrl-C disabled. The periodic checkpoint stands.
        # Nor is anything saved before training began: a checkpoint that failed to load (or
        # any error setting up) would be replaced by the untrained model.
        if trainer.state.fn == "fit" and trainer.world_size == 1 and self._training:
            self._save(trainer)


class CtrlC(Callback):
    """Ctrl-C stops training at the next batch end, where it cannot be lost.

    Python's own SIGINT handler raises KeyboardInterrupt wherever the interpreter is; inside
    a destructor or weakref callback (garbage collection runs them all through training) it
    is printed as "Exception ignored" and lost, and the run goes on. While a single-process
    fit runs in the main thread, this handler only notes the press; the next training or
    validation batch end raises KeyboardInterrupt in the loop itself (so
    :class:`LastCheckpoint` saves), and :func:`fit` raises it if the fit ended first. A
    second Ctrl-C raises at once. With several processes, or when SIGINT is not Python's
    default handler (ignored, or someone else's), nothing changes. :func:`fit` puts back the
    handler it found (Lightning leaves SIGINT ignored after an interrupted fit).
    """

    def __init__(self) -> None:
        self.pressed = False

    def _press(self, signum: int, frame: Any) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        print("\nCtrl-C: stopping after this step (press again to stop at once)", flush=True)

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if (
            stage == "fit"
            and trainer.world_size == 1
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            signal.signal(signal.SIGINT, self._press)  # fit puts the previous one back

    def _stop_if_pressed(self, *args: Any) -> None:
        if self.pressed:
            raise KeyboardInterrupt

    on_train_batch_end = _stop_if_pressed
    on_validation_batch_end = _stop_if_pressed


class StepProgress(Callback):
    """Call ``report(step, max_steps)`` after every optimiser step: a page's progress bar,
    and a point where the page's Cancel stops the run (Streamlit stops at its next call)."""

    def __init__(self, report: Callable[[int, int], Any]) -> None:
        self.report = report

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        self.report(trainer.global_step, trainer.max_steps)


class LossPlot(Callback):
    """Redraw ``loss.png`` from ``metrics.csv`` after every validation and at the end."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)

    def _draw(self, trainer: L.Trainer) -> None:
        if trainer.sanity_checking or trainer.global_rank != 0:
            return
        from castlab.core.plots import plot_training_curves

        if trainer.logger is not None:
            trainer.logger.save()
        files = metrics_files(self.run_dir)
        if files:
            plot_training_curves(files, self.run_dir / "loss.png")

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer)


def metrics_files(run_dir: str | Path) -> list[Path]:
    """The run's CSV logs in order: earlier parts (before each resume), then the current one."""
    run_dir = Path(run_dir)
    parts = sorted(run_dir.glob("metrics.part*.csv"), key=lambda p: int(p.stem[12:]))
    current = run_dir / "metrics.csv"
    return parts + ([current] if current.exists() else [])


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The checkpoint ``--resume`` would continue from, if any."""
    path = Path(run_dir) / "checkpoints" / "last.ckpt"
    if not path.exists():
        return None
    # torch.save writes a zip; a cut-short one has no end (and a link to /dev/zero none either)
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise _damaged(path)
    return path


def _damaged(path: Path) -> CastlabError:
    return CastlabError(
        "the checkpoint is damaged (cut short or not a torch checkpoint)",
        path=path,
        fix="delete it and run without --resume to start again",
    )


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint's contents, tensors memory-mapped, without unpickling any object (torch's
    ``weights_only``): a zip that is not a castlab checkpoint, or one that holds other
    objects, is a clear error, never torch's advice to load it unsafely."""
    path = Path(path)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:  # torch's unpickler refusing an object, a broken zip, ...
        said = (  # torch's own text goes on to say how to load it unsafely: not shown
            "it holds objects other than tensors and numbers"
            if "Weights only load failed" in str(error)
            else first_line(error)
        )
        raise CastlabError(
            f"not a castlab training checkpoint ({said})",
            path=path,
            fix="delete it and run without --resume to start again",
        ) from None
    if not isinstance(saved, dict):
        raise _damaged(path)
    return saved


def allow_unused_parameters(config: TrainConfig) -> TrainConfig:
    """``config`` for a model some of whose parameters get no gradient in a step.

    DDP stops with an error unless told to expect them (frozen layer groups during gradual
    unfreezing, a pretrained encoder's unused pooler); one process needs nothing.

    Examples
    --------
    >>> allow_unused_parameters(TrainConfig(devices="2")).strategy
    'ddp_find_unused_parameters_true'
    >>> allow_unused_parameters(TrainConfig(devices="1")).strategy
    'auto'
    """
    several = config.devices not in ("1", "auto") or config.num_nodes > 1
    if several and config.strategy in ("auto", "ddp"):
        return replace(config, strategy="ddp_find_unused_parameters_true")
    return config


def _quiet_lightning() -> None:
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    # the run folder holds config.json and checkpoints beside the log by design
    warnings.filterwarnings("ignore", message=".*Experiment logs directory .* exists.*")
    warnings.filterwarnings("ignore", message=".*all_gather is deprecated.*")  # inside Lightning
    # small data: fewer batches per epoch than the logging interval; the CSV log still gets a
    # row per epoch, so the advice adds nothing for a user
    warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")


def make_trainer(
    run_dir: str | Path, config: TrainConfig, callbacks: Sequence[Callback] = ()
) -> L.Trainer:
    """A Lightning Trainer that logs, plots and checkpoints into ``run_dir``."""
    _quiet_lightning()
    run_dir = Path(run_dir)
    checkpoints = run_dir / "checkpoints"
    devices: Any = config.devices if not config.devices.isdigit() else int(config.devices)
    every = [
        LastCheckpoint(checkpoints / "last.ckpt", every_steps=config.checkpoint_every_steps),
        LossPlot(run_dir),
        CtrlC(),
        *callbacks,
    ]
    try:
        return L.Trainer(
            default_root_dir=run_dir,
            max_epochs=config.max_epochs,
            max_steps=config.max_steps,
            precision=config.precision,
            accelerator=config.accelerator,
            devices=devices,
            num_nodes=config.num_nodes,
            strategy=config.strategy,
            gradient_clip_val=config.grad_clip or None,
            logger=CSVLogger(save_dir=run_dir.parent, name=run_dir.name, version=""),
            log_every_n_steps=5,
            limit_val_batches=config.limit_val_batches,
            enable_progress_bar=config.progress,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            enable_checkpointing=False,  # LastCheckpoint above does it, in one predictable file
            use_distributed_sampler=config.distributed_sampler,
            callbacks=every,
        )
    except (MisconfigurationException, ValueError, TypeError) as error:
        # --devices 0, --precision foo, --strategy foo, --accelerator gpu without one: Lightning
        # says what is wrong in its first line; the rest is its traceback
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CastlabError(
            f"Lightning refused the run settings: {first}",
            fix="check --accelerator, --devices, --num-nodes, --strategy and --precision",
        ) from None


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (and data-loader workers) for a reproducible run.

    Call it before building the network: its initial weights are drawn then, before
    :func:`fit` (which seeds again, for the data order) is reached.

    Examples
    --------
    >>> seed_everything(0); first = torch.randn(2)
    >>> seed_everything(0); bool((torch.randn(2) == first).all())
    True
    """
    L.seed_everything(seed, workers=True, verbose=False)


def check_resumable(
    run_dir: str | Path,
    config: TrainConfig | None = None,
    *,
    task: torch.nn.Module | None = None,
    steps_per_epoch: int | None = None,
    labels: Sequence[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> Path:
    """The checkpoint ``--resume`` continues from in ``run_dir``, or a clear error: called by
    commands before their slow data preparation as well as by :func:`fit`.

    A run that finished has nothing to resume. ``settings`` (:func:`run_settings`: the
    options and a fingerprint of the data that define the run; only the parts given are
    compared) must be those it started with:
    a resume with another seed, learning rate, pretext task or training data would
    otherwise train on silently, half one run and half another.

    With ``config``, a run with a one-cycle schedule must be resumed with the epochs (and
    steps) it was started with: the schedule, restored from the checkpoint, ends at the
    planned step, and training past it fails. To train longer, start a new run. For the same
    reason its epochs must keep their ``steps_per_epoch`` (the same data and batch size).
    ``task``: the model must have the checkpoint's weights' shapes; ``labels``: what its
    outputs mean must not have changed (another species list, in another order).

    Examples
    --------
    >>> import tempfile
    >>> check_resumable(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: ...: nothing to resume (fix: drop --resume to start a new run)
    """
    checkpoint = last_checkpoint(Path(run_dir))
    if checkpoint is None:
        raise CastlabError(
            "nothing to resume", path=run_dir, fix="drop --resume to start a new run"
        )
    saved = load_checkpoint(checkpoint)
    plan = saved.get(PLAN) or {}  # absent from checkpoints written before it was recorded
    fix = (
        "resume with the data and settings the run started with, or start a new run in "
        "another --out"
    )
    if task is not None:
        mine = {k: tuple(v.shape) for k, v in task.state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in saved.get("state_dict", {}).items()}
        changed = [k for k in mine if k in theirs and mine[k] != theirs[k]]  # model's order
        if changed or mine.keys() != theirs.keys():
            said = (
                f"{changed[0]} is {list(theirs[changed[0]])} there and {list(mine[changed[0]])} here"
                if changed
                else "the model has other layers"
            )
            raise CastlabError(
                f"the checkpoint's model does not fit this one ({said}): the classes or the "
                "model settings changed since the run started",
                path=checkpoint,
                fix=fix,
            )
    if labels is not None and plan.get("labels") is not None and list(labels) != plan["labels"]:
        gone = [x for x in plan["labels"] if x not in labels]
        new = [x for x in labels if x not in plan["labels"]]
        said = (
            f"now without {', '.join(gone[:3])}" * bool(gone)
            + ("; " * bool(gone and new))
            + f"now with {', '.join(new[:3])}" * bool(new)
        ) or "in another order"
        raise CastlabError(
            f"the run was started with other classes ({said})",
            path=checkpoint,
            fix=fix,
        )
    if config is not None and config.one_cycle:
        before = plan.get("steps_per_epoch")
        if before is not None and steps_per_epoch is not None and before != steps_per_epoch:
            raise CastlabError(
                f"the run's epochs had {before} steps and would now have {steps_per_epoch} "
                "(other data or another --batch-size), and its one-cycle learning-rate "
                "schedule ends at the planned step",
                path=run_dir,
                fix=fix,
            )
        if plan and (plan["max_epochs"], plan["max_steps"]) != (
            config.max_epochs,
            config.max_steps,
        ):
            steps = (
                "" if plan["max_steps"] in (-1, None) else f" and --max-steps {plan['max_steps']}"
            )
            raise CastlabError(
                f"this run was started with --epochs {plan['max_epochs']}{steps}, and its "
                "one-cycle learning-rate schedule ends there",
                path=run_dir,
                fix=f"resume with --epochs {plan['max_epochs']}{steps}, or train longer in a "
                "new run (another --out)",
            )
    same_plan = config is None or (plan.get("max_epochs"), plan.get("max_steps")) == (
        config.max_epochs,
        config.max_steps,
    )
    if plan.get("finished") and same_plan:  # (a constant rate may train on for more epochs)
        raise CastlabError(
            f"the run here already finished ({saved.get('global_step', '?')} steps): "
            "there is nothing to resume",
            path=run_dir,
            fix="its outputs are kept; to train again drop --resume, to train longer start "
            "a new run in another --out",
        )
    if settings is not None and plan.get("settings") is not None:
        now = _jsonable(settings)  # only the parts given (a command's early check has no data)
        changed = _changed({k: v for k, v in plan["settings"].items() if k in now}, now)
        if changed:
            raise CastlabError(
                f"the run was started with other settings ({'; '.join(changed[:3])})",
                path=run_dir,
                fix=fix,
            )
    return checkpoint


def check_run_folder(
    run_dir: str | Path,
    config: TrainConfig,
    *,
    resume: bool,
    labels: Sequence[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> None:
    """A command's early check of its run folder, before slow data preparation: with
    ``resume`` :func:`check_resumable`, else :func:`check_new_run` (:func:`fit` checks again,
    with the model and the data).

    Examples
    --------
    >>> import tempfile
    >>> check_run_folder(tempfile.mkdtemp(), TrainConfig(), resume=False)  # a new folder
    """
    if resume:
        check_resumable(run_dir, config, labels=labels, settings=settings)
    else:
        check_new_run(run_dir)


def discard_checkpoint(run_dir: str | Path) -> None:
    """Delete ``run_dir``'s checkpoint, for runs that always start over (the demo's scratch
    runs): a stopped one must not make the next :func:`fit` there refuse to start.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> discard_checkpoint(tempfile.mkdtemp())  # none there: nothing to do
    >>> picture = pathlib.Path(tempfile.mkdtemp()) / "grid.png"
    >>> _ = picture.write_bytes(b"PNG")
    >>> discard_checkpoint(picture)  # a file, not a run folder: nothing to do
    """
    path = Path(run_dir) / "checkpoints" / "last.ckpt"
    if path.is_file():  # False for a file given as the folder, too
        path.unlink()


def check_new_run(run_dir: str | Path) -> None:
    """Refuse to start a new run over one that did not finish: its checkpoint would be
    replaced at the first save, and a forgotten ``--resume`` would cost the whole run.

    A finished run (or one whose checkpoint predates this record) may be trained again.

    Examples
    --------
    >>> import tempfile
    >>> check_new_run(tempfile.mkdtemp())  # nothing there: fine
    """
    path = Path(run_dir) / "checkpoints" / "last.ckpt"
    if not path.is_file() or not zipfile.is_zipfile(path):
        return  # nothing there, or a damaged file a new run may replace
    try:
        saved = load_checkpoint(path)
    except CastlabError:
        return  # not a checkpoint a run could continue: a new run may replace it
    plan = saved.get(PLAN) or {}
    if plan.get("finished") is False:
        raise CastlabError(
            f"holds a run that did not finish (stopped at step {saved.get('global_step', '?')})",
            path=run_dir,
            fix=f"add --resume to continue it, or delete {path} to start again, or choose "
            "another --out",
        )


#: TrainConfig fields that say where and how fast a run goes, not what it learns: a resumed
#: run may change them (another machine, more GPUs); the epochs have their own check
_ENVIRONMENT = {
    "max_epochs",
    "max_steps",
    "precision",
    "accelerator",
    "devices",
    "num_nodes",
    "strategy",
    "checkpoint_every_steps",
    "progress",
    "distributed_sampler",
}


def run_settings(config: TrainConfig, **parts: Any) -> dict[str, Any]:
    """What defines a run, for :func:`fit`'s ``settings``: ``config`` without the fields of
    where and how fast it runs, and each domain's ``parts`` (its own config, a
    :func:`data_fingerprint`), as JSON values.

    Examples
    --------
    >>> settings = run_settings(TrainConfig(seed=1, devices="4"), data="abc")
    >>> settings["train"]["seed"], "devices" in settings["train"], settings["data"]
    (1, False, 'abc')
    """
    train = {k: v for k, v in config.to_dict().items() if k not in _ENVIRONMENT}
    return _jsonable({"train": train, **parts})


def data_fingerprint(*items: Any) -> str:
    """A short hash of the training data (tensors, arrays, strings, numbers or lists of
    them): a resumed run must learn from the data it started on.

    Examples
    --------
    >>> a = data_fingerprint(torch.arange(4), ["x", "y"])
    >>> a == data_fingerprint(torch.arange(4), ["x", "y"]), a == data_fingerprint(torch.arange(5))
    (True, False)
    """
    digest = hashlib.sha1()

    def add(item: Any) -> None:
        if isinstance(item, torch.Tensor):
            item = item.detach().cpu().contiguous().numpy()
        if hasattr(item, "tobytes") and hasattr(item, "shape"):  # a numpy array
            digest.update(f"{item.dtype}{item.shape}".encode())
            digest.update(item.tobytes())
        elif isinstance(item, (list, tuple)):
            digest.update(b"[")
            for part in item:
                add(part)
            digest.update(b"]")
        else:
            digest.update(repr(item).encode())
            digest.update(b"\x00")

    for item in items:
        add(item)
    return digest.hexdigest()[:16]


def _jsonable(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples become lists, paths strings)."""
    return json.loads(json.dumps(value, default=str))


def _changed(before: Any, now: Any, prefix: str = "") -> list[str]:
    """``'key: before -> now'`` for each leaf that differs (nested keys joined by dots)."""
    if isinstance(before, dict) and isinstance(now, dict):
        changed = []
        for key in sorted(set(before) | set(now), key=str):
            name = f"{prefix}.{key}" if prefix else str(key)
            if key not in before or key not in now:
                changed.append(f"{name}: {'new' if key not in before else 'gone'}")
            else:
                changed.extend(_changed(before[key], now[key], name))
        return changed
    if before != now:
        if prefix.endswith("data"):
            return [f"{prefix}: the training data differ"]
        return [f"{prefix}: {before} -> {now}"]
    return []


def fit(
    task: L.LightningModule,
    train_loader: DataLoader,
    val_loader: DataLoader | None,
    run_dir: str | Path,
    config: TrainConfig,
    *,
    resume: bool = False,
    callbacks: Sequence[Callback] = (),
    labels: Sequence[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> L.Trainer:
    """Seed, build a trainer and fit; with ``resume`` continue from the last checkpoint.

    ``callbacks`` are added to the trainer's own (e.g. gradual unfreezing). ``labels``: what
    the task's outputs mean (class names), kept in the checkpoint so that ``resume`` refuses
    other ones; ``settings`` (:func:`run_settings`): the options and data that define the
    run, kept so that ``resume`` refuses others; the model's shapes and the steps of an epoch
    are checked too (:func:`check_resumable`). Without ``resume``, a folder holding a run
    that did not finish is refused (:func:`check_new_run`).
    """
    seed_everything(config.seed)
    run_dir = Path(run_dir)
    checkpoint = None
    if resume:
        checkpoint = check_resumable(
            run_dir,
            config,
            task=task,
            steps_per_epoch=_steps(train_loader),
            labels=labels,
            settings=settings,
        )
    else:  # every process, as check_resumable: one process alone failing would leave the
        # others waiting for it
        check_new_run(run_dir)
    if is_main_process():  # what a kill -9 mid-write left (a loss.png or log half written)
        remove_stale_temporaries(run_dir)
    metrics = run_dir / "metrics.csv"
    if resume and metrics.exists() and is_main_process():  # the CSV logger starts a new file
        parts = len(list(run_dir.glob("metrics.part*.csv")))
        metrics.rename(run_dir / f"metrics.part{parts + 1}.csv")
    elif not resume and is_main_process():  # a new run here: an old run's logs are not its own
        for part in run_dir.glob("metrics.part*.csv"):
            part.unlink()
    trainer = make_trainer(run_dir, config, callbacks)
    for callback in trainer.callbacks:
        if isinstance(callback, LastCheckpoint):
            callback.labels = None if labels is None else list(labels)
            callback.steps_per_epoch = _steps(train_loader)
            callback.settings = None if settings is None else _jsonable(settings)
    main_thread = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if main_thread else None
    try:
        trainer.fit(task, train_loader, val_loader, ckpt_path=checkpoint, weights_only=True)
    except SystemExit:
        if trainer.interrupted:  # Lightning turns Ctrl-C into sys.exit(1) after saving
            raise KeyboardInterrupt from None
        raise
    finally:
        if handler is not None:  # CtrlC's, or Lightning's SIG_IGN after an interrupt
            signal.signal(signal.SIGINT, handler)
    if any(isinstance(c, CtrlC) and c.pressed for c in trainer.callbacks):
        raise KeyboardInterrupt  # pressed as the fit ended: stop as asked (--resume ends it)
    return trainer


def _steps(loader: DataLoader) -> int | None:
    """Optimiser steps in one epoch of ``loader`` (one per batch), None when it has no length."""
    try:
        return len(loader)
    except TypeError:
        return None


def find_learning_rate(
    task: L.LightningModule,
    train_loader: DataLoader,
    run_dir: str | Path,
    *,
    min_lr: float = 1e-5,
    max_lr: float = 1.0,
    steps: int = 100,
    plot: Callable[..., Any] | None = None,
) -> tuple[float, Path]:
    """Run Lightning's learning-rate range test; return the suggestion and a plot's path."""
    from lightning.pytorch.tuner import Tuner

    from castlab.core.plots import plot_lr_find

    _quiet_lightning()
    run_dir = Path(run_dir)
    try:
        batches = max(1, len(train_loader))
    except TypeError:  # an iterable dataset: no length, one long epoch
        batches = steps
    trainer = L.Trainer(
        default_root_dir=run_dir,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        max_epochs=-(-steps // batches),  # enough epochs for every step (one was 10 steps)
    )
    try:
        finder = Tuner(trainer).lr_find(
            task,
            train_dataloaders=train_loader,
            min_lr=min_lr,
            max_lr=max_lr,
            num_training=steps,
            update_attr=False,
        )
    except SystemExit:
        if trainer.interrupted:  # Lightning turns Ctrl-C into sys.exit(1): say it as fit does
            raise KeyboardInterrupt from None
        raise
    if finder is None:
        raise CastlabError("the learning-rate finder did not run", fix="give more data")
    raw = finder.suggestion()
    if raw is None:  # too few points for a slope: too few steps, or the loss diverged early
        done = len(finder.results["lr"])
        why = "too few for a slope" if done >= steps else "the loss diverged early"
        raise CastlabError(
            f"the learning-rate range test gave no suggestion after {done} of {steps} steps"
            f" ({why})",
            fix="run more steps (the test needs about 20; --steps sets them in the CLI)",
        )
    suggestion = float(raw)
    path = (plot or plot_lr_find)(
        finder.results["lr"], finder.results["loss"], suggestion, run_dir / "lr_find.png"
    )
    return suggestion, Path(path)
