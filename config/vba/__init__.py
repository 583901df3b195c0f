"""The VBA protocol (under ``/vbasoftware/``): envelope and problem details, credentials (API key, idToken),
the generic record view set, paging, the OpenAPI schema of its operations. Imports the engine and serving; never
the Spry protocol or the admin."""
