"""Tunes page: pick type, meter, key and temperature; generate; see, hear, download.

An uploaded ABC file can be the prompt (a tune's header and first bars are continued) or a
corpus: a small model is trained briefly on it here (``castlab tunes train --corpus FILE``
with a tiny network and few steps), then writes the tune.
"""

from fractions import Fraction
from pathlib import Path
from typing import Any

import streamlit as st

from castlab.ui.common import kept_uploader, save_upload, work_dir
from castlab.ui.results import Progress, input_key, last_result, run_action, zip_bytes

st.title("Tunes")
st.caption("An ABC language model that writes complete tunes with every bar the right length.")

ABC_SUFFIXES = (".abc", ".txt")
SHIPPED, PROMPT, CORPUS = (
    "the model shipped with castlab",
    "continue a tune from my ABC file (prompt)",
    "train a small model briefly on my ABC file (corpus)",
)
CONTROLS = {"prompt": "Bars of the tune to continue", "max_steps": "Training steps"}


@st.cache_resource
def load_model():  # type: ignore[no-untyped-def]
    from castlab.tunes.model import TuneModel

    return TuneModel.pretrained()


@st.cache_data(show_spinner="Reading the ABC file...", max_entries=4)
def read_tunes(name: str, data: bytes) -> tuple[list[Any], int]:
    """The tunes of an uploaded ABC file (and how many were skipped), as the CLI reads them."""
    from castlab.tunes.data import read_abc_text

    corpus = read_abc_text(data.decode("utf-8", errors="replace"), source=name)
    return list(corpus.tunes), len(corpus.skipped)


model = load_model()
mode = st.radio(
    "Write with",
    [SHIPPED, PROMPT, CORPUS],
    horizontal=True,
    key="tunes-mode",
    persist_state="session",
)
upload = None
chosen_tune = None
bars = 2
steps = 300
if mode != SHIPPED:
    upload = kept_uploader("ABC file (one or more tunes)", key="tunes-upload", types=ABC_SUFFIXES)
    if upload is not None:
        tunes, skipped = read_tunes(upload.name, upload.getvalue())
        st.caption(
            f"{len(tunes)} tune{'' if len(tunes) == 1 else 's'} read from {upload.name}"
            + (f"; {skipped} skipped (no body or unreadable header)" if skipped else "")
        )
        if mode == PROMPT and tunes:
            titles = [
                f"{i + 1}. {t.title or '(untitled)'} ({t.rhythm or 'no type'}, K:{t.key})"
                for i, t in enumerate(tunes[:500])
            ]
            picked = st.selectbox(
                "Tune to continue", titles, key="tunes-picked", persist_state="session"
            )
            chosen_tune = tunes[titles.index(picked)]
    if mode == PROMPT:
        bars = st.slider(CONTROLS["prompt"], 1, 8, 2, key="tunes-bars", persist_state="session")
    else:
        steps = st.slider(
            CONTROLS["max_steps"],
            50,
            2000,
            300,
            50,
            help="A tiny LSTM learns from scratch on your file (castlab has no fine-tuning of "
            "the shipped model); more steps, better tunes, longer wait.",
            key="tunes-steps",
            persist_state="session",
        )
left, right = st.columns(2)
rhythm = left.selectbox(
    "Type",
    ["(model chooses)", *model.header_values("R")],
    index=0,
    key="tunes-rhythm",
    persist_state="session",
)
meter = left.selectbox(
    "Meter",
    ["(model chooses)", *model.header_values("M")],
    index=0,
    key="tunes-meter",
    persist_state="session",
)
key_choice = left.selectbox(
    "Key",
    ["(model chooses)", *model.header_values("K")],
    index=0,
    key="tunes-key-choice",
    persist_state="session",
)
if rhythm != "(model chooses)" and meter != "(model chooses)":
    from castlab.tunes.generate import unusual_meter

    if note := unusual_meter(rhythm, meter):
        left.warning(f"Note: {note}.")
dotting = left.selectbox(
    "Dotting",
    ["(model chooses)", *model.header_values("N")],
    index=0,
    help="dotted: the dotted rhythm written out, as some books write hornpipes; plain: left "
    "to the player. Models trained before the N: code know neither.",
    key="tunes-dotting",
    persist_state="session",
)
own_temperature = right.checkbox(
    "The model's temperature for the type",
    value=True,
    help="Temperatures stored with the model, by type: "
    + (", ".join(f"{k} {v:g}" for k, v in model.info.get("temperatures", {}).items()) or "none")
    + "; other types 0.7.",
    key="tunes-own-temperature",
    persist_state="session",
)
temperature = right.slider(
    "Temperature",
    0.1,
    1.5,
    0.7,
    0.05,
    disabled=own_temperature,
    key="tunes-temperature",
    persist_state="session",
)
seed = right.number_input(
    "Seed", min_value=0, value=0, step=1, key="tunes-seed", persist_state="session"
)
constrained = right.checkbox(
    "Constrained (complete AABB tunes)",
    value=True,
    key="tunes-constrained",
    persist_state="session",
)


def _chosen(value: str) -> str | None:
    return None if value.startswith("(") else value


def _opening(body: str, count: int, bar_units: Fraction | None = None) -> str:
    """The first ``count`` bars of a tune body, ending on a bar line.

    A pickup (a first bar shorter than ``bar_units``, units of L: in a bar) is kept and not
    counted: the decoder follows a pickup the prompt starts with.
    """
    import re

    from castlab.tunes.abc import abc_tokens
    from castlab.tunes.bars import measure_bars
    from castlab.tunes.generate import prompt_notation

    body = body.strip()
    bar_lines = r"\|+[:\]]?|:\|+"
    first = measure_bars(abc_tokens(body), bar_units=bar_units)[:1]
    pickup = bool(first and first[0].required is not None and first[0].duration < first[0].required)
    ends = [m.end() for m in re.finditer(bar_lines, body) if m.start() > 0]
    cut = ends[min(count + pickup, len(ends)) - 1] if ends else len(body)
    opening = prompt_notation(body[:cut])
    # the form (AABB, 8 bars a part) is the sampler's: the prompt keeps plain bar lines
    opening = re.sub(r":?\|+:?|\|\]", "|", opening.removeprefix("|:"))
    return "|:" + opening.lstrip("|")


def _train(path: Path, folder: Path, progress: Progress):  # type: ignore[no-untyped-def]
    """Train a tiny LSTM on ``path``, the progress bar moving (and Cancel acting) every step."""
    from castlab.core.training import StepProgress, TrainConfig
    from castlab.tunes.train import TunesTrainConfig, train_tunes

    config = TunesTrainConfig(
        corpus=(str(path),), dim=64, hidden=128, layers=1, seq_len=64, dropout=0.0
    )
    training = TrainConfig(
        max_epochs=10_000,
        max_steps=steps,
        batch_size=16,
        lr=3e-3,
        one_cycle=False,
        progress=False,
        checkpoint_every_steps=0,
        accelerator="cpu",
        seed=int(seed),
    )
    report = StepProgress(
        lambda step, total: progress(
            0.9 * step / total, f"Training on {path.name}: step {step} of {total}"
        )
    )
    return train_tunes(config, training, folder / "run", callbacks=[report])


def generate(progress: Progress) -> dict[str, Any]:
    from castlab.core.errors import CastlabError, Fix
    from castlab.tunes.generate import GenerateConfig, generate_tunes
    from castlab.tunes.render import write_outputs

    writer = model
    prompt = "|:"
    header = {
        "rhythm": _chosen(rhythm),
        "meter": _chosen(meter),
        "key": _chosen(key_choice),
        "dotting": _chosen(dotting),
    }
    with work_dir() as folder:
        if mode != SHIPPED:
            if upload is None:
                raise CastlabError(
                    "no ABC file uploaded", fix="upload an .abc file or use the shipped model"
                )
            path = save_upload(upload, folder, suffixes=ABC_SUFFIXES)
            if mode == CORPUS:
                writer = _train(path, folder, progress)
            else:
                if chosen_tune is None:
                    raise CastlabError("no tune with a body in the file", path=upload.name)
                prompt = _opening(chosen_tune.body, bars, chosen_tune.bar_units)
                header = {
                    **header,
                    "rhythm": header["rhythm"] or chosen_tune.rhythm or None,
                    "meter": header["meter"] or chosen_tune.meter,
                    "key": header["key"] or chosen_tune.key,
                    "unit": chosen_tune.unit,  # the prompt's note lengths are in its L:
                }
                if not prompt:
                    raise CastlabError(
                        "the tune's opening is empty", fix=Fix("prompt", "set", value="2")
                    )
        config = GenerateConfig(
            prompt=prompt,
            **header,
            seed=int(seed),
            temperature=None if own_temperature else temperature,
            constrained=constrained,
            length=200,
        )
        progress(0.9, "Writing a tune...")
        tune = generate_tunes(writer, config)[0].tune
        if mode == PROMPT and chosen_tune is not None and chosen_tune.title:
            from dataclasses import replace

            tune = replace(tune, title=f"{chosen_tune.title}, continued by castlab")
        progress(0.95, "Engraving and rendering audio...")
        files = write_outputs(tune, folder, f"tune-{seed}")
        contents = {
            path.name: path.read_bytes()
            for path in (files.abc, files.midi, files.wav, files.svg)
            if path is not None
        }
        svg = files.svg.read_text() if files.svg is not None else None
    return {
        "abc": tune.to_abc(),
        "prompt": prompt if mode == PROMPT else None,
        "svg": svg,
        "files": contents,
        "notes": files.notes,
        "trained": None if writer is model else writer.info,
    }


def show(result: dict[str, Any], current: bool) -> None:
    if not current:
        st.caption("This tune is from earlier settings; press Generate for a new one.")
    if result["trained"] is not None:
        info = result["trained"]
        st.info(
            f"Trained here: {info['steps']} steps on {info['tunes']['train']} tunes "
            f"({info['seconds']} s)."
        )
    if result["prompt"]:
        st.caption(f"Continued from: {result['prompt']}")
    st.code(result["abc"], language=None)
    svg = result["svg"]
    if svg is not None:
        st.image(svg[svg.find("<svg") :], caption="Sheet music (abcm2ps)")
    files = result["files"]
    wav = next((name for name in files if name.endswith(".wav")), None)
    if wav is not None:
        st.audio(files[wav], format="audio/wav")
    mimes = {
        ".abc": "text/vnd.abc",
        ".mid": "audio/midi",
        ".wav": "audio/wav",
        ".svg": "image/svg+xml",
    }
    columns = st.columns(len(files) + 1)
    for column, (name, content) in zip(columns, files.items()):
        column.download_button(
            f"Download {Path(name).suffix[1:].upper()}",
            content,
            file_name=name,
            mime=mimes.get(Path(name).suffix),
            on_click="ignore",
        )
    columns[-1].download_button(
        "Download all (ZIP)", zip_bytes(files), "tune.zip", "application/zip", on_click="ignore"
    )
    st.caption("; ".join(result["notes"]))


key = input_key(
    mode,
    upload,
    chosen_tune.source if chosen_tune is not None else None,
    bars,
    steps,
    rhythm,
    meter,
    key_choice,
    dotting,
    own_temperature,
    temperature,
    seed,
    constrained,
)
if st.button("Generate", type="primary"):
    label = "Reading the corpus and training..." if mode == CORPUS else "Writing a tune..."
    run_action("tunes", key, generate, controls=CONTROLS, label=label)
shown = last_result("tunes", key)
if shown is not None:
    show(*shown)
