from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig

from . import load_app, main

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations (run by the release phase)."""
    app = load_app()
    command.upgrade(alembic_config(app.extensions["moulin.config"].database_url), revision)
    click.echo(f"database at {revision}")
