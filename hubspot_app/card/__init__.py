"""The contact card's backend: who is asking (signed request), what they may see (read model), Refresh."""
