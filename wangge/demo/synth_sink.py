"""Where synthetic rows go: straight into the tables in large chunks, or into a fingerprint.

`wangge synth` writes millions of rows. Django's `bulk_create` builds a model instance per row and converts
every value through its field; at this size that is the bottleneck, so rows are made as plain tuples in the
tables' column order, with every value already in the form the database stores (timestamps as text,
encrypted values as their `v1:` tokens), and written with PostgreSQL's COPY or SQLite's `executemany`.
Primary keys are handed out here, so that rows can name each other before they are written.

A sink can also keep a fingerprint of the rows (a hash over every column that is neither encrypted nor
random) and write nothing, so two runs with one seed can be compared without a second database.
"""

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from wangge.core import pii
from wangge.core.pii import BlindIndexField, BlindIndexSetField, EncryptedCharField

# Rows per INSERT/COPY: big enough that per-statement costs vanish, small enough to keep memory flat.
CHUNK = 20_000
_NONCE = 12


class Sealer:
    """Encryption and blind indexes for many values: pii's format and keys, without its per-value set-up.

    `pii.encrypt` builds an AES-GCM context and reads the random source once per value; here the context is
    built once and nonces are read in blocks. The token format is pii's (`v1:<key id>:<base64>`, the column as
    associated data): the constructor checks a value round-trips through `pii.decrypt` and that the index
    matches `pii.blind_index`, so a change to pii's format fails here loudly instead of writing unreadable data.
    """

    def __init__(self) -> None:
        ring = pii.key_ring()
        self._aead = AESGCM(ring.keys[ring.current_id])
        self._head = f"v1:{ring.current_id}:"
        self._index_key = settings.PII_INDEX_KEY.encode()
        self._nonces = b""
        self._at = 0
        probe, context = "410105199001011234", "synth.probe"
        if pii.decrypt(self.seal(probe, context.encode()), context=context) != probe or self.index(
            probe
        ) != pii.blind_index(probe):
            raise RuntimeError("wangge.core.pii changed its format: update the synth's Sealer")

    def seal(self, plain: str, context: bytes) -> str:
        """The stored token of `plain` in the column whose context is `context` ("" stays "")."""
        if not plain:
            return ""
        if self._at + _NONCE > len(self._nonces):
            self._nonces, self._at = os.urandom(_NONCE * 4096), 0
        nonce = self._nonces[self._at : self._at + _NONCE]
        self._at += _NONCE
        sealed = self._aead.encrypt(nonce, plain.encode(), context)
        return self._head + base64.b64encode(nonce + sealed).decode()

    def index(self, value: str) -> str:
        """pii.blind_index, with the one-shot HMAC ("" stays "")."""
        if not value:
            return ""
        return hmac.digest(self._index_key, pii.normalize(value).encode(), "sha256").hex()

    def index_set(self, value: str, namespace: str) -> str:
        return pii.index_set(value, namespace)


def context_of(model: type[models.Model], name: str) -> bytes:
    """The associated data pii binds an encrypted column's values to."""
    field_ = model._meta.get_field(name)
    if not isinstance(field_, EncryptedCharField):
        raise TypeError(f"{model.__name__}.{name} is not encrypted")
    return field_.context().encode()


@dataclass
class Table:
    """One table: the model, its columns in row order, and the next primary key to hand out."""

    model: type[models.Model]
    fields: Sequence[str]
    next_id: int = 1
    secret: frozenset[str] = frozenset()  # columns left out of the fingerprint (ciphertext, random tokens)
    rows: list[tuple] = field(default_factory=list)
    written: int = 0

    def __post_init__(self) -> None:
        meta = self.model._meta
        self.columns = [meta.get_field(name).column for name in self.fields]
        every = {f.column for f in meta.concrete_fields}
        missing = every - set(self.columns)
        if missing:
            # A column added to the model since the synth was written: say so rather than insert NULLs.
            raise RuntimeError(f"synth does not fill {meta.db_table}.{', '.join(sorted(missing))}")
        self.name = meta.db_table
        self.secret_positions = [
            i
            for i, name in enumerate(self.fields)
            if name in self.secret
            or isinstance(meta.get_field(name), EncryptedCharField | BlindIndexField | BlindIndexSetField)
        ]

    def take_ids(self, count: int) -> int:
        """The first of `count` consecutive new primary keys."""
        first = self.next_id
        self.next_id += count
        return first


class Sink:
    """Collects rows per table and writes a chunk whenever one fills; counts what it wrote.

    `write=False` writes nothing (a dry run); `fingerprint=True` keeps a SHA-256 over every row's columns that
    are neither encrypted nor random, so two runs with one seed can be compared (`hexdigest`).
    Writes go through the default connection: COPY on PostgreSQL, executemany on SQLite.
    """

    def __init__(self, *, chunk: int = CHUNK, write: bool = True, fingerprint: bool = False) -> None:
        self.chunk = chunk
        self.tables: dict[type[models.Model], Table] = {}
        self.writing = write
        self.hashes: dict[str, hashlib._Hash] | None = {} if fingerprint else None
        connection.ensure_connection()
        self.vendor = connection.vendor
        if self.vendor not in ("postgresql", "sqlite"):
            raise RuntimeError(f"wangge synth writes to PostgreSQL or SQLite, not {self.vendor}")
        self.raw = connection.connection
        self._days: dict[int, str] = {}
        self._offset = "+00" if self.vendor == "postgresql" else ""
        # Millions of timestamps: the date part once per day, the time of day from a table.
        self._seconds = [f" {n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}{self._offset}" for n in range(86400)]
        if write and self.vendor == "sqlite" and not connection.in_atomic_block:
            # A throwaway bulk load: no fsync per commit, a bigger page cache. Only this connection, only now.
            self.raw.execute("PRAGMA synchronous=OFF")
            self.raw.execute("PRAGMA cache_size=-262144")

    def table(self, model: type[models.Model], fields: Sequence[str], *, secret: Iterable[str] = ()) -> Table:
        table = self.tables.get(model)
        if table is None:
            table = Table(model, fields, next_id=self.first_id(model), secret=frozenset(secret))
            self.tables[model] = table
        return table

    def first_id(self, model: type[models.Model]) -> int:
        return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1

    def add(self, table: Table, row: tuple) -> None:
        table.rows.append(row)
        if len(table.rows) >= self.chunk:
            self.flush(table)

    def extend(self, table: Table, rows: Iterable[tuple]) -> None:
        table.rows.extend(rows)
        if len(table.rows) >= self.chunk:
            self.flush(table)

    def flush(self, table: Table | None = None) -> None:
        """Write what is waiting in `table` (or in all) and first in every table registered before it.

        Tables are registered parents first, so a chunk never names a row that is not written yet (SQLite
        checks foreign keys at every commit).
        """
        tables = list(self.tables.values())
        if table is not None:
            tables = tables[: tables.index(table) + 1]
        for each in tables:
            if each.rows:
                if self.hashes is not None:
                    self._digest(each, each.rows)
                if self.writing:
                    self._write(each, each.rows)
                each.written += len(each.rows)
                each.rows = []

    def timestamp(self, epoch: int) -> str:
        """A moment (seconds since the epoch) as the database stores it: UTC text, with the offset for PostgreSQL
        (Django keeps SQLite's datetimes as UTC text without one)."""
        day, second = divmod(epoch, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        return prefix + self._seconds[second]

    def _write(self, table: Table, rows: list[tuple]) -> None:
        columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
        name = connection.ops.quote_name(table.name)
        # On SQLite each chunk commits on its own (keeps the write-ahead log small); on PostgreSQL the command
        # holds one transaction around the whole load, which this joins without a savepoint.
        with transaction.atomic(savepoint=False):
            if self.vendor == "postgresql":
                with self.raw.cursor() as cursor, cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(table.columns))
                # Names come from the models, values go as parameters.
                self.raw.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", rows)  # noqa: S608

    def _digest(self, table: Table, rows: list[tuple]) -> None:
        digest = self.hashes.setdefault(table.name, hashlib.sha256())
        hidden = set(table.secret_positions)
        for row in rows:
            text = repr(tuple(v for i, v in enumerate(row) if i not in hidden))
            if self._offset:
                text = text.replace(f"{self._offset}'", "'")  # the same fingerprint on either database
            digest.update(text.encode())

    def hexdigest(self) -> str:
        """The fingerprint of everything added so far (rows still waiting included)."""
        if self.hashes is None:
            raise RuntimeError("this sink was made without fingerprint=True")
        self.flush()
        total = hashlib.sha256()
        for name in sorted(self.hashes):
            total.update(name.encode() + self.hashes[name].digest())
        return total.hexdigest()

    def prepare(self) -> None:
        """Set the loaded tables' secondary indexes (and, on PostgreSQL, foreign keys) aside until `finish`.

        Building an index once over millions of rows is far cheaper than keeping it up to date row by row.
        Django makes PostgreSQL's foreign keys DEFERRABLE INITIALLY DEFERRED, so PostgreSQL would queue one
        check per row and key and run them all at commit (tens of millions for a district: minutes, and
        gigabytes of memory); added back after the load, each is checked by one join instead. Primary keys
        and unique constraints stay. On PostgreSQL this all happens inside the load's one transaction, so a
        failed load leaves the schema as it was; on SQLite a failed load leaves a partial database without
        those indexes, to be thrown away (the command says so).
        """
        self.foreign_keys: list[tuple[str, str, str]] = []
        self.indexes: list[tuple[str, str]] = []
        if not self.writing:
            return
        names = [table.name for table in self.tables.values()]
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                    [names],
                )
                self.foreign_keys = cursor.fetchall()
                for table, name, _definition in self.foreign_keys:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
                cursor.execute(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                    " WHERE i.indrelid::regclass::text = ANY(%s)"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                    [names],
                )
            else:
                marks = ", ".join("?" * len(names))
                query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                cursor.execute(f"{query} AND tbl_name IN ({marks}) ORDER BY name", names)  # noqa: S608 - placeholders
            self.indexes = cursor.fetchall()
            for name, _definition in self.indexes:
                quoted = name if self.vendor == "postgresql" else connection.ops.quote_name(name)
                cursor.execute(f"DROP INDEX {quoted}")

    def finish(self) -> None:
        """Write what is waiting; indexes and foreign keys back (checked); sequences moved; statistics."""
        self.flush()
        if not self.writing:
            return
        models_ = [table.model for table in self.tables.values()]
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _name, definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
            for statement in connection.ops.sequence_reset_sql(no_style(), models_):
                cursor.execute(statement)
            if self.vendor == "postgresql":
                # So the planner sees millions of rows rather than the empty tables it last looked at.
                for table in self.tables.values():
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table.name)}")

    def abandon(self) -> None:
        """After a failed load: on SQLite, whose chunks are committed, put the indexes back (PostgreSQL rolls back)."""
        if not self.writing or self.vendor != "sqlite":
            return
        with connection.cursor() as cursor:
            for _name, definition in self.indexes:
                cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))

    def written(self) -> dict[str, int]:
        return {table.name: table.written for table in self.tables.values()}
