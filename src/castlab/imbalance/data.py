"""Tables for imbalanced classification: load and check a CSV, or generate one with a known shift.

A table becomes an :class:`ImbalanceData`: a feature frame whose text columns are pandas
``category`` columns (every model here handles them natively or one-hot encodes them), an
integer class code per row, and the class names in code order.

Handling of awkward input (all raise :class:`~castlab.core.errors.CastlabError`, except where
said otherwise):

- a missing target column, a target with one class only, or a row without a target;
- an unknown ``positive`` label;
- a text column with so many distinct values that it looks like an identifier (pass it in
  ``drop``);
- a missing numeric feature value, unless ``fill_missing=True`` (then the column median);
- a missing text value is *not* an error: it becomes the category ``"(missing)"``.

Generated tables with a known shift live in :mod:`castlab.imbalance.synthetic`.

Examples
--------
>>> y = np.array([0] * 86 + [1] * 14)
>>> np.bincount(y[resample_to_prior(y, as_prior(0.5), rng=np.random.default_rng(0))]).tolist()
[14, 14]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from castlab.core.errors import CastlabError, Fix
from castlab.core.readers import read_csv

__all__ = [
    "MISSING_CATEGORY",
    "ImbalanceData",
    "as_prior",
    "identifier_columns",
    "load_table",
    "load_unlabelled",
    "resample_to_prior",
]

#: Category given to a missing value in a text column.
MISSING_CATEGORY = "(missing)"


@dataclass(frozen=True)
class ImbalanceData:
    """Features and labels of one table.

    Attributes
    ----------
    features:
        One row per example; text columns have the pandas ``category`` dtype.
    target:
        Class codes, shape ``(n_rows,)``, ``int64`` in ``0 .. len(classes) - 1``.
    classes:
        Class names in code order; for a binary task with a positive label it is last.
    target_name:
        Name of the target column.
    """

    features: pd.DataFrame
    target: np.ndarray
    classes: tuple[str, ...]
    target_name: str = "target"

    @property
    def categorical(self) -> tuple[str, ...]:
        """Names of the categorical feature columns."""
        return tuple(
            c
            for c in self.features.columns
            if isinstance(self.features[c].dtype, pd.CategoricalDtype)
        )

    @property
    def prior(self) -> np.ndarray:
        """Class frequencies, shape ``(n_classes,)``, summing to 1."""
        return np.bincount(self.target, minlength=len(self.classes)) / len(self.target)

    def subset(self, rows: np.ndarray) -> ImbalanceData:
        """Return the rows ``rows`` (integer positions) as a new :class:`ImbalanceData`."""
        return ImbalanceData(
            self.features.iloc[rows].reset_index(drop=True),
            self.target[rows],
            self.classes,
            self.target_name,
        )


def _is_text(column: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column))


def identifier_columns(frame: pd.DataFrame, *, max_categories: int = 1000) -> list[str]:
    """Columns that look like identifiers: the text columns :func:`load_table` would refuse
    (more than ``max_categories`` distinct values) and text columns unique in every row.

    A page proposes these as columns to drop.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["a", "b", "c"], "city": ["A", "A", "B"], "age": [1, 2, 3]})
    >>> identifier_columns(frame)
    ['id']
    """
    found = []
    for name in frame.columns:
        column = frame[name]
        if not _is_text(column):
            continue
        distinct = column.nunique(dropna=True)
        if distinct > max_categories or (len(frame) > 1 and distinct == len(frame)):
            found.append(str(name))
    return found


def load_table(
    path: str | Path,
    *,
    target: str,
    positive: str | None = None,
    drop: Sequence[str] = (),
    fill_missing: bool = False,
    max_categories: int = 1000,
) -> ImbalanceData:
    """Read a CSV file and check it for an imbalanced-classification experiment.

    Parameters
    ----------
    path:
        CSV file with a header row.
    target:
        Name of the label column (any values; two or more distinct ones).
    positive:
        For a binary target, the label of the positive class (made class 1). Default: the
        rarer label.
    drop:
        Columns to ignore, such as identifiers.
    fill_missing:
        Fill missing numeric values with the column median instead of raising.
    max_categories:
        A text column with more distinct values than this is taken for an identifier
        and refused (add it to ``drop``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("age,city,y\\n30,A,no\\n41,B,yes\\n25,A,no\\n")
    >>> data = load_table(p, target="y", positive="yes")
    >>> data.classes, data.target.tolist(), data.categorical
    (('no', 'yes'), [0, 1, 0], ('city',))
    """
    path = Path(path)
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    frame = read_csv(path)
    if target not in frame.columns:
        raise CastlabError(
            f"no column {target!r}",
            path=path,
            line=1,
            fix=Fix("target", "choose", choices=tuple(map(str, frame.columns))),
        )
    missing_drop = [c for c in drop if c not in frame.columns]
    if missing_drop:
        raise CastlabError(
            f"cannot drop unknown column(s) {missing_drop}",
            path=path,
            line=1,
            fix=Fix("drop", "choose", choices=tuple(map(str, frame.columns))),
        )
    labels = frame[target]
    if labels.isna().any():
        row = int(np.flatnonzero(labels.isna().to_numpy())[0])
        raise CastlabError(
            f"row without a {target!r} value",
            path=path,
            line=row + 2,  # 1-based, after the header
            column=frame.columns.get_loc(target) + 1,
            fix=Fix("unlabelled", "give", template="drop unlabelled rows, or {} for them"),
        )
    labels = labels.astype(str)
    names, counts = np.unique(labels.to_numpy(), return_counts=True)
    if len(names) < 2:
        raise CastlabError(
            f"column {target!r} holds one value only ({names[0]!r}); nothing to classify",
            path=path,
            fix="choose a target with two or more classes",
        )
    if positive is not None and positive not in names:
        raise CastlabError(
            f"positive label {positive!r} not in column {target!r}",
            path=path,
            fix=Fix("positive", "choose", choices=tuple(map(str, names))),
        )
    if len(names) == 2:
        pos = positive if positive is not None else str(names[np.argmin(counts)])
        classes = (str(names[0]) if names[1] == pos else str(names[1]), pos)
    else:
        if positive is not None:
            raise CastlabError(
                f"a positive label is for binary targets; {target!r} has {len(names)} classes",
                path=path,
                fix=Fix("positive", "leave_out"),
            )
        classes = tuple(str(n) for n in names)
    codes = pd.Categorical(labels, categories=list(classes)).codes.astype(np.int64)
    features = frame.drop(columns=[target, *drop])
    if features.shape[1] == 0:
        raise CastlabError("no feature columns left", path=path, fix="drop fewer columns")
    features = _check_features(
        features,
        path=path,
        fill_missing=fill_missing,
        max_categories=max_categories,
        all_columns=list(frame.columns),
    )
    return ImbalanceData(features, codes, classes, target)


#: a text column whose cells are numbers but for at most this share is a numeric column
#: with stray text ('?', 'n/a'): refused, naming the first such cell
STRAY_TEXT_SHARE = 0.05


def _refuse_stray_text(column: pd.Series, *, name: str, path: Path, col_no: int) -> None:
    """Refuse a column of numbers with a few text cells ('?' for missing, say): read as text
    it became a category per value (integers), or was refused as an identifier (decimals).

    Examples
    --------
    >>> column = pd.Series(["1.5", "2.25", "?"] + [str(k) for k in range(40)])
    >>> _refuse_stray_text(column, name="income", path=Path("t.csv"), col_no=2)
    Traceback (most recent call last):
    castlab.core.errors.CastlabError: t.csv:4:2: column 'income' holds numbers but for 1 cell like '?' (fix: ...)
    """
    present = column.dropna()
    numbers = pd.to_numeric(present, errors="coerce")
    stray = present[numbers.isna()]
    if stray.empty or len(stray) > STRAY_TEXT_SHARE * len(present):
        return
    line = int(np.flatnonzero(column.index == stray.index[0])[0]) + 2
    raise CastlabError(
        f"column {name!r} holds numbers but for {len(stray)} cell{'s' if len(stray) > 1 else ''} "
        f"like {str(stray.iloc[0])!r}",
        path=path,
        line=line,
        column=col_no,
        fix=Fix("fill_missing", "turn_on", template="leave such cells empty and {}"),
    )


def _first_bad(
    problem: str, where: np.ndarray, template: str, *, name: str, path: Path, col_no: int
) -> CastlabError:
    """The error for the first cell of numeric column ``name`` marked in ``where``."""
    return CastlabError(
        f"{problem} in numeric column {name!r}",
        path=path,
        line=int(np.flatnonzero(where)[0]) + 2,
        column=col_no,
        fix=Fix("fill_missing", "turn_on", template=template),
    )


def _check_features(
    features: pd.DataFrame,
    *,
    path: Path,
    fill_missing: bool,
    max_categories: int,
    all_columns: list[str],
) -> pd.DataFrame:
    out = {}
    for name in features.columns:
        column = features[name]
        col_no = all_columns.index(name) + 1
        if _is_text(column):
            _refuse_stray_text(column, name=name, path=path, col_no=col_no)
            n_distinct = column.nunique(dropna=True)
            if n_distinct > max_categories:
                raise CastlabError(
                    f"text column {name!r} has {n_distinct} distinct values; "
                    "it looks like an identifier",
                    path=path,
                    column=col_no,
                    fix=Fix("drop", "add", value=name),
                )
            text = column.astype(object).where(column.notna(), MISSING_CATEGORY).astype(str)
            out[name] = text.astype("category")
            continue
        values = column.astype(float)
        at = {"name": name, "path": path, "col_no": col_no}
        if np.isinf(values.to_numpy()).any():
            raise _first_bad(
                "infinite value",
                np.isinf(values.to_numpy()),
                "replace it with a number, or leave the cell empty and {}",
                **at,
            )
        if values.isna().any():
            if not fill_missing:
                raise _first_bad(
                    "missing value",
                    values.isna().to_numpy(),
                    "fill it, or {} to use the column median",
                    **at,
                )
            if values.notna().sum() == 0:
                raise CastlabError(
                    f"numeric column {name!r} is empty",
                    path=path,
                    column=col_no,
                    fix=Fix("drop", "add", value=name),
                )
            values = values.fillna(values.median())
        out[name] = values
    return pd.DataFrame(out)


def resample_to_prior(
    target: np.ndarray, prior: Sequence[float] | np.ndarray, *, rng: np.random.Generator
) -> np.ndarray:
    """Choose rows, without replacement, so that class frequencies match ``prior``.

    Takes as many rows as possible: the class that runs out first is used in full.
    This is how the competition re-balanced its test set.

    Parameters
    ----------
    target:
        Class codes, shape ``(n,)``.
    prior:
        Wanted class frequencies, shape ``(n_classes,)``, positive, summing to 1.
    rng:
        Source of randomness.

    Returns
    -------
    Sorted row positions, shape ``(m,)`` with ``m <= n``.

    Examples
    --------
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> rows = resample_to_prior(y, [0.5, 0.5], rng=np.random.default_rng(0))
    >>> np.bincount(y[rows]).tolist()
    [10, 10]
    """
    prior = _check_prior(prior, n_classes=len(np.ravel(prior)))
    if len(target) and int(target.max()) >= len(prior):
        raise CastlabError(f"prior has {len(prior)} values but labels go up to {target.max()}")
    counts = np.bincount(target, minlength=len(prior))
    total = np.min(counts[prior > 0] / prior[prior > 0])
    wanted = np.minimum(np.round(total * prior).astype(int), counts)
    rows = [
        rng.choice(np.flatnonzero(target == k), size=n, replace=False) for k, n in enumerate(wanted)
    ]
    return np.sort(np.concatenate(rows))


def _check_prior(prior: Sequence[float] | np.ndarray, *, n_classes: int) -> np.ndarray:
    prior = np.asarray(prior, dtype=float).ravel()
    if len(prior) != n_classes:
        raise CastlabError(
            f"prior has {len(prior)} values for {n_classes} classes",
            fix="give one frequency per class",
        )
    if np.any(~np.isfinite(prior)) or np.any(prior <= 0) or np.any(prior >= 1):
        raise CastlabError(
            f"prior {prior.tolist()} must lie strictly between 0 and 1",
            fix="use values such as 0.5",
        )
    if abs(prior.sum() - 1) > 1e-6:
        raise CastlabError(
            f"prior {prior.tolist()} sums to {prior.sum():.4f}, not 1",
            fix="give class frequencies that sum to 1",
        )
    return prior


def load_unlabelled(
    path: str | Path,
    *,
    like: ImbalanceData,
    fill_missing: bool = False,
) -> pd.DataFrame:
    """Read unlabelled rows (e.g. a competition test set) with the columns of ``like``.

    Extra columns (the target, identifiers) are ignored; categorical columns get the
    training categories first, then any new values (which the models treat as unseen).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "train.csv").write_text("age,city,y\\n30,A,no\\n41,B,yes\\n")
    >>> _ = (d / "test.csv").write_text("id,age,city\\n1,50,C\\n")
    >>> train = load_table(d / "train.csv", target="y")
    >>> load_unlabelled(d / "test.csv", like=train)["city"].cat.categories.tolist()
    ['A', 'B', 'C']
    """
    path = Path(path)
    if not path.exists():
        raise CastlabError("file not found", path=path, fix="check the path")
    frame = read_csv(path)
    wanted = list(like.features.columns)
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise CastlabError(
            f"unlabelled data lacks column(s) {missing}",
            path=path,
            line=1,
            fix=Fix(
                "unlabelled",
                "give",
                template="{} with the same feature columns as the training data",
            ),
        )
    checked = _check_features(
        frame[wanted],
        path=path,
        fill_missing=fill_missing,
        max_categories=len(frame) + 1,
        all_columns=list(frame.columns),
    )
    for name in like.categorical:
        known = list(like.features[name].cat.categories)
        new = sorted(set(checked[name].astype(str)) - set(known))
        checked[name] = pd.Categorical(checked[name].astype(str), categories=known + new)
    for name in wanted:
        if (
            name not in like.categorical
            and name in checked
            and isinstance(checked[name].dtype, pd.CategoricalDtype)
        ):
            raise CastlabError(
                f"column {name!r} is numeric in training but text here",
                path=path,
                column=list(frame.columns).index(name) + 1,
            )
    return checked


def as_prior(prior: float | Sequence[float]) -> np.ndarray:
    """A positive share (binary) or per-class shares as a checked prior array.

    Examples
    --------
    >>> as_prior(0.2).tolist(), as_prior([0.5, 0.3, 0.2]).tolist()
    ([0.8, 0.2], [0.5, 0.3, 0.2])
    """
    if np.isscalar(prior):
        value = float(prior)  # type: ignore[arg-type]
        return _check_prior([1 - value, value], n_classes=2)
    values = np.asarray(prior, dtype=float)
    return _check_prior(values, n_classes=len(values))
