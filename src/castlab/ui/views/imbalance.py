"""Imbalance page: upload a CSV, pick the target, compare strategies (table and charts).

The controls are the options of ``castlab imbalance compare``: columns to drop (identifier
columns proposed and pre-selected), filling missing numbers, the test balance (a share, or
estimated by EM from an unlabelled test file), model, folds and repeats.
"""

from typing import TYPE_CHECKING, Any

import streamlit as st

from castlab.ui.common import (
    column_choice,
    example_box,
    kept_uploader,
    save_upload,
    user_message,
    work_dir,
)
from castlab.ui.results import Progress, input_key, last_result, run_action, zip_bytes

if TYPE_CHECKING:
    import pandas as pd

st.title("Imbalance")
st.caption(
    "Strategies for imbalanced training data when the test set has another balance. The same "
    "code as `castlab imbalance compare`."
)

#: Setting name (config field / CLI option) -> the control that sets it on this page.
CONTROLS = {
    "target": "Target column",
    "positive": "Positive label",
    "drop": "Columns to drop",
    "fill_missing": "Fill missing numbers with the column median",
    "unlabelled": "Unlabelled test file (CSV)",
    "test_prior": "Positive share of the test set",
    "folds": "Folds",
}
RARER = "(the rarer one)"


@st.cache_data(show_spinner="Reading the file...", max_entries=4)
def read_header(name: str, data: bytes) -> "tuple[pd.DataFrame, list[str], str]":
    """The table (for its columns and labels), the columns that look like identifiers, and
    the one-line problem when the file cannot be read as a table (else "")."""
    from pathlib import Path

    import pandas as pd

    from castlab.core.errors import CastlabError
    from castlab.core.readers import read_csv
    from castlab.imbalance.data import identifier_columns

    with work_dir() as folder:
        path = folder / (Path(name).name or "upload.csv")  # the name never becomes a path
        path.write_bytes(data)
        try:
            frame = read_csv(path)
        except CastlabError as error:
            return pd.DataFrame(), [], user_message(error, CONTROLS)
    return frame, identifier_columns(frame), ""


upload = kept_uploader("CSV with a header row", key="data", types=[".csv"])
use_example = example_box(
    "Use a generated example (15% positives, test set at 50%)",
    key="imbalance-example",
    given=upload is not None,
)
problem = ""
if use_example or upload is None:
    frame, identifiers, columns = None, [], ["y"]
else:
    frame, identifiers, problem = read_header(upload.name, upload.getvalue())
    if problem:
        st.error(problem)
    columns = [str(c) for c in frame.columns]
left, right = st.columns(2)
guess = next((c for c in columns if c.lower() in {"target", "label", "y", "class"}), None)
target = column_choice(left, CONTROLS["target"], columns, key="target", guess=guess)
labels = [RARER]
if frame is not None and target in frame.columns:
    values = frame[target].dropna().astype(str).unique()
    labels += sorted(values) if len(values) <= 50 else []
positive = right.selectbox(
    CONTROLS["positive"], labels, index=0, key="positive", persist_state="session"
)
features = [c for c in columns if c != target]
drop = left.multiselect(
    CONTROLS["drop"],
    features,
    default=[c for c in identifiers if c in features],
    help="Identifier columns (many distinct text values) are proposed and pre-selected.",
    key=f"drop-{input_key(upload, use_example, target)}",  # a new file: a new proposal
    persist_state="session",
)
if identifiers:
    left.caption(f"Detected identifier columns: {', '.join(identifiers)}.")
fill_missing = right.checkbox(
    CONTROLS["fill_missing"], value=False, key="fill_missing", persist_state="session"
)
balance = right.radio(
    "Test-set balance",
    ["a share", "estimate from an unlabelled test file (EM)", "none"],
    horizontal=True,
    help="The balance the validation folds are re-sampled to.",
    key="balance",
    persist_state="session",
)
test_prior = right.slider(
    CONTROLS["test_prior"],
    0.05,
    0.95,
    0.5,
    0.05,
    key="test_prior",
    disabled=balance != "a share",
    persist_state="session",
)
unlabelled = kept_uploader(
    CONTROLS["unlabelled"],
    key="unlabelled",
    types=[".csv"],
    place=right,
    disabled=not balance.endswith("(EM)"),
)
model_name = left.selectbox(
    "Model", ["logistic", "lightgbm", "catboost"], index=0, key="model", persist_state="session"
)
folds = left.number_input(
    CONTROLS["folds"],
    min_value=2,
    max_value=10,
    value=3,
    key="imbalance-folds",
    persist_state="session",
)
repeats = left.number_input(
    "Repeats", min_value=1, max_value=5, value=1, key="imbalance-repeats", persist_state="session"
)
iterations = right.number_input(
    "Boosting rounds (LightGBM / CatBoost)",
    min_value=10,
    max_value=2000,
    value=200,
    step=50,
    disabled=model_name == "logistic",
    key="imbalance-iterations",
    persist_state="session",
)


def compare(progress: Progress) -> dict[str, Any]:
    from castlab.core.errors import CastlabError, Fix
    from castlab.imbalance.compare import (
        CompareConfig,
        compare_strategies,
        estimate_unlabelled_prior,
        save_comparison,
    )
    from castlab.imbalance.data import load_table, load_unlabelled
    from castlab.imbalance.model import ModelConfig

    model = ModelConfig(name=model_name, iterations=int(iterations), threads=1)
    estimated = None
    with work_dir() as folder:
        if use_example:
            from castlab.imbalance.synthetic import generate_shifted_data

            data, _ = generate_shifted_data(n_train=1500, n_test=10, seed=0)
            name = "generated example"
        else:
            if upload is None:
                raise CastlabError("no file uploaded", fix="upload a CSV or tick the example")
            if not target:
                raise CastlabError(
                    "no target column chosen", fix=Fix("target", "choose", choices=tuple(columns))
                )
            path = save_upload(upload, folder, suffixes=(".csv",))
            data = load_table(
                path,
                target=target,
                positive=None if positive == RARER else positive,
                drop=drop,
                fill_missing=fill_missing,
            )
            name = upload.name
        prior: float | tuple[float, ...] | None = test_prior
        if balance == "none":
            prior = None
        elif balance.startswith("estimate"):
            if unlabelled is None:
                raise CastlabError(
                    "estimating the test balance needs the unlabelled test rows",
                    fix=Fix("unlabelled", "give"),
                )
            progress(0.0, "Estimating the test balance by EM on the unlabelled file...")
            rows = load_unlabelled(
                save_upload(unlabelled, folder, suffixes=(".csv",)),
                like=data,
                fill_missing=fill_missing,
            )
            estimate = estimate_unlabelled_prior(data, rows, model=model)
            prior = tuple(float(v) for v in estimate)
            estimated = {
                "file": unlabelled.name,
                "rows": len(rows),
                "table": {
                    c: (float(t), float(e)) for c, t, e in zip(data.classes, data.prior, estimate)
                },
            }
        strategies = tuple(
            s for s in CompareConfig().strategies if prior is not None or s != "prior"
        )
        config = CompareConfig(
            strategies=strategies,
            model=model,
            n_splits=int(folds),
            n_repeats=int(repeats),
            test_prior=prior,
        )
        total = config.n_splits * config.n_repeats
        done: list[str] = []

        def fold_done(line: str) -> None:
            done.append(line)
            progress(len(done) / total, f"fold {len(done)} of {total}: {line}")

        progress(0.0, f"Comparing {len(strategies)} strategies on {len(data.target)} rows...")
        result = compare_strategies(data, config, progress=fold_done)
        files = save_comparison(result, folder / "out", config=config, title=name)
        contents = {path.name: path.read_bytes() for path in files.values()}
    return {
        "name": name,
        "rows": len(data.target),
        "classes": data.classes,
        "train_prior": [float(v) for v in data.prior],
        "estimated": estimated,
        "summary": result.summary,
        "files": contents,
    }


def show(result: dict[str, Any], current: bool) -> None:
    import pandas as pd

    if not current:
        st.caption("These results are for earlier settings; press Compare to update them.")
    st.subheader(f"Strategies on {result['name']} ({result['rows']} rows)")
    if result["estimated"] is not None:
        estimated = result["estimated"]
        table = pd.DataFrame(
            [
                {"class": name, "training share": train, "estimated test share": test}
                for name, (train, test) in estimated["table"].items()
            ]
        )
        st.write(f"Estimated test balance (EM on {estimated['rows']} rows of {estimated['file']}):")
        st.dataframe(table.round(3), hide_index=True)
    st.dataframe(result["summary"], hide_index=True)
    files = result["files"]
    left, right = st.columns(2)
    left.image(files["log_loss.png"], caption="Log loss per strategy (mean and std over folds)")
    right.image(files["reliability.png"], caption="Reliability of the predicted probabilities")
    left, right = st.columns(2)
    left.download_button(
        "Download summary (CSV)", files["summary.csv"], "summary.csv", "text/csv", on_click="ignore"
    )
    right.download_button(
        "Download everything (ZIP)",
        zip_bytes(files),
        "imbalance-comparison.zip",
        "application/zip",
        on_click="ignore",
        help="summary.csv, folds.csv, config.json and both figures",
    )


key = input_key(
    "example" if use_example else upload,
    target,
    positive,
    drop,
    fill_missing,
    balance,
    test_prior if balance == "a share" else None,  # a control that does not apply changes nothing
    unlabelled if balance.startswith("estimate") else None,
    model_name,
    folds,
    repeats,
    None if model_name == "logistic" else iterations,
)
# a file that is not a table has said why above; comparing it could only say less
if st.button("Compare", type="primary", disabled=bool(problem)):
    run_action("imbalance", key, compare, controls=CONTROLS, label="Comparing strategies...")
shown = last_result("imbalance", key)
if shown is not None:
    show(*shown)
