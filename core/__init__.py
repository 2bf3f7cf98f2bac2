"""Below every app: what all of them use (input at the edge; queueing)."""
