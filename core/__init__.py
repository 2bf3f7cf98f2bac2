"""The layer below every app: the one way to queue background work (an outbox)."""
