import json

import lightning as L
import numpy as np
import pandas as pd
import pytest
import torch

from castlab.birds.classifier import load_classifier
from castlab.birds.features import MelConfig, cut_clip
from castlab.birds.synthetic import synthetic_recording
from castlab.birds.train import BirdTask, BirdTrainConfig, train_cnn
from castlab.core.errors import CastlabError
from castlab.core.training import TrainConfig

#: a CNN small enough to train in seconds: the plumbing, not the accuracy
TINY = BirdTrainConfig(
    peaks_per_file=2,
    background_per_file=1,
    channels=(4,),
    mel=MelConfig(n_mels=16, hop_length=1280),
)


def test_the_demo_cnn_names_new_calls(demo_model):
    folder, species = demo_model
    classifier = load_classifier(folder)
    rng = np.random.default_rng(42)
    hits = total = 0
    for kind in species:
        audio, notes = synthetic_recording(kind, seconds=15.0, rng=rng)
        clips = np.stack([cut_clip(audio, (n.start + n.end) / 2) for n in notes])
        guesses = classifier.predict_clips(clips).argmax(axis=1)
        hits += sum(classifier.classes[g] == kind.name for g in guesses)
        total += len(guesses)
    assert hits / total >= 0.8, f"{hits}/{total}"


def test_run_folder_has_log_plot_and_checkpoint(demo_model):
    run = demo_model[0].parent
    assert (run / "loss.png").exists() and (run / "checkpoints" / "last.ckpt").exists()
    log = pd.read_csv(run / "metrics.csv")
    assert {"train_loss_step", "val_loss", "val_accuracy"} <= set(log.columns)


def test_resume_continues_and_lr_finder_runs(species_folder, tmp_path, ctrl_c_at_step, monkeypatch):
    from castlab.birds import train as train_module

    config = TINY
    settings = TrainConfig(max_epochs=2, batch_size=8, progress=False)
    ctrl_c_at_step(train_module, 1)
    with pytest.raises(KeyboardInterrupt):
        train_cnn(species_folder, tmp_path / "run", config=config, train=settings, find_lr=True)
    assert (tmp_path / "run" / "lr_find.png").exists()
    assert not (tmp_path / "run" / "model").exists()
    assert (tmp_path / "run" / "clips" / "index.json").exists()  # kept for --resume

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(train_module, "load_audio", no_decoding)  # the clips are reused
    train_cnn(species_folder, tmp_path / "run", config=config, train=settings, resume=True)
    assert pd.read_csv(tmp_path / "run" / "metrics.csv")["epoch"].max() == 1
    assert (tmp_path / "run" / "model" / "model.safetensors").exists()
    assert not (tmp_path / "run" / "clips").exists()  # the model is written: deleted
    # training longer than the one-cycle schedule planned is refused, before any clip is cut
    longer = TrainConfig(max_epochs=3, batch_size=8, progress=False)
    with pytest.raises(CastlabError, match="started with --epochs 2"):
        train_cnn(species_folder, tmp_path / "run", config=config, train=longer, resume=True)


def test_one_species_is_refused(species_folder, tmp_path):
    import shutil

    shutil.copytree(species_folder / "ember_chirper", tmp_path / "one" / "ember_chirper")
    with pytest.raises(CastlabError, match="at least two species"):
        train_cnn(tmp_path / "one", tmp_path / "x")


def test_resume_with_nothing_to_resume_fails_before_cutting_clips(
    species_folder, tmp_path, monkeypatch
):
    def cut(*args, **kwargs):
        raise AssertionError("clips cut before the resume check")

    monkeypatch.setattr("castlab.birds.train.prepare_clips", cut)
    with pytest.raises(CastlabError, match="nothing to resume"):
        train_cnn(species_folder, tmp_path / "new", resume=True)


class _Fixed(torch.nn.Module):
    """Logits given by the batch itself (the ``mel`` tensor), as BirdCNN returns them."""

    def forward(self, mel, target):
        return mel, torch.zeros((), requires_grad=True)


def test_accuracy_is_a_mean_over_labelled_clips_not_over_batches():
    a, b = [1.0, 0.0], [0.0, 1.0]  # logits and one-hot targets of two species
    none = [0.0, 0.0]
    batches = [
        (torch.tensor([a, a, b, b]), torch.tensor([a, a, b, b])),  # 4 labelled, all right
        (torch.tensor([a, a, a, a]), torch.tensor([b, none, none, none])),  # 1 labelled, wrong
        (torch.tensor([a, b]), torch.tensor([none, none])),  # background only
    ]
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False)
    loader = torch.utils.data.DataLoader(batches, batch_size=None)  # the batches as they are
    metrics = trainer.validate(BirdTask(_Fixed(), TrainConfig()), loader, verbose=False)[0]
    assert metrics["val_accuracy"] == pytest.approx(4 / 5)  # per batch it would be 1/2


def test_the_same_seed_trains_the_same_model(species_folder, tmp_path):
    from safetensors.torch import load_file

    config = TINY
    weights = []
    for run, seed in (("a", 0), ("b", 0), ("c", 1)):
        settings = TrainConfig(max_epochs=1, batch_size=8, progress=False, seed=seed)
        model = train_cnn(species_folder, tmp_path / run, config=config, train=settings)
        weights.append(load_file(model / "model.safetensors"))
    same, other = weights[1], weights[2]
    assert all(torch.equal(weights[0][name], same[name]) for name in same)
    assert not all(torch.equal(weights[0][name], other[name]) for name in other)


def _augmented_clips(clips, audios, backgrounds, seed=3):
    """Every item's augmented clip (shift, mixing, background, gain) with one seed."""
    from castlab.birds.dataset import AugmentConfig, ClipDataset

    data = ClipDataset(
        audios,
        clips.items,
        n_classes=len(clips.classes),
        augment=AugmentConfig(),
        backgrounds=backgrounds,
        seed=seed,
    )
    return [data.clip(k)[0] for k in range(len(data))]


def test_training_keeps_the_stretches_its_clips_reach_and_cuts_the_same_clips(
    species_folder, tmp_path, monkeypatch
):
    from castlab.birds import train as train_module
    from castlab.birds.audio import load_audio
    from castlab.birds.data import recordings

    recs = recordings(species_folder)[:4]
    in_memory = train_module.prepare_clips(recs, peaks_per_file=2, background_per_file=1)
    stored = train_module.prepare_clips(
        recs, peaks_per_file=2, background_per_file=1, store=tmp_path / "clips"
    )
    whole = [load_audio(rec.path) for rec in recs]
    assert stored.items == in_memory.items
    assert sum(a.kept_samples for a in stored.audios) < sum(len(a) for a in whole)
    assert isinstance(stored.audios[0].pieces[0], np.memmap)  # on disk, not in memory
    listed = json.loads((tmp_path / "clips" / "index.json").read_text())["backgrounds"]
    backgrounds = [whole[source][lo:hi] for source, lo, hi in listed]
    assert len(backgrounds) == 4 and all(len(b) >= 5 * 32_000 - 1 for b in backgrounds)
    expected = _augmented_clips(stored, whole, backgrounds)
    for clips in (stored, in_memory):
        for got, want in zip(_augmented_clips(clips, clips.audios, clips.backgrounds), expected):
            np.testing.assert_array_equal(got, want)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(train_module, "load_audio", no_decoding)
    again = train_module.prepare_clips(  # --resume: the store is reused
        recs, peaks_per_file=2, background_per_file=1, store=tmp_path / "clips"
    )
    assert again.items == stored.items
    with pytest.raises(AssertionError, match="decoded again"):  # other settings: cut again
        train_module.prepare_clips(
            recs, peaks_per_file=3, background_per_file=1, store=tmp_path / "clips"
        )


def test_a_bad_recording_stops_training_before_any_folder_is_left(species_folder, tmp_path):
    import shutil

    shutil.copytree(species_folder, tmp_path / "rec")
    (tmp_path / "rec" / "ember_chirper" / "broken.wav").write_text("not audio")
    with pytest.raises(CastlabError, match="broken.wav.*cannot decode audio"):
        train_cnn(tmp_path / "rec", tmp_path / "run", config=TINY)
    assert not (tmp_path / "run").exists()


def test_validation_holds_out_whole_recordings_and_keeps_every_species_training():
    """Clips a second apart share most of their audio: validation takes whole recordings,
    never a species' last one, about the share asked for (a species with one recording, or
    secondary labels, count too)."""
    from castlab.birds.dataset import ClipItem
    from castlab.birds.train import split_recordings

    # species 0: 3 recordings, species 1: 3 (one also labels species 2), species 2: 1 of its own
    kinds = {0: (0,), 1: (0,), 2: (0,), 3: (1,), 4: (1,), 5: (1, 2), 6: (2,)}
    items = [ClipItem(r, t, kinds[r]) for r in kinds for t in range(10)]
    items += [ClipItem(r, 99.0, ()) for r in kinds]  # each recording's background clip
    for seed in range(20):
        held = split_recordings(items, 0.3, seed)
        kept = {k for r, labels in kinds.items() if r not in held for k in labels}
        assert kept == {0, 1, 2} and 2 <= len(held) <= 3, (seed, held)
        share = sum(item.source in held for item in items) / len(items)
        assert 0.25 <= share <= 0.45
    assert split_recordings([ClipItem(0, 1.0, (0,)), ClipItem(1, 1.0, (1,))], 0.5, 0) == set()
