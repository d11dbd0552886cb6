"""Tests of castlab.imbalance.data: loading, checking, re-sampling, generated data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from castlab.core.errors import CastlabError
from castlab.imbalance.data import (
    MISSING_CATEGORY,
    load_table,
    load_unlabelled,
    resample_to_prior,
)

from .conftest import FINANCIAL_INCLUSION


def _csv(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_table_codes_positive_last_and_categories(tmp_path):
    path = _csv(tmp_path, "age,city,y\n30,A,no\n41,B,yes\n25,,no\n52,A,no\n")
    data = load_table(path, target="y")  # default positive: the rarer label
    assert data.classes == ("no", "yes")
    assert data.target.tolist() == [0, 1, 0, 0]
    assert data.categorical == ("city",)
    assert data.features["city"].tolist() == ["A", "B", MISSING_CATEGORY, "A"]
    assert data.prior.tolist() == [0.75, 0.25]


def test_positive_label_chooses_class_one(tmp_path):
    path = _csv(tmp_path, "x,y\n1,a\n2,b\n3,b\n")
    assert load_table(path, target="y", positive="b").classes == ("a", "b")
    assert load_table(path, target="y", positive="a").target.tolist() == [1, 0, 0]


@pytest.mark.parametrize(
    ("text", "kwargs", "words"),
    [
        ("x,y\n1,a\n2,b\n", {"target": "z"}, "no column 'z'"),
        ("x,y\n1,a\n2,a\n", {"target": "y"}, "one value only"),
        ("x,y\n1,a\n2,b\n", {"target": "y", "positive": "c"}, "positive label 'c'"),
        ("x,y\n1,a\n2,\n", {"target": "y"}, "row without"),
        ("x,y\n1,a\n,b\n", {"target": "y"}, "missing value in numeric column 'x'"),
        ("x,y\n1,a\n2,b\n3,c\n", {"target": "y", "positive": "a"}, "binary"),
        ("id,y\nu1,a\nu2,b\nu3,a\n", {"target": "y", "max_categories": 2}, "identifier"),
        ("x,y\n1,a\n2,b\n", {"target": "y", "drop": ["nope"]}, "unknown column"),
    ],
)
def test_bad_tables_raise_castlab_error(tmp_path, text, kwargs, words):
    with pytest.raises(CastlabError, match=words):
        load_table(_csv(tmp_path, text), **kwargs)


def test_error_points_at_line_and_column(tmp_path):
    path = _csv(tmp_path, "a,x,y\n1,1,p\n2,,q\n")
    with pytest.raises(CastlabError) as info:
        load_table(path, target="y")
    assert (info.value.line, info.value.column) == (3, 2)
    assert str(info.value).startswith(f"{path}:3:2: ")


def test_inf_and_stray_text_in_a_numeric_column_are_named(tmp_path):
    """inf gave scikit-learn's traceback; one '?' among decimals was refused as an
    'identifier' (advice: drop the column), among integers silently made it a category."""
    rows = "".join(f"{k},{k % 2}\n" for k in range(40))
    with pytest.raises(CastlabError, match="infinite value in numeric column 'x'") as info:
        load_table(_csv(tmp_path, "x,y\n" + rows + "inf,1\n"), target="y")
    assert info.value.line == 42
    for cell in ("?", "unknown"):  # ("n/a" is read as missing already)
        for number in ("{}.5", "{}"):  # decimals, integers
            lines = [f"{number.format(k)},{k % 2}\n" for k in range(40)]
            lines.insert(3, f"{cell},1\n")
            with pytest.raises(CastlabError, match=f"holds numbers but for 1 cell like '{cell}'"):
                load_table(_csv(tmp_path, "x,y\n" + "".join(lines)), target="y")
    words = "".join(f"{'ab'[k % 2]},{k % 2}\n" for k in range(40))  # text is still text
    assert load_table(_csv(tmp_path, "x,y\n" + words), target="y").features["x"].dtype == "category"


def test_missing_file_is_a_castlab_error(tmp_path):
    with pytest.raises(CastlabError, match="not found"):
        load_table(tmp_path / "absent.csv", target="y")


def test_fill_missing_uses_median(tmp_path):
    path = _csv(tmp_path, "x,y\n1,a\n,b\n5,a\n")
    data = load_table(path, target="y", fill_missing=True)
    assert data.features["x"].tolist() == [1.0, 3.0, 5.0]


def test_load_unlabelled_keeps_training_categories_first(tmp_path):
    train = load_table(_csv(tmp_path, "x,c,y\n1,A,p\n2,B,q\n"), target="y")
    test = load_unlabelled(_csv(tmp_path, "c,x,extra\nC,3,9\nA,4,9\n", "u.csv"), like=train)
    assert list(test.columns) == ["x", "c"]
    assert test["c"].cat.categories.tolist() == ["A", "B", "C"]
    with pytest.raises(CastlabError, match="lacks column"):
        load_unlabelled(_csv(tmp_path, "x\n1\n", "v.csv"), like=train)


def test_resample_to_prior_hits_binary_and_multiclass_shares():
    rng = np.random.default_rng(0)
    y = np.array([0] * 700 + [1] * 200 + [2] * 100)
    rows = resample_to_prior(y, [0.2, 0.3, 0.5], rng=rng)
    assert np.bincount(y[rows]).tolist() == [40, 60, 100]
    assert len(np.unique(rows)) == len(rows)  # no row twice
    binary = np.array([0] * 860 + [1] * 140)
    for share in (0.2, 0.35, 0.5):
        chosen = resample_to_prior(binary, [1 - share, share], rng=rng)
        assert abs(binary[chosen].mean() - share) < 0.005


@pytest.mark.parametrize("prior", [[0.0, 1.0], [1.2, -0.2], [0.5, 0.6], [0.5]])
def test_resample_to_prior_rejects_bad_priors(prior):
    with pytest.raises(CastlabError):
        resample_to_prior(np.array([0, 1, 1]), prior, rng=np.random.default_rng(0))


@pytest.mark.skipif(not FINANCIAL_INCLUSION.exists(), reason="shared data not present")
def test_financial_inclusion_loads_with_identifier_dropped():
    with pytest.raises(CastlabError, match="--drop uniqueid"):
        load_table(FINANCIAL_INCLUSION, target="bank_account", positive="Yes")
    data = load_table(FINANCIAL_INCLUSION, target="bank_account", positive="Yes", drop=["uniqueid"])
    assert data.classes == ("No", "Yes")
    assert 0.12 < data.prior[1] < 0.16
    assert "country" in data.categorical and "age_of_respondent" not in data.categorical
