"""Alembic migrations of the LTI tool's schema, run by exporter.lti.db.migrate."""
