"""tunes: a language model for Irish traditional tunes in ABC notation ("WhistleGen")."""

from __future__ import annotations

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` stays free of torch and music21.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Tune": "abc",
        "Corpus": "data",
        "load_corpus": "data",
        "TuneModel": "model",
        "TunesTrainConfig": "train",
        "train_tunes": "train",
        "GenerateConfig": "generate",
        "generate_tunes": "generate",
        "write_outputs": "render",
        "score_tune": "evaluate",
        "TypeClassifier": "tune_types",
        "infer_types": "tune_types",
        "tune_statistics": "style",
        "discriminator_auc": "style",
    },
)
