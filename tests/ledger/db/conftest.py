from tests.support.databases import database_url, engine, make_database  # noqa: F401
