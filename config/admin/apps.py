from django.apps import AppConfig


class RecordsAdminConfig(AppConfig):
    """No models: the per-database admin sites (:mod:`config.admin.sites`), the ``records_admin`` template tags and
    static files. Its label is not ``admin`` (Django's admin has it)."""

    name = "config.admin"
    label = "records_admin"
    verbose_name = "Records admin"

    def ready(self) -> None:
        from config.admin import sites  # noqa: F401  (registers the api app's models on the default admin site)
