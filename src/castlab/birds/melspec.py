"""BirdNET's two mel spectrograms in numpy and scipy, and BirdNET's model without them.

BirdNET V2.4 turns each 3-s chunk into two mel spectrograms inside its own model (frames of
2048 and 1024 samples, a Hann window, the real part of the FFT, a mel filterbank, a power
law) and then runs its CNN on them. LiteRT runs that front end (its first 93 operators) on
built-in kernels, not on XNNPACK: on the 2-core AMD EPYC machines here it took about 29 ms of
a chunk's 44 ms. scipy's FFT and a matrix product do the same in a few milliseconds, so
castlab computes the spectrograms itself and gives them to the rest of the model.

The window, filterbank and exponent are read from the model file; the frame steps follow
from the number of frames LiteRT's own front end makes of a probe signal, and the whole
result is checked against that front end when it is first built (:func:`split_front_end`
returns ``None`` where they disagree, and :class:`~castlab.birds.birdnet.BirdNET` then runs
its whole model). The FFT runs in float64, as LiteRT's kernel does, so the two agree to float
rounding, not bit for bit: on noise, a tone, clicks and digital silence BirdNET's embeddings
differed by at most 7e-6 and its scores by 1e-6 (``tests/birds/test_melspec.py``). (In
float32 the FFT's rounding noise on silent frames, raised to BirdNET's power law, moved the
embedding of an all-zero chunk by 0.1.)

Examples
--------
>>> front = split_front_end(shipped_model_bytes, [546, 545])  # doctest: +SKIP
>>> front.spectrograms(np.zeros((2, 144000), np.float32)).shape  # doctest: +SKIP
(2, 96, 511, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = ["MelFrontEnd", "split_front_end"]

#: The operator whose output is both spectrograms side by side: the CNN starts after it.
JOINED = "model/concatenate/concat"
#: Largest difference from LiteRT's own front end accepted, relative to the spectrogram's peak
TOLERANCE = 1e-3


@dataclass(frozen=True)
class _Spectrogram:
    """One of BirdNET's two mel spectrograms: ``length``-sample frames every ``step``."""

    length: int
    step: int
    window: np.ndarray  # (length,)
    filterbank: np.ndarray  # (mel bands, length // 2 + 1)
    power: float

    def of(self, signal: np.ndarray, frames: int) -> np.ndarray:
        """``(N, mel bands, frames)`` for normalised chunks ``(N, samples)``."""
        import scipy.fft
        from numpy.lib.stride_tricks import sliding_window_view

        framed = sliding_window_view(signal, self.length, axis=1)[:, :: self.step][:, :frames]
        # in float64, as LiteRT's RFFT2D kernel, then back to float32 (BirdNET: the real part)
        windowed = (framed * self.window).astype(np.float64)
        spectrum = scipy.fft.rfft(windowed, axis=-1).real.astype(np.float32)
        mel = spectrum @ self.filterbank.T
        mel = (mel * mel) ** np.float32(self.power)
        return mel[:, :, ::-1].transpose(0, 2, 1)


@dataclass(frozen=True)
class MelFrontEnd:
    """BirdNET's front end outside LiteRT: :meth:`spectrograms` of chunks, and ``back_end``,
    the model from the CNN on (a TFLite flatbuffer whose input is tensor ``input_tensor``)."""

    spectrogram_parts: tuple[_Spectrogram, ...]
    frames: int
    back_end: bytes
    input_tensor: int

    @property
    def input_shape(self) -> list[int]:
        """The back end's input for one chunk: ``[1, mel bands, frames, spectrograms]``."""
        bands = self.spectrogram_parts[0].filterbank.shape[0]
        return [1, bands, self.frames, len(self.spectrogram_parts)]

    def spectrograms(self, chunks: np.ndarray) -> np.ndarray:
        """``(N, 96, frames, 2)`` float32 for 3-s chunks ``(N, samples)`` at 48 kHz: each
        chunk scaled to -1..1 by its own minimum and maximum first, as BirdNET does."""
        signal = np.asarray(chunks, dtype=np.float32)
        signal = signal - signal.min(axis=1, keepdims=True)
        signal = signal / (signal.max(axis=1, keepdims=True) + np.float32(1e-6))
        signal = (signal - np.float32(0.5)) * np.float32(2.0)
        parts = [part.of(signal, self.frames) for part in self.spectrogram_parts]
        return np.ascontiguousarray(np.stack(parts, axis=-1), dtype=np.float32)


def split_front_end(
    model: bytes, outputs: list[int], *, samples: int = 144_000
) -> MelFrontEnd | None:
    """BirdNET's ``model`` (TFLite bytes) split after its spectrograms, the back end giving
    ``outputs`` (tensor indices); ``None`` when the model is not laid out as BirdNET V2.4 or
    the spectrograms computed here differ from LiteRT's own on a probe signal."""
    tree = _read(model)
    graph = tree.subgraphs[0]
    names = [t.name.decode() for t in graph.tensors]
    ops = graph.operators
    joined = next(
        (k for k, op in enumerate(ops) if len(op.outputs) == 1 and names[op.outputs[0]] == JOINED),
        None,
    )
    if joined is None:
        return None
    split = int(ops[joined].outputs[0])
    made_before = {int(t) for op in ops[: joined + 1] for t in op.outputs}
    if any(int(t) in made_before - {split} for op in ops[joined + 1 :] for t in op.inputs):
        return None  # the CNN reads something else of the front end: no clean split
    try:
        found = [_spectrogram_constants(tree, names, k) for k in (1, 2)]
    except (StopIteration, ValueError):
        return None
    probe = _probe(samples)
    graph.operators, graph.outputs = ops[: joined + 1], [split]  # the model cut after them
    reference = _run_front(_write(tree), int(graph.inputs[0]), split, probe)
    frames = reference.shape[2]
    parts = tuple(
        _Spectrogram(len(window), (samples - len(window)) // (frames - 1), window, bank, power)
        for window, bank, power in found
    )
    front = MelFrontEnd(parts, frames, b"", split)
    mine = front.spectrograms(probe)
    if mine.shape != reference.shape or np.abs(mine - reference).max() > TOLERANCE * max(
        1.0, float(np.abs(reference).max())
    ):
        return None
    graph.operators = ops[joined + 1 :]  # the model from the CNN on
    graph.inputs, graph.outputs = [split], list(outputs)
    graph.tensors[split].shape = np.array(front.input_shape, dtype=np.int32)
    graph.tensors[split].shapeSignature = None
    return replace(front, back_end=_write(tree))


def _read(model: bytes) -> Any:
    from ai_edge_litert import schema_py_generated as schema

    return schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))


def _write(tree: Any) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(tree.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _spectrogram_constants(
    tree: Any, names: list[str], k: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Window, filterbank and exponent of BirdNET's ``MEL_SPEC{k}`` layer, read by name."""
    graph = tree.subgraphs[0]
    prefix = f"model/MEL_SPEC{k}/"

    def constant_input(output_name: str, *, exact: bool = True) -> np.ndarray:
        op = next(
            op
            for op in graph.operators
            if op.outputs.size == 1
            and (
                names[op.outputs[0]] == prefix + output_name
                if exact
                else names[op.outputs[0]].startswith(prefix + output_name)
            )
        )
        for t in op.inputs:
            data = tree.buffers[graph.tensors[t].buffer].data if t >= 0 else None
            if data is not None and len(data):
                shape = graph.tensors[t].shape
                return np.frombuffer(bytes(data), dtype=np.float32).reshape(shape).copy()
        raise ValueError(f"{prefix}{output_name} has no constant input")

    window = constant_input("stft/mul")
    bank = constant_input("Tensordot/MatMul", exact=False)
    power = float(constant_input("Pow_1").ravel()[0])
    if window.ndim != 1 or bank.ndim != 2 or bank.shape[1] != len(window) // 2 + 1:
        raise ValueError(f"{prefix}: unexpected shapes {window.shape}, {bank.shape}")
    return window, bank, power


def _probe(samples: int) -> np.ndarray:
    """One chunk to check against: a rising chirp in noise (deterministic)."""
    t = np.arange(samples, dtype=np.float64) / 48_000
    chirp = 0.3 * np.sin(2 * np.pi * (1500 * t + 900 * t**2))
    noise = np.random.default_rng(0).normal(0, 0.02, samples)
    return (chirp + noise).astype(np.float32)[None]


def _run_front(front: bytes, input_tensor: int, split: int, probe: np.ndarray) -> np.ndarray:
    """LiteRT's own spectrograms of ``probe``: ``front`` is the model cut after them."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=front, num_threads=1)
    interpreter.resize_tensor_input(input_tensor, list(probe.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_tensor, probe)
    interpreter.invoke()
    return np.array(interpreter.get_tensor(split))
