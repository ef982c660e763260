"""Use cases. Each takes validated input and the storage interface; none reads the environment."""
