#include "ca/offline_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/ui.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ca/create.h"
#include "ca/registry.h"
#include "ceremony/ceremony.h"
#include "pki/ca.h"
#include "pki/crl.h"
#include "pki/encode.h"
#include "pki/ext.h"
#include "pki/keys.h"
#include "pki/sign.h"
#include "util/file.h"
#include "util/hex.h"

#define ROOT_ID "root"

char *offline_passphrase(const char *file, int confirm, char *err, size_t errlen)
{
    if (file)
        return passphrase_read(file, err, errlen);
    /* from the terminal: the rule of passphrase_read (util/file.h) */
    char buf[PASSPHRASE_MAX + 2];
    if (EVP_read_pw_string(buf, sizeof buf, "Offline root passphrase: ", confirm) != 0) {
        OPENSSL_cleanse(buf, sizeof buf);
        snprintf(err, errlen, "no root passphrase (no terminal, or the two entries "
                              "differ): use --root-passphrase-file");
        return NULL;
    }
    size_t n = strlen(buf);
    if (n < PASSPHRASE_MIN || n > PASSPHRASE_MAX) {
        OPENSSL_cleanse(buf, sizeof buf);
        snprintf(err, errlen, "the root passphrase must be %d to %d bytes",
                 PASSPHRASE_MIN, PASSPHRASE_MAX);
        return NULL;
    }
    char *p = strdup(buf);
    OPENSSL_cleanse(buf, sizeof buf);
    return p;
}

static void path_of(char *out, size_t len, const struct offline_root *r, const char *name)
{
    snprintf(out, len, "%s/%s", r->dir, name);
}

/* Replaces DIR/name with data (write, fsync, rename). */
static int put_file(const struct offline_root *r, const char *name, const void *data,
                    size_t len, mode_t mode, struct problem *e)
{
    char path[4400], tmp[4410];
    path_of(path, sizeof path, r, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        return problem_set(e, PK_OFFLINE_WRITE_FAILED, NULL, "cannot write %s: %s", path,
                           strerror(saved));
    }
    return 0;
}

static int append_line(const struct offline_root *r, const char *name, const char *line,
                       struct problem *e)
{
    char path[4400];
    path_of(path, sizeof path, r, name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    size_t n = strlen(line);
    bool ok = fd >= 0 && write(fd, line, n) == (ssize_t)n && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    return ok ? 0 : problem_set(e, PK_OFFLINE_WRITE_FAILED, NULL, "cannot append to %s: %s",
                                path, strerror(errno));
}

static int record(struct offline_root *r, const char *event, json_t *extra,
                  struct problem *e)
{
    json_t *rec = ceremony_record(event, ROOT_ID, r->cert ? X509_get0_pubkey(r->cert) : r->key,
                                  r->location);
    if (extra)
        json_object_update(rec, extra);
    json_decref(extra);
    if (ceremony_log_append(r->log, rec) != 0)
        return problem_set(e, PK_OFFLINE_WRITE_FAILED, NULL, "cannot append to %s: %s", r->log,
                           strerror(errno));
    return 0;
}

static int set_dir(struct offline_root *r, const char *dir, struct problem *e)
{
    memset(r, 0, sizeof *r);
    char abs[PATH_MAX];
    if (!realpath(dir, abs))
        return problem_set(e, PK_OFFLINE_DIR_INVALID, NULL, "cannot use %s: %s", dir,
                           strerror(errno));
    snprintf(r->dir, sizeof r->dir, "%s", abs);
    snprintf(r->location, sizeof r->location, "offline:%s", abs);
    snprintf(r->log, sizeof r->log, "%s/ceremony.log", abs);
    return 0;
}

int offline_root_create(struct offline_root *r, const char *dir, const char *spec,
                        const char *name, const char *pass, unsigned kdf_iterations,
                        struct problem *e)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return problem_set(e, PK_OFFLINE_DIR_INVALID, NULL, "cannot create %s: %s", dir,
                           strerror(errno));
    if (set_dir(r, dir, e))
        return -1;
    char path[4400], cn[300];
    path_of(path, sizeof path, r, "root-key.pem");
    if (access(path, F_OK) == 0)
        return problem_set(e, PK_OFFLINE_ROOT_EXISTS, NULL, "%s already holds a root key", r->dir);
    path_of(path, sizeof path, r, "crls");
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return problem_set(e, PK_OFFLINE_WRITE_FAILED, NULL, "cannot create %s", path);
    X509_NAME *subject = NULL;
    char *pem = NULL, *cert_pem = NULL;
    unsigned char *der = NULL;
    size_t der_len = 0;
    int rc = -1;
    snprintf(cn, sizeof cn, "%.250s Root CA", name);
    if (!(r->key = pki_key_generate(spec, e)) || !(subject = pki_name_org_cn(name, cn, e)))
        goto out;
    if (record(r, "key.generate", NULL, e))
        goto out;
    if (!(r->cert = pki_ca_make_root(r->key, subject, CA_ROOT_DAYS, e)) ||
        pki_cert_der(r->cert, &der, &der_len, e) ||
        !(pem = pki_key_encrypt_pem_iter(r->key, pass, (int)kdf_iterations, e)) ||
        !(cert_pem = pki_der_to_pem(der, der_len, "CERTIFICATE")))
        goto out;
    char fp[PKI_FP_HEX_SIZE], *serial = pki_serial_hex(r->cert);
    pki_fingerprint_sha256(der, der_len, false, fp);
    bool bad = put_file(r, "root-key.pem", pem, strlen(pem), 0600, e) ||
               put_file(r, "root.pem", cert_pem, strlen(cert_pem), 0644, e) ||
               put_file(r, "crlnumber", "0\n", 2, 0600, e) ||
               record(r, "certificate.sign",
                      json_pack("{s:s, s:s, s:s}", "signed", "self-signed root certificate",
                                "serial", serial ? serial : "", "certificate_sha256", fp), e);
    free(serial);
    if (bad)
        goto out;
    rc = 0;
out:
    if (pem)
        OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    free(cert_pem);
    free(der);
    X509_NAME_free(subject);
    return rc;
}

int offline_root_open(struct offline_root *r, const char *dir, const char *pass,
                      struct problem *e)
{
    if (set_dir(r, dir, e))
        return -1;
    char path[4400];
    size_t len = 0;
    path_of(path, sizeof path, r, "root.pem");
    char *pem = file_read(path, 1u << 20, &len);
    unsigned char *der = NULL;
    size_t der_len = 0;
    if (!pem || pki_pem_to_der(pem, len, "CERTIFICATE", &der, &der_len) != 0 ||
        !(r->cert = pki_cert_from_der(der, der_len))) {
        free(pem);
        free(der);
        return problem_set(e, PK_OFFLINE_ROOT_MISSING, NULL, "%s holds no root certificate "
                           "(root.pem)", r->dir);
    }
    free(pem);
    free(der);
    if (!pass)
        return 0;
    path_of(path, sizeof path, r, "root-key.pem");
    pem = file_read(path, 1u << 20, &len);
    if (!pem)
        return problem_set(e, PK_OFFLINE_ROOT_MISSING, NULL, "cannot read %s: %s", path,
                           strerror(errno));
    r->key = pki_key_decrypt_pem(pem, len, pass, e);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (!r->key || pki_ca_check_pair(r->cert, r->key, e))
        return -1;
    return 0;
}

void offline_root_close(struct offline_root *r)
{
    X509_free(r->cert);
    EVP_PKEY_free(r->key);
    r->cert = NULL;
    r->key = NULL;
}

int offline_root_issued(struct offline_root *r, const X509 *ca_cert, const char *ca_id,
                        struct problem *e)
{
    char *serial = pki_serial_hex(ca_cert), subject[512], line[700], fp[PKI_FP_HEX_SIZE];
    time_t na = 0;
    pki_asn1_time_to_time_t(X509_get0_notAfter(ca_cert), &na);
    ca_name_string(X509_get_subject_name(ca_cert), subject, sizeof subject);
    snprintf(line, sizeof line, "%s\t%lld\t%s\n", serial ? serial : "", (long long)na, subject);
    unsigned char *der = NULL;
    size_t der_len = 0;
    if (!serial || pki_cert_der(ca_cert, &der, &der_len, e)) {
        free(serial);
        return problem_set(e, PK_OFFLINE_WRITE_FAILED, NULL, "cannot encode the certificate");
    }
    pki_fingerprint_sha256(der, der_len, false, fp);
    char spki[65];
    ceremony_spki_sha256(X509_get0_pubkey(ca_cert), spki);
    int rc = append_line(r, "issued.txt", line, e) ||
                     record(r, "certificate.sign",
                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "signed", "CA certificate",
                                      "signed_ca", ca_id, "serial", serial,
                                      "certificate_sha256", fp, "signed_spki_sha256", spki),
                            e)
                 ? -1 : 0;
    free(der);
    free(serial);
    return rc;
}

/* Calls fn for each "serial TAB ..." line of DIR/name; stops when fn != 0. */
static int each_line(const struct offline_root *r, const char *name,
                     int (*fn)(void *ctx, char *serial, char *rest), void *ctx)
{
    char path[4400];
    path_of(path, sizeof path, r, name);
    char *text = file_read(path, 64u << 20, NULL);
    if (!text)
        return errno == ENOENT ? 0 : -1;
    int rc = 0;
    for (char *line = text, *next; rc == 0 && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = 0;
        rc = fn(ctx, line, tab + 1);
    }
    free(text);
    return rc;
}

static int same_serial(void *ctx, char *serial, char *rest)
{
    (void)rest;
    return !strcmp(ctx, serial);
}

int offline_root_revoke(struct offline_root *r, const char *serial, const char *reason,
                        struct problem *e)
{
    unsigned char buf[20];
    char norm[48];
    size_t i = 0;
    for (; serial[i] && i < sizeof norm - 1; i++)
        norm[i] = (char)(serial[i] >= 'A' && serial[i] <= 'F' ? serial[i] + 32 : serial[i]);
    norm[i] = 0;
    while (strlen(norm) > 2 && !strncmp(norm, "00", 2)) /* as pki_serial_hex writes it */
        memmove(norm, norm + 2, strlen(norm) - 1);
    size_t nl = strlen(norm);
    if (nl % 2 && nl < sizeof norm - 1) { /* whole bytes, as pki_serial_hex writes it */
        memmove(norm + 1, norm, nl + 1);
        norm[0] = '0';
    }
    if (serial[i] || hex_decode(norm, buf, sizeof buf) <= 0)
        return problem_set(e, PK_SERIAL_INVALID, NULL,
                           "the serial must be hexadecimal, at most 20 bytes");
    int code = pki_crl_reason_from_name(reason);
    if (code < 0 || code == PKI_REASON_CERTIFICATE_HOLD)
        return problem_set(e, PK_REASON_INVALID, NULL,
                           "reason %s: use an RFC 5280 reason name such as cACompromise, "
                           "superseded or cessationOfOperation (no hold for a CA)", reason);
    if (each_line(r, "issued.txt", same_serial, norm) != 1)
        return problem_set(e, PK_SERIAL_UNKNOWN, NULL,
                           "this root did not sign a CA certificate with serial %s "
                           "(see %s/issued.txt)", norm, r->dir);
    if (each_line(r, "revoked.txt", same_serial, norm) == 1)
        return problem_set(e, PK_ALREADY_REVOKED, NULL, "serial %s is revoked already", norm);
    char line[128];
    snprintf(line, sizeof line, "%s\t%s\t%lld\n", norm, pki_crl_reason_name(code),
             (long long)time(NULL));
    return append_line(r, "revoked.txt", line, e) ||
                   record(r, "ca.revoke",
                          json_pack("{s:s, s:s}", "revoked_serial", norm, "reason",
                                    pki_crl_reason_name(code)), e)
               ? -1 : 0;
}

struct entries {
    struct pki_crl_entry *v;
    size_t n, cap;
    int bad;
};

static int add_entry(void *ctx, char *serial, char *rest)
{
    struct entries *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        void *p = realloc(l->v, cap * sizeof *l->v);
        if (!p)
            return l->bad = -1;
        l->v = p;
        l->cap = cap;
    }
    struct pki_crl_entry *en = &l->v[l->n];
    char *tab = strchr(rest, '\t');
    long len = hex_decode(serial, en->serial, sizeof en->serial);
    if (!tab || len <= 0)
        return l->bad = -1;
    *tab = 0;
    en->serial_len = (size_t)len;
    en->reason = pki_crl_reason_from_name(rest);
    en->revoked_at = (time_t)atoll(tab + 1);
    if (en->reason < 0)
        return l->bad = -1;
    l->n++;
    return 0;
}

int offline_root_sign_crl(struct offline_root *r, unsigned days, unsigned char **der,
                          size_t *der_len, uint64_t *number, struct problem *e)
{
    *der = NULL;
    if (!r->key)
        return problem_set(e, PK_OFFLINE_KEY_MISSING, NULL, "the root key is not open");
    if (days < 1 || days > 366)
        return problem_set(e, PK_NEXT_UPDATE_INVALID, NULL,
                           "--next-update must be 1 to 366 days");
    char path[4400];
    path_of(path, sizeof path, r, "crlnumber");
    char *text = file_read(path, 64, NULL);
    char *end = NULL;
    unsigned long long last = text ? strtoull(text, &end, 10) : 0;
    bool ok = text && end != text && (*end == '\n' || !*end);
    free(text);
    if (!ok)
        return problem_set(e, PK_OFFLINE_STATE_INVALID, NULL, "%s is missing or corrupt", path);
    struct entries l = {0};
    if (each_line(r, "revoked.txt", add_entry, &l) != 0 || l.bad) {
        free(l.v);
        return problem_set(e, PK_OFFLINE_STATE_INVALID, NULL, "%s/revoked.txt is corrupt",
                           r->dir);
    }
    time_t now = time(NULL);
    struct pki_crl_spec spec = {r->cert, last + 1, now, now + (time_t)days * 86400};
    unsigned char *tbs = NULL;
    size_t tbs_len = 0;
    int rc = pki_crl_build_tbs_array(&spec, l.v, l.n, &tbs, &tbs_len, e) ||
             pki_sign_tbs(r->key, tbs, tbs_len, der, der_len, e);
    char tbs_fp[PKI_FP_HEX_SIZE] = "", crl_fp[PKI_FP_HEX_SIZE] = "";
    if (!rc) { /* in the record, so that `troth crl import` finds it */
        pki_fingerprint_sha256(tbs, tbs_len, false, tbs_fp);
        pki_fingerprint_sha256(*der, *der_len, false, crl_fp);
    }
    free(tbs);
    free(l.v);
    if (rc)
        return -1;
    char num[32], name[64];
    snprintf(num, sizeof num, "%llu\n", last + 1);
    snprintf(name, sizeof name, "crls/root-%llu.crl", last + 1);
    char *pem = pki_der_to_pem(*der, *der_len, "X509 CRL");
    size_t n = l.n;
    if (!pem || put_file(r, name, pem, strlen(pem), 0644, e) ||
        put_file(r, "crlnumber", num, strlen(num), 0600, e) ||
        record(r, "crl.sign",
               json_pack("{s:I, s:I, s:I, s:s, s:s}", "crl_number", (json_int_t)(last + 1),
                         "entries", (json_int_t)n, "next_update_days", (json_int_t)days,
                         "tbs_sha256", tbs_fp, "crl_sha256", crl_fp), e)) {
        free(pem);
        free(*der);
        *der = NULL;
        return -1;
    }
    free(pem);
    *number = last + 1;
    return 0;
}
