"""The ORM: every table, importable from one place (Alembic autogenerate reads this)."""

from dispatch.models.access import Role, User
from dispatch.models.base import Base, utcnow
from dispatch.models.bookings import Booking, PartReservation, Quote, ReservationStatus
from dispatch.models.customers import Asset, Calendar, Contract, Customer, Site, SlaPolicy
from dispatch.models.jobs import Job, JobEvent, JobPart, JobSkill, JobStatus, JobWindow, ServiceReport
from dispatch.models.organisation import Depot, DepotLane, Engineer, EngineerSkill, Shift, Territory
from dispatch.models.parts import Part, Stock
from dispatch.models.plans import Plan, PlanRun, PlanStatus, Route, RunStatus, UnassignedJob, Visit
from dispatch.models.sla import Escalation, OutboxMessage, SurveyResponse

__all__ = [
    "Asset",
    "Base",
    "Booking",
    "Calendar",
    "Contract",
    "Customer",
    "Depot",
    "DepotLane",
    "Engineer",
    "EngineerSkill",
    "Escalation",
    "Job",
    "JobEvent",
    "JobPart",
    "JobSkill",
    "JobStatus",
    "JobWindow",
    "OutboxMessage",
    "Part",
    "PartReservation",
    "Plan",
    "PlanRun",
    "PlanStatus",
    "Quote",
    "ReservationStatus",
    "Role",
    "Route",
    "RunStatus",
    "ServiceReport",
    "Shift",
    "Site",
    "SlaPolicy",
    "Stock",
    "SurveyResponse",
    "Territory",
    "UnassignedJob",
    "User",
    "Visit",
    "utcnow",
]
