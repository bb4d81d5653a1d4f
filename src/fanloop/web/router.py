"""The HTML pages, assembled from the per-domain route modules."""

from fastapi import APIRouter, Depends

from fanloop.web import auth, community, members, posts, presenters, staff  # noqa: F401
from fanloop.web.deps import page_state

web_router = APIRouter(dependencies=[Depends(page_state)], include_in_schema=False)
web_router.include_router(community.router)
web_router.include_router(posts.router)
web_router.include_router(members.router)
web_router.include_router(auth.router)
web_router.include_router(staff.router)
