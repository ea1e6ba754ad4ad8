"""The README stays true: its schema and output tables are the ones the code declares."""

from pathlib import Path

from floodrisk.schema import schema_markdown
from floodrisk.variables import variables_markdown

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _between(start: str, end: str) -> str:
    return README.split(start, 1)[1].split(end, 1)[0].strip()


def test_readme_opens_with_the_two_commands():
    head = README[:1500]
    assert "make demo" in head and "make test" in head


def test_schema_section_matches_the_code():
    assert _between("<!-- schema:start -->", "<!-- schema:end -->") == schema_markdown().strip(), (
        "README schema is stale: regenerate it with `floodrisk schema`")


def test_output_variables_match_the_code():
    assert _between("<!-- variables:start -->", "<!-- variables:end -->") == \
        variables_markdown().strip()
