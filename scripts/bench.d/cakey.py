"""The CA certificate and decrypted private key of a Troth CA, from its
database (the key is encrypted PKCS#8 under the configured passphrase)."""
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def load(cluster, db, ca_id, passphrase):
    row = cluster.psql(f"SELECT encode(certificate_der, 'hex') || ' ' || "
                       f"replace(key_encrypted, E'\\n', '|') FROM cas WHERE id = '{ca_id}'",
                       db=db)
    der_hex, key_pem = row.split(" ", 1)
    cert = x509.load_der_x509_certificate(bytes.fromhex(der_hex))
    key = serialization.load_pem_private_key(key_pem.replace("|", "\n").encode(),
                                             password=passphrase.encode())
    return cert, key


def write_pem(cert, key, cert_path, key_path):
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
