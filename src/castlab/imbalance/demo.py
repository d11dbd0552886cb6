"""The imbalance part of ``castlab demo``: strategies on generated data with a known shift.

Runs in seconds: a generated training table with 15% positives and a test table with 50%
(only the class balance differs), a 3-fold comparison of every strategy with one-hot
logistic regression (the right model for this generated data: its log-odds are linear in
the numbers and the one-hot group), then the prior-shift corrections on the real test
table, including the EM estimate of its balance.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from castlab.core.report import Section

__all__ = ["run_demo"]

TRAIN_PRIOR = 0.15  # positive share of the generated training table
TEST_PRIOR = 0.5  # positive share of the generated test table (the shift to undo)


def run_demo(out_dir: Path, section: Section) -> None:
    """Compare the strategies on generated data, write figures to ``out_dir``, fill ``section``."""
    from castlab.imbalance.compare import (
        CompareConfig,
        compare_strategies,
        save_comparison,
        score_probabilities,
    )
    from castlab.imbalance.model import ModelConfig, make_model
    from castlab.imbalance.prior_shift import PriorShiftClassifier
    from castlab.imbalance.synthetic import generate_shifted_data

    out_dir = Path(out_dir)
    train, test = generate_shifted_data(
        n_train=3000,
        n_test=1500,
        train_prior=TRAIN_PRIOR,
        test_prior=TEST_PRIOR,
        separation=0.6,
        seed=0,
    )
    section.paragraph(
        f"Generated data with a known prior shift: {len(train.target)} training rows with "
        f"{TRAIN_PRIOR:.0%} positives and {len(test.target)} test rows with {TEST_PRIOR:.0%}; "
        "the features of each class follow the same distribution in both, as the competition's "
        "re-balanced test set did."
    )
    model_config = ModelConfig("logistic")
    config = CompareConfig(model=model_config, n_splits=3, n_repeats=1, test_prior=TEST_PRIOR)
    result = compare_strategies(train, config)
    paths = save_comparison(result, out_dir, config=config, title="generated data · logistic")
    section.table(
        result.summary,
        "Cross-validation on the training table, validation folds "
        "re-sampled to 50/50 (mean and std over 3 folds; train_rows: rows each model saw).",
    )
    section.figure(paths["bars"], "Log loss per strategy (lower is better).")
    mean_share = {k: float(result.predictions[k][1][:, 1].mean()) for k in ("none", "prior")}
    section.figure(
        paths["reliability"],
        "Reliability on the 50/50 validation folds. Mean predicted positive probability: "
        f"{mean_share['none']:.1%} uncorrected, {mean_share['prior']:.1%} after prior "
        "correction (the folds hold 50%).",
    )

    fitted = PriorShiftClassifier(make_model(model_config), test_prior=TEST_PRIOR)
    fitted.fit(train.features, train.target)
    known = fitted.predict_proba(test.features)
    raw = fitted.estimator_.predict_proba(test.features)
    estimate = float(fitted.estimate_test_prior(test.features).test_prior_[1])
    estimated = fitted.predict_proba(test.features)
    rows = [
        {
            "model": "fitted on all training rows, uncorrected",
            **score_probabilities(test.target, raw),
        },
        {
            "model": f"corrected to the known {TEST_PRIOR:.0%}",
            **score_probabilities(test.target, known),
        },
        {
            "model": f"corrected to the EM estimate {estimate:.1%}",
            **score_probabilities(test.target, estimated),
        },
    ]
    section.table(
        pd.DataFrame(rows),
        "The real test table (true positive share "
        f"{test.target.mean():.1%}); EM saw only its features.",
    )
    section.links(list(paths.values()), relative_to=out_dir.parent)
