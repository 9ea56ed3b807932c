"""The wrap-up categories file: read from the data folder, built-in when absent,
refused with its entry named when bad, re-read when it changes, and served to
the wrap-up form (with the record pages)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import aiohttp
import pytest

from counseling.records import DEFAULT_TAXONOMY
from storage.taxonomy_file import TaxonomyFile, load_taxonomy
from tests.integration.conftest import AppServer, base_url, login, start_server
from tests.integration.records_api import Staff, answered, refused

PARKING = '[[category]]\ncode = "parking"\nko = "주차"\nen = "Parking"\n'


def test_no_file_means_the_built_in_taxonomy(tmp_path: Path) -> None:
    assert load_taxonomy(tmp_path / "taxonomy.toml") == DEFAULT_TAXONOMY


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[[category]\n", "not valid TOML"),
        ('[[category]]\ncode = "parking"\nko = "주차"\n', "category #1"),
        (PARKING + PARKING, "twice"),
        ('title = "x"\n' + PARKING, "unknown key"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_entry(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=words) as raised:
        load_taxonomy(path)
    assert str(path) in str(raised.value)


def test_a_bad_edit_keeps_the_categories_read_before(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text(PARKING, encoding="utf-8")
    categories = TaxonomyFile(path)
    assert [c.code for c in categories.taxonomy().categories] == ["parking"]

    path.write_text("[[category]\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different stamp, whatever the clock's grain
    with caplog.at_level(logging.ERROR, logger="storage.taxonomy_file"):
        assert [c.code for c in categories.taxonomy().categories] == ["parking"]
    assert "not valid TOML" in caplog.text

    path.unlink()
    assert categories.taxonomy() == DEFAULT_TAXONOMY


def test_a_bad_file_at_start_up_raises(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text("[[category]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        TaxonomyFile(path).taxonomy()


async def test_the_taxonomy_file_is_used_and_reread(
    aiohttp_server: AppServer, tmp_path: Path
) -> None:
    taxonomy = tmp_path / "taxonomy.toml"
    taxonomy.write_text(
        '[[category]]\ncode = "parking"\nko = "주차"\nen = "Parking"\n\n'
        '[[category]]\ncode = "old_bus"\nko = "버스(구)"\nen = "Bus (old)"\n'
        "active = false\n",
        encoding="utf-8",
    )
    server = await start_server(aiohttp_server, tmp_path)
    profile, token = await login(server, "interpreter.ksl")
    async with aiohttp.ClientSession(
        base_url(server), cookies={"dasan_session": token}
    ) as http:
        kim = Staff(http, profile)
        body = await kim.call("GET", "/api/taxonomy")
        assert [(c["code"], c["active"]) for c in body["categories"]] == [
            ("parking", True),
            ("old_bus", False),
        ]
        assert body["dispositions"] == ["answered", "forwarded", "follow_up"]
        case = await answered(server, kim.id)
        wrap = {"category": "old_bus", "disposition": "answered"}
        path = f"/api/cases/{case.id}/wrapup"
        assert await refused(kim, "PUT", path, wrap) == "unknown_category"
        assert (await kim.call("PUT", path, wrap | {"category": "parking"}))[
            "summary"
        ] is None

        taxonomy.write_text(
            '[[category]]\ncode = "metro"\nko = "지하철"\nen = "Subway"\n',
            encoding="utf-8",
        )
        body = await kim.call("GET", "/api/taxonomy")
        assert [c["code"] for c in body["categories"]] == ["metro"]
    async with aiohttp.ClientSession(base_url(server)) as anonymous:
        assert await refused(anonymous, "GET", "/api/taxonomy", status=401)
        for page in ("/cases", "/stats"):
            async with anonymous.get(page) as response:
                assert response.status == 200
                assert response.content_type == "text/html"
