"""The Moulin back office: its records, its API client, its push events."""
