from django.apps import AppConfig


class VBAConfig(AppConfig):
    """No models. Registers the VBA envelope for refusals answered before any view (:mod:`config.serving.limits`)."""

    name = "config.vba"
    label = "vba"
    verbose_name = "VBA protocol"

    def ready(self) -> None:
        from config.serving.limits import register_error_response
        from config.serving.tenancy import VBA_API_PREFIX
        from config.vba.envelope import refusal_response

        register_error_response(VBA_API_PREFIX, refusal_response)
