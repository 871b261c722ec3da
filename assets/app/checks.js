// Client-side checks where the page already knows the answer (issue 14 §8);
// the server checks everything again. No imports but csr.js: the browser
// test loads the NPI check in Node as well.
import { decodeCsr } from './csr.js';

// An NPI: 10 digits whose last is the Luhn check digit over "80840" and the
// first nine (as src/util/validate.c npi_valid). Returns the reason or null.
export function npiProblem(s) {
  if (!/^[0-9]{10}$/.test(s)) return 'An NPI is exactly 10 digits.';
  let sum = 24; // the prefix 80840, doubled as Luhn wants
  for (let i = 8, dbl = true; i >= 0; i--, dbl = !dbl) {
    let d = s.charCodeAt(i) - 48;
    if (dbl) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  const check = (10 - (sum % 10)) % 10;
  return check === s.charCodeAt(9) - 48 ? null
    : `This NPI’s check digit is wrong (the last digit would be ${check}): check for a typo.`;
}

// What is wrong with a CSR before it is sent (not PEM, unreadable, a key too
// weak or of a kind no profile takes), or null.
export function csrProblem(pem) {
  if (!pem.trim()) return 'Paste a certificate signing request, or choose its file.';
  let d;
  try { d = decodeCsr(pem); } catch (e) { return e.message; }
  if (d.keyType === 'RSA' && d.keySize < 2048) return `The key is too weak: RSA of ${d.keySize} bits; at least 2048 are needed.`;
  if (!/^(RSA|EC P-256|EC P-384)$/.test(d.keyType)) return `A ${d.keyType} key is not allowed: use RSA (2048 bits or more) or EC P-256/P-384.`;
  return null;
}
