"""Train the blog's CNN on peak clips through core ``fit`` (CSV log, loss.png, checkpoints, resume).

Pipeline: labelled recordings -> ``peaks.csv`` (resumable, :mod:`.peak_table`) -> clips around
the peaks + background clips from each file's low-SNR stretches (all-zero targets, so the
network learns "no bird" too) -> :class:`~castlab.birds.dataset.ClipDataset` (augmentation on
the audio, mel on the fly) -> :class:`~castlab.birds.model.BirdCNN` with BCE -> a model
folder (safetensors + JSON) that :func:`castlab.birds.classifier.load_classifier` reads.

Examples
--------
>>> import tempfile, pathlib
>>> from castlab.birds.synthetic import write_species_folders
>>> from castlab.core.training import TrainConfig
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_species_folders(root / "calls", n_species=2, per_species=2, seconds=6.0)
>>> config = BirdTrainConfig(peaks_per_file=3, channels=(4, 8))
>>> folder = train_cnn(root / "calls", root / "run", config=config,
...                    train=TrainConfig(max_epochs=1, batch_size=8, progress=False))
>>> sorted(p.name for p in folder.iterdir())
['config.json', 'model.safetensors']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from castlab.birds.audio import load_audio
from castlab.birds.data import Recording, recordings
from castlab.birds.dataset import AugmentConfig, ClipDataset, ClipItem
from castlab.birds.excerpts import Excerpts, ExcerptStore, clip_interval
from castlab.birds.features import MelConfig
from castlab.birds.model import BirdCNN, CnnConfig
from castlab.birds.peaks import PcenConfig, low_snr_stretches, snr_curve
from castlab.core.distributed import is_main_process
from castlab.core.errors import CastlabError
from castlab.core.training import (
    TrainConfig,
    check_run_folder,
    data_fingerprint,
    find_learning_rate,
    fit,
    one_cycle_adamw,
    run_settings,
    seed_everything,
)

__all__ = ["BirdTask", "BirdTrainConfig", "TrainingClips", "prepare_clips", "train_cnn"]


@dataclass(frozen=True)
class BirdTrainConfig:
    """What to cut and how to build the network (the Lightning settings are a TrainConfig)."""

    peaks_per_file: int = 20  # the blog's 20 strongest PCEN-SNR peaks per recording
    background_per_file: int = 3  # low-SNR 5-s stretches per recording, labelled "no bird"
    val_fraction: float = 0.15  # share of the clips held out for validation, whole recordings
    channels: tuple[int, ...] = (16, 32, 64, 128)
    dropout: float = 0.3
    mel: MelConfig = field(default_factory=MelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)


@dataclass
class TrainingClips:
    """The audio the clips come from (each recording's :class:`Excerpts`) plus the clips."""

    audios: list[Excerpts]
    items: list[ClipItem]
    classes: list[str]
    backgrounds: list[np.ndarray]  # 5-s low-SNR stretches, for background augmentation
    background_sources: list[int] = field(default_factory=list)  # the recording of each


def _store_key(
    recs: list[Recording], classes: list[str], settings: dict[str, Any]
) -> dict[str, Any]:
    """What the stored excerpts depend on: the recordings as they are on disk and the settings."""
    files = []
    for rec in recs:
        stat = rec.path.stat()
        files.append([str(rec.path.resolve()), stat.st_size, stat.st_mtime_ns])
    labels = [[rec.species, *rec.also] for rec in recs]
    return {"version": 1, "files": files, "labels": labels, "classes": classes, **settings}


def _recording_clips(
    rec: Recording,
    source: int,
    labels: tuple[int, ...],
    *,
    peaks_per_file: int,
    background_per_file: int,
    mel: MelConfig,
    max_shift: float,
) -> tuple[list[ClipItem], list[list[int]], Excerpts]:
    """One recording's clips (its peaks, then its low-SNR stretches as background clips), its
    background stretches ``[source, first sample, end sample]`` and the audio they reach."""
    from castlab.birds.peaks import find_peaks

    rate, half = mel.sample_rate, mel.clip_seconds / 2
    audio = load_audio(rec.path, sample_rate=rate)
    times, snr = snr_curve(audio, sample_rate=rate, config=PcenConfig())
    clips = [ClipItem(source, p.time, labels) for p in find_peaks(times, snr, count=peaks_per_file)]
    stretches = []
    for start in low_snr_stretches(times, snr, seconds=mel.clip_seconds, count=background_per_file):
        clips.append(ClipItem(source, start + half, ()))
        stretches.append([source, int(start * rate), int((start + 2 * half) * rate)])
    reach = [
        clip_interval(
            clip.center,
            seconds=mel.clip_seconds,
            max_shift=max_shift,
            sample_rate=rate,
            length=len(audio),
        )
        for clip in clips
    ]
    return clips, stretches, Excerpts.cut(audio, reach)


def prepare_clips(
    recs: list[Recording],
    *,
    classes: list[str] | None = None,
    peaks_per_file: int = 20,
    background_per_file: int = 3,
    mel: MelConfig = MelConfig(),
    max_shift: float = AugmentConfig.max_shift,
    store: str | Path | None = None,
    progress: bool = False,
) -> TrainingClips:
    """Load each recording once, find its peaks and low-SNR stretches, list the clips.

    Of each recording only the stretches its clips can reach (shifted up to ``max_shift``
    s) are kept, as :class:`~castlab.birds.excerpts.Excerpts`. With ``store`` (a folder) they
    go to disk as each recording is read and are mapped back from there, so memory does not
    grow with the folder; a later call with the same recordings (unchanged on disk) and
    settings reuses the store without decoding anything (``castlab birds train --resume``).
    """
    from tqdm import tqdm

    classes = classes or sorted({r.species for r in recs})
    index = {name: k for k, name in enumerate(classes)}
    saved = None if store is None else ExcerptStore(store)
    key = {}
    if saved is not None:
        settings = {
            "sample_rate": mel.sample_rate,
            "clip_seconds": mel.clip_seconds,
            "max_shift": max_shift,
            "peaks_per_file": peaks_per_file,
            "background_per_file": background_per_file,
            "pcen": asdict(PcenConfig()),
        }
        key = _store_key(recs, classes, settings)
    found = None if saved is None else saved.load(key=key)
    if found is None:
        items: list[ClipItem] = []
        stretches: list[list[int]] = []

        def cut() -> Iterator[Excerpts]:
            for source, rec in enumerate(
                tqdm(recs, desc="clips", unit="file", disable=not progress)
            ):
                labels = tuple(sorted(index[s] for s in (rec.species, *rec.also) if s in index))
                clips, background, kept = _recording_clips(
                    rec,
                    source,
                    labels,
                    peaks_per_file=peaks_per_file,
                    background_per_file=background_per_file,
                    mel=mel,
                    max_shift=max_shift,
                )
                items.extend(clips)
                stretches.extend(background)
                yield kept

        def listing() -> dict[str, Any]:
            return {
                "items": [[item.source, item.center, list(item.labels)] for item in items],
                "backgrounds": stretches,
            }

        if saved is None:
            found = list(cut()), listing()
        else:
            saved.save(cut(), key=key, extra=listing)
            found = saved.load(key=key)
            if found is None:
                raise CastlabError("the clip store just written cannot be read back", path=store)
    audios, listed = found
    items = [ClipItem(source, center, tuple(labels)) for source, center, labels in listed["items"]]
    if not any(item.labels for item in items):
        raise CastlabError("no clips with a bird found", fix="check the recordings are not silent")
    backgrounds = [audios[source][lo:hi] for source, lo, hi in listed["backgrounds"]]
    sources = [source for source, _, _ in listed["backgrounds"]]
    return TrainingClips(audios, items, classes, backgrounds, sources)


class BirdTask(L.LightningModule):
    """Multi-label training of :class:`BirdCNN`; accuracy = top-1 among clips with a label.

    The accuracy is a mean over labelled clips (background clips have no label), weighted so
    that a batch with few labelled clips counts for few, and pooled across processes.
    """

    def __init__(self, model: BirdCNN, config: TrainConfig) -> None:
        super().__init__()
        self.model = model
        self.config = config

    def _common_step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        mel, target = batch
        logits, loss = self.model(mel, target)
        labelled = target.sum(dim=1) > 0
        count = int(labelled.sum())
        # logged on every batch (weight 0 without a labelled clip), so every process takes
        # part in the cross-process reduction
        hit = target[labelled].gather(1, logits[labelled].argmax(1, keepdim=True))
        accuracy = hit.float().mean() if count else logits.new_zeros(())
        on_step = stage == "train"
        self.log(
            f"{stage}_accuracy",
            accuracy,
            prog_bar=stage != "train",
            on_step=on_step,
            on_epoch=True,
            batch_size=count,
            sync_dist=True,
        )
        self.log(
            f"{stage}_loss", loss, prog_bar=True, on_step=on_step, on_epoch=True, sync_dist=True
        )
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "val")

    def configure_optimizers(self) -> Any:
        return one_cycle_adamw(self, self.config)


def split_recordings(items: list[ClipItem], fraction: float, seed: int) -> set[int]:
    """The recordings (``ClipItem.source``) held out for validation: whole recordings, drawn
    at random until about ``fraction`` of the clips, never a species' last one left to train
    on (clips cut a second apart from one recording share most of their audio, so a split
    clip by clip, the blog's, measures memory, not hearing). Empty when no species has two.

    Examples
    --------
    >>> items = [ClipItem(r, 1.0, (r % 2,)) for r in range(4) for _ in range(5)]
    >>> held = split_recordings(items, 0.25, seed=0)
    >>> len(held), {r % 2 for r in range(4) if r not in held}  # both species still train
    (1, {0, 1})
    >>> split_recordings([ClipItem(0, 1.0, (0,)), ClipItem(1, 1.0, (1,))], 0.5, seed=0)
    set()
    """
    from collections import Counter

    clips = Counter(item.source for item in items)
    species: dict[int, set[int]] = {}  # each recording's species (secondary labels too)
    for item in items:
        species.setdefault(item.source, set()).update(item.labels)
    left = Counter(k for kinds in species.values() for k in kinds)  # recordings to train on
    held: set[int] = set()
    taken = 0
    for source in np.random.default_rng(seed).permutation(sorted(clips)).tolist():
        if taken >= fraction * len(items):
            break
        kinds = species[source]
        if kinds and all(left[k] >= 2 for k in kinds):
            held.add(source)
            left.subtract(kinds)
            taken += clips[source]
    return held


def fit_clips(
    clips: TrainingClips,
    out: str | Path,
    *,
    config: BirdTrainConfig,
    train: TrainConfig,
    resume: bool = False,
    find_lr: bool = False,
    val_items: list[ClipItem] | None = None,
) -> Path:
    """Train on ``clips`` (validation: ``val_items``, or whole recordings held out by
    :func:`split_recordings`); save into ``out/model``."""
    from castlab.birds.classifier import save_cnn

    out = Path(out)
    n_classes = len(clips.classes)
    backgrounds = clips.backgrounds
    if val_items is None and config.val_fraction > 0:
        held = split_recordings(clips.items, config.val_fraction, train.seed)
        val_items = [item for item in clips.items if item.source in held]
        train_items = [item for item in clips.items if item.source not in held]
        if clips.background_sources:  # nor the held-out recordings' noise in the training mix
            pairs = zip(clips.backgrounds, clips.background_sources)
            backgrounds = [b for b, source in pairs if source not in held]
    else:
        train_items = clips.items
    common = dict(n_classes=n_classes, mel=config.mel)
    train_set = ClipDataset(
        clips.audios,
        train_items,
        augment=config.augment,
        backgrounds=backgrounds,
        seed=train.seed,
        **common,
    )
    loader = DataLoader(train_set, batch_size=train.batch_size, shuffle=True)
    val_loader = None
    if val_items:
        val_set = ClipDataset(clips.audios, val_items, **common)
        val_loader = DataLoader(val_set, batch_size=train.batch_size)
    seed_everything(train.seed)  # the initial weights too: the same seed, the same model
    model = BirdCNN(CnnConfig(n_classes, channels=config.channels, dropout=config.dropout))
    # what a resume must keep: the options as given (before any learning-rate finder) and
    # the clips, their audio and the held-out recordings
    settings = {
        **run_settings(train, birds=asdict(config)),
        "data": data_fingerprint(
            [(item.source, item.center, item.labels) for item in train_items],
            [(item.source, item.center) for item in val_items or []],
            [audio.pieces for audio in clips.audios],
            clips.classes,
        ),
    }
    if find_lr:
        lr, _ = find_learning_rate(
            BirdTask(model, train), loader, out, steps=min(100, 10 * len(loader))
        )
        train = TrainConfig(**{**train.to_dict(), "lr": lr})
    task = BirdTask(model, train)
    trainer = fit(
        task,
        loader,
        val_loader,
        out,
        train,
        resume=resume,
        labels=clips.classes,
        settings=settings,
    )
    if not trainer.is_global_zero:  # one writer in a multi-process (DDP) run
        return out / "model"
    extra = {"train": train.to_dict(), "birds": asdict(config)}
    return save_cnn(out / "model", model, clips.classes, config.mel, extra=extra)


def train_cnn(
    folder: str | Path,
    out: str | Path,
    *,
    config: BirdTrainConfig = BirdTrainConfig(),
    train: TrainConfig = TrainConfig(),
    metadata: str | Path | None = None,
    resume: bool = False,
    find_lr: bool = False,
) -> Path:
    """Train the CNN on ``folder`` (``species/*.wav``); return the saved model folder.

    The audio the clips are cut from is kept in ``out/clips`` while training (see
    :func:`prepare_clips`); a crash or Ctrl-C leaves it for ``resume``, and it is deleted once
    the model is written.
    """
    recs = recordings(folder, metadata=metadata)
    species = sorted({r.species for r in recs})  # the classes prepare_clips gives the model
    if len(species) < 2:
        raise CastlabError("training needs at least two species", path=folder)
    # before the clips are cut, which takes long on a large folder
    check_run_folder(
        out,
        train,
        resume=resume,
        labels=species,
        settings=run_settings(train, birds=asdict(config)),
    )
    store = Path(out) / "clips"
    clips = prepare_clips(
        recs,
        peaks_per_file=config.peaks_per_file,
        background_per_file=config.background_per_file,
        mel=config.mel,
        max_shift=config.augment.max_shift,
        store=store,
        progress=train.progress,
    )
    model = fit_clips(clips, out, config=config, train=train, resume=resume, find_lr=find_lr)
    if is_main_process():  # the model is written: nothing left to resume
        ExcerptStore(store).remove()
    return model
