"""nginx serving the same bytes as static files (keep-alive, sendfile)."""
import os
import subprocess
import time

import trothenv


class Nginx:
    def __init__(self, folder, files):
        """files: {url path: bytes}"""
        self.dir = os.path.join(folder, "nginx")
        root = os.path.join(self.dir, "root")
        for path, data in files.items():
            p = os.path.join(root, path.lstrip("/"))
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        os.chmod(folder, 0o755)
        for d, _, fs in os.walk(self.dir):
            os.chmod(d, 0o755)
            for x in fs:
                os.chmod(os.path.join(d, x), 0o644)
        self.port = trothenv.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(f"""worker_processes auto;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log {self.dir}/access.log;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{
        application/pkix-crl crl;
        application/pkix-cert crt;
        application/pem-certificate-chain pem;
    }}
    client_body_temp_path {self.dir}/tmp;
    proxy_temp_path {self.dir}/tmp;
    fastcgi_temp_path {self.dir}/tmp;
    uwsgi_temp_path {self.dir}/tmp;
    scgi_temp_path {self.dir}/tmp;
    server {{
        listen 127.0.0.1:{self.port};
        root {root};
        etag on;
    }}
}}
""")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["nginx", "-c", self.conf, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            try:
                trothenv.http("GET", self.url + "/", timeout=1)
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nginx did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None
