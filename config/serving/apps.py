from django.apps import AppConfig


class ServingConfig(AppConfig):
    """No models: the ``serve``, ``migrate_all`` and ``create_api_client`` commands, and the activity id on history
    rows."""

    name = "config.serving"
    label = "serving"
    verbose_name = "Serving"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from config.records.activity import stamp_activity_id

        pre_create_historical_record.connect(stamp_activity_id, dispatch_uid="vbapi-activity-id")
