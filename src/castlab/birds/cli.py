"""``castlab birds ...``: thin commands over :mod:`castlab.birds`.

Heavy libraries (torch, librosa, pandas, scikit-learn, BirdNET) load inside the commands so
``castlab --help`` stays fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from castlab.core.errors import CastlabError, require_at_least
from castlab.core.options import (
    Accelerator,
    BatchSize,
    Devices,
    Epochs,
    LearningRate,
    MaxSteps,
    NumNodes,
    Precision,
    Resume,
    Seed,
    Strategy,
    set_threads,
    train_config,
    typed_flags,
)

if TYPE_CHECKING:
    from castlab.birds.prior import Place

__all__ = ["app"]

app = typer.Typer(
    help="Find, learn and name bird calls: PCEN peaks, a CNN on mel clips, soundscapes, "
    "BirdNET beside it.\n\nExample: castlab birds peaks recordings/ --out peaks.csv",
    no_args_is_help=True,
)

_FOLDER = Annotated[
    Path, typer.Argument(help="Folder of species/*.wav|mp3|flac|ogg (or one file).")
]
_METADATA = Annotated[
    Path | None, typer.Option(help="CSV with filename + primary_label (e.g. train_metadata.csv).")
]
_LAT = Annotated[
    float | None,
    typer.Option(help="Latitude of the recordings (with --lon: BirdNET's range prior)."),
]
_LON = Annotated[float | None, typer.Option(help="Longitude (decimal degrees, east positive).")]
_WEEK = Annotated[
    int, typer.Option(help="Week of the year, 1-48 (BirdNET weeks, 4 a month); -1: whole year.")
]
_PRIOR_MODE = Annotated[
    str,
    typer.Option(
        help="With --lat/--lon: 'filter' switches off species BirdNET's range model puts "
        "below --prior-threshold there, 'weight' scales them down."
    ),
]
_PRIOR_THRESHOLD = Annotated[
    float,
    typer.Option(
        help="With --lat/--lon: the range score below which a species is implausible "
        "(BirdNET's 0.03; lower keeps rarer species)."
    ),
]


def _place(
    lat: float | None,
    lon: float | None,
    week: int,
    mode: str = "filter",
    threshold: float = 0.03,
) -> Place | None:
    """The :class:`~castlab.birds.prior.Place` of ``--lat/--lon/--week``, or None; checked
    before any work."""
    if lat is None and lon is None:
        if week != -1:
            raise CastlabError(
                "--week needs a place", fix="add --lat and --lon (decimal degrees), or drop --week"
            )
        return None
    if lat is None or lon is None:
        raise CastlabError(
            "give both --lat and --lon, or neither", fix="e.g. --lat 42.4 --lon -76.5"
        )
    from castlab.birds.prior import Place

    return Place(lat, lon, week=week, mode=mode, threshold=threshold)


@app.command()
def peaks(
    folder: _FOLDER,
    out: Annotated[
        Path, typer.Option(help="CSV to write (appended per file; reruns resume).")
    ] = Path("peaks.csv"),
    count: Annotated[int, typer.Option(help="Strongest peaks kept per file.")] = 20,
    min_gap: Annotated[float, typer.Option(help="Seconds between kept peaks.")] = 1.0,
) -> None:
    """Find the strongest PCEN-SNR peaks of every recording; resumable over thousands of files.

    Example: castlab birds peaks recordings/ --out peaks.csv --count 20
    """
    from castlab.birds.peak_table import write_peak_table
    from castlab.core.artifacts import output_file

    table = write_peak_table(folder, output_file(out, "peaks.csv"), count=count, min_gap=min_gap)
    for name, reason in table.unreadable[:10]:
        typer.echo(f"unreadable: {name}: {reason}")
    if len(table.unreadable) > 10:
        typer.echo(f"... and {len(table.unreadable) - 10} more (the note column of {table.path})")
    if table.unreadable and not table.files_done and not table.files_skipped:
        name, reason = table.unreadable[0]
        raise CastlabError(
            f"none of the {table.files_failed} recording(s) could be decoded (first: {name}: "
            f"{reason})",
            path=folder,
            fix="check the files are audio (wav, flac, ogg, mp3) and not empty or cut short",
        )
    typer.echo(
        f"{table.files_done} files done, {table.files_skipped} already there, "
        f"{table.files_failed} unreadable; peaks in {table.path}"
    )


@app.command()
def picture(
    audio: Annotated[Path, typer.Argument(help="One recording.")],
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path("peaks.png"),
    count: Annotated[int, typer.Option(help="Peaks to mark.")] = 20,
) -> None:
    """Draw a recording's spectrogram, its PCEN-SNR curve and the chosen peaks.

    Example: castlab birds picture XC343983.mp3 --out peaks.png
    """
    from castlab.birds.analyse import peaks_picture
    from castlab.core.artifacts import output_file

    path, found = peaks_picture(audio, output_file(out, "peaks.png"), count=count)
    typer.echo(f"{len(found)} peaks; picture written to {path}")


@app.command()
def train(
    ctx: typer.Context,
    folder: _FOLDER,
    out: Annotated[
        Path, typer.Option(help="Run folder (log, loss.png, checkpoints, model/).")
    ] = Path("runs/birds/cnn"),
    features: Annotated[
        str, typer.Option(help="mel (the blog's CNN) or birdnet (a head on BirdNET embeddings).")
    ] = "mel",
    metadata: _METADATA = None,
    peaks_per_file: Annotated[int, typer.Option(help="Peak clips per recording.")] = 20,
    background_per_file: Annotated[
        int, typer.Option(help="Low-SNR 'no bird' clips per recording.")
    ] = 3,
    mixed_copies: Annotated[
        int, typer.Option(help="birdnet: copies of each call mixed into background at 0-20 dB.")
    ] = 3,
    background: Annotated[
        Path | None,
        typer.Option(help="birdnet: recordings with none of the species (extra background)."),
    ] = None,
    head: Annotated[
        str,
        typer.Option(
            help="birdnet: anchored (BirdNET's own layer refitted) or softmax (a new head "
            "averaged with BirdNET's scores)."
        ),
    ] = "anchored",
    birdnet_weight: Annotated[
        float, typer.Option(help="birdnet, softmax head: BirdNET's share (0 = the head alone).")
    ] = 0.7,
    find_lr: Annotated[
        bool, typer.Option(help="Run the learning-rate finder first (mel).")
    ] = False,
    epochs: Epochs = 15,
    batch_size: BatchSize = 32,
    lr: LearningRate = 3e-3,
    seed: Seed = 0,
    max_steps: MaxSteps = -1,
    accelerator: Accelerator = "auto",
    devices: Devices = "auto",
    num_nodes: NumNodes = 1,
    strategy: Strategy = "auto",
    precision: Precision = "32-true",
    threads: Annotated[
        int, typer.Option(help="CPU threads for torch (and BirdNET with --features birdnet).")
    ] = 2,
    resume: Resume = False,
) -> None:
    """Train a species classifier on labelled recordings: the blog's CNN on mel clips
    (multi-label; 'no bird' clips have no label), or a head on BirdNET's embeddings (with a
    background class).

    Example: castlab birds train recordings/ --out runs/birds/cnn --epochs 15
    """
    set_threads(threads)
    if features not in ("mel", "birdnet"):
        raise CastlabError(f"unknown --features {features!r}", fix="use mel or birdnet")
    if features == "birdnet":
        from castlab.birds.head import HeadConfig, train_head

        if resume or find_lr:  # a head is fitted in one go: no epochs, no checkpoint
            flag = "--resume" if resume else "--find-lr"
            raise CastlabError(
                f"{flag} is for the mel CNN: a BirdNET head is fitted in one go, without "
                "epochs or checkpoints",
                fix=f"drop {flag} (the head takes a minute or so; run it again to redo it)",
            )
        cnn_only = ["epochs", "batch_size", "lr", "max_steps", "accelerator", "devices"]
        cnn_only += ["num_nodes", "strategy", "precision"]
        given = typed_flags(ctx, cnn_only)
        if given:
            typer.echo(
                f"note: {', '.join(given)} set the mel CNN's training; a BirdNET head ignores them"
            )

        model = train_head(
            folder,
            out,
            config=HeadConfig(
                kind=head,
                peaks_per_file=peaks_per_file,
                background_per_file=background_per_file,
                mixed_copies=mixed_copies,
                birdnet_weight=birdnet_weight,
                seed=seed,
            ),
            metadata=metadata,
            background=background,
            threads=threads,
        )
        _say_head_quality(model)
    else:
        from castlab.birds.train import BirdTrainConfig, train_cnn

        config = BirdTrainConfig(
            peaks_per_file=peaks_per_file, background_per_file=background_per_file
        )
        settings = train_config(
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            max_steps=max_steps,
            accelerator=accelerator,
            devices=devices,
            num_nodes=num_nodes,
            strategy=strategy,
            precision=precision,
        )
        model = train_cnn(
            folder,
            out,
            config=config,
            train=settings,
            metadata=metadata,
            resume=resume,
            find_lr=find_lr,
        )
    typer.echo(f"model written to {model}")


def _say_head_quality(model: Path) -> None:
    """What a BirdNET head's training can say of it: species BirdNET lacks, and how often it
    named the training calls' species when their recording was held out."""
    from castlab.core.artifacts import read_json

    config = read_json(Path(model) / "config.json")
    index = config.get("birdnet_index") or []
    lacking = [name for name, k in zip(config.get("classes", []), index) if k is None]
    if lacking:
        typer.echo(
            "BirdNET does not know " + ", ".join(lacking) + ": learnt from these recordings alone"
        )
    accuracy = config.get("out_of_fold_accuracy")
    if accuracy is not None:
        typer.echo(
            f"out-of-fold accuracy {accuracy:.3f}: the share of training calls whose species "
            "the head named first with their recording held out (3 folds)"
        )
    elif "out_of_fold_accuracy" in config:  # the anchored head's; None: too few recordings
        typer.echo("no out-of-fold accuracy: it needs 3 or more recordings")


@app.command()
def soundscape(
    model: Annotated[Path, typer.Argument(help="Model folder from castlab birds train.")],
    audio: Annotated[
        list[Path], typer.Argument(metavar="AUDIO...", help="Long recordings to score.")
    ],
    out: Annotated[
        Path, typer.Option(help="Folder for submission.csv, probabilities.csv, PNGs.")
    ] = Path("runs/birds/soundscapes"),
    labels: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Audacity/Raven labels (same stem as the audio) or BirdCLEF's "
            "train_soundscape_labels.csv: tune thresholds (with --thresholds: score those "
            "instead, out of sample). One --labels per file.",
        ),
    ] = None,
    thresholds: Annotated[
        str | None, typer.Option(help="thresholds.json or one number (default: the model's).")
    ] = None,
    threads: Annotated[
        int, typer.Option(help="CPU threads for torch and (a BirdNET head's) BirdNET.")
    ] = 2,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes scoring recordings side by side (1 thread each, a few seconds' "
            "start-up each). On 2 cores one process (BirdNET on --threads side by side) was "
            "faster in the benchmark: for machines with more cores."
        ),
    ] = 1,
    objective: Annotated[
        str,
        typer.Option(
            help="With --labels: thresholds for the micro F1 of all species (species only; "
            "BirdCLEF's score also credits a correct nocall) or for each species' own F1 "
            "('species')."
        ),
    ] = "micro",
    chunk_hop: Annotated[
        float | None,
        typer.Option(
            help="A BirdNET head's seconds between the 3-s chunks of a window: 1 (the "
            "default: 0-3, 1-4, 2-5 s), 2 (0-3, 2-5 s: 2/3 of the BirdNET passes) or 3 (1-4 s: 1/3)."
        ),
    ] = None,
    lat: _LAT = None,
    lon: _LON = None,
    week: _WEEK = -1,
    prior_mode: _PRIOR_MODE = "filter",
    prior_threshold: _PRIOR_THRESHOLD = 0.03,
    competition: Annotated[
        float,
        typer.Option(
            help="Damp species below each window's top one, p*(p/top)^x (0: off; 0.5 or 1 for "
            "recordings where one or two species call at a time, not for dawn choruses)."
        ),
    ] = 0.0,
) -> None:
    """Score every 5-s window; write the BirdCLEF submission and per-window probabilities.

    Example: castlab birds soundscape runs/birds/cnn/model site1.wav --labels site1.txt --lat 42.4 --lon -76.5 --week 20
    """
    from castlab.birds.analyse import analyse_soundscapes

    place = _place(lat, lon, week, prior_mode, prior_threshold)
    set_threads(threads)
    chosen: str | float | None = thresholds
    if thresholds is not None:
        try:
            chosen = float(thresholds)
        except ValueError:
            chosen = thresholds
    files = analyse_soundscapes(
        audio,
        model,
        out,
        labels=labels,
        thresholds=chosen,
        progress=True,
        workers=workers,
        threads=threads,  # BirdNET's too, for a BirdNET head
        objective=objective,
        chunk_hop=chunk_hop,
        place=place,
        competition=competition,
    )
    if "prior" in files:
        from castlab.core.artifacts import read_json

        said = read_json(files["prior"])
        typer.echo(
            f"range prior at {lat}, {lon} (week {week}): "
            + "; ".join(
                f"{saying}: {', '.join(said[what]) or 'none'}"
                for what, saying in (
                    ("switched_off", "switched off"),
                    ("scaled_down", "scaled down"),
                    ("unknown_to_birdnet", "unknown to BirdNET, kept"),
                )
                if said[what] or what == "switched_off"
            )
        )
    if not labels and thresholds is None and not (model / "thresholds.json").exists():
        typer.echo(
            "thresholds: 0.5 for every species (no --labels, no --thresholds, no thresholds.json "
            "in the model): expect false alarms on other birds and noise; label a few "
            "soundscapes (Audacity or Raven) and pass --labels to tune them"
        )
    if "scores" in files:
        typer.echo(files["scores"].read_text().strip())
        _say_label_pairing(files["scores"])
    typer.echo(f"written to {out} ({', '.join(sorted(p.name for p in files.values()))})")


def _warn_unused_labels(unused: list[str]) -> None:
    if unused:
        typer.echo(
            "warning: label files not used (no recording of the same name): " + ", ".join(unused)
        )


def _say_label_pairing(scores: Path) -> None:
    """Warn of label files no recording used, and of a recording scored against a label file
    of another name (the only one of each)."""
    from castlab.core.artifacts import read_json

    said = read_json(scores)
    _warn_unused_labels(said.get("label_files_unused", []))
    for recording, labels in said.get("label_files", {}).items():
        if Path(recording).stem != Path(labels).stem:
            typer.echo(
                f"note: {recording} scored against {labels} (names differ; the only label file "
                "for the only recording)"
            )


#: Arguments and options that adapt and selftrain share
HeadFolder = Annotated[
    Path, typer.Argument(help="BirdNET-head model folder (castlab birds train --features birdnet).")
]
Objective = Annotated[
    str, typer.Option(help="Thresholds for the micro F1 of all species, or 'species'.")
]
BirdNETThreads = Annotated[int, typer.Option(help="BirdNET's CPU threads.")]


@app.command()
def adapt(
    model: HeadFolder,
    audio: Annotated[
        list[Path], typer.Argument(metavar="AUDIO...", help="Labelled recordings of your site.")
    ],
    labels: Annotated[
        list[Path],
        typer.Option(
            metavar="FILE",
            help="Audacity/Raven labels (same stem as the audio) or BirdCLEF's "
            "train_soundscape_labels.csv; one --labels per file.",
        ),
    ],
    out: Annotated[
        Path, typer.Option(help="Folder for the adapted model, thresholds.json, adaptation.json.")
    ] = Path("runs/birds/adapted"),
    strength: Annotated[
        float,
        typer.Option(help="Pull towards the model as trained (smaller: follow the labels more)."),
    ] = 0.02,
    folds: Annotated[
        int, typer.Option(help="Folds for the out-of-fold thresholds and F1 (by recording).")
    ] = 3,
    objective: Objective = "micro",
    threads: BirdNETThreads = 2,
    new_species: Annotated[
        bool,
        typer.Option(
            "--new-species",
            help="Add labelled species the head lacks and learn them from these labels "
            "(from BirdNET's own weights where it knows them).",
        ),
    ] = False,
) -> None:
    """Adapt a BirdNET head to your site's labelled soundscapes; thresholds tuned out of fold.

    It refits the head on the labelled windows, pulled towards the head as trained.

    It then says whether that helped on windows it did not learn from (the F1 out of fold).

    Example: castlab birds adapt runs/birds/head/model site1.wav site2.wav site3.wav --labels site1.txt --labels site2.txt --labels site3.txt --out runs/birds/site
    """
    from castlab.birds.adapt import adapt_model
    from castlab.core.artifacts import read_json

    set_threads(threads)
    files = adapt_model(
        model,
        audio,
        labels,
        out,
        strength=strength,
        folds=folds,
        objective=objective,
        threads=threads,
        progress=True,
        new_species=new_species,
    )
    said = read_json(files["adaptation"])
    before, after = said["cross_fitted_micro_f1_before"], said["cross_fitted_micro_f1_after"]
    typer.echo(
        f"adapted on {said['learnt_windows']} windows of {len(said['recordings'])} recording(s); "
        f"micro F1 on windows held out ({said['folds']} folds): {before:.3f} as trained, "
        f"{after:.3f} adapted"
    )
    changes = [
        f"{name} {_f1_text(v['f1_before'])} -> {_f1_text(v['f1_after'])} ({v['windows']})"
        for name, v in said["per_species"].items()
        if v["windows"] or v["f1_before"] is not None or v["f1_after"] is not None
    ]
    if changes:
        typer.echo("per species, as trained -> adapted (labelled windows): " + "; ".join(changes))
    everywhere = [n for n, v in said["per_species"].items() if v["windows"] >= said["windows"] > 0]
    if everywhere:  # "always yes" scores F1 1 there: the number says nothing
        typer.echo(
            f"warning: {', '.join(everywhere)} is labelled in every one of the "
            f"{said['windows']} windows, so its F1 cannot tell a model that hears it from one "
            "that always says yes, and the adapted thresholds for it are untested; label "
            "recordings (or stretches) where it is absent"
        )
    if after < before:
        typer.echo(
            "the adapted model scored lower on the held-out windows: an estimate that is noisy "
            "with few labelled windows; label more soundscapes, raise --strength, or keep the "
            "model as trained"
        )
    if said["recordings_without_labels"]:
        typer.echo("left out (no labels match): " + ", ".join(said["recordings_without_labels"]))
    _warn_unused_labels(said.get("label_files_unused", []))
    if said["labels_the_model_lacks"]:
        typer.echo(
            "labels of species the model does not know, not learnt (a window holding only "
            "them counts as background): "
            + ", ".join(said["labels_the_model_lacks"])
            + "; to learn them from these labels, pass --new-species"
        )
    if said["added_species"]:
        typer.echo("added and learnt from these labels alone: " + ", ".join(said["added_species"]))
    typer.echo(
        f"written to {out} (adaptation.png: each species before and after): use it as "
        f"castlab birds soundscape {out} RECORDINGS (its thresholds.json is used)"
    )


@app.command()
def selftrain(
    model: HeadFolder,
    audio: Annotated[
        list[Path],
        typer.Argument(metavar="AUDIO...", help="Recordings of your site, labelled or not."),
    ],
    labels: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Labels of a few of the recordings (Audacity/Raven, same stem as the audio, or "
            "BirdCLEF's CSV): they choose the thresholds; without any, the model's "
            "thresholds.json. One --labels per file.",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Folder for the model, thresholds.json, selftraining.json.")
    ] = Path("runs/birds/selftrained"),
    rounds: Annotated[int, typer.Option(help="Rounds of labelling and refitting.")] = 3,
    strength: Annotated[
        float, typer.Option(help="Pull towards the head of the round before.")
    ] = 0.05,
    objective: Objective = "micro",
    threads: BirdNETThreads = 2,
) -> None:
    """Self-train a BirdNET head on your site's recordings: its confident detections as labels.

    Each round the head labels every window itself, then is refitted on those labels.

    Labels of a few recordings only choose the thresholds (without any: the model's own).

    Example: castlab birds selftrain runs/birds/head/model site/*.wav --labels site/day1.txt --out runs/birds/selftrained
    """
    from castlab.birds.adapt import self_train_model
    from castlab.core.artifacts import read_json

    set_threads(threads)
    files = self_train_model(
        model,
        audio,
        out,
        labels=labels or [],
        strength=strength,
        rounds=rounds,
        objective=objective,
        threads=threads,
        progress=True,
    )
    said = read_json(files["selftraining"])
    for k, done in enumerate(said["rounds"], 1):
        found = ", ".join(f"{n} {c}" for n, c in done["per_species"].items() if c)
        typer.echo(
            f"round {k}: learnt from {done['windows']} windows ({done['background']} as "
            f"background; {found or 'no species'})"
        )
    if not any(any(done["per_species"].values()) for done in said["rounds"]):
        typer.echo(
            "the head found no species in any window, so it learnt only background: label a few "
            "recordings and adapt it instead (castlab birds adapt)"
        )
    if said["labelled_recordings"]:
        before, after = said["labelled_micro_f1_before"], said["labelled_micro_f1_after"]
        typer.echo(
            f"labelled windows ({len(said['labelled_recordings'])} recording(s)), micro F1 "
            f"with thresholds tuned on them: {before:.3f} as trained, {after:.3f} self-trained"
        )
        if after < before:
            typer.echo(
                "the self-trained head scored lower on the labelled windows: keep the model as "
                "trained, or try fewer --rounds or a larger --strength"
            )
    typer.echo(
        f"written to {out}: use it as castlab birds soundscape {out} RECORDINGS "
        "(its thresholds.json is used)"
    )


def _f1_text(f1: float | None) -> str:
    """An F1 for the terminal; '-' where it is undefined (species neither labelled nor flagged)."""
    return "-" if f1 is None else f"{f1:.2f}"


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Folder for species/*.wav and soundscapes.")],
    species: Annotated[int, typer.Option(help="Made-up species.")] = 4,
    per_species: Annotated[int, typer.Option(help="Recordings per species.")] = 3,
    seconds: Annotated[float, typer.Option(help="Length of each recording.")] = 20.0,
    soundscapes: Annotated[int, typer.Option(help="Labelled 60-s soundscapes.")] = 2,
    seed: Seed = 0,
) -> None:
    """Write made-up species (FM chirps, trills, warbles in noise) and labelled soundscapes.

    Example: castlab birds generate runs/birds/synthetic --species 4 --soundscapes 2
    """
    from castlab.birds.synthetic import write_soundscape, write_species_folders

    require_at_least("--species", species, 1)
    require_at_least("--per-species", per_species, 1)
    require_at_least("--soundscapes", soundscapes, 0)
    if not (math.isfinite(seconds) and seconds >= 0.5):
        raise CastlabError(
            f"--seconds {seconds}: too short for a call", fix="use 0.5 or more (the default: 20)"
        )
    kinds = write_species_folders(
        out / "species", n_species=species, per_species=per_species, seconds=seconds, seed=seed
    )
    for k in range(soundscapes):
        write_soundscape(
            out / "soundscapes" / f"soundscape_{k + 1}.wav", kinds, seed=seed + 100 + k
        )
    typer.echo(
        f"wrote {species * per_species} recordings to {out / 'species'} and {soundscapes} "
        f"labelled soundscapes to {out / 'soundscapes'}\n"
        + (
            f"next: castlab birds train {out / 'species'} --out {out / 'cnn'}"
            if species >= 2
            else "training needs two species or more (--species 2)"
        )
    )


@app.command()
def birdnet(
    audio: Annotated[
        list[Path], typer.Argument(metavar="AUDIO...", help="Recordings to analyse with BirdNET.")
    ],
    out: Annotated[Path, typer.Option(help="CSV of detections.")] = Path("birdnet.csv"),
    lat: _LAT = None,
    lon: _LON = None,
    week: _WEEK = -1,
    prior_mode: _PRIOR_MODE = "filter",
    prior_threshold: _PRIOR_THRESHOLD = 0.03,
    min_confidence: Annotated[
        float, typer.Option(help="Keep detections at least this sure.")
    ] = 0.25,
    threads: BirdNETThreads = 2,
) -> None:
    """BirdNET's own detections (3-s chunks), optionally filtered by location and season.

    Example: castlab birds birdnet soundscape.wav --lat 42.4 --lon -76.5 --week 20 --out birdnet.csv
    """
    from castlab.birds.birdnet import detections_table
    from castlab.core.artifacts import output_file

    place = _place(lat, lon, week, prior_mode, prior_threshold)  # checked before BirdNET loads
    if not 0 <= min_confidence <= 1:
        raise CastlabError(
            f"--min-confidence {min_confidence} is not between 0 and 1", fix="e.g. 0.25"
        )
    out = output_file(out, "birdnet.csv")
    path = detections_table(
        audio, out, place=place, min_confidence=min_confidence, progress=True, threads=threads
    )
    typer.echo(f"detections written to {path} (BirdNET model: CC BY-NC-SA 4.0)")


@app.command()
def cluster(
    folder: _FOLDER,
    out: Annotated[Path, typer.Option(help="Folder for clusters.csv and the figures.")] = Path(
        "runs/birds/clusters"
    ),
    clusters: Annotated[
        int, typer.Option(help="Number of clusters (0: one per species folder).")
    ] = 0,
    peaks_per_file: Annotated[int, typer.Option(help="Calls taken per recording.")] = 5,
    features: Annotated[str, typer.Option(help="birdnet (1024-d embeddings) or mel.")] = "birdnet",
    threads: BirdNETThreads = 2,
) -> None:
    """Cluster detected calls by their embeddings; CSV, 2-D map, example spectrograms, ARI.

    Example: castlab birds cluster recordings/ --out runs/birds/clusters --clusters 12
    """
    from castlab.birds.cluster import ClusterConfig, cluster_calls

    result = cluster_calls(
        folder,
        out,
        config=ClusterConfig(clusters=clusters, peaks_per_file=peaks_per_file, features=features),
        threads=threads,
        progress=True,
    )
    ari = "n/a" if result.adjusted_rand is None else f"{result.adjusted_rand:.3f}"
    typer.echo(
        f"{len(result.table)} calls in {result.clusters} clusters (ARI vs species {ari}); written to {out}"
    )
