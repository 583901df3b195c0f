from django.apps import AppConfig


class BenchConfig(AppConfig):
    """No models: the benchmark commands and ``seed_demo``."""

    name = "config.bench"
    label = "bench"
    verbose_name = "Benchmarks and demo data"
