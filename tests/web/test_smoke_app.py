def test_healthz_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code in (200, 503)
    assert response.json["checks"]["database"] == "ok"
