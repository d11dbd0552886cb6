"""The CLIP text goal with a tiny random CLIP saved to a folder (no weights exist offline)."""

from __future__ import annotations

import json

import pytest
import torch

from castlab.core.errors import CastlabError

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """A 1-layer CLIP with a byte-level tokenizer (no merges), as save_pretrained writes it."""
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    folder = tmp_path_factory.mktemp("clip")
    characters = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(characters)}
    vocab |= {c + "</w>": len(characters) + i for i, c in enumerate(characters)}
    vocab |= {"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt")).save_pretrained(folder)
    layers = {
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
    }
    config = CLIPConfig(
        text_config={**layers, "vocab_size": len(vocab), "max_position_embeddings": 32,
                     "bos_token_id": len(vocab) - 2, "eos_token_id": len(vocab) - 1,
                     "pad_token_id": len(vocab) - 1},
        vision_config={**layers, "image_size": 32, "patch_size": 8},
        projection_dim=8,
    )  # fmt: skip
    torch.manual_seed(0)
    CLIPModel(config).save_pretrained(folder)
    return folder


def test_text_goal_scores_and_improves_with_steps(tiny_clip):
    from castlab.art.clip import TextPrompt
    from castlab.art.goals import Goals
    from castlab.art.optimise import Optimisation
    from castlab.art.parameterisations import PixelImage

    goal = TextPrompt("a red fox", tiny_clip)
    assert not goal.aligned and goal.image_size == 32
    loss = goal(torch.rand(2, 3, 48, 48))
    assert loss.shape == () and 0 <= float(loss) <= 2
    torch.manual_seed(0)
    run = Optimisation(PixelImage(32), Goals([(1.0, goal)]), lr=0.1, views=2).run(15)
    assert run.history_[-1]["clip"] < run.history_[0]["clip"]
    assert not any(p.requires_grad for p in goal.model.parameters())


def test_missing_folder_and_missing_tokenizer_are_clear(tmp_path, tiny_clip):
    from castlab.art.clip import TextPrompt

    with pytest.raises(CastlabError, match="no CLIP model here"):
        TextPrompt("a fox", tmp_path)
    (tmp_path / "config.json").write_text((tiny_clip / "config.json").read_text())
    with pytest.raises(CastlabError, match="cannot load CLIP"):
        TextPrompt("a fox", tmp_path)
    with pytest.raises(CastlabError, match="empty prompt"):
        TextPrompt("  ", tiny_clip)


def test_paint_with_a_prompt_and_a_clip_folder(tiny_clip, tmp_path):
    from castlab.art.run import ArtConfig, paint

    config = ArtConfig(param="fourier", goals=(("clip", 1.0), ("tv", 0.1)), prompt="a red fox",
                       clip_model=str(tiny_clip), size=32, steps=4, views=2, frames=2)  # fmt: skip
    result = paint(config, tmp_path)
    assert result.summary["steps_done"] == 4 and "clip" in result.optimisation.history_[0]
