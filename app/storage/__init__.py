"""Persistence: SQLAlchemy 2.0 models and queries."""
