"""``castlab imbalance ...``: thin commands over :mod:`castlab.imbalance`.

Heavy libraries (scikit-learn, CatBoost, LightGBM, matplotlib) load inside the commands so
``castlab --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from castlab.core.errors import CastlabError

__all__ = ["app", "parse_test_prior"]

app = typer.Typer(
    help="Imbalanced training data, re-balanced test data: compare strategies and "
    "correct for prior shift.\n\nExample: castlab imbalance compare Train.csv --target "
    "bank_account --positive Yes --drop uniqueid",
    no_args_is_help=True,
)

_DATA = Annotated[Path, typer.Argument(help="CSV file with a header row and a label column.")]
_TARGET = Annotated[str, typer.Option(help="Label column.")]
_POSITIVE = Annotated[
    str | None, typer.Option(help="Positive label of a binary target (default: the rarer one).")
]
_DROP = Annotated[
    list[str] | None,
    typer.Option(metavar="COLUMN", help="Column to ignore, e.g. an identifier (repeatable)."),
]
_FILL = Annotated[bool, typer.Option(help="Fill missing numbers with the column median.")]
_MODEL = Annotated[str, typer.Option(help="catboost | lightgbm | logistic.")]
_ITERATIONS = Annotated[int, typer.Option(help="Boosting rounds (CatBoost / LightGBM).")]
_THREADS = Annotated[int, typer.Option(help="CPU threads for the model.")]


def parse_test_prior(
    text: str, *, n_classes: int, classes: tuple[str, ...] | None = None
) -> float | tuple[float, ...] | None:
    """Parse ``--test-prior``: ``none``, one share (binary: the last class's), shares in the
    class order, or ``class=share`` pairs naming every class of ``classes``.

    Examples
    --------
    >>> parse_test_prior("0.5", n_classes=2), parse_test_prior("0.2,0.3,0.5", n_classes=3)
    (0.5, (0.2, 0.3, 0.5))
    >>> parse_test_prior("yes=0.2, no=0.8", n_classes=2, classes=("no", "yes"))
    (0.8, 0.2)
    """
    if text.strip().lower() == "none":
        return None
    if "=" in text and classes is not None:
        return _named_shares(text, classes)
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise CastlabError(
            f"--test-prior {text!r} is not a number",
            fix="use e.g. 0.5, 0.2,0.3,0.5, 'estimate' (with --unlabelled) or 'none'",
        ) from None
    if len(values) == 1:
        if n_classes != 2:
            raise CastlabError(
                f"one --test-prior value for {n_classes} classes",
                fix="give one share per class, comma-separated",
            )
        value = values[0]
        if not 0 < value < 1:
            raise CastlabError(
                f"--test-prior {value} must lie strictly between 0 and 1", fix="use e.g. 0.5"
            )
        return value
    return values


def _named_shares(text: str, classes: tuple[str, ...]) -> tuple[float, ...]:
    """``class=share`` pairs in the order of ``classes``; every class named once."""
    shares: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in classes:
            raise CastlabError(
                f"--test-prior names {name!r}, not a class here",
                fix=f"name the classes {', '.join(classes)}",
            )
        try:
            shares[name] = float(value)
        except ValueError:
            raise CastlabError(
                f"--test-prior {name}={value.strip()!r}: the share is not a number",
                fix="use e.g. yes=0.2,no=0.8",
            ) from None
    missing = [c for c in classes if c not in shares]
    if missing:
        raise CastlabError(
            f"--test-prior gives no share for {', '.join(missing)}",
            fix="give a share for every class",
        )
    return tuple(shares[c] for c in classes)


def _balance(classes: tuple[str, ...], prior: float | tuple[float, ...]) -> str:
    """``"no=0.800, yes=0.200"``: the shares by class name."""
    from castlab.imbalance.data import as_prior

    return ", ".join(f"{name}={share:.3f}" for name, share in zip(classes, as_prior(prior)))


@app.command()
def compare(
    data: _DATA,
    target: _TARGET,
    positive: _POSITIVE = None,
    test_prior: Annotated[
        str,
        typer.Option(
            help="Validation class balance: the positive share (binary), class=share pairs "
            "(e.g. yes=0.2,no=0.8), shares in the class order the command prints, "
            "'estimate' (EM on --unlabelled) or 'none' (as the data are; no 'prior' strategy)."
        ),
    ] = "0.5",
    unlabelled: Annotated[
        Path | None, typer.Option(help="Unlabelled test CSV for --test-prior estimate.")
    ] = None,
    model: _MODEL = "catboost",
    strategies: Annotated[
        str,
        typer.Option(
            help="Comma-separated: none,under,over,smote,smote_under,weights,prior,prior_em."
        ),
    ] = "none,under,over,smote,smote_under,weights,prior,prior_em",
    folds: Annotated[int, typer.Option(help="K of the stratified K-fold.")] = 5,
    repeats: Annotated[int, typer.Option(help="Repeats of the K-fold.")] = 2,
    ratio: Annotated[float, typer.Option(help="Re-sampled minority/majority size ratio.")] = 1.0,
    smote_ratio: Annotated[
        float, typer.Option(help="smote_under: minority/majority ratio after SMOTE.")
    ] = 0.5,
    iterations: _ITERATIONS = 300,
    threads: _THREADS = 2,
    drop: _DROP = None,
    fill_missing: _FILL = False,
    seed: Annotated[int, typer.Option(help="Seed of folds, re-sampling and models.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for tables, plots and config.")] = Path(
        "runs/imbalance/compare"
    ),
) -> None:
    """Score each strategy on folds re-sampled to the test balance; write table and plots.

    Example: castlab imbalance compare Train.csv --target bank_account --positive Yes --drop uniqueid --model lightgbm
    """
    from castlab.core.artifacts import file_in_the_way
    from castlab.imbalance.compare import (
        CompareConfig,
        check_compare_config,
        compare_strategies,
        estimate_unlabelled_prior,
        save_comparison,
        small_folds_warning,
    )
    from castlab.imbalance.data import load_table, load_unlabelled
    from castlab.imbalance.model import MODELS, ModelConfig

    if model not in MODELS:
        raise CastlabError(f"unknown model {model!r}", fix=f"choose from {', '.join(MODELS)}")
    if folds < 2:
        raise CastlabError(
            f"--folds {folds}: K-fold needs 2 folds or more", fix="use e.g. --folds 5"
        )
    if repeats < 1:
        raise CastlabError(f"--repeats {repeats}: nothing would be scored", fix="use 1 or more")
    if out.exists() and not out.is_dir():  # said before the folds, not after them
        raise file_in_the_way(out)
    names = tuple(s.strip() for s in strategies.split(",") if s.strip())
    check_compare_config(  # before the data are read and any model is fitted
        CompareConfig(
            strategies=names,
            test_prior=None if test_prior.strip().lower() == "none" else 0.5,
            ratio=ratio,
            smote_ratio=smote_ratio,
        )
    )
    model_config = ModelConfig(model, iterations=iterations, threads=threads, seed=seed)
    table = load_table(
        data, target=target, positive=positive, drop=drop or (), fill_missing=fill_missing
    )
    if test_prior.strip().lower() == "estimate":
        if unlabelled is None:
            raise CastlabError(
                "--test-prior estimate needs --unlabelled TEST.csv",
                fix="pass the unlabelled test features with --unlabelled",
            )
        features = load_unlabelled(unlabelled, like=table, fill_missing=fill_missing)
        estimate = estimate_unlabelled_prior(table, features, model=model_config, report=typer.echo)
        typer.echo(
            "EM-estimated test balance: "
            + ", ".join(f"{name}={share:.3f}" for name, share in zip(table.classes, estimate))
        )
        prior: float | tuple[float, ...] | None = tuple(float(v) for v in estimate)
    else:
        if unlabelled is not None:
            raise CastlabError("--unlabelled is only used with --test-prior estimate")
        prior = parse_test_prior(test_prior, n_classes=len(table.classes), classes=table.classes)
    if prior is not None:
        typer.echo(f"validation folds re-sampled to {_balance(table.classes, prior)}")
    config = CompareConfig(
        strategies=names,
        model=model_config,
        n_splits=folds,
        n_repeats=repeats,
        test_prior=prior,
        ratio=ratio,
        smote_ratio=smote_ratio,
        seed=seed,
    )
    result = compare_strategies(table, config, progress=typer.echo)
    paths = save_comparison(result, out, config=config, title=f"{data.name} · {model}")
    typer.echo(result.summary.to_string(index=False, float_format="{:.4f}".format))
    for warning in (result.em_warning(), small_folds_warning(result.folds)):
        if warning:
            typer.echo(warning)
    typer.echo(f"written to {paths['summary'].parent}")


@app.command("estimate-prior")
def estimate_prior(
    data: _DATA,
    target: _TARGET,
    unlabelled: Annotated[Path, typer.Option(help="Unlabelled CSV with the same features.")],
    positive: _POSITIVE = None,
    model: _MODEL = "catboost",
    iterations: _ITERATIONS = 300,
    threads: _THREADS = 2,
    drop: _DROP = None,
    fill_missing: _FILL = False,
) -> None:
    """Estimate the class balance of unlabelled rows by EM (Saerens et al. 2002).

    Example: castlab imbalance estimate-prior Train.csv --target bank_account --positive Yes --drop uniqueid --unlabelled Test.csv
    """
    from castlab.imbalance.compare import estimate_unlabelled_prior
    from castlab.imbalance.data import load_table, load_unlabelled
    from castlab.imbalance.model import MODELS, ModelConfig

    if model not in MODELS:
        raise CastlabError(f"unknown model {model!r}", fix=f"choose from {', '.join(MODELS)}")
    table = load_table(
        data, target=target, positive=positive, drop=drop or (), fill_missing=fill_missing
    )
    features = load_unlabelled(unlabelled, like=table, fill_missing=fill_missing)
    estimate = estimate_unlabelled_prior(
        table,
        features,
        model=ModelConfig(model, iterations=iterations, threads=threads),
        report=typer.echo,
    )
    for name, train_share, share in zip(table.classes, table.prior, estimate):
        typer.echo(f"{name}: training {train_share:.3f} -> unlabelled {share:.3f}")


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Folder for train.csv and test.csv.")],
    train_prior: Annotated[float, typer.Option(help="Positive share of train.csv.")] = 0.15,
    test_prior: Annotated[float, typer.Option(help="Positive share of test.csv.")] = 0.5,
    rows: Annotated[int, typer.Option(help="Rows of train.csv (test.csv gets half).")] = 4000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a generated train/test pair that differ only in class balance (known shift).

    Example: castlab imbalance generate runs/imbalance/data --train-prior 0.15 --test-prior 0.5
    """
    from castlab.core.artifacts import write_text
    from castlab.imbalance.synthetic import generate_shifted_data

    train, test = generate_shifted_data(
        n_train=rows, n_test=rows // 2, train_prior=train_prior, test_prior=test_prior, seed=seed
    )
    for name, part in (("train.csv", train), ("test.csv", test)):
        frame = part.features.copy()
        frame[part.target_name] = [part.classes[k] for k in part.target]
        write_text(out / name, frame.to_csv(index=False))
    typer.echo(f"wrote {out / 'train.csv'} and {out / 'test.csv'} (label column: label)")
