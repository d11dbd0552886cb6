"""The sentiment part of ``castlab demo``: generated posts, scored, summarised and mapped.

Uses generated posts only (three authors with a known temper, posts near 40 capitals), the
``default`` scorer (MiniLM fine-tuned on tweets, shipped in castlab, offline) and VADER for
comparison. Runs in well under a minute on two cores.
"""

from __future__ import annotations

from pathlib import Path

from castlab.core.report import Section

__all__ = ["run_demo"]


def run_demo(out_dir: Path, section: Section) -> None:
    """Score generated posts, write tables and figures to ``out_dir``, fill ``section``."""
    import pandas as pd

    from castlab.core.artifacts import atomic_write
    from castlab.sentiment.plots import (
        plot_author_hexbins,
        plot_capital_map,
        write_capital_map_html,
    )
    from castlab.sentiment.scorers import load_scorer
    from castlab.sentiment.synthetic import generate_author_posts, generate_capital_posts
    from castlab.sentiment.train import evaluate_predictions
    from castlab.sentiment.views import author_summary, capital_sentiment

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    posts = generate_author_posts(n_per_author=60, seed=0)
    places = generate_capital_posts(n_countries=40, per_country=6, seed=1)
    scorers = {"default": load_scorer("default"), "vader": load_scorer("vader")}
    section.paragraph(
        f"{len(posts)} generated posts by three authors with a known temper and {len(places)} "
        "generated posts geotagged near 40 capital cities, scored with the default scorer "
        "(MiniLM fine-tuned on tweets, shipped in castlab, run in bfloat16) and with VADER."
    )
    rows = []
    for name, scorer in scorers.items():
        probabilities = scorer.predict_proba(list(posts["text"]))
        result = evaluate_predictions(posts["true_label"], probabilities.argmax(1))
        rows.append(
            {"scorer": name, "macro recall": result.macro_recall, "accuracy": result.accuracy}
        )
    section.table(
        pd.DataFrame(rows),
        "Agreement with the labels the posts were generated with (easy, templated text: this "
        "checks the plumbing; see docs/results/sentiment.md for TweetEval numbers).",
    )
    scored = posts.join(scorers["default"].score(list(posts["text"])))
    summary = author_summary(scored)
    with atomic_write(out_dir / "authors.csv") as handle:
        summary.to_csv(handle, index=False)
    section.table(summary, "Per-author summary (default scorer).", float_format="{:.2f}")
    hexbins = plot_author_hexbins(scored, out_dir / "hexbins.png")
    section.figure(hexbins, "Score against post length per author, as in the blog's hexbins.")

    scored_places = places.join(scorers["default"].score(list(places["text"])))
    table = capital_sentiment(scored_places, radius_km=50)
    with atomic_write(out_dir / "capitals.csv") as handle:
        table.to_csv(handle, index=False)
    map_png = plot_capital_map(table, out_dir / "map.png", title="Mean score of generated posts")
    map_html = write_capital_map_html(table, out_dir / "map.html")
    section.figure(map_png, f"Mean score per capital ({len(table)} countries with posts).")
    section.links(
        [out_dir / "authors.csv", out_dir / "capitals.csv", map_html], relative_to=out_dir.parent
    )
