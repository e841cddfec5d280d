import re

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


# --- countries: CLDR names, Vietnamese order, Việt Nam first (issue 17) ----------------------


def _names(api, language="vi"):
    resp = api.get("/places/countries", headers={"Accept-Language": language})
    assert resp.status_code == 200
    return [c["name"] for c in resp.json()]


def test_it_names_countries_as_cldr_does_in_vietnamese(api):
    names = _names(api)
    assert len(names) == 249
    for cldr in ("Áo", "Séc", "Thổ Nhĩ Kỳ", "Hàn Quốc", "Triều Tiên", "Đức", "Hoa Kỳ", "Indonesia"):
        assert cldr in names, cldr
    for stale in ("Nam Dương", "Czechia", "Türkiye", "Ao"):
        assert stale not in names, stale


def test_it_sorts_countries_in_vietnamese_order_with_viet_nam_first(api):
    names = _names(api)
    assert names[0] == "Việt Nam"
    assert names.count("Việt Nam") == 1
    rest = names[1:]

    def before(a, b):
        return rest.index(a) < rest.index(b)

    # ă/â/đ/ê/ô/ơ/ư are letters of their own; tones only break ties; word by word.
    assert before("Ả Rập Xê-út", "Ai Cập")
    assert before("Angola", "Áo")
    assert before("Áo", "Ấn Độ")
    assert before("Argentina", "Ấn Độ")
    assert before("Dominica", "Đức")
    assert before("Đức", "Ecuador")
    assert before("Trung Quốc", "Tuvalu")
    assert rest[0] == "Ả Rập Xê-út"


def test_it_sorts_countries_alphabetically_in_english_with_vietnam_first(api):
    names = _names(api, "en")
    assert names[0] == "Vietnam"
    assert "Czechia" in names
    assert "Türkiye" in names
    assert names[1:4] == ["Afghanistan", "Åland Islands", "Albania"]
    assert names.index("Turkmenistan") > names.index("Türkiye") > names.index("Tunisia")


def test_it_uses_the_same_order_in_every_country_list(world, client):
    from django.utils import translation

    from khaibao.places.selectors import countries_list

    with translation.override("vi"):
        expected = [c.code for c in countries_list()]
    assert expected[:2] == ["VN", "SA"]
    client.force_login(world.lan)
    household = client.get("/household/add/").content.decode()
    codes = re.findall(r'<option value="([A-Z]{2})"', household)
    assert codes == expected  # nationality
    assert 'selected>Việt Nam</option>' in household or '<option value="VN" selected>' in household
    declare = client.get(f"/people/{world.lan_self.id}/declare/").content.decode()
    travel = re.findall(r'<option value="([A-Z]{2})"', declare)
    first_list = travel[: len(expected) - 1]
    assert first_list == [c for c in expected if c != "VN"]  # travel abroad: every country but Việt Nam


def test_a_code_outside_the_codes_range_is_no_place_and_not_looked_up(db, django_assert_num_queries):
    # places.selectors owns "is this a ward / a province" for every form and service that takes a
    # code (reports, contacts, people, news, zones): 0, negatives and numbers past an integer
    # column are no place, answered without a query (a number past 64 bits would fail one).
    from khaibao.places.selectors import province_of, ward_known

    assert ward_known(70)  # Phường Hoàn Kiếm
    assert province_of(1).name == "Thành phố Hà Nội"
    with django_assert_num_queries(0):
        for code in (0, -1, 2**31, 10**30):
            assert not ward_known(code)
            assert province_of(code) is None
