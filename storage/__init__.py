"""Storage adapters for the counseling core's ports: in-memory and SQL (Alembic)."""
