"""`moulin-hubspot keys rotate`: re-encrypt every secret at rest under the first TOKEN_ENCRYPTION_KEYS key.

Rotation: prepend a new key (the old one still decrypts), run this, then drop
the old key. Every `*_enc` column of every table is covered, so a table added
later is rotated without touching this file.
"""
from __future__ import annotations

from dataclasses import dataclass

import click
from cryptography.fernet import InvalidToken
from sqlalchemy import and_, select, update

from ..crypto import SecretCipher
from ..db import Base, Database
from . import load_app, main

BATCH = 500


@dataclass
class ColumnRotation:
    table: str
    column: str
    rotated: int = 0
    # Rewritten by someone else between our read and our write (e.g. a token refresh): left as they wrote it.
    changed_meanwhile: int = 0


def rotate_encrypted_columns(database: Database, cipher: SecretCipher) -> list[ColumnRotation]:
    from ..db import models  # noqa: F401  (every table registered)

    results = []
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1:
            continue
        [pk] = key
        for column in (c for c in table.columns if c.name.endswith("_enc")):
            result = ColumnRotation(table.name, column.name)
            last = None
            while True:
                # One short transaction per batch: workers keep running during a rotation.
                with database.session() as session:
                    query = select(pk, column).where(column.is_not(None)).order_by(pk).limit(BATCH)
                    if last is not None:
                        query = query.where(pk > last)
                    rows = session.execute(query).all()
                    for row_id, ciphertext in rows:
                        # Compare-and-swap: write only if the value is still the one we re-encrypted.
                        done = session.execute(update(table).where(and_(pk == row_id, column == ciphertext))
                                               .values({column.name: cipher.rotate(ciphertext)})).rowcount
                        result.rotated += done
                        result.changed_meanwhile += 1 - done
                if len(rows) < BATCH:
                    break
                last = rows[-1][0]
            results.append(result)
    return results


@main.group()
def keys() -> None:
    """Encryption keys for tokens and secrets at rest."""


@keys.command()
def rotate() -> None:
    """Re-encrypt every stored secret with the first key of TOKEN_ENCRYPTION_KEYS."""
    from .. import extensions

    app = load_app()
    with app.app_context():
        try:
            results = rotate_encrypted_columns(extensions.db(), extensions.cipher())
        except InvalidToken:
            raise click.ClickException("a stored secret decrypts with none of the keys: is a key that was in use "
                                       "missing from TOKEN_ENCRYPTION_KEYS?") from None
    for result in results:
        extra = f" ({result.changed_meanwhile} changed meanwhile: run again)" if result.changed_meanwhile else ""
        click.echo(f"{result.table}.{result.column}: {result.rotated} re-encrypted{extra}")
    if any(r.changed_meanwhile for r in results):
        raise click.ClickException("some secrets changed during the rotation; run `keys rotate` again")
    click.echo("done: every secret now decrypts with the first key alone; the older keys can be removed")
