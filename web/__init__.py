"""The web app: the JSON API (`api`) and the pages (`portal`) in one FastAPI app (web.app), sharing
the small kit in web.kit (problems, sessions, throttling, the read cache); neither imports the other."""
