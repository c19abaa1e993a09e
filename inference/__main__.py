"""``python -m nianbao`` runs the CLI."""

from nianbao.cli import app

app()
