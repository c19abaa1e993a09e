"""The ``nianbao`` command line: ``parse | train | eval | label``.

Each sub-command lives beside the stage it drives and is registered here.
"""

from __future__ import annotations

import typer

from nianbao import __version__
from nianbao.batch.cli import parse

app = typer.Typer(help="nianbao: structured data from government information-disclosure annual reports",
                  no_args_is_help=True, add_completion=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nianbao {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version every record carries, and exit.")) -> None:
    """Parse, train, evaluate and label annual reports."""


def _register() -> None:
    app.command("parse")(parse)
    app.command("export")(__import__("nianbao.export.cli", fromlist=["export"]).export)
    app.command("show")(__import__("nianbao.review.show", fromlist=["show"]).show)
    app.command("apply")(__import__("nianbao.review.apply", fromlist=["apply"]).apply)
    app.command("link")(__import__("nianbao.series.cli", fromlist=["link"]).link)
    app.command("audit")(__import__("nianbao.series.cli", fromlist=["audit"]).audit)
    for module, name, help_ in (
        ("nianbao.training.cli", "train", "Generate synthetic data and train the tagger."),
        ("nianbao.evaluation.cli", "eval", "Score predictions against gold labels; write release reports."),
        ("nianbao.labels.cli", "label", "Label Studio round trip: push tasks, pull annotations, serve the model."),
    ):
        try:
            sub = __import__(module, fromlist=["app"]).app
        except ModuleNotFoundError as exc:  # a stage not built yet: say so instead of hiding it
            if exc.name and exc.name.startswith("nianbao"):
                sub = typer.Typer(help=f"(unavailable: {exc.name} missing)")
            else:
                raise
        app.add_typer(sub, name=name, help=help_)


_register()
