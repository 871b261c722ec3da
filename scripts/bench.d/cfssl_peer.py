"""`cfssl serve` with the same CA key and its certdb on the same cluster."""
import json
import os
import subprocess
import time

import trothenv

HERE = os.path.dirname(os.path.abspath(__file__))


class Cfssl:
    def __init__(self, cluster, folder, ca_pem, key_pem):
        self.cluster = cluster
        self.dir = os.path.join(folder, "cfssl")
        os.makedirs(self.dir, exist_ok=True)
        cluster.create_db("cfssl")
        with open(os.path.join(HERE, "cfssl_certdb.sql")) as f:
            cluster.psql(f.read(), db="cfssl")
        self.port = trothenv.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = os.path.join(self.dir, "config.json")
        with open(conf, "w") as f:
            json.dump({"signing": {"default": {
                "expiry": "8760h", "usages": ["digital signature", "client auth"]}}}, f)
        dbconf = os.path.join(self.dir, "db.json")
        with open(dbconf, "w") as f:
            json.dump({"driver": "postgres", "data_source":
                       f"host={cluster.sock} dbname=cfssl user=troth sslmode=disable"}, f)
        self.args = ["cfssl", "serve", "-address", "127.0.0.1", "-port", str(self.port),
                     "-ca", ca_pem, "-ca-key", key_pem, "-config", conf,
                     "-db-config", dbconf, "-loglevel", "3"]
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "serve.log"), "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=self.log)
        for _ in range(500):
            try:
                trothenv.http("GET", self.url + "/api/v1/cfssl/scaninfo", timeout=1)
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("cfssl serve did not start")

    def stored(self):
        return int(self.cluster.psql("SELECT count(*) FROM certificates", db="cfssl"))

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None
