"""Insertion of one new job into existing routes: hand-made problems with known answers, every
accepted insertion validated by the independent checker, and a brute-force comparison."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

from solver import (
    Break,
    Job,
    Location,
    Problem,
    Route,
    Shift,
    Step,
    StepType,
    TimeWindow,
    TravelMatrix,
    check,
)
from solver.insertion import (
    Option,
    apply,
    best_per_window,
    checkable,
    empty_route,
    insert,
    is_pickup,
    pickup_id,
    timed_route,
)
from tests.solver.conftest import line_problem, shift, tw

H = 3600
ANY = tw(0, 20 * H)


def route_of(problem: Problem, shift_id: str, order: list[str]) -> Route:
    """A route visiting ``order`` (job ids and break ids), timed like the checker."""
    sh = next(s for s in problem.shifts if s.id == shift_id)
    breaks = {b.id for b in sh.breaks}
    steps = [
        Step(type=StepType.START),
        *(Step(type=StepType.BREAK if x in breaks else StepType.JOB, id=x) for x in order),
        Step(type=StepType.END),
    ]
    return timed_route(problem, sh, steps, {j.id: j for j in problem.jobs})


def assert_checked(problem: Problem, routes: list[Route], option: Option, job_id: str = "new") -> Route:
    """Apply the option and run the checker on the whole resulting plan: it must be feasible."""
    current = next((r for r in routes if r.shift_id == option.shift_id), None)
    new_route = apply(problem, current, option, job_id)
    checked, solution = checkable(
        problem, routes, new_route, job_id, option.window, pickup_ready=option.depot_ready
    )
    report = check(checked, solution)
    assert report.feasible, report.describe()
    assert report.service_start[job_id] == option.start
    old_travel = current.travel_time if current else 0
    assert new_route.travel_time - old_travel == option.added_travel
    return new_route


def test_the_new_job_goes_into_the_gap_that_costs_no_detour() -> None:
    # home at 0, A at 1000, B at 3000; the new job at 2000 lies on the way from A to B.
    jobs = [
        Job(id="A", location=1, service=600),
        Job(id="B", location=2, service=600),
        Job(id="new", location=3, service=600),
    ]
    p = line_problem([0, 1000, 3000, 2000], jobs, [shift("s", window=(0, 10 * H))])
    routes = [route_of(p, "s", ["A", "B"])]
    [opt] = insert(p, routes, "new", [ANY])
    assert (opt.position, opt.added_travel, opt.depot) == (2, 0, None)
    # leave 0, A at 1000-1600, new at 2600
    assert (opt.arrival, opt.start) == (2600, 2600)
    new_route = assert_checked(p, routes, opt)
    assert new_route.job_ids() == ("A", "new", "B")


def test_a_customer_window_moves_the_job_to_a_costlier_but_feasible_gap() -> None:
    jobs = [
        Job(id="A", location=1, service=600),
        Job(id="B", location=2, service=600, time_windows=(tw(0, 2 * H),)),
        Job(id="new", location=3, service=600),
    ]
    p = line_problem([0, 1000, 3000, 2000], jobs, [shift("s", window=(0, 10 * H))])
    routes = [route_of(p, "s", ["A", "B"])]
    # Must start by 2100: only reachable as the first visit (arrive 2000); detour 2000 + 1000 - 1000.
    [opt] = insert(p, routes, "new", [tw(0, 2100)])
    assert (opt.position, opt.added_travel, opt.start) == (1, 2000, 2000)
    assert_checked(p, routes, opt)
    # A window after B's: between A and B costs no detour either, but would make B miss its
    # window; last, on the way home (B → new → home = B → home), it fits at no cost.
    [late] = insert(p, routes, "new", [tw(5 * H, 6 * H)])
    assert late.position == 3 and late.start == 5 * H and late.added_travel == 0
    assert_checked(p, routes, late)


def test_an_insertion_that_would_break_an_existing_window_is_refused() -> None:
    jobs = [
        Job(id="A", location=1, service=600, time_windows=(tw(0, 1100),)),  # must start by 1100
        Job(id="new", location=2, service=600),
    ]
    p = line_problem([0, 1000, 900], jobs, [shift("s", window=(0, 10 * H))])
    routes = [route_of(p, "s", ["A"])]
    [opt] = insert(p, routes, "new", [ANY])
    # Before A would cost nothing (900 then 100 on) but A would start at 900+600+100 = 1600 > 1100.
    assert (opt.position, opt.added_travel) == (2, 0)  # after A: A → new → home is no longer
    assert_checked(p, routes, opt)
    assert insert(p, routes, "new", [tw(0, 950)]) == []  # only reachable first, which breaks A


def test_max_jobs_skills_and_shift_end_exclude_shifts() -> None:
    jobs = [
        Job(id="A", location=1, service=600),
        Job(id="new", location=2, service=600, skills=(("hvac", 2),)),
    ]
    shifts = [
        shift("full", skills={"hvac": 3}, window=(0, 10 * H), max_jobs=1),
        shift("novice", skills={"hvac": 1}, window=(0, 10 * H)),
        shift("short", skills={"hvac": 2}, window=(0, 1500)),  # 1000 there + 600 + 1000 back > 1500
        shift("far", start=3, end=3, skills={"hvac": 2}, window=(0, 10 * H)),
    ]
    p = line_problem([0, 100, 1000, 5000], jobs, shifts)
    routes = [route_of(p, "full", ["A"])]
    options = insert(p, routes, "new", [ANY])
    assert [o.shift_id for o in options] == ["far"]
    assert options[0].added_travel == 8000
    assert_checked(p, routes, options[0])
    # Raise the cap: the nearby shift wins, with less added travel.
    p2 = line_problem([0, 100, 1000, 5000], jobs, [replace(shifts[0], max_jobs=2), *shifts[1:]])
    best = best_per_window(insert(p2, routes, "new", [ANY]))[ANY]
    assert best.shift_id == "full" and best.added_travel == 1800
    assert_checked(p2, routes, best)


def test_a_break_listed_in_the_route_must_still_fit_its_window() -> None:
    lunch = Break(id="lunch", time_windows=(tw(2000, 2500),), duration=1000)
    jobs = [
        Job(id="A", location=1, service=1000),
        Job(id="new", location=2, service=1500),
    ]
    p = line_problem([0, 500, 600], jobs, [shift("s", window=(0, 10 * H), breaks=(lunch,))])
    routes = [route_of(p, "s", ["A", "lunch"])]
    # A ends at 1500; the lunch starts in [2000, 2500]. Putting the 1500 s job before the
    # lunch pushes it to 1500 + 100 + 1500 = 3100: refused. After the lunch it fits.
    options = insert(p, routes, "new", [ANY])
    [opt] = options
    assert opt.position == 3  # START, A, lunch, [new], END
    new_route = assert_checked(p, routes, opt)
    kinds = [(s.type.value, s.id) for s in new_route.steps]
    assert kinds == [("start", None), ("job", "A"), ("break", "lunch"), ("job", "new"), ("end", None)]
    # The break is taken on the leg to the new job: at 2000 (A ends 1500, waits for the window).
    brk = next(s for s in new_route.steps if s.type is StepType.BREAK)
    assert brk.arrival == 2000 and opt.start == 3000


def test_an_on_time_visit_is_never_made_late_for_its_sla() -> None:
    jobs = [
        Job(id="A", location=1, service=600, deadline=2000),  # starts at 1000: on time
        Job(id="new", location=2, service=900),
    ]
    p = line_problem([0, 1000, 500], jobs, [shift("s", window=(0, 10 * H))])
    routes = [route_of(p, "s", ["A"])]
    [opt] = insert(p, routes, "new", [ANY])
    # Both gaps cost no detour on a line; first, A still starts at 500 + 900 + 500 = 1900 <= 2000.
    assert (opt.position, opt.added_travel) == (1, 0)
    assert_checked(p, routes, opt)
    tight = line_problem(
        [0, 1000, 500], [replace(jobs[0], deadline=1500), jobs[1]], [shift("s", window=(0, 10 * H))]
    )
    routes = [route_of(tight, "s", ["A"])]
    assert [o.position for o in insert(tight, routes, "new", [ANY])] == [2]
    lax = insert(tight, routes, "new", [ANY], protect_deadlines=False)
    assert [o.position for o in lax] == [1]  # the tie goes to the earlier gap once A may be late
    # Only the first gap can serve a window ending at 600; it would make A late.
    assert insert(tight, routes, "new", [tw(0, 600)]) == []
    [forced] = insert(tight, routes, "new", [tw(0, 600)], protect_deadlines=False)
    assert forced.position == 1


def test_a_depot_pickup_goes_right_before_the_job_and_its_detour_is_counted() -> None:
    jobs = [Job(id="A", location=1, service=600), Job(id="new", location=2, service=600)]
    # home 0 (open end), A 1000, new 3000, depots at 2000 (on the way) and 9000 (far)
    p = line_problem([0, 1000, 3000, 2000, 9000], jobs, [shift("s", end=None, window=(0, 10 * H))])
    routes = [route_of(p, "s", ["A"])]
    options = insert(p, routes, "new", [ANY], pickups={"s": (4, 3)})
    [opt] = options
    assert opt.depot == 3 and opt.position == 2
    assert opt.added_travel == 1000 + 1000  # A → depot → new; the route ends there
    # leave 0, A 1000-1600, depot 2600-3200 (10 min), new at 4200
    assert opt.start == 4200
    new_route = assert_checked(p, routes, opt)
    assert new_route.job_ids() == ("A", pickup_id("new"), "new")
    assert insert(p, routes, "new", [ANY], pickups={"s": ()}) == []
    # A later quote on that route: the pick-up is a stop, not a customer visit for max_jobs.
    stops = (*p.jobs, Job(id=pickup_id("new"), location=3, service=600), Job(id="x", location=1))
    for cap, expected in ((2, 0), (3, 1)):
        later_p = replace(p, jobs=stops, shifts=(replace(p.shifts[0], max_jobs=cap),))
        later = insert(later_p, [new_route], "x", [ANY])
        assert len(later) == expected
        for o in later:
            placed = assert_checked(later_p, [new_route], o, "x")
            # cap 3 admits a third customer only because the pick-up stop is not counted
            assert "x" in placed.job_ids() and sum(1 for j in placed.job_ids() if not is_pickup(j)) == 3


def test_a_pickup_waits_for_its_parts_to_arrive_and_windows_before_that_get_no_option() -> None:
    jobs = [Job(id="A", location=1, service=600), Job(id="new", location=2, service=600)]
    # home 0 (open end), A 1000, new 3000, depot 2000 on the way; the parts reach it at 2 h.
    p = line_problem([0, 1000, 3000, 2000], jobs, [shift("s", end=None, window=(0, 10 * H))])
    routes = [route_of(p, "s", ["A"])]
    [unhurried] = insert(p, routes, "new", [ANY], pickups={"s": (3,)})
    assert unhurried.start == 4200 and unhurried.depot_ready is None  # depot at 2600, no wait
    ready = 2 * H
    [opt] = insert(p, routes, "new", [ANY], pickups={"s": (3,)}, depot_ready={3: ready})
    assert (opt.depot, opt.depot_ready, opt.position) == (3, ready, 2)
    # at the depot by 2600, waits until 7200, 10 min there, 1000 s to the job
    assert (opt.arrival, opt.start) == (ready + 600 + 1000, ready + 1600)
    assert opt.added_travel == unhurried.added_travel  # waiting is not travel
    new_route = assert_checked(p, routes, opt)
    stop = next(st for st in new_route.steps if st.id == pickup_id("new"))
    assert (stop.arrival, stop.waiting_time) == (2600, ready - 2600)
    # The checker sees the wait too: without it, the stored times would disagree with it.
    checked, solution = checkable(p, routes, new_route, "new", opt.window, pickup_ready=ready)
    assert check(checked, solution).service_start[pickup_id("new")] == ready
    # A window that closes before the parts can be there and brought to the site: no option.
    assert insert(p, routes, "new", [tw(0, ready + 1000)], pickups={"s": (3,)}, depot_ready={3: ready}) == []
    [late] = insert(p, routes, "new", [tw(0, ready + 1600)], pickups={"s": (3,)}, depot_ready={3: ready})
    assert late.start == ready + 1600
    # The ready time applies to that depot only: another depot without one serves early.
    p2 = line_problem([0, 1000, 3000, 2000, 2500], jobs, [shift("s", end=None, window=(0, 10 * H))])
    both = insert(p2, routes, "new", [tw(0, H)], pickups={"s": (3, 4)}, depot_ready={3: ready})
    assert [(o.depot, o.depot_ready) for o in both] == [(4, None)]


def test_nothing_goes_before_a_visit_already_under_way() -> None:
    jobs = [Job(id="A", location=1, service=600), Job(id="new", location=2, service=600)]
    p = line_problem([0, 1000, 500], jobs, [shift("s", window=(0, 10 * H))])
    routes = [route_of(p, "s", ["A"])]
    assert [o.position for o in insert(p, routes, "new", [ANY])] == [1]  # a tie: the earlier gap
    assert [o.position for o in insert(p, routes, "new", [ANY], not_before=1001)] == [2]
    [opt] = insert(p, routes, "new", [tw(0, 700)])
    assert opt.position == 1
    assert insert(p, routes, "new", [tw(0, 700)], not_before=1200) == []


def test_empty_days_and_several_windows_give_one_best_option_per_window() -> None:
    lunch = Break(id="lunch", time_windows=(tw(4 * H, 5 * H),), duration=1800)
    jobs = [Job(id="new", location=1, service=1800)]
    shifts = [
        shift("near", window=(2 * H, 9 * H), breaks=(lunch,)),
        shift("far", start=2, end=2, window=(2 * H, 9 * H)),
    ]
    p = line_problem([0, 600, 3000], jobs, shifts)
    windows = [tw(2 * H, 4 * H), tw(4 * H, 6 * H), tw(8 * H, 10 * H), tw(9 * H, 11 * H)]
    options = insert(p, [], "new", windows)
    best = best_per_window(options)
    # 8-10 h: only "near" gets home by 9 h (600 s); 9-11 h: 30 min of service cannot end by 9 h.
    assert set(best) == set(windows[:3])
    assert all(o.shift_id == "near" and o.added_travel == 1200 for o in best.values())
    for o in options:
        assert_checked(p, [], o)
    assert empty_route(shifts[0]).steps[1].id == "lunch"


def _random_case(
    rng: random.Random,
) -> tuple[Problem, list[Route], list[TimeWindow], dict[str, tuple[int, ...]]]:
    n_jobs = rng.randint(0, 6)
    positions = [rng.randint(0, 4000) for _ in range(n_jobs + 4)]  # jobs, new job, home, 2 depots
    home, depots = n_jobs + 1, (n_jobs + 2, n_jobs + 3)
    jobs = []
    for i in range(n_jobs):
        a = rng.randint(0, 8 * H)
        jobs.append(
            Job(
                id=f"j{i}",
                location=i,
                service=rng.choice([300, 900, 1800]),
                time_windows=(tw(a, a + rng.choice([1800, 2 * H, 6 * H])),) if rng.random() < 0.7 else (),
                deadline=rng.randint(H, 10 * H) if rng.random() < 0.4 else None,
            )
        )
    jobs.append(Job(id="new", location=n_jobs, service=rng.choice([600, 1800, 3600])))
    breaks = (
        (Break(id="lunch", time_windows=(tw(4 * H, 5 * H),), duration=1800),) if rng.random() < 0.6 else ()
    )
    sh = Shift(
        id="s",
        engineer_id="e",
        start=home,
        end=home,
        time_window=tw(0, rng.choice([8 * H, 10 * H, 12 * H])),
        breaks=breaks,
        max_jobs=rng.choice([None, n_jobs + 1, n_jobs]),
    )
    x = np.asarray(positions, dtype=np.int64)
    d = np.abs(x[:, None] - x[None, :])
    p = Problem(
        locations=tuple(Location() for _ in positions),
        matrix=TravelMatrix(durations=d, distances=d * 7),
        jobs=tuple(jobs),
        shifts=(sh,),
    )
    order = [j.id for j in jobs[:-1]]
    rng.shuffle(order)
    if breaks:
        order.insert(rng.randint(0, len(order)), "lunch")
    route = route_of(p, "s", order)
    # keep only routes the checker accepts (dropping jobs until it does)
    while not check(*checkable(p, [route], route, "new", ANY)).feasible:
        first_job = order.index(next(o for o in order if o != "lunch"))
        order.pop(first_job)  # drop visits until the checker accepts the route
        route = route_of(p, "s", order)
    windows = [tw(h * H, (h + 2) * H) for h in range(0, 10, 2)]
    pickups: dict[str, tuple[int, ...]] = {"s": depots} if rng.random() < 0.3 else {}
    return p, [route], windows, pickups


def test_the_fast_insertion_agrees_with_brute_force_through_the_checker() -> None:
    rng = random.Random(7)
    compared = found = 0
    for _ in range(300):
        p, routes, windows, pickups = _random_case(rng)
        [route] = routes
        original = check(*checkable(p, routes, route, "new", ANY))
        on_time = {j for j in route.job_ids() if j not in original.lateness}
        fast = {o.window: o for o in insert(p, routes, "new", windows, pickups=pickups)}
        sh = p.shifts[0]
        for w in windows:
            best: int | None = None
            for pos in range(1, len(route.steps)):
                for depot in pickups.get("s", (None,)):
                    probe = Option(
                        shift_id="s",
                        engineer_id="e",
                        window=w,
                        position=pos,
                        depot=depot,
                        arrival=0,
                        start=0,
                        added_travel=0,
                        added_distance=0,
                    )
                    new_route = apply(p, route, probe, "new")
                    rep = check(*checkable(p, routes, new_route, "new", w))
                    customers = sum(1 for j in new_route.job_ids() if not is_pickup(j))
                    ok = (
                        rep.feasible
                        and not (on_time & set(rep.lateness))
                        and (sh.max_jobs is None or customers <= sh.max_jobs)
                    )
                    if ok:
                        added = new_route.travel_time - route.travel_time
                        best = added if best is None else min(best, added)
            compared += 1
            if best is None:
                assert w not in fast, (w, fast[w])
            else:
                found += 1
                assert w in fast and fast[w].added_travel == best
                assert_checked(p, routes, fast[w])
    assert compared == 1500 and found > 200 and compared - found > 50  # both branches exercised


def test_least_added_travel_bounds_every_feasible_insertion() -> None:
    """The bound the booking service prunes with is never above a real option's added travel."""
    from solver.insertion import least_added_travel

    rnd = random.Random(11)
    checked = 0
    for _ in range(120):
        problem, [route], windows, pickups = _random_case(rnd)
        bound = least_added_travel(problem, route, "new", pickups.get("s"))
        for o in insert(problem, [route], "new", windows, pickups=pickups):
            assert bound <= o.added_travel
            checked += 1
    assert checked > 50
