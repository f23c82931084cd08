"""Split a Chinese address into province / city / district (for 12315's 处理单位 picker)."""

from __future__ import annotations

import re

_PROVINCE = re.compile(r"^(.+?(?:省|自治区|特别行政区))")
_MUNICIPALITY = re.compile(r"^(北京市|上海市|天津市|重庆市)")
_CITY = re.compile(r"^(.+?(?:自治州|地区|盟|市))")
_DISTRICT = re.compile(r"^(.+?(?:区|县|旗|市))")


def split_region(address: str) -> tuple[str, str, str]:
    """(province, city, district) from the start of an address; empty strings for parts not found."""
    rest = address.strip()
    m = _MUNICIPALITY.match(rest)
    if m:
        province = city = m.group(1)
        rest = rest[len(province) :]
    else:
        m = _PROVINCE.match(rest)
        province = m.group(1) if m else ""
        rest = rest[len(province) :]
        m = _CITY.match(rest)
        city = m.group(1) if m else ""
        rest = rest[len(city) :]
    m = _DISTRICT.match(rest)
    district = m.group(1) if m else ""
    return province, city, district
