"""Closed vocabularies of the investigation context (DOMAIN.md §1-§3)."""

THREAT_DOMAINS = (
    "human_smuggling",
    "human_trafficking",
    "drug_trafficking",
    "money_laundering",
    "weapons_trafficking",
    "ip_theft",
    "cybercrime",
    "counter_proliferation",
)

ACTION_KINDS = (
    "interview",
    "surveillance",
    "undercover_contact",
    "subpoena",
    "search",
    "arrest",
    "seizure",
    "intelligence_report",
    "opening_report",  # the report due within 10 days of opening (domain.case_clocks)
    "financial_analysis",
    "foreign_request",
    "other",
)

SUBJECT_KINDS = ("person", "organization", "business")

NETWORK_ROLES = (
    "leader",
    "logistics",
    "finance",
    "recruiter",
    "transporter",
    "document_vendor",
    "corrupt_official",
    "facilitator",
    "legitimate_business",
    "victim",
    "unknown",
)

SHARE_ACCESS = ("read", "contribute")

USER_ROLES = (
    "agent",
    "supervisor",
    "analyst",
    "coordinator",
    "steering",
    "prosecutor",
    "auditor",
    "admin",
)
