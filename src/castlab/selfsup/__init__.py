"""Self-supervised learning on images: pretext tasks on unlabelled images, then few labels.

From the blog post "Self-Supervised Learning with Image网": train a network on a pretext task
whose labels come from the images themselves (the blog's RandomGreyBlur: several regions
blurred and turned grey, to be repainted), then fine-tune it on a few labelled images and
compare with the same network from random weights, Image网-leaderboard style.

Layers: :mod:`.data` (folders or a manifest, decoded once into memory), :mod:`.synthetic`
(generated shape classes), :mod:`.model` (xresnet-style encoder, U-Net decoder, encoder
folders), :mod:`.pretext` (the tasks), :mod:`.train` (pretrain / finetune through core
``fit``), :mod:`.features` (embeddings, linear probe, classifying files), :mod:`.plots`,
:mod:`.cli` (commands).

Examples
--------
>>> import tempfile, torch
>>> from castlab.selfsup import Encoder, EncoderConfig, load_encoder, save_encoder
>>> folder = save_encoder(tempfile.mkdtemp(), Encoder(EncoderConfig(widths=(4, 8))))
>>> [tuple(m.shape) for m in load_encoder(folder)(torch.rand(1, 3, 16, 16))]
[(1, 4, 8, 8), (1, 8, 4, 4)]
"""

from __future__ import annotations

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` (which imports .cli) stays free of torch.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ImageSet": "data",
        "load_images": "data",
        "generate_images": "synthetic",
        "write_image_folders": "synthetic",
        "Encoder": "model",
        "EncoderConfig": "model",
        "load_encoder": "model",
        "save_encoder": "model",
        "TASKS": "pretext",
        "make_task": "pretext",
        "PretrainConfig": "train",
        "FinetuneConfig": "train",
        "pretrain": "train",
        "finetune": "train",
        "embed_pixels": "features",
        "linear_probe": "features",
        "classify_files": "features",
    },
)
