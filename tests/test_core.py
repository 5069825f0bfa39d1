import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.accounts.validators import CharacterClassValidator
from dangjian.core import crypto
from dangjian.core.idnumber import IdNumberError, make_id_number, mask_id_number, parse_id_number
from dangjian.core.phone import PhoneError, mask_phone, normalize_phone
from dangjian.core.scope import minimal_prefixes
from dangjian.core.templatetags.dangjian import percent


def test_sm4_gcm_round_trip_is_randomised_and_authenticated():
    a, b = crypto.encrypt("110105199001011237"), crypto.encrypt("110105199001011237")
    assert a != b  # a fresh nonce every time
    assert "110105199001011237" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "110105199001011237"
    raw = bytearray(__import__("base64").b64decode(a))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(__import__("base64").b64encode(bytes(raw)).decode())


def test_blind_index_is_deterministic_keyed_and_not_the_plain_value():
    assert crypto.blind_index("x") == crypto.blind_index("x") != crypto.blind_index("y")
    assert len(crypto.blind_index("x")) == 64


def test_id_number_rules():
    good = make_id_number("110105", dt.date(1990, 1, 1), 123)
    parsed = parse_id_number(good.lower())
    assert parsed.birth_date == dt.date(1990, 1, 1) and parsed.gender == "male"
    assert mask_id_number(good) == good[:6] + "********" + good[-4:]
    for bad, reason in [("11010519900101123", "18位"), ("1101051990010112A4", "格式"),
                        ("110105199002301234", "不存在"), (good[:-1] + ("0" if good[-1] != "0" else "1"), "校验位")]:
        with pytest.raises(IdNumberError, match=reason):
            parse_id_number(bad)
    with pytest.raises(IdNumberError, match="不合理"):
        parse_id_number(make_id_number("110105", dt.date.today() + dt.timedelta(days=1), 1))


def test_phone_normalisation_and_masks():
    assert normalize_phone("+86 138-0013-8000") == "13800138000"
    assert normalize_phone(13800138000.0) == "13800138000"
    assert normalize_phone("0571-88886666") == "057188886666"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("057188886666") == "0571******66"
    for bad in ("123", "2380013800", "138001380001"):
        with pytest.raises(PhoneError):
            normalize_phone(bad)


def test_password_needs_three_character_classes():
    validator = CharacterClassValidator(3)
    validator.validate("Abcdefg1")
    validator.validate("abcdef1!")
    with pytest.raises(ValidationError, match="3类"):
        validator.validate("abcdefgh1")


def test_minimal_prefixes_and_percent():
    assert minimal_prefixes(["0001", "00010002", "0002", "00020001000A"]) == ("0001", "0002")
    assert percent(0.97912) == "97.9%"
    assert percent(None) == "—"


@pytest.mark.django_db
def test_login_page_counts_remaining_attempts_and_locks(client, county):
    for remaining in (4, 3, 2, 1):
        response = client.post("/login/", {"username": "county_admin", "password": "wrong"})
        assert f"还可尝试 <strong>{remaining}</strong> 次" in response.content.decode()
    locked = client.post("/login/", {"username": "county_admin", "password": "wrong"})
    assert locked.status_code == 429 and "锁定30分钟" in locked.content.decode()
    from tests.factories import PASSWORD

    again = client.post("/login/", {"username": "county_admin", "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_session_settings_expire_after_thirty_idle_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 1800 and settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME == 0.5


def test_date_widgets_render_iso_so_the_browser_date_picker_shows_them():
    """zh-hans lists 2026/11/20 first; an <input type="date"> shows only ISO values (it would appear blank)."""
    import datetime as dt

    from django import forms
    from django.utils import translation

    class DayForm(forms.Form):
        day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    with translation.override("zh-hans"):
        assert 'value="2026-11-20"' in str(DayForm(initial={"day": dt.date(2026, 11, 20)})["day"])
        typed = DayForm({"day": "2026/11/20"})
        assert typed.is_valid() and typed.cleaned_data["day"] == dt.date(2026, 11, 20)
