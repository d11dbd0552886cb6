"""Model folders whose config.json was changed: one clear error, before anything is built.

A reviewer's copies of real model folders with sizes changed in config.json made castlab
allocate gigabytes (tunes ``hidden`` 60000: 57.6 GB asked; proteins ``blocks`` 10**7: 9.6 GB
over 196 s; selfsup ``blocks`` 10**9; birds ``n_fft`` 10**9: 119 GiB) or print tracebacks
(a missing section, a string for a size). Each is now a CastlabError naming the folder.
"""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from castlab.core.errors import CastlabError


def _copy_with(source: Path, target: Path, change) -> Path:
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    change(config)
    (target / "config.json").write_text(json.dumps(config))
    return target


def _set(section: str | None, key: str, value):
    def change(config):
        (config[section] if section else config)[key] = value

    return change


def _drop(key: str):
    return lambda config: config.pop(key)


TUNES = [
    (_set("model", "hidden", 60000), "disagree"),
    (_set("model", "layers", 10**9), "model setting layers"),
    (_set("model", "dim", "abc"), "model setting dim"),
    (_drop("model"), "field 'model'"),
    (_set("model", "colour", 1), "field 'model'"),
]


@pytest.mark.parametrize("change,said", TUNES)
def test_tunes_model_with_a_changed_config(tmp_path, change, said):
    from castlab.tunes.model import PRETRAINED_DIR, TuneModel

    source = Path(str(files("castlab.tunes") / PRETRAINED_DIR))
    with pytest.raises(CastlabError, match=said):
        TuneModel.load(_copy_with(source, tmp_path / "m", change))


PROTEINS = [
    (_set("classifier", "blocks", 10**7), "model setting blocks"),
    (_set("classifier", "dim", 10**6), "disagree"),
    (_set("classifier", "n_classes", "x"), "model setting n_classes"),
]


@pytest.mark.parametrize("change,said", PROTEINS)
def test_proteins_model_with_a_changed_config(tmp_path, change, said):
    from castlab.proteins.model import load_classifier

    source = Path(str(files("castlab.proteins") / "default_model"))
    with pytest.raises(CastlabError, match=said):
        load_classifier(_copy_with(source, tmp_path / "m", change))


def test_selfsup_encoder_with_a_changed_config(tmp_path):
    from castlab.selfsup.model import Encoder, EncoderConfig, load_encoder, save_encoder

    source = save_encoder(tmp_path / "encoder", Encoder(EncoderConfig(widths=(4, 8))))
    for name, change, said in [
        ("blocks", _set(None, "blocks", 10**9), "not usable"),
        ("wide", _set(None, "widths", [4, 60000]), "disagree"),
        ("text", _set(None, "blocks", "abc"), "not an encoder's settings"),
    ]:
        with pytest.raises(CastlabError, match=said):
            load_encoder(_copy_with(source, tmp_path / name, change))


def test_birds_cnn_with_a_changed_config(tmp_path):
    from castlab.birds.classifier import load_classifier, save_cnn
    from castlab.birds.model import BirdCNN, CnnConfig

    source = save_cnn(tmp_path / "cnn", BirdCNN(CnnConfig(2, channels=(4, 8))), ["a", "b"])
    for name, change, said in [
        ("fft", _set("mel", "n_fft", 10**9), "mel n_fft"),
        ("clip", _set("mel", "clip_seconds", float("nan")), "mel clip_seconds"),
        ("wide", _set("cnn", "channels", [4, 200000]), "disagree"),
        ("classes", _set(None, "classes", ["a", "b", "c"]), "names 3 species for 2 outputs"),
        ("no_mel", _drop("mel"), "not a birds CNN's settings"),
    ]:
        with pytest.raises(CastlabError, match=said):
            load_classifier(_copy_with(source, tmp_path / name, change))
