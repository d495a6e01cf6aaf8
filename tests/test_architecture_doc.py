"""docs/architecture.md lists the messages engine/messages.py defines, no more and no fewer."""

from pathlib import Path

from memtop.engine.messages import message_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def test_the_documented_message_list_is_the_defined_one():
    text = DOC.read_text()
    documented = text.split("<!-- messages:start -->")[1].split("<!-- messages:end -->")[0]
    assert documented.strip() == message_table().strip()
