"""art: make images by optimisation, the AIAIART course's lesson as a tool.

From the blog post "AIAIART Course Retrospective": *set things up so that some function uses
some parameters to produce some output which can be evaluated against some goal in a
differentiable way, then update those parameters bit by bit.* Here that is one loop
(:class:`Optimisation`) with interchangeable parts:

- parameterisations (:mod:`.parameterisations`, :mod:`.strokes`): raw pixels, lucid's
  decorrelated Fourier space, SIREN/CPPN coordinate networks, soft Bézier brush strokes,
  a small palette (pixel art);
- goals (:mod:`.goals`, :mod:`.clip`): target MSE/SSIM, style (Gram matrices), content,
  total variation, palette, and a CLIP text prompt when a local CLIP folder is given;
- feature networks (:mod:`.model`): fixed random filters, or an encoder folder
  (safetensors + config.json, e.g. from ``castlab selfsup``);
- augmentations (:mod:`.augment`): random crops, rotations and shifts.

:func:`paint` runs an :class:`ArtConfig` and writes PNG, GIF, MP4, loss curve and config.

Examples
--------
>>> import tempfile
>>> from castlab.art import ArtConfig, paint
>>> config = ArtConfig(param="fourier", goals=(("mse", 1.0),), target="sample:flower",
...                    size=32, steps=40)
>>> result = paint(config, tempfile.mkdtemp())
>>> bool(result.summary["best_loss"] < result.optimisation.history_[0]["loss"])
True
"""

from __future__ import annotations

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` (which imports .cli) stays free of torch.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ArtConfig": "run",
        "PaintResult": "run",
        "paint": "run",
        "load_config": "run",
        "Optimisation": "optimise",
        "Step": "optimise",
        "PARAMETERISATIONS": "parameterisations",
        "Parameterisation": "parameterisations",
        "PixelImage": "parameterisations",
        "FourierImage": "parameterisations",
        "CoordinateImage": "parameterisations",
        "CPPNImage": "parameterisations",
        "PaletteImage": "parameterisations",
        "make_parameterisation": "parameterisations",
        "BrushStrokes": "strokes",
        "GOALS": "goals",
        "Goal": "goals",
        "Goals": "goals",
        "TargetMSE": "goals",
        "TargetSSIM": "goals",
        "Style": "goals",
        "Content": "goals",
        "TotalVariation": "goals",
        "Palette": "goals",
        "gram_matrix": "goals",
        "TextPrompt": "clip",
        "FeatureNetwork": "model",
        "RandomFeatureNet": "model",
        "load_feature_network": "model",
        "save_feature_network": "model",
        "random_views": "augment",
        "load_image": "data",
        "save_png": "data",
    },
)
