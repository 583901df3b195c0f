import re
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from config.api.models import APIClient, DatabaseGrant

DEMO_USER, DEMO_PASSWORD, DEMO_CLIENT = "demo", "demo-password", "demo client"


class Command(BaseCommand):
    help = (
        "Create the demo staff login and a fresh demo API key, and load each app's demo records (its demo.py) "
        "into every VBA database. Safe to run again; prints the credentials."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=DEMO_USER)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        databases = list(settings.VBA_DATABASES)
        for name in databases:
            DatabaseGrant.objects.get_or_create(user=user, database=name)
        # A fresh key each run (a key is stored hashed: it cannot be printed again); the keys earlier runs printed
        # keep working, so running `make run` again never breaks a shell set up from its last output.
        _client, key = APIClient.objects.create_key(name=DEMO_CLIENT, databases=databases)

        exports = []
        for config in apps.get_app_configs():
            if find_spec(f"{config.name}.demo") is not None:
                loaded = import_module(f"{config.name}.demo").load(user=user)
                self.stdout.write(f"Demo data of {config.label}: {loaded}")
                exports += re.findall(r"export [A-Z_]+='[^']*'(?: [A-Z_]+='[^']*')*", loaded)

        db = databases[0]
        self.stdout.write(self.style.SUCCESS("\nDemo credentials"))
        self.stdout.write(f"  admin:       http://127.0.0.1:8000/admin/  user {DEMO_USER!r} password {DEMO_PASSWORD!r}")
        self.stdout.write(f"  databases:   {', '.join(databases)}")
        self.stdout.write("  shell setup for the README's curl examples:")
        self.stdout.write(f"    export VBA_API_KEY='{key}'")
        self.stdout.write(f"    export VBA_DB='{db}'")
        self.stdout.write(f"    export VBA_USER='{DEMO_USER}' VBA_PASSWORD='{DEMO_PASSWORD}'")
        for line in exports:
            self.stdout.write(f"    {line}")
