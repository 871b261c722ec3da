/* GET /api/v1/openapi.json: the API description kept in assets/openapi.json. */
#include "api/handlers.h"

#include <string.h>

#include "http/http.h"
#include "util/embedded.h"

void h_openapi(struct req *r)
{
    for (unsigned i = 0; i < embedded_assets_count; i++) {
        if (strcmp(embedded_assets[i].name, "openapi.json") == 0) {
            reply_static(r, 200, "application/json", embedded_assets[i].data,
                         embedded_assets[i].len);
            reply_header(r, "Cache-Control", "no-cache");
            return;
        }
    }
    reply_problem(r, PK_NOT_FOUND, NULL, "no OpenAPI document in this build");
}
