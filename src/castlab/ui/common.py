"""Helpers every page uses: uploads that are checked and outlive leaving the page, and errors
shown as one clear message.

Examples
--------
>>> check_upload("data.csv", 10, suffixes=(".csv",), max_megabytes=5)
>>> check_upload("data.exe", 10, suffixes=(".csv",), max_megabytes=5)
Traceback (most recent call last):
...
castlab.core.errors.CastlabError: data.exe: this page takes .csv files (fix: upload a .csv file)
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from castlab.core.errors import CastlabError

__all__ = [
    "MAX_UPLOAD_MB",
    "KeptUpload",
    "check_upload",
    "example_box",
    "kept_uploader",
    "save_upload",
    "show_errors",
    "user_message",
    "work_dir",
]

#: Largest upload a page accepts, in megabytes (also the server's own limit).
MAX_UPLOAD_MB = 50
_WORK_PREFIX = "castlab-ui-"
#: Session-state entry with the copies :func:`kept_uploader` keeps, by uploader key.
_KEPT = "castlab-kept-uploads"


def check_upload(
    name: str, size: int, *, suffixes: tuple[str, ...], max_megabytes: int = MAX_UPLOAD_MB
) -> None:
    """Raise :class:`CastlabError` unless the file has an accepted suffix and size."""
    if not name.lower().endswith(suffixes):
        raise CastlabError(
            f"this page takes {', '.join(suffixes)} files",
            path=name,
            fix=f"upload a {' or '.join(suffixes)} file",
        )
    if size > max_megabytes * 1024 * 1024:
        raise CastlabError(
            f"file is {size / 1e6:.0f} MB, more than {max_megabytes} MB",
            path=name,
            fix="use the command line for large files",
        )
    if size == 0:
        raise CastlabError("file is empty (0 bytes)", path=name, fix="upload a file with content")


def save_upload(upload: Any, directory: Path, *, suffixes: tuple[str, ...]) -> Path:
    """Check a Streamlit ``UploadedFile`` and write it into ``directory``; return the path."""
    check_upload(upload.name, upload.size, suffixes=suffixes)
    path = Path(directory) / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


@dataclass(frozen=True)
class KeptUpload:
    """The copy of an uploaded file kept for the session; read like Streamlit's ``UploadedFile``.

    Examples
    --------
    >>> kept = KeptUpload("Train.csv", b"a,b;1,2")
    >>> kept.name, kept.size, kept.getvalue()[:3]
    ('Train.csv', 7, b'a,b')
    """

    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def getvalue(self) -> bytes:
        return self.data


def _forget(key: str) -> None:
    import streamlit as st

    st.session_state.get(_KEPT, {}).pop(key, None)


def kept_uploader(
    label: str,
    *,
    key: str,
    types: Sequence[str],
    multiple: bool = False,
    place: Any = None,
    **options: Any,
) -> Any:
    """A file uploader whose file stays when the visitor leaves the page and comes back.

    Streamlit empties a page's uploaders when another page is opened. This keeps a copy of
    the last upload in the session: back on the page, the uploader is empty but the copy is
    used, a caption names it, and a Forget button drops it. Uploading another file (or
    removing one from the uploader) replaces the copy; while the uploader is ``disabled`` the
    copy is kept but neither shown nor returned. Returns what ``st.file_uploader``
    returns (a list with ``multiple``), with :class:`KeptUpload` copies standing in.
    ``place``: a column or container to draw in (default: the page); ``options`` go to
    ``st.file_uploader`` (``help``, ``disabled``).
    """
    import streamlit as st

    place = place or st
    kept: dict[str, Any] = st.session_state.setdefault(_KEPT, {})
    uploaded = place.file_uploader(
        label,
        type=[suffix.lstrip(".") for suffix in types],
        key=key,
        accept_multiple_files=multiple,
        on_change=_forget,  # called for the visitor's own changes, not for leaving the page
        args=(key,),
        **options,
    )
    if uploaded:
        files = uploaded if multiple else [uploaded]
        kept[key] = [KeptUpload(file.name, file.getvalue()) for file in files]
        return uploaded
    if key not in kept or options.get("disabled"):  # a disabled uploader's copy waits
        return [] if multiple else None
    files = kept[key]
    if len(files) == 1:
        said = f"Using {files[0].name}, uploaded earlier (a file uploaded above replaces it)."
        forget = f"Forget {files[0].name}"
    else:
        names = ", ".join(file.name for file in files[:3]) + (", ..." if len(files) > 3 else "")
        said = (
            f"Using {len(files)} files uploaded earlier ({names}); files uploaded above "
            "replace them all."
        )
        forget = f"Forget these {len(files)} files"
    place.caption(said)
    place.button(forget, key=f"{key}-forget", on_click=_forget, args=(key,))
    return list(kept[key]) if multiple else kept[key][0]


def example_box(label: str, *, key: str, given: bool) -> bool:
    """A page's "use the generated example" checkbox: ticked by default while no file is
    ``given``. The visitor's tick is kept (leaving the page too) in two values, one while a
    file is given and one while none is, so an upload still unticks it by default."""
    import streamlit as st

    return st.checkbox(
        label,
        value=not given,
        key=f"{key}-{'with-file' if given else 'no-file'}",
        persist_state="session",
    )


def column_choice(
    where: Any, label: str, columns: list[str], *, key: str, guess: str | None
) -> Any:
    """A selectbox of a table's ``columns`` (in ``where``, e.g. a column of the page) whose
    choice is kept per set of columns: back to a file after the example (or another file),
    the column chosen for it is chosen again; a table not seen yet starts from ``guess``.
    (One widget value for every table would come back empty where its column is missing.)"""
    import streamlit as st

    from castlab.ui.results import input_key

    chosen: dict[str, Any] = st.session_state.setdefault(f"{key}-by-columns", {})
    table = input_key(columns)
    if st.session_state.get(key) not in columns:
        st.session_state[key] = chosen.get(table, guess)
    choice = where.selectbox(
        label,
        columns,
        placeholder=f"choose the {label.lower()}",
        key=key,
        persist_state="session",
    )
    chosen[table] = choice
    return choice


@contextmanager
def work_dir() -> Iterator[Path]:
    """A private temporary folder for one action's files (deleted afterwards)."""
    with tempfile.TemporaryDirectory(prefix=_WORK_PREFIX) as tmp:
        yield Path(tmp)


def user_message(error: CastlabError, controls: Mapping[str, str] | None = None) -> str:
    """The error in one line; a file in a :func:`work_dir` is named as the visitor knows it.

    ``controls`` maps setting names to the page's control labels, so a fix that names a
    setting says which control to change instead of a CLI flag.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.gettempdir()) / f"{_WORK_PREFIX}x1y2"
    >>> user_message(CastlabError("bad residue", path=folder / "pasted.fasta", line=2))
    'pasted.fasta:2: bad residue'
    >>> from castlab.core.errors import Fix
    >>> fix = Fix("drop", "add", value="id")
    >>> error = CastlabError("an identifier", path=folder / "a.csv", fix=fix)
    >>> user_message(error, {"drop": "Columns to drop"})
    "a.csv: an identifier (fix: add 'id' to Columns to drop)"
    >>> user_message(CastlabError(f"cannot open '{folder / 'a.wav'}'", path=folder / "a.wav"))
    "a.wav: cannot open 'a.wav'"
    """
    fix = error.setting_fix or error.fix
    parts = Path(error.path).parts if error.path is not None else ()
    inside = [i for i, part in enumerate(parts) if part.startswith(_WORK_PREFIX)]
    if inside:
        shown = str(Path(*parts[inside[-1] + 1 :])) if len(parts) > inside[-1] + 1 else "upload"
        error = CastlabError(
            error.message, path=shown, line=error.line, column=error.column, fix=fix
        )
    # a library's own words (e.g. a decoder's) may quote the upload's path in the work folder
    return re.sub(rf"[^\s'\"]*/{_WORK_PREFIX}[^/\s'\"]*/", "", error.phrased(controls or {}))


def show_errors(action: Callable[[], None], controls: Mapping[str, str] | None = None) -> None:
    """Run ``action``; show a user error as one message on the page, never a stack trace.

    ``controls``: setting name -> control label, to phrase fixes in the page's words.
    """
    import streamlit as st

    try:
        action()
    except CastlabError as error:
        st.error(user_message(error, controls))
    except Exception as error:  # the page stays up; the message names what failed
        st.error(f"Something went wrong: {type(error).__name__}: {error}")
