"""Every castlab command, the corpus kinds it reads, and how to judge one run of it.

A :class:`Command` turns one corpus case into the command line (tiny settings: one epoch, a
few steps, small models), run in-process through Typer's runner exactly as
``castlab.cli.main`` would (a :class:`CastlabError` is exit code 2 with one line). A run
passes when it exits 0 or 2, shows no traceback, names the file and the fix when it fails,
and leaves no output behind that looks complete after a failure.
"""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.corpus import Case

__all__ = ["COMMANDS", "Command", "Outcome", "Models", "judge", "run_command"]


@dataclass
class Outcome:
    """What one run did: exit code, the error line, a traceback if it crashed."""

    exit_code: int
    message: str = ""
    traceback: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def crashed(self) -> bool:
        return bool(self.traceback) or self.exit_code not in (0, 2)

    @property
    def clean(self) -> bool:
        return not self.problems


def run_command(args: list[str]) -> Outcome:
    """Run ``castlab ARGS`` in this process the way ``castlab.cli.main`` does."""
    from typer.testing import CliRunner

    from castlab.cli import _os_error_line, app
    from castlab.core.errors import CastlabError

    result = CliRunner().invoke(app, args)
    error = result.exception
    if isinstance(error, CastlabError):
        return Outcome(2, message=f"error: {error}")
    if isinstance(error, OSError) and _os_error_line(error):  # the user's paths or disk
        return Outcome(2, message=f"error: {_os_error_line(error)}")
    if error is not None and not isinstance(error, SystemExit):
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return Outcome(1, traceback=text)
    message = result.stderr.strip() if result.exit_code else ""
    return Outcome(result.exit_code, message=message)


def judge(outcome: Outcome, case: Case, out: Path | None, args: list[str] | None = None) -> Outcome:
    """Fill ``outcome.problems`` with every broken promise (none: a clean run).

    The error must name the case's file (or its folder), or another input file of ``args``.
    """
    if outcome.traceback:
        last = outcome.traceback.strip().splitlines()[-1]
        outcome.problems.append(f"traceback: {last}")
    elif outcome.exit_code not in (0, 2):
        outcome.problems.append(f"exit code {outcome.exit_code}")
    if outcome.exit_code == 2:
        lines = outcome.message.splitlines()
        if len(lines) != 1:
            outcome.problems.append(f"{len(lines)} lines of error")
        names = {case.path.name, case.path.stem, case.path.parent.name}
        names |= {Path(a).name for a in args or [] if Path(a).exists() and Path(a) != out}
        named = any(name and name in outcome.message for name in names)
        if not named and not _usage(outcome) and not _names_an_option(outcome):
            outcome.problems.append(f"error does not name the file: {outcome.message!r}")
        if "fix:" not in outcome.message and not _usage(outcome):
            outcome.problems.append(f"error gives no fix: {outcome.message!r}")
        if out is not None and _looks_complete(out):
            outcome.problems.append(f"failed but left {out}")
    return outcome


def _names_an_option(outcome: Outcome) -> bool:
    """A problem with a setting rather than a file: the fix names the option to change."""
    return "(fix:" in outcome.message and "--" in outcome.message.split("(fix:", 1)[1]


def _usage(outcome: Outcome) -> bool:
    """Click's own usage errors (a bad option) are exit 2 with 'Usage:' and are fine."""
    return "Usage:" in outcome.message or "Invalid value" in outcome.message


def _looks_complete(out: Path) -> bool:
    if out.is_file():
        return True
    if out.is_dir():
        finished = ("index.html", "model", "encoder", "test_scores.json", "scores.csv", "final.png")
        return any((out / name).exists() for name in finished)
    return False


class Models:
    """Tiny trained models for the commands that read one (trained once, on first use)."""

    def __init__(self, root: Path, valid: dict[str, Path]) -> None:
        self.root = root
        self.valid = valid
        self._made: dict[str, Path] = {}

    def get(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = getattr(self, f"_{name}")()
        return self._made[name]

    def _train(self, args: list[str]) -> None:
        outcome = run_command(args)
        assert outcome.exit_code == 0, outcome.traceback or outcome.message

    def _proteins(self) -> Path:
        fasta = self.root / "proteins-train.fasta"
        fasta.write_text(_protein_fasta())
        out = self.root / "proteins-model"
        self._train(
            ["proteins", "train", str(fasta), "--model", "cnn", "--epochs", "1", "--dim", "8",
             "--out", str(out), "--label-field", "1"]
        )  # fmt: skip
        return out / "model"

    def _protein_fasta(self) -> Path:
        fasta = self.root / "proteins-valid.fasta"
        fasta.write_text(_protein_fasta())
        return fasta

    def _airquality(self) -> Path:
        out = self.root / "airquality-model"
        self._train(
            ["airquality", "train", str(self.valid["airquality"]), "--iterations", "5", "--folds",
             "2", "--no-baselines", "--no-adversarial", "--interval", "0", "--out", str(out)]
        )  # fmt: skip
        return out

    def _birds(self) -> Path:
        out = self.root / "birds-model"
        self._train(
            ["birds", "train", str(self.valid["birds"] / "species"), "--epochs", "1",
             "--max-steps", "2", "--batch-size", "4", "--peaks-per-file", "2",
             "--background-per-file", "1", "--threads", "1", "--out", str(out)]
        )  # fmt: skip
        return out / "model"

    def _birdnet_head(self) -> Path:
        """A BirdNET head for the corpus's made-up species, saved untrained (BirdNET's layer
        has zero rows for them): what ``birds adapt`` reads."""
        from castlab.birds.anchored import AnchoredHead, birdnet_anchors

        species = self.valid["birds"] / "species"
        names = sorted(path.name for path in species.iterdir() if path.is_dir())
        W0, b0, index = birdnet_anchors(names)
        head = AnchoredHead(names, W0, b0 - 4.0, 1.0, birdnet_index=index)
        return head.save(self.root / "birdnet-head")

    def _encoder(self) -> Path:
        out = self.root / "selfsup-pretrain"
        self._train(
            ["selfsup", "pretrain", str(self.valid["images"]), "--size", "32", "--widths", "4,8",
             "--epochs", "1", "--max-steps", "2", "--batch-size", "4", "--threads", "1",
             "--out", str(out)]
        )  # fmt: skip
        return out / "encoder"

    def _classifier(self) -> Path:
        out = self.root / "selfsup-finetune"
        self._train(
            ["selfsup", "finetune", str(self.valid["images"]), "--size", "32", "--widths", "4,8",
             "--epochs", "1", "--max-steps", "2", "--batch-size", "4", "--threads", "1",
             "--out", str(out)]
        )  # fmt: skip
        return out / "model"

    def _tunes(self) -> Path:
        out = self.root / "tunes-model"
        abc = self.root / "tunes-valid.abc"
        from tests.reliability.corpus import ABC

        abc.write_text(ABC)
        self._train(
            ["tunes", "train", "--corpus", str(abc), "--dim", "8", "--hidden", "8", "--layers",
             "1", "--seq-len", "8", "--epochs", "1", "--max-steps", "2", "--batch-size", "2",
             "--out", str(out)]
        )  # fmt: skip
        return out / "model"


def _protein_fasta() -> str:
    families = {"PF00001": "MKTAYIAKQRQISFVKSHFSRQ", "PF00002": "MSLLKEWQAVLGGHHSSAAEEK"}
    lines = []
    for family, seed in families.items():
        for i in range(8):
            sequence = seed[i:] + seed[:i]
            lines.append(f">{family}_{i}|{family}\n{sequence}\n")
    return "".join(lines)


Args = Callable[[Path, Path, Models], list[str]]


@dataclass(frozen=True)
class Command:
    """One command: its name, the corpus kinds it reads and its command line for a case."""

    name: str  # "tunes train"
    kinds: tuple[str, ...]
    args: Args
    output: bool = True  # whether OUT is an output to check after a failure


def _c(name: str, kinds: tuple[str, ...], args: Args, output: bool = True) -> Command:
    return Command(name, kinds, args, output)


_TINY_TUNES = ["--dim", "8", "--hidden", "8", "--layers", "1", "--seq-len", "8"]
_TINY_SELFSUP = ["--size", "32", "--widths", "4,8", "--threads", "1"]
_TRAIN_SELFSUP = ["--epochs", "1", "--max-steps", "2", "--batch-size", "4", *_TINY_SELFSUP]
_IMBALANCE = ["--target", "label", "--model", "logistic", "--folds", "2", "--repeats", "1"]
_AIRQUALITY = ["--iterations", "5", "--folds", "2", "--no-baselines", "--no-adversarial"]

COMMANDS: tuple[Command, ...] = (
    _c("tunes train", ("abc", "table-tunes"), lambda p, o, m: [
        "tunes", "train", "--corpus", str(p), *_TINY_TUNES, "--epochs", "1", "--max-steps", "2",
        "--batch-size", "2", "--out", str(o)]),
    _c("tunes lr-find", ("abc",), lambda p, o, m: [
        "tunes", "lr-find", "--corpus", str(p), "--steps", "20", "--batch-size", "2", "--out",
        str(o)], output=False),
    _c("tunes evaluate", ("abc", "table-tunes"), lambda p, o, m: [
        "tunes", "evaluate", "--corpus", str(p), "--model", str(m.get("tunes")), "--count", "1",
        "--out", str(o)]),
    _c("tunes evaluate --model", ("model",), lambda p, o, m: [
        "tunes", "evaluate", "--model", str(p), "--count", "1", "--out", str(o)]),
    _c("tunes generate", ("model",), lambda p, o, m: [
        "tunes", "generate", "--model", str(p), "--out", str(o)]),
    _c("proteins train", ("fasta",), lambda p, o, m: [
        "proteins", "train", str(p), "--model", "cnn", "--epochs", "1", "--dim", "8",
        "--label-field", "1", "--out", str(o)]),
    _c("proteins pretrain", ("fasta",), lambda p, o, m: [
        "proteins", "pretrain", str(p), "--dim", "8", "--hidden", "8", "--layers", "1",
        "--seq-len", "8", "--epochs", "1", "--max-steps", "2", "--batch-size", "2", "--out",
        str(o)]),
    _c("proteins predict", ("fasta",), lambda p, o, m: [
        "proteins", "predict", str(m.get("proteins")), str(p), "--out", str(o)]),
    _c("proteins predict --model", ("model",), lambda p, o, m: [
        "proteins", "predict", str(p), str(m.get("protein_fasta")), "--out", str(o)]),
    _c("proteins evaluate", ("fasta",), lambda p, o, m: [
        "proteins", "evaluate", str(m.get("proteins")), str(p), "--label-field", "1"],
        output=False),
    _c("proteins experiment", ("abc",), lambda p, o, m: [
        "proteins", "experiment", str(p), "--out", str(o)]),
    _c("sentiment score", ("table-sentiment",), lambda p, o, m: [
        "sentiment", "score", str(p), "--scorer", "vader", "--out", str(o), "--no-progress"]),
    _c("sentiment authors", ("table-sentiment",), lambda p, o, m: [
        "sentiment", "authors", str(p), "--scorer", "vader", "--out", str(o)]),
    _c("sentiment map", ("table-sentiment",), lambda p, o, m: [
        "sentiment", "map", str(p), "--scorer", "vader", "--out", str(o)]),
    _c("sentiment evaluate", ("tweeteval",), lambda p, o, m: [
        "sentiment", "evaluate", "--tweeteval", str(p), "--scorer", "vader"], output=False),
    _c("sentiment train", ("tweeteval",), lambda p, o, m: [
        "sentiment", "train", "--semeval", str(p), "--tweeteval", str(p), "--kind", "head",
        "--max-train", "8", "--threads", "1", "--out",
        str(o)]),
    _c("imbalance compare", ("table-imbalance",), lambda p, o, m: [
        "imbalance", "compare", str(p), *_IMBALANCE, "--strategies", "none,under", "--out",
        str(o)]),
    _c("imbalance estimate-prior", ("table-imbalance",), lambda p, o, m: [
        "imbalance", "estimate-prior", str(p), "--target", "label", "--model", "logistic",
        "--unlabelled", str(m.valid["imbalance"])], output=False),
    _c("lifelog report --toggl", ("toggl",), lambda p, o, m: [
        "lifelog", "report", "--toggl", str(p), "--bootstrap", "20", "--out", str(o)]),
    _c("lifelog report --daylio", ("daylio",), lambda p, o, m: [
        "lifelog", "report", "--daylio", str(p), "--bootstrap", "20", "--out", str(o)]),
    _c("lifelog report --ulogme", ("ulogme",), lambda p, o, m: [
        "lifelog", "report", "--ulogme", str(p), "--bootstrap", "20", "--out", str(o)]),
    _c("lifelog daily", ("toggl", "daylio"), lambda p, o, m: [
        "lifelog", "daily", "--toggl" if "toggl" in p.name else "--daylio", str(p), "--out",
        str(o)]),
    _c("lifelog daily --ulogme", ("ulogme",), lambda p, o, m: [
        "lifelog", "daily", "--ulogme", str(p), "--out", str(o)]),
    _c("birds peaks", ("audio-tree",), lambda p, o, m: [
        "birds", "peaks", str(p), "--count", "3", "--out", str(o)]),
    _c("birds picture", ("audio",), lambda p, o, m: [
        "birds", "picture", str(p), "--count", "3", "--out", str(o)]),
    _c("birds train", ("audio-tree",), lambda p, o, m: [
        "birds", "train", str(p), "--epochs", "1", "--max-steps", "2", "--batch-size", "4",
        "--peaks-per-file", "2", "--background-per-file", "1", "--threads", "1", "--out",
        str(o)]),
    _c("birds soundscape", ("audio",), lambda p, o, m: [
        "birds", "soundscape", str(m.get("birds")), str(p), "--threads", "1", "--out", str(o)]),
    _c("birds soundscape --model", ("model",), lambda p, o, m: [
        "birds", "soundscape", str(p), str(m.valid["soundscape"]), "--out", str(o)]),
    _c("birds soundscape --labels", ("labels",), lambda p, o, m: [
        "birds", "soundscape", str(m.get("birds")), str(m.valid["soundscape"]), "--labels",
        str(p), "--threads", "1", "--out", str(o)]),
    _c("birds adapt", ("audio",), lambda p, o, m: [
        "birds", "adapt", str(m.get("birdnet_head")), str(p), "--labels",
        str(m.valid["soundscape"].with_suffix(".txt")), "--threads", "1", "--out", str(o)]),
    _c("birds adapt --labels --new-species", ("labels",), lambda p, o, m: [
        "birds", "adapt", str(m.get("birdnet_head")), str(m.valid["soundscape"]), "--labels",
        str(p), "--new-species", "--threads", "1", "--out", str(o)]),
    _c("birds selftrain", ("audio",), lambda p, o, m: [
        "birds", "selftrain", str(m.get("birdnet_head")), str(m.valid["soundscape"]), str(p),
        "--labels", str(m.valid["soundscape"].with_suffix(".txt")), "--threads", "1", "--out",
        str(o)]),
    _c("birds birdnet", ("audio",), lambda p, o, m: [
        "birds", "birdnet", str(p), "--out", str(o)]),
    _c("birds cluster", ("audio-tree",), lambda p, o, m: [
        "birds", "cluster", str(p), "--features", "mel", "--peaks-per-file", "2", "--out",
        str(o)]),
    _c("selfsup pretrain", ("image-tree",), lambda p, o, m: [
        "selfsup", "pretrain", str(p), *_TRAIN_SELFSUP, "--out", str(o)]),
    _c("selfsup finetune", ("image-tree",), lambda p, o, m: [
        "selfsup", "finetune", str(p), *_TRAIN_SELFSUP, "--out", str(o)]),
    _c("selfsup finetune --encoder", ("model",), lambda p, o, m: [
        "selfsup", "finetune", str(m.valid["images"]), "--encoder", str(p), *_TRAIN_SELFSUP,
        "--out", str(o)]),
    _c("selfsup probe", ("image-tree",), lambda p, o, m: [
        "selfsup", "probe", str(p), "--encoder", str(m.get("encoder")), "--size", "32",
        "--threads", "1"], output=False),
    _c("selfsup embed", ("image-tree",), lambda p, o, m: [
        "selfsup", "embed", str(p), "--encoder", str(m.get("encoder")), "--size", "32",
        "--threads", "1", "--out", str(o)]),
    _c("selfsup classify", ("image",), lambda p, o, m: [
        "selfsup", "classify", str(m.get("classifier")), str(p)], output=False),
    _c("selfsup classify --model", ("model",), lambda p, o, m: [
        "selfsup", "classify", str(p), str(m.valid["image"])], output=False),
    _c("selfsup show", ("image-tree",), lambda p, o, m: [
        "selfsup", "show", str(p), "--count", "2", "--size", "32", "--out", str(o)]),
    _c("art paint", ("image",), lambda p, o, m: [
        "art", "paint", "--target", str(p), "--param", "pixels", "--size", "16", "--steps", "2",
        "--frames", "1", "--threads", "1", "--out", str(o)]),
    _c("art style", ("image",), lambda p, o, m: [
        "art", "style", "--content", str(p), "--style", str(p), "--size", "16", "--steps", "2",
        "--threads", "1", "--out", str(o)]),
    _c("art repeat", ("abc",), lambda p, o, m: [
        "art", "repeat", str(p), "--threads", "1", "--out", str(o)]),
    _c("airquality train", ("table-airquality",), lambda p, o, m: [
        "airquality", "train", str(p), *_AIRQUALITY, "--out", str(o)]),
    _c("airquality predict", ("table-airquality",), lambda p, o, m: [
        "airquality", "predict", str(m.get("airquality")), str(p), "--out", str(o)]),
    _c("airquality predict --model", ("model",), lambda p, o, m: [
        "airquality", "predict", str(p), str(m.valid["airquality"]), "--out", str(o)]),
    _c("airquality dashboard", ("table-airquality",), lambda p, o, m: [
        "airquality", "dashboard", str(p), "--out", str(o)]),
    _c("airquality prepare", ("table-airquality",), lambda p, o, m: [
        "airquality", "prepare", str(p), "--out", str(o)]),
    _c("airquality satellite", ("table-airquality",), lambda p, o, m: [
        "airquality", "satellite", str(p), "--netcdf", str(m.valid["garbage_nc"]), "--out",
        str(o)]),
)  # fmt: skip


def out_path(root: Path, command: Command, case: Case) -> Path:
    """A fresh output path for one run (a file name with a suffix when the command writes one)."""
    slug = f"{command.name}-{case.kind}-{case.name}".replace(" ", "_").replace("-", "_")
    folder = root / "out" / slug
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    suffix = ".csv" if command.name.split(" --")[0] in _CSV_OUTPUTS else ""
    if command.name.startswith("tunes evaluate"):
        suffix = ".json"
    if command.name == "birds picture":
        suffix = ".png"
    return folder / f"out{suffix}"


_CSV_OUTPUTS = {
    "proteins predict",
    "sentiment score",
    "lifelog daily",
    "birds peaks",
    "birds birdnet",
    "selfsup embed",
    "airquality predict",
    "airquality prepare",
    "airquality satellite",
}
