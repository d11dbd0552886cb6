"""The castlab error type: a user mistake, said in one line with where it is and how to fix it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CastlabError"]


class CastlabError(ValueError):
    """A problem with the user's input or settings, not a bug in castlab.

    The CLI prints ``str(error)`` on one line and exits with code 2.

    Parameters
    ----------
    message:
        What is wrong.
    path, line, column:
        Where it is, when known (1-based line and column).
    fix:
        How to fix it.

    Examples
    --------
    >>> str(CastlabError("no K: field", path="tunes.abc", line=12, fix="add a K: line"))
    'tunes.abc:12: no K: field (fix: add a K: line)'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = where + self.message
        if self.fix:
            text += f" (fix: {self.fix})"
        return text
