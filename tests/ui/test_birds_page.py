"""The birds page in Streamlit's AppTest: loads, analyses a recording, one-line error on bad audio."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[2] / "src" / "castlab" / "ui" / "views" / "birds.py"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """An untrained tiny CNN over the demo's species: the page's plumbing, not its accuracy."""
    from castlab.birds.classifier import save_cnn
    from castlab.birds.features import MelConfig
    from castlab.birds.model import BirdCNN, CnnConfig
    from castlab.birds.synthetic import make_species

    names = sorted(s.name for s in make_species(4))
    folder = tmp_path_factory.mktemp("birds-ui") / "model"
    return save_cnn(
        folder, BirdCNN(CnnConfig(4, channels=(4,))), names, MelConfig(n_mels=32, hop_length=640)
    )


def _page(model: Path) -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=240)
    app.run()
    assert not app.exception, app.exception
    app.text_input[0].input(str(model)).run()
    return app


def test_example_gives_peaks_timeline_and_a_player_per_detection(tiny_model):
    app = _page(tiny_model)
    app.slider[0].set_value(0.05).run()  # everything counts as a detection
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    elements = list(app.main)
    captions = " ".join(e.proto.imgs[0].caption for e in elements if e.type == "image")
    assert "PCEN-SNR" in captions and "Soundscape timeline" in captions
    table = app.dataframe[0].value
    assert len(table) == 8 and table["row_id"].iloc[0] == "example_5"
    assert sum(e.type == "audio" for e in elements) == 8
    heard = [e.value for e in elements if e.type == "markdown" and " s**: " in e.value]
    assert all("_" not in line for line in heard) and any(", " in line for line in heard)


def test_adapting_is_offered_only_with_a_model_folder():
    app = AppTest.from_file(str(PAGE), default_timeout=240)
    app.run()  # the page's own model is a CNN, which cannot be adapted
    assert app.checkbox[3].disabled and app.checkbox[4].disabled


def _noise_uploaded(model: Path, tmp_path: Path) -> AppTest:
    """The page with 7 s of noise uploaded as ``mine.wav`` instead of the example."""
    app = _page(model)
    wav = tmp_path / "mine.wav"
    sf.write(wav, np.random.default_rng(0).normal(0, 0.05, 32000 * 7), 32000)
    app.file_uploader[0].set_value(("mine.wav", wav.read_bytes(), "audio/wav")).run()
    app.checkbox[0].uncheck().run()
    return app


def test_uploaded_wav_is_analysed(tiny_model, tmp_path):
    app = _noise_uploaded(tiny_model, tmp_path)
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert app.dataframe[0].value["row_id"].tolist() == ["mine_5", "mine_10"]


def test_corrupt_upload_is_one_line_error(tiny_model):
    app = _page(tiny_model)
    app.file_uploader[0].set_value(("broken.mp3", b"\x00" * 400, "audio/mpeg")).run()
    app.checkbox[0].uncheck().run()
    app.button[0].click().run()
    assert not app.exception
    message = app.error[0].value
    assert message.startswith("broken.mp3: cannot decode audio") and "\n" not in message


def test_a_place_switches_off_species_not_expected_there(tmp_path):
    """A model of two real species; at Ithaca in May the hoatzin gets probability 0."""
    from castlab.birds.classifier import save_cnn
    from castlab.birds.features import MelConfig
    from castlab.birds.model import BirdCNN, CnnConfig

    model = save_cnn(
        tmp_path / "model",
        BirdCNN(CnnConfig(2, channels=(4,))),
        ["black_capped_chickadee", "hoatzin"],
        MelConfig(n_mels=32, hop_length=640),
    )
    app = _page(model)
    app.slider[0].set_value(0.05).run()
    app.checkbox[1].check().run()
    app.number_input[2].set_value(20).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    table = app.dataframe[0].value
    assert (table["hoatzin"] == 0).all() and (table["black_capped_chickadee"] > 0).all()
    assert not table["birds"].str.contains("hoatzin").any()
    captions = " ".join(c.value for c in app.caption)
    assert "Range prior at 42.45, -76.48 (week 20): switched off hoatzin." in captions


def test_window_competition_damps_all_but_each_windows_top_species(tiny_model):
    app = _page(tiny_model)
    app.button[0].click().run()
    plain = app.dataframe[0].value
    app.slider[1].set_value(1.0).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    damped = app.dataframe[0].value
    species = [c for c in plain.columns if c not in ("row_id", "start", "end", "birds")]
    before, after = plain[species].to_numpy(), damped[species].to_numpy()
    assert (after <= before + 1e-4).all() and (after < before - 1e-4).any()
    np.testing.assert_allclose(after.max(1), before.max(1), atol=1e-4)


def test_thresholds_tuned_on_the_examples_labels(tiny_model):
    app = _page(tiny_model)
    app.checkbox[2].check().run()  # tune on the example's own labels
    app.radio[1].set_value("species").run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    said = " ".join(c.value for c in app.caption)
    assert "Thresholds tuned on the labels of 8 windows: micro F1 " in said
    assert any(b.label.startswith("Download thresholds.json") for b in app.get("download_button"))


def test_tuning_without_a_label_file_is_one_line_error(tiny_model, tmp_path):
    app = _noise_uploaded(tiny_model, tmp_path)
    app.checkbox[2].check().run()
    app.button[0].click().run()
    assert not app.exception
    message = app.error[0].value
    assert message.startswith("no label file uploaded") and "\n" not in message
    from castlab.birds.synthetic import make_species

    label = f"1.0\t4.0\t{make_species(4)[0].name}\n".encode()
    app.file_uploader[1].set_value(("mine.txt", label, "text/plain")).run()
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    said = [c.value for c in app.caption if c.value.startswith("Thresholds")]
    assert said and said[0].startswith("Thresholds tuned on the labels of 2 windows"), said


def _adapting(names: list[str], folder: Path) -> AppTest:
    """The page after analysing its example with an anchored head over ``names`` (made-up
    species: zero rows, a low bias) adapted to the example's own labels first."""
    from castlab.birds.anchored import AnchoredHead, birdnet_anchors

    W0, b0, index = birdnet_anchors(names)
    head = AnchoredHead(names, W0, b0 - 4.0, 1.0, birdnet_index=index).save(folder / "head")
    app = _page(head)
    app.checkbox[2].check().run()  # labels: the example's own
    app.checkbox[3].check().run()  # adapt the head to them first
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    return app


def test_a_birdnet_head_is_adapted_to_the_examples_labels_and_a_cnn_is_refused(
    tiny_model, tmp_path
):
    from castlab.birds.synthetic import make_species

    app = _adapting(sorted(s.name for s in make_species(4)), tmp_path)
    said = " ".join(c.value for c in app.caption)
    assert "Head adapted to the labels of 8 windows: micro F1 on windows held out" in said
    assert "Thresholds tuned on the labels" not in said  # not tuned again in sample
    pictures = [e.proto.imgs[0].caption for e in app.main if e.type == "image"]
    assert "Each species' F1 on windows held out" in pictures
    downloads = [b.label for b in app.get("download_button")]
    assert any(label.startswith("Download the adapted model") for label in downloads)
    cnn = _page(tiny_model)
    cnn.checkbox[2].check().run()
    cnn.checkbox[3].check().run()
    cnn.button[0].click().run()
    assert not cnn.exception
    message = cnn.error[0].value
    assert "the anchored head) can be adapted" in message and "\n" not in message


def test_adapting_names_species_the_head_lacks_and_learns_them_when_asked(tmp_path):
    from castlab.birds.synthetic import make_species, write_soundscape

    _, labels = write_soundscape(  # the page's example, to know which species it labels
        tmp_path / "example.wav", make_species(4), seconds=40.0, calls=6, seed=3
    )
    labelled = sorted({line.split("\t")[2].strip() for line in labels.read_text().splitlines()})
    lacking = labelled[-1]
    app = _adapting(sorted(s.name for s in make_species(4) if s.name != lacking), tmp_path)
    warned = " ".join(w.value for w in app.warning)
    assert (
        f"species the model does not know, not learnt (a window holding only them counts as background): {lacking}."
        in warned
    )
    app.checkbox(key="birds-new-species").check().run()  # ... and learn the ones it lacks
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert not app.warning
    said = " ".join(c.value for c in app.caption)
    assert f"Added and learnt from these labels alone: {lacking}." in said


def test_a_birdnet_head_is_self_trained_on_the_recording_first(tmp_path):
    """Self-training (castlab birds selftrain) from the page: the head labels the example's
    windows itself, 3 rounds; the example's labels only choose thresholds; the model comes
    as a download. It is offered with a model folder only, and not while adapting: ticking
    adapt unticks it."""
    from castlab.birds.anchored import AnchoredHead, birdnet_anchors
    from castlab.birds.synthetic import make_species

    names = sorted(s.name for s in make_species(4))
    W0, b0, index = birdnet_anchors(names)
    head = AnchoredHead(names, W0, b0 - 4.0, 1.0, birdnet_index=index).save(tmp_path / "head")
    plain = AppTest.from_file(str(PAGE), default_timeout=240)
    plain.run()
    assert plain.checkbox(key="birds-selftrain").disabled  # the page's own model: a CNN
    app = _page(head)
    app.checkbox(key="birds-use-labels").check().run()
    assert app.checkbox(key="birds-new-species").disabled  # for adapting only
    app.checkbox(key="birds-selftrain").check().run()
    app.checkbox(key="birds-adapt").check().run()  # unticks self-training, and greys it
    assert app.checkbox(key="birds-selftrain").disabled
    assert not app.checkbox(key="birds-selftrain").value
    assert not app.checkbox(key="birds-new-species").disabled
    app.checkbox(key="birds-adapt").uncheck().run()
    assert not app.checkbox(key="birds-selftrain").value  # stays unticked
    app.button[0].click().run()  # labels only first: the tick below must make a new result
    app.checkbox(key="birds-selftrain").check().run()
    assert any("earlier recording or settings" in c.value for c in app.caption)
    app.button[0].click().run()
    assert not app.exception and not app.error, (app.exception, app.error)
    said = " ".join(c.value for c in app.caption)
    assert (
        "Head self-trained on this recording, 3 rounds (windows learnt per round: 8, 8, 8" in said
    )
    assert "Micro F1 on the labelled windows" in said
    assert "Thresholds tuned on the labels" not in said  # not tuned again in sample
    downloads = [b.label for b in app.get("download_button")]
    assert any(label.startswith("Download the self-trained model") for label in downloads)
