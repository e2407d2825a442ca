from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import Api
from tests.conftest import Cast
from thuocdo.api.models import IntegrationClient
from thuocdo.api.services import client_create, client_revoke
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import ValidationFailed


def test_the_openapi_document_is_served_without_a_token(client: Client, db: None) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    document = spec.json()
    assert document["info"]["title"] == "Thước đo API"
    assert "/api/v1/people" in document["paths"]
    assert document["components"]["securitySchemes"]["ClientToken"]["scheme"] == "bearer"


def test_the_docs_page_uses_local_assets_only(client: Client, db: None) -> None:
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_a_missing_or_wrong_token_is_401_in_vietnamese(client: Client, cast: Cast) -> None:
    missing = client.get("/api/v1/units")
    assert missing.status_code == 401
    assert missing.json()["detail"].startswith("Thiếu hoặc sai mã truy cập")
    wrong = client.get("/api/v1/units", HTTP_AUTHORIZATION="Bearer td_abc_def")
    assert wrong.status_code == 401
    english = client.get("/api/v1/units", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"].startswith("Missing or invalid token")


def test_units_of_the_clients_agency_only(api_a: Api, cast: Cast) -> None:
    page = api_a.get("/units").json()
    codes = [unit["code"] for unit in page["items"]]
    assert codes == ["BA", "X", "X1", "Y"]
    assert page["count"] == 4
    other = api_a.get(f"/units/{cast.unit_z.pk}")
    assert other.status_code == 404
    assert other.json()["detail"] == f"Không tìm thấy đơn vị #{cast.unit_z.pk} trong cơ quan."


def test_people_are_searched_without_accents_and_filtered_by_unit(api_a: Api, cast: Cast) -> None:
    found = api_a.get("/people?q=NGUYEN VAN staff x1").json()
    assert [p["code"] for p in found["items"]] == [cast.person("staff_x1").code]
    assert found["items"][0]["assignments"][0]["unit_code"] == "X1"
    in_y = api_a.get(f"/people?unit_id={cast.unit_y.pk}").json()
    assert {p["full_name"] for p in in_y["items"]} == {
        "Nguyễn Văn Head Y",
        "Nguyễn Văn Staff Y",
        "Nguyễn Văn Personnel A",
        "Nguyễn Văn Auditor A",
    }
    assert api_a.get(f"/people/{cast.person('staff_z').pk}").status_code == 404


def test_pages_are_bounded(api_a: Api, cast: Cast) -> None:
    page = api_a.get("/people?limit=2&offset=1").json()
    assert (page["limit"], page["offset"], len(page["items"])) == (2, 1, 2)
    huge = api_a.get("/people?limit=100000").json()
    assert huge["limit"] == 500


def test_wrong_types_get_a_422_naming_the_field(api_a: Api, cast: Cast) -> None:
    bad = api_a.get("/people?limit=many")
    assert bad.status_code == 422
    assert bad.json()["field"] == "limit"
    assert "limit" in bad.json()["detail"]


def test_a_scope_not_granted_is_403(cast: Cast) -> None:
    _, token = client_create(
        actor=None, agency=cast.agency_a, name="Chỉ đọc nhiệm vụ", scopes=["tasks:read"]
    )
    refused = Api(token).get("/units")
    assert refused.status_code == 403
    assert "chưa được cấp phạm vi “org:read”" in refused.json()["detail"]


def test_tokens_are_stored_hashed_issued_audited_and_revocable(cast: Cast) -> None:
    client, token = client_create(
        actor=cast.user("personnel_a"),
        agency=cast.agency_a,
        name="  E-office  ",
        scopes=["org:read"],
    )
    assert client.name == "E-office"
    assert token.split("_", 2)[2] not in client.token_hash
    assert AuditEntry.objects.filter(action="api.client.create", object_id=str(client.pk)).exists()
    assert Api(token).get("/units").status_code == 200
    client_revoke(actor=cast.user("personnel_a"), client=client, reason="Ngừng kết nối")
    assert Api(token).get("/units").status_code == 401
    with pytest.raises(ValidationFailed, match="Phạm vi không hợp lệ"):
        client_create(actor=None, agency=cast.agency_a, name="X", scopes=["all"])
    assert IntegrationClient.objects.filter(name="X").count() == 0


def test_huge_ids_and_offsets_are_a_422_not_a_crash(api_a: Api, cast: Cast) -> None:
    for path in (
        "/units/99999999999999999999",
        "/people/99999999999999999999",
        "/people?offset=99999999999999999999",
        "/people?unit_id=-1",
    ):
        response = api_a.get(path)
        assert response.status_code == 422, path


def test_a_body_that_is_not_json_gets_a_vietnamese_400(api_a: Api, cast: Cast) -> None:
    response = api_a.client.post(
        "/api/v1/tasks",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_a.token}",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Nội dung yêu cầu không phải JSON hợp lệ."
