"""The versioned JSON API, assembled from the domains."""

from fastapi import APIRouter

from fanloop.api.v1 import (
    auth,
    campaigns,
    channels,
    deliveries,
    growth,
    kpis,
    members,
    notifications,
    painpoints,
    posts,
    release_feedback,
    releases,
    similar,
    webhooks,
)
from fanloop.api.v1 import service as service_desk

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth.router)
api_router.include_router(members.router)
# Before posts: its /posts/{post_id} would take /posts/similar.
api_router.include_router(similar.router)
api_router.include_router(posts.router)
api_router.include_router(deliveries.router)
api_router.include_router(notifications.router)
api_router.include_router(webhooks.router)
api_router.include_router(service_desk.router)
api_router.include_router(kpis.router)
api_router.include_router(growth.router)
api_router.include_router(painpoints.router)
api_router.include_router(releases.router)
api_router.include_router(release_feedback.router)
api_router.include_router(campaigns.router)
api_router.include_router(channels.router)
