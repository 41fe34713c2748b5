import pytest

from commitments.services import compacts_load


@pytest.fixture
def compacts(db):
    """The three seed compacts, loaded from fixtures/compacts, by slug."""
    return {compact.slug: compact for compact in compacts_load()}


@pytest.fixture
def portsmouth(compacts):
    return compacts["portsmouth"]
