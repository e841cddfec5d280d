def test_it_builds(sec):
    print(sec.ids)
def test_it_builds2(sec):
    print(sec.ids)
