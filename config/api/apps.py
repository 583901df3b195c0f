from typing import Any

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "config.api"
    label = "api"
    verbose_name = "API clients and access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        pre_create_historical_record.connect(stamp_activity_id, dispatch_uid="vbapi-activity-id")


def stamp_activity_id(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """History rows written one at a time (admin, deletes) carry the activity id of the request that made them."""
    from config.api.middleware import current_activity_id

    if hasattr(history_instance, "activity_id") and not history_instance.activity_id:
        history_instance.activity_id = current_activity_id()
