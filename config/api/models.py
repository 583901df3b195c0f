"""Who may call the VBA API and which databases they may use (all in the ``default`` database), plus the key
sequences that live in every VBA database."""

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class APIClient(AbstractAPIKey):
    """A VBAPI client, identified by its hashed ``x-api-key``; it may target only the databases listed."""

    databases = models.JSONField(default=list, help_text="VBA database names this client may target.")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API client"
        verbose_name_plural = "API clients"


class DatabaseGrant(models.Model):
    """Lets a (non-superuser) user work in one VBA database, through the API and the admin."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vba_grants")
    database = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "database"], name="unique_grant_per_database")]

    def __str__(self) -> str:
        return f"{self.user} → {self.database}"


class KeySequence(models.Model):
    """The last key handed out for a table, kept in each VBA database (like a database sequence: gaps allowed)."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "vbapi_key_sequence"

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class SpentRefreshToken(models.Model):
    """A VBA refresh token already exchanged at ``/user-refresh-tokens``: each is good for one refresh, which returns
    a new one (rotation). Only its id (``jti``) is kept, never the token, until it would have expired anyway."""

    jti = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "vbapi_spent_refresh_token"

    def __str__(self) -> str:
        return self.jti


class AdminExport(models.Model):
    """One download of records from an admin list: they take patient data out of the system, so who, when, from
    which database, which list (filters and search) or selection, and how many rows left are kept. ``rows`` is
    filled in as the download ends; ``completed`` is False if it was cut off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, help_text="The user's name at the time (kept if the user goes).")
    started = models.DateTimeField(auto_now_add=True, db_index=True)
    database = models.CharField(max_length=64, help_text="The VBA database, or default (Spry).")
    model = models.CharField(max_length=100, help_text="app_label.model of the records.")
    format = models.CharField(max_length=10)
    query = models.TextField(blank=True, help_text="The list's filters and search, as in its URL.")
    selection = models.JSONField(
        null=True, blank=True, help_text="The keys of the selected rows (an action), or null: the whole list."
    )
    rows = models.PositiveBigIntegerField(null=True, help_text="Rows sent; empty while the download runs.")
    completed = models.BooleanField(default=False)

    class Meta:
        ordering = ("-started", "-id")
        verbose_name = "admin export"

    def __str__(self) -> str:
        return f"{self.username}: {self.model} from {self.database} at {self.started:%Y-%m-%d %H:%M:%S}"
