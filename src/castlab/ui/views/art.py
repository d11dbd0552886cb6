"""Art page: pick or upload an image, a parameterisation and goals; watch it converge live."""

from pathlib import Path
from typing import Any

import streamlit as st

from castlab.ui.common import kept_uploader, save_upload, work_dir
from castlab.ui.results import Progress, input_key, last_result, run_action

st.title("Art")
st.caption(
    "Images made by optimisation, with the same code as `castlab art paint`: a "
    "parameterisation is updated step by step until the picture meets weighted goals."
)

#: Setting name (CLI option) -> the control that sets it on this page.
CONTROLS = {
    "goal": "Goals",
    "size": "Size (pixels)",
    "steps": "Steps",
    "strokes": "Brush strokes",
    "target": "Copy a target image, with a Target image",  # the images a goal may need
    "content": "Style transfer, with a Content image",
    "style": "Style transfer, with a Style image",
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
SOURCES = ["sample:china", "sample:flower", "upload", "path on this machine"]


def _image_inputs(label: str, index: int):  # type: ignore[no-untyped-def]
    """An image's source, and the uploader or path box only when that source is chosen (an
    uploader shown beside a chosen sample looked used, and was not). Each keeps its value
    when the visitor leaves the page and comes back."""
    key = "art-" + label.lower().replace(" ", "-")
    source = st.selectbox(label, SOURCES, index=index, key=key, persist_state="session")
    upload = typed = None
    if source == "upload":
        upload = kept_uploader(f"{label} upload", key=f"{key}-upload", types=IMAGE_SUFFIXES)
    elif source == "path on this machine":
        typed = st.text_input(f"{label} path", key=f"{key}-path", persist_state="session")
    return source, upload, typed or ""


mode = st.radio(
    "What to make",
    ["Copy a target image", "Style transfer"],
    horizontal=True,
    key="art-mode",
    persist_state="session",
)
style_mode = mode == "Style transfer"
left, right = st.columns(2)
with left:
    first_label = "Content image" if style_mode else "Target image"
    first_source, first_upload, first_path = _image_inputs(first_label, 0)
with right:
    if style_mode:
        second_source, second_upload, second_path = _image_inputs("Style image", 1)
    # each of the two modes has its own parameterisation and goals (and defaults)
    param = st.selectbox(
        "Parameterisation",
        ["pixels", "fourier", "siren", "cppn", "strokes", "palette"],
        index=0 if style_mode else 1,
        key=f"art-param-{style_mode}",
        persist_state="session",
    )
    default_goals = "content=1, style=5" if style_mode else "mse=1"
    goals_text = st.text_input(
        "Goals (name=weight, comma-separated)",
        value=default_goals,
        key=f"art-goals-{style_mode}",
        persist_state="session",
    )
size = st.slider("Size (pixels)", 32, 256, 96, 16, key="art-size", persist_state="session")
steps = st.slider("Steps", 10, 500, 100, 10, key="art-steps", persist_state="session")
strokes = st.slider(
    "Brush strokes (strokes only)", 10, 400, 100, 10, key="art-strokes", persist_state="session"
)


def _image(source: str, upload, typed: str, folder: Path, role: str) -> str:  # type: ignore[no-untyped-def]
    from castlab.core.errors import CastlabError

    if source.startswith("sample:"):
        return source
    if source == "upload":
        if upload is None:
            raise CastlabError(f"no {role} image uploaded", fix="upload one or pick a sample")
        return str(save_upload(upload, folder, suffixes=IMAGE_SUFFIXES))
    if not typed.strip():
        raise CastlabError(f"no {role} image path given", fix="type a path or pick a sample")
    return typed.strip()


def paint_page(progress: Progress) -> dict[str, Any]:
    from castlab.art.goals import parse_goal
    from castlab.art.optimise import Step
    from castlab.art.run import ArtConfig, paint

    goals = tuple(parse_goal(part) for part in goals_text.split(",") if part.strip())
    if any(name == "clip" for name, _ in goals):
        from castlab.core.errors import CastlabError

        raise CastlabError(
            "the clip goal needs a text prompt and a CLIP model folder, which this page does "
            "not take",
            fix="use castlab art paint --prompt TEXT --clip-model FOLDER, or other goals here",
        )
    with work_dir() as folder:
        first = _image(
            first_source, first_upload, first_path, folder, first_label.split()[0].lower()
        )
        images = {"content": first} if style_mode else {"target": first}
        if style_mode:
            images["style"] = _image(second_source, second_upload, second_path, folder, "style")
        config = ArtConfig(
            param=param,
            goals=goals,
            init="content" if style_mode and param in ("pixels", "fourier") else None,
            strokes=strokes,
            size=size,
            steps=steps,
            frames=min(steps, 30),
            **images,
        )
        live = st.empty()

        def show(state: Step) -> None:  # every step: a point where Cancel stops the run
            progress(state.step / state.steps, f"step {state.step}: loss {state.loss:.4g}")
            if state.frame is not None:
                live.image(state.frame, caption=f"step {state.step}", width=320)

        notes: list[str] = []
        result = paint(config, folder / "run", report=notes.append, callback=show)
        live.empty()
        files = {
            name: result.paths[name].read_bytes() for name in ("image", "gif", "config", "loss")
        }
    return {"notes": notes, "summary": result.summary, "files": files}


def show_result(result: dict[str, Any], current: bool) -> None:
    if not current:
        st.caption("This picture is from earlier settings; press Paint to update it.")
    for note in result["notes"]:
        st.info(note)
    files = result["files"]
    st.image(files["image"], caption="best image", width=320)
    summary = result["summary"]
    line = f"Best loss {summary['best_loss']:.4g} at step {summary['best_step']}"
    if "psnr" in summary:
        line += f"; PSNR {summary['psnr']:.2f} dB, SSIM {summary['ssim']:.3f} against the target"
    st.success(f"{line} ({summary['steps_per_second']:.1f} steps/s).")
    st.image(files["loss"], caption="Loss per step")
    st.download_button("Download PNG", files["image"], "art.png", "image/png", on_click="ignore")
    st.download_button("Download GIF", files["gif"], "art.gif", "image/gif", on_click="ignore")
    st.download_button("Download config (JSON)", files["config"], "config.json", on_click="ignore")


key = input_key(
    mode,
    first_source,
    first_upload,
    first_path,
    second_source if style_mode else None,
    second_upload if style_mode else None,
    second_path if style_mode else None,
    param,
    goals_text,
    size,
    steps,
    strokes,
)
if st.button("Paint", type="primary"):
    run_action("art", key, paint_page, controls=CONTROLS, label="Painting...")
shown = last_result("art", key)
if shown is not None:
    show_result(*shown)
