"""Protein family classification: tokenizers x language models x alignment baselines."""

from __future__ import annotations

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` stays free of torch and scikit-learn.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ProteinRecord": "data",
        "load_labelled": "data",
        "load_records": "data",
        "read_fasta": "data",
        "TableColumns": "tables",
        "read_table": "tables",
        "iter_sequences": "tables",
        "default_families": "default",
        "load_default_model": "default",
        "SplitConfig": "splits",
        "prepare_split": "splits",
        "ProteinModel": "model",
        "load_classifier": "model",
        "ProteinTrainConfig": "train",
        "train_classifier": "train",
        "train_from_records": "train",
        "evaluate": "train",
        "PretrainConfig": "pretrain",
        "ProteinLanguageModel": "pretrain",
        "pretrain": "pretrain",
    },
)
