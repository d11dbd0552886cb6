"""Protein family classification: tokenizers x language models x alignment baselines."""

__all__: list[str] = []
