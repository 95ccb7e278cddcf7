"""The staff area as the app registers it: the blueprint with every staff route module's views attached."""

from __future__ import annotations

from bot.staff import admin_views, auth, export_views, sector_views, sso_views, supplier_admin_views, views
from bot.staff.blueprint import bp

# Each adds its views to `bp` when imported.
ROUTE_MODULES = (admin_views, auth, export_views, sector_views, sso_views, supplier_admin_views, views)

__all__ = ["ROUTE_MODULES", "bp"]
