"""The `pathways` command: serve, worker, migrate, token, projections rebuild, verify."""

from __future__ import annotations

import base64
import dataclasses
import functools
import getpass
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import click
from cryptography.hazmat.primitives import serialization
from rich.console import Console
from rich.progress import Progress, TaskID

from coordination import bootstrap, migrations
from coordination.audit import AuditRecord
from coordination.config import ConfigError, Settings, refuse_dev_secret_off_loopback
from coordination.integrity import verify_chain
from coordination.signing import Signer, new_private_key_pem
from coordination.tokens import mint_dev_token

REPO_ROOT = Path(__file__).resolve().parent.parent
console = Console(stderr=True, soft_wrap=True)


# Bulk commands (migrate, rebuild, verify) run statements that may take longer than a request may wait.
BULK_STORE_WAIT_SECONDS = 120.0


def _settings(*, bulk: bool = False) -> Settings:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        raise click.UsageError(f"configuration: {error}") from None
    return _for_bulk(settings) if bulk else settings


def _for_bulk(settings: Settings) -> Settings:
    return dataclasses.replace(settings, store_wait=max(settings.store_wait, BULK_STORE_WAIT_SECONDS))


@click.group()
def main() -> None:
    """Pathways: event-sourced coordination of multi-agency investigations."""


@main.command()
def migrate() -> None:
    """Bring the schema and every table to this release (deploy step); workers then run with CREATE_TABLE=n.

    Versioned: a read model whose version changed is emptied and rebuilt from the ledger, the audit trail is
    migrated in place; run again, it changes nothing.
    """
    _migrate(_settings(bulk=True))


def _migrate(settings: Settings) -> None:
    """Migrate with a progress bar per read model being refolded; a refused migration exits 1 with its reason."""
    with Progress(console=console, transient=True) as bar:
        try:
            changes = bootstrap.migrate(settings, progress=_folding(bar))
        except migrations.MigrationError as error:
            raise click.ClickException(str(error)) from None
    for change in changes:
        console.print(_migrated(change))
    console.print(f"[green]migrated[/] the {settings.store} store" + ("" if changes else ": already up to date"))


def _folding(bar: Progress) -> Callable[[str, int, int], None]:
    """A progress callback (projection, position folded, head of the ledger) that draws one bar per projection."""
    tasks: dict[str, TaskID] = {}

    def folding(name: str, position: int, head: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(f"folding the ledger into {name}", total=max(head, 1))
        bar.update(tasks[name], completed=min(position, head) if head else 1)

    return folding


def _migrated(change: migrations.Change) -> str:
    versions = (f"created at version {change.to_version}" if change.from_version == 0
                else f"version {change.from_version} -> {change.to_version}")
    if change.store == "audit":
        return f"{change.component}: {versions}" + (", in place" if change.from_version else "")
    how = "" if change.from_version == 0 else ", emptied and rebuilt"
    folded = ("[yellow]the running worker folds the ledger into it: if that worker runs the previous release, "
              "stop it and run migrate again, or it folds with the old code[/]" if change.folded is None
              else f"{change.folded} event{'' if change.folded == 1 else 's'} folded from the ledger")
    return f"{change.component}: {versions}{how}; {folded}"


@main.command()
@click.option("--poll-interval", default=0.1, show_default=True, help="Seconds between polls when idle.")
def worker(poll_interval: float) -> None:
    """Follow the ledger and keep every projection up to date (run one per deployment)."""
    services = bootstrap.build(_settings())
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"projection worker following the ledger ({', '.join(services.projections.projections)})")
    if services.signed_heads.signer is not None:
        interval = services.settings.checkpoint_seconds
        threading.Thread(target=services.signed_heads.keep_sealing, args=(stop, interval), daemon=True,
                         name="signed-checkpoints").start()
        console.print(f"signing the ledger's head every {interval:g} s (key {services.signed_heads.signer.key_id})")
    try:
        services.projections.run_forever(stop, poll_interval=poll_interval)
    finally:
        services.close()


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address gunicorn listens on.")
@click.option("--workers", default=2, show_default=True, help="gunicorn sync workers.")
def serve(bind: str, workers: int) -> None:
    """Migrate, then run gunicorn and the projection worker together (the embedded default)."""
    settings = _settings()
    _refuse_public_dev_bind(bind)
    _migrate(_for_bulk(settings))
    env = _child_env(settings, bind, workers)
    worker_cmd = [sys.executable, "-m", "coordination.cli", "worker"]
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "gunicorn.conf.py"), "wsgi:app"],
        env=env, cwd=REPO_ROOT,
    )
    _print_welcome(settings, bind)
    _supervise(gunicorn, worker_cmd, env)


def _refuse_public_dev_bind(bind: str) -> None:
    """Stop before migrating when dev tokens would be served beyond this host (gunicorn.conf.py checks again)."""
    try:
        refuse_dev_secret_off_loopback([bind])
    except ConfigError as error:
        raise click.BadParameter(str(error), param_hint="--bind") from None


def _child_env(settings: Settings, bind: str, workers: int) -> dict[str, str]:
    metrics_dir = settings.data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    return {**os.environ, "CREATE_TABLE": "n", "PATHWAYS_BIND": bind, "PATHWAYS_WORKERS": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}


def _print_welcome(settings: Settings, bind: str) -> None:
    console.print(f"[green]Pathways[/] on http://{bind} ({settings.store} store, data in {settings.data_dir})")
    console.print(f"API docs: http://{bind}/docs   OpenAPI: http://{bind}/openapi.json")
    if settings.auth.dev_secret:
        console.print("Mint a dev token (same environment):  "
                      "pathways token --sub alice --name 'Alice Agent' --agency HSI --roles agent,supervisor")


def _supervise(gunicorn: subprocess.Popen[bytes], worker_cmd: list[str], env: dict[str, str]) -> None:
    """Keep the projection worker running beside gunicorn; stop both when gunicorn stops or on a signal."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    worker_proc = subprocess.Popen(worker_cmd, env=env)
    try:
        while not stopping.is_set() and gunicorn.poll() is None:
            if worker_proc.poll() is not None:
                # A crashed worker loses nothing: its position is stored with its rows, so a new one resumes.
                console.print(f"[yellow]projection worker exited ({worker_proc.returncode}); restarting[/]")
                stopping.wait(1.0)
                worker_proc = subprocess.Popen(worker_cmd, env=env)
            stopping.wait(0.5)
    finally:
        for proc in (gunicorn, worker_proc):
            if proc.poll() is None:
                proc.terminate()
        for proc in (gunicorn, worker_proc):
            proc.wait(timeout=30)
    sys.exit(0 if stopping.is_set() else 1)


@main.command()
@click.option("--sub", required=True, help="Subject: the user's stable id.")
@click.option("--name", default="", help="Display name.")
@click.option("--agency", required=True, help="Agency code, e.g. HSI, DEA, TCIU-EC.")
@click.option("--roles", required=True, help="Comma-separated: agent,supervisor,analyst,coordinator,"
              "steering,prosecutor,auditor,admin.")
@click.option("--ttl", default=8 * 3600, show_default=True, help="Lifetime in seconds.")
def token(sub: str, name: str, agency: str, roles: str, ttl: int) -> None:
    """Mint a dev token (needs PATHWAYS_AUTH_DEV_SECRET; for local use and tests only)."""
    try:
        settings = Settings.from_env()
        click.echo(mint_dev_token(settings.auth, sub=sub, name=name, agency=agency,
                                  roles=[r.strip() for r in roles.split(",") if r.strip()], ttl_seconds=ttl))
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


@main.group()
def projections() -> None:
    """Manage read models."""


@projections.command("rebuild")
@click.argument("name", required=False)
def rebuild(name: str | None) -> None:
    """Empty a projection (all of them without NAME) and fold the whole ledger again."""
    services = bootstrap.build(_settings(bulk=True))
    try:
        names = [name] if name else list(services.projections.projections)
        unknown = [n for n in names if n not in services.projections.projections]
        if unknown:
            raise click.BadParameter(f"unknown projection {unknown[0]!r}", param_hint="NAME")
        _audited(services, "cli projections rebuild", detail=",".join(names))
        with Progress(console=console, transient=True) as bar:
            folding = _folding(bar)
            results = {p: services.projections.rebuild(p, functools.partial(folding, p)) for p in names}
        for projection, folded in results.items():
            done = f"{folded} events folded" if folded is not None else "reset; the running worker refolds it"
            console.print(f"{projection}: {done}")
    finally:
        services.close()


@main.command()
@click.argument("investigation_id", type=click.UUID, required=False)
@click.option("--public-key", "public_key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the PEM public key to check the checkpoints with (default: that of PATHWAYS_SIGNING_KEY_FILE)")
def verify(investigation_id: UUID | None, public_key_file: Path | None) -> None:
    """Check one investigation's hash chain, or (without an id) the whole ledger and audit trail against the signed
    checkpoints; exits 1 and names the first break."""
    if investigation_id is None:
        _verify_ledger(public_key_file)
        return
    services = bootstrap.build(_settings(bulk=True))
    try:
        report = verify_chain(services.ledger, investigation_id, services.anchors)
        report = {"investigation_id": report.pop("record_id"), **report}
        _audited(services, "cli verify", object_type="investigation", object_id=str(investigation_id),
                 object_owner=services.history.owner_of(investigation_id))
    finally:
        services.close()
    click.echo(json.dumps(report, default=str, indent=2))
    sys.exit(0 if report["intact"] else 1)


def _verify_ledger(public_key_file: Path | None) -> None:
    """The whole ledger against the signed checkpoints, with a progress bar, then the audit trail's own chain."""
    settings = _settings(bulk=True)
    if public_key_file is not None:
        public_key = serialization.load_pem_public_key(public_key_file.read_bytes())
    elif settings.signing_key_file is not None:
        public_key = Signer.from_file(settings.signing_key_file).public_key
    else:
        raise click.UsageError("give --public-key, or set PATHWAYS_SIGNING_KEY_FILE")
    services = bootstrap.build(settings)
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("ledger", total=None)
            report = services.signed_heads.verify(public_key, lambda done, head: bar.update(task, completed=done,
                                                                                            total=head))
        report["audit_trail"] = services.audit.verify()
        _audited(services, "cli verify ledger")
    finally:
        services.close()
    click.echo(json.dumps(report, default=str, indent=2))
    sys.exit(0 if report["valid"] and report["audit_trail"]["intact"] else 1)


@main.command()
@click.argument("investigation_id", type=click.UUID)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="the bundle to write (a zip; the verifier inside it checks it without Pathways)")
def export(investigation_id: UUID, out: Path) -> None:
    """Write an investigation's verifiable bundle: every event with its digest, its head signed now."""
    services = bootstrap.build(_settings(bulk=True))
    try:
        case = services.ledger.repository.get(investigation_id)
        with Progress(console=console, transient=True) as bar, out.open("wb") as file:
            task = bar.add_task(f"exporting {case.case_number}", total=case.version)
            for chunk in services.export.bundle(investigation_id, {"sub": f"os:{_os_user()}"},
                                                progress=lambda done: bar.update(task, completed=done)):
                file.write(chunk)
        _audited(services, "cli export", object_type="investigation", object_id=str(investigation_id),
                 object_owner=case.owning_agency)
    finally:
        services.close()
    console.print(f"{out}: {case.version} events; check it with `python3 verify.py {out.name}` (see "
                  "docs/verifying-an-export.md)")


@main.command()
def checkpoint() -> None:
    """Sign the ledger's head now (the worker also does it every PATHWAYS_CHECKPOINT_SECONDS)."""
    services = bootstrap.build(_settings(bulk=True))
    try:
        sealed = services.signed_heads.seal()
        _audited(services, "cli checkpoint")
    finally:
        services.close()
    click.echo(json.dumps(sealed["payload"], indent=2))


@main.command("signing-key")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="where to write the private key (PEM, readable by its owner only)")
def signing_key(out: Path) -> None:
    """Make an Ed25519 key for PATHWAYS_SIGNING_KEY_FILE; prints the public key to publish outside the deployment."""
    if out.exists():
        raise click.UsageError(f"{out} exists; a signing key is never overwritten")
    out.touch(mode=0o600)
    out.write_bytes(new_private_key_pem())
    signer = Signer.from_file(out)
    click.echo(f"key id {signer.key_id}\n{signer.public_pem()}")


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the audit trail's hash chain; exits 1 and names the first broken record if it is broken."""
    services = bootstrap.build(_settings(bulk=True))
    try:
        report = services.audit.verify()
        _audited(services, "cli audit verify")
    finally:
        services.close()
    click.echo(json.dumps(report, indent=2))
    sys.exit(0 if report["intact"] else 1)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # an arbitrary uid without a passwd entry (containers)
        return f"uid:{os.getuid()}"


def _audited(services: bootstrap.Services, action: str, **details: str) -> None:
    """Privileged actions from the command line leave an audit record too, under the operating-system user."""
    try:
        services.audit.record(AuditRecord(sub=f"os:{_os_user()}", agency="-", action=action, outcome="allowed",
                                          status=0, request_id=uuid.uuid4().hex, source=socket.gethostname(),
                                          **details))
    except Exception as error:  # noqa: BLE001 - the command's own result must still reach the operator
        console.print(f"[yellow]could not write the audit record: {error}[/]")


@main.command("cipher-key")
def cipher_key() -> None:
    """Print a new random AES-256 key for PATHWAYS_CIPHER_KEY."""
    click.echo(base64.b64encode(secrets.token_bytes(32)).decode())


if __name__ == "__main__":
    main()
