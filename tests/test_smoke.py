def test_home(client, db):
    r = client.get("/")
    assert r.status_code == 200
