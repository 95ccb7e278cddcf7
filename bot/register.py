"""Contract register import and export (placeholder, being written)."""

import click


@click.group("import")
def import_group() -> None:
    """Import data."""


@click.group("export")
def export_group() -> None:
    """Export data."""
