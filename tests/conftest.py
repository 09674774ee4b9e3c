"""Fixtures for what tests need outside the repository (see needs.py: a failure under CI=true, a skip elsewhere)."""

import pytest

import needs


@pytest.fixture
def node_js(request) -> str:
    """Node.js with the real lunr.js from node_modules."""
    return needs.node(f"{request.node.name}: the real lunr.js in Node agrees with papershelf")
