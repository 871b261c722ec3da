"""Bodies: size limits before reading, content type, malformed JSON."""
import socket
import time

import requests

from harness import problem


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw_request(port, head, body_chunks=(), read=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(head.encode())
    try:
        for c in body_chunks:
            s.sendall(c)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    try:
        while read:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return data


def test_a_50MB_body_is_refused_before_it_is_read(server):
    before = rss_kb(server.proc.pid)
    t0 = time.time()
    head = ("POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\n\r\n")
    data = raw_request(server.admin_port, head, [b"{" + b" " * 65535])
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert b"application/problem+json" in data
    assert time.time() - t0 < 5
    assert rss_kb(server.proc.pid) - before < 10 * 1024


def test_a_chunked_body_over_the_limit_is_refused_without_keeping_it(server):
    before = rss_kb(server.proc.pid)
    head = ("POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n")
    chunk = b"x" * 65536
    chunks = [b"%x\r\n" % len(chunk) + chunk + b"\r\n"] * 160 + [b"0\r\n\r\n"]
    data = raw_request(server.admin_port, head, chunks)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert rss_kb(server.proc.pid) - before < 10 * 1024


def test_wrong_content_type_is_415(server):
    r = requests.post(server.admin + "/api/v1/session", data="username=a",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    problem(r, 415, "unsupported-media-type")
    r = requests.post(server.admin + "/api/v1/session", data='{"username":"a"}')
    problem(r, 415)


def test_malformed_json_and_wrong_shapes_are_400(server):
    url = server.admin + "/api/v1/session"
    h = {"Content-Type": "application/json"}
    body = problem(requests.post(url, data='{"username": ', headers=h), 400, "malformed-json")
    assert "malformed JSON" in body["detail"]
    problem(requests.post(url, data='[1, 2]', headers=h), 400)
    problem(requests.post(url, data='{"username":"a","username":"b"}', headers=h), 400)
    problem(requests.post(url, data=b'{"username":"\xff"}', headers=h), 400)
    body = problem(requests.post(url, json={"username": "a", "password": "b" * 20,
                                            "remember": True}), 400, "invalid-field")
    assert body["field"] == "remember"
    body = problem(requests.post(url, json={"username": ["a"], "password": "x"}), 400)
    assert body["field"] == "username" and "must be a string" in body["detail"]
    body = problem(requests.post(url, json={"password": "x"}), 400)
    assert body["field"] == "username" and "required" in body["detail"]
    # no body at all names the first required field
    body = problem(requests.post(url), 400)
    assert body["field"] == "username"


def test_a_route_without_a_body_refuses_one(server, admin):
    r = admin.delete("/api/v1/tokens/1", data="{}", headers={"Content-Type": "application/json"})
    problem(r, 413, "body-too-large")
