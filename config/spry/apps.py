from django.apps import AppConfig


class SpryConfig(AppConfig):
    """No models. Registers the Spry envelope for refusals answered before any view (:mod:`config.serving.limits`)."""

    name = "config.spry"
    label = "spry"
    verbose_name = "Spry protocol"

    def ready(self) -> None:
        from config.serving.limits import register_error_response
        from config.spry.protocol import SPRY_API_PREFIX, spry_error_response

        register_error_response(SPRY_API_PREFIX, spry_error_response)
