"""Request and response schemas of the domain services, by audience (see common.py)."""
