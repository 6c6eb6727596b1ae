"""Property: whatever commands ran, the case list read model shows each agency what the ledger lets it see."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.commands import Session
from coordination.context import RequestContext
from coordination.errors import CoordinationError
from domain.envelope import Actor
from domain.investigation import Investigation

AGENCIES = ("HSI", "DEA", "CBP")
PARTNERS = ("DEA", "FBI", "TCIU-EC")


def supervisor(agency: str) -> RequestContext:
    return RequestContext(Actor(f"sup-{agency.lower()}", agency, "Sup", frozenset({"agent", "supervisor"})), "r")


commands = st.lists(
    st.one_of(
        st.tuples(st.just("open"), st.sampled_from(AGENCIES)),
        st.tuples(st.just("share"), st.integers(0, 5), st.sampled_from(PARTNERS),
                  st.sampled_from(("read", "contribute"))),
        st.tuples(st.just("revoke"), st.integers(0, 5), st.sampled_from(PARTNERS)),
        st.tuples(st.just("status"), st.integers(0, 5), st.sampled_from(("active", "suspended", "closed", "reopened"))),
        st.tuples(st.just("retitle"), st.integers(0, 5), st.text(alphabet="abcdef ", min_size=1, max_size=12)),
    ),
    min_size=1, max_size=25,
)


def run(services, opened: list[tuple[str, str]], command: tuple) -> None:
    """Apply one command; refusals (a rule, a role, a missing case) are part of the story, not failures."""
    uc = services.investigations
    try:
        if command[0] == "open":
            inv = uc.open(supervisor(command[1]), title="case", threat_domain="cybercrime", summary=None).result
            opened.append((inv["id"], command[1]))
            return
        if not opened:
            return
        inv_id, owner = opened[command[1] % len(opened)]
        ctx = supervisor(owner)
        if command[0] == "share":
            uc.share(ctx, inv_id, agency=command[2], access_level=command[3], expected_version=None)
        elif command[0] == "revoke":
            uc.revoke_share(ctx, inv_id, agency=command[2], expected_version=None)
        elif command[0] == "status":
            uc.change_status(ctx, inv_id, status=command[2], reason="r", merged_into=None, expected_version=-1)
        else:
            uc.correct(ctx, inv_id, corrects=1, changes={"title": command[2]}, reason="r", expected_version=-1)
    except CoordinationError:
        pass


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story=commands)
def test_the_case_list_agrees_with_the_ledger_for_every_agency(services, story):
    opened: list[tuple[str, str]] = []
    for command in story:
        run(services, opened, command)
    services.projections.catch_up()
    ours = {str(inv_id) for inv_id, _ in opened}
    session = Session(services.ledger)
    for agency in sorted({*AGENCIES, *PARTNERS}):
        # The read model alone (the use case also re-checks partner rows against the ledger; not here).
        page, _ = services.case_listing.reader.visible_to(agency, status=None, threat_domain=None, owner=None,
                                                          before=None, limit=100)
        listed = {item["id"]: item for item in page if item["id"] in ours}
        expected = {}
        for inv_id, _ in opened:
            inv = session.find(Investigation, inv_id)
            if inv.access_of(agency) is not None:
                shares = sorted(a for a in inv.shares if agency in (inv.owning_agency, a))
                expected[str(inv_id)] = (inv.title, inv.status, inv.version, shares)
        assert {i: (v["title"], v["status"], v["version"], sorted(s["agency"] for s in v["shared_with"]))
                for i, v in listed.items()} == expected
