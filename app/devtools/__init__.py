"""Development and test fakes that speak the real remote protocols (never routed in production)."""
