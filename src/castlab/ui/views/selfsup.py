"""Self-supervised page: a pretext task's input/target live, and classifying an image."""

from contextlib import contextmanager
from typing import Any

import streamlit as st

from castlab.ui.common import kept_uploader, save_upload, work_dir
from castlab.ui.results import Progress, input_key, last_result, run_action

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")

st.title("Self-supervised images")
st.caption(
    "Pretext tasks make their own labels from unlabelled images (e.g. grey, blurred regions "
    "to repaint); the trained encoder then learns a classifier from few labels."
)

upload = kept_uploader(
    "An image (or leave empty for a generated one)", key="selfsup-upload", types=SUFFIXES
)
task_name = st.selectbox(
    "Pretext task",
    ["greyblur", "grey", "inpaint", "rotation", "jigsaw", "simclr"],
    key="selfsup-task-name",
    persist_state="session",
)
size = st.slider("Size (pixels)", 32, 256, 128, 32, key="selfsup-size", persist_state="session")
run_folder = st.text_input(
    "Pretrain run folder for the output row (from `castlab selfsup pretrain`; empty: a tiny "
    "network trained here on generated shapes for the chosen repainting task)",
    value="",
    key="selfsup-run-folder",
    persist_state="session",
)
model_folder = st.text_input(
    "Fine-tuned model folder (model/ from `castlab selfsup finetune`; empty: a small demo model "
    "trained here on generated shapes)",
    value="",
    key="selfsup-model-folder",
    persist_state="session",
)


def _image_pixels(folder):
    import torch

    from castlab.selfsup.data import decode_image
    from castlab.selfsup.synthetic import generate_images

    if upload is None:
        pixels, _ = generate_images(1, size=size, n_classes=4, seed=7)
        return pixels, "generated circle"
    path = save_upload(upload, folder, suffixes=SUFFIXES)
    return torch.from_numpy(decode_image(path, size)).permute(2, 0, 1)[None], upload.name


@st.cache_resource(show_spinner="Training a tiny pretext network on generated shapes...")
def demo_pretext_run(task: str) -> str:
    import tempfile

    from castlab.core.training import TrainConfig
    from castlab.selfsup.data import load_images
    from castlab.selfsup.model import EncoderConfig
    from castlab.selfsup.synthetic import write_image_folders
    from castlab.selfsup.train import PretrainConfig, pretrain

    root = tempfile.mkdtemp(prefix="castlab-selfsup-pretext-")
    data = write_image_folders(f"{root}/data", per_class=1, unlabelled=256, size=32, n_classes=4)
    with _one_thread():
        pretrain(
            load_images(data, size=32),
            PretrainConfig(task=task, size=32, encoder=EncoderConfig(widths=(8, 16, 32, 64))),
            TrainConfig(max_epochs=6, batch_size=32, progress=False, checkpoint_every_steps=0),
            f"{root}/run",
        )
    return f"{root}/run"


@contextmanager
def _one_thread():
    """Tiny networks train faster on one thread, above all on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _pictures(batch) -> list:
    return [x.permute(1, 2, 0).float().clamp(0, 1).numpy() for x in batch]


#: What the first row of each task shows.
ROW_TITLES = {
    "rotation": "four random turns (the network names the turn)",
    "jigsaw": "four random orders of the quarters (the network names the order)",
    "simclr": "four random views, each paired with a second view of the same image",
}


def make_task_pictures(progress: Progress) -> dict[str, Any]:
    """The chosen task's inputs, the network's outputs for a repainting task, and targets."""
    import torch

    from castlab.core.errors import CastlabError
    from castlab.selfsup.plots import pretext_examples
    from castlab.selfsup.pretext import make_task

    task = make_task(task_name)
    network = None
    if task.head == "image":  # a repainting task: show the network's output
        from castlab.selfsup.train import load_pretext_network

        if not run_folder.strip():
            progress(0.1, "Training a tiny pretext network on generated shapes (once)...")
        run_task, network = load_pretext_network(run_folder.strip() or demo_pretext_run(task_name))
        if run_task != task_name:
            raise CastlabError(
                f"this run was trained for {run_task!r}, not {task_name!r}",
                fix=f"choose {run_task} or another run folder",
            )
    with work_dir() as folder:
        pixels, name = _image_pixels(folder)
        images = (pixels.float() / 255.0).expand(4, -1, -1, -1).clone()
        inputs, outputs, targets = pretext_examples(task_name, images, network, seed=0)
    captions = ["input"] * 4
    if task.head == "classes":  # the labels the network learns: how each input was changed
        _, answers = task.make(images, torch.Generator().manual_seed(0))
        captions = task.describe(answers)
    return {
        "title": f"**{task_name}** on {name}: "
        + ROW_TITLES.get(task_name, "four random corruptions"),
        "inputs": (_pictures(inputs), captions),
        "outputs": None if outputs is None else _pictures(outputs),
        "targets": _pictures(targets) if task.head == "projection" else _pictures(targets[:1]),
        "target_caption": "second view" if task.head == "projection" else "the original",
        "source": "the run" if run_folder.strip() else "a tiny network trained on shapes",
    }


def show_task(result: dict[str, Any], current: bool) -> None:
    if not current:
        st.caption("These pictures are for an earlier task, image or run; press Show pretext task.")
    st.write(result["title"])
    pictures, captions = result["inputs"]
    st.image(pictures, width=160, caption=captions)
    if result["outputs"] is not None:
        source = result["source"]
        st.image(result["outputs"], width=160, caption=[f"output ({source})"] * 4)
        st.caption(f"Middle row: the output of {source}, repainting the input.")
    targets = result["targets"]
    st.image(targets, width=160, caption=[result["target_caption"]] * len(targets))


@st.cache_resource(show_spinner="Training a small demo model on generated shapes...")
def demo_model() -> str:
    import tempfile

    from castlab.core.training import TrainConfig
    from castlab.selfsup.data import load_images
    from castlab.selfsup.model import EncoderConfig
    from castlab.selfsup.synthetic import write_image_folders
    from castlab.selfsup.train import FinetuneConfig, finetune

    root = tempfile.mkdtemp(prefix="castlab-selfsup-demo-")
    data = write_image_folders(f"{root}/data", per_class=40, unlabelled=0, size=32, n_classes=4)
    with _one_thread():
        result = finetune(
            load_images(data, size=32),
            FinetuneConfig(size=32, encoder_shape=EncoderConfig(widths=(8, 16, 32, 64))),
            TrainConfig(
                max_epochs=10, batch_size=32, lr=5e-3, progress=False, checkpoint_every_steps=0
            ),
            f"{root}/run",
        )
    return str(result.run_dir / "model")


def classify(progress: Progress) -> dict[str, Any]:
    from castlab.selfsup.features import classify_files

    with work_dir() as folder:
        if upload is None:
            from PIL import Image

            from castlab.selfsup.synthetic import generate_images

            pixels, _ = generate_images(1, size=64, n_classes=4, seed=7)
            path = folder / "generated_circle.png"
            Image.fromarray(pixels[0].permute(1, 2, 0).numpy()).save(path)
        else:
            path = save_upload(upload, folder, suffixes=SUFFIXES)
        if not model_folder.strip():
            progress(0.1, "Training a small demo model on generated shapes (once per server)...")
        model = model_folder.strip() or demo_model()
        progress(0.8, "Classifying...")
        [(_, name, probability)] = classify_files(model, [path])
    return {"file": path.name, "class": name, "probability": float(probability)}


def show_class(result: dict[str, Any], current: bool) -> None:
    if not current:
        st.caption("This prediction is for an earlier image or model; press Classify.")
    st.success(f"Predicted class: {result['class']} (probability {result['probability']:.2f})")
    if not model_folder.strip():
        st.caption("Demo model: 4 generated shape classes (circle, square, triangle, stripes).")
    st.download_button(
        "Download the prediction (CSV)",
        f"file,class,probability\n{result['file']},{result['class']},{result['probability']:.4f}\n",
        "prediction.csv",
        "text/csv",
        on_click="ignore",
    )


left, right = st.columns(2)
task_key = input_key(upload, task_name, size, run_folder)
if left.button("Show pretext task", type="primary"):
    run_action("selfsup-task", task_key, make_task_pictures, label="Making the pretext task...")
task_shown = last_result("selfsup-task", task_key)
if task_shown is not None:  # kept, like the prediction, when another control changes
    show_task(*task_shown)
key = input_key(upload, model_folder)
if right.button("Classify"):
    run_action("selfsup", key, classify, label="Classifying...")
shown = last_result("selfsup", key)
if shown is not None:
    show_class(*shown)
