"""The indexer: mirrors every contract event of the manifest into the SQL read model."""
