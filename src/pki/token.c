/* PKCS#11 tokens: RFC 7512 URIs, libp11 sessions, key pairs made inside the token. */
#include "pki/token.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <p11-kit/pkcs11.h>

#include "pki/keys.h"

#define PREFIX "pkcs11:"

/* ---- RFC 7512 URIs ---- */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode [s, s+n) into out (at most max bytes); length or -1. */
static long pct_decode(const char *s, size_t n, unsigned char *out, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
                return -1;
            c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c)) {
            return -1;
        }
        if (o >= max)
            return -1;
        out[o++] = (unsigned char)c;
    }
    return (long)o;
}

static int set_label(char *dst, size_t max, const char *v, size_t n, const char *name, struct problem *err)
{
    unsigned char buf[128];
    long len = pct_decode(v, n, buf, max);
    if (len <= 0 || memchr(buf, 0, (size_t)len))
        return problem_set(err, PK_KEY_URI_INVALID, NULL, "PKCS#11 URI: %s must be 1 to %zu bytes, percent-encoded",
                           name, max);
    memcpy(dst, buf, (size_t)len);
    dst[len] = '\0';
    return 0;
}

int pki_token_uri_parse(const char *uri, struct pki_token_uri *u, struct problem *err)
{
    memset(u, 0, sizeof *u);
    if (uri == NULL || strncmp(uri, PREFIX, strlen(PREFIX)) != 0)
        return problem_set(err, PK_KEY_URI_INVALID, NULL, "a PKCS#11 URI starts with pkcs11: (RFC 7512)");
    const char *p = uri + strlen(PREFIX);
    if (strchr(p, '?'))
        return problem_set(err, PK_KEY_URI_INVALID, NULL,
                           "PKCS#11 URI: no query attributes (the PIN comes from [pkcs11] pin_file)");
    while (*p) {
        size_t n = strcspn(p, ";");
        const char *eq = memchr(p, '=', n);
        if (eq == NULL)
            return problem_set(err, PK_KEY_URI_INVALID, NULL, "PKCS#11 URI: attribute without a value");
        size_t kl = (size_t)(eq - p), vl = n - kl - 1;
        const char *v = eq + 1;
        if (kl == 5 && !memcmp(p, "token", 5)) {
            if (u->token[0])
                return problem_set(err, PK_KEY_URI_INVALID, NULL, "PKCS#11 URI: token twice");
            if (set_label(u->token, PKI_TOKEN_LABEL_MAX, v, vl, "token", err))
                return -1;
        } else if (kl == 6 && !memcmp(p, "object", 6)) {
            if (u->object[0])
                return problem_set(err, PK_KEY_URI_INVALID, NULL, "PKCS#11 URI: object twice");
            if (set_label(u->object, PKI_TOKEN_OBJECT_MAX, v, vl, "object", err))
                return -1;
        } else if (kl == 2 && !memcmp(p, "id", 2)) {
            long len = u->id_len ? -1 : pct_decode(v, vl, u->id, sizeof u->id);
            if (len <= 0)
                return problem_set(err, PK_KEY_URI_INVALID, NULL, "PKCS#11 URI: id must be 1 to %d bytes, once",
                                   PKI_TOKEN_ID_MAX);
            u->id_len = (size_t)len;
        } else if (kl == 4 && !memcmp(p, "type", 4)) {
            if (vl != 7 || memcmp(v, "private", 7))
                return problem_set(err, PK_KEY_URI_INVALID, NULL, "PKCS#11 URI: type must be private (a CA key)");
        } else {
            return problem_set(err, PK_KEY_URI_INVALID, NULL,
                               "PKCS#11 URI: attribute %.*s is not supported (token, object, id, type)",
                               (int)(kl > 32 ? 32 : kl), p);
        }
        p += n;
        if (*p == ';')
            p++;
    }
    if (!u->token[0])
        return problem_set(err, PK_KEY_URI_INVALID, NULL, "PKCS#11 URI: token=LABEL is required");
    return 0;
}

static size_t pct_encode(const unsigned char *s, size_t n, bool all, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (!all && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c)))
            out[o++] = (char)c;
        else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return o;
}

int pki_token_uri_format(const struct pki_token_uri *u, char *out, size_t len)
{
    char tok[3 * PKI_TOKEN_LABEL_MAX + 1], obj[3 * PKI_TOKEN_OBJECT_MAX + 1], id[3 * PKI_TOKEN_ID_MAX + 1];
    pct_encode((const unsigned char *)u->token, strlen(u->token), false, tok);
    pct_encode((const unsigned char *)u->object, strlen(u->object), false, obj);
    pct_encode(u->id, u->id_len, true, id);
    int n = snprintf(out, len, PREFIX "token=%s%s%s%s%s;type=private", tok, obj[0] ? ";object=" : "", obj,
                     id[0] ? ";id=" : "", id);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* ---- sessions (libp11) ---- */

#define MAX_OPEN 8

static struct {
    PKCS11_CTX *ctx;
    char *module;
    PKCS11_SLOT *slots;
    unsigned n_slots;
    int refs;
    PKCS11_SLOT *logged_in[MAX_OPEN];
} g;

struct pki_token {
    PKCS11_SLOT *slot;
};

static void ctx_release(void)
{
    if (g.ctx == NULL)
        return;
    if (g.slots)
        PKCS11_release_all_slots(g.ctx, g.slots, g.n_slots);
    PKCS11_CTX_unload(g.ctx);
    PKCS11_CTX_free(g.ctx);
    free(g.module);
    memset(&g, 0, sizeof g);
}

__attribute__((format(printf, 2, 3))) static int unavailable(struct problem *err, const char *fmt, ...)
{
    unsigned long e = ERR_peek_last_error();
    char why[128] = "";
    if (e)
        ERR_error_string_n(e, why, sizeof why);
    ERR_clear_error();
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return problem_set(err, PK_TOKEN_UNAVAILABLE, NULL, "%s%s%s", msg, why[0] ? ": " : "", why);
}

struct pki_token *pki_token_open(const char *module, const char *label, const char *pin, struct problem *err)
{
    if (module == NULL || !*module) {
        problem_set(err, PK_TOKEN_CONFIG, NULL, "a PKCS#11 key needs [pkcs11] module");
        return NULL;
    }
    if (g.ctx && strcmp(g.module, module)) {
        problem_set(err, PK_TOKEN_CONFIG, NULL, "one PKCS#11 module per process ([pkcs11] module)");
        return NULL;
    }
    if (g.ctx == NULL) {
        if ((g.ctx = PKCS11_CTX_new()) == NULL || (g.module = strdup(module)) == NULL) {
            ctx_release();
            problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
            return NULL;
        }
        if (PKCS11_CTX_load(g.ctx, module) != 0) {
            PKCS11_CTX_free(g.ctx);
            free(g.module);
            memset(&g, 0, sizeof g);
            unavailable(err, "cannot load the PKCS#11 module %s", module);
            return NULL;
        }
        if (PKCS11_enumerate_slots(g.ctx, &g.slots, &g.n_slots) != 0) {
            g.slots = NULL;
            ctx_release();
            unavailable(err, "PKCS#11 module %s: cannot list its slots", module);
            return NULL;
        }
    }
    PKCS11_SLOT *slot = NULL;
    for (unsigned i = 0; i < g.n_slots && slot == NULL; i++)
        if (g.slots[i].token && g.slots[i].token->initialized && !strcmp(g.slots[i].token->label, label))
            slot = &g.slots[i];
    size_t k = 0;
    while (k < MAX_OPEN && g.logged_in[k] && g.logged_in[k] != slot)
        k++;
    struct pki_token *t = NULL;
    if (slot == NULL)
        unavailable(err, "no PKCS#11 token labelled %s in %s", label, module);
    else if (k == MAX_OPEN)
        problem_set(err, PK_TOKEN_CONFIG, NULL, "too many PKCS#11 tokens open");
    else if (g.logged_in[k] == NULL && (pin == NULL || PKCS11_open_session(slot, 0) != 0 ||
                                        PKCS11_login(slot, 0, pin) != 0))
        unavailable(err, "cannot log in to the PKCS#11 token %s%s (PIN from [pkcs11] pin_file)", label,
                    pin ? "" : ": no PIN");
    else if ((t = calloc(1, sizeof *t)) == NULL)
        problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
    if (t == NULL) {
        if (g.refs == 0)
            ctx_release();
        return NULL;
    }
    g.logged_in[k] = slot;
    t->slot = slot;
    g.refs++;
    return t;
}

EVP_PKEY *pki_token_private_key(struct pki_token *t, const struct pki_token_uri *u, struct problem *err)
{
    PKCS11_KEY *keys = NULL, *found = NULL;
    unsigned n = 0, matches = 0;
    if (PKCS11_enumerate_keys(t->slot->token, &keys, &n) != 0) {
        unavailable(err, "cannot list the keys of PKCS#11 token %s", u->token);
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        PKCS11_KEY *k = &keys[i];
        if (!k->isPrivate)
            continue;
        if (u->id_len && (k->id_len != u->id_len || memcmp(k->id, u->id, u->id_len)))
            continue;
        if (u->object[0] && (k->label == NULL || strcmp(k->label, u->object)))
            continue;
        found = k;
        matches++;
    }
    if (matches != 1) {
        problem_set(err, PK_TOKEN_KEY_MISSING, NULL, "PKCS#11 token %s: %s private key matches the URI", u->token,
                    matches ? "more than one" : "no");
        return NULL;
    }
    EVP_PKEY *key = PKCS11_get_private_key(found);
    if (key == NULL)
        unavailable(err, "PKCS#11 token %s: cannot use the private key", u->token);
    return key;
}

void pki_token_close(struct pki_token *t)
{
    if (t == NULL)
        return;
    free(t);
    if (--g.refs == 0)
        ctx_release();
}

/* ---- key pairs made in the token (the module's own PKCS#11 API) ---- */

/* DER OIDs of the named curves, as CKA_EC_PARAMS (PKCS#11 2.40 §2.3.3). */
static const CK_BYTE OID_P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE OID_P384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

static int ck_fail(struct problem *err, const char *what, CK_RV rv)
{
    return problem_set(err, PK_TOKEN_UNAVAILABLE, NULL, "PKCS#11 %s failed (CKR 0x%lx)", what, (unsigned long)rv);
}

/* The slot whose initialised token is labelled label (space-padded in CK_TOKEN_INFO). */
static int find_slot(CK_FUNCTION_LIST_PTR f, const char *label, CK_SLOT_ID *out, struct problem *err)
{
    CK_ULONG n = 0;
    CK_RV rv = f->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK)
        return ck_fail(err, "C_GetSlotList", rv);
    CK_SLOT_ID *slots = calloc(n ? n : 1, sizeof *slots);
    if (slots == NULL)
        return problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
    rv = f->C_GetSlotList(CK_TRUE, slots, &n);
    int found = 0;
    for (CK_ULONG i = 0; rv == CKR_OK && i < n && !found; i++) {
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED))
            continue;
        size_t l = sizeof ti.label;
        while (l > 0 && ti.label[l - 1] == ' ')
            l--;
        if (l == strlen(label) && !memcmp(ti.label, label, l)) {
            *out = slots[i];
            found = 1;
        }
    }
    free(slots);
    if (rv != CKR_OK)
        return ck_fail(err, "C_GetSlotList", rv);
    return found ? 0 : problem_set(err, PK_TOKEN_UNAVAILABLE, NULL, "no PKCS#11 token labelled %s", label);
}

static int keypair(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, int bits, const char *curve,
                   const struct pki_token_uri *u, struct problem *err)
{
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG modulus = (CK_ULONG)bits;
    CK_BYTE e65537[] = {0x01, 0x00, 0x01};
    CK_ULONG label_len = strlen(u->object);
    CK_ATTRIBUTE pub[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_ID, (void *)u->id, u->id_len},
        {CKA_LABEL, (void *)u->object, label_len},
        {bits ? CKA_MODULUS_BITS : CKA_EC_PARAMS,
         bits ? (void *)&modulus : (void *)(strcmp(curve, "P-256") ? OID_P384 : OID_P256),
         bits ? sizeof modulus : strcmp(curve, "P-256") ? sizeof OID_P384 : sizeof OID_P256},
        {CKA_PUBLIC_EXPONENT, e65537, sizeof e65537},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_DECRYPT, &no, sizeof no},
        {CKA_UNWRAP, &no, sizeof no},
        {CKA_DERIVE, &no, sizeof no},
        {CKA_ID, (void *)u->id, u->id_len},
        {CKA_LABEL, (void *)u->object, label_len},
    };
    CK_MECHANISM mech = {bits ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_RV rv = f->C_GenerateKeyPair(s, &mech, pub, bits ? 6 : 5, priv, sizeof priv / sizeof priv[0], &hpub, &hpriv);
    return rv == CKR_OK ? 0 : ck_fail(err, "C_GenerateKeyPair", rv);
}

int pki_token_generate(const char *module, const char *pin, const char *spec, struct pki_token_uri *u,
                       struct problem *err)
{
    int bits;
    const char *curve;
    if (pki_key_spec_params(spec, &bits, &curve) != 0)
        return problem_set(err, PK_KEY_SPEC_INVALID, NULL, "unknown key type %s", spec ? spec : "(none)");
    if (module == NULL || !*module || pin == NULL)
        return problem_set(err, PK_TOKEN_CONFIG, NULL, "a key in a token needs [pkcs11] module and pin_file");
    u->id_len = 16;
    if (RAND_bytes(u->id, (int)u->id_len) != 1)
        return problem_set(err, PK_KEYGEN_FAILED, NULL, "no random bytes for the key id");
    void *lib = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL)
        return problem_set(err, PK_TOKEN_UNAVAILABLE, NULL, "cannot load the PKCS#11 module %s: %s", module, dlerror());
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_SLOT_ID slot = 0; /* set before use; -O2 cannot see it (release build) */
    CK_RV rv;
    int rc = -1, inited = 0, logged_in = 0;
    if (get == NULL || get(&f) != CKR_OK || f == NULL)
        problem_set(err, PK_TOKEN_UNAVAILABLE, NULL, "%s is not a PKCS#11 module", module);
    /* already initialised: libp11 holds the module for another key of this
     * process; then its sessions and login are left as they are */
    else if ((rv = f->C_Initialize(&args)) != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
        ck_fail(err, "C_Initialize", rv);
    else if ((inited = rv == CKR_OK, find_slot(f, u->token, &slot, err)) != 0)
        ;
    else if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK)
        ck_fail(err, "C_OpenSession", rv);
    else if ((rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin))) != CKR_OK &&
             rv != CKR_USER_ALREADY_LOGGED_IN)
        problem_set(err, PK_TOKEN_UNAVAILABLE, NULL, "cannot log in to the PKCS#11 token %s (CKR 0x%lx): check "
                    "[pkcs11] pin_file", u->token, (unsigned long)rv);
    else {
        logged_in = rv == CKR_OK;
        rc = keypair(f, s, bits, curve, u, err);
    }
    if (s != CK_INVALID_HANDLE) {
        if (logged_in)
            f->C_Logout(s);
        f->C_CloseSession(s);
    }
    if (inited)
        f->C_Finalize(NULL);
    dlclose(lib);
    return rc;
}
