"""The improvement search around the routing model's plans (see `solver.search.lns`)."""

from solver.search.lns import improve

__all__ = ["improve"]
