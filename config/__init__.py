"""The project: settings, URLs and the shared layers of the house.

The map (checked by ``make lint``: ``lint-imports``, contracts in pyproject.toml), top to bottom; a package may
import those below it, never one above it, and packages on one line never import each other:

* ``config.bench`` — benchmarks, their commands and ``seed_demo``: may import anything, imported by nothing;
* ``authorizations`` | ``carecases`` — the records (in ``authorizations``, VBA's ``vba`` and Spry's ``spry``
  subpackages, independent of each other): models, services, selectors, filters, API declarations, admin pages,
  demo data, commands;
* ``config.admin`` | ``config.vba`` | ``config.spry`` — the staff admin (per-database sites, export, template tags,
  static files), the VBA protocol (envelope, credentials, views, paging, OpenAPI) and the Spry protocol;
* ``config.serving`` — request limits, rate limits, activity id middleware, tenancy (header or URL → database),
  health, the gunicorn worker, and the ``serve``, ``migrate_all`` and ``create_api_client`` commands; it answers a
  refusal in a protocol's envelope through what each protocol registers (``limits.register_error_response``);
* ``config.records`` — the record engine: specs, validation, writers, the batch engine, SQL rendering, record files,
  dates, counting, filters, the current database and activity id, database faults;
* ``config.api`` — the ``api`` app's tables (API clients, grants, spent refresh tokens, key sequences, exports).

``config.settings``, ``config.urls`` and ``config.wsgi`` put the house together and may import any of them.
"""
