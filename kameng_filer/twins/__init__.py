"""Twins: local replicas of the real complaint channels, served on 127.0.0.1 for tests and the demo."""

from __future__ import annotations

from kameng_filer.twins.registry import TwinSet, astart_twins, available, create_twin, start_twins
from kameng_filer.twins.server import TwinServer

__all__ = ["TwinServer", "TwinSet", "astart_twins", "available", "create_twin", "start_twins"]
