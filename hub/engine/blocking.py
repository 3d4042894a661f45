"""Blocking keys: cheap keys that put every pair that could link into at least one shared block.

Keys only find candidates; the comparison decides. A pair that shares no key is never compared,
so every comparison level that can make a link must be reachable through some key here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from hub.engine.mentions import PersonMention
    from hub.engine.standardise.addresses import ParsedAddress

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK: Final = "10X98765432"


def _check_char(total: int) -> str:
    return _CHECK[total % 11]


def id_repairs(value: str) -> list[str]:
    """Checksum-valid IDs one substitution or adjacent transposition away from an invalid 18-char ID.

    An ID typed with one wrong digit shares a block with the ID it was meant to be, without an
    index of deletion neighbourhoods: the candidates are few (about 1 in 11 variants passes).
    The check is a sum modulo 11, so for each position at most one digit can repair it; it is
    solved for directly rather than tried digit by digit.
    """
    if len(value) != 18 or not value[:17].isdigit():
        return []
    last = value[17]
    digits = [int(c) for c in value[:17]]
    base = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True))
    found: set[str] = set()
    fixed = _check_char(base)
    if fixed != last:
        found.add(value[:17] + fixed)
    wanted = _CHECK.find(last)
    if wanted < 0:
        return sorted(found)  # no check character: only the recomputed one repairs it
    # _check_char(total) == last  <=>  total % 11 == wanted; a digit change at `pos` adds (new - old) * weight
    gap = (wanted - base) % 11
    for pos in range(17):
        old = digits[pos]
        new = (old + gap * _INVERSE[_WEIGHTS[pos]]) % 11
        if new != old and new <= 9:
            found.add(value[:pos] + str(new) + value[pos + 1 : 17] + last)
    for pos in range(16):
        a, b = digits[pos], digits[pos + 1]
        if a != b:
            delta = (b - a) * _WEIGHTS[pos] + (a - b) * _WEIGHTS[pos + 1]
            if (base + delta) % 11 == wanted:
                found.add(value[:pos] + str(b) + str(a) + value[pos + 2 : 17] + last)
    return sorted(found)


#: Multiplicative inverses modulo 11 of the check weights (all in 1..10, so all invertible).
_INVERSE: Final = {w: pow(w, -1, 11) for w in set(_WEIGHTS)}


def place_key(address: ParsedAddress | None) -> str | None:
    """Room-level place text without province/city/district, for name+address blocking."""
    if address is None or not (address.road or address.estate):
        return None
    a = address
    return f"{a.road or ''}|{a.number or ''}|{a.estate or ''}|{a.building or ''}|{a.unit or ''}|{a.room or ''}"


def person_keys(mention: PersonMention) -> tuple[str, ...]:
    """Every block the mention belongs to, each once."""
    keys: list[str] = []
    rid = mention.resident_id
    if rid is not None:
        keys.append("i:" + rid.value)
        if not rid.valid:
            keys.extend(["i:" + repaired for repaired in id_repairs(rid.value)])
    if mention.document is not None:
        keys.append("d:" + mention.document)
    name = mention.name
    if name is not None:
        key = name.key
        if mention.birth_date is not None:
            birth = mention.birth_date.isoformat()
            keys.append(f"nb:{key}|{birth}")
            if name.pinyin:
                keys.append(f"pb:{name.pinyin}|{birth}")
        phone = mention.phone
        if phone is not None and phone.valid:
            keys.append(f"np:{name.surname}|{phone.digits}")
        home = _address_key(key, mention.address)
        if home is not None:
            keys.append(home)
        other = _address_key(key, mention.other_address)
        if other is not None and other != home:
            keys.append(other)
        if rid is not None and not rid.valid:
            keys.append(f"ni:{key}|{rid.value[6:14]}")
    return tuple(keys)


def _address_key(name_key: str, address: ParsedAddress | None) -> str | None:
    """Name and room: name + building + room when both are known (the same place key means the
    same building and room), else name + the room-level place."""
    if address is None:
        return None
    if address.building and address.room:
        return f"nr:{name_key}|{address.building}|{address.room}"
    place = place_key(address)
    return f"na:{name_key}|{place}" if place else None
