import click

from . import load_app, main


@main.command()
@click.option("--portal", "portal_id", type=int, required=True, help="HubSpot portal (account) id.")
@click.option("--purge", is_flag=True, help="Also delete every row we hold for this portal.")
@click.confirmation_option(prompt="Remove the app from this HubSpot account?")
def uninstall(portal_id: int, purge: bool) -> None:
    """Uninstall the app from a portal: remove it in HubSpot, revoke its tokens, keep or purge its data."""
    from .. import extensions
    from ..install.service import uninstall as uninstall_portal
    from ..install.tokens import InstallationInactive

    app = load_app()
    with app.app_context():
        try:
            result = uninstall_portal(extensions.db(), extensions.cipher(), extensions.oauth(), extensions.clock(),
                                      portal_id, purge=purge)
        except InstallationInactive as error:
            raise click.ClickException(str(error)) from None
    where = "removed in HubSpot" if result.removed_from_hubspot else "HubSpot could not be told (already removed?)"
    click.echo(f"portal {portal_id} uninstalled: {where}; "
               + (f"{result.purged_rows} rows purged" if purge else "data kept"))
