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

import importlib
from typing import Any

# Names load on first use, so `castlab --help` (which imports .cli) stays free of
# torch, transformers and pandas.
_WHERE = {
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
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'castlab.sentiment' has no attribute {name!r}")
    return getattr(importlib.import_module(f"castlab.sentiment.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
