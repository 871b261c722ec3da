/* GET /api/v1/community: the trust community this instance serves, as
 * configured ([community] uri and name) and where relying parties reach it. */
#include "api/handlers.h"

#include "config.h"
#include "http/http.h"

void h_community(struct req *r)
{
    const struct config *c = config_current();
    reply_json(r, 200, json_pack("{s:s?, s:s?, s:s?}", "name", c->community_name, "uri",
                                 c->community_uri, "public_url", c->public_url));
}
