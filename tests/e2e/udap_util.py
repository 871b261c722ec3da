"""Signed UDAP JWTs for the validator tests: PyJWT for well-formed ones,
a raw JWS builder (python3-cryptography) for headers PyJWT will not write."""
import base64
import json
import time
import uuid

import jwt as pyjwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def software_statement(iss, aud="https://as.example.org/register", **over):
    now = int(time.time())
    c = {"iss": iss, "sub": iss, "aud": aud, "iat": now, "exp": now + 300,
         "jti": uuid.uuid4().hex, "client_name": "Test App",
         "grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt",
         "scope": "system/*.read"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def metadata(iss, **over):
    now = int(time.time())
    c = {"iss": iss, "sub": iss, "iat": now, "exp": now + 3600, "jti": uuid.uuid4().hex,
         "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
         "registration_endpoint": iss + "/register"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def client_assertion(client_id, aud="https://as.example.org/token", **over):
    now = int(time.time())
    c = {"iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 300,
         "jti": uuid.uuid4().hex}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def sign(claims, key, x5c, alg=None):
    """A JWT signed by PyJWT with x5c in its header."""
    alg = alg or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else
                  {"secp256r1": "ES256", "secp384r1": "ES384"}[key.curve.name])
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pyjwt.encode(claims, pem, algorithm=alg, headers={"x5c": list(x5c)})


def raw(header, claims, key=None, alg_hash=None):
    """A JWS with any header, signed (or not, key None) with the key."""
    h = b64u(json.dumps(header).encode())
    p = b64u(json.dumps(claims).encode())
    si = f"{h}.{p}".encode()
    if key is None:
        return f"{h}.{p}."
    hsh = alg_hash or hashes.SHA256()
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(si, padding.PKCS1v15(), hsh)
    else:
        r, s = decode_dss_signature(key.sign(si, ec.ECDSA(hsh)))
        n = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(n, "big") + s.to_bytes(n, "big")
    return f"{h}.{p}.{b64u(sig)}"


def verify_pyjwt(token, leaf_cert, audience=None, alg=None):
    """PyJWT's verdict on the signature and registered claims (raises on failure)."""
    pub = leaf_cert.public_key()
    algs = [alg] if alg else ["RS256", "ES256", "RS384", "ES384"]
    return pyjwt.decode(token, pub, algorithms=algs, audience=audience,
                        options={"verify_aud": audience is not None,
                                 "require": ["exp", "iat", "iss", "jti"]})
