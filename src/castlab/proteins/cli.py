"""``castlab proteins ...``: thin commands over :mod:`castlab.proteins`.

torch, pandas and scikit-learn load inside the commands so ``castlab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from castlab.core.errors import CastlabError, require_at_least
from castlab.core.options import (
    Accelerator,
    BatchSize,
    Devices,
    Epochs,
    LstmHidden,
    MaxSteps,
    NumNodes,
    Precision,
    Resume,
    Seed,
    Strategy,
)

__all__ = ["app"]

app = typer.Typer(
    help="Protein family classification: tokenizers x language models x alignment baselines."
    "\n\nExample: castlab proteins train families/ --model lstm --tokenizer bpe --vocab-size 256",
    no_args_is_help=True,
)

_DATA = Annotated[
    list[Path],
    typer.Argument(
        metavar="PATH...",
        help="Family files or folders: Stockholm, aligned FASTA (family = PF id in the file "
        "name), Pfam CSV, or FASTA with --label-field / --labels.",
    ),
]
_LABEL_FIELD = Annotated[
    int | None, typer.Option(help="FASTA header field (0-based, split on '|') holding the family.")
]
_LABELS = Annotated[
    Path | None,
    typer.Option(
        help="A second table holding the labels, joined by id (FASTA: record names; default "
        "columns name,family)."
    ),
]
_SEQUENCE_COLUMN = Annotated[
    str | None,
    typer.Option(help="Tables (CSV/TSV/Parquet): the sequence column (default: found by layout)."),
]
_LABEL_COLUMN = Annotated[
    str | None,
    typer.Option(help="Tables: the label column (of the --labels table when one is given)."),
]
_ID_COLUMN = Annotated[
    str | None, typer.Option(help="Tables: the id column (names records; joins --labels).")
]
_PREDICT_ID_COLUMN = Annotated[
    str | None, typer.Option(help="Tables: the id column (names the records).")
]
_LABELS_ID_COLUMN = Annotated[
    str | None,
    typer.Option(help="The --labels table's id column (default: the same as --id-column)."),
]


def _columns(
    sequence: str | None, label: str | None, id_column: str | None, labels_id: str | None
) -> object:
    from castlab.proteins.tables import TableColumns

    return TableColumns(sequence=sequence, label=label, id=id_column, labels_id=labels_id)


@app.command()
def train(
    data: _DATA,
    out: Annotated[Path, typer.Option(help="Run folder (split/, model/, logs).")] = Path(
        "runs/proteins/model"
    ),
    model: Annotated[
        str, typer.Option(help="lstm | transformer | cnn (with --lm: the LM's kind).")
    ] = "lstm",
    tokenizer: Annotated[str, typer.Option(help="aa | kmer | bpe | unigram.")] = "aa",
    vocab_size: Annotated[int, typer.Option(help="Subword vocabulary size.")] = 256,
    split: Annotated[str, typer.Option(help="random | clustered (by identity).")] = "random",
    identity: Annotated[float, typer.Option(help="Clustered split: identity threshold.")] = 0.5,
    per_family: Annotated[int, typer.Option(help="At most N sequences per family (0: all).")] = 0,
    pretrain: Annotated[
        Path | None, typer.Option(help="Unlabelled FASTA for language-model pretraining.")
    ] = None,
    pretrain_epochs: Annotated[int, typer.Option(help="LM pretraining epochs (0: none).")] = 2,
    lm: Annotated[
        Path | None,
        typer.Option(
            help="Pretrained LM folder (castlab proteins pretrain): its tokenizer, shape and "
            "weights start the classifier; --pretrain-epochs then fine-tune it on the data."
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(help="Classifier epochs.")] = 4,
    dim: Annotated[int, typer.Option(help="Model width.")] = 128,
    max_tokens: Annotated[int, typer.Option(help="Cut inputs to this many tokens.")] = 512,
    seed: Annotated[int, typer.Option(help="Random seed (split and training).")] = 0,
    label_field: _LABEL_FIELD = None,
    labels: _LABELS = None,
    sequence_column: _SEQUENCE_COLUMN = None,
    label_column: _LABEL_COLUMN = None,
    id_column: _ID_COLUMN = None,
    labels_id_column: _LABELS_ID_COLUMN = None,
    confirm: Annotated[
        bool,
        typer.Option(
            help="ProtCNN: keep the training sequences as Smith-Waterman references; predict "
            "then names the best-aligned reference's family, or 'unknown' when its E-value is "
            "weaker than 98% of the validation sequences' (and above 1e-5)."
        ),
    ] = False,
    max_steps: MaxSteps = -1,
    accelerator: Accelerator = "auto",
    devices: Devices = "1",
    num_nodes: NumNodes = 1,
    strategy: Strategy = "auto",
    precision: Precision = "32-true",
) -> None:
    """Split labelled sequences, train a classifier and save it with its test scores.

    Tables (CSV/TSV/Parquet) name their columns with --sequence-column, --label-column and
    --id-column; labels may come from a second table joined by id (--labels), e.g.
    castlab proteins train kinhub_uniprot.csv --labels kinhub.csv --labels-id-column UniprotID
    --label-column Group.

    Example: castlab proteins train PF00041.fasta PF00072.fasta --model cnn --out runs/proteins/cnn
    """
    from castlab.proteins.confirm import ConfirmConfig
    from castlab.proteins.data import load_labelled, read_fasta
    from castlab.proteins.pretrain import ProteinLanguageModel
    from castlab.proteins.splits import SplitConfig
    from castlab.proteins.train import ProteinTrainConfig, train_from_records

    if split not in ("random", "clustered"):
        raise CastlabError(f"unknown split {split!r}", fix="use --split random or clustered")
    if confirm and (model != "cnn" or lm):
        raise CastlabError("--confirm needs a ProtCNN", fix="add --model cnn (without --lm)")
    columns = _columns(sequence_column, label_column, id_column, labels_id_column)
    records = load_labelled(data, label_field=label_field, labels=labels, columns=columns)
    config = ProteinTrainConfig(
        tokenizer=tokenizer,
        vocab_size=vocab_size,
        model=model,
        dim=dim,
        hidden=2 * dim,
        max_tokens=max_tokens,
        pretrain_epochs=pretrain_epochs,
        finetune_epochs=epochs,
        seed=seed,
        max_steps=max_steps,
        accelerator=accelerator,
        devices=devices,
        num_nodes=num_nodes,
        strategy=strategy,
        precision=precision,
    )
    _, scores = train_from_records(
        records,
        SplitConfig(method=split, identity=identity, per_family=per_family, seed=seed),
        config,
        out,
        pretrain_texts=[r.sequence for r in read_fasta(pretrain)] if pretrain else (),
        language_model=ProteinLanguageModel.load(lm) if lm else None,
        confirm=ConfirmConfig() if confirm else None,
    )
    if scores is not None:
        typer.echo(
            f"test: accuracy {scores['accuracy']:.3f}, macro-F1 {scores['macro_f1']:.3f}, "
            f"log loss {scores['log_loss']:.3f} on {scores['sequences']} sequences"
        )
    if scores is not None and "confirmed_accuracy" in scores:
        typer.echo(
            f"confirmed by Smith-Waterman: accuracy {scores['confirmed_accuracy']:.3f}, "
            f"answered unknown {scores['unknown_share']:.1%}"
        )
    typer.echo(f"model written to {out / 'model'}")


@app.command()
def pretrain(
    fasta: Annotated[
        list[Path], typer.Argument(metavar="FASTA...", help="FASTA files of unlabelled proteins.")
    ],
    out: Annotated[Path, typer.Option(help="Run folder (checkpoints, logs, model/).")] = Path(
        "runs/proteins/lm"
    ),
    model: Annotated[str, typer.Option(help="lstm (AWD-LSTM) | transformer.")] = "lstm",
    tokenizer: Annotated[str, typer.Option(help="aa | kmer | bpe | unigram.")] = "aa",
    vocab_size: Annotated[int, typer.Option(help="Subword vocabulary size.")] = 256,
    dim: Annotated[int, typer.Option(help="Embedding width.")] = 128,
    hidden: LstmHidden = 512,
    layers: Annotated[int, typer.Option(help="LM layers.")] = 3,
    seq_len: Annotated[int, typer.Option(help="Tokens per training window.")] = 128,
    epochs: Epochs = 1,
    max_steps: MaxSteps = -1,
    batch_size: BatchSize = 32,
    lr: Annotated[float, typer.Option(help="Peak learning rate (0: per-model default).")] = 0.0,
    max_sequences: Annotated[int, typer.Option(help="Use at most N sequences (0: all).")] = 0,
    accelerator: Accelerator = "auto",
    devices: Devices = "auto",
    num_nodes: NumNodes = 1,
    strategy: Strategy = "auto",
    precision: Precision = "32-true",
    resume: Resume = False,
    seed: Seed = 0,
) -> None:
    """Pretrain a protein language model on unlabelled sequences (ULMFiT stage 1).

    Start classifiers from it with ``castlab proteins train ... --lm OUT/model``.

    Example: castlab proteins pretrain proteome1.fasta proteome2.fasta --out runs/proteins/lm
    """
    from castlab.proteins.data import iter_fasta
    from castlab.proteins.pretrain import PretrainConfig
    from castlab.proteins.pretrain import pretrain as pretrain_lm

    require_at_least("--max-sequences", max_sequences, 0)
    config = PretrainConfig(
        tokenizer=tokenizer,
        vocab_size=vocab_size,
        model=model,
        dim=dim,
        hidden=hidden,
        layers=layers,
        seq_len=seq_len,
        epochs=epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        lr=lr,
        accelerator=accelerator,
        devices=devices,
        num_nodes=num_nodes,
        strategy=strategy,
        precision=precision,
        seed=seed,
    )
    sequences = [r.sequence for path in fasta for r in iter_fasta(path)]
    if max_sequences:
        sequences = sequences[:max_sequences]
    source = ", ".join(p.name for p in fasta)
    lm = pretrain_lm(sequences, config, out, resume=resume, source=source)
    accuracy = lm.info.get("val_accuracy")
    typer.echo(
        f"{len(sequences)} sequences, {lm.info['train_tokens']} training tokens, "
        f"{lm.info['steps']} steps: "
        + (
            f"validation next-token accuracy {accuracy:.3f}"
            if accuracy is not None
            else "no validation yet (it runs at the end of each epoch)"
        )
    )
    typer.echo(f"language model written to {out / 'model'}")


@app.command()
def predict(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="[MODEL] DATA",
            help="[MODEL] DATA: an optional model folder (castlab proteins train), then a FASTA "
            "file or a table (CSV/TSV/Parquet) of sequences. Without a model: castlab's default "
            "Pfam model (see its model card), which answers 'unknown' outside its families.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="CSV: name (a table's own columns instead), family, probability (the model's, "
            "of that family; for 'unknown', of its top family), top_k, and bit_score, evalue "
            "of the confirming alignment (default model). A folder gets predictions.csv."
        ),
    ] = Path("predictions.csv"),
    top_k: Annotated[int, typer.Option(help="How many families to list per sequence.")] = 3,
    batch: Annotated[int, typer.Option(help="Sequences per batch (memory stays flat).")] = 256,
    also: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FOLDER",
            help="Another model folder of the same families (repeat): average them.",
        ),
    ] = None,
    sequence_column: _SEQUENCE_COLUMN = None,
    id_column: _PREDICT_ID_COLUMN = None,
) -> None:
    """Classify every sequence of a FASTA file or table; write family, probability and top k.

    Example: castlab proteins predict runs/proteins/cnn/model proteome.fasta --out predictions.csv
    """
    import csv

    from castlab.core.artifacts import atomic_write, output_file
    from castlab.proteins.default import default_model_dir
    from castlab.proteins.model import load_classifier
    from castlab.proteins.tables import (
        TableColumns,
        answer_columns,
        is_table,
        iter_sequences,
        read_table_with_frame,
    )

    if len(paths) not in (1, 2):
        raise CastlabError(
            f"expected [MODEL] DATA, got {len(paths)} paths",
            fix="castlab proteins predict [MODEL_FOLDER] SEQUENCES.fasta",
        )
    if top_k < 1:
        raise CastlabError(f"--top-k {top_k}", fix="list 1 or more families, e.g. --top-k 3")
    if batch < 1:
        raise CastlabError(f"--batch {batch}: no sequence per batch", fix="use e.g. --batch 256")
    out = output_file(out, "predictions.csv")
    model, data = (paths[0], paths[1]) if len(paths) == 2 else (default_model_dir(), paths[0])
    if len(paths) == 1:
        typer.echo(f"no model given: using the default Pfam model ({model})")
    classifier = load_classifier(model, *(also or []))
    columns = TableColumns(sequence=sequence_column, id=id_column)
    # a table's own columns (all of them, in order) come first, so nothing the user had is lost
    if is_table(data):
        records, frame = read_table_with_frame(data, columns)
    else:
        records, frame = iter_sequences(data, columns), None  # FASTA: streamed
    own = [] if frame is None else [str(c) for c in frame.columns]
    header = (own or ["name"]) + answer_columns(own)
    count = 0
    with atomic_write(out) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        rows = classifier.predict_families(records, top_k=top_k, batch_size=batch)
        kept = iter(frame.itertuples(index=False, name=None)) if frame is not None else None
        for row in rows:
            writer.writerow((list(next(kept)) if kept else [row.name]) + row.answers())
            count += 1
        if not count:  # nothing is written for an input without sequences
            raise CastlabError(
                "no sequences", path=data, fix="pass a FASTA with >name lines, or a table"
            )
    typer.echo(f"{count} predictions written to {out}")


@app.command()
def evaluate(
    model: Annotated[Path, typer.Argument(help="Model folder written by castlab proteins train.")],
    data: _DATA,
    label_field: _LABEL_FIELD = None,
    labels: _LABELS = None,
    sequence_column: _SEQUENCE_COLUMN = None,
    label_column: _LABEL_COLUMN = None,
    id_column: _ID_COLUMN = None,
    labels_id_column: _LABELS_ID_COLUMN = None,
) -> None:
    """Score a saved model on labelled sequences (a split folder means its test part).

    Example: castlab proteins evaluate runs/proteins/cnn/model runs/proteins/cnn/split
    """
    from castlab.proteins.data import load_labelled
    from castlab.proteins.splits import read_split
    from castlab.proteins.train import evaluate as evaluate_model

    records = []
    for path in data:
        if (path / "split.json").exists():
            records += read_split(path)["test"]
        else:
            columns = _columns(sequence_column, label_column, id_column, labels_id_column)
            records += load_labelled(
                [path], label_field=label_field, labels=labels, columns=columns
            )
    if not records:
        shown = ", ".join(str(path) for path in data)
        raise CastlabError(
            f"no sequences in {shown}", fix="pass a FASTA, Stockholm file or table with records"
        )
    scores = evaluate_model(model, records)
    typer.echo(
        f"accuracy {scores['accuracy']:.3f}, macro-F1 {scores['macro_f1']:.3f}, log loss "
        f"{scores['log_loss']:.3f}, {int(scores['n'])} sequences, "
        f"{scores['queries_per_second']:.0f} queries/s (incl. loading)"
    )


@app.command()
def experiment(
    grid: Annotated[Path, typer.Argument(help="Grid TOML file (see castlab.proteins.experiment).")],
    out: Annotated[
        Path, typer.Option(help="Folder for results.csv, table.md and the plot.")
    ] = Path("runs/proteins/experiment"),
) -> None:
    """Run a tokenizer x vocabulary x model x seed grid; write a CSV, a table and a plot.

    Example: castlab proteins experiment grid.toml --out runs/proteins/homework
    """
    from castlab.proteins.experiment import load_grid, markdown_table, run_experiment, summarise

    config = load_grid(grid)
    frame = run_experiment(config, out)
    typer.echo(markdown_table(summarise(frame)))
    typer.echo(f"results in {out}")
