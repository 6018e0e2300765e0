"""The ledger's published webhook key (GET /v1/public/keys/webhook) served without the whole API: the
route's own function on the given settings, so a receiver reads the key exactly as it would from the API."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def published_key():
    """A stand-in for the API's GET /v1/public/keys/webhook (its own route function, serving this
    process's settings): `published_key(settings)` gives the URL the simulated platform reads the key from."""
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
