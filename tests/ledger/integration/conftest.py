from tests.support.databases import database_url, engine, make_database, session  # noqa: F401
