"""Unified social credit codes and organization names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.engine.standardise.organizations import normalise_credit_code, normalise_org_name, org_name_key

CODE = "91330106MA27X12344"


@pytest.mark.parametrize(
    ("raw", "value", "valid"),
    [
        (CODE, CODE, True),
        (" 91330106MA27X12344 ", CODE, True),
        ("9133 0106 MA27 X123 44", CODE, True),
        ("91330106ma27x12344", CODE, True),
        ("９１３３０１０６ＭＡ２７Ｘ１２３４４", CODE, True),
        ("91330106-MA27X1234-4", CODE, True),
        ("91110000802100433B", "91110000802100433B", True),
        ("91330106MA27X12345", "91330106MA27X12345", False),  # wrong check character
        ("91330106MA27X1234", "91330106MA27X1234", False),  # 17 chars
        ("91330106MA27O12344", "91330106MA27O12344", False),  # O is not in the alphabet
        ("abc", "ABC", False),
    ],
)
def test_normalise_credit_code(raw: str, value: str, valid: bool) -> None:
    code = normalise_credit_code(raw)
    assert code is not None and (code.value, code.valid) == (value, valid)


def test_credit_code_region() -> None:
    code = normalise_credit_code(CODE)
    assert code is not None and code.region == "330106"
    short = normalise_credit_code("123")
    assert short is not None and short.region is None


@pytest.mark.parametrize("raw", [None, "", "  ", "-"])
def test_empty_codes(raw: str | None) -> None:
    assert normalise_credit_code(raw) is None


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        ("杭州某某科技有限公司", "杭州某某科技有限公司", "杭州某某科技"),
        ("杭州市某某科技有限公司", "杭州市某某科技有限公司", "杭州某某科技"),
        ("杭州某某科技有限责任公司", "杭州某某科技有限责任公司", "杭州某某科技"),
        ("杭州 某某 科技有限公司", "杭州某某科技有限公司", "杭州某某科技"),
        ("杭州某某科技股份有限公司", "杭州某某科技股份有限公司", "杭州某某科技"),
        ("杭州某某科技公司", "杭州某某科技公司", "杭州某某科技"),
        ("杭州某某（集团）有限公司", "杭州某某（集团）有限公司", "杭州某某集团"),
        ("杭州某某(集团)有限公司", "杭州某某（集团）有限公司", "杭州某某集团"),
        ("杭州某某集团有限公司", "杭州某某集团有限公司", "杭州某某集团"),
        ("杭州某某[集团]有限公司", "杭州某某（集团）有限公司", "杭州某某集团"),
        ("阿里巴巴（中国）有限公司", "阿里巴巴（中国）有限公司", "阿里巴巴中国"),
        ("阿里巴巴(中國)有限公司", "阿里巴巴（中国）有限公司", "阿里巴巴中国"),
        ("浙江省某某建设有限公司", "浙江省某某建设有限公司", "浙江某某建设"),
        ("浙江省杭州市某某有限公司", "浙江省杭州市某某有限公司", "浙江杭州某某"),
        ("某某股份有限公司杭州分公司", "某某股份有限公司杭州分公司", "某某股份有限公司杭州分公司"),
        ("某某贸易商行（普通合伙）", "某某贸易商行（普通合伙）", "某某贸易商行"),
        ("某某投资合伙企业（有限合伙）", "某某投资合伙企业（有限合伙）", "某某投资"),
        ("杭州某某餐饮店 (个体工商户)", "杭州某某餐饮店（个体工商户）", "杭州某某餐饮店"),
        ("某某农民专业合作社", "某某农民专业合作社", "某某"),
        ("农贸市场有限公司", "农贸市场有限公司", "农贸市场"),
        ("ＡＢＣ科技有限公司", "ABC科技有限公司", "ABC科技"),
        ("杭州某某（）有限公司", "杭州某某有限公司", "杭州某某"),
        ("有限公司", "有限公司", "有限公司"),
    ],
)
def test_org_names(raw: str, display: str, key: str) -> None:
    assert normalise_org_name(raw) == display
    assert org_name_key(raw) == key


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_empty_org_names(raw: str | None) -> None:
    assert normalise_org_name(raw) is None and org_name_key(raw) is None


@given(st.text())
def test_never_raises(text: str) -> None:
    normalise_credit_code(text)
    display = normalise_org_name(text)
    key = org_name_key(text)
    assert (display is None) == (key is None)


@given(st.text())
def test_idempotent(text: str) -> None:
    display = normalise_org_name(text)
    if display is not None:
        assert normalise_org_name(display) == display
        assert org_name_key(display) == org_name_key(text)
