"""Saving and loading results safely: atomic writes, run folders, safetensors + JSON models.

Nothing here unpickles: model weights are safetensors, configs are JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import re
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from castlab.core.errors import CastlabError, first_line

__all__ = [
    "atomic_write",
    "build_for_weights",
    "check_output_file",
    "file_in_the_way",
    "load_model_weights",
    "output_file",
    "read_json",
    "record_outputs",
    "remove_stale_temporaries",
    "run_dir",
    "save_model",
    "write_json",
    "write_text",
]


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` and move it into place only on success.

    A crash or Ctrl-C part-way leaves the old file (or nothing), never half a file, and
    no empty folder that the write made for it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(p) as f:
    ...     _ = f.write("hello")
    >>> p.read_text()
    'hello'
    """
    path = Path(path)
    made = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        if os.path.exists(tmp):
            os.unlink(tmp)
        for folder in made:  # the innermost first, and only while empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise CastlabError(
                f"cannot write: {os.strerror(error.errno)}",
                path=path,
                fix="free some space or write the output to another disk",
            ) from None
        raise


#: what :func:`atomic_write` names its temporary files: ``.<name>.<8 random chars>.tmp``
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete the temporary files that writes into ``folder`` (and its subfolders) left
    when the process was killed mid-write (kill -9 gives no chance to clean up); return them.

    Only :func:`atomic_write`'s own names are touched; call it when a run starts in a folder,
    not while another process writes there.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / ".loss.png.k2x9_abc.tmp").write_bytes(b"half a PNG")
    >>> _ = (folder / "notes.tmp").write_text("the user's own")
    >>> [p.name for p in remove_stale_temporaries(folder)]
    ['.loss.png.k2x9_abc.tmp']
    >>> sorted(p.name for p in folder.iterdir())
    ['notes.tmp']
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = sorted(p for p in folder.rglob(".*.tmp") if _TEMPORARY.fullmatch(p.name))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


#: the file in an output folder that lists what each command's last run wrote there
OUTPUTS_RECORD = ".castlab-outputs.json"


def record_outputs(
    folder: str | Path, command: str, written: Iterable[str | Path | None]
) -> list[Path]:
    """Note the files ``command`` wrote into ``folder`` this run, and delete the ones its run
    before wrote there and this one did not (a timeline of a recording no longer scored, an
    MP4 where ffmpeg is now missing), so a rerun into the same folder leaves no stale result
    beside the new ones; return those deleted.

    Only files the same command recorded are touched: a user's own files, or another
    command's, never are.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a.png", "b.png", "mine.txt"):
    ...     _ = (folder / name).write_text("x")
    >>> record_outputs(folder, "demo", [folder / "a.png", folder / "b.png"])
    []
    >>> [p.name for p in record_outputs(folder, "demo", [folder / "a.png"])]
    ['b.png']
    >>> sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    ['a.png', 'mine.txt']
    """
    folder = Path(folder)
    record = folder / OUTPUTS_RECORD
    try:
        before = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
    except (ValueError, OSError):
        before = {}  # a damaged record: nothing is known to be stale
    before = before if isinstance(before, dict) else {}
    home = folder.resolve()
    files = [Path(p).resolve() for p in written if p is not None and Path(p).is_file()]
    names = sorted({str(p.relative_to(home)) for p in files if p.is_relative_to(home)})
    removed = []
    for name in before.get(command, []):
        path = folder / str(name)
        inside = path.resolve().is_relative_to(home)  # a record edited to point elsewhere
        if name not in names and inside and path.is_file():
            path.unlink()
            removed.append(path)
    write_json(record, {**before, command: names})
    return removed


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_write(path) as handle:
        handle.write(text)
    return Path(path)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` (dicts, lists, dataclasses, paths) as indented JSON, atomically."""
    return write_text(path, json.dumps(data, indent=2, default=_jsonable) + "\n")


#: the largest JSON file castlab reads (its configs, thresholds and summaries are far smaller)
MAX_JSON_BYTES = 64 * 2**20


def read_json(path: str | Path) -> Any:
    """Read a JSON file, with a clear error for a missing, broken, endless or huge file.

    Examples
    --------
    >>> read_json("/dev/zero")
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: /dev/zero: not a regular file (a device, pipe or folder) (fix: pass the JSON file castlab wrote)
    """
    path = Path(path)
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    if not path.is_file():  # a link to /dev/zero would be read for ever
        raise CastlabError(
            "not a regular file (a device, pipe or folder)",
            path=path,
            fix="pass the JSON file castlab wrote",
        )
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise CastlabError(
            f"{size / 2**20:.0f} MB is too large for a castlab JSON file",
            path=path,
            fix="pass the JSON file castlab wrote",
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CastlabError(
            f"not valid JSON: {error.msg}",
            path=path,
            line=error.lineno,
            column=error.colno,
            fix="pass the JSON file castlab wrote, or repair it",
        ) from None
    except UnicodeDecodeError as error:
        raise CastlabError(
            f"not UTF-8 text (byte {error.start})",
            path=path,
            fix="pass the JSON file castlab wrote, saved as UTF-8",
        ) from None


def file_in_the_way(path: str | Path) -> CastlabError:
    """The error for a file standing where a folder must be made (``--out photo.jpg`` for a
    run folder): said before the work by a command that can check, after it by the CLI.

    Examples
    --------
    >>> str(file_in_the_way("photo.jpg"))
    "photo.jpg: a file is there, a folder is needed (fix: name a new folder, or move 'photo.jpg' away)"
    """
    return CastlabError(
        "a file is there, a folder is needed",
        path=path,
        fix=f"name a new folder, or move {str(path)!r} away",
    )


def check_output_file(path: str | Path) -> None:
    """Refuse, before any work, a file that could not be written: a folder stands there, or
    a file stands where one of its folders must be made.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> blocker = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = blocker.write_text("mine")
    >>> try:
    ...     check_output_file(blocker / "scores.json")
    ... except CastlabError as error:
    ...     print(error.message)
    a file is there, a folder is needed
    """
    path = Path(path)
    if path.is_dir():
        raise CastlabError(
            "a folder is there, a file is needed",
            path=path,
            fix=f"name a file, e.g. {str(path / 'out.json')!r}",
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise file_in_the_way(parent)
            return


def output_file(out: str | Path, default: str) -> Path:
    """The file an ``--out`` for one file names: ``out`` itself, or ``default`` inside it when
    ``out`` is a folder already or a name without an extension (``dir/`` reaches the CLI
    as ``dir``, so a file named ``dir`` would surprise).

    Examples
    --------
    >>> output_file("mine.csv", "peaks.csv").as_posix()
    'mine.csv'
    >>> output_file("results", "peaks.csv").as_posix()
    'results/peaks.csv'
    """
    out = Path(out)
    return out / default if out.is_dir() or not out.suffix else out


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def run_dir(domain: str, name: str, *, root: str | Path = "runs") -> Path:
    """Return (and create) ``<root>/<domain>/<name>/``, the folder of one run.

    Examples
    --------
    >>> import tempfile
    >>> run_dir("tunes", "my run", root=tempfile.mkdtemp()).name
    'my-run'
    """
    safe = _UNSAFE.sub("-", name).strip("-.") or "run"
    path = Path(root) / domain / safe
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_model(
    directory: str | Path, tensors: Mapping[str, Any], config: Mapping[str, Any] | Any
) -> Path:
    """Save weights as ``model.safetensors`` and the config as ``config.json`` in ``directory``.

    Both files are written atomically. ``tensors`` is a state dict of torch tensors.
    """
    from safetensors.torch import save

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    contiguous = {key: value.detach().cpu().contiguous() for key, value in tensors.items()}
    with atomic_write(directory / "model.safetensors", "wb") as handle:
        handle.write(save(contiguous))
    write_json(directory / "config.json", config)
    return directory


def model_folder(directory: str | Path, inner: str = "model") -> Path:
    """The model folder a user meant: ``directory`` itself, or the ``inner`` folder of the run
    folder given (``runs/x`` for ``runs/x/model``).

    Examples
    --------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> (run / "model").mkdir(); _ = (run / "model" / "model.safetensors").write_bytes(b"")
    >>> model_folder(run) == run / "model"
    True
    """
    directory = Path(directory)
    if (
        not (directory / "model.safetensors").exists()
        and (directory / inner / "model.safetensors").exists()
    ):
        return directory / inner
    return directory


def build_for_weights(
    build: Callable[[], Any],
    state: Mapping[str, Any],
    folder: str | Path,
    *,
    optional: Collection[str] = (),
    fix: str = "pass the unchanged model folder castlab wrote",
) -> Any:
    """The network ``build()`` makes from a folder's ``config.json``, with the weights
    ``state`` loaded (strictly: only ``optional`` tensors, e.g. tied ones, may be absent).

    The network is first built on torch's meta device, which allocates nothing, and its
    tensors' shapes compared with the saved ones: a config.json whose sizes were changed
    (``hidden: 1000000000``) is a clear error, not gigabytes allocated before one. Any error
    ``build`` raises on a config of the wrong types or values is one line naming config.json.

    Examples
    --------
    >>> import tempfile, torch
    >>> state = {"weight": torch.ones(2, 3), "bias": torch.ones(2)}
    >>> folder = save_model(tempfile.mkdtemp(), state, {})
    >>> build_for_weights(lambda: torch.nn.Linear(3, 2), state, folder).out_features
    2
    >>> build_for_weights(lambda: torch.nn.Linear(3, 10**9), state, folder)
    Traceback (most recent call last):
    ...
    castlab.core.errors.CastlabError: ...: config.json and model.safetensors disagree: weight is [1000000000, 3] by the config and [2, 3] in the weights (fix: pass the unchanged model folder castlab wrote)
    """
    import torch

    folder = Path(folder)
    config = folder / "config.json"
    try:
        with torch.device("meta"):
            skeleton = build()
    except CastlabError as error:  # a config's own check (a size over its cap): name the file
        raise error.at(config) from None
    except Exception as error:  # KeyError, TypeError, ValueError ... of a foreign config
        raise CastlabError(
            f"config.json does not describe a model castlab can build ({first_line(error)})",
            path=config,
            fix=fix,
        ) from None
    shapes = {name: list(tensor.shape) for name, tensor in skeleton.state_dict().items()}
    for name, shape in shapes.items():
        if name in state and list(state[name].shape) != shape:
            raise CastlabError(
                f"config.json and model.safetensors disagree: {name} is {shape} by the config "
                f"and {list(state[name].shape)} in the weights",
                path=folder,
                fix=fix,
            )
    missing = [name for name in shapes if name not in state and name not in optional]
    extra = [name for name in state if name not in shapes]
    if missing or extra:
        raise CastlabError(
            f"weights do not match the config (missing {missing[:3]}, extra {extra[:3]})",
            path=folder,
            fix=fix,
        )
    network = build()  # the sizes are the saved weights': memory as the file holds
    network.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    return network


def load_model_weights(directory: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load ``(state_dict, config)`` saved by :func:`save_model`; never unpickles."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    directory = Path(directory)
    weights = directory / "model.safetensors"
    if not weights.exists():
        raise CastlabError(
            "no model.safetensors here",
            path=directory,
            fix="pass the model folder a castlab command wrote (its run folder's model/)",
        )
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError) as error:
        raise CastlabError(
            f"not a safetensors file ({str(error).splitlines()[0][:80]})",
            path=weights,
            fix="pass a model folder written by castlab; retrain if the file was cut short",
        ) from None
    for name, tensor in tensors.items():  # a NaN weight makes every answer NaN, silently
        if tensor.is_floating_point() and not bool(tensor.isfinite().all()):
            raise CastlabError(
                f"tensor {name!r} holds NaN or infinite values",
                path=weights,
                fix="retrain the model (its training diverged: try a lower --lr), or pass "
                "another model folder",
            )
    return tensors, read_json(directory / "config.json")
