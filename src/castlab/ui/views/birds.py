"""Birds page: upload a recording -> PCEN-SNR peaks, soundscape timeline, a player per detection."""

from typing import Any

import streamlit as st

from castlab.ui.common import example_box, kept_uploader, save_upload, work_dir
from castlab.ui.results import Progress, input_key, last_result, run_action

st.title("Birds")
st.caption(
    "Find and name bird calls: PCEN-SNR peaks, a classifier (the page's own small CNN on "
    "log-mel clips, or your model folder: a CNN or a head on BirdNET's embeddings), a "
    "timeline of 5-second windows with per-species thresholds."
)

AUDIO = (".wav", ".flac", ".ogg", ".mp3")
THREADS = 2  # BirdNET's, as the CLI's default: its interpreters side by side on 2 cores
upload = kept_uploader("A recording (WAV, FLAC, OGG or MP3)", key="birds-upload", types=AUDIO)
use_example = example_box(
    "Use a generated example soundscape (made-up species)",
    key="birds-example",
    given=upload is not None,
)
model_path = st.text_input(
    "Model folder from `castlab birds train` (empty: a small CNN trained here on made-up species)",
    value="",
    key="birds-model-path",
    persist_state="session",
)
threshold = st.slider(
    "Detection threshold (when the model has no thresholds.json)",
    0.05,
    0.95,
    0.5,
    help="One threshold for every species flags other birds and noise too (on the benchmark's "
    "soundscapes, 0.5 flagged 17% of the windows without a call). Thresholds tuned on a few "
    "labelled soundscapes: castlab birds soundscape MODEL site.wav --labels site.txt.",
    key="birds-threshold",
    persist_state="session",
)
competition = st.slider(
    "Window competition (0: off)",
    0.0,
    1.0,
    0.0,
    0.25,
    help="Damps every species below a window's top one, p*(p/top)^x: fewer second species "
    "flagged beside the right one where one or two species call at a time; not for choruses.",
    key="birds-competition",
    persist_state="session",
)
with st.expander("Location and season (BirdNET's range prior)"):
    use_place = st.checkbox(
        "Switch off species not expected at this place and week",
        key="birds-use-place",
        persist_state="session",
    )
    lat = st.number_input(
        "Latitude (decimal degrees)",
        -90.0,
        90.0,
        42.45,
        format="%.4f",
        key="birds-lat",
        persist_state="session",
    )
    lon = st.number_input(
        "Longitude (decimal degrees, east positive)",
        -180.0,
        180.0,
        -76.48,
        key="birds-lon",
        persist_state="session",
    )
    week = st.number_input(
        "Week of the year, 1-48 (4 a month); -1: the whole year",
        -1,
        48,
        -1,
        key="birds-week",
        persist_state="session",
    )
    prior_mode = st.radio(
        "Species below the range threshold are",
        ["filter", "weight"],
        format_func={"filter": "switched off", "weight": "scaled down"}.get,
        horizontal=True,
        key="birds-prior-mode",
        persist_state="session",
    )
    prior_threshold = st.number_input(
        "Range threshold (BirdNET's 0.03; lower keeps rarer species)",
        0.001,
        0.999,
        0.03,
        step=0.005,
        format="%.3f",
        key="birds-prior-threshold",
        persist_state="session",
    )
    st.caption(
        "BirdNET's range model says how likely each species is there and then. Species BirdNET "
        "does not know (such as the example's made-up ones) keep their probabilities."
    )


def _untick_self_training() -> None:
    """Adapting and self-training are one or the other: ticking adapt unticks self-training
    (its box is greyed while adapt is ticked)."""
    if st.session_state.get("birds-adapt"):
        st.session_state["birds-selftrain"] = False


with st.expander("Thresholds tuned on labels, speed"):
    use_labels = st.checkbox(
        "Tune per-species thresholds on labels of this recording (the example's own labels, "
        "or the file below)",
        key="birds-use-labels",
        persist_state="session",
    )
    adapt = st.checkbox(
        "BirdNET-head models: first adapt the head to these labels (castlab birds adapt)",
        disabled=not model_path.strip(),  # the page's own model is a CNN: nothing to adapt
        help="Needs the Model folder of a BirdNET head (castlab birds train --features birdnet). "
        "Refits the head on this recording's labelled windows, pulled towards the head as "
        "trained, with thresholds from out-of-fold scores. On the benchmark's soundscapes "
        "adapting on 24 labelled minutes per fold raised F1 at 10 dB from 0.720 to 0.814 "
        "(calls of the same recordings: a site-specific gain).",
        key="birds-adapt",
        persist_state="session",
        on_change=_untick_self_training,
    )
    self_training = st.checkbox(
        "BirdNET-head models: first self-train the head on this recording (castlab birds "
        "selftrain; no labels learnt)",
        disabled=not model_path.strip() or adapt,
        help="Needs the Model folder of a BirdNET head, and labels of this recording or the "
        "model's thresholds.json to choose thresholds. The head labels every window itself "
        "and is refitted on those labels, 3 rounds. On the benchmark's unlabelled "
        "soundscapes it raised F1 at 10 dB from 0.720 to 0.752: meant for many recordings of "
        "one site, so on one short recording it may gain nothing. Ticking adapt unticks "
        "it.",
        key="birds-selftrain",
        persist_state="session",
    )
    new_species = st.checkbox(
        "When adapting, also learn labelled species the head lacks",
        disabled=not model_path.strip() or not adapt,
        help="Adds them to the head (from BirdNET's own row where BirdNET knows the name) and "
        "learns them from these labels alone. On the benchmark a species left out of training "
        "and learnt this way reached F1 0.639 on average, against 0.358 for BirdNET's row.",
        key="birds-new-species",
        persist_state="session",
    )
    labels_upload = kept_uploader(
        "Labels (an Audacity label track, a Raven selection table or BirdCLEF's "
        "train_soundscape_labels.csv)",
        key="birds-labels",
        types=[".txt", ".csv", ".tsv"],
    )
    objective = st.radio(
        "Tune for",
        ["micro", "species"],
        format_func={
            "micro": "micro F1 of all species (nocall not credited)",
            "species": "each species' own F1",
        }.get,
        horizontal=True,
        key="birds-objective",
        persist_state="session",
    )
    chunk_hop = st.select_slider(
        "BirdNET-head models: seconds between the 3-s chunks of a window",
        [1.0, 2.0, 3.0],
        value=1.0,
        help="1 s scores 3 chunks per 5-s window, 2 s two, 3 s one (faster, fewer calls "
        "found: on the benchmark's soundscapes F1 0.720 / 0.734 / 0.670 at about 70x / 100x / "
        "150x real time on 2 cores). A CNN model scores whole windows and ignores this.",
        key="birds-chunk-hop",
        persist_state="session",
    )


@st.cache_resource(show_spinner="Training a small CNN on made-up species (about 30 s)...")
def demo_model() -> tuple[str, list]:
    import tempfile

    from castlab.birds.demo import build_demo_model

    folder, species = build_demo_model(tempfile.mkdtemp(prefix="castlab-birds-"))
    return str(folder), species


def analyse(progress: Progress) -> dict[str, Any]:
    import io
    from pathlib import Path

    import numpy as np
    import pandas as pd
    import soundfile as sf

    from castlab.birds.analyse import analyse_soundscapes, peaks_picture
    from castlab.birds.audio import load_audio
    from castlab.birds.classifier import load_classifier
    from castlab.birds.head import BirdNETHead
    from castlab.birds.prior import Place
    from castlab.core.artifacts import read_json
    from castlab.core.errors import CastlabError

    place = (
        Place(
            float(lat),
            float(lon),
            week=int(week),
            mode=prior_mode,
            threshold=float(prior_threshold),
        )
        if use_place
        else None
    )
    with work_dir() as folder:
        if use_example:
            from castlab.birds.synthetic import make_species, write_soundscape

            # the demo model's species (same generator and seed)
            path, labels = write_soundscape(
                folder / "example.wav", make_species(4), seconds=40.0, calls=6, seed=3
            )
        else:
            if upload is None:
                raise CastlabError("no recording uploaded", fix="upload audio or tick the example")
            path = save_upload(upload, folder, suffixes=AUDIO)
            load_audio(path, duration=1.0)  # a file that does not decode fails before training
            labels = None
            if use_labels:
                if labels_upload is None:
                    raise CastlabError(
                        "no label file uploaded",
                        fix="upload the recording's labels (Audacity, Raven or BirdCLEF CSV), or untick tuning",
                    )
                labels = save_upload(labels_upload, folder, suffixes=(".txt", ".csv", ".tsv"))
        if model_path.strip():
            model = Path(model_path.strip())
        else:
            progress(0.05, "Training a small CNN on made-up species (once per server)...")
            model = Path(demo_model()[0])
        progress(0.4, "Finding PCEN-SNR peaks...")
        picture, peaks = peaks_picture(path, folder / "peaks.png")
        adapted = None
        if adapt and use_labels and model_path.strip():
            from castlab.birds.adapt import adapt_model

            progress(0.5, "Adapting the head to the labels...")
            made = adapt_model(
                model,
                [path],
                [labels],
                folder / "adapted",
                objective=objective,
                new_species=new_species,
            )
            model, adapted = folder / "adapted", read_json(made["adaptation"])
            adapted["zip"] = _zipped(model)
            adapted["picture"] = made["picture"].read_bytes()
        trained = None
        if self_training and not adapt and model_path.strip():
            from castlab.birds.adapt import self_train_model

            progress(0.5, "Self-training the head on the recording...")
            made = self_train_model(
                model,
                [path],
                folder / "selftrained",
                labels=[labels] if use_labels and labels is not None else (),
                objective=objective,
                threads=THREADS,
            )
            model, trained = folder / "selftrained", read_json(made["selftraining"])
            trained["zip"] = _zipped(model)
        progress(0.6, "Scoring 5-second windows...")
        classifier = load_classifier(model)
        saved = model / "thresholds.json"
        # an adapted head brings thresholds tuned out of fold, a self-trained one thresholds
        # tuned on the labels already; tuning again on those windows would flatter it
        tune_on = [labels] if use_labels and adapted is None and trained is None else None
        files = analyse_soundscapes(
            [path],
            model,
            folder / "out",
            labels=tune_on,  # thresholds given with labels would be scored, not tuned
            thresholds=None if tune_on or saved.exists() else threshold,
            objective=objective,
            chunk_hop=chunk_hop if isinstance(classifier, BirdNETHead) else None,
            place=place,
            competition=competition,
            threads=THREADS,
        )
        timeline = next(p for name, p in files.items() if name.startswith("timeline_"))
        table = pd.read_csv(files["probabilities"])
        rate = classifier.sample_rate
        audio = load_audio(path, sample_rate=rate)
        clips = []
        for row in table[table["birds"] != "nocall"].head(10).itertuples():
            buffer = io.BytesIO()
            clip = audio[int(row.start * rate) : int(row.end * rate)]
            sf.write(buffer, np.asarray(clip), rate, format="WAV")
            clips.append(
                (
                    f"**{row.start:.0f}-{row.end:.0f} s**: "
                    + ", ".join(bird.replace("_", " ") for bird in row.birds.split()),
                    buffer.getvalue(),
                )
            )
        return {
            "peaks": (picture.read_bytes(), len(peaks)),
            "timeline": (timeline.name, timeline.read_bytes()),
            "table": table,
            "submission": files["submission"].read_bytes(),
            "probabilities": files["probabilities"].read_bytes(),
            "clips": clips,
            "prior": read_json(files["prior"]) if "prior" in files else None,
            "adapted": adapted,
            "selftrained": trained,
            "tuned": (
                (read_json(files["scores"]), files["thresholds"].read_bytes())
                if "scores" in files
                else None
            ),
        }


def _zipped(folder: Any) -> bytes:
    """The files of a model folder as a zip archive (for a download)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{folder.name}/{path.name}")
    return buffer.getvalue()


def show(result: dict[str, Any], current: bool) -> None:
    if not current:
        st.caption("These results are for an earlier recording or settings; press Analyse.")
    picture, count = result["peaks"]
    st.image(picture, caption=f"Spectrogram, PCEN-SNR curve and the {count} strongest peaks")
    name, timeline = result["timeline"]
    st.image(timeline, caption="Soundscape timeline: probability per species and 5-s window")
    if result["prior"] is not None:
        place, off = result["prior"]["place"], result["prior"]["switched_off"]
        st.caption(
            f"Range prior at {place['lat']:.2f}, {place['lon']:.2f} (week {place['week']}): "
            f"switched off {', '.join(off) or 'no species'}."
        )
    adapted = result.get("adapted")
    if adapted is not None:
        st.caption(
            f"Head adapted to the labels of {adapted['learnt_windows']} windows: micro F1 on "
            f"windows held out ({adapted['folds']} stretches of the recording) "
            f"{adapted['cross_fitted_micro_f1_before']:.3f} as trained, "
            f"{adapted['cross_fitted_micro_f1_after']:.3f} adapted; its thresholds come from "
            "out-of-fold scores."
        )
        if adapted.get("added_species"):
            st.caption(
                "Added and learnt from these labels alone: "
                + ", ".join(adapted["added_species"])
                + "."
            )
        if adapted.get("labels_the_model_lacks"):
            st.warning(
                "Labels of species the model does not know, not learnt (a window holding only "
                "them counts as background): "
                + ", ".join(adapted["labels_the_model_lacks"])
                + ". Tick 'also learn labelled species the head lacks' to learn them."
            )
        st.image(adapted["picture"], caption="Each species' F1 on windows held out")
        st.download_button(
            "Download the adapted model (zip: castlab birds soundscape adapted/ ...)",
            adapted["zip"],
            "adapted.zip",
            "application/zip",
            on_click="ignore",
        )
    trained = result.get("selftrained")
    if trained is not None:
        learnt = [r["windows"] for r in trained["rounds"]]
        said = (
            f"Head self-trained on this recording, {len(learnt)} rounds (windows learnt per "
            f"round: {', '.join(map(str, learnt))}; no label learnt)."
        )
        if "labelled_micro_f1_before" in trained:
            said += (
                f" Micro F1 on the labelled windows {trained['labelled_micro_f1_before']:.3f} "
                f"before, {trained['labelled_micro_f1_after']:.3f} after (thresholds tuned "
                "on them both times: optimistic)."
            )
        st.caption(said)
        st.download_button(
            "Download the self-trained model (zip: castlab birds soundscape selftrained/ ...)",
            trained["zip"],
            "selftrained.zip",
            "application/zip",
            on_click="ignore",
        )
    if result["tuned"] is not None:
        scores, thresholds = result["tuned"]
        st.caption(
            f"Thresholds tuned on the labels of {scores['windows']} windows: micro F1 "
            f"{scores['micro_f1_species_only']:.3f}, {scores['background_windows_flagged']:.1%} "
            "of the windows without a call flagged (tuned and scored on the same windows: "
            "optimistic; keep thresholds.json for other recordings of this site)."
        )
        st.download_button(
            "Download thresholds.json (castlab birds soundscape ... --thresholds thresholds.json)",
            thresholds,
            "thresholds.json",
            "application/json",
            on_click="ignore",
        )
    st.dataframe(result["table"], hide_index=True)
    left, middle, right = st.columns(3)
    left.download_button(
        "Download submission (CSV)", result["submission"], "submission.csv", on_click="ignore"
    )
    middle.download_button(
        "Download probabilities (CSV)",
        result["probabilities"],
        "probabilities.csv",
        "text/csv",
        on_click="ignore",
    )
    right.download_button(
        "Download the timeline (PNG)", timeline, name, "image/png", on_click="ignore"
    )
    if not result["clips"]:
        st.info("No window above its threshold.")
    for label, clip in result["clips"]:
        st.write(label)
        st.audio(clip, format="audio/wav")


key = input_key(
    "example" if use_example else upload,
    model_path,
    threshold,
    competition,
    (lat, lon, week, prior_mode, prior_threshold) if use_place else None,
    (labels_upload, objective, adapt, new_species) if use_labels else None,
    self_training and not adapt,
    chunk_hop,
)
if st.button("Analyse", type="primary"):
    run_action("birds", key, analyse, label="Analysing...")
shown = last_result("birds", key)
if shown is not None:
    show(*shown)
