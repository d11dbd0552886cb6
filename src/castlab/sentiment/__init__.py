"""Sentiment of posts: score them, see authors at a glance, map capital cities.

From the blog post "Playing with Tweet Sentiment Analysis": posts are scored negative /
neutral / positive, combined into one score ``p_positive - p_negative`` in [-1, 1], drawn as
hexbins of score against length per author, and averaged per capital city on a map.

Layers: :mod:`.data` (post files, streaming; SemEval / TweetEval), :mod:`.scorers` (vader,
minilm, finetune, hf:<model>), :mod:`.stream` (score a file of any size), :mod:`.views`
(authors, capitals), :mod:`.plots` (hexbins, maps), :mod:`.collect` (X and Mastodon APIs),
:mod:`.model` and :mod:`.train` (head, fine-tuning, evaluation), :mod:`.cli` (commands).

Examples
--------
>>> from castlab.sentiment import load_scorer, author_summary
>>> scored = load_scorer("vader").score(["What a lovely morning", "This is awful"])
>>> list(scored["label"])
['positive', 'negative']
"""

from __future__ import annotations

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` (which imports .cli) stays free of
# torch, transformers and pandas.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ColumnMap": "data",
        "iter_posts": "data",
        "read_posts": "data",
        "read_semeval": "data",
        "read_tweeteval": "data",
        "training_tweets": "data",
        "Scorer": "scorers",
        "load_scorer": "scorers",
        "score_file": "stream",
        "author_summary": "views",
        "capital_sentiment": "views",
        "collect_mastodon": "collect",
        "collect_x": "collect",
        "evaluate_scorer": "train",
        "finetune": "train",
    },
)
