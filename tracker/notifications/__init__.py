"""What the system sends on its own: what is due at an instant, and the outbox it is written to."""
