/* libFuzzer: the troth.conf parser (INI text), and listen addresses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    struct config c;
    char err[512];
    config_parse(&c, "fuzz.conf", s, err, sizeof err);
    config_free(&c);
    char host[256];
    unsigned short port;
    config_split_listen(s, host, sizeof host, &port);
    unsigned days[16];
    notify_days_parse(s, days, 16);
    free(s);
    return 0;
}
