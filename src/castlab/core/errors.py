"""The castlab error type: a user mistake, said in one line with where it is and how to fix it.

A fix that is "change this setting" is given once, as a :class:`Fix` naming the setting
(the config field / CLI option, e.g. ``drop``); the CLI says it as a flag (``pass --drop
uniqueid``) and a page says it as its control (``add 'uniqueid' to Columns to drop``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

__all__ = [
    "CastlabError",
    "Fix",
    "first_line",
    "require_at_least",
    "require_between",
    "require_sizes",
]

#: What a :class:`Fix` asks of the setting.
FixAction = Literal["add", "turn_on", "choose", "set", "give", "name", "leave_out"]


@dataclass(frozen=True)
class Fix:
    """A fix that changes one setting, phrased by whoever shows it (CLI flag or page control).

    Parameters
    ----------
    setting:
        The setting's name as in the config and the CLI option (``fill_missing`` is
        ``--fill-missing``).
    action:
        ``add`` a value to a list, ``turn_on`` a switch, ``choose`` one of ``choices``, ``set``
        it to ``value``, ``give`` a file or value for it, ``name`` a column in it,
        ``leave_out`` (unset) it.
    value:
        The value to add or set.
    choices:
        The values to choose from.
    template:
        Words around the phrase: ``{}`` is replaced by it (e.g. ``"fill it, or {}"``).
    option:
        The CLI option when it is not the setting's name (``--group`` sets ``location``).

    Examples
    --------
    >>> fix = Fix("drop", "add", value="uniqueid")
    >>> fix.for_cli(), fix.for_page("Columns to drop")
    ('pass --drop uniqueid', "add 'uniqueid' to Columns to drop")
    >>> Fix("fill_missing", "turn_on", template="fill it, or {}").for_page("Fill missing numbers")
    "fill it, or tick 'Fill missing numbers'"
    """

    setting: str
    action: FixAction = "set"
    value: str | None = None
    choices: tuple[str, ...] = ()
    template: str = "{}"
    option: str | None = None

    @property
    def flag(self) -> str:
        """The CLI option, e.g. ``--fill-missing``."""
        return self.option or "--" + self.setting.replace("_", "-")

    def for_cli(self) -> str:
        """The fix as a command-line user reads it."""
        flag, value = self.flag, self.value
        phrase = {
            "add": f"pass {flag} {value}",
            "turn_on": f"pass {flag}",
            "choose": f"choose {flag} from: {', '.join(self.choices)}",
            "set": f"pass {flag} {value}",
            "give": f"pass {flag}" + (f" {value}" if value else ""),
            "name": f"name it with {flag} COLUMN",
            "leave_out": f"leave out {flag}",
        }[self.action]
        return self.template.format(phrase)

    def for_page(self, control: str) -> str:
        """The fix as a page visitor reads it; ``control`` is the control's label."""
        value = self.value
        phrase = {
            "add": f"add '{value}' to {control}",
            "turn_on": f"tick '{control}'",
            "choose": f"choose {control} from: {', '.join(self.choices)}",
            "set": f"set {control} to {value}",
            "give": f"use {control}" + (f" ({value})" if value else ""),
            "name": f"type its name in {control}",
            "leave_out": f"clear {control}",
        }[self.action]
        return self.template.format(phrase)


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

    A fix that names a setting reads as a flag here and as a control on a page:

    >>> error = CastlabError("looks like an identifier", fix=Fix("drop", "add", value="id"))
    >>> str(error), error.phrased({"drop": "Columns to drop"})
    ('looks like an identifier (fix: pass --drop id)', "looks like an identifier (fix: add 'id' to Columns to drop)")
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        fix: str | Fix | None = None,
    ) -> None:
        self.message = message
        #: The structured fix when it names a setting (``fix`` is then its CLI phrasing).
        self.setting_fix = fix if isinstance(fix, Fix) else None
        if isinstance(fix, Fix):
            fix = fix.for_cli()
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        return self._text(self.fix)

    def at(self, path: str | Path, *, fix: str | None = None) -> CastlabError:
        """This error said of ``path`` when it names no file yet (a setting's own check,
        raised while a saved config is read), with ``fix`` instead of its own if given.

        >>> str(CastlabError("blocks 0: too few", fix="use 1 or more").at("m/config.json"))
        'm/config.json: blocks 0: too few (fix: use 1 or more)'
        """
        if self.path is not None:
            return self
        own = self.setting_fix or self.fix
        return CastlabError(
            self.message, path=path, line=self.line, column=self.column, fix=fix or own
        )

    def phrased(self, controls: Mapping[str, str]) -> str:
        """The error in one line with the fix phrased for a page.

        ``controls`` maps a setting name to the label of the page control that sets it; a
        setting without a control keeps the CLI phrasing.
        """
        fix = self.setting_fix
        if fix is None or fix.setting not in controls:
            return str(self)
        return self._text(fix.for_page(controls[fix.setting]))

    def _text(self, fix: str | None) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = where + self.message
        if fix:
            text += f" (fix: {fix})"
        return text


def require_at_least(flag: str, value: float, least: float) -> None:
    """Refuse ``flag``'s ``value`` below ``least`` in one line (a count of 0 or below that
    would make nothing, or fail deep inside a library).

    >>> require_at_least("--days", 3, 1)
    >>> try:
    ...     require_at_least("--days", 0, 1)
    ... except CastlabError as error:
    ...     print(error)
    --days 0: cannot be below 1 (fix: use 1 or more)
    """
    if value != value:  # nan compares false with everything, so would pass the test below
        raise CastlabError(f"{flag} {value}: not a number", fix=f"use {least} or more")
    if value < least:
        raise CastlabError(f"{flag} {value}: cannot be below {least}", fix=f"use {least} or more")


def require_between(flag: str, value: float, low: float, high: float, *, example: float) -> None:
    """Refuse ``flag``'s ``value`` unless ``low < value < high`` (a probability or share
    that must lie strictly inside its range), nan too.

    >>> require_between("--alpha", 0.05, 0, 1, example=0.05)
    >>> try:
    ...     require_between("--alpha", 1.5, 0, 1, example=0.05)
    ... except CastlabError as error:
    ...     print(error)
    --alpha 1.5: must lie between 0 and 1 (fix: use a value such as 0.05)
    """
    if not low < value < high:  # false for nan as well
        raise CastlabError(
            f"{flag} {value}: must lie between {low} and {high}",
            fix=f"use a value such as {example:g}",
        )


def require_sizes(settings: object, most: dict[str, int] | None = None) -> None:
    """Refuse a model setting that is not a whole number of at least 1, or is above its
    ``most`` (counts of layers or blocks: each becomes modules, so 10**9 of them would be
    built for minutes before anything could check them). ``settings``: a dataclass whose
    int fields are sizes.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Shape:
    ...     layers: int = 2
    ...     dim: int = 8
    >>> require_sizes(Shape(), {"layers": 64})
    >>> try:
    ...     require_sizes(Shape(layers=10**9), {"layers": 64})
    ... except CastlabError as error:
    ...     print(error)
    model setting layers 1000000000: must be a whole number from 1 to 64 (fix: use the value the model was built with)
    """
    most = most or {}
    for field in fields(settings):  # type: ignore[arg-type]
        if field.type not in ("int", int):
            continue
        value = getattr(settings, field.name)
        top = most.get(field.name)
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or value < 1 or (top is not None and value > top):
            span = f"from 1 to {top}" if top is not None else "of at least 1"
            raise CastlabError(
                f"model setting {field.name} {value!r}: must be a whole number {span}"[:200],
                fix="use the value the model was built with",
            )


def first_line(error: BaseException, limit: int = 120) -> str:
    """A library error in a few words for a one-line message: its type and first line.

    >>> first_line(ValueError("bad header\\nTraceback ..."))
    'ValueError: bad header'
    >>> first_line(KeyError())
    'KeyError'
    """
    text = str(error).strip()
    return (
        f"{type(error).__name__}: {text.splitlines()[0][:limit]}" if text else type(error).__name__
    )
