"""The supervisors' dashboard: what the pool holds now, as they see it."""

from __future__ import annotations

from datetime import datetime

from interpreter_pool.events import StaffStatusChanged
from interpreter_pool.pool import Pool
from signaling.payloads import (
    DashboardNotice,
    LiveSession,
    QueueFigures,
    StaffPresenceNotice,
)


def presence_notice(pool: Pool, presence: StaffStatusChanged) -> StaffPresenceNotice:
    return StaffPresenceNotice(
        staff_id=presence.staff_id,
        display_name=pool.name_of(presence.staff_id),
        status=presence.status,
        reason=presence.reason,
        since=presence.since,
    )


def build_dashboard(pool: Pool, now: datetime) -> DashboardNotice:
    """Every queue, staff member and session in ``pool`` at ``now``."""
    return DashboardNotice(
        at=now,
        queues=[
            QueueFigures(
                service=skill.service,
                language=skill.language,
                waiting=count,
                longest_wait_seconds=max(0.0, (now - oldest).total_seconds()),
            )
            for skill, count, oldest in pool.queues()
        ],
        staff=[presence_notice(pool, p) for p in pool.everyone()],
        sessions=[
            LiveSession(
                room_id=s.room_id,
                case_id=s.case_id,
                service=s.skill.service,
                language=s.skill.language,
                staff_id=s.staff_id,
                staff_name=pool.name_of(s.staff_id),
                started_at=s.started_at,
                reconnecting=pool.is_held(s),
            )
            for s in pool.sessions()
        ],
    )
