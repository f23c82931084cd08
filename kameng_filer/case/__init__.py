"""The case record: model, enums and the loader."""

from kameng_filer.case.loader import LoadResult, load_case, load_case_text
from kameng_filer.case.model import (
    PROBLEM_FAMILY,
    PROBLEM_LABELS,
    Case,
    Contact,
    ContactWith,
    Demand,
    DemandType,
    Evidence,
    EvidenceKind,
    PaymentMethod,
    ProblemType,
)

__all__ = [
    "PROBLEM_FAMILY",
    "PROBLEM_LABELS",
    "Case",
    "Contact",
    "ContactWith",
    "Demand",
    "DemandType",
    "Evidence",
    "EvidenceKind",
    "LoadResult",
    "PaymentMethod",
    "ProblemType",
    "load_case",
    "load_case_text",
]
