/* libFuzzer: the signer's policy check (signer/check.h), what a
 * compromised web process could send: the first byte picks the check
 * (even: TBSCertificate under the issuing CA, then the root; odd:
 * TBSCertList of the issuing CA), the rest is the TBS. The CAs are made
 * from fixed keys (fuzz_keys.h) so the seeds reach the deeper rules.
 * With FUZZ_WRITE_SEEDS=DIR set, writes a valid leaf and CRL TBS there. */
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_keys.h"
#include "pki/ca.h"
#include "pki/crl.h"
#include "pki/encode.h"
#include "pki/keys.h"
#include "pki/leaf.h"
#include "signer/check.h"

static struct signer_ca_key cas[2]; /* root, issuing */
static struct signer_policy pol = {168 * 3600};

static EVP_PKEY *key_of(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    return k;
}

static void write_seed(const char *dir, const char *name, unsigned char mode,
                       const unsigned char *tbs, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(&mode, 1, 1, f);
    fwrite(tbs, 1, len, f);
    fclose(f);
}

static void seeds(const char *dir)
{
    struct problem err;
    EVP_PKEY *k = pki_key_generate("ec:P-256", &err);
    X509_NAME *n = pki_name_org_cn("Member", "app", &err);
    static const char *const uris[] = {"https://app.example.org/fhir/r4"};
    time_t now = time(NULL);
    struct pki_leaf_spec spec = {.pubkey = k, .subject = n, .uris = uris, .n_uris = 1,
                                 .not_before = now - 60, .not_after = now + 365 * 86400,
                                 .crl_url = "http://127.0.0.1:8080/crl/issuing.crl",
                                 .aia_url = "http://127.0.0.1:8080/ca/issuing.crt",
                                 .eku_client_auth = true};
    pki_random_serial(spec.serial);
    unsigned char *tbs;
    size_t len;
    const unsigned char *alg;
    size_t alg_len;
    if (pki_leaf_build_tbs(&spec, cas[1].cert, &tbs, &len, &alg, &alg_len, &err) == 0) {
        write_seed(dir, "leaf", 0, tbs, len);
        free(tbs);
    }
    struct pki_crl_entry e = {{0x01, 0x02, 0x03}, 3, now - 10, PKI_REASON_KEY_COMPROMISE};
    struct pki_crl_spec cs = {cas[1].cert, 7, now, now + 24 * 3600};
    if (pki_crl_build_tbs_array(&cs, &e, 1, &tbs, &len, &err) == 0) {
        write_seed(dir, "crl", 1, tbs, len);
        free(tbs);
    }
    X509_NAME_free(n);
    EVP_PKEY_free(k);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct problem err;
    EVP_PKEY *rk = key_of(FUZZ_ROOT_KEY), *ik = key_of(FUZZ_ISSUING_KEY);
    X509_NAME *rn = pki_name_org_cn("Fuzz Community", "Fuzz Root", &err);
    X509_NAME *in = pki_name_org_cn("Fuzz Community", "Fuzz Issuing CA", &err);
    X509 *root = pki_ca_make_root(rk, rn, 3650, &err);
    X509 *iss = pki_ca_make_issuing(ik, in, 1825, root, rk, "http://127.0.0.1:8080/crl/root.crl",
                                    "http://127.0.0.1:8080/ca/root.crt", &err);
    X509_NAME_free(rn);
    X509_NAME_free(in);
    if (!root || !iss)
        abort();
    snprintf(cas[0].id, sizeof cas[0].id, "root");
    cas[0].cert = root;
    cas[0].key = rk;
    snprintf(cas[1].id, sizeof cas[1].id, "issuing");
    cas[1].cert = iss;
    cas[1].key = ik;
    if (signer_ca_key_prepare(&cas[0]) || signer_ca_key_prepare(&cas[1]))
        abort();
    const char *dir = getenv("FUZZ_WRITE_SEEDS");
    if (dir)
        seeds(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char why[256];
    if (data[0] & 1) {
        uint64_t number = 0;
        cas[1].last_crl_number = 0;
        signer_check_crl_tbs(&cas[1], &pol, data + 1, size - 1, &number, why, sizeof why);
    } else {
        signer_check_cert_tbs(&cas[1], cas, 2, data + 1, size - 1, why, sizeof why);
        signer_check_cert_tbs(&cas[0], cas, 2, data + 1, size - 1, why, sizeof why);
    }
    return 0;
}
