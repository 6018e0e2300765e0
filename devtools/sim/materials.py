"""The approval system's materials on file (审批系统存档材料): GET /projects/<code>/materials answers, for a
project the simulated approval system registered, its electronic licences and earlier results with their
numbers and dates (SimProject.materials_on_file) as JSON; 404 for a project it does not know. The portal's
declaration guide reads it (LEDGER_PORTAL_APPROVAL_MATERIALS_URL=<url>/projects/{project}/materials).

Plain `http.server` on 127.0.0.1, like the checkout page: it stands in for a system outside this project."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from devtools.sim.world import World

log = logging.getLogger("devtools.sim")


class MaterialsOnFile:
    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 8101):
        self.world = world
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.url = f"http://{host}:{self.server.server_address[1]}"

    @property
    def url_template(self) -> str:
        """The guide's setting (LEDGER_PORTAL_APPROVAL_MATERIALS_URL)."""
        return self.url + "/projects/{project}/materials"

    def start(self) -> "MaterialsOnFile":
        threading.Thread(target=self.server.serve_forever, daemon=True, name="approval-materials").start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        world = self.world

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                log.debug("approval materials: " + fmt, *args)

            def _json(self, status: int, body: dict) -> None:
                content = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self):
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) != 3 or parts[0] != "projects" or parts[2] != "materials":
                    return self._json(404, {"detail": "not found"})
                code = unquote(parts[1])
                project = next((p for p in world.projects if p.code == code), None)
                if project is None:
                    return self._json(404, {"detail": f"unknown project {code}"})
                return self._json(200, {"project_code": code, "materials": project.materials_on_file()})

        return Handler
