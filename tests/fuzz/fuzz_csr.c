/* libFuzzer: CSRs as POST /api/v1/certificates takes them (PEM or DER):
 * parse, key policy and proof of possession, the preview summary. */
#include <stddef.h>
#include <stdint.h>

#include "pki/csr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct problem err;
    X509_REQ *req = pki_csr_parse((const char *)data, size, &err);
    if (!req)
        return 0;
    struct pki_key_policy pol = {.rsa_only = size & 1};
    pki_csr_check(req, &pol, &err);
    struct pki_csr_summary s;
    if (pki_csr_summarize(req, &s, &err) == 0)
        pki_csr_summary_free(&s);
    X509_REQ_free(req);
    return 0;
}
