/* Small utilities: whole-file reads, hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"
#include "util/hex.h"
#include "util/log.h"

static char path[64];

static int make_file(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/troth-util-test.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    char buf[100];
    memset(buf, 'a', sizeof buf);
    int ok = write(fd, buf, sizeof buf) == (ssize_t)sizeof buf;
    close(fd);
    return ok ? 0 : -1;
}

static int remove_file(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void test_file_read_whole_or_nothing(void **state)
{
    (void)state;
    size_t len = 0;
    char *s = file_read(path, 100, &len); /* exactly the limit */
    assert_non_null(s);
    assert_int_equal(len, 100);
    assert_int_equal(strlen(s), 100);
    free(s);
    /* one byte over the limit: refused, never a truncated copy */
    errno = 0;
    assert_null(file_read(path, 99, &len));
    assert_int_equal(errno, EFBIG);
    errno = 0;
    assert_null(file_read("/nonexistent/troth", 100, NULL));
    assert_int_equal(errno, ENOENT);
}

/* What the logger writes to stderr while fn runs. */
static char *captured_stderr(void (*fn)(void))
{
    char tmpl[] = "/tmp/troth-log-test.XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *text = file_read(tmpl, 1 << 16, NULL);
    close(fd);
    unlink(tmpl);
    assert_non_null(text);
    return text;
}

static void log_hostile(void)
{
    /* a database error text: several lines, and bytes a terminal obeys */
    log_msg("db: %s", "ERROR:  boom\nDETAIL:  2026-01-01T00:00:00.000Z fake event\r\x1b[2J");
    log_access("id1", "GE\nT", "/p\nq", 200, 1, 2, true);
}

static void test_log_escapes_control_bytes(void **state)
{
    (void)state;
    char *text = captured_stderr(log_hostile);
    /* two events, two lines: nothing a caller or the database sends can
     * start a line of its own */
    size_t lines = 0;
    for (char *p = text; *p; p++) {
        lines += *p == '\n';
        assert_false(*p == '\r' || *p == 0x1b);
    }
    assert_int_equal(lines, 2);
    assert_non_null(strstr(text, "boom\\x0aDETAIL"));
    assert_non_null(strstr(text, "GE\\x0aT"));
    free(text);
}

static void put(const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

/* One rule for every passphrase reader: the whole first line, 16 to 4096
 * bytes, never cut (init once encrypted under the first 1,023 bytes of a
 * line the signer then read whole). */
static void test_passphrase_first_line_whole(void **state)
{
    (void)state;
    char why[256], line[PASSPHRASE_MAX + 2];
    memset(line, 'p', sizeof line);
    line[2000] = '\n';
    put(line, 2001 + 10); /* a 2000-byte line, then more */
    char *p = passphrase_read(path, why, sizeof why);
    assert_non_null(p);
    assert_int_equal(strlen(p), 2000);
    passphrase_free(p);

    put("sixteen bytes ok\r\nsecond line\n", 30);
    assert_non_null(p = passphrase_read(path, why, sizeof why));
    assert_string_equal(p, "sixteen bytes ok");
    passphrase_free(p);

    memset(line, 'p', sizeof line);
    line[PASSPHRASE_MAX] = '\n';
    put(line, PASSPHRASE_MAX + 1); /* exactly the longest */
    assert_non_null(p = passphrase_read(path, why, sizeof why));
    assert_int_equal(strlen(p), PASSPHRASE_MAX);
    passphrase_free(p);

    line[PASSPHRASE_MAX] = 'p'; /* one byte longer, no newline: refused */
    put(line, PASSPHRASE_MAX + 1);
    assert_null(passphrase_read(path, why, sizeof why));
    assert_non_null(strstr(why, "16 to 4096 bytes"));

    put("fifteen bytes..\n", 16);
    assert_null(passphrase_read(path, why, sizeof why));
    assert_null(passphrase_read("/nonexistent/troth", why, sizeof why));
    assert_non_null(strstr(why, "/nonexistent/troth"));
    assert_null(passphrase_read(NULL, why, sizeof why));
    assert_non_null(strstr(why, "key_passphrase_file"));
}

static void test_hex_round_trip(void **state)
{
    (void)state;
    const unsigned char in[] = {0x00, 0x7f, 0x80, 0xff};
    char out[9];
    hex_encode(in, sizeof in, out);
    assert_string_equal(out, "007f80ff");
    unsigned char back[4];
    assert_int_equal(hex_decode("007F80ff", back, sizeof back), 4);
    assert_memory_equal(back, in, 4);
    assert_int_equal(hex_decode("abc", back, sizeof back), -1);        /* odd */
    assert_int_equal(hex_decode("zz", back, sizeof back), -1);         /* not hex */
    assert_int_equal(hex_decode("0g", back, sizeof back), -1);
    assert_int_equal(hex_decode("G0", back, sizeof back), -1);
    assert_int_equal(hex_decode("\xc3\xa9", back, sizeof back), -1); /* bytes past ASCII */
    assert_int_equal(hex_decode("/:@`", back, sizeof back), -1);   /* next to the digits */
    assert_int_equal(hex_decode("AbCdEf", back, sizeof back), 3);
    assert_int_equal(back[0], 0xab);
    assert_int_equal(back[2], 0xef);
    assert_int_equal(hex_decode("0011223344", back, sizeof back), -1); /* too long */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_read_whole_or_nothing, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_passphrase_first_line_whole, make_file,
                                        remove_file),
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_log_escapes_control_bytes),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
