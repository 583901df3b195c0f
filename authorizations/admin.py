"""The app's admin pages (found by Django's admin autodiscovery): VBA Auths on the per-database sites, Spry
Authorizations on the default site."""

from authorizations.spry import admin as spry_admin  # noqa: F401
from authorizations.vba import admin as vba_admin  # noqa: F401
