"""Settings from the environment; missing or contradictory ones stop start-up, naming the setting."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from domain.case_clocks import CLOCKS, DEFAULT_DAYS, ClockRules
from domain.deconfliction import MAX_BUFFER_M, MAX_PADDING, OPERATION_KINDS, KindRule, Rules, default_rule

STORES = ("sqlite", "postgres")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0"}


class ConfigError(Exception):
    """A setting is missing, malformed or contradicts another; `setting` names it."""

    def __init__(self, setting: str, problem: str):
        super().__init__(f"{setting}: {problem}")
        self.setting = setting


@dataclass(frozen=True)
class AuthSettings:
    """How bearer tokens are verified (DESIGN.md §7)."""

    issuer: str | None = None
    audience: str = "pathways"
    dev_secret: str | None = None
    jwks_url: str | None = None
    public_key_file: Path | None = None
    claim_agency: str = "agency"
    claim_roles: str = "roles"
    claim_name: str = "name"
    leeway_seconds: int = 30
    max_token_lifetime_seconds: int = 24 * 3600
    jwks_cooldown_seconds: float = 30.0


@dataclass(frozen=True)
class PostgresSettings:
    """The eventsourcing POSTGRES_* settings that the read side and the audit trail share."""

    dbname: str
    host: str
    port: int
    user: str
    password: str
    schema: str
    audit_schema: str
    connect_timeout: float
    pool_size: int
    max_overflow: int


@dataclass(frozen=True)
class Settings:
    """Everything a Pathways process needs to know about where it stores and whom it trusts."""

    store: str
    data_dir: Path
    auth: AuthSettings
    postgres: PostgresSettings | None = None
    cipher_key: str | None = None
    read_wait_max: float = 5.0
    aggregate_cache_size: int = 1000
    # The longest one store operation waits on a store that does not answer: a pooled connection, one exchange
    # with PostgreSQL, a SQLite lock. A request meets at most one such wait per server before its stores refuse
    # at once (coordination/store_health.py).
    store_wait: float = 2.0
    deconfliction: Rules = Rules()  # noqa: RUF009 - frozen, so one shared default is safe
    # The HMAC key of identifier digests; without it, one derived from the deployment's secret in the ledger.
    deconfliction_key: bytes | None = None
    # How long one notification stream stays open before the client must reconnect (and show its token again).
    stream_max_seconds: float = 3600.0
    # Days to an opening report and between supervisory reviews, the deployment's and any agency's own.
    case_clocks: ClockRules = ClockRules()  # noqa: RUF009 - frozen, so one shared default is safe
    # The Ed25519 private key that signs checkpoints of the ledger (kept outside both stores); None: unsigned.
    signing_key_file: Path | None = None
    checkpoint_seconds: float = 300.0  # how often the worker signs the ledger's head (when it has grown)
    # Whether an office keeps reading a case whose referral it declined or returned (for the record).
    referral_access_kept: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        store = _store(env)
        return cls(
            store=store,
            data_dir=_data_dir(env, store),
            auth=_auth(env),
            postgres=_postgres(env) if store == "postgres" else None,
            cipher_key=_cipher_key(env),
            read_wait_max=_number(env, "PATHWAYS_READ_WAIT_MAX_SECONDS", 5.0, 0.0, 30.0),
            aggregate_cache_size=int(_number(env, "PATHWAYS_AGGREGATE_CACHE_SIZE", 1000, 0, 1_000_000)),
            store_wait=_number(env, "PATHWAYS_STORE_WAIT_SECONDS", 2.0, 0.5, 30.0),
            deconfliction=_deconfliction(env),
            deconfliction_key=_deconfliction_key(env),
            stream_max_seconds=_number(env, "PATHWAYS_STREAM_MAX_SECONDS", 3600.0, 5.0, 24 * 3600.0),
            case_clocks=_case_clocks(env),
            signing_key_file=_signing_key_file(env),
            checkpoint_seconds=_number(env, "PATHWAYS_CHECKPOINT_SECONDS", 300.0, 1.0, 86_400.0),
            referral_access_kept=_yes_no(env, "PATHWAYS_REFERRAL_ACCESS_KEPT", True),
        )


def _store(env: dict[str, str]) -> str:
    store = env.get("PATHWAYS_STORE", "").strip().lower()
    if not store:
        raise ConfigError("PATHWAYS_STORE", "not set; choose sqlite (embedded) or postgres (production)")
    if store not in STORES:
        raise ConfigError("PATHWAYS_STORE", f"{store!r} is not one of {', '.join(STORES)}")
    module = env.get("PERSISTENCE_MODULE", "").strip()
    if module and module != f"eventsourcing.{store}":
        raise ConfigError("PERSISTENCE_MODULE", f"{module!r} contradicts PATHWAYS_STORE={store}; unset it")
    return store


def _data_dir(env: dict[str, str], store: str) -> Path:
    raw = env.get("PATHWAYS_DATA_DIR", "").strip()
    if not raw:
        if store == "sqlite":
            raise ConfigError("PATHWAYS_DATA_DIR", "not set; the SQLite store needs a directory for its files")
        raw = "var"
    path = Path(raw).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ConfigError("PATHWAYS_DATA_DIR", f"{path} exists and is not a directory")
    return path


def _postgres(env: dict[str, str]) -> PostgresSettings:
    for name in ("POSTGRES_DBNAME", "POSTGRES_HOST", "POSTGRES_USER"):
        if not env.get(name, "").strip():
            raise ConfigError(name, "not set; PATHWAYS_STORE=postgres needs it")
    if env.get("POSTGRES_ENABLE_DB_FUNCTIONS", "").strip().lower() in _TRUE:
        raise ConfigError("POSTGRES_ENABLE_DB_FUNCTIONS", "must stay off (followers skipped events with it on)")
    schema = env.get("POSTGRES_SCHEMA", "").strip() or "public"
    if not _SCHEMA.fullmatch(schema):
        raise ConfigError("POSTGRES_SCHEMA", "must be a lower-case SQL identifier")
    audit_schema = env.get("PATHWAYS_AUDIT_SCHEMA", "").strip() or f"{schema}_audit"
    if not _SCHEMA.fullmatch(audit_schema):
        raise ConfigError("PATHWAYS_AUDIT_SCHEMA", "must be a lower-case SQL identifier")
    if audit_schema == schema:
        raise ConfigError("PATHWAYS_AUDIT_SCHEMA", "must differ from POSTGRES_SCHEMA (the audit trail is separate)")
    return PostgresSettings(
        dbname=env["POSTGRES_DBNAME"].strip(),
        host=env["POSTGRES_HOST"].strip(),
        port=int(_number(env, "POSTGRES_PORT", 5432, 1, 65535)),
        user=env["POSTGRES_USER"].strip(),
        password=env.get("POSTGRES_PASSWORD", ""),
        schema=schema,
        audit_schema=audit_schema,
        connect_timeout=_number(env, "POSTGRES_CONNECT_TIMEOUT", 5, 1, 60),
        pool_size=int(_number(env, "POSTGRES_POOL_SIZE", 5, 1, 100)),
        max_overflow=int(_number(env, "POSTGRES_MAX_OVERFLOW", 10, 0, 100)),
    )


def _auth(env: dict[str, str]) -> AuthSettings:
    dev_secret = env.get("PATHWAYS_AUTH_DEV_SECRET") or None
    jwks_url = env.get("PATHWAYS_AUTH_JWKS_URL") or None
    key_file = env.get("PATHWAYS_AUTH_PUBLIC_KEY_FILE") or None
    if jwks_url and key_file:
        raise ConfigError("PATHWAYS_AUTH_PUBLIC_KEY_FILE", "contradicts PATHWAYS_AUTH_JWKS_URL; set only one")
    if dev_secret and (jwks_url or key_file):
        raise ConfigError("PATHWAYS_AUTH_DEV_SECRET", "contradicts a real identity provider; unset it")
    if not (dev_secret or jwks_url or key_file):
        raise ConfigError(
            "PATHWAYS_AUTH_JWKS_URL",
            "no way to verify tokens: set PATHWAYS_AUTH_JWKS_URL or PATHWAYS_AUTH_PUBLIC_KEY_FILE "
            "(or, for local use only, PATHWAYS_AUTH_DEV_SECRET)",
        )
    if dev_secret is not None and len(dev_secret.encode()) < 32:
        raise ConfigError("PATHWAYS_AUTH_DEV_SECRET", "must be at least 32 bytes (RFC 7518 §3.2)")
    if key_file and not Path(key_file).is_file():
        raise ConfigError("PATHWAYS_AUTH_PUBLIC_KEY_FILE", f"{key_file} is not a readable file")
    if (jwks_url or key_file) and not env.get("PATHWAYS_AUTH_ISSUER"):
        raise ConfigError("PATHWAYS_AUTH_ISSUER", "required with an identity provider: tokens must name it as iss")
    return AuthSettings(
        issuer=env.get("PATHWAYS_AUTH_ISSUER") or None,
        audience=env.get("PATHWAYS_AUTH_AUDIENCE") or "pathways",
        dev_secret=dev_secret,
        jwks_url=jwks_url,
        public_key_file=Path(key_file) if key_file else None,
        claim_agency=env.get("PATHWAYS_AUTH_CLAIM_AGENCY") or "agency",
        claim_roles=env.get("PATHWAYS_AUTH_CLAIM_ROLES") or "roles",
        claim_name=env.get("PATHWAYS_AUTH_CLAIM_NAME") or "name",
        max_token_lifetime_seconds=int(_number(env, "PATHWAYS_AUTH_MAX_TOKEN_LIFETIME", 24 * 3600, 60, 7 * 24 * 3600)),
        jwks_cooldown_seconds=_number(env, "PATHWAYS_AUTH_JWKS_COOLDOWN_SECONDS", 30, 1, 3600),
    )


def refuse_dev_secret_off_loopback(binds: Iterable[str], environ: Mapping[str, str] | None = None) -> None:
    """With PATHWAYS_AUTH_DEV_SECRET set, every address served must be loopback: dev tokens never reach a network."""
    env = os.environ if environ is None else environ
    if not env.get("PATHWAYS_AUTH_DEV_SECRET"):
        return
    for bind in binds:
        if not is_loopback_bind(bind):
            raise ConfigError(
                "PATHWAYS_AUTH_DEV_SECRET",
                f"set, so Pathways listens on loopback only and {bind!r} is not; bind 127.0.0.1 (or a unix socket), "
                "or unset it and configure PATHWAYS_AUTH_JWKS_URL or PATHWAYS_AUTH_PUBLIC_KEY_FILE",
            )


def is_loopback_bind(bind: str) -> bool:
    """Whether a gunicorn bind address (host:port, [v6]:port, unix:path, fd://n) is reachable from this host only."""
    # gunicorn's own parser, so that this reads the address exactly as the server will bind it.
    from gunicorn.util import parse_address

    try:
        address = parse_address(bind)
    except RuntimeError:
        return False
    if isinstance(address, str):
        return True  # a unix socket
    if isinstance(address, int):
        return False  # an inherited descriptor: its address is unknown here
    host = address[0]
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # any other name may resolve to a public address
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _cipher_key(env: dict[str, str]) -> str | None:
    key = env.get("PATHWAYS_CIPHER_KEY") or None
    if key is None:
        return None
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("PATHWAYS_CIPHER_KEY", "must be base64 (make one with `pathways cipher-key`)") from None
    if len(raw) not in (16, 24, 32):
        raise ConfigError("PATHWAYS_CIPHER_KEY", "must decode to 16, 24 or 32 bytes")
    return key


def _signing_key_file(env: dict[str, str]) -> Path | None:
    value = env.get("PATHWAYS_SIGNING_KEY_FILE") or None
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise ConfigError("PATHWAYS_SIGNING_KEY_FILE", "names no file (make one with `pathways signing-key`)")
    return path


def _deconfliction_key(env: dict[str, str]) -> bytes | None:
    raw = env.get("PATHWAYS_DECONFLICTION_KEY") or None
    if raw is None:
        return None
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("PATHWAYS_DECONFLICTION_KEY", "must be base64 (`pathways cipher-key` makes one)") from None
    if len(key) < 32:
        raise ConfigError("PATHWAYS_DECONFLICTION_KEY", "must decode to at least 32 bytes")
    return key


def _deconfliction(env: dict[str, str]) -> Rules:
    """Buffers (metres) and paddings (minutes) per operation kind: "raid=400,surveillance=2000"; a bare number
    for paddings applies to every kind. Kinds not named keep DOMAIN.md §2's defaults."""
    buffers = _per_kind(env, "PATHWAYS_DECONFLICTION_BUFFERS", 10, MAX_BUFFER_M)
    paddings = _per_kind(env, "PATHWAYS_DECONFLICTION_PADDING_MINUTES", 0, MAX_PADDING.total_seconds() // 60)
    overrides = {}
    for kind in OPERATION_KINDS:
        rule = default_rule(kind)
        buffer, padding = buffers.get(kind, buffers.get("*")), paddings.get(kind, paddings.get("*"))
        if buffer is not None or padding is not None:
            overrides[kind] = KindRule(int(buffer) if buffer is not None else rule.buffer_m,
                                       timedelta(minutes=padding) if padding is not None else rule.padding)
    return Rules(overrides or None)


def _case_clocks(env: dict[str, str]) -> ClockRules:
    """Days per clock: "opening_report=10,review=90", each optionally for one agency ("DEA:review=60")."""
    name = "PATHWAYS_CASE_CLOCKS"
    days, per_agency = dict(DEFAULT_DAYS), {}
    for part in filter(None, (p.strip() for p in env.get(name, "").split(","))):
        target, equals, number = part.rpartition("=")
        agency, colon, clock = target.strip().rpartition(":")
        if not equals or clock not in CLOCKS:
            raise ConfigError(name, f"{part!r} is not [AGENCY:]CLOCK=DAYS with a clock of {', '.join(CLOCKS)}")
        value = int(_number({name: number}, name, 0, 1, 3650))
        if colon:
            per_agency.setdefault(agency, {})[clock] = value
        else:
            days[clock] = value
    return ClockRules(days, per_agency)


def _per_kind(env: dict[str, str], name: str, low: float, high: float) -> dict[str, float]:
    raw = env.get(name, "").strip()
    if not raw:
        return {}
    values: dict[str, float] = {}
    for part in raw.split(","):
        kind, equals, number = part.strip().rpartition("=")
        kind = kind.strip() if equals else "*"
        if kind != "*" and kind not in OPERATION_KINDS:
            raise ConfigError(name, f"{kind!r} is not an operation kind ({', '.join(OPERATION_KINDS)})")
        values[kind] = _number({name: number}, name, 0, low, high)
    return values


def _yes_no(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _TRUE | _FALSE:
        raise ConfigError(name, f"{raw!r} is neither yes nor no")
    return raw in _TRUE


def _number(env: dict[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a number") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low:g} and {high:g}")
    return value
