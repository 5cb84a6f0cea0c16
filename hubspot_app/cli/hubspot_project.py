"""`moulin-hubspot hubspot-project --base-url https://… [--out DIR]`: the HubSpot project for this deployment.

Writes crm_cards/ with the deployment's URLs (OAuth redirect, the cards' fetch URL, the webhook target), checks it
with HubSpot's project parser, and says what to run next (`hs project upload`, see docs/deployment.md).
"""
from __future__ import annotations

from pathlib import Path

import click

from ..deploy.hubspot_project import ProjectError, write_project
from . import main


@main.command("hubspot-project")
@click.option("--base-url", required=True, help="The app's public HTTPS address, e.g. https://moulin.shop.example.org")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("build/hubspot-project"),
              show_default=True, help="An empty or new folder to write the project to.")
def hubspot_project(base_url: str, out: Path) -> None:
    """Write the HubSpot project (crm_cards/) pointed at BASE_URL and check it with HubSpot's parser."""
    try:
        project = write_project(base_url, out)
    except ProjectError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote the HubSpot project for {project.base_url} to {project.path}")
    for component in project.components:
        click.echo(f"  {component['type'].lower():12} {component['uid']}")
    click.echo("HubSpot's project parser: OK (structure; HubSpot checks the schemas on upload).\n"
               f"Next: cd {project.path} && hs project upload   (docs/deployment.md, step 3)")
