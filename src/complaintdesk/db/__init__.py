"""The database: engines for SQLite and PostgreSQL, the declarative base, the unit of work.
Alembic migrations and the schema every feature's tables add up to.
"""
