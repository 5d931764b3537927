"""Technician routing and scheduling instances of Pillac, Guéret & Medaglia (2013).

Text format (see ``../shared/bench/trsp/README.md``): a central depot (id 0) where tools and
spare parts can be replenished, technicians (ids 1..crew) with their home, skills, tools and
initial spare-part stock, and requests (Solomon customers) needing skills (all of them), tools
(not consumed) and spare-part quantities (consumed). Travel time = Euclidean distance. The
published objective is total working time (travel + service + waiting, home to home).

This module only reads; turning an instance into a solver `Problem` needs depot pick-ups in
the routing model (parts-aware routing), which is where tools behave like parts that are not
consumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
