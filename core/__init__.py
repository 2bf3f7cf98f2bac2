"""The layer below every app: input at the edge, locks, and the one way to queue background work (an outbox)."""
