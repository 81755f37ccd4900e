"""Use cases: plain functions over storage and domain that take session, clock and clients as arguments."""
