"""The versioned JSON API, assembled from the domains."""

from fastapi import APIRouter

from fanloop.api.v1 import auth, members, posts

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth.router)
api_router.include_router(members.router)
api_router.include_router(posts.router)
