"""API shapes for similar posts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from fanloop.insights.similar.service import AnsweredSuggestion, SimilarPost, StaffAnswer


class SimilarPostRead(BaseModel):
    id: int
    url: str
    title: str
    status: str
    kind: str
    board: str
    vote_count: int
    reply_count: int
    created_at: datetime
    similarity: float

    @classmethod
    def of(cls, post: SimilarPost) -> SimilarPostRead:
        return cls(
            id=post.id,
            url=f"/posts/{post.id}",
            title=post.title,
            status=post.status,
            kind=post.kind,
            board=post.board_slug,
            vote_count=post.vote_count,
            reply_count=post.reply_count,
            created_at=post.created_at,
            similarity=post.similarity,
        )


class StaffAnswerRead(BaseModel):
    reply_id: int
    author: str
    author_name: str
    body: str
    body_html: str
    created_at: datetime

    @classmethod
    def of(cls, answer: StaffAnswer) -> StaffAnswerRead:
        return cls(
            reply_id=answer.reply_id,
            author=answer.author_handle,
            author_name=answer.author_name,
            body=answer.body,
            body_html=answer.body_html,
            created_at=answer.created_at,
        )


class AnsweredSuggestionRead(BaseModel):
    post: SimilarPostRead
    answers: list[StaffAnswerRead]

    @classmethod
    def of(cls, suggestion: AnsweredSuggestion) -> AnsweredSuggestionRead:
        return cls(
            post=SimilarPostRead.of(suggestion.post),
            answers=[StaffAnswerRead.of(answer) for answer in suggestion.answers],
        )
