"""Baselines for family classification: k-mer TF-IDF + logistic regression, and alignment
nearest neighbours (``blastp`` from Debian ncbi-blast+, ``phmmer`` from pyhmmer,
``mmseqs easy-search`` from Debian mmseqs2).

All follow the scikit-learn shape: ``fit(sequences, families)`` returns ``self``,
``predict_proba(sequences)`` gives (n, n_families) with columns in ``classes_`` order.
For the alignment baselines the top-1 family is the family of the best-scoring hit, and the
probabilities come from each family's best bit score ``b_f`` as ``2 ** b_f`` normalised
(bit scores are log2 odds, so this is the posterior under equal priors if the best hit per
family stood for the family); a query without hits gets equal probabilities.

Examples
--------
>>> model = KmerLogisticRegression(k=2).fit(["MKVLAAG", "MKVLAVG", "WWPPHHC", "WWPPHHY"],
...                                          ["a", "a", "b", "b"])
>>> model.predict(["MKVLAAC"]), model.classes_
(['a'], ['a', 'b'])
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from castlab.core.errors import CastlabError

__all__ = [
    "BlastNearestNeighbour",
    "EsmEmbeddingLogistic",
    "KmerLogisticRegression",
    "MmseqsNearestNeighbour",
    "PhmmerNearestNeighbour",
    "blast_available",
    "esm_available",
    "probabilities_from_bitscores",
]


class _Classifier:
    classes_: list[str]

    def predict_proba(self, sequences: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def predict(self, sequences: Sequence[str]) -> list[str]:
        """Most probable family per sequence."""
        return [self.classes_[i] for i in self.predict_proba(sequences).argmax(axis=1)]


class KmerLogisticRegression(_Classifier):
    """TF-IDF over overlapping 1..k-mers, then multinomial logistic regression."""

    def __init__(self, *, k: int = 3, C: float = 10.0, max_iter: int = 300) -> None:
        self.k = k
        self.C = C
        self.max_iter = max_iter

    def fit(self, sequences: Sequence[str], families: Sequence[str]) -> KmerLogisticRegression:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer_ = TfidfVectorizer(
            analyzer="char", ngram_range=(1, self.k), lowercase=False, sublinear_tf=True
        )
        features = self.vectorizer_.fit_transform(list(sequences))
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        self.model_.fit(features, list(families))
        self.classes_ = [str(c) for c in self.model_.classes_]
        return self

    def predict_proba(self, sequences: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(self.vectorizer_.transform(list(sequences)))


def esm_available(path: str | Path | None) -> bool:
    """True when ``path`` holds a transformers model folder (``config.json``) to embed with."""
    return path is not None and (Path(path) / "config.json").is_file()


class EsmEmbeddingLogistic(_Classifier):
    """Mean-pooled embeddings of a pretrained protein language model, then logistic regression.

    ``model_path`` is a local transformers folder of an ESM model (e.g. a copy of
    ``facebook/esm2_t6_8M_UR50D``); nothing is downloaded. The language model stays frozen:
    this is the "pretrained embeddings" baseline, not fine-tuning.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        C: float = 10.0,
        max_iter: int = 1000,
        batch_size: int = 16,
        max_length: int = 1024,
    ) -> None:
        if not esm_available(model_path):
            raise CastlabError(
                "no model folder (config.json) for the ESM baseline",
                path=model_path,
                fix="save e.g. facebook/esm2_t6_8M_UR50D there with save_pretrained, or leave it out",
            )
        self.model_path = Path(model_path)
        self.C = C
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.max_length = max_length
        self._network: Any = None

    def embed(self, sequences: Sequence[str]) -> np.ndarray:
        """(n, hidden) mean of the last layer over each sequence's residues (no special tokens)."""
        import torch
        from transformers import AutoModel, AutoTokenizer

        if self._network is None:
            self._tokenizer = AutoTokenizer.from_pretrained(str(self.model_path))
            self._network = AutoModel.from_pretrained(str(self.model_path)).float().eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(sequences), self.batch_size):
                batch = self._tokenizer(
                    list(sequences[start : start + self.batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                    return_special_tokens_mask=True,
                )
                special = batch.pop("special_tokens_mask")
                hidden = self._network(**batch).last_hidden_state  # (B, T, C)
                keep = (batch["attention_mask"] * (1 - special)).unsqueeze(-1).to(hidden.dtype)
                out.append(((hidden * keep).sum(1) / keep.sum(1).clamp(min=1)).numpy())
        return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)

    def fit(self, sequences: Sequence[str], families: Sequence[str]) -> EsmEmbeddingLogistic:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model_ = make_pipeline(
            StandardScaler(), LogisticRegression(C=self.C, max_iter=self.max_iter)
        )
        self.model_.fit(self.embed(sequences), list(families))
        self.classes_ = [str(c) for c in self.model_.classes_]
        return self

    def predict_proba(self, sequences: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(self.embed(sequences))


def probabilities_from_bitscores(
    best: Sequence[dict[str, float]], classes: Sequence[str]
) -> np.ndarray:
    """(n, n_classes) probabilities ``2 ** b_f`` normalised; no hits -> uniform.

    Examples
    --------
    >>> probabilities_from_bitscores([{"a": 3.0}, {}], ["a", "b"]).round(3).tolist()
    [[0.889, 0.111], [0.5, 0.5]]
    """
    out = np.zeros((len(best), len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    for row, scores in enumerate(best):
        values = np.zeros(len(classes))  # bit score 0 (odds 1) for families without a hit
        for family, score in scores.items():
            values[index[family]] = max(score, 0.0)
        values = values - values.max()
        weights = np.exp2(values)
        out[row] = weights / weights.sum()
    return out


def _text(name: str | bytes) -> str:
    return name.decode() if isinstance(name, bytes) else name


def _best_per_family(hits: str, n_queries: int, families: Sequence[str]) -> list[dict[str, float]]:
    """Best bit score per family for each query, from ``query<TAB>target<TAB>bits`` lines
    whose ids are ``q<index>`` and ``t<index>`` (as :func:`_write_fasta` names them).

    Examples
    --------
    >>> hits = "q0 t1 50|q0 t0 20|q0 t2 70".replace(" ", chr(9)).replace("|", chr(10))
    >>> _best_per_family(hits, 2, ["a", "b", "b"])
    [{'b': 70.0, 'a': 20.0}, {}]
    """
    best: list[dict[str, float]] = [{} for _ in range(n_queries)]
    for line in hits.splitlines():
        query, target, score = line.split("\t")
        scores = best[int(query[1:])]
        family = families[int(target[1:])]
        scores[family] = max(scores.get(family, 0.0), float(score))
    return best


def blast_available() -> bool:
    """Whether ``blastp`` and ``makeblastdb`` (Debian ncbi-blast+) are on the PATH."""
    return shutil.which("blastp") is not None and shutil.which("makeblastdb") is not None


def _write_fasta(path: Path, sequences: Sequence[str], prefix: str) -> None:
    with path.open("w") as handle:
        for i, sequence in enumerate(sequences):
            handle.write(f">{prefix}{i}\n{sequence}\n")


class BlastNearestNeighbour(_Classifier):
    """Family of the best ``blastp`` hit among the training sequences.

    ``fit`` builds a BLAST database in a temporary folder (removed by :meth:`close` or when the
    object is collected); ``predict_proba`` runs one ``blastp`` process for all queries.
    """

    def __init__(self, *, evalue: float = 10.0, max_targets: int = 10, threads: int = 1) -> None:
        self.evalue = evalue
        self.max_targets = max_targets
        self.threads = threads

    def fit(self, sequences: Sequence[str], families: Sequence[str]) -> BlastNearestNeighbour:
        if not blast_available():
            raise CastlabError(
                "blastp is not installed", fix="apt-get install ncbi-blast+ (Debian)"
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="castlab-blast-")
        folder = Path(self._tmp.name)
        _write_fasta(folder / "train.fasta", sequences, "t")
        subprocess.run(
            ["makeblastdb", "-in", "train.fasta", "-dbtype", "prot", "-out", "train"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        self.families_ = [str(f) for f in families]
        self.classes_ = sorted(set(self.families_))
        return self

    def best_scores(self, sequences: Sequence[str]) -> list[dict[str, float]]:
        """Best bit score per family for each query."""
        folder = Path(self._tmp.name)
        _write_fasta(folder / "query.fasta", sequences, "q")
        result = subprocess.run(
            [
                "blastp", "-query", "query.fasta", "-db", "train",
                "-outfmt", "6 qseqid sseqid bitscore",
                "-evalue", str(self.evalue), "-max_target_seqs", str(self.max_targets),
                "-num_threads", str(self.threads),
            ],
            cwd=folder, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return _best_per_family(result.stdout, len(sequences), self.families_)

    def predict_proba(self, sequences: Sequence[str]) -> np.ndarray:
        return probabilities_from_bitscores(self.best_scores(sequences), self.classes_)

    def close(self) -> None:
        """Remove the temporary BLAST database."""
        self._tmp.cleanup()


class PhmmerNearestNeighbour(_Classifier):
    """Family of the best ``phmmer`` hit (pyhmmer, in process) among the training sequences."""

    def __init__(self, *, cpus: int = 1, evalue: float = 10.0) -> None:
        self.cpus = cpus
        self.evalue = evalue

    def _digital(self, sequences: Sequence[str], prefix: str) -> Any:
        from pyhmmer import easel

        alphabet = easel.Alphabet.amino()
        return easel.DigitalSequenceBlock(
            alphabet,
            [
                easel.TextSequence(name=f"{prefix}{i}".encode(), sequence=s).digitize(alphabet)
                for i, s in enumerate(sequences)
            ],
        )

    def fit(self, sequences: Sequence[str], families: Sequence[str]) -> PhmmerNearestNeighbour:
        self.targets_ = self._digital(sequences, "t")
        self.families_ = [str(f) for f in families]
        self.classes_ = sorted(set(self.families_))
        return self

    def best_scores(self, sequences: Sequence[str]) -> list[dict[str, float]]:
        """Best bit score per family for each query."""
        from pyhmmer import hmmer

        queries = self._digital(sequences, "q")
        best: list[dict[str, float]] = [{} for _ in sequences]
        for hits in hmmer.phmmer(queries, self.targets_, cpus=self.cpus, E=self.evalue):
            scores = best[int(_text(hits.query.name)[1:])]
            for hit in hits:
                family = self.families_[int(_text(hit.name)[1:])]
                scores[family] = max(scores.get(family, 0.0), float(hit.score))
        return best

    def predict_proba(self, sequences: Sequence[str]) -> np.ndarray:
        return probabilities_from_bitscores(self.best_scores(sequences), self.classes_)


class MmseqsNearestNeighbour(_Classifier):
    """Family of the best ``mmseqs easy-search`` hit (Debian mmseqs2) among the training set.

    What practitioners use when BLAST is too slow. ``fit`` makes the target database;
    ``predict_proba`` runs ``mmseqs search`` for all queries in one go (its start-up and
    index building are part of the query time, as blastp's process start is).
    """

    def __init__(self, *, sensitivity: float = 5.7, threads: int = 1) -> None:
        self.sensitivity = sensitivity
        self.threads = threads

    def _run(self, *arguments: str) -> None:
        subprocess.run(
            ["mmseqs", *arguments, "-v", "1"], cwd=self._tmp.name, check=True, capture_output=True
        )

    def fit(self, sequences: Sequence[str], families: Sequence[str]) -> MmseqsNearestNeighbour:
        if shutil.which("mmseqs") is None:
            raise CastlabError("mmseqs is not installed", fix="apt-get install mmseqs2 (Debian)")
        self._tmp = tempfile.TemporaryDirectory(prefix="castlab-mmseqs-")
        _write_fasta(Path(self._tmp.name) / "train.fasta", sequences, "t")
        self._run("createdb", "train.fasta", "train")
        self.families_ = [str(f) for f in families]
        self.classes_ = sorted(set(self.families_))
        return self

    def best_scores(self, sequences: Sequence[str]) -> list[dict[str, float]]:
        """Best bit score per family for each query."""
        folder = Path(self._tmp.name)
        _write_fasta(folder / "query.fasta", sequences, "q")
        for stale in folder.glob("query*"):
            if stale.name != "query.fasta":
                stale.unlink()
        self._run("createdb", "query.fasta", "query")
        shutil.rmtree(folder / "result_tmp", ignore_errors=True)
        for stale in folder.glob("result*"):
            stale.unlink() if stale.is_file() else None
        self._run(
            "search", "query", "train", "result", "result_tmp", "-s", str(self.sensitivity),
            "--threads", str(self.threads),
        )  # fmt: skip
        self._run(
            "convertalis", "query", "train", "result", "hits.tsv",
            "--format-output", "query,target,bits", "--threads", str(self.threads),
        )  # fmt: skip
        return _best_per_family((folder / "hits.tsv").read_text(), len(sequences), self.families_)

    def predict_proba(self, sequences: Sequence[str]) -> np.ndarray:
        return probabilities_from_bitscores(self.best_scores(sequences), self.classes_)

    def close(self) -> None:
        """Remove the temporary databases."""
        self._tmp.cleanup()
