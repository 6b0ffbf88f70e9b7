"""`GET /api/v1/units`: a unit sees its own tree and the chain above it, not its neighbours'."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def test_a_county_sees_its_tree_and_its_superiors_but_not_another_county(
    api: Api, org: dict[str, Any]
) -> None:
    county = org["dongcheng"]
    seen = {u["id"]: u for u in api.get("operator-dongcheng", "/api/v1/units").json()}
    assert county.id in seen and org["centre"].id in seen  # its own unit and the centre
    assert all(
        u["path"].startswith(county.path) or county.path.startswith(u["path"])
        for u in seen.values()
    )
    others = [u for code, u in org.items() if code.startswith("xishan")]
    assert others and not any(u.id in seen for u in others)
    # The centre and an admin see the whole tree.
    everything = api.get("admin", "/api/v1/units").json()
    assert len(everything) == len(api.get("operator", "/api/v1/units").json()) > len(seen)
