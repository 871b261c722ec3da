// A small DER reader for the CSR preview on the issue page: subject, key
// type and size, requested SAN URIs. The server checks everything again.

function pemToDer(pem) {
  const m = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]+?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(pem);
  if (!m) throw new Error('This is not a PEM certificate request (expected -----BEGIN CERTIFICATE REQUEST-----).');
  let bin;
  try { bin = atob(m[1].replace(/\s+/g, '')); } catch { throw new Error('The PEM body is not valid base64.'); }
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// One TLV at offset → {tag, start (of content), end, len}
function tlv(b, off) {
  if (off + 2 > b.length) throw new Error('The request is truncated.');
  const tag = b[off];
  let len = b[off + 1], p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4) throw new Error('The request has a bad length.');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++];
  }
  if (p + len > b.length) throw new Error('The request is truncated.');
  return { tag, start: p, end: p + len, len };
}

function children(b, node) {
  const out = [];
  for (let p = node.start; p < node.end;) { const c = tlv(b, p); out.push(c); p = c.end; }
  return out;
}

function oid(b, n) {
  const v = b.subarray(n.start, n.end);
  const parts = [Math.floor(v[0] / 40), v[0] % 40];
  let x = 0;
  for (let i = 1; i < v.length; i++) { x = x * 128 + (v[i] & 0x7f); if (!(v[i] & 0x80)) { parts.push(x); x = 0; } }
  return parts.join('.');
}

const text = (b, n) => new TextDecoder().decode(b.subarray(n.start, n.end));

const NAMES = { '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU' };
const CURVES = { '1.2.840.10045.3.1.7': ['P-256', 256], '1.3.132.0.34': ['P-384', 384], '1.3.132.0.35': ['P-521', 521] };

export function decodeCsr(pem) {
  const b = pemToDer(pem);
  const top = tlv(b, 0);
  if (top.tag !== 0x30) throw new Error('The request is not a DER SEQUENCE.');
  const [info] = children(b, top);
  const parts = children(b, info);
  if (parts.length < 3) throw new Error('The request is incomplete.');
  const subject = children(b, parts[1]).map((set) => {
    const [atv] = children(b, set);
    const [t, v] = children(b, atv);
    const o = oid(b, t);
    return `${NAMES[o] || o}=${text(b, v)}`;
  }).join(', ');
  const [alg, bits] = children(b, parts[2]);
  const [algOid, param] = children(b, alg);
  const ao = oid(b, algOid);
  let keyType = ao, keySize = null;
  if (ao === '1.2.840.10045.2.1') {
    const c = param && param.tag === 0x06 ? CURVES[oid(b, param)] : null;
    keyType = c ? `EC ${c[0]}` : 'EC (unknown curve)';
    keySize = c ? c[1] : null;
  } else if (ao === '1.2.840.113549.1.1.1') {
    const rsa = tlv(b, bits.start + 1);
    const [mod] = children(b, rsa);
    let n = mod.len, p = mod.start;
    while (n > 0 && b[p] === 0) { n--; p++; }
    keyType = 'RSA';
    keySize = n * 8 - Math.clz32(b[p]) + 24;
  } else if (ao === '1.3.101.112') { keyType = 'Ed25519'; keySize = 256; }
  const uris = [], dns = [];
  const attrs = parts.find((p) => p.tag === 0xa0);
  for (const attr of attrs ? children(b, attrs) : []) {
    const [t, set] = children(b, attr);
    if (oid(b, t) !== '1.2.840.113549.1.9.14') continue;
    for (const ext of children(b, children(b, set)[0])) {
      const f = children(b, ext);
      if (oid(b, f[0]) !== '2.5.29.17') continue;
      const names = tlv(b, f[f.length - 1].start);
      for (const gn of children(b, names)) {
        if (gn.tag === 0x86) uris.push(text(b, gn));
        else if (gn.tag === 0x82) dns.push(text(b, gn));
      }
    }
  }
  return { subject, keyType, keySize, uris, dns };
}

const EXTENSIONS = {
  '2.5.29.19': 'Basic constraints', '2.5.29.15': 'Key usage', '2.5.29.37': 'Extended key usage',
  '2.5.29.17': 'Subject alternative name', '2.5.29.14': 'Subject key identifier',
  '2.5.29.35': 'Authority key identifier', '2.5.29.31': 'CRL distribution points',
  '1.3.6.1.5.5.7.1.1': 'Authority information access', '2.5.29.32': 'Certificate policies',
};

// The extensions of a PEM certificate: [{name, critical}]
export function decodeCert(pem) {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('not a PEM certificate');
  const b = Uint8Array.from(atob(m[1].replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  const [tbs] = children(b, tlv(b, 0));
  const exts = children(b, tbs).find((p) => p.tag === 0xa3);
  const out = [];
  for (const ext of exts ? children(b, children(b, exts)[0]) : []) {
    const f = children(b, ext);
    const o = oid(b, f[0]);
    out.push({ oid: o, name: EXTENSIONS[o] || o, critical: f.length === 3 && f[1].tag === 0x01 && b[f[1].start] !== 0 });
  }
  return { extensions: out };
}
