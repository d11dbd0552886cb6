"""``castlab tunes ...``: thin commands over :mod:`castlab.tunes`.

Heavy imports (torch, music21) happen inside the commands so ``castlab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from castlab.core.options import (
    Accelerator,
    BatchSize,
    Devices,
    Epochs,
    LearningRate,
    LstmHidden,
    MaxSteps,
    NumNodes,
    Precision,
    Resume,
    Seed,
    Strategy,
    typed_flags,
)
from castlab.core.options import train_config as train_config_from

__all__ = ["app"]

app = typer.Typer(
    help="ABC tune language model (WhistleGen): train, generate, evaluate.\n\n"
    "Example: castlab tunes generate --type jig --key D --count 3",
    no_args_is_help=True,
)

Corpus = Annotated[
    list[str] | None,
    typer.Option(
        "--corpus",
        metavar="SOURCE",
        help="ABC files/folders, CSV/JSON tune tables, or music21 "
        "collections (oneills, ryans, airds). Repeatable. Default: all three.",
    ),
]
EvaluateCorpus = Annotated[
    list[str] | None,
    typer.Option(
        "--corpus",
        metavar="SOURCE",
        help="ABC files/folders, CSV/JSON tune tables, or music21 collections (oneills, ryans, "
        "airds). Repeatable. Default: the corpus the model was trained on.",
    ),
]
ModelDir = Annotated[
    Path | None,
    typer.Option(
        "--model",
        help="Model folder from `castlab tunes train` (default: the model shipped with castlab).",
    ),
]


def _load_model(model: Path | None):  # type: ignore[no-untyped-def]
    from castlab.tunes.model import TuneModel

    return TuneModel.pretrained() if model is None else TuneModel.load(model)


@app.command()
def train(
    ctx: typer.Context,
    corpus: Corpus = None,
    out: Annotated[Path, typer.Option(help="Run folder (checkpoints, metrics, model/).")] = Path(
        "runs/tunes/default"
    ),
    tokenizer: Annotated[str, typer.Option(help="abc, char or bpe.")] = "abc",
    model: Annotated[str, typer.Option(help="lstm or transformer.")] = "lstm",
    dim: Annotated[int, typer.Option(help="Embedding / model width.")] = 256,
    hidden: LstmHidden = 512,
    layers: Annotated[int, typer.Option(help="Number of layers.")] = 2,
    seq_len: Annotated[int, typer.Option(help="Training window in tokens.")] = 128,
    windows: Annotated[
        str, typer.Option(help="tune: windows start at each tune's header; stream: back to back.")
    ] = "tune",
    infer_types: Annotated[
        bool, typer.Option(help="Give untyped tunes the type a rhythm classifier is sure of.")
    ] = True,
    notation: Annotated[
        str, typer.Option(help="decoder: bodies in the decoder's notation; written: as printed.")
    ] = "decoder",
    dotting: Annotated[
        bool, typer.Option(help="Write N:dotted / N:plain in each header (a control code).")
    ] = True,
    init_model: Annotated[
        str,
        typer.Option(
            help="Start from this model folder's weights ('pretrained': the shipped one)."
        ),
    ] = "",
    epochs: Epochs = 5,
    max_steps: MaxSteps = -1,
    batch_size: BatchSize = 32,
    lr: LearningRate = 3e-3,
    seed: Seed = 0,
    accelerator: Accelerator = "auto",
    devices: Devices = "auto",
    num_nodes: NumNodes = 1,
    strategy: Strategy = "auto",
    precision: Precision = "32-true",
    resume: Resume = False,
) -> None:
    """Train a tune language model; the model lands in OUT/model.

    With --resume the run continues where it stopped (a crash or Ctrl-C keeps a checkpoint);
    the saved OUT/config.json is used, so the other options are ignored.

    Example: castlab tunes train --corpus oneills --epochs 5 --out runs/tunes/lstm
    """
    from castlab.core.artifacts import read_json
    from castlab.core.training import TrainConfig
    from castlab.tunes.train import TunesTrainConfig, train_tunes

    given = typed_flags(ctx, ("tokenizer", "model", "dim", "hidden", "layers"))
    if init_model and given and not resume:
        typer.echo(
            f"note: {', '.join(given)} {'is' if len(given) == 1 else 'are'} not used: the "
            f"model starts from --init-model "
            f"{init_model} and keeps its tokenizer and shape (config.json records them)"
        )
    if resume and (out / "config.json").exists():
        saved = read_json(out / "config.json")
        tunes_config = TunesTrainConfig(
            **{**saved["tunes"], "corpus": tuple(saved["tunes"]["corpus"])}
        )
        train_config = TrainConfig(**saved["train"])
    else:
        tunes_config = TunesTrainConfig(
            corpus=_corpus_sources(corpus),
            tokenizer=tokenizer,
            model=model,
            dim=dim,
            hidden=hidden,
            layers=layers,
            seq_len=seq_len,
            windows=windows,
            infer_types=infer_types,
            init_model=init_model,
            notation=notation,
            dotting=dotting,
        )
        train_config = train_config_from(
            epochs=epochs,
            max_steps=max_steps,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            accelerator=accelerator,
            devices=devices,
            num_nodes=num_nodes,
            strategy=strategy,
            precision=precision,
        )
    trained = train_tunes(tunes_config, train_config, out, resume=resume)
    if trained.info.get("skipped"):
        typer.echo(
            f"skipped {trained.info['skipped']} malformed tune(s); first: "
            + "; ".join(trained.info.get("skipped_first", []))
        )
    typer.echo(
        f"model saved to {out / 'model'} ({trained.info['steps']} steps, "
        f"{trained.info['tokens_per_second']} tokens/s); loss plot: {out / 'loss.png'}"
    )


@app.command("lr-find")
def lr_find(
    corpus: Corpus = None,
    out: Annotated[Path, typer.Option(help="Folder for lr_find.png.")] = Path("runs/tunes/lr-find"),
    tokenizer: Annotated[str, typer.Option(help="abc, char or bpe.")] = "abc",
    model: Annotated[str, typer.Option(help="lstm or transformer.")] = "lstm",
    steps: Annotated[int, typer.Option(help="Steps of the range test.")] = 100,
    batch_size: Annotated[int, typer.Option(help="Batch size.")] = 32,
) -> None:
    """Run the learning-rate range test and suggest a peak learning rate.

    Example: castlab tunes lr-find --corpus oneills --steps 100
    """
    from castlab.tunes.train import TunesTrainConfig, find_tunes_learning_rate

    config = TunesTrainConfig(
        corpus=tuple(corpus or ("oneills", "ryans", "airds")), tokenizer=tokenizer, model=model
    )
    suggestion, plot = find_tunes_learning_rate(config, out, steps=steps, batch_size=batch_size)
    typer.echo(f"suggested learning rate: {suggestion:.2e} (plot: {plot})")


@app.command()
def generate(
    prompt: Annotated[str, typer.Option(help="Start of the tune body in ABC.")] = "|:",
    length: Annotated[int, typer.Option(help="New tokens (unconstrained sampling only).")] = 100,
    temperature: Annotated[
        float | None,
        typer.Option(help="Sampling temperature (0: greedy). Default: the model's for the type."),
    ] = None,
    triplet_temperature: Annotated[
        float | None,
        typer.Option(
            help="Temperature of triplets (1: the model's own rate). Default: the model's for the "
            "type, else --temperature."
        ),
    ] = None,
    dotted_temperature: Annotated[
        float | None,
        typer.Option(
            help="Temperature of dotted pairs (> and <; 1: the model's own rate) in tunes whose "
            "N: code says dotted. Default: the model's for the type, else --temperature."
        ),
    ] = None,
    plain_dotted_temperature: Annotated[
        float | None,
        typer.Option(
            help="Temperature of dotted pairs in tunes whose N: code says plain. Default: the "
            "model's for the type, else --temperature."
        ),
    ] = None,
    top_k: Annotated[int, typer.Option(help="Keep the k likeliest tokens (0: off).")] = 0,
    top_p: Annotated[float, typer.Option(help="Nucleus sampling mass (1: off).")] = 1.0,
    rhythm: Annotated[str | None, typer.Option("--type", help="Tune type: jig, reel, ...")] = None,
    meter: Annotated[str | None, typer.Option(help="Meter, e.g. 6/8.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit length L:, e.g. 1/8.")] = None,
    key: Annotated[str | None, typer.Option(help="Key, e.g. D, Ador, Gmix.")] = None,
    dotting: Annotated[
        str | None,
        typer.Option(help="dotted (dotting written out, > and <) or plain. Default: the model's."),
    ] = None,
    guidance: Annotated[
        float | None,
        typer.Option(
            help="Type guidance: push the body towards the --type (0: off, e.g. 2). "
            "Default: the model's for the type."
        ),
    ] = None,
    guidance_against: Annotated[
        str | None,
        typer.Option(help="Guide away from this type (e.g. reel for a hornpipe), not from none."),
    ] = None,
    count: Annotated[int, typer.Option(help="How many tunes.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the first tune (then seed+1, ...).")] = 0,
    unconstrained: Annotated[bool, typer.Option(help="Plain sampling, as in the blog.")] = False,
    model: ModelDir = None,
    out: Annotated[Path | None, typer.Option(help="Write ABC, MIDI, WAV and SVG here.")] = None,
    instrument: Annotated[str, typer.Option(help="whistle, flute, fiddle or piano.")] = "whistle",
) -> None:
    """Write new tunes; by default complete AABB tunes with every bar the right length.

    Example: castlab tunes generate --prompt '|:G' --type jig --meter 6/8 --key D --count 2 --out tunes/
    """
    from castlab.core.artifacts import file_in_the_way
    from castlab.core.errors import CastlabError
    from castlab.tunes.generate import (
        GenerateConfig,
        generate_tunes,
        prompt_notation,
        unusual_meter,
    )
    from castlab.tunes.render import INSTRUMENTS, write_outputs

    if instrument not in INSTRUMENTS:
        raise CastlabError(
            f"unknown instrument {instrument!r}", fix=f"use {', '.join(INSTRUMENTS)}"
        )
    if out is not None and out.exists() and not out.is_dir():  # before any tune is sampled
        raise file_in_the_way(out)
    written = prompt_notation(prompt)
    if written != prompt:
        typer.echo(f"note: the prompt is written {written!r} (castlab's notation)", err=True)
    config = GenerateConfig(
        prompt=written,
        rhythm=rhythm,
        meter=meter,
        unit=unit,
        key=key,
        dotting=dotting,
        guidance=guidance,
        guidance_against=guidance_against,
        count=count,
        seed=seed,
        temperature=temperature,
        triplet_temperature=triplet_temperature,
        dotted_temperature=dotted_temperature,
        plain_dotted_temperature=plain_dotted_temperature,
        top_k=top_k,
        top_p=top_p,
        length=length,
        constrained=not unconstrained,
    )
    note = unusual_meter(rhythm, meter)
    if note:
        typer.echo(f"note: {note}", err=True)
    earlier = set(out.glob("tune-*.abc")) if out is not None else set()
    for generated in generate_tunes(_load_model(model), config):
        typer.echo(generated.tune.to_abc())
        if out is not None:
            files = write_outputs(
                generated.tune, out, f"tune-{generated.seed}", instrument=instrument
            )
            earlier.discard(files.abc)
            written = [str(p) for p in (files.abc, files.midi, files.wav, files.svg) if p]
            typer.echo(f"% wrote {', '.join(written)} ({'; '.join(files.notes)})")
    if earlier:  # kept: a tune one liked is not deleted by the next run; but said
        names = ", ".join(p.name for p in sorted(earlier)[:5]) + (
            ", ..." if len(earlier) > 5 else ""
        )
        typer.echo(
            f"note: {out} also holds {len(earlier)} tune(s) of earlier runs ({names}), kept "
            "as they are",
            err=True,
        )


@app.command()
def evaluate(
    corpus: EvaluateCorpus = None,
    model: ModelDir = None,
    count: Annotated[int, typer.Option(help="Tunes to generate and check.")] = 20,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.7,
    unconstrained: Annotated[bool, typer.Option(help="Check plain sampling instead.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the numbers as JSON here.")] = None,
) -> None:
    """Held-out next-token accuracy and bits per character, and checks on generated tunes.

    Example: castlab tunes evaluate --corpus oneills --count 20
    """
    from castlab.core.artifacts import check_output_file, write_json
    from castlab.tunes.evaluate import BarIndex, score_tune, summarise_scores
    from castlab.tunes.generate import GenerateConfig, generate_tunes
    from castlab.tunes.train import TunesTrainConfig, next_token_metrics, prepare

    if out is not None:  # before the work, not after it
        check_output_file(out)
    sampling = GenerateConfig(  # its checks (--count, --temperature) before the work too
        count=count, temperature=temperature, constrained=not unconstrained
    )
    trained = _load_model(model)
    config = TunesTrainConfig.of_model(trained.info, corpus)  # the text it was trained on
    splits, _, _ = prepare(config)
    if not splits["test"]:
        from castlab.core.errors import CastlabError

        raise CastlabError(
            f"{sum(map(len, splits.values()))} tunes are too few for a held-out test split",
            path=", ".join(config.corpus),
            fix="give a corpus of a few dozen tunes or more",
        )
    results = {"held_out": next_token_metrics(trained, splits["test"])}
    generated = generate_tunes(trained, sampling)
    index = BarIndex(splits["train"])
    scores = [score_tune(g.tune, trained.tokenizer, index) for g in generated]
    results["generated"] = summarise_scores(scores)
    for section, numbers in results.items():
        typer.echo(f"{section}: " + ", ".join(f"{k}={v:.4g}" for k, v in numbers.items()))
    if out is not None:
        write_json(out, results)


def _corpus_sources(corpus: list[str] | None) -> tuple[str, ...]:
    """The corpus as the model records it: collection names as they are, files and folders
    as absolute paths, so ``evaluate`` finds them again from any folder."""
    from castlab.tunes.data import COLLECTIONS

    return tuple(
        c if c in COLLECTIONS or not Path(c).exists() else str(Path(c).resolve())
        for c in corpus or ("oneills", "ryans", "airds")
    )
