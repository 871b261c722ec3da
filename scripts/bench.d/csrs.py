"""N EC P-256 CSRs (one key each), and wrk Lua files of request bodies that
cycle through the same CSRs for Troth and for cfssl."""
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make(n, uri):
    out = []
    for i in range(n):
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                           f"bench client {i}")]))
               .add_extension(x509.SubjectAlternativeName(
                   [x509.UniformResourceIdentifier(uri)]), critical=False)
               .sign(key, hashes.SHA256()))
        out.append(csr.public_bytes(serialization.Encoding.PEM).decode())
    return out


def lua_string(s):
    return json.dumps(s)  # a JSON string is a valid Lua string literal here


def write_bodies(path, bodies):
    with open(path, "w") as f:
        f.write("return {\n")
        for b in bodies:
            f.write(lua_string(b) + ",\n")
        f.write("}\n")


def troth_bodies(csrs, member_id, uri):
    return [json.dumps({"member_id": member_id, "profile": "udap-client", "csr": c,
                        "uris": [uri]}) for c in csrs]


def cfssl_bodies(csrs):
    return [json.dumps({"certificate_request": c}) for c in csrs]
