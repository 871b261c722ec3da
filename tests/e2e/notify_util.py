"""Real receivers for the notification tests: an HTTP webhook receiver
that checks the Troth-Signature HMAC and can be stopped and started again
on the same port, and an SMTP server (Debian's python3-aiosmtpd)."""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socketserver
import threading
import time

from harness import free_port


def check_signature(secret, header, body, now=None, tolerance=300):
    """Verifies `t=<unix>,v1=<hex>` as a receiver should; returns t."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    t = int(parts["t"])
    want = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(want, parts["v1"]), "bad webhook signature"
    assert abs((now or time.time()) - t) <= tolerance, "stale webhook timestamp"
    return t


class Receiver:
    """Collects verified deliveries: list of (headers, document)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.secret = None
        self.got = []
        self.bad = []
        self.lock = threading.Lock()
        self.httpd = None

    def start(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    check_signature(rec.secret, self.headers["Troth-Signature"], body)
                    doc = json.loads(body)
                    assert doc["id"] == self.headers["Troth-Delivery"]
                    assert doc["type"] == self.headers["Troth-Event"]
                except Exception as e:  # recorded, answered 400
                    with rec.lock:
                        rec.bad.append(repr(e))
                    self.send_response(400)
                    self.end_headers()
                    return
                with rec.lock:
                    rec.got.append(doc)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def docs(self):
        with self.lock:
            return list(self.got)


class Mailbox:
    """aiosmtpd on a free port; messages as email.message.EmailMessage
    with the envelope's sender and recipients in .mail_from and .rcpt."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        box = self
        self.messages = []

        class Keep:
            async def handle_DATA(self, server, session, envelope):
                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                msg.rcpt = list(envelope.rcpt_tos)
                msg.mail_from = envelope.mail_from
                box.messages.append(msg)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.port}"

    def stop(self):
        self.controller.stop()
