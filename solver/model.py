"""The solver's input (`Problem`) and output (`Solution`) as frozen value objects.

All times are integer seconds from the problem's horizon start (or any fixed-point unit the
caller chooses consistently), distances are integer metres, and objects refer to each other
by index into the problem's location list and by string ids. Validation happens at
construction, so a `Problem` that exists is internally consistent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeWindow:
    """A closed interval ``[start, end]`` of seconds; for jobs and breaks it bounds the start of service."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"Time window end {self.end} is before its start {self.start}.")

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end


def _skills(value: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    items = dict(value.items() if isinstance(value, Mapping) else value)
    for name, level in items.items():
        if not name:
            raise ValueError("Skill names must be non-empty.")
        if level < 0:
            raise ValueError(f"Skill {name!r} has a negative level {level}.")
    return tuple(sorted(items.items()))


def _quantities(
    value: Mapping[str, int] | Iterable[tuple[str, int]], what: str
) -> tuple[tuple[str, int], ...]:
    """Part → quantity pairs, merged and sorted, without zero entries."""
    merged: dict[str, int] = {}
    for name, qty in value.items() if isinstance(value, Mapping) else value:
        if not name:
            raise ValueError(f"{what} names must be non-empty.")
        if qty < 0:
            raise ValueError(f"{what} {name!r} has a negative quantity {qty}.")
        merged[name] = merged.get(name, 0) + int(qty)
    return tuple(sorted((k, v) for k, v in merged.items() if v))


def _names(value: Iterable[str], what: str) -> tuple[str, ...]:
    out = tuple(sorted(set(value)))
    if any(not n for n in out):
        raise ValueError(f"{what} names must be non-empty.")
    return out


def _amounts(value: Iterable[int], what: str) -> tuple[int, ...]:
    out = tuple(int(v) for v in value)
    if any(v < 0 for v in out):
        raise ValueError(f"Cannot have a negative {what} amount.")
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One visit to perform.

    Parameters
    ----------
    id
        Unique job id (string; numeric ids of exchange formats are stringified).
    location
        Index into ``Problem.locations``.
    service
        On-site duration in seconds.
    time_windows
        Allowed service start windows; empty means any time in the horizon.
    skills
        Required skill -> minimum level; only shifts holding all of them may take the job.
    deadline
        Latest on-site (service start) time promised by the SLA, or ``None``.
    sla_tier
        Index into ``SolveParams.late_cost_per_minute``; higher tiers are costlier to be late for.
    priority
        0..100, as in VROOM: when not everything fits, the solver serves the highest total priority first.
    delivery, pickup
        Amounts per capacity dimension (VROOM semantics: deliveries are loaded at the route start,
        pickups are carried to the route end).
    pinned_engineer
        The job must be done by one of this engineer's shifts.
    pinned_rank
        With ``pinned_engineer``: jobs of that engineer are visited in increasing rank.
    fixed_start
        Service start that must be kept exactly (a visit already in progress).
    previous_engineer
        Engineer the job had in the previous plan; moving it costs ``SolveParams.stability_cost``.
    parts
        Part → quantity used up on site: on the van on arrival, from the shift's stock or loaded
        at a depot stop earlier on the route.
    tools
        Tools that must be on the van on arrival; not used up.
    """

    id: str
    location: int
    service: int = 0
    time_windows: tuple[TimeWindow, ...] = ()
    skills: tuple[tuple[str, int], ...] = ()
    deadline: int | None = None
    sla_tier: int = 0
    priority: int = 0
    delivery: tuple[int, ...] = ()
    pickup: tuple[int, ...] = ()
    pinned_engineer: str | None = None
    pinned_rank: int | None = None
    fixed_start: int | None = None
    previous_engineer: str | None = None
    parts: tuple[tuple[str, int], ...] = ()
    tools: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Job id must be non-empty.")
        if self.location < 0:
            raise ValueError(f"Job {self.id!r} has a negative location index.")
        if self.service < 0:
            raise ValueError(f"Job {self.id!r} has a negative service duration.")
        if not 0 <= self.priority <= 100:
            raise ValueError(f"Job {self.id!r} priority {self.priority} is outside 0..100.")
        if self.sla_tier < 0:
            raise ValueError(f"Job {self.id!r} has a negative SLA tier.")
        windows = tuple(sorted(self.time_windows, key=lambda w: (w.start, w.end)))
        for a, b in pairwise(windows):
            if b.start <= a.end:
                raise ValueError(f"Job {self.id!r} has overlapping time windows.")
        object.__setattr__(self, "time_windows", windows)
        object.__setattr__(self, "skills", _skills(self.skills))
        object.__setattr__(self, "delivery", _amounts(self.delivery, "delivery"))
        object.__setattr__(self, "pickup", _amounts(self.pickup, "pickup"))
        object.__setattr__(self, "parts", _quantities(self.parts, "Part"))
        object.__setattr__(self, "tools", _names(self.tools, "Tool"))
        if self.pinned_rank is not None and self.pinned_engineer is None:
            raise ValueError(f"Job {self.id!r} has a pinned rank but no pinned engineer.")
        if self.fixed_start is not None and self.pinned_engineer is None:
            raise ValueError(f"Job {self.id!r} has a fixed start but no pinned engineer.")

    def window_for(self, t: int) -> TimeWindow | None:
        """The first window whose end is not before ``t`` (where service can start earliest)."""
        for w in self.time_windows:
            if t <= w.end:
                return w
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Break:
    """A break of ``duration`` seconds whose start must fall inside one of ``time_windows``."""

    id: str
    time_windows: tuple[TimeWindow, ...]
    duration: int

    def __post_init__(self) -> None:
        if self.duration < 0:
            raise ValueError(f"Break {self.id!r} has a negative duration.")
        if not self.time_windows:
            raise ValueError(f"Break {self.id!r} needs at least one time window.")
        object.__setattr__(
            self, "time_windows", tuple(sorted(self.time_windows, key=lambda w: (w.start, w.end)))
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Shift:
    """One engineer working one period: the solver's vehicle.

    ``start``/``end`` are location indices (``end=None``: the route ends at its last visit).
    ``time_window`` bounds leaving ``start`` and arriving at ``end``. ``capacity`` pairs with
    jobs' delivery/pickup amounts; ``max_jobs`` caps visits per shift. ``stock`` (part →
    quantity) and ``tools`` are what the van holds when the shift starts.
    """

    id: str
    engineer_id: str
    start: int
    end: int | None
    time_window: TimeWindow
    skills: tuple[tuple[str, int], ...] = ()
    breaks: tuple[Break, ...] = ()
    capacity: tuple[int, ...] = ()
    max_jobs: int | None = None
    stock: tuple[tuple[str, int], ...] = ()
    tools: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Shift id must be non-empty.")
        if self.start < 0 or (self.end is not None and self.end < 0):
            raise ValueError(f"Shift {self.id!r} has a negative location index.")
        if self.max_jobs is not None and self.max_jobs < 0:
            raise ValueError(f"Shift {self.id!r} has a negative max_jobs.")
        object.__setattr__(self, "skills", _skills(self.skills))
        object.__setattr__(self, "capacity", _amounts(self.capacity, "capacity"))
        object.__setattr__(self, "stock", _quantities(self.stock, "Part"))
        object.__setattr__(self, "tools", _names(self.tools, "Tool"))
        for b in self.breaks:
            if b.duration > self.time_window.end - self.time_window.start:
                raise ValueError(f"Shift {self.id!r} break {b.id!r} is longer than the shift.")

    def has_skills(self, required: Iterable[tuple[str, int]]) -> bool:
        held = dict(self.skills)
        return all(held.get(name, -1) >= level for name, level in required)


@dataclass(frozen=True, slots=True, kw_only=True)
class Depot:
    """A place where a route may stop to load parts and tools for the visits after it.

    ``stock`` bounds what all routes together load there. ``time_window`` bounds the arrival
    (opening hours); stock that arrives later by transfer is a second depot at the same
    location whose window opens when the transfer arrives.
    """

    id: str
    location: int
    service: int = 0
    stock: tuple[tuple[str, int], ...] = ()
    tools: tuple[str, ...] = ()
    time_window: TimeWindow | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Depot id must be non-empty.")
        if self.location < 0 or self.service < 0:
            raise ValueError(f"Depot {self.id!r} has a negative location index or service time.")
        object.__setattr__(self, "stock", _quantities(self.stock, "Part"))
        object.__setattr__(self, "tools", _names(self.tools, "Tool"))


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TravelMatrix:
    """Square travel ``durations`` (seconds) and ``distances`` (metres) between locations."""

    durations: IntArray
    distances: IntArray

    def __post_init__(self) -> None:
        d = np.ascontiguousarray(self.durations, dtype=np.int64)
        m = np.ascontiguousarray(self.distances, dtype=np.int64)
        if d.ndim != 2 or d.shape[0] != d.shape[1]:
            raise ValueError("Travel durations must be a square matrix.")
        if m.shape != d.shape:
            raise ValueError("Travel distances and durations must have the same shape.")
        if (d < 0).any() or (m < 0).any():
            raise ValueError("Cannot have negative travel distance or duration.")
        d.setflags(write=False)
        m.setflags(write=False)
        object.__setattr__(self, "durations", d)
        object.__setattr__(self, "distances", m)

    @property
    def size(self) -> int:
        return int(self.durations.shape[0])

    @classmethod
    def trusted(cls, durations: IntArray, distances: IntArray) -> TravelMatrix:
        """A matrix from arrays the caller built square, int64 and non-negative (e.g. grown
        from a validated one): skips the checks, which cost more than building it when a
        booking quote makes one per candidate route."""
        matrix = object.__new__(cls)
        durations.setflags(write=False)
        distances.setflags(write=False)
        object.__setattr__(matrix, "durations", durations)
        object.__setattr__(matrix, "distances", distances)
        return matrix


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A place; coordinates are WGS84 decimal degrees, optional when a matrix is given."""

    lat: float | None = None
    lon: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("A location needs both lat and lon, or neither.")
        if self.lat is not None and not -90 <= self.lat <= 90:
            raise ValueError(f"Latitude {self.lat} is outside -90..90.")
        if self.lon is not None and not -180 <= self.lon <= 180:
            raise ValueError(f"Longitude {self.lon} is outside -180..180.")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Problem:
    """Everything the solver needs: locations with their travel matrix, jobs, shifts and the
    depots routes may stop at for parts."""

    locations: tuple[Location, ...]
    matrix: TravelMatrix
    jobs: tuple[Job, ...]
    shifts: tuple[Shift, ...]
    depots: tuple[Depot, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.locations)
        if self.matrix.size != n:
            raise ValueError(f"Travel matrix has {self.matrix.size} rows for {n} locations.")
        seen: set[str] = set()
        dims: int | None = None
        for job in self.jobs:
            if job.id in seen:
                raise ValueError(f"Duplicate job id {job.id!r}.")
            seen.add(job.id)
            if job.location >= n:
                raise ValueError(f"Job {job.id!r} location {job.location} is out of range.")
        shift_ids: set[str] = set()
        engineers = {s.engineer_id for s in self.shifts}
        for s in self.shifts:
            if s.id in shift_ids:
                raise ValueError(f"Duplicate shift id {s.id!r}.")
            shift_ids.add(s.id)
            if s.start >= n or (s.end is not None and s.end >= n):
                raise ValueError(f"Shift {s.id!r} location is out of range.")
            if s.capacity:
                if dims is not None and len(s.capacity) != dims:
                    raise ValueError("All shifts must have the same number of capacity dimensions.")
                dims = len(s.capacity)
        dims = dims or 0
        for job in self.jobs:
            for amounts in (job.delivery, job.pickup):
                if amounts and len(amounts) != dims:
                    raise ValueError(
                        f"Job {job.id!r} has {len(amounts)} amount dimensions, shifts have {dims}."
                    )
            if job.pinned_engineer is not None and job.pinned_engineer not in engineers:
                raise ValueError(f"Job {job.id!r} is pinned to unknown engineer {job.pinned_engineer!r}.")
        if dims and any(not s.capacity for s in self.shifts):
            raise ValueError("All shifts must have the same number of capacity dimensions.")
        depot_ids: set[str] = set()
        for d in self.depots:
            if d.id in depot_ids:
                raise ValueError(f"Duplicate depot id {d.id!r}.")
            depot_ids.add(d.id)
            if d.location >= n:
                raise ValueError(f"Depot {d.id!r} location {d.location} is out of range.")

    @property
    def capacity_dims(self) -> int:
        return len(self.shifts[0].capacity) if self.shifts else 0

    def job_index(self) -> dict[str, int]:
        return {job.id: i for i, job in enumerate(self.jobs)}

    def shift_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.shifts)}


class FirstSolution(StrEnum):
    """First-solution strategies worth choosing between (names of OR-Tools' enum)."""

    AUTOMATIC = "AUTOMATIC"
    PATH_CHEAPEST_ARC = "PATH_CHEAPEST_ARC"
    PARALLEL_CHEAPEST_INSERTION = "PARALLEL_CHEAPEST_INSERTION"
    LOCAL_CHEAPEST_INSERTION = "LOCAL_CHEAPEST_INSERTION"
    LOCAL_CHEAPEST_COST_INSERTION = "LOCAL_CHEAPEST_COST_INSERTION"
    SEQUENTIAL_CHEAPEST_INSERTION = "SEQUENTIAL_CHEAPEST_INSERTION"
    SAVINGS = "SAVINGS"
    PARALLEL_SAVINGS = "PARALLEL_SAVINGS"
    CHRISTOFIDES = "CHRISTOFIDES"


class Metaheuristic(StrEnum):
    AUTOMATIC = "AUTOMATIC"
    GREEDY_DESCENT = "GREEDY_DESCENT"
    GUIDED_LOCAL_SEARCH = "GUIDED_LOCAL_SEARCH"
    SIMULATED_ANNEALING = "SIMULATED_ANNEALING"
    TABU_SEARCH = "TABU_SEARCH"
    GENERIC_TABU_SEARCH = "GENERIC_TABU_SEARCH"


class ArcCost(StrEnum):
    """What a leg costs: its travel time (field service) or its distance (Solomon, VROOM's cost)."""

    DURATION = "duration"
    DISTANCE = "distance"


OPTIONAL_OPERATORS = frozenset(
    {
        "use_relocate_neighbors",
        "use_cross_exchange",
        "use_tsp_opt",
        "use_extended_swap_active",
        "use_path_lns",
        "use_full_path_lns",
        "use_tsp_lns",
        "use_inactive_lns",
        "use_node_pair_swap_active",
        "use_relocate_and_make_active",
        "use_global_cheapest_insertion_expensive_chain_lns",
        "use_local_cheapest_insertion_expensive_chain_lns",
        "use_global_cheapest_insertion_close_nodes_lns",
        "use_local_cheapest_insertion_close_nodes_lns",
        "use_exchange_and_make_active",
        "use_exchange_path_start_ends_and_make_active",
    }
)
"""OR-Tools local-search operators that are off by default and may be switched on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveParams:
    """Search and objective tunables.

    ``stall_time`` stops the search once that many seconds pass without a better plan (it
    costs about 5 % of search speed, so it is off by default). Costs are in the unit of travel
    time (seconds), so that a penalty reads as "worth this much driving".
    ``late_cost_per_minute[t]`` is the cost of each minute an SLA tier ``t`` job starts after
    its deadline; tiers beyond the tuple use its last entry. Days with more than 1.5 ×
    ``region_jobs`` plannable jobs are first planned region by region (`solver.decompose`) in
    ``region_time_share`` of the time limit; ``region_jobs=0`` turns that off and ``None``
    picks the size from the time per job (see `region_size`).
    ``first_solutions``, when given, runs one search per start strategy in equal shares of the
    time limit and keeps the cheapest plan (``first_solution`` is then ignored).
    ``extra_operators`` switches on OR-Tools local-search operators that are off by default
    (names of ``RoutingSearchParameters.local_search_operators`` fields).
    ``span_cost`` costs each second of a route's duration, leaving to return, waiting included
    (for objectives of working time, such as the TRSP benchmark's).
    ``lns_share`` of the time limit goes to the ruin-and-recreate search over the whole day
    (`solver.search`) after the routing model's own search (not with a ``solution_limit``, a
    limit of the model's search alone; ``stall_time`` stops either); with ``iterations`` the search
    stops after that many ruin-and-recreate steps instead, and the model's search only builds
    a first plan, so a fixed ``seed`` gives the same plan every time. ``workers`` independent
    chains (processes, seeds ``seed``, ``seed + 1``, ...) share the work, the best plan kept.
    ``temperature`` starts the annealing at that many mean arc costs of the start plan.
    """

    time_limit: float = 10.0
    arc_cost: ArcCost = ArcCost.DURATION
    solution_limit: int | None = None
    stall_time: float | None = None
    first_solution: FirstSolution = FirstSolution.PARALLEL_CHEAPEST_INSERTION
    first_solutions: tuple[FirstSolution, ...] = ()
    metaheuristic: Metaheuristic = Metaheuristic.GUIDED_LOCAL_SEARCH
    guided_local_search_lambda: float = 0.3  # 0.1 (OR-Tools default) and 0.6 measured worse
    neighbors_ratio: float = 1.0
    insertion_neighbors_ratio: float = 1.0
    min_neighbors: int = 1
    extra_operators: tuple[str, ...] = ("use_cross_exchange", "use_relocate_neighbors")
    region_jobs: int | None = None
    region_time_share: float = 0.6
    hard_deadlines: bool = False
    late_cost_per_minute: tuple[int, ...] = (60, 600, 3_000, 12_000)
    unassigned_cost: int = 1_000_000
    unassigned_cost_per_priority: int = 100_000
    urgent_unassigned_cost: int = 500_000
    stability_cost: int = 1_800
    span_cost: int = 0
    pinned_unassigned_cost: int = 1_000_000_000
    log_search: bool = False
    lns_share: float = 0.9  # 42.7 → 36.5 h of travel on the 200-job day at 55 s (BENCHMARKS.md)
    temperature: float = 1.0
    seed: int = 0
    iterations: int | None = None
    workers: int = 1

    def __post_init__(self) -> None:
        if self.time_limit <= 0:
            raise ValueError("Time limit must be positive.")
        if (self.region_jobs is not None and self.region_jobs < 0) or not 0 < self.region_time_share < 1:
            raise ValueError("Region size must be non-negative and its time share inside (0, 1).")
        if self.stall_time is not None and self.stall_time <= 0:
            raise ValueError("Stall time must be positive.")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError("Solution limit must be at least 1.")
        if not 0 <= self.lns_share < 1:
            raise ValueError("The search's share of the time must be in [0, 1).")
        if self.iterations is not None and self.iterations < 0:
            raise ValueError("Iterations must not be negative.")
        if self.workers < 1:
            raise ValueError("Workers must be at least 1.")
        if self.temperature < 0:
            raise ValueError("Temperature must not be negative.")
        unknown = set(self.extra_operators) - OPTIONAL_OPERATORS
        if unknown:
            raise ValueError(f"Unknown local-search operators: {', '.join(sorted(unknown))}.")
        if not self.late_cost_per_minute or any(c < 0 for c in self.late_cost_per_minute):
            raise ValueError("Late costs must be a non-empty tuple of non-negative integers.")

    def region_size(self, plannable: int) -> int:
        """Larger regions plan better when each job gets enough search time; with little time
        per job the first solution of a large region eats the budget (BENCHMARKS.md: 150-job
        regions win at 200-1,000 jobs in 55 s, 70-job regions at 2,000)."""
        if self.region_jobs is not None:
            return self.region_jobs
        seconds_per_job = self.time_limit * self.region_time_share / max(plannable, 1)
        return 150 if seconds_per_job >= 0.025 else 70

    def late_cost(self, tier: int) -> int:
        return self.late_cost_per_minute[min(tier, len(self.late_cost_per_minute) - 1)]


class StepType(StrEnum):
    START = "start"
    JOB = "job"
    BREAK = "break"
    DEPOT = "depot"
    END = "end"


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of a route, after VROOM: arrival at the place, waiting, then service.

    ``arrival`` is when the engineer reaches the place (the ETA a customer is told); for a
    break it is when the break starts, for the end step when the route ends. A break taken on
    arrival, before service, is listed before its stop and starts at or after the stop's
    arrival; ``waiting_time`` is idle time only and never counts it, so the service start is
    not always ``arrival + waiting_time`` (`Route.service_starts` says what it is).
    A depot step's id is the depot's; ``parts`` and ``tools`` are what the van loads there.
    """

    type: StepType
    id: str | None = None
    location: int | None = None
    arrival: int = 0
    waiting_time: int = 0
    service: int = 0
    lateness: int = 0
    parts: tuple[tuple[str, int], ...] = ()
    tools: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    shift_id: str
    engineer_id: str
    steps: tuple[Step, ...]
    travel_time: int
    distance: int
    service: int
    waiting_time: int
    lateness: int

    def job_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps if s.type is StepType.JOB and s.id is not None)

    def service_starts(self) -> tuple[int, ...]:
        """When each step's service begins (a break's: when it starts; start and end steps:
        their arrival): ``arrival + waiting_time`` plus the breaks listed right before the step
        that start at or after its arrival, which are taken there before service."""
        starts: list[int] = []
        breaks: list[Step] = []
        for s in self.steps:
            if s.type is StepType.BREAK:
                breaks.append(s)
                starts.append(s.arrival)
                continue
            if s.type in (StepType.JOB, StepType.DEPOT):
                on_site = sum(b.service for b in breaks if b.arrival >= s.arrival)
                starts.append(s.arrival + on_site + s.waiting_time)
            else:
                starts.append(s.arrival)
            breaks.clear()
        return tuple(starts)


class Reason(StrEnum):
    """Machine-readable reasons a job was left unassigned."""

    NO_SKILL = "no_skill"
    NO_SHIFT_IN_WINDOW = "no_shift_in_window"
    UNREACHABLE = "unreachable"
    DEADLINE_UNREACHABLE = "deadline_unreachable"
    TOO_LARGE = "too_large"
    PINNED_INFEASIBLE = "pinned_infeasible"
    CAPACITY = "capacity"
    PART_UNAVAILABLE = "part_unavailable"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unassigned:
    job_id: str
    reason: Reason
    detail: str = ""


class Status(StrEnum):
    SOLVED = "solved"
    NO_SOLUTION = "no_solution"


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    cost: int
    routes: int
    assigned: int
    unassigned: int
    served_priority: int
    travel_time: int
    distance: int
    service: int
    waiting_time: int
    lateness: int
    late_jobs: int
    wall_time: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """The solver's answer: routes of steps, unassigned jobs with reasons, and totals."""

    status: Status
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    summary: Summary
    search_log: tuple[tuple[float, int], ...] = field(default=())
