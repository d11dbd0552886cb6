"""castlab's default protein classifier: a ProtCNN of Pfam families shipped in the package.

``castlab proteins predict`` without a model folder, and the UI's Proteins page, use it. It
was trained by ``benchmarks/proteins_default_model.py`` on the Pfam families in the shared
data whose licences allow redistribution (MIT), with an extra ``unknown`` class of proteome
fragments that none of the families' profile HMMs hits, and a probability threshold below
which the answer is ``unknown``; its model card (``MODEL_CARD.md`` beside the weights) lists
the families, the data, the licences and the measured open-set rates.

Examples
--------
>>> families = default_families()
>>> len(families) > 10, families[0]["accession"].startswith("PF")
(True, True)
"""

from __future__ import annotations

import json
from pathlib import Path

from castlab.core.errors import CastlabError

__all__ = ["DEFAULT_MODEL_DIR", "default_families", "default_model_dir", "load_default_model"]

#: Where the default model's files live inside the package.
DEFAULT_MODEL_DIR = Path(__file__).with_name("default_model")


def default_model_dir() -> Path:
    """The folder of the default model (``model.safetensors``, ``config.json``, model card)."""
    if not (DEFAULT_MODEL_DIR / "model.safetensors").is_file():
        raise CastlabError(
            "the default protein model is missing from this installation",
            path=DEFAULT_MODEL_DIR,
            fix="reinstall castlab, or pass a model folder from castlab proteins train",
        )
    return DEFAULT_MODEL_DIR


def default_families() -> list[dict[str, str]]:
    """The default model's families: ``{"accession", "name", "source"}`` per family, sorted."""
    return json.loads((default_model_dir() / "families.json").read_text())["families"]


def load_default_model():  # type: ignore[no-untyped-def]
    """The default :class:`~castlab.proteins.model.ProteinModel` (with its open-set rule)."""
    from castlab.proteins.model import ProteinModel

    return ProteinModel.load(default_model_dir())
