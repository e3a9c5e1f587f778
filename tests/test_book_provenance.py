"""The provenance table of the book (sdrlib.book.provenance): every row points to real code."""

from __future__ import annotations

import pytest

from sdrlib.book import provenance


def test_every_object_exists_and_every_switch_applies():
    switches = provenance.check("smoke")
    assert switches == sum(bool(item.switch) for item in provenance.ITEMS) > 10


def test_marks_and_summary():
    marks = {item.mark for item in provenance.ITEMS}
    assert marks == set(provenance.MARKS), "found, inferred and assumed items all exist"
    summary = provenance.summary()
    assert list(summary.columns) == ["part", "found", "inferred", "assumed"]
    assert summary.iloc[-1]["part"] == "all"
    assert summary.iloc[-1, 1:].sum() == len(provenance.ITEMS)
    assumed = [item for item in provenance.ITEMS if item.mark == "A"]
    assert all(item.switch or item.part in {"SynthDF", "studies", "protocol"} for item in assumed), (
        "an assumption of the method must name the switch that changes it"
    )


def test_table_links_chapters_and_filters_parts():
    table = provenance.table(["TRFI"])
    assert set(table["part"]) == {"TRFI"} and len(table) >= 3
    assert table["explained in"].str.startswith("{ref}`").all()
    assert len(provenance.table()) == len(provenance.ITEMS)


def test_resolve_names_what_is_missing():
    assert provenance.resolve("sdrlib.models.trfi.TRFI.fuse").__name__ == "fuse"
    with pytest.raises(ImportError, match="no attribute path"):
        provenance.resolve("sdrlib.models.trfi.TRFI.nope")
    with pytest.raises(ImportError):
        provenance.resolve("nowhere.at.all")
