from vietnam_provinces import Ward as PkgWard


def test_it_has_all_34_provinces(api):
    resp = api.get("/places/provinces")
    assert resp.status_code == 200
    body = resp.json()
    assert len(body) == 34
    assert {"code": 1, "name": "Thành phố Hà Nội"} in body


def test_it_has_every_ward_of_the_package(db):
    from khaibao.places.models import Ward

    assert Ward.objects.count() == sum(1 for _ in PkgWard.iter_all())


def test_it_lists_the_wards_of_a_province(api):
    resp = api.get("/places/provinces/1/wards")
    assert resp.status_code == 200
    names = [w["name"] for w in resp.json()]
    assert "Phường Hoàn Kiếm" in names
    assert all(w["province_code"] == 1 for w in resp.json())


def test_it_answers_404_for_an_unknown_province(api):
    resp = api.get("/places/provinces/2/wards")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_the_loader_is_idempotent(db):
    from khaibao.places.loader import load_places
    from khaibao.places.models import Country, Province, Ward

    before = (Province.objects.count(), Ward.objects.count(), Country.objects.count())
    load_places(Province, Ward, Country)
    assert (Province.objects.count(), Ward.objects.count(), Country.objects.count()) == before
