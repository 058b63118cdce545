"""Admin: catalog versions and offer secrets. The host exposes this object to admins only
(decision 12). Every edit publishes a new catalog version; offers and history keep theirs."""

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from .catalog import BuffRange, Catalog, JobType, Policies, RngConfig
from .clock import Clock, SystemClock
from .engine.context import check_text
from .engine.stream import check_secret
from .engine.verify import Verification, verify_offer
from .errors import InvalidArgument, UnknownOffer, UnknownSecret
from .model import CatalogVersion, Offer, OfferSecret
from .service import Context, Pending, RetryPolicy, Runner
from .service._context import check_clock, check_id, check_int, check_store
from .service.catalogs import CatalogCache, publish_catalog
from .service.secrets import matches, register_commitment
from .storage.protocol import ADMIN_SCOPE, CATALOGS, IDEMPOTENCY, OFFERS, SECRETS, Store

__all__ = ["Admin"]

T = TypeVar("T")

def _check_type(field: str, value: Any, cls: type[T]) -> T:
    if not isinstance(value, cls):
        raise InvalidArgument(field, value, f"must be a {cls.__name__}")
    return value


def _check_secret(secret: Any) -> bytes:
    if not isinstance(secret, bytes) or not secret:
        raise InvalidArgument("secret", "<hidden>", "must be non-empty bytes")
    return secret


class Admin:
    """Publish and edit the catalog, manage offer secrets, purge old idempotency keys.

    Admin commands run in the admin scope, one at a time across every process, and are retried
    on concurrency conflicts like the game's commands.
    """

    def __init__(
        self, store: Store, *, clock: Clock | None = None, retry: RetryPolicy | None = None
    ) -> None:
        check_store(store)
        if retry is not None:
            _check_type("retry", retry, RetryPolicy)
        # The newest version seen: an edit reads the store's versions after it only.
        self._catalogs = CatalogCache()
        self._runner = Runner(
            store,
            SystemClock() if clock is None else check_clock(clock),
            retry=retry,
            current=self._catalogs.current,
        )

    def _write(
        self, command: str, result_type: type[T], body: Callable[[Context], T | Pending[T]]
    ) -> T:
        return self._runner.write(command, {}, None, result_type, body, scope=ADMIN_SCOPE)

    # -- catalog ----------------------------------------------------------------------------

    def publish(self, catalog: Catalog) -> CatalogVersion:
        """Make `catalog` the current version (no new version when nothing changed)."""
        if not isinstance(catalog, Catalog):
            raise InvalidArgument("catalog", type(catalog).__name__, "must be a Catalog")
        return self._write(
            "publish",
            CatalogVersion,
            lambda ctx: publish_catalog(ctx, catalog, self._catalogs.latest_seq),
        )

    def catalog(self, version: int | None = None) -> Catalog:
        """The current catalog, or the one published as `version`."""
        if version is not None:
            check_int("version", version, 1)
            return self._runner.read(lambda ctx: self._catalogs.version(ctx.uow, version))
        return self._runner.read(lambda ctx: self._catalogs.latest(ctx.uow))

    def versions(self) -> tuple[CatalogVersion, ...]:
        """Every published version, oldest first."""
        return self._runner.read(lambda ctx: tuple(ctx.uow.scan(CATALOGS)))

    def _edit(self, change: Callable[[Catalog], Catalog]) -> CatalogVersion:
        """Publish `change` of the newest catalog: reads the versions after the newest this
        Admin saw (none, usually), so an edit costs the same with 4 or 4,000 versions."""
        return self._write(
            "edit",
            CatalogVersion,
            lambda ctx: publish_catalog(ctx, change(ctx.catalog), ctx.catalog_version),
        )

    def set_buff_range(self, cell: BuffRange) -> CatalogVersion:
        """Replace the cell with the same buff, tier and level range (or add it)."""
        _check_type("cell", cell, BuffRange)

        def change(c: Catalog) -> Catalog:
            same = (cell.buff_key, cell.tier, cell.min_level, cell.max_level)
            cells = list(c.buff_ranges)
            for i, r in enumerate(cells):
                if (r.buff_key, r.tier, r.min_level, r.max_level) == same:
                    cells[i] = cell  # in place: re-setting a cell changes no fingerprint
                    break
            else:
                cells.append(cell)
            return attrs.evolve(c, buff_ranges=tuple(cells))

        return self._edit(change)

    def set_rng_config(self, rng: RngConfig) -> CatalogVersion:
        """Replace the RNG config."""
        _check_type("rng", rng, RngConfig)
        return self._edit(lambda c: attrs.evolve(c, rng=rng))

    def set_job_type(self, job: JobType) -> CatalogVersion:
        """Add or replace a job type (with its pit stops)."""
        _check_type("job", job, JobType)
        return self._edit(lambda c: attrs.evolve(c, job_types={**c.job_types, job.key: job}))

    def set_policies(self, policies: Policies) -> CatalogVersion:
        """Replace the policies (decisions.md section 8)."""
        _check_type("policies", policies, Policies)
        return self._edit(lambda c: attrs.evolve(c, policies=policies))

    # -- offer secrets (decision 19) ---------------------------------------------------------

    def secrets(self) -> tuple[OfferSecret, ...]:
        """Every registered secret: its commitment, and the secret itself once revealed."""
        return self._runner.read(lambda ctx: tuple(ctx.uow.find(SECRETS)))

    def register_secret(self, secret_id: str, secret: bytes) -> OfferSecret:
        """Publish a salted commitment to `secret` before it is used (a service registers its
        secret itself the first time it starts under it). Registering again changes nothing.

        Raises:
            InvalidArgument: a secret shorter than 16 bytes, a malformed id.
            UnknownSecret: `secret_id` is registered with another secret.
        """
        _check_secret_id(secret_id)
        secret = check_secret(secret)

        def body(ctx: Context) -> OfferSecret:
            known = ctx.uow.get(SECRETS, (secret_id,))
            if known is not None:
                if not matches(known, secret):
                    raise UnknownSecret(
                        "secret_id", secret_id, "is registered with another secret"
                    )
                return known
            return register_commitment(ctx, secret_id, secret)

        return self._write("register_secret", OfferSecret, body)

    def retire_secret(self, secret_id: str) -> OfferSecret:
        """Stop every service from making new offers under this secret (rotate to a new one).

        Offers already made stay valid and selectable.
        """
        check_id("secret_id", secret_id)

        def body(ctx: Context) -> OfferSecret:
            known = ctx.uow.get(SECRETS, (secret_id,))
            if known is None:
                raise UnknownSecret("secret_id", secret_id, "is not registered")
            if known.retired_at_ms is not None:
                return known
            record = attrs.evolve(known, retired_at_ms=ctx.now)
            ctx.uow.put(SECRETS, record)
            ctx.emit("SecretRetired", None, secret_id=secret_id)
            return record

        return self._write("retire_secret", OfferSecret, body)

    def reveal_secret(self, secret_id: str, secret: bytes) -> OfferSecret:
        """Publish a secret so players can recompute its offers (decision 19); it is retired too,
        so no new offer uses it."""
        check_id("secret_id", secret_id)
        _check_secret(secret)

        def body(ctx: Context) -> OfferSecret:
            known = ctx.uow.get(SECRETS, (secret_id,))
            if known is None:
                raise UnknownSecret("secret_id", secret_id, "is not registered")
            if not matches(known, secret):
                raise UnknownSecret(
                    "secret", "<hidden>", f"does not match the commitment of {secret_id!r}"
                )
            if known.revealed_hex is not None:
                return known
            now = ctx.now
            record = attrs.evolve(
                known,
                revealed_hex=secret.hex(),
                revealed_at_ms=now,
                retired_at_ms=known.retired_at_ms if known.retired_at_ms is not None else now,
            )
            ctx.uow.put(SECRETS, record)
            ctx.emit("SecretRevealed", None, **_reveal(record))
            return record

        return self._write("reveal_secret", OfferSecret, body)

    def verify_offer(self, offer_id: str, secret: bytes) -> bool:
        """Whether `secret` matches the commitment published for the offer's secret id before
        the offer was made, and recomputes the stored offer exactly (see `check_offer`)."""
        return self.check_offer(offer_id, secret).ok

    def check_offer(self, offer_id: str, secret: bytes) -> Verification:
        """`verify_offer` with the reasons: every check `engine.verify_offer` makes, on the
        stored offer, its catalog version's document and its secret's commitment.

        Raises:
            UnknownOffer: no offer has that id.
        """
        check_id("offer_id", offer_id)
        _check_secret(secret)

        def body(ctx: Context) -> tuple[Offer, CatalogVersion | None, OfferSecret | None]:
            offer = ctx.uow.get(OFFERS, (offer_id,))
            if offer is None:
                raise UnknownOffer("offer_id", offer_id, "no such offer")
            version = ctx.uow.get(CATALOGS, (offer.catalog_version,))
            return offer, version, ctx.uow.get(SECRETS, (offer.secret_id,))

        offer, version, known = self._runner.read(body)
        return verify_offer(offer, version, known, secret=secret)

    # -- retention --------------------------------------------------------------------------

    def purge_idempotency(self, older_than_ms: int) -> int:
        """Forget idempotency keys recorded before `older_than_ms`; returns how many went.

        Keys are kept until purged: a retry after the purge runs the command again.
        `older_than_ms` is a time in integer milliseconds (0 .. 2**63 - 1).
        """
        check_int("older_than_ms", older_than_ms)

        def body(ctx: Context) -> int:
            old = [r for r in ctx.uow.find(IDEMPOTENCY) if r.at_ms < older_than_ms]
            for record in old:
                ctx.uow.delete(IDEMPOTENCY, (record.scope, record.key))
            return len(old)

        return self._write("purge_idempotency", int, body)

def _check_secret_id(secret_id: object) -> None:
    if not isinstance(secret_id, str) or not secret_id:
        raise InvalidArgument("secret_id", secret_id, "must be a non-empty string")
    check_text("secret_id", secret_id)


def _reveal(record: OfferSecret) -> dict[str, object]:
    """What a verifier needs from a reveal: the secret, its salt and what they commit to."""
    return {
        "secret_id": record.secret_id,
        "commitment": record.commitment,
        "registered_at_ms": record.registered_at_ms,
        "secret_hex": record.revealed_hex,
        "salt_hex": record.salt_hex,
    }
