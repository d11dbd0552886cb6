"""``castlab sentiment ...``: thin commands over :mod:`castlab.sentiment`.

Library imports (torch, transformers, pandas) sit inside the commands so ``castlab --help``
stays fast.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, get_args

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
    Strategy,
    Threads,
    set_threads,
    typed_flags,
)
from castlab.core.options import train_config as train_config_from

__all__ = ["app"]

app = typer.Typer(
    help="Score posts negative / neutral / positive, summarise authors, map capital cities.\n\n"
    "Example: castlab sentiment score tweets.csv --out scored.csv",
    no_args_is_help=True,
)

_POSTS = Annotated[
    Path, typer.Argument(help="Posts: .csv, .tsv, .jsonl, .parquet or .txt (a post per line).")
]
_SCORER = Annotated[
    str,
    typer.Option(
        help="default (fine-tuned MiniLM, shipped) | minilm | vader | finetune | hf:<id or folder>."
    ),
]
_DTYPE = Annotated[
    str | None,
    typer.Option(
        help="default/finetune: run the transformer as float32, bfloat16 or int8 "
        "(default: bfloat16 for default, float32 for finetune)."
    ),
]
_MODEL = Annotated[
    Path | None,
    typer.Option(help="minilm: a head folder; finetune: the run folder of `sentiment train`."),
]
_LABELS = Annotated[
    str | None, typer.Option(help="hf: the model's output labels in order, e.g. neg,neu,pos.")
]
_TEXT = Annotated[str | None, typer.Option(help="Column with the text (default: recognised).")]
_AUTHOR = Annotated[str | None, typer.Option(help="Column with the author.")]
_COUNTRY = Annotated[str | None, typer.Option(help="Column with a country name or ISO code.")]
_LATITUDE = Annotated[str | None, typer.Option(help="Column with the latitude.")]
_LONGITUDE = Annotated[str | None, typer.Option(help="Column with the longitude.")]
_BATCH = Annotated[int, typer.Option(help="Posts per model batch.")]


def _finetune_only(option: Any) -> Any:
    """A shared option (an ``Annotated`` alias of core.options) whose help starts "finetune:"."""
    kind, info = get_args(option)
    marked = copy.copy(info)
    marked.help = f"finetune: {info.help}"
    return Annotated[kind, marked]


_EPOCHS = _finetune_only(Epochs)
_TRAIN_BATCH = _finetune_only(BatchSize)
_LR = _finetune_only(LearningRate)
_MAX_STEPS = _finetune_only(MaxSteps)
_ACCELERATOR = _finetune_only(Accelerator)
_DEVICES = _finetune_only(Devices)
_NUM_NODES = _finetune_only(NumNodes)
_STRATEGY = _finetune_only(Strategy)
_PRECISION = _finetune_only(Precision)
_RESUME = _finetune_only(Resume)
#: the options of ``train`` that only --kind finetune uses (a head is fitted in one go, full batch)
_FINETUNE_ONLY = (
    "epochs",
    "max_steps",
    "batch_size",
    "lr",
    "init_head",
    "head_lr_scale",
    "freeze_embeddings",
    "accelerator",
    "devices",
    "num_nodes",
    "strategy",
    "precision",
    "resume",
)


def _columns(**names: str | None) -> Any:
    from castlab.sentiment.data import ColumnMap

    return ColumnMap(**names)


def _scorer(
    name: str,
    model: Path | None,
    labels: str | None,
    batch_size: int,
    threads: int,
    dtype: str | None = None,
) -> Any:
    from castlab.sentiment.scorers import load_scorer

    set_threads(threads)
    parts = labels.split(",") if labels else None
    return load_scorer(name, model=model, labels=parts, batch_size=batch_size, precision=dtype)


def _scored(path: Path, columns: Any, scorer: str, model: Path | None, threads: int) -> Any:
    """Read ``path``; score it first unless it is a file written by ``sentiment score``."""
    from castlab.sentiment.data import read_posts
    from castlab.sentiment.scorers import is_scored, score_posts

    frame = read_posts(path, columns=columns)
    if is_scored(frame):
        return frame
    return score_posts(frame, _scorer(scorer, model, None, 64, threads))


@app.command()
def score(
    ctx: typer.Context,
    posts: Annotated[
        str,
        typer.Argument(
            help="Posts: a .csv, .tsv, .jsonl, .parquet or .txt (a post per line) file, a folder, "
            "or a quoted glob such as 'posts/*.parquet'."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Output .csv or .parquet; a folder (scored/) for several files or --dask."
        ),
    ] = Path("scored.csv"),
    scorer: _SCORER = "default",
    model: _MODEL = None,
    labels: _LABELS = None,
    dtype: _DTYPE = None,
    text_column: _TEXT = None,
    author_column: _AUTHOR = None,
    country_column: _COUNTRY = None,
    latitude_column: _LATITUDE = None,
    longitude_column: _LONGITUDE = None,
    prefix: Annotated[
        str | None,
        typer.Option(
            help="Prefix for castlab's columns (default: none, or 'sentiment_' when the input "
            "already has a p_negative/p_neutral/p_positive/score/label column)."
        ),
    ] = None,
    dask: Annotated[
        bool,
        typer.Option(help="Score one file per task on Dask (a local cluster of --workers)."),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(help="--dask on a running cluster: its scheduler, e.g. tcp://host:8786."),
    ] = None,
    workers: Annotated[int, typer.Option(help="--dask without an address: processes.")] = 2,
    chunk_size: Annotated[int, typer.Option(help="Posts read and written at a time.")] = 10_000,
    batch_size: _BATCH = 64,
    threads: Threads = 2,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Score every post: p_negative, p_neutral, p_positive and score = p_pos - p_neg.

    Every input column is kept, in order; castlab's columns follow. Streams each file in
    chunks, so millions of posts fit in flat memory; an interrupted run, started again,
    skips the chunks and files already scored. Several files go to a folder, one
    <name>.parquet each, on this machine or on a Dask cluster (--dask).

    Example: castlab sentiment score 'posts/*.parquet' --out scored/ --dask
    """
    from castlab.sentiment.cluster import ScorerSpec, expand_inputs, score_files
    from castlab.sentiment.scorers import check_scorer_options
    from castlab.sentiment.stream import OUTPUT_SUFFIXES, score_file

    require_at_least("--chunk-size", chunk_size, 1)  # 0 was pandas' ValueError
    require_at_least("--batch-size", batch_size, 1)
    require_at_least("--workers", workers, 1)
    check_scorer_options(
        scorer, model=model, labels=labels.split(",") if labels else None, precision=dtype
    )  # before any file is read (a folder's files are scored in workers)
    if not dask and typed_flags(ctx, ("workers",)):
        raise CastlabError(
            "--workers sets the processes of a local Dask cluster; without --dask one process "
            "scores",
            fix="add --dask, or drop --workers",
        )
    columns = _columns(
        text=text_column,
        author=author_column,
        country=country_column,
        latitude=latitude_column,
        longitude=longitude_column,
    )
    inputs = expand_inputs(posts)
    address = scheduler or ("local" if dask else None)
    to_folder = out.suffix.lower() not in OUTPUT_SUFFIXES
    if to_folder and out.suffix and not out.is_dir():  # s8.txt: meant as a file, not a folder
        raise CastlabError(
            f"cannot write {out.suffix} files",
            path=out,
            fix=f"name a .csv or .parquet file (--out {out.name.split('.')[0]}.csv), or a "
            "folder without an extension",
        )
    if not to_folder and (address is not None or len(inputs) > 1 or Path(posts).is_dir()):
        raise CastlabError(
            f"{len(inputs)} input files need an output folder",
            path=out,
            fix=f"pass --out {out.stem}/ (one .parquet per input file)",
        )
    if to_folder:
        spec = ScorerSpec(
            name=scorer,
            model=None if model is None else str(model),
            labels=tuple(labels.split(",")) if labels else None,
            batch_size=batch_size,
            precision=dtype,
            threads=max(1, threads // workers) if address == "local" else threads,
        )
        if address is None:
            set_threads(threads)
        summary = score_files(
            inputs,
            out,
            spec,
            columns=columns,
            prefix=prefix,
            chunk_size=chunk_size,
            dask=address,
            workers=workers,
        )
        skipped = f" ({summary['skipped']} already done)" if summary["skipped"] else ""
        typer.echo(
            f"scored {summary['posts']} posts in {summary['files']} files{skipped} "
            f"with {scorer} into {out}/"
        )
        earlier = summary["earlier"]
        if earlier:  # kept, but a glob over the folder would mix them in
            named = ", ".join(f"{name} ({how})" for name, how in list(earlier.items())[:5])
            typer.echo(
                f"note: {out}/ also holds {len(earlier)} file(s) scored by earlier runs, not "
                f"this one: {named}{', ...' if len(earlier) > 5 else ''}",
                err=True,
            )
        return
    chosen = _scorer(scorer, model, labels, batch_size, threads, dtype)
    total = score_file(
        inputs[0],
        out,
        chosen,
        columns=columns,
        prefix=prefix,
        chunk_size=chunk_size,
        progress=progress,
    )
    typer.echo(f"scored {total} posts with {chosen.name} into {out}")


@app.command()
def authors(
    posts: _POSTS,
    out: Annotated[Path, typer.Option(help="Folder for authors.csv and hexbins.png.")] = Path(
        "sentiment-authors"
    ),
    scorer: _SCORER = "default",
    model: _MODEL = None,
    text_column: _TEXT = None,
    author_column: _AUTHOR = None,
    max_authors: Annotated[int, typer.Option(help="Authors drawn in the hexbin figure.")] = 6,
    min_posts: Annotated[int, typer.Option(help="Leave out authors with fewer posts.")] = 1,
    threads: Threads = 2,
) -> None:
    """Summarise each author (count, mean, median, spread, shares) and draw hexbins.

    POSTS may be a file written by `sentiment score` (used as is) or raw posts (scored first).

    Example: castlab sentiment authors scored.csv --out sentiment-authors
    """
    from castlab.core.artifacts import atomic_write
    from castlab.sentiment.plots import plot_author_hexbins
    from castlab.sentiment.views import author_summary

    frame = _scored(posts, _columns(text=text_column, author=author_column), scorer, model, threads)
    if "author" not in frame.columns:
        raise CastlabError("no author column found", path=posts, fix="pass --author-column")
    summary = author_summary(frame, min_posts=min_posts)
    if summary.empty:  # nothing to write or draw (the figure was a NaN traceback)
        most = int(frame["author"].value_counts().max()) if len(frame) else 0
        raise CastlabError(
            f"no author has {min_posts} posts (the most any has: {most})",
            path=posts,
            fix=f"lower --min-posts to {max(most, 1)} or less",
        )
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / "authors.csv") as handle:
        summary.to_csv(handle, index=False)
    chosen = frame[frame["author"].isin(summary["author"])]
    plot_author_hexbins(chosen, out / "hexbins.png", max_authors=max_authors)
    typer.echo(f"{len(summary)} authors written to {out / 'authors.csv'} and {out / 'hexbins.png'}")


@app.command("map")
def map_(
    posts: _POSTS,
    out: Annotated[Path, typer.Option(help="Folder for capitals.csv, map.png, map.html.")] = Path(
        "sentiment-map"
    ),
    scorer: _SCORER = "default",
    model: _MODEL = None,
    text_column: _TEXT = None,
    country_column: _COUNTRY = None,
    latitude_column: _LATITUDE = None,
    longitude_column: _LONGITUDE = None,
    radius_km: Annotated[float, typer.Option(help="Posts this close to a capital count.")] = 50.0,
    min_posts: Annotated[int, typer.Option(help="Leave out countries with fewer posts.")] = 1,
    threads: Threads = 2,
) -> None:
    """Average score per country of posts from its capital: CSV, PNG map, offline HTML map.

    Example: castlab sentiment map scored.csv --out sentiment-map --radius-km 50
    """
    from castlab.core.artifacts import atomic_write
    from castlab.sentiment.plots import plot_capital_map, write_capital_map_html
    from castlab.sentiment.views import capital_sentiment

    columns = _columns(
        text=text_column,
        country=country_column,
        latitude=latitude_column,
        longitude=longitude_column,
    )
    frame = _scored(posts, columns, scorer, model, threads)
    if "country" not in frame.columns and not {"latitude", "longitude"} <= set(frame.columns):
        raise CastlabError(
            "no country column, nor latitude and longitude"
            f" (columns: {', '.join(map(str, frame.columns[:10]))})",
            path=posts,
            fix="map them with --country-column or --latitude-column/--longitude-column",
        )
    table = capital_sentiment(frame, radius_km=radius_km, min_posts=min_posts, report=typer.echo)
    if table.empty:
        raise CastlabError(
            f"no posts within {radius_km:g} km of a capital or labelled with a country",
            path=posts,
            fix="check the country/latitude/longitude columns or raise --radius-km",
        )
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / "capitals.csv") as handle:
        table.to_csv(handle, index=False)
    plot_capital_map(table, out / "map.png")
    write_capital_map_html(table, out / "map.html")
    typer.echo(f"{len(table)} countries written to {out}/capitals.csv, map.png, map.html")


def _saved_finetune(path: Path) -> tuple[Any, Any]:
    """(FineTuneConfig, TrainConfig) from a fine-tuning run's config.json, for --resume."""
    from castlab.core.artifacts import read_json
    from castlab.core.training import TrainConfig
    from castlab.sentiment.train import FineTuneConfig

    saved = read_json(path)
    try:
        return FineTuneConfig(**saved["finetune"]), TrainConfig(**saved["train"])
    except (KeyError, TypeError):  # no such section (a head's config.json), or other fields
        raise CastlabError(
            "not the config.json of a --kind finetune run (its 'finetune' or 'train' "
            "section is missing or changed)",
            path=path,
            fix="pass the --out of the run to resume, or drop --resume",
        ) from None


@app.command()
def train(
    ctx: typer.Context,
    semeval: Annotated[Path, typer.Option(help="Folder of SemEval twitter-*-A.tsv files.")],
    tweeteval: Annotated[Path, typer.Option(help="TweetEval sentiment folder (val split).")],
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/sentiment/finetune"),
    kind: Annotated[
        str,
        typer.Option(
            help="finetune (whole MiniLM) | head (a linear head on frozen MiniLM vectors, fitted "
            "in one go: the options marked finetune: do not apply)."
        ),
    ] = "finetune",
    epochs: _EPOCHS = 1,
    max_train: Annotated[int, typer.Option(help="Random subset of tweets (0: all).")] = 0,
    batch_size: _TRAIN_BATCH = 32,
    lr: _LR = 5e-5,
    max_steps: _MAX_STEPS = -1,
    init_head: Annotated[
        str,
        typer.Option(help="finetune: start from 'shipped' (castlab's head), a folder, or 'none'."),
    ] = "shipped",
    head_lr_scale: Annotated[
        float,
        typer.Option(help="finetune: the head learns at lr x this (~100 with --init-head none)."),
    ] = 1.0,
    freeze_embeddings: Annotated[
        bool,
        typer.Option(help="finetune: keep MiniLM's embeddings as packaged (a smaller model)."),
    ] = False,
    accelerator: _ACCELERATOR = "cpu",
    devices: _DEVICES = "auto",
    num_nodes: _NUM_NODES = 1,
    strategy: _STRATEGY = "auto",
    precision: _PRECISION = "32-true",
    resume: _RESUME = False,
    threads: Threads = 2,
) -> None:
    """Train on SemEval 2013-2016 minus every TweetEval validation tweet; validate on TweetEval.

    Example: castlab sentiment train --semeval data/semeval --tweeteval data/tweeteval --out runs/sentiment/ft
    """
    from castlab.sentiment.data import read_tweeteval, training_tweets
    from castlab.sentiment.train import (
        FineTuneConfig,
        check_run_kind,
        finetune,
        train_head_from_data,
    )

    if kind not in ("finetune", "head"):
        raise CastlabError(f"unknown --kind {kind!r}", fix="use finetune or head")
    given = typed_flags(ctx, _FINETUNE_ONLY) if kind == "head" else []
    if given:  # they were silently ignored: a head has its own HeadConfig
        raise CastlabError(
            f"--kind head does not use {', '.join(given)} (they set the fine-tuning)",
            fix="drop them, or use --kind finetune",
        )
    check_run_kind(out, kind, resume=resume)  # these checks come before the slow data reading
    if kind == "finetune" and resume and (out / "config.json").exists():
        config, train_config = _saved_finetune(out / "config.json")  # what the run started with
    elif kind == "finetune":
        config = FineTuneConfig(
            max_train=max_train,
            init_head=None if init_head == "none" else init_head,
            head_lr_scale=head_lr_scale,
            freeze_embeddings=freeze_embeddings,
        )
        train_config = train_config_from(
            epochs=epochs,
            max_steps=max_steps,
            batch_size=batch_size,
            lr=lr,
            accelerator=accelerator,
            devices=devices,
            num_nodes=num_nodes,
            strategy=strategy,
            precision=precision,
        )
    set_threads(threads)
    tweets, val = training_tweets(semeval, tweeteval), read_tweeteval(tweeteval, "val")
    if kind == "head":
        folder, result = train_head_from_data(tweets, val, out, max_train=max_train)
        typer.echo(
            f"head written to {folder}; TweetEval val macro recall {result.macro_recall:.3f}"
        )
        return
    folder = finetune(tweets, val, out, config=config, train_config=train_config, resume=resume)
    typer.echo(f"model written to {folder}; score with --scorer finetune --model {out}")


@app.command()
def evaluate(
    tweeteval: Annotated[Path, typer.Option(help="TweetEval sentiment folder.")],
    scorer: _SCORER = "default",
    model: _MODEL = None,
    labels: _LABELS = None,
    dtype: _DTYPE = None,
    split: Annotated[str, typer.Option(help="TweetEval split with text and labels.")] = "val",
    batch_size: _BATCH = 64,
    threads: Threads = 2,
) -> None:
    """Macro recall (TweetEval's metric), accuracy and confusion matrix of a scorer.

    Example: castlab sentiment evaluate --tweeteval data/tweeteval --scorer vader
    """
    from castlab.sentiment.data import LABELS, read_tweeteval
    from castlab.sentiment.train import evaluate_scorer

    frame = read_tweeteval(tweeteval, split)
    result = evaluate_scorer(_scorer(scorer, model, labels, batch_size, threads, dtype), frame)
    typer.echo(f"{scorer} on TweetEval {split} ({len(frame)} tweets)")
    typer.echo(f"macro recall {result.macro_recall:.4f}  accuracy {result.accuracy:.4f}")
    typer.echo("confusion (rows true, columns predicted): " + " ".join(LABELS))
    for name, row in zip(LABELS, result.confusion):
        typer.echo(f"  {name:>8} " + " ".join(f"{v:6d}" for v in row))


@app.command()
def collect(
    source: Annotated[str, typer.Argument(help="x | mastodon.")],
    out: Annotated[
        Path, typer.Option(help="JSONL file for the posts (--resume appends to it).")
    ] = Path("posts.jsonl"),
    query: Annotated[str | None, typer.Option(help="x: search query.")] = None,
    instance: Annotated[
        str, typer.Option(help="mastodon: server URL.")
    ] = "https://mastodon.social",
    hashtag: Annotated[str | None, typer.Option(help="mastodon: hashtag timeline.")] = None,
    account: Annotated[str | None, typer.Option(help="mastodon: an account's posts.")] = None,
    max_posts: Annotated[int, typer.Option(help="Stop after this many posts.")] = 1000,
    base_url: Annotated[
        str, typer.Option(help="x: API root (for proxies and tests).")
    ] = "https://api.x.com",
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run.")] = False,
) -> None:
    """Collect posts from X (recent search; token in X_BEARER_TOKEN) or a Mastodon timeline.

    Example: castlab sentiment collect mastodon --hashtag caturday --max-posts 200 --out cats.jsonl
    """
    from castlab.sentiment.collect import CollectConfig, collect_mastodon, collect_x

    if source == "x":
        if not query:
            raise CastlabError("collect x needs --query", fix='e.g. --query "from:nasa lang:en"')
        config = CollectConfig(max_posts=max_posts, page_size=100)
        result = collect_x(query, out, base_url=base_url, config=config, resume=resume)
    elif source == "mastodon":
        config = CollectConfig(max_posts=max_posts, page_size=40)
        result = collect_mastodon(
            out, instance=instance, hashtag=hashtag, account=account, config=config, resume=resume
        )
    else:
        raise CastlabError(f"unknown source {source!r}", fix="use x or mastodon")
    state = "finished" if result.finished else "stopped at --max-posts (continue with --resume)"
    typer.echo(f"{result.posts} posts in {out} ({result.pages} pages now; {state})")
