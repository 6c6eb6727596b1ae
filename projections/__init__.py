"""Read models folded from the ledger, the runner that keeps them current, and their SQL storage."""
