"""Pathways' domain: aggregates, their events, value objects and rules. Pure: no I/O."""
