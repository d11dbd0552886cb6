"""Proteins page: paste or upload sequences; get each sequence's family, probability and top k.

Uploads: FASTA, a table (CSV/TSV/Parquet; its sequence and id columns can be named, like
``castlab proteins predict --sequence-column --id-column``) or a Pfam Stockholm alignment
(``.sto``, gaps removed). The model: a folder from ``castlab proteins train``, else castlab's
default Pfam model when this installation has it, else a small synthetic demo model.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from castlab.ui.common import kept_uploader, save_upload, work_dir
from castlab.ui.results import Progress, input_key, last_result, run_action

if TYPE_CHECKING:
    from castlab.proteins.data import ProteinRecord
    from castlab.proteins.model import ProteinModel

st.title("Proteins")
st.caption(
    "Protein family classification with the same code as `castlab proteins predict`: "
    "a family, its probability and the k likeliest families per sequence."
)

FASTA_SUFFIXES = (".fasta", ".fa", ".faa", ".fas", ".txt")
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")
STOCKHOLM_SUFFIXES = (".sto", ".stockholm")
SUFFIXES = FASTA_SUFFIXES + TABLE_SUFFIXES + STOCKHOLM_SUFFIXES
CONTROLS = {
    "sequence_column": "Sequence column",
    "id_column": "Id column",
    "model": "Model folder",
    "top_k": "Families listed (top k)",
}
#: The built-in demo model's data: generated families (named synthetic-F00...), not real ones.
DEMO_FAMILIES = {"n_families": 4, "per_family": 30, "mutation": 0.3, "seed": 0}
#: A small ProtCNN that trains in a few seconds on one CPU core.
DEMO_TRAIN = {
    "model": "cnn",
    "dim": 32,
    "hidden": 48,
    "layers": 1,
    "batch_size": 16,
    "max_tokens": 256,
    "finetune_epochs": 4,
    "finetune_lr": 1e-2,
}


@st.cache_data(show_spinner=False)
def demo_split() -> "dict[str, list[ProteinRecord]]":
    """Train / valid / test records of the generated demo families (test: the examples)."""
    from castlab.proteins.splits import random_split
    from castlab.proteins.synthetic import synthetic_families

    return random_split(synthetic_families(**DEMO_FAMILIES), seed=0)


@st.cache_resource(show_spinner="Training the small SYNTHETIC demo model (a few seconds, once)...")
def demo_model() -> "ProteinModel":
    """A ProtCNN trained on the generated families; kept in memory for every visitor."""
    from castlab.proteins.train import ProteinTrainConfig, train_classifier

    parts = demo_split()
    with work_dir() as folder:
        return train_classifier(
            parts["train"], parts["valid"], ProteinTrainConfig(**DEMO_TRAIN), folder
        )


@st.cache_resource(show_spinner="Loading the model...")
def saved_model(folder: str, stamp: int) -> "ProteinModel":
    """The model in ``folder``; ``stamp`` (weights' mtime) reloads it after a retrain."""
    from castlab.proteins.model import ProteinModel

    return ProteinModel.load(folder)


def example_fasta() -> tuple[str, str]:
    """Example FASTA for the model the page uses without a folder, and what it holds: 4 of
    the default Pfam model's reference sequences (of 4 families) when it is installed, else
    one held-out generated sequence per demo family."""
    from castlab.proteins.confirm import load_references
    from castlab.proteins.default import DEFAULT_MODEL_DIR

    chosen: dict[str, tuple[str, str]] = {}
    if (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        found = load_references(DEFAULT_MODEL_DIR)
        if found is not None:
            references = found[0]
            families = sorted(set(references.families))
            wanted = set(families[:: max(1, len(families) // 4)][:4])
            for family, sequence in zip(references.families, references.sequences):
                if family in wanted:
                    chosen.setdefault(family, (f"{family}_reference", sequence))
            what = "4 sequences the default Pfam model was trained on, of 4 of its families"
    if not chosen:
        for record in demo_split()["test"]:
            chosen.setdefault(record.family, (record.name, record.sequence))
        what = "generated example sequences of the synthetic demo families"
    return "".join(f">{name}\n{sequence}\n" for name, sequence in chosen.values()), what


example, example_what = example_fasta()
pasted = st.text_area(
    f"FASTA (prefilled: {example_what})",
    value=example,
    height=200,
    key="proteins-pasted",
    persist_state="session",
)
upload = kept_uploader(
    "...or upload sequences (used instead of the text): FASTA, a table (CSV/TSV/Parquet) or a "
    "Pfam Stockholm alignment (.sto)",
    key="proteins-upload",
    types=SUFFIXES,
)
sequence_column = id_column = ""
if upload is not None and upload.name.lower().endswith(TABLE_SUFFIXES):
    left, right = st.columns(2)
    sequence_column = left.text_input(
        f"{CONTROLS['sequence_column']} (empty: found by name)",
        value="",
        key="proteins-sequence-column",
        persist_state="session",
    )
    id_column = right.text_input(
        f"{CONTROLS['id_column']} (empty: found by name)",
        value="",
        key="proteins-id-column",
        persist_state="session",
    )
left, right = st.columns([3, 1])
model_dir = left.text_input(
    f"{CONTROLS['model']} written by `castlab proteins train` (empty: castlab's default Pfam "
    "model if installed, else a small synthetic demo model)",
    value="",
    key="proteins-model-dir",
    persist_state="session",
)
top_k = right.number_input(
    CONTROLS["top_k"],
    min_value=1,
    max_value=20,
    value=3,
    key="proteins-top-k",
    persist_state="session",
)


def _records(folder: Path) -> "tuple[list[ProteinRecord], Any]":
    """The sequences to classify, read by the same readers as the CLI, and an uploaded
    table's own columns (None for FASTA and Stockholm)."""
    from castlab.core.errors import CastlabError
    from castlab.proteins.data import iter_fasta, read_stockholm
    from castlab.proteins.tables import (
        TableColumns,
        is_table,
        iter_sequences,
        read_table_with_frame,
    )

    own = None
    if upload is None:
        path = folder / "pasted.fasta"
        path.write_text(pasted)
        records = list(iter_fasta(path))
    else:
        path = save_upload(upload, folder, suffixes=SUFFIXES)
        if path.suffix.lower() in STOCKHOLM_SUFFIXES:
            records = read_stockholm(path)
        else:
            columns = TableColumns(sequence=sequence_column or None, id=id_column or None)
            if is_table(path):
                records, own = read_table_with_frame(path, columns)
            else:
                records = list(iter_sequences(path, columns))
    if not records:
        raise CastlabError(
            "no sequences", fix="paste FASTA ('>name' line, then the sequence) or upload a file"
        )
    return records, own


def _model() -> "tuple[Any, str]":
    """The classifier and a caption saying which it is."""
    if model_dir.strip():
        folder = Path(model_dir.strip()).expanduser()
        weights = folder / "model.safetensors"
        model = saved_model(str(folder), weights.stat().st_mtime_ns if weights.exists() else 0)
        return model, f"Model: {folder} ({len(model.families)} families)."
    from castlab.proteins.default import DEFAULT_MODEL_DIR

    if (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        model = saved_model(str(DEFAULT_MODEL_DIR), 0)
        from castlab.proteins.model import UNKNOWN

        named = [family for family in model.families if family != UNKNOWN]
        return model, (
            f"Model: castlab's default Pfam model ({len(named)} families"
            + (
                ", and 'unknown' for proteins of none of them)."
                if len(named) < len(model.families)
                else ")."
            )
        )
    model = demo_model()
    return model, (
        f"Model: the SYNTHETIC demo ProtCNN, trained here on {len(model.families)} generated "
        "families (synthetic-F00...); its answers mean nothing for real proteins. (castlab's "
        "default Pfam model is not installed here.)"
    )


def predict(progress: Progress) -> dict[str, Any]:
    import pandas as pd

    from castlab.proteins.model import FamilyPrediction
    from castlab.proteins.tables import answer_columns

    with work_dir() as folder:
        records, own = _records(folder)
    model, caption = _model()
    progress(0.0, f"Classifying {len(records)} sequences...")
    rows = []
    for row in model.predict_families(records, top_k=int(top_k), batch_size=64):
        rows.append(row)
        if len(rows) % 64 == 0 or len(rows) == len(records):
            progress(len(rows) / len(records), f"{len(rows)} of {len(records)}")
    table = pd.DataFrame(rows, columns=list(FamilyPrediction._fields))
    # the download is the CLI's CSV, cell for cell (E-values to 3 digits, not rounded to 0)
    written = pd.DataFrame(
        [row.answers() for row in rows], columns=list(FamilyPrediction._fields)[1:], dtype=str
    )
    family = "family"
    if own is not None:  # an uploaded table keeps its own columns, as the CLI's CSV does
        answers = table.drop(columns="name")
        answers.columns = written.columns = answer_columns(list(own.columns))
        table, family = pd.concat([own.reset_index(drop=True), answers], axis=1), answers.columns[0]
        written = pd.concat([own.reset_index(drop=True).astype(str), written], axis=1)
    else:
        written.insert(0, "name", [row.name for row in rows])
    csv = written.to_csv(index=False)
    return {"table": table, "caption": caption, "family": family, "csv": csv}


def show(result: dict[str, Any], current: bool) -> None:
    if not current:
        st.caption("These predictions are for earlier sequences or settings; press Predict.")
    st.caption(result["caption"])
    table = result["table"]
    counts = table[result.get("family", "family")].value_counts()
    count = f"{len(table)} sequence{'' if len(table) == 1 else 's'}"
    if len(table) > 1 and counts.iloc[0] == 1:  # no family is more common than another
        st.write(f"{count}, each of another family.")
    else:
        st.write(f"{count}; most common family: {counts.index[0]} ({counts.iloc[0]}).")
    st.dataframe(table, hide_index=True)
    st.download_button(
        "Download predictions (CSV)",
        result["csv"],
        file_name="predictions.csv",
        mime="text/csv",
        on_click="ignore",
    )


key = input_key(
    upload if upload is not None else pasted, sequence_column, id_column, model_dir, top_k
)
if st.button("Predict", type="primary"):
    run_action("proteins", key, predict, controls=CONTROLS, label="Classifying...")
shown = last_result("proteins", key)
if shown is not None:
    show(*shown)
