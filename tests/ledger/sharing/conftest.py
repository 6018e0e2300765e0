import pytest

from tests.support.databases import engine, make_database, session  # noqa: F401
from tests.support.rates import mirror_sample_rate_table


@pytest.fixture(params=["sqlite"])
def database_url(request, make_database) -> str:
    """SQLite here (a scratch PostgreSQL database costs seconds to migrate); the tests of what the
    database's concurrency decides (the claim, the queue's SQL) ask for both with
    `@pytest.mark.parametrize("database_url", BOTH, indirect=True)`."""
    return make_database(request.param)


@pytest.fixture(autouse=True)
def published_rates(engine):
    """The sample rate table as deploy publishes it and the indexer mirrors it."""
    mirror_sample_rate_table(engine)


@pytest.fixture
def published_key():
    """A stand-in for the API's GET /v1/public/keys/webhook (its own route function, serving this
    process's settings): `published_key(settings)` gives the URL the simulated platform reads the key from."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from api.routes.platform_keys import webhook_key

    servers = []

    def serve(settings):
        body = json.dumps(webhook_key(settings).model_dump()).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200 if self.path == "/v1/public/keys/webhook" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/v1/public/keys/webhook"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
