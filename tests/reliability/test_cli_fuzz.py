"""Every command of every domain over hostile inputs: exit 0 or 2, never a traceback.

A failing run must print one line naming the file and the fix, and leave no output that
looks complete. To keep ``make test`` fast each command gets a few of its corpus cases
here (a different one per command, plus a few chosen ones, so together they cover most
kinds of breakage);
``benchmarks/reliability.py`` runs every command over every case for the results page.
"""

from __future__ import annotations

import pytest
import torch

from tests.reliability.corpus import build_corpus
from tests.reliability.matrix import COMMANDS, Models, judge, out_path, run_command

#: cases per command in the test (the benchmark runs them all)
PER_COMMAND = 1

#: cases every run of the test includes, whatever the sampling picks
ALWAYS = {
    # issue 21's first report: a labelled CSV (a column named `label`) crashed scoring
    "sentiment score": ("clashing-columns", "latin1"),
    "imbalance compare": ("semicolon",),
    "airquality train": ("utf16-bom",),
    "tunes train": ("no-key",),
    "proteins train": ("stockholm-without-end",),
    "birds soundscape --labels": ("utf16-bom", "raven-bad-time", "birdclef-unknown-species"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("hostile")
    kinds = build_corpus(root / "corpus")
    valid = {case.name: case.path for case in kinds["valid"]}
    (root / "models").mkdir()
    return root, kinds, Models(root / "models", valid)


def _sample(index: int, name: str, cases: list) -> list:
    """``PER_COMMAND`` cases spread over the list, shifted by the command's index."""
    step = max(1, len(cases) // PER_COMMAND)
    picked = [cases[(index + i * step) % len(cases)] for i in range(PER_COMMAND)]
    picked += [c for c in cases if c.name in ALWAYS.get(name, ())]
    return list({id(c): c for c in picked}.values())


@pytest.mark.parametrize("index", range(len(COMMANDS)), ids=[c.name for c in COMMANDS])
def test_command_survives_hostile_input(corpus, index):
    root, kinds, models = corpus
    command = COMMANDS[index]
    cases = [case for kind in command.kinds for case in kinds[kind]]
    problems = []
    for case in _sample(index, command.name, cases):
        out = out_path(root, command, case)
        args = command.args(case.path, out, models)
        outcome = judge(run_command(args), case, out if command.output else None, args)
        problems += [f"{case.kind}/{case.name}: {p}" for p in outcome.problems]
    assert not problems, f"castlab {command.name}:\n" + "\n".join(problems)


def test_every_hostile_case_is_tried_by_some_command(corpus):
    _, kinds, _ = corpus
    from tests.reliability.corpus import CASE_NAMES

    tried = set()
    for index, command in enumerate(COMMANDS):
        cases = [case for kind in command.kinds for case in kinds[kind]]
        tried |= {case.name for case in _sample(index, command.name, cases)}
    built = {case.name for cases in kinds.values() for case in cases}
    assert set(CASE_NAMES) <= built, set(CASE_NAMES) - built
    missing = set(CASE_NAMES) - tried
    assert len(missing) <= len(CASE_NAMES) // 3, f"never tried in the test: {sorted(missing)}"
