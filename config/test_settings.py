"""Test settings: two VBA databases (``demo`` and ``other``) unless the environment names its own."""

import os

os.environ.setdefault("VBA_DATABASES", "demo=sqlite:///:memory:,other=sqlite:///:memory:")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
os.environ.setdefault("SECRET_KEY", "test-secret-key-only-for-the-test-suite-0123456789-abcdefghijklmnop")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
