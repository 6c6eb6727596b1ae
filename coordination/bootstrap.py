"""The composition root: builds the ledger, the stores, the use cases and the projections from Settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError

from coordination import migrations
from coordination.anchors import ChainAnchors
from coordination.audit import AuditTrail
from coordination.audit_spool import AuditSpool
from coordination.board import Board
from coordination.case_clocks import Clocks
from coordination.case_files import CaseFiles
from coordination.case_history import CaseHistory
from coordination.case_listing import CaseListing
from coordination.cipher import AUDIT, READ_MODELS, FieldCipher, at_rest
from coordination.commands import CommandRunner
from coordination.config import Settings
from coordination.conflicts import Conflicts
from coordination.deconfliction import Deconfliction
from coordination.errors import StoreUnavailable
from coordination.evidence import Evidence
from coordination.export import CaseExport
from coordination.history import History
from coordination.investigations import Investigations
from coordination.ledger import Ledger, ledger_env
from coordination.notification_bell import NotificationBell
from coordination.operation_lifecycle import OperationLifecycle
from coordination.operations import Operations
from coordination.readiness import Readiness
from coordination.referrals import Referrals
from coordination.resource_listing import ResourceListing
from coordination.resources import Resources
from coordination.signed_heads import SignedCheckpoints
from coordination.signing import Signer
from coordination.statistics import Statistics
from coordination.tables import DatabaseUnavailable, PostgresDatabase, SQLiteDatabase
from coordination.wal_checkpoints import Checkpointer
from projections.case_clocks import CaseClockQuery, CaseClocks
from projections.case_list import CaseList, CaseListQuery
from projections.deconfliction_board import BoardQuery, DeconflictionBoard
from projections.readiness import ReadinessBoard, ReadinessQuery
from projections.resources import ResourceQuery, ResourceRegister
from projections.runner import ProjectionRunner
from projections.statistics import OperationStatistics, StatisticsQuery

PROJECTIONS = (CaseList, DeconflictionBoard, ResourceRegister, CaseClocks, OperationStatistics, ReadinessBoard)
SQLITE_FILES = ("ledger.db", "views.db", "audit.db")
log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the api, the worker and the CLI use, wired to one configuration."""

    settings: Settings
    ledger: Ledger
    views_db: Any
    audit_db: Any
    projections: ProjectionRunner
    investigations: Investigations
    operations: Operations
    lifecycle: OperationLifecycle
    resources: Resources
    resource_listing: ResourceListing
    clocks: Clocks
    statistics: Statistics
    conflicts: Conflicts
    history: History
    case_history: CaseHistory
    case_listing: CaseListing
    board: Board
    audit: AuditTrail
    anchors: ChainAnchors
    signed_heads: SignedCheckpoints
    export: CaseExport
    evidence: Evidence
    case_files: CaseFiles
    referrals: Referrals
    prosecution_readiness: Readiness  # of cases, for prosecution (readiness() is the deployment's, for /readyz)
    checkpoints: Checkpointer | None = None  # SQLite only: its logs, checkpointed in the background

    def readiness(self) -> dict[str, Any]:
        """Whether each store answers, and how far the projections trail the ledger.

        A store this process already holds unreachable fails at once, without waiting on it again.
        """
        down = {name: {"ok": False, "error": "unreachable"}
                for name, store in (("ledger", self.ledger), ("read_store", self.views_db), ("audit", self.audit_db))
                if not store.reachable}
        if down:
            return {"ready": False, "checks": down}
        checks: dict[str, Any] = {}
        try:
            head = self.ledger.max_position()
            checks["ledger"] = {"ok": True, "position": head}
        except (OperationalError, InterfaceError, StoreUnavailable):
            log.warning("readiness: the ledger store does not answer", exc_info=True)
            return {"ready": False, "checks": {"ledger": {"ok": False, "error": "unreachable"}}}
        try:
            lag = {name: head - self.projections.position(name) for name in self.projections.projections}
            checks["projections"] = {"ok": True, "lag": lag}
            self.audit.verify_reachable()
            checks["audit"] = {"ok": True}
        except DatabaseUnavailable:
            log.warning("readiness: the read or audit store does not answer", exc_info=True)
            return {"ready": False, "checks": {**checks, "read_store": {"ok": False, "error": "unreachable"}}}
        checks["encryption"] = at_rest(self.settings.cipher_key)  # informs; a deployment without a key still runs
        return {"ready": True, "checks": checks}

    def close(self) -> None:
        if self.board.bell is not None:
            self.board.bell.stop()
        if self.checkpoints is not None:
            self.checkpoints.stop()
        self.ledger.close()
        for db in {id(self.views_db): self.views_db, id(self.audit_db): self.audit_db}.values():
            db.close()


def _databases(settings: Settings) -> tuple[Any, Any]:
    wait = settings.store_wait
    if settings.store == "sqlite":
        views, audit = (settings.data_dir / name for name in SQLITE_FILES[1:])
        return (SQLiteDatabase(views, synchronous="NORMAL", timeout=wait),
                SQLiteDatabase(audit, synchronous="FULL", timeout=wait))
    pg = settings.postgres
    assert pg is not None
    conninfo = {"dbname": pg.dbname, "host": pg.host, "port": pg.port, "user": pg.user,
                "password": pg.password, "connect_timeout": max(1, int(pg.connect_timeout))}
    views = PostgresDatabase(conninfo=conninfo, schema=pg.schema, max_size=pg.pool_size + pg.max_overflow,
                             timeout=wait, store="read")
    # The audit trail is a separate store: its own schema, which a deployment can grant INSERT/SELECT only.
    audit = PostgresDatabase(conninfo=conninfo, schema=pg.audit_schema, max_size=pg.pool_size,
                             timeout=wait, store="audit")
    return views, audit


def build(settings: Settings, *, create_tables: bool = False) -> Services:
    """Wire the services; tables are created only by `migrate` (workers run with CREATE_TABLE=n)."""
    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    _warn_if_stored_in_clear(settings)
    ledger = Ledger(env=ledger_env(settings, create_tables=create_tables))
    views_db, audit_db = _databases(settings)
    views_cipher = FieldCipher(settings.cipher_key, READ_MODELS)
    runner = ProjectionRunner(log=ledger, db=views_db, projections=[p(views_cipher) for p in PROJECTIONS])
    anchors = ChainAnchors(audit_db, unavailable=(DatabaseUnavailable,))
    commands = CommandRunner(ledger, anchors)
    board_query = BoardQuery(views_db, runner, views_cipher)
    deconfliction = Deconfliction(settings.deconfliction, commands.keys, settings.deconfliction_key)
    history = History(ledger, anchors)
    signer = _signer(settings)
    services = Services(
        settings=settings,
        ledger=ledger,
        views_db=views_db,
        audit_db=audit_db,
        projections=runner,
        investigations=Investigations(commands, deconfliction),
        operations=Operations(commands, deconfliction),
        lifecycle=OperationLifecycle(commands, deconfliction),
        resources=Resources(commands),
        statistics=Statistics(StatisticsQuery(views_db, runner), ledger=ledger, read_wait_max=settings.read_wait_max,
                              unavailable=(DatabaseUnavailable,)),
        clocks=Clocks(commands, CaseClockQuery(views_db, runner, settings.case_clocks), ledger=ledger,
                      read_wait_max=settings.read_wait_max, unavailable=(DatabaseUnavailable,)),
        resource_listing=ResourceListing(ResourceQuery(views_db, runner, views_cipher), ledger=ledger,
                                         read_wait_max=settings.read_wait_max, unavailable=(DatabaseUnavailable,)),
        conflicts=Conflicts(commands),
        history=history,
        case_history=CaseHistory(history),
        anchors=anchors,
        signed_heads=SignedCheckpoints(audit_db, ledger, signer),
        export=CaseExport(ledger, signer),
        evidence=Evidence(commands),
        case_files=CaseFiles(commands),
        referrals=Referrals(commands, access_kept=settings.referral_access_kept),
        prosecution_readiness=Readiness(ReadinessQuery(views_db, runner), ledger=ledger,
                                        read_wait_max=settings.read_wait_max, unavailable=(DatabaseUnavailable,)),
        case_listing=CaseListing(
            CaseListQuery(views_db, runner, views_cipher), ledger=ledger, read_wait_max=settings.read_wait_max,
            unavailable=(DatabaseUnavailable,),
        ),
        board=Board(board_query, ledger=ledger, read_wait_max=settings.read_wait_max,
                    unavailable=(DatabaseUnavailable,),
                    bell=NotificationBell(board_query, unavailable=(DatabaseUnavailable,))),
        audit=AuditTrail(audit_db, unavailable=(DatabaseUnavailable,),
                         spool=AuditSpool(settings.data_dir / "audit-spool.jsonl"),
                         cipher=FieldCipher(settings.cipher_key, AUDIT)),
    )
    if settings.store == "sqlite":
        services.checkpoints = Checkpointer([settings.data_dir / name for name in SQLITE_FILES])
        services.checkpoints.start()
    return services


def _signer(settings: Settings) -> Signer | None:
    return Signer.from_file(settings.signing_key_file) if settings.signing_key_file is not None else None


_warned_unencrypted = False


def _warn_if_stored_in_clear(settings: Settings) -> None:
    """Once per process: a production (PostgreSQL) deployment without a key keeps case text readable at rest.

    The embedded SQLite store (one machine, development) is not warned about on every start; /readyz says it.
    """
    global _warned_unencrypted
    if settings.store == "postgres" and not settings.cipher_key and not _warned_unencrypted:
        _warned_unencrypted = True
        log.warning("PATHWAYS_CIPHER_KEY is not set: case data (events, read models, audit details) is stored "
                    "in clear in PostgreSQL; set it (make one with `pathways cipher-key`) to encrypt it at rest")


def migrate(settings: Settings, *, progress: migrations.Progress | None = None) -> list[migrations.Change]:
    """Bring every store to this code's schema, in a deploy step; returns what changed (nothing when re-run).

    Creates the PostgreSQL schemas and the ledger's tables; steps the audit trail and chain anchors in place;
    empties each read model whose version changed and folds the ledger into it again (told to `progress`).
    One migration at a time per deployment: a second one waits, then finds nothing left to do.
    """
    services = build(settings, create_tables=True)
    try:
        with migrations.exclusive(services.views_db):
            if settings.store == "postgres":
                _create_schema(settings)
            services.ledger.max_position()  # constructing the ledger creates its tables
            changes = migrations.apply(services.projections, services.audit_db)
        # Folding needs no migration lock (the worker lease keeps it to one folder): a racing migration is done.
        return migrations.refold(services.projections, changes, progress)
    finally:
        services.close()


def _create_schema(settings: Settings) -> None:
    pg = settings.postgres
    assert pg is not None
    db = PostgresDatabase(
        conninfo={"dbname": pg.dbname, "host": pg.host, "port": pg.port, "user": pg.user, "password": pg.password},
        schema="public", max_size=1, timeout=pg.connect_timeout,
    )
    try:
        with db.transaction(write=True) as cur:
            for schema in (pg.schema, pg.audit_schema):
                cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        db.close()
