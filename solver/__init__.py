"""Pure optimisation: `Problem` in, `Solution` out (OR-Tools), with an independent checker.

This package imports only the standard library, numpy, geopy and ortools (a test enforces it).
"""

from solver.check import CheckReport, Rule, Violation, check
from solver.model import (
    ArcCost,
    Break,
    FirstSolution,
    Job,
    Location,
    Metaheuristic,
    Problem,
    Reason,
    Route,
    Shift,
    Solution,
    SolveParams,
    Status,
    Step,
    StepType,
    Summary,
    TimeWindow,
    TravelMatrix,
    Unassigned,
)
from solver.routing import solve

__all__ = [
    "ArcCost",
    "Break",
    "CheckReport",
    "FirstSolution",
    "Job",
    "Location",
    "Metaheuristic",
    "Problem",
    "Reason",
    "Route",
    "Rule",
    "Shift",
    "Solution",
    "SolveParams",
    "Status",
    "Step",
    "StepType",
    "Summary",
    "TimeWindow",
    "TravelMatrix",
    "Unassigned",
    "Violation",
    "check",
    "solve",
]
