"""The judicial tests use the shared `world` of cases from tests/cases."""

from tests.cases.conftest import World, world

__all__ = ["World", "world"]
