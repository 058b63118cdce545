"""PostgreSQL test support: the server's DSN, fresh schemas dropped afterwards, a TCP proxy.

The DSN comes from `JOBSLOT_TEST_PG` (default: the local server this machine kind runs). Without
a reachable server the tests skip and say so; with `CI=true` a missing server fails the run.
Imported by the PostgreSQL tests and by their spawned worker processes.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

DEFAULT_DSN = "postgresql://root@127.0.0.1:5432/test"


def dsn() -> str:
    return os.environ.get("JOBSLOT_TEST_PG", DEFAULT_DSN)


_probe: list[str | None] = []


def server_problem() -> str | None:
    """None when the server answers, else why not (probed once per process)."""
    if not _probe:
        try:
            import psycopg

            with psycopg.connect(dsn(), connect_timeout=5, autocommit=True) as conn:
                conn.execute("SELECT 1")
            _probe.append(None)
        except ImportError:
            _probe.append("psycopg is not installed (the `postgres` extra)")
        except Exception as e:  # any driver failure means: no usable server
            _probe.append(f"no PostgreSQL server at {dsn()}: {str(e).strip()[:200]}")
    return _probe[0]


def require_server() -> None:
    """Skip (or, with CI=true, fail) when there is no server."""
    problem = server_problem()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {problem}; set JOBSLOT_TEST_PG", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {problem} (set JOBSLOT_TEST_PG)")


def server_version() -> str | None:
    if server_problem() is not None:
        return None
    import psycopg

    with psycopg.connect(dsn(), autocommit=True) as conn:
        row = conn.execute("SELECT version()").fetchone()
    return None if row is None else str(row[0])


def new_schema_name(tag: str = "t") -> str:
    """A schema name no other test run (nor engineer) uses."""
    return f"jobslot_test_{tag}_{os.getpid()}_{uuid.uuid4().hex[:10]}"


def execute(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one statement on a fresh autocommit connection; its rows (if any)."""
    import psycopg

    with psycopg.connect(dsn(), autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def drop_schema(name: str) -> None:
    execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def reset_schema(name: str) -> None:
    """Empty every table of a jobslot schema (quicker than making a new one per test)."""
    import psycopg

    from jobslot_core.storage.protocol import TABLES

    with psycopg.connect(dsn(), autocommit=True) as conn, conn.transaction():
        for table in [*(t.name for t in TABLES), "scopes"]:
            conn.execute(f'DELETE FROM "{name}"."{table}"')
        conn.execute(f'UPDATE "{name}".tails SET seq = 0')


class Schemas:
    """Schemas made by one test module, all dropped at its end."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def new(self, tag: str = "t") -> str:
        name = new_schema_name(tag)
        self.made.append(name)
        return name

    def drop_all(self) -> None:
        for name in self.made:
            drop_schema(name)
            drop_schema(name + "_broken")
        self.made.clear()


class SchemaRing:
    """Schemas for stores made one after another (scenario tests): a few are made on first
    use and handed out in turn, each emptied first; `drop_all` removes them."""

    def __init__(self, size: int = 6) -> None:
        self.size = size
        self.schemas = Schemas()
        self._next = 0

    def take(self) -> str:
        require_server()
        if len(self.schemas.made) < self.size:
            return self.schemas.new("ring")
        name = self.schemas.made[self._next % self.size]
        self._next += 1
        reset_schema(name)
        return name

    def drop_all(self) -> None:
        self.schemas.drop_all()


class DropProxy:
    """A TCP proxy to the server that can drop the connection right after forwarding COMMIT.

    While `armed`, a client message holding the text COMMIT is forwarded to the server and then
    both sockets are closed before any answer comes back: the client cannot know whether the
    commit happened.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.armed = False
        self.drops = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def dsn(self, base: str) -> str:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(base)
        params.update(host="127.0.0.1", port=str(self.port))
        return make_conninfo(**params)

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([client, server], [], [], 1.0)
                if self._stop:
                    return
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    dst = server if src is client else client
                    dst.sendall(data)
                    if src is client and self.armed and b"\x00COMMIT\x00" in data:
                        self.armed = False
                        self.drops += 1
                        return
        except OSError:
            return
        finally:
            for s in (client, server):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self) -> None:
        self._stop = True
        self._listener.close()


def server_address() -> tuple[str, int]:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn())
    return (str(params.get("host", "127.0.0.1")), int(params.get("port", 5432)))


def wait_until(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    import time

    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.01)
    return check()
