"""Plumbing shared by two or more domains: errors, artifacts, training, tokenizers, models, sampling.

Submodules are imported explicitly (``from castlab.core.artifacts import ...``) so that the CLI
stays fast: nothing heavy is imported here.
"""

__all__: list[str] = []
