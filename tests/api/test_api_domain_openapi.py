"""OpenAPI documents every endpoint of the domain (users, meters, tokens, certificates, governance, the
audit log) with its response's schema, made from the indexer's tables."""

from __future__ import annotations

from urllib.parse import quote

import httpx

DOMAIN = {
    "/api/v1/users": "UserPage",
    "/api/v1/users/{address}": "User",
    "/api/v1/meters": "MeterPage",
    "/api/v1/meters/{address}": "Meter",
    "/api/v1/meters/{address}/readings": "MeterReadingPage",
    "/api/v1/production": "Production",
    "/api/v1/settlements": "SettlementPage",
    "/api/v1/mints": "MintPage",
    "/api/v1/burns": "BurnPage",
    "/api/v1/certificates": "CertificatePage",
    "/api/v1/certificates/{address}": "CertificateDetail",
    "/api/v1/retirements": "RetirementPage",
    "/api/v1/carbon-credits": "CarbonCredits",
    "/api/v1/proposals": "ProposalPage",
    "/api/v1/proposals/{address}": "ProposalDetail",
    "/api/v1/pauses": "PausePage",
    "/api/v1/events": "EventPage",
}


async def test_every_domain_endpoint_documents_its_response(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for path, schema in DOMAIN.items():
        answer = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": f"#/components/schemas/{schema}"}, path
    assert {"settled_wh", "block_time", "amount_wh"} <= set(schemas["Settlement"]["properties"])
    assert {"history", "effective_status", "co2_avoided_g"} <= set(schemas["CertificateDetail"]["properties"])
    assert {"votes", "approvals", "threshold"} <= set(schemas["ProposalDetail"]["properties"])
    assert {"flag_names", "paused_names", "cosigners"} <= set(schemas["Pause"]["properties"])
    assert set(schemas["UserPage"]["properties"]) == {"items", "next_cursor"}
    params = {p["name"] for p in spec["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert params == {
        "program",
        "name",
        "signature",
        "from_slot",
        "to_slot",
        "from",
        "to",
        "meter",
        "owner",
        "zone",
        "limit",
        "cursor",
    }


STRANGE = ["", "\x00", "-1", "1e400", "9" * 40, "🙂", "0OIl", "x" * 3000, "[1]", "null", "%ff"]
"""Values no parameter of these endpoints accepts as such (or accepts as a plain value)."""


async def test_no_parameter_value_makes_a_server_error(api: httpx.AsyncClient) -> None:
    """Every query and path parameter of every domain endpoint, given each strange value, is answered
    with a 200 or a one-line 4xx: never a 500, on either database."""
    spec = (await api.get("/openapi.json")).json()
    address = "11111111111111111111111111111111"
    for path in DOMAIN:
        parameters = spec["paths"][path]["get"]["parameters"]
        for parameter in parameters:
            for value in STRANGE:
                if parameter["in"] == "path":
                    url, params = path.replace("{address}", quote(value, safe="") or "%20"), {}
                else:
                    url, params = path.replace("{address}", address), {parameter["name"]: value}
                answer = await api.get(url, params=params)
                assert answer.status_code < 500, (path, parameter["name"], value, answer.text)
                if answer.status_code >= 400:
                    body = answer.json()
                    assert list(body) == ["error"] and "\n" not in body["error"], (path, value)
