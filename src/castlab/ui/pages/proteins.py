"""Proteins page: paste or upload FASTA; get each sequence's family, probability and top k."""

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from castlab.ui.common import save_upload, show_errors, work_dir

if TYPE_CHECKING:
    from castlab.proteins.data import ProteinRecord
    from castlab.proteins.model import ProteinModel

st.title("Proteins")
st.caption(
    "Protein family classification with the same code as `castlab proteins predict`: "
    "a family, its probability and the k likeliest families per sequence."
)

FASTA_SUFFIXES = (".fasta", ".fa", ".faa", ".fas", ".txt")
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


def example_fasta() -> str:
    """One held-out generated sequence per demo family, as FASTA."""
    chosen = {}
    for record in demo_split()["test"]:
        chosen.setdefault(record.family, record)
    return "".join(f">{r.name}\n{r.sequence}\n" for r in chosen.values())


pasted = st.text_area(
    "FASTA (prefilled: generated example sequences of the synthetic demo families)",
    value=example_fasta(),
    height=200,
)
upload = st.file_uploader(
    "...or upload a FASTA file (used instead of the text)",
    type=[suffix[1:] for suffix in FASTA_SUFFIXES],
)
left, right = st.columns([3, 1])
model_dir = left.text_input(
    "Model folder written by `castlab proteins train` (empty: the small synthetic demo model)",
    value="",
)
top_k = right.number_input("Families listed (top k)", min_value=1, max_value=20, value=3)


def predict() -> None:
    import pandas as pd

    from castlab.core.errors import CastlabError
    from castlab.proteins.data import iter_fasta
    from castlab.proteins.model import FamilyPrediction

    with work_dir() as folder:  # the same reader as the CLI, so the same checks and messages
        if upload is not None:
            path = save_upload(upload, folder, suffixes=FASTA_SUFFIXES)
        else:
            path = folder / "pasted.fasta"
            path.write_text(pasted)
        records = list(iter_fasta(path))
    if not records:
        raise CastlabError(
            "no sequences", fix="paste FASTA ('>name' line, then the sequence) or upload a file"
        )
    if model_dir.strip():
        folder = Path(model_dir.strip()).expanduser()
        weights = folder / "model.safetensors"
        model = saved_model(str(folder), weights.stat().st_mtime_ns if weights.exists() else 0)
        st.caption(f"Model: {folder} ({len(model.families)} families).")
    else:
        model = demo_model()
        st.caption(
            f"Model: the SYNTHETIC demo ProtCNN, trained here on {len(model.families)} generated "
            "families (synthetic-F00...); its answers mean nothing for real proteins."
        )
    bar = st.progress(0.0, text=f"Classifying {len(records)} sequences...")
    rows = []
    for row in model.predict_families(records, top_k=int(top_k), batch_size=64):
        rows.append(row)
        if len(rows) % 64 == 0 or len(rows) == len(records):
            bar.progress(len(rows) / len(records), text=f"{len(rows)} of {len(records)}")
    bar.empty()
    table = pd.DataFrame(rows, columns=list(FamilyPrediction._fields))
    st.dataframe(table, hide_index=True)
    st.download_button(
        "Download predictions (CSV)",
        table.to_csv(index=False, float_format="%.4f"),
        file_name="predictions.csv",
        mime="text/csv",
        on_click="ignore",
    )


if st.button("Predict", type="primary"):
    show_errors(predict)
