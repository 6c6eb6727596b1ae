"""Use cases over the event store, access policy, configuration, the audit trail and the CLI."""
