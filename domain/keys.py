"""Natural keys mapped to aggregate ids with uuid5, so that the store enforces their uniqueness.

The namespace is each deployment's own, derived from a secret kept in its ledger (domain.deployment): ids
stay natural keys inside the deployment, but nobody outside it can compute a case's id from its number.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID, uuid5

# Published in the source: it names only the deployment record itself, and the counters of a ledger that
# held records before deployments had secrets (changing those would re-issue case numbers).
BASE = UUID("6f1c2a4e-8b7d-5e3f-9a21-4c0d7e5b9f10")
DEPLOYMENT_ID = uuid5(BASE, "deployment")


def namespace_of(secret: str) -> UUID:
    """The namespace of a deployment whose secret (hex) is `secret`."""
    digest = hmac.new(bytes.fromhex(secret), b"pathways natural keys", hashlib.sha256).hexdigest()
    return uuid5(BASE, digest)


@dataclass(frozen=True)
class NaturalKeys:
    """The ids of records named by a natural key, under one deployment's namespace.

    `counters` names the records that are never shown (case-number sequences, idempotency records): a
    deployment whose ledger predates its secret keeps them under the published namespace, so that its
    sequences carry on and no case number is issued twice, while every new case gets a secret id.
    """

    namespace: UUID
    counters: UUID | None = None
    # The key of identifier digests when the deployment sets none of its own (PATHWAYS_DECONFLICTION_KEY).
    matching: bytes = b""

    def investigation(self, case_number: str) -> UUID:
        """The id of the case with this case number: one case per number, enforced by the store."""
        return uuid5(self.namespace, f"investigation:{case_number}")

    def case_file(self, investigation_id: UUID) -> UUID:
        """The id of a case's prosecution file: one per case, enforced by the store."""
        return uuid5(self.namespace, f"case-file:{investigation_id}")

    def case_sequence(self, agency: str, year: int) -> UUID:
        """The id of the counter of an agency's case numbers in a year."""
        return uuid5(self.counters or self.namespace, f"case-sequence:{agency}:{year}")

    def idempotency(self, agency: str, key: str) -> UUID:
        """The id of the record of an agency's request sent with this Idempotency-Key."""
        return uuid5(self.counters or self.namespace, f"idempotency:{agency}:{key}")

    def operation(self, deconfliction_number: str) -> UUID:
        """The id of the operation with this deconfliction number: one per number, enforced by the store."""
        return uuid5(self.namespace, f"operation:{deconfliction_number}")

    def area(self, cell: str, day: str) -> UUID:
        """The id of the deconfliction index record of an h3 cell on a UTC day."""
        return uuid5(self.namespace, f"area:{cell}:{day}")

    def conflict(self, kind: str, first: str, second: str) -> UUID:
        """The id of the conflict of one kind between two submissions: a pair is reported once, in any order."""
        low, high = sorted((first, second))
        return uuid5(self.namespace, f"conflict:{kind}:{low}:{high}")

    def resource_schedule(self, resource_id: str) -> UUID:
        """The id of the index record of a named resource's commitments."""
        return uuid5(self.namespace, f"resource-schedule:{resource_id}")

    def target(self, digest: str) -> UUID:
        """The id of the target index record of one identifier digest."""
        return uuid5(self.namespace, f"target:{digest}")
