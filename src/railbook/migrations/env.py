"""Alembic environment: the URL comes from the caller (railbook.migrate), never from an ini file."""

from __future__ import annotations

from alembic import context

from railbook.db import Base, create_db_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
engine = create_db_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
engine.dispose()
