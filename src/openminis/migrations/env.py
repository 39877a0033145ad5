from alembic import context

from openminis.db import make_engine
from openminis.migrations import platform_object
from openminis.models import Base

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:  # alembic_config always sets it
        raise RuntimeError("the migrations run through openminis.migrations.upgrade, which names the database")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=platform_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
