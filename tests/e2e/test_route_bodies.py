"""Body specs in the route table (issue 9 item 5): each route names the
fields of its JSON body (routes.c), `troth routes` shows them, they match
the requestBody schemas of assets/openapi.json both ways, and the HTTP layer
refuses an unknown field, a field of the wrong type and a missing required
field with a problem naming the field, before the handler runs, changing
nothing."""
import json

import pytest

from harness import ROOT, Unchanged, problem, troth

ROUTES = json.loads(troth("routes").stdout)
OPENAPI = json.loads((ROOT / "assets" / "openapi.json").read_text())
BODY_ROUTES = [r for r in ROUTES if r["body"]]


def resolve(schema):
    while "$ref" in schema:
        schema = OPENAPI["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def request_schema(route):
    op = OPENAPI["paths"].get(route["pattern"], {}).get(route["method"].lower(), {})
    content = op.get("requestBody", {}).get("content", {})
    return resolve(content["application/json"]["schema"]) if "application/json" in content \
        else None


def test_every_route_that_takes_a_body_names_its_fields():
    assert BODY_ROUTES, "no route names a body"
    for r in ROUTES:
        assert (r["body_limit"] > 0) == bool(r["body"]), (r["method"], r["pattern"])


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f'{r["method"]} {r["pattern"]}')
def test_route_body_matches_the_openapi_request_body(route):
    schema = request_schema(route)
    if not route["body"]:
        assert schema is None, "documented body, but the route takes none"
        return
    assert schema is not None, "the route takes a body the document does not describe"
    assert schema.get("additionalProperties") is False  # unknown fields are refused
    props = {k: resolve(v) for k, v in schema["properties"].items()}
    fields = {f["name"]: f for f in route["body"]}
    assert sorted(fields) == sorted(props)
    assert sorted(f for f in fields if fields[f]["required"]) == sorted(schema.get("required", []))
    for name, f in fields.items():
        p = props[name]
        assert p.get("type") == f["type"], name
        if f["type"] == "array":
            assert resolve(p["items"]).get("type") == f["items"], name
        for bound in ("minimum", "maximum"):
            if bound in p:
                assert p[bound] == f[bound], (name, bound)


def path_of(route):
    return (route["pattern"].replace("{id}", "999999999").replace("{uri_id}", "999999999")
            .replace("{serial}", "0a0b0c0d0e0f"))


WRONG = {"string": 7, "integer": "7", "boolean": "yes", "array": "x", "object": "x"}


def test_the_http_layer_refuses_bad_bodies_naming_the_field(cluster, admin):
    with Unchanged(cluster):
        for route in BODY_ROUTES:
            what = f'{route["method"]} {route["pattern"]}'
            send = lambda body: admin.request(route["method"], path_of(route), json=body)
            p = problem(send({"no_such_field": 1}), 400, "invalid-field")
            assert p["field"] == "no_such_field", what
            for f in route["body"]:
                p = problem(send({f["name"]: WRONG[f["type"]]}), 400, "invalid-field")
                assert p["field"] == f["name"], (what, f)
            required = [f["name"] for f in route["body"] if f["required"]]
            if required:
                p = problem(send({}), 400, "invalid-field")
                assert p["field"] == required[0], what


def test_bodies_are_checked_before_the_handler_reads_the_path(cluster, admin):
    """The handler would answer for the id first; the body check comes first."""
    with Unchanged(cluster):
        p = problem(admin.patch("/api/v1/members/not-an-id", json={"no_such_field": 1}), 400,
                    "invalid-field")
        assert p["field"] == "no_such_field"
