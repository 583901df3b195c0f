"""The ``api`` app (label kept): the project's own tables in ``default`` (API clients, database grants, spent
refresh tokens, admin exports) and the key sequences of every VBA database, with their migrations. The bottom
layer: imports no other package of the project."""
