/* The admin UI's files, embedded from assets/ at build time: GET / is
 * assets/index.html, GET /app/{file} is assets/app/{file}. */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "util/embedded.h"

static const char *content_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
        {".ico", "image/x-icon"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

static void serve(struct req *r, const char *name)
{
    for (unsigned i = 0; i < embedded_assets_count; i++) {
        if (strcmp(embedded_assets[i].name, name) == 0) {
            reply_static(r, 200, content_type(name), embedded_assets[i].data,
                         embedded_assets[i].len);
            reply_header(r, "Cache-Control", "no-cache");
            return;
        }
    }
    reply_problem(r, PK_NOT_FOUND, NULL, "no such file");
}

void h_ui_index(struct req *r) { serve(r, "index.html"); }

void h_ui_asset(struct req *r)
{
    char name[300];
    snprintf(name, sizeof name, "app/%s", req_param(r, "file"));
    serve(r, name);
}
