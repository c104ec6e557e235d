"""Periodic-table features of the elements, from mendeleev (a maintained periodic-table source).

The Buckingham model's fingerprint (Lal et al. 2023, section 2.3.1) is the atomic mass (Da), the
covalent radius (pm; Pyykkö's single-bond radii, the values the seed data carry), the atomic number and
the partial charge (e). Nothing here is typed by hand.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from mlparams.errors import UnknownElementError


@dataclass(frozen=True)
class ElementFeatures:
    """Tabulated properties of one element."""

    symbol: str
    name: str
    atomic_number: int
    atomic_mass_da: float
    covalent_radius_pm: float


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, ElementFeatures]:
    from mendeleev.fetch import fetch_table

    table = fetch_table("elements")
    out = {}
    for row in table.itertuples():
        radius = row.covalent_radius_pyykko
        if radius != radius:  # NaN: no Pyykkö radius, the element cannot be featurised
            continue
        out[row.symbol] = ElementFeatures(
            symbol=row.symbol,
            name=row.name,
            atomic_number=int(row.atomic_number),
            atomic_mass_da=float(row.atomic_weight),
            covalent_radius_pm=round(float(radius), 3),
        )
    return out


@functools.lru_cache(maxsize=1)
def _by_lower_name() -> dict[str, str]:
    keys = {}
    for symbol, feat in _table().items():
        keys[symbol.lower()] = symbol
        keys[feat.name.lower()] = symbol
    return keys


def normalise_symbol(element: str) -> str:
    """Return the element symbol for a symbol or an English name in any case ('o', 'Oxygen' -> 'O')."""
    if not isinstance(element, str) or not element.strip():
        raise UnknownElementError(f"element {element!r} is not an element symbol or name; use e.g. 'O' or 'Oxygen'")
    key = element.strip().lower()
    symbol = _by_lower_name().get(key)
    if symbol is None:
        raise UnknownElementError(
            f"unknown element {element.strip()!r}: give a symbol such as 'C', 'O', 'Pb' or an English element name"
        )
    return symbol


def features(element: str) -> ElementFeatures:
    """Features of one element, given as symbol or name."""
    return _table()[normalise_symbol(element)]


def symbol_of(atomic_number: int) -> str:
    """Element symbol for an atomic number."""
    for symbol, feat in _table().items():
        if feat.atomic_number == atomic_number:
            return symbol
    raise UnknownElementError(f"no element with atomic number {atomic_number}; give 1 to 118")
