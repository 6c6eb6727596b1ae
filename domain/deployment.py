"""The deployment record: the secret from which a deployment's natural keys are derived, one per ledger."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate

from domain.keys import BASE, DEPLOYMENT_ID, NaturalKeys, namespace_of


class Deployment(Aggregate):
    """Established once, at a fixed id, so that two processes establishing it at once collide in the store."""

    if TYPE_CHECKING:
        secret: str
        legacy: bool

    class Established(Aggregate.Created):
        secret: str  # hex; encrypted at rest with the ledger's events when PATHWAYS_CIPHER_KEY is set
        legacy: bool  # the ledger held records before: its counters keep the published namespace

        def apply(self, deployment: Deployment) -> None:
            deployment.secret, deployment.legacy = self.secret, self.legacy

    @classmethod
    def establish(cls, *, secret: str, legacy: bool) -> Deployment:
        """The record of a new deployment (its secret made by the caller: the domain does no I/O)."""
        if len(secret) < 64:
            raise ValueError("a deployment secret has at least 256 bits")
        return cls._create(cls.Established, id=DEPLOYMENT_ID, secret=secret, legacy=legacy)

    @property
    def keys(self) -> NaturalKeys:
        return NaturalKeys(namespace_of(self.secret), counters=BASE if self.legacy else None,
                           matching=hmac.new(bytes.fromhex(self.secret), b"pathways identifier digests",
                                             hashlib.sha256).digest())
