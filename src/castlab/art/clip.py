"""A text-prompt goal through CLIP, for users who have CLIP weights in a local folder.

Nothing is downloaded: the folder must hold a transformers ``CLIPModel`` (``config.json`` +
weights) and its tokenizer files (e.g. a ``save_pretrained`` copy of
``openai/clip-vit-base-patch32``). The loss is ``1 - cosine`` between the image embedding of
each augmented view and the prompt's text embedding, averaged over views.

Examples
--------
>>> TextPrompt.__name__, TextPrompt.aligned
('TextPrompt', False)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from castlab.art.goals import Goal
from castlab.core.errors import CastlabError

__all__ = ["CLIP_MEAN", "CLIP_STD", "TextPrompt", "load_clip"]

# the normalisation CLIP was trained with (OpenAI's preprocessing)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def load_clip(folder: str | Path) -> tuple[Any, Any]:
    """Load ``(CLIPModel, tokenizer)`` from a local folder, offline; clear errors otherwise."""
    folder = Path(folder)
    if not (folder / "config.json").exists():
        raise CastlabError(
            "no CLIP model here (config.json missing)",
            path=folder,
            fix="pass a folder saved with CLIPModel.save_pretrained and its tokenizer",
        )
    from transformers import AutoTokenizer, CLIPModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    try:
        model = CLIPModel.from_pretrained(folder, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError, KeyError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CastlabError(
            f"cannot load CLIP: {first}", path=folder, fix="save model and tokenizer there"
        ) from None
    return model.eval().requires_grad_(False), tokenizer


def _embedding(output: Any) -> torch.Tensor:
    # transformers 5 returns an output object whose pooler_output is the projected embedding
    return output if isinstance(output, torch.Tensor) else output.pooler_output


class TextPrompt(Goal):
    """``1 - cos(image embedding, text embedding)`` of a prompt under a local CLIP model."""

    name = "clip"
    aligned = False

    def __init__(self, prompt: str, folder: str | Path) -> None:
        super().__init__()
        if not prompt.strip():
            raise CastlabError("empty prompt", fix='pass --prompt "a watercolour of a fox"')
        self.model, tokenizer = load_clip(folder)
        tokens = tokenizer([prompt], return_tensors="pt", padding=True, truncation=True)
        with torch.no_grad():
            text = _embedding(self.model.get_text_features(**tokens))
        self.register_buffer("text", nn.functional.normalize(text.float(), dim=-1))
        self.register_buffer("mean", torch.tensor(CLIP_MEAN)[None, :, None, None])
        self.register_buffer("std", torch.tensor(CLIP_STD)[None, :, None, None])
        self.image_size = int(self.model.config.vision_config.image_size)

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # noqa: D102
        pixels = nn.functional.interpolate(
            image.float(), size=(self.image_size, self.image_size), mode="bilinear"
        )
        pixels = (pixels - self.mean) / self.std
        embedding = _embedding(self.model.get_image_features(pixel_values=pixels))
        cosine = nn.functional.normalize(embedding.float(), dim=-1) @ self.text.T
        return (1 - cosine).mean()
