"""Storage behind a small interface, injected into the services."""
