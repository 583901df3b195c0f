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
