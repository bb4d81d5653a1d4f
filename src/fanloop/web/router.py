"""The HTML pages, assembled from the per-domain route modules."""

from fastapi import APIRouter, Depends

from fanloop.web import (  # noqa: F401
    auth,
    beta,
    campaigns,
    changelog,
    channels,
    community,
    deliveries,
    desk,
    desk_admin,
    growth,
    inbox,
    kpis,
    members,
    notifications,
    painpoints,
    posts,
    presenters,
    release_feedback,
    release_reports,
    releases,
    roadmap,
    rota,
    similar,
    staff,
)
from fanloop.web.deps import page_state

web_router = APIRouter(dependencies=[Depends(page_state)], include_in_schema=False)
web_router.include_router(community.router)
web_router.include_router(posts.router)
web_router.include_router(deliveries.router)
web_router.include_router(similar.router)
web_router.include_router(members.router)
web_router.include_router(auth.router)
web_router.include_router(staff.router)
web_router.include_router(inbox.router)
web_router.include_router(desk.router)
web_router.include_router(desk_admin.router)
web_router.include_router(rota.router)
web_router.include_router(notifications.router)
web_router.include_router(kpis.router)
web_router.include_router(growth.router)
web_router.include_router(painpoints.router)
web_router.include_router(roadmap.router)
web_router.include_router(changelog.router)
web_router.include_router(changelog.feeds)
web_router.include_router(releases.router)
web_router.include_router(release_feedback.router)
web_router.include_router(release_reports.router)
web_router.include_router(beta.router)
web_router.include_router(channels.router)
web_router.include_router(campaigns.router)
