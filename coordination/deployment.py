"""This deployment's natural keys: established once in the ledger, read once per process."""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.deployment import Deployment
from domain.keys import DEPLOYMENT_ID, NaturalKeys

log = logging.getLogger(__name__)


class DeploymentKeys:
    """Calling it gives the deployment's NaturalKeys, establishing the deployment on its first use."""

    def __init__(self, ledger: Any):
        self.ledger = ledger
        self._keys: NaturalKeys | None = None
        self._lock = threading.Lock()

    def __call__(self) -> NaturalKeys:
        if self._keys is None:
            with self._lock:
                self._keys = self._keys or self._establish()
        return self._keys

    def _establish(self) -> NaturalKeys:
        found = self._find()
        if found is not None:
            return found.keys
        # Counters written before deployments had secrets keep the published namespace: new keys would
        # re-issue their case numbers. Checked after looking for the record, so a racing first write is seen.
        legacy = self.ledger.max_position() > 0
        try:
            self.ledger.save(Deployment.establish(secret=secrets.token_hex(32), legacy=legacy))
        except IntegrityError:
            pass  # another process established it first; theirs is the deployment's
        else:
            if legacy:
                log.warning("this ledger predates per-deployment keys: new cases get secret ids; case-number "
                            "sequences and idempotency records keep their published namespace")
        found = self._find()
        assert found is not None
        return found.keys

    def _find(self) -> Deployment | None:
        try:
            return self.ledger.repository.get(DEPLOYMENT_ID)
        except AggregateNotFoundError:
            return None
