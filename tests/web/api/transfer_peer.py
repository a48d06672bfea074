"""A local HTTP peer serving stored media (as Herald's signed /media/<key> route would) and any bytes a test sets."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.served import ServedInThread


class MediaPeer(ServedInThread):
    def __init__(self, folder: Path) -> None:
        self.folder, self.extra = folder, {}
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path = urlsplit(self.path).path
                key = path.removeprefix("/media/")
                data = peer.extra.get(path)
                if data is None and (peer.folder / key).is_file():
                    data = (peer.folder / key).read_bytes()
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
