"""The ``castlab`` command: one sub-command per domain, plus ``demo`` and ``ui``.

The CLI is thin: it parses options, builds a config and calls the library. Heavy libraries
(torch, music21, ...) are imported inside commands so ``castlab --help`` stays fast.
User errors (:class:`castlab.core.errors.CastlabError`) print one line and exit with code 2.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from castlab.airquality.cli import app as airquality_app
from castlab.art.cli import app as art_app
from castlab.birds.cli import app as birds_app
from castlab.core.artifacts import file_in_the_way
from castlab.core.errors import CastlabError
from castlab.demo import DOMAIN_DEMOS
from castlab.imbalance.cli import app as imbalance_app
from castlab.lifelog.cli import app as lifelog_app
from castlab.proteins.cli import app as proteins_app
from castlab.selfsup.cli import app as selfsup_app
from castlab.sentiment.cli import app as sentiment_app
from castlab.tunes.cli import app as tunes_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="castlab",
    help="castlab: the projects of an applied-ML blog as working tools.\n\n"
    "Example: castlab tunes generate --type jig --key D",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _show_version(asked: bool) -> None:
    if asked:
        from castlab import __version__

        typer.echo(f"castlab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """The options given before a command (the help text is the app's own)."""


app.add_typer(tunes_app, name="tunes")
app.add_typer(lifelog_app, name="lifelog")
app.add_typer(imbalance_app, name="imbalance")
app.add_typer(proteins_app, name="proteins")
app.add_typer(sentiment_app, name="sentiment")
app.add_typer(birds_app, name="birds")
app.add_typer(art_app, name="art")
app.add_typer(airquality_app, name="airquality")
app.add_typer(selfsup_app, name="selfsup")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the report and its files.")] = Path(
        "castlab-report"
    ),
    domain: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="Run only this domain (repeatable): " + ", ".join(DOMAIN_DEMOS) + ".",
        ),
    ] = None,
) -> None:
    """Run every domain on its embedded data and write OUT/index.html.

    Example: castlab demo --out castlab-report --domain tunes
    """
    from castlab.demo import run_demo

    for name in domain or []:
        if name not in DOMAIN_DEMOS:
            raise CastlabError(
                f"unknown domain {name!r}", fix=f"choose from {', '.join(DOMAIN_DEMOS)}"
            )
    path = run_demo(out, domain)
    typer.echo(f"report written to {path}")


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8501,
) -> None:
    """Start the web app (Streamlit) on this machine only, one page per domain.

    Example: castlab ui --port 8501
    """
    from castlab.ui.launch import run

    typer.echo(f"castlab ui on http://127.0.0.1:{port} (Ctrl-C stops it)")
    run(port)


def main() -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2.

    In a distributed run (DDP) every process runs the command; only rank 0 prints results.
    """
    from castlab.core.distributed import is_main_process

    if not is_main_process():
        sys.stdout = open(os.devnull, "w")  # kept open for the life of the process
    try:
        app()
    except CastlabError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted; finished outputs and checkpoints are kept", err=True)
        sys.exit(130)
    except SystemExit as stop:
        if stop.code == 130:  # Typer's exit for Ctrl-C inside a command
            typer.echo("interrupted; finished outputs and checkpoints are kept", err=True)
        raise
    except OSError as error:
        message = _os_error_line(error)
        if message is None:
            raise
        typer.echo(f"error: {message}", err=True)
        sys.exit(2)


# Disk full, quota, read-only file system, no permission: the user's disk, not a bug.
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES}


def _os_error_line(error: OSError) -> str | None:
    """The one line for an OSError that the user's disk or paths caused, or None (a bug).

    A folder asked for where a file is (``--out photo.jpg`` for a run folder), or a file
    asked for where a folder is (``--out recs`` for a CSV), is the user's path, not a bug.

    Examples
    --------
    >>> _os_error_line(FileExistsError(errno.EEXIST, "File exists", "photo.jpg"))
    "photo.jpg: a file is there, a folder is needed (fix: name a new folder, or move 'photo.jpg' away)"
    >>> _os_error_line(ValueError("not an OSError")) is None
    True
    """
    if not isinstance(error, OSError):
        return None
    if error.errno in _DISK_ERRORS:
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{os.strerror(error.errno)} (fix: free space or write --out elsewhere)"
    if error.errno in (errno.EEXIST, errno.ENOTDIR) and error.filename:
        blocker = Path(error.filename)
        for parent in (blocker, *blocker.parents):  # the file that stands where a folder must
            if parent.exists() and not parent.is_dir():
                blocker = parent
                break
        return str(file_in_the_way(blocker))
    if error.errno == errno.EISDIR and (error.filename2 or error.filename):
        folder = error.filename2 or error.filename
        return (
            f"{folder}: a folder is there, a file is needed "
            f"(fix: name a file, e.g. {str(Path(folder) / 'out.csv')!r})"
        )
    return None
