"""Round trips straight through libpq: a pipeline of statements on one psycopg connection.

`PostgresStore` sends every unit of work's statements here instead of through psycopg cursors.
It uses psycopg's public libpq wrapper (`psycopg.pq`) and its adaptation (`psycopg.adapt
.Transformer`, the dumpers and loaders a cursor uses), so values go over the wire exactly as
through a cursor. What it leaves out is a cursor's bookkeeping for each statement and each
pipeline, which cost the client about as much as the rest of a command.

Statements are psycopg's `%s` (any format) and `%b` (binary) placeholders, prepared on the
server, as psycopg prepares them, after `prepare_threshold` uses of a text (never when it is
None, as PgBouncer in transaction mode needs), at most `prepared_max` per connection.
"""

from __future__ import annotations

import contextlib
import re
import select
from collections.abc import Sequence
from typing import Any

__all__ = ["Result", "Wire"]

_PLACEHOLDER = re.compile(rb"%([sb%])")

_POLL_IN = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP
_POLL_INOUT = _POLL_IN | select.POLLOUT

_MAX_COUNTED = 1024
"""SQL texts whose uses are counted towards `prepare_threshold` (counting starts anew)."""

_MAX_TEXTS = 4096
"""Statement texts kept converted (a store's own texts are far fewer; more start anew)."""

_Statement = tuple[str, Sequence[Any] | None]


class Result:
    """One statement's answer: its rows (loaded only where asked for) and its row count."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class _Text:
    """A statement text as libpq takes it (`$n` placeholders) and each parameter's format."""

    __slots__ = ("formats", "query")

    def __init__(self, sql: str, auto: Any, binary: Any) -> None:
        formats: list[Any] = []

        def number(m: re.Match[bytes]) -> bytes:
            if m.group(1) == b"%":
                return b"%"
            formats.append(binary if m.group(1) == b"b" else auto)
            return b"$%d" % len(formats)

        self.query = _PLACEHOLDER.sub(number, sql.encode())
        self.formats = formats


class Wire:
    """Sends pipelines on one connection: every statement, then a sync, then reads each answer.

    Not thread-safe: one unit of work uses a connection at a time."""

    __slots__ = (
        "_conn",
        "_errors",
        "_made",
        "_max",
        "_names",
        "_pg",
        "_poll",
        "_pq",
        "_texts",
        "_threshold",
        "_tx",
        "_uses",
    )

    def __init__(self, conn: Any, texts: dict[str, _Text]) -> None:
        import psycopg
        from psycopg import pq
        from psycopg.adapt import Transformer

        self._conn = conn
        self._pg = conn.pgconn
        self._pq = pq
        self._errors = psycopg
        self._tx = Transformer(conn)
        self._texts = texts  # shared by the store's connections: the texts are the store's
        self._made = 0
        self._names: dict[tuple[str, tuple[int, ...]], bytes] = {}
        self._uses: dict[tuple[str, tuple[int, ...]], int] = {}
        self._threshold: int | None = conn.prepare_threshold
        self._max: int = conn.prepared_max if conn.prepared_max is not None else 1 << 30
        self._poll = select.poll()
        self._poll.register(self._pg.socket, _POLL_IN)

    def text(self, sql: str) -> _Text:
        text = self._texts.get(sql)
        if text is None:
            from psycopg.adapt import PyFormat

            if len(self._texts) >= _MAX_TEXTS:
                self._texts.clear()
            text = self._texts[sql] = _Text(sql, PyFormat.AUTO, PyFormat.BINARY)
        return text

    def round_trip(self, statements: Sequence[_Statement], keep: int) -> list[Result]:
        """Send `statements` in one pipeline; return the answers of the last `keep` of them
        (rows loaded). Raises the psycopg error of the first statement the server refused
        (the rest were skipped), or psycopg's OperationalError when the connection is lost."""
        pg = self._pg
        tx: Any = self._tx
        texts = self._texts
        names = self._names
        threshold = self._threshold
        # Every value is dumped before anything is sent: a value psycopg refuses (a NUL in
        # text) raises here, with the connection untouched.
        dumped = []
        for sql, params in statements:
            text = texts.get(sql) or self.text(sql)
            if params:
                if len(params) != len(text.formats):
                    raise self._errors.ProgrammingError(
                        f"{len(text.formats)} placeholders, {len(params)} parameters: {sql}"
                    )
                values = tx.dump_sequence(params, text.formats)
                dumped.append((sql, text.query, values, tx.types, tx.formats))
            else:
                dumped.append((sql, text.query, None, (), None))
        new: dict[tuple[str, tuple[int, ...]], bytes] = {}  # prepared in this round trip
        groups: list[Any] = []  # per result awaited: None, a statement's answer; else a key
        made: list[Any] = []
        pg.enter_pipeline_mode()
        try:
            for sql, query, values, types, formats in dumped:
                if threshold is None:
                    pg.send_query_params(query, values, types, formats)
                    groups.append(None)
                    continue
                key = (sql, types)
                name = names.get(key) or new.get(key)
                if name is None:
                    uses = self._uses.get(key, 0)
                    if uses < threshold or len(names) + len(new) >= self._max:
                        if len(self._uses) >= _MAX_COUNTED:
                            self._uses.clear()
                        self._uses[key] = uses + 1
                        pg.send_query_params(query, values, types, formats)
                        groups.append(None)
                        continue
                    self._made += 1
                    name = new[key] = b"_jobslot_%d" % self._made
                    pg.send_prepare(name, query, types)
                    groups.append(key)
                pg.send_query_prepared(name, values, formats)
                groups.append(None)
            pg.pipeline_sync()
            self._flush()
            answers = self._answers(groups, len(statements) - keep, made)
        except BaseException:
            self._abandon()
            raise
        pg.exit_pipeline_mode()
        for key in made:  # made on the server even when a later statement failed
            names[key] = new[key]
            self._uses.pop(key, None)
        if isinstance(answers, BaseException):
            if getattr(answers, "sqlstate", None) == "26000":
                names.clear()  # our prepared statements are gone (DISCARD ALL): prepare anew
            raise answers
        return answers

    def _answers(
        self, groups: list[Any], skip: int, made: list[Any]
    ) -> list[Result] | BaseException:
        """Read every awaited result and the sync: the answers, or the first error met; the
        statements prepared go to `made`."""
        status = self._pq.ExecStatus
        fatal, sync, ok = status.FATAL_ERROR, status.PIPELINE_SYNC, status.COMMAND_OK
        error: BaseException | None = None
        out: list[Result] = []
        n = 0
        tx = self._tx
        try:
            for group in groups:
                res = self._next()
                while self._next() is not None:  # one result per statement, then None
                    pass
                if res is None:
                    raise self._errors.OperationalError("the server sent no result")
                if res.status == fatal and error is None:
                    error = self._error(res)
                if group is not None:
                    if res.status == ok:
                        made.append(group)
                    continue
                if n >= skip and error is None:
                    if res.ntuples:
                        tx.set_pgresult(res)
                        rows = tx.load_rows(0, res.ntuples, tuple)
                    else:
                        rows = []
                    out.append(Result(rows, res.command_tuples or 0))
                n += 1
            res = self._next()
            if res is None or res.status != sync:
                raise self._errors.OperationalError("the pipeline's sync was not answered")
        except self._errors.OperationalError as lost:
            if error is not None:  # the server said why before it went (57P01, say)
                raise error from lost
            raise
        return out if error is None else error

    def _next(self) -> Any:
        pg = self._pg
        while pg.is_busy():
            self._poll.poll()
            pg.consume_input()
        return pg.get_result()

    def _flush(self) -> None:
        pg = self._pg
        if pg.flush() == 0:
            return
        poll = self._poll
        fd = pg.socket
        poll.modify(fd, _POLL_INOUT)
        try:
            while pg.flush():
                for _, event in poll.poll():
                    if event & _POLL_IN:
                        pg.consume_input()  # the server's answers, so it can read on
        finally:
            poll.modify(fd, _POLL_IN)

    def _error(self, res: Any) -> BaseException:
        """The psycopg exception for a refused statement (its class carries the SQLSTATE)."""
        errors = self._errors
        field = self._pq.DiagnosticField
        raw = res.error_field(field.SQLSTATE)
        state = raw.decode() if raw else None
        text = res.error_field(field.MESSAGE_PRIMARY) or res.error_message or b"error"
        message = text.decode(errors="replace").strip()
        try:
            cls = errors.errors.lookup(state) if state else errors.OperationalError
        except KeyError:
            cls = errors.DatabaseError
        err: BaseException = cls(message)
        if state and getattr(err, "sqlstate", None) != state:
            err.sqlstate = state  # type: ignore[attr-defined]
        return err

    def _abandon(self) -> None:
        """After a failure mid-pipeline the connection's state is unknown: close it (the pool
        replaces a closed connection), so nothing reuses it half-read."""
        with contextlib.suppress(Exception):  # closing what is already broken
            self._conn.close()
