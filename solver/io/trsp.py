"""Technician routing and scheduling instances of Pillac, Guéret & Medaglia (2013).

Text format (see ``../shared/bench/trsp/README.md``): a central depot (id 0) where tools and
spare parts can be replenished, technicians (ids 1..crew) with their home, skills, tools and
initial spare-part stock, and requests (Solomon customers) needing skills (all of them), tools
(not consumed) and spare-part quantities (consumed). Travel time = Euclidean distance. The
published objective is total working time (travel + service + waiting, home to home).

`to_problem` maps an instance onto the solver's parts-aware model: technicians are shifts
whose vans start with their tools and spare parts, requests are jobs needing skills (level 1),
tools (not used up) and parts (used up), and the central depot is a `Depot` with every tool
and as many of each part as all requests together need (the instances set no depot limit).
`working_time` measures a plan as the published objective does, with exact distances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from solver.model import (
    ArcCost,
    Depot,
    FirstSolution,
    Job,
    Location,
    Problem,
    Shift,
    Solution,
    SolveParams,
    StepType,
    TimeWindow,
    TravelMatrix,
)
from solver.travel import euclidean_matrix

DEFAULT_SCALE = 100
DEPOT_ID = "depot"


@dataclass(frozen=True, slots=True)
class Node:
    id: int
    x: float
    y: float
    ready: int
    due: int
    service: int
    skills: frozenset[int]
    tools: frozenset[int]
    parts: tuple[int, ...]  # quantity per spare-part type: stock (technician) or need (request)


@dataclass(frozen=True, slots=True)
class TrspInstance:
    name: str
    skill_count: int
    tool_count: int
    part_count: int
    depot: Node
    technicians: tuple[Node, ...]
    requests: tuple[Node, ...]

    def can_serve_without_depot(self, technician: Node, request: Node) -> bool:
        """Skills, tools and parts all on board from the start (no replenishment trip)."""
        return (
            request.skills <= technician.skills
            and request.tools <= technician.tools
            and all(have >= need for have, need in zip(technician.parts, request.parts, strict=True))
        )

    def qualified(self, technician: Node, request: Node) -> bool:
        """Skills cannot be fetched from the depot; tools and parts can."""
        return request.skills <= technician.skills


class TrspFormatError(ValueError):
    pass


def _ints(text: str, what: str, line: int) -> tuple[int, ...]:
    if not (text.startswith("[") and text.endswith("]")):
        raise TrspFormatError(f"line {line}: {what} {text!r} is not a [a,b,...] list")
    inner = text[1:-1].strip()
    try:
        return tuple(int(v) for v in inner.split(",")) if inner else ()
    except ValueError:
        raise TrspFormatError(f"line {line}: {what} {text!r} holds a non-integer") from None


def read_trsp(path: Path | str) -> TrspInstance:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    name = lines[0].strip() if lines else ""
    try:
        info = next(i for i, ln in enumerate(lines) if ln.strip() == "INFO")
        crew, skills, tools, parts = (int(v) for v in lines[info + 2].split())
        table = next(i for i, ln in enumerate(lines) if ln.strip().startswith("DEPOT TECHNICIANS"))
    except (StopIteration, ValueError, IndexError):
        raise TrspFormatError(f"{path}: no INFO counts or node table") from None
    nodes: list[Node] = []
    for k, raw in enumerate(lines[table + 2 :], start=table + 3):
        cols = raw.split()
        if not cols:
            continue
        if len(cols) != 9:
            raise TrspFormatError(f"line {k}: expected 9 columns, found {len(cols)}")
        try:
            nid, x, y, ready, due, service = (
                int(cols[0]),
                float(cols[1]),
                float(cols[2]),
                *map(int, cols[3:6]),
            )
        except ValueError:
            raise TrspFormatError(f"line {k}: id, coordinates and times must be numbers") from None
        need = _ints(cols[8], "spare parts", k) or (0,) * parts  # the depot lists none
        if len(need) != parts:
            raise TrspFormatError(f"line {k}: {len(need)} spare-part quantities for {parts} types")
        node = Node(
            nid,
            x,
            y,
            ready,
            due,
            service,
            frozenset(_ints(cols[6], "skills", k)),
            frozenset(_ints(cols[7], "tools", k)),
            need,
        )
        if any(s >= skills for s in node.skills) or any(t >= tools for t in node.tools):
            raise TrspFormatError(f"line {k}: a skill or tool index beyond the declared counts")
        nodes.append(node)
    if [n.id for n in nodes] != list(range(len(nodes))) or len(nodes) <= crew:
        raise TrspFormatError(f"{path}: node ids must run 0..n with the depot and {crew} technicians first")
    return TrspInstance(
        name, skills, tools, parts, nodes[0], tuple(nodes[1 : crew + 1]), tuple(nodes[crew + 1 :])
    )


def _part(k: int) -> str:
    return f"part{k}"


def _tool(k: int) -> str:
    return f"tool{k}"


def _skill(k: int) -> tuple[str, int]:
    return (f"skill{k}", 1)


def to_problem(inst: TrspInstance, scale: int = DEFAULT_SCALE) -> Problem:
    """Location 0 is the depot, 1..crew the technicians' homes, then the requests; times and
    distances are scaled like `solver.io.solomon` (durations rounded up, costs to nearest)."""
    nodes = (inst.depot, *inst.technicians, *inst.requests)
    durations, costs = euclidean_matrix([n.x for n in nodes], [n.y for n in nodes], scale)
    horizon = TimeWindow(start=inst.depot.ready * scale, end=inst.depot.due * scale)
    demand = [sum(r.parts[k] for r in inst.requests) for k in range(inst.part_count)]
    depot = Depot(
        id=DEPOT_ID,
        location=0,
        service=inst.depot.service * scale,
        stock=tuple((_part(k), q) for k, q in enumerate(demand)),
        tools=tuple(_tool(k) for k in range(inst.tool_count)),
        time_window=horizon,
    )
    shifts = tuple(
        Shift(
            id=f"t{t.id}",
            engineer_id=f"t{t.id}",
            start=i,
            end=i,
            time_window=horizon,
            skills=tuple(_skill(k) for k in t.skills),
            stock=tuple((_part(k), q) for k, q in enumerate(t.parts)),
            tools=tuple(_tool(k) for k in t.tools),
        )
        for i, t in enumerate(inst.technicians, start=1)
    )
    first = 1 + len(inst.technicians)
    jobs = tuple(
        Job(
            id=str(r.id),
            location=first + i,
            service=r.service * scale,
            time_windows=(TimeWindow(start=r.ready * scale, end=r.due * scale),),
            skills=tuple(_skill(k) for k in r.skills),
            parts=tuple((_part(k), q) for k, q in enumerate(r.parts)),
            tools=tuple(_tool(k) for k in r.tools),
        )
        for i, r in enumerate(inst.requests)
    )
    return Problem(
        locations=tuple(Location(name=str(n.id)) for n in nodes),
        matrix=TravelMatrix(durations=durations, distances=costs),
        jobs=jobs,
        shifts=shifts,
        depots=(depot,),
    )


def trsp_params(time_limit: float = 30.0) -> SolveParams:
    """Working time is travel plus waiting (service is fixed once every request is served):
    travel as the arc cost and each route's span as a second cost, so that waiting counts
    (without the span cost, gaps were 2-4 times larger at 10 s). PATH_CHEAPEST_ARC first:
    at 10 s on C101, C201, R101, R201, RC101, RC201 it beat parallel cheapest insertion on four
    of six, and two starts in half the time each on none."""
    return SolveParams(
        time_limit=time_limit,
        arc_cost=ArcCost.DURATION,
        span_cost=1,
        first_solution=FirstSolution.PATH_CHEAPEST_ARC,
        region_jobs=0,
    )


def working_time(inst: TrspInstance, solution: Solution) -> float:
    """Total working time of ``solution`` with exact Euclidean travel: per route, from leaving
    home to coming back, waiting included, leaving as late as the route's windows allow."""
    nodes = {n.id: n for n in (inst.depot, *inst.technicians, *inst.requests)}
    total = 0.0
    for route in solution.routes:
        home = nodes[int(route.shift_id.removeprefix("t"))]
        stops = [
            nodes[0] if st.type is StepType.DEPOT else nodes[int(st.id or 0)]
            for st in route.steps
            if st.type in (StepType.JOB, StepType.DEPOT)
        ]
        if stops:
            total += _route_working_time(home, stops)
    return total


def _route_working_time(home: Node, stops: list[Node]) -> float:
    """Earliest schedule from the home's opening, then the departure delayed by the forward
    time slack (Savelsbergh 1992): as late as possible without ending later or missing a window."""
    t, at = float(home.ready), home
    waits: list[float] = []
    begins: list[float] = []
    for n in stops:
        arrival = t + math.hypot(at.x - n.x, at.y - n.y)
        begin = max(arrival, float(n.ready))
        waits.append(begin - arrival)
        begins.append(begin)
        t, at = begin + n.service, n
    end = t + math.hypot(at.x - home.x, at.y - home.y)
    slack, waited = math.inf, 0.0
    for n, w, b in zip(stops, waits, begins, strict=True):
        waited += w
        slack = min(slack, waited + n.due - b)
    delay = max(0.0, min(slack, sum(waits)))
    return end - (home.ready + delay)
