"""Small hostile inputs: invalid UTF-8 in certificate list filters."""
import pytest

from harness import problem


@pytest.mark.parametrize("field", ["q", "uri"])
@pytest.mark.parametrize("raw", ["%ff", "%c3", "a%c0%afb", "%ed%a0%80"])
def test_invalid_utf8_in_certificate_filters_is_400_naming_the_field(admin, field, raw):
    r = admin.get(f"/api/v1/certificates?{field}={raw}")
    body = problem(r, 400, "invalid-field")
    assert body["field"] == field and "UTF-8" in body["detail"]


def test_valid_utf8_filters_still_search(admin):
    r = admin.get("/api/v1/certificates?q=caf%c3%a9")
    assert r.status_code == 200, r.text
