from django.apps import AppConfig


class AuthorizationsConfig(AppConfig):
    name = "authorizations"
    verbose_name = "Authorizations"
    default_auto_field = "django.db.models.BigAutoField"
