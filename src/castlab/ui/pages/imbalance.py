"""Imbalance page: upload a CSV, pick the target, compare strategies (table and charts)."""

import streamlit as st

from castlab.ui.common import save_upload, show_errors, work_dir

st.title("Imbalance")
st.caption("Strategies for imbalanced training data when the test set has another balance.")

upload = st.file_uploader("CSV with a header row", type=["csv"])
use_example = st.checkbox(
    "Use a generated example (15% positives, test set at 50%)", value=upload is None
)
target = st.text_input("Target column", value="y" if use_example else "")
positive = st.text_input("Positive label (empty: the rarer one)", value="")
test_prior = st.slider("Positive share of the test set", 0.05, 0.95, 0.5, 0.05)
model_name = st.selectbox("Model", ["logistic", "lightgbm", "catboost"], index=0)


def compare() -> None:
    from castlab.core.errors import CastlabError
    from castlab.imbalance.compare import CompareConfig, compare_strategies, save_comparison
    from castlab.imbalance.data import load_table
    from castlab.imbalance.model import ModelConfig

    with work_dir() as folder:
        if use_example:
            from castlab.imbalance.synthetic import generate_shifted_data

            data, _ = generate_shifted_data(n_train=1500, n_test=10, seed=0)
        else:
            if upload is None:
                raise CastlabError("no file uploaded", fix="upload a CSV or tick the example")
            if not target:
                raise CastlabError("no target column given", fix="type the label column's name")
            path = save_upload(upload, folder, suffixes=(".csv",))
            data = load_table(path, target=target, positive=positive or None)
        config = CompareConfig(
            model=ModelConfig(name=model_name), n_splits=3, n_repeats=1, test_prior=test_prior
        )
        bar = st.progress(0.0, text="Comparing strategies...")
        total = len(config.strategies) * config.n_splits * config.n_repeats
        done = []

        def progress(line: str) -> None:
            done.append(line)
            bar.progress(min(len(done) / total, 1.0), text=line)

        result = compare_strategies(data, config, progress=progress)
        bar.empty()
        files = save_comparison(result, folder, config=config, title="uploaded data")
        st.dataframe(result.summary)
        st.image(str(files["bars"]), caption="Log loss per strategy (mean and std over folds)")
        st.image(str(files["reliability"]), caption="Reliability of the predicted probabilities")


if st.button("Compare", type="primary"):
    show_errors(compare)
