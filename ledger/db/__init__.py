"""The SQL read model: tables, engine, migrations and the bulk writer."""
