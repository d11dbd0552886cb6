"""The blog's homework as a tool: a grid of tokenizer x vocabulary x model x seed.

A grid file (TOML) names the data, the grid and the training settings::

    name = "homework"
    [data]
    source = "synthetic"          # or a file / folder of family files (see data.load_records)
    families = 8                  # keep the N largest families (0: all)
    per_family = 60               # at most this many sequences per family
    split = "random"              # or "clustered"
    identity = 0.5                # clustered split: link sequences at >= this identity
    pretrain = ""                 # optional FASTA of unlabelled sequences for LM pretraining
    label_field = 1               # plain FASTA: header field (split on '|') with the family
    pretrain_max = 2000           # use at most this many of them
    [grid]
    tokenizer = ["aa", "bpe"]
    vocab_size = [64, 256, 1024]  # for subword tokenizers; aa / kmer run once
    model = ["lstm", "transformer"]
    seeds = [0, 1, 2]
    [train]                       # any ProteinTrainConfig field
    dim = 64
    finetune_epochs = 4

Outputs in the chosen folder: ``results.csv`` (one row per run), ``table.md`` (mean +- std
per setting), ``accuracy_vs_vocab.png`` and the split it used (``split/``).

Examples
--------
>>> config = ExperimentConfig.from_dict({"grid": {"tokenizer": ["aa"], "model": ["cnn"]}})
>>> [run["tokenizer"] for run in config.runs()]
['aa', 'aa', 'aa']
"""

from __future__ import annotations

import time
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from castlab.core.artifacts import write_json, write_text
from castlab.core.errors import CastlabError
from castlab.core.report import markdown_table  # re-exported: the CLI prints it
from castlab.proteins.data import ProteinRecord, load_records, read_fasta, require_families
from castlab.proteins.splits import SplitConfig, prepare_split, write_split
from castlab.proteins.synthetic import synthetic_families
from castlab.proteins.train import ProteinTrainConfig, score_probabilities, train_classifier

__all__ = [
    "ExperimentConfig",
    "load_grid",
    "markdown_table",
    "prepare_data",
    "run_experiment",
    "summarise",
]

_SUBWORD = ("bpe", "unigram")


@dataclass(frozen=True)
class ExperimentConfig:
    """One grid: data, axes and shared training settings."""

    name: str = "experiment"
    source: str = "synthetic"
    families: int = 8
    per_family: int = 60
    split: str = "random"
    identity: float = 0.5
    pretrain: str = ""
    pretrain_max: int = 2000
    label_field: int | None = None  # FASTA header field holding the family (as --label-field)
    tokenizers: tuple[str, ...] = ("aa", "bpe")
    vocab_sizes: tuple[int, ...] = (64, 256, 1024)
    models: tuple[str, ...] = ("lstm", "transformer")
    seeds: tuple[int, ...] = (0, 1, 2)
    train: ProteinTrainConfig = field(default_factory=ProteinTrainConfig)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, path: str | Path | None = None) -> ExperimentConfig:
        """Build from the parsed TOML; unknown keys are errors."""
        data_part, grid, train = data.get("data", {}), data.get("grid", {}), data.get("train", {})
        known_train = {f.name for f in fields(ProteinTrainConfig)}
        unknown = [k for k in train if k not in known_train]
        unknown += [k for k in data_part if k not in {f.name for f in fields(cls)}]
        unknown += [k for k in grid if k not in ("tokenizer", "vocab_size", "model", "seeds")]
        unknown += [k for k in data if k not in ("name", "data", "grid", "train")]
        if unknown:
            raise CastlabError(
                f"unknown setting(s) {', '.join(unknown)}",
                path=path,
                fix="see castlab proteins experiment --help",
            )
        defaults = asdict(ProteinTrainConfig())
        for key, value in train.items():  # TOML has types: "x" for a number is a slip
            wanted = type(defaults[key])
            fits = isinstance(value, wanted) or (wanted is float and isinstance(value, int))
            if not fits or isinstance(value, bool) is not (wanted is bool):
                raise CastlabError(
                    f"[train] {key} = {value!r}: expected {wanted.__name__}",
                    path=path,
                    fix=f"write it like the default, {key} = {defaults[key]!r}",
                )
        return cls(
            name=str(data.get("name", "experiment")),
            **data_part,
            tokenizers=tuple(grid.get("tokenizer", cls.tokenizers)),
            vocab_sizes=tuple(int(v) for v in grid.get("vocab_size", cls.vocab_sizes)),
            models=tuple(grid.get("model", cls.models)),
            seeds=tuple(int(s) for s in grid.get("seeds", cls.seeds)),
            train=ProteinTrainConfig(**train),
        )

    def runs(self) -> list[dict[str, Any]]:
        """Every (tokenizer, vocab_size, model, seed) to train, in order."""
        runs = []
        for tokenizer in self.tokenizers:
            sizes = self.vocab_sizes if tokenizer in _SUBWORD else (0,)
            for vocab_size in sizes:
                for model in self.models:
                    for seed in self.seeds:
                        runs.append(
                            {
                                "tokenizer": tokenizer,
                                "vocab_size": vocab_size,
                                "model": model,
                                "seed": seed,
                            }
                        )
        return runs


def load_grid(path: str | Path) -> ExperimentConfig:
    """Read a grid TOML file."""
    path = Path(path)
    if not path.exists():
        raise CastlabError("grid file not found", path=path, fix="check the path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CastlabError(
            f"not valid TOML: {error}", path=path, fix="write the grid as UTF-8 TOML"
        ) from None
    if not data:
        raise CastlabError(
            "the grid file is empty", path=path, fix="set at least tokenizers and models"
        )
    try:
        return ExperimentConfig.from_dict(data, path=path)
    except TypeError as error:
        raise CastlabError(f"bad setting: {error}", path=path) from None


def prepare_data(config: ExperimentConfig) -> tuple[dict[str, list[ProteinRecord]], dict[str, Any]]:
    """Load (or generate), de-duplicate, subsample and split the records."""
    if config.source == "synthetic":
        records = synthetic_families(
            n_families=config.families or 8, per_family=config.per_family, mutation=0.45, seed=0
        )
    else:
        records = load_records(config.source, label_field=config.label_field)
        require_families(  # else one family "None", and every run scores 1.000
            records,
            config.source,
            fix="set label_field in the grid's [data] (the FASTA header field, split on "
            "'|', that holds the family), or use family files",
        )
    parts, split_info = prepare_split(
        records,
        SplitConfig(
            method=config.split,
            identity=config.identity,
            per_family=config.per_family,
            families=config.families,
            min_per_family=10,
        ),
    )
    info = {"source": config.source, "dropped": split_info["dropped"]}
    info["synthetic"] = config.source == "synthetic"
    return parts, info


def run_experiment(config: ExperimentConfig, out_dir: str | Path) -> Any:
    """Train every run of the grid on one split; write results and return the results frame."""
    import pandas as pd

    from castlab.proteins.plots import plot_accuracy_vs_vocab

    out_dir = Path(out_dir)
    parts, info = prepare_data(config)
    write_split(parts, out_dir / "split", info={**info, "split": config.split})
    write_json(out_dir / "experiment.json", asdict(config))
    pretrain_texts = None
    if config.pretrain:
        unlabelled = read_fasta(config.pretrain)[: config.pretrain_max]
        pretrain_texts = [r.sequence for r in parts["train"]] + [r.sequence for r in unlabelled]
    rows = []
    test = parts["test"]
    for run in config.runs():
        train_config = replace(
            config.train,
            tokenizer=run["tokenizer"],
            vocab_size=run["vocab_size"] or config.train.vocab_size,
            model=run["model"],
            seed=run["seed"],
        )
        name = f"{run['tokenizer']}-{run['vocab_size']}-{run['model']}-seed{run['seed']}"
        start = time.perf_counter()
        model = train_classifier(
            parts["train"],
            parts["valid"],
            train_config,
            out_dir / "runs" / name,
            pretrain_texts=pretrain_texts,
        )
        seconds = time.perf_counter() - start
        proba = model.predict_proba([r.sequence for r in test])
        tokens = sum(len(model.tokenizer.encode(r.sequence)) for r in test) / max(len(test), 1)
        rows.append(
            {
                **run,
                "vocab": model.tokenizer.vocab_size,
                **score_probabilities([r.family for r in test], proba, model.families),
                "lm_accuracy": model.info.get("pretrain", {}).get("val_accuracy", float("nan")),
                "tokens_per_sequence": tokens,
                "train_seconds": seconds,
            }
        )
        frame = pd.DataFrame(rows)
        frame.to_csv(out_dir / "results.csv", index=False)  # after every run: a crash keeps rows
    frame = pd.DataFrame(rows)
    write_text(out_dir / "table.md", markdown_table(summarise(frame)))
    plot_accuracy_vs_vocab(frame, out_dir / "accuracy_vs_vocab.png", title=config.name)
    return frame


def summarise(frame: Any) -> Any:
    """Mean +- std over seeds per (tokenizer, vocab, model), as strings."""
    metrics = [
        m
        for m in ("accuracy", "macro_f1", "log_loss", "lm_accuracy")
        if m in frame and frame[m].notna().any()  # no LM pretraining: no lm_accuracy column
    ]
    groups = frame.groupby(["tokenizer", "vocab", "model"], sort=False)
    summary = groups[metrics].agg(["mean", "std"])
    out = summary.index.to_frame(index=False)
    for metric in metrics:
        mean, std = (
            summary[(metric, "mean")].to_numpy(),
            summary[(metric, "std")].fillna(0).to_numpy(),
        )
        out[metric] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(mean, std)]
    out["seeds"] = groups.size().to_numpy()
    if "tokens_per_sequence" in frame:
        out["tokens/seq"] = groups["tokens_per_sequence"].mean().round(1).to_numpy()
    return out
