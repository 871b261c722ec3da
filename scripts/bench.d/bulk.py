"""Bulk data for the large-store benchmarks, loaded with COPY: members with an
approved client URI each, and certificates that are real X.509 (each DER is
signed by the issuing CA's key, with the row's own random serial, dates and
SAN URI), some revoked with real reasons. Bumps cas.crl_generation (and
NOTIFYs) so the CRL is dirty, as a revocation through the API would."""
import datetime
import hashlib
import multiprocessing
import os
import random
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import cakey

REASONS = ["keyCompromise", "superseded", "cessationOfOperation",
           "affiliationChanged", "unspecified"]  # names `openssl ca` knows too
ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")
PLACE_SERIAL = bytes([0x41]) + bytes(range(1, 16))
PLACE_NB = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
PLACE_NA = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
COLUMNS = ("serial, ca_id, member_id, profile, subject, uris, key_description, "
           "not_before, not_after, der, fingerprint_sha256, status, "
           "revocation_reason, revoked_at, created_at")

_G = {}


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def utc(t):
    return t.strftime("%y%m%d%H%M%SZ").encode()


def _init(ca_cert, ca_key, public_url, now, seed):
    _G.update(ca_cert=ca_cert, ca_key=ca_key, public_url=public_url, now=now)
    _G["keys"] = [ec.generate_private_key(ec.SECP256R1()).public_key() for _ in range(8)]
    random.seed(seed ^ os.getpid())


def template(member_id, uri, name):
    """A real certificate for the member, with placeholder serial and dates,
    split around them so each row only patches its own values."""
    ca = _G["ca_cert"]
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
         .issuer_name(ca.subject)
         .public_key(_G["keys"][member_id % 8])
         .serial_number(int.from_bytes(PLACE_SERIAL, "big"))
         .not_valid_before(PLACE_NB).not_valid_after(PLACE_NA)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                      False, False), critical=True)
         .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]),
                        critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                        critical=False)
         .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
             [x509.UniformResourceIdentifier(_G["public_url"] + "/crl/issuing.crl")],
             None, None, None)]), critical=False))
    tbs = b.sign(_G["ca_key"], hashes.SHA256()).tbs_certificate_bytes
    i_serial = tbs.index(b"\x02\x10" + PLACE_SERIAL) + 2
    i_val = tbs.index(b"\x17\x0d" + utc(PLACE_NB)) + 2
    i_na = tbs.index(b"\x17\x0d" + utc(PLACE_NA)) + 2
    return tbs[:i_serial], tbs[i_serial + 16:i_val], tbs[i_val + 13:i_na], tbs[i_na + 13:]


def _chunk(job):
    """COPY text lines for a list of (member_id, uri, count, revoked count)."""
    key, now = _G["ca_key"], _G["now"]
    sig = ec.ECDSA(hashes.SHA256())
    out = []
    for member_id, uri, count, n_revoked in job:
        name = f"Bench App {member_id}"
        a, b, c, d = template(member_id, uri, name)
        revoked = set(random.sample(range(count), n_revoked))
        for k in range(count):
            serial = bytearray(os.urandom(16))
            serial[0] = (serial[0] & 0x7F) or 1
            serial = bytes(serial)
            # issued within the last 364 days, valid 365: none expired, ~8% expire
            # within 30 days
            nb = now - datetime.timedelta(seconds=random.randrange(86400, 364 * 86400))
            nb = nb.replace(microsecond=0)
            na = nb + datetime.timedelta(days=365)
            tbs = a + serial + b + utc(nb) + c + utc(na) + d
            s = key.sign(tbs, sig)
            bits = b"\x03" + der_len(len(s) + 1) + b"\x00" + s
            body = tbs + ECDSA_SHA256 + bits
            der = b"\x30" + der_len(len(body)) + body
            if k in revoked:
                ra = nb + (now - nb) * random.random()
                st, reason = "revoked", random.choice(REASONS)
                rat = ra.strftime("%Y-%m-%d %H:%M:%S+00")
            else:
                st, reason, rat = "valid", "\\N", "\\N"
            out.append("\t".join((
                serial.hex(), "issuing", str(member_id), "udap-client",
                "CN=" + name, '{"' + uri + '"}', "EC P-256",
                nb.strftime("%Y-%m-%d %H:%M:%S+00"), na.strftime("%Y-%m-%d %H:%M:%S+00"),
                "\\\\x" + der.hex(), hashlib.sha256(der).hexdigest(), st, reason, rat,
                nb.strftime("%Y-%m-%d %H:%M:%S+00"))))
    return "\n".join(out) + "\n"


def add_members(cluster, db, n, tag):
    ids = cluster.psql(
        f"INSERT INTO members (name, organization_id, status) "
        f"SELECT 'Bench {tag} ' || g, 'urn:bench:{tag}:org:' || g, 'active' "
        f"FROM generate_series(1, {n}) g RETURNING id", db=db).split()
    cluster.psql(
        f"INSERT INTO member_uris (member_id, uri, lookalike_key, kind, status, approved_at) "
        f"SELECT m.id, 'https://app' || m.id || '.{tag}.example.org/client', "
        f"'https://app' || m.id || '.{tag}.example.org/client', 'client', 'approved', now() "
        f"FROM members m WHERE m.organization_id LIKE 'urn:bench:{tag}:org:%'", db=db)
    return [(int(i), f"https://app{i}.{tag}.example.org/client") for i in ids]


def load(cluster, db, passphrase, public_url, members, certs, revoked, tag="b",
         workers=2):
    """Loads `certs` certificates spread evenly over `members` new members,
    `revoked` of them revoked. Returns seconds taken."""
    t0 = time.monotonic()
    ca_cert, ca_key = cakey.load(cluster, db, "issuing", passphrase)
    mem = add_members(cluster, db, members, tag)
    per, extra = divmod(certs, members)
    rev_per, rev_extra = divmod(revoked, members)
    jobs, cur = [], []
    for j, (mid, uri) in enumerate(mem):
        cur.append((mid, uri, per + (j < extra), rev_per + (j < rev_extra)))
        if len(cur) >= 20:
            jobs.append(cur)
            cur = []
    if cur:
        jobs.append(cur)
    indexes = cluster.psql(
        "SELECT indexname || '|' || indexdef FROM pg_indexes WHERE tablename = 'certificates' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)", db=db).splitlines()
    for line in indexes:
        cluster.psql(f"DROP INDEX {line.split('|')[0]}", db=db)
    copy = subprocess.Popen(["psql", cluster.url(db), "-Xq", "-v", "ON_ERROR_STOP=1", "-c",
                             f"COPY certificates ({COLUMNS}) FROM STDIN"],
                            stdin=subprocess.PIPE, text=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    with multiprocessing.get_context("fork").Pool(
            workers, _init, (ca_cert, ca_key, public_url, now, random.getrandbits(32))) as pool:
        for text in pool.imap_unordered(_chunk, jobs):
            copy.stdin.write(text)
    copy.stdin.close()
    if copy.wait() != 0:
        raise RuntimeError("COPY failed")
    for line in indexes:
        cluster.psql(line.split("|", 1)[1], db=db)
    # the steady state autovacuum reaches: statistics and the visibility map
    # (index-only scans) as a long-running store has them
    cluster.psql("VACUUM ANALYZE certificates", db=db)
    bump(cluster, db)
    return time.monotonic() - t0


def revoke_all_but(cluster, db, keep):
    """Revokes every valid certificate of the issuing CA but `keep` of them."""
    t0 = time.monotonic()
    cluster.psql(
        "UPDATE certificates SET status = 'revoked', "
        "revocation_reason = (ARRAY['" + "','".join(REASONS) + "'])[1 + (get_byte(decode(substr(serial, 1, 2), 'hex'), 0) % "
        + str(len(REASONS)) + ")], revoked_at = now() - random() * interval '30 days' "
        "WHERE ca_id = 'issuing' AND status = 'valid' AND serial NOT IN "
        f"(SELECT serial FROM certificates WHERE ca_id = 'issuing' AND status = 'valid' "
        f"ORDER BY serial LIMIT {keep})", db=db)
    cluster.psql("VACUUM ANALYZE certificates", db=db)
    bump(cluster, db)
    return time.monotonic() - t0


def bump(cluster, db):
    cluster.psql("UPDATE cas SET crl_generation = crl_generation + 1 WHERE id = 'issuing'; "
                 "NOTIFY troth_revoked, 'issuing'", db=db)


if __name__ == "__main__":
    print("use from scripts/bench", file=sys.stderr)
