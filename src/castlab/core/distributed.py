"""Which process of a distributed run this is, before any training library is imported.

Lightning, torchrun and SLURM start one process per device; every process runs the same
command. Files that a run writes itself (configs, splits, saved models, printed results) are
written by one process only, rank 0; Lightning already does the same for its log, plots and
checkpoints.
"""

from __future__ import annotations

import os

__all__ = ["is_main_process"]


def is_main_process() -> bool:
    """Whether this process writes run files: the only process, or rank 0 of a distributed run.

    Reads the variables the launchers set before training starts: ``RANK`` (torchrun),
    ``SLURM_PROCID`` (SLURM), ``NODE_RANK`` and ``LOCAL_RANK`` (Lightning's own launcher).

    Examples
    --------
    >>> is_main_process()
    True
    """
    for variable in ("RANK", "SLURM_PROCID"):
        if variable in os.environ:
            return int(os.environ[variable]) == 0
    return int(os.environ.get("NODE_RANK", 0)) == 0 and int(os.environ.get("LOCAL_RANK", 0)) == 0
