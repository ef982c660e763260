"""Per-contract facades: casing, envelopes, error bodies, content negotiation, authentication."""
