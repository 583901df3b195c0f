from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "config.api"
    label = "api"
    verbose_name = "API clients and access"
    default_auto_field = "django.db.models.BigAutoField"
