"""Development tooling: the local site server, fixtures, the demo."""
