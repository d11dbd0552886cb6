"""The birds part of ``castlab demo``: the whole pipeline on made-up species, in under a minute.

Generated data only (no download): four made-up species (FM chirps, trills, a warble) in
coloured noise, three 15-s recordings each for training, one more each for a held-out
confusion matrix, and two labelled 60-s soundscapes: thresholds are tuned on the first
and scored on the second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from castlab.core.report import Section

__all__ = ["build_demo_model", "run_demo"]


def _demo_mel():  # type: ignore[no-untyped-def]
    from castlab.birds.features import MelConfig

    return MelConfig(n_mels=32, hop_length=640)  # coarser than the default: trains in seconds


def build_demo_model(work: str | Path, *, epochs: int = 20, seed: int = 0) -> tuple[Path, list]:
    """Generate made-up species under ``work`` and train a small CNN; return (model, species)."""
    from castlab.birds.synthetic import write_species_folders
    from castlab.birds.train import BirdTrainConfig, train_cnn
    from castlab.core.training import TrainConfig, discard_checkpoint

    work = Path(work)
    discard_checkpoint(work / "run")  # a scratch run: an earlier stopped one starts over
    species = write_species_folders(
        work / "species", n_species=4, per_species=3, seconds=15.0, seed=seed
    )
    config = BirdTrainConfig(peaks_per_file=6, channels=(8, 16, 32), mel=_demo_mel())
    train = TrainConfig(max_epochs=epochs, batch_size=16, lr=1e-2, seed=seed, progress=False)
    return train_cnn(work / "species", work / "run", config=config, train=train), species


def run_demo(out_dir: Path, section: Section) -> None:
    """Train on generated calls, analyse generated soundscapes, fill ``section``."""
    import pandas as pd
    import soundfile as sf

    from castlab.birds.analyse import analyse_soundscapes, peaks_picture
    from castlab.birds.audio import SAMPLE_RATE, load_audio
    from castlab.birds.classifier import load_classifier
    from castlab.birds.features import cut_clip
    from castlab.birds.peak_table import write_peak_table
    from castlab.birds.plots import plot_confusion
    from castlab.birds.synthetic import synthetic_recording, write_soundscape
    from castlab.core.artifacts import read_json

    out_dir = Path(out_dir)
    model_dir, species = build_demo_model(out_dir / "work")
    recordings = model_dir.parents[1] / "species"  # written by build_demo_model
    names = [s.name for s in species]
    section.paragraph(
        "Four made-up species (" + ", ".join(n.replace("_", " ") for n in names) + "), three "
        "15-second recordings each. The PCEN-SNR curve (BirdVox settings) picks the strongest "
        "peaks; 5-second clips around them, plus low-SNR stretches labelled 'no bird', train a "
        "small CNN on log-mel spectrograms computed after augmenting the raw audio."
    )
    table = write_peak_table(recordings, out_dir / "peaks.csv", count=6, progress=False)
    first = sorted(recordings.rglob("*.wav"))[0]
    picture, _ = peaks_picture(first, out_dir / "peaks.png", count=6)
    section.figure(
        picture,
        f"{first.name}: spectrogram, PCEN-SNR curve and the chosen peaks "
        f"(peaks.csv covers {table.files_done} files).",
    )
    section.figure(model_dir.parent / "loss.png", "Training loss and clip accuracy.")

    classifier = load_classifier(model_dir)
    names = list(classifier.classes)
    rng = np.random.default_rng(7)
    matrix = np.zeros((len(names), len(names)), dtype=int)
    for kind in species:
        k = names.index(kind.name)  # the classifier's classes are sorted by name
        audio, notes = synthetic_recording(kind, seconds=15.0, rng=rng)
        clips = np.stack([cut_clip(audio, (n.start + n.end) / 2) for n in notes])
        for guess in classifier.predict_clips(clips).argmax(axis=1):
            matrix[k, guess] += 1
    accuracy = np.trace(matrix) / matrix.sum()
    section.figure(
        plot_confusion(matrix, names, out_dir / "confusion.png"),
        f"Held-out recordings (one new per species), a 5-s clip around each call: "
        f"accuracy {accuracy:.0%} ({matrix.sum()} clips).",
    )

    scapes = out_dir / "soundscapes"
    tune_wav, tune_txt = write_soundscape(
        scapes / "tune.wav", species, seconds=60.0, calls=10, seed=11
    )
    test_wav, test_txt = write_soundscape(
        scapes / "test.wav", species, seconds=60.0, calls=10, seed=12
    )
    tuned = analyse_soundscapes(
        [tune_wav], model_dir, out_dir / "tune", labels=[tune_txt], plots=False
    )
    files = analyse_soundscapes(
        [test_wav], model_dir, out_dir / "test", labels=[test_txt], thresholds=tuned["thresholds"]
    )
    # scoring the test soundscape with the thresholds tuned on the other one
    from castlab.birds.data import read_audacity_labels, window_labels
    from castlab.birds.soundscape import false_positive_rate, micro_f1

    frame = pd.read_csv(files["probabilities"])
    truth = window_labels(read_audacity_labels(test_txt), duration=60.0)
    predicted = [[] if b == "nocall" else b.split() for b in frame["birds"]]
    thresholds = read_json(tuned["thresholds"])
    section.table(
        pd.DataFrame(
            [
                {
                    "soundscape": "test.wav (thresholds from tune.wav)",
                    "windows": len(truth),
                    "micro F1 (BirdCLEF, nocall counts)": micro_f1(predicted, truth),
                    "micro F1 (species only)": micro_f1(predicted, truth, count_nocall=False),
                    "background windows flagged": false_positive_rate(predicted, truth),
                }
            ]
        ),
        "Per-window scores on a soundscape the thresholds never saw. Thresholds: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in thresholds.items()),
    )
    section.figure(
        files["timeline_test"],
        "Soundscape timeline: probability per species and "
        "window; red boxes are detections, white crosses the labels.",
    )
    audio = load_audio(test_wav)
    shown = 0
    for row in frame.itertuples():
        if row.birds != "nocall" and shown < 3:
            clip_path = out_dir / f"detection_{shown + 1}.wav"
            clip = audio[int(row.start * SAMPLE_RATE) : int(row.end * SAMPLE_RATE)]
            sf.write(clip_path, clip, SAMPLE_RATE)
            section.audio(
                clip_path,
                f"{row.start:.0f}-{row.end:.0f} s: {row.birds}",
                relative_to=out_dir.parent,
            )
            shown += 1
    section.links(
        [out_dir / "peaks.csv", files["submission"], files["probabilities"], tuned["thresholds"]],
        relative_to=out_dir.parent,
    )
