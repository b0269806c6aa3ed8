"""Operating taglake: the run ledger and its lock, fault injection for kill tests, tag-library copies for tests and clusters."""
