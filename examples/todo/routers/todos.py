"""Todos: the CRUD resource, each todo visible only to its owner (and admins).

    POST   /todos             201 Created, with a Location header
    GET    /todos             a page: ?limit=&offset=, ?done=, ?q= (text), ?order_by=
    GET    /todos/{id}        200, or 404 (also for someone else's todo: its existence
                              is not the caller's business)
    PUT    /todos/{id}        replace every field
    PATCH  /todos/{id}        change only the fields sent
    DELETE /todos/{id}        204 No Content; admins may delete anyone's
"""

from __future__ import annotations

from typing import Literal

from miniasgi import APIRouter, Depends, HTTPException, Query, Response, status
from miniorm import AsyncSession, escape_like, func, select

from ..database import get_session
from ..models import Todo, User, utc_now
from ..schemas import TodoCreate, TodoOut, TodoPage, TodoPatch, TodoReplace
from ..security import access, may

router = APIRouter(prefix="/todos", tags=["todos"])

owner = access.requires("todos:own")

# order_by comes from the query string: only these columns, never text pasted into SQL
OrderBy = Literal["created_at", "-created_at", "title", "-title", "id", "-id"]


async def find_todo(session: AsyncSession, todo_id: int, user: User, *, any_owner: bool = False) -> Todo:
    """The todo if `user` may touch it; `any_owner` lets admins reach everyone's."""
    todo = await session.get(Todo, todo_id)
    if todo is None or (todo.owner_id != user.id and not (any_owner and may(user, "todos:any"))):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no todo with id {todo_id}")
    return todo


@router.post("", response_model=TodoOut, status_code=status.HTTP_201_CREATED)
async def create_todo(body: TodoCreate, response: Response, session: AsyncSession = Depends(get_session),
                user: User = Depends(owner)):
    todo = Todo(owner_id=user.id, **body.model_dump())
    session.add(todo)
    await session.flush()  # the INSERT ... RETURNING fills todo.id
    response.headers["Location"] = f"/todos/{todo.id}"
    return todo


@router.get("", response_model=TodoPage)
async def list_todos(
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
    done: bool | None = None,
    q: str | None = Query(None, min_length=1, max_length=100, description="text in the title"),
    order_by: OrderBy = "-created_at",
    session: AsyncSession = Depends(get_session),
    user: User = Depends(owner),
):
    conditions = [Todo.owner_id == user.id]
    if done is not None:
        conditions.append(Todo.done == done)
    if q is not None:
        conditions.append(Todo.title.ilike(f"%{escape_like(q)}%"))
    counting = select(func.count()).select_from(Todo).where(*conditions)
    total = (await session.exec(counting)).scalar()
    page = select(Todo).where(*conditions).order_by(order_by).limit(limit).offset(offset)
    items = (await session.exec(page)).all()
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/{todo_id}", response_model=TodoOut)
async def read_todo(todo_id: int, session: AsyncSession = Depends(get_session),
              user: User = Depends(owner)):
    return await find_todo(session, todo_id, user)


@router.put("/{todo_id}", response_model=TodoOut)
async def replace_todo(todo_id: int, body: TodoReplace, session: AsyncSession = Depends(get_session),
                 user: User = Depends(owner)):
    return update(session, await find_todo(session, todo_id, user), body.model_dump())


@router.patch("/{todo_id}", response_model=TodoOut)
async def patch_todo(todo_id: int, body: TodoPatch, session: AsyncSession = Depends(get_session),
               user: User = Depends(owner)):
    changes = body.model_dump(exclude_unset=True)
    if changes.get("title", "") is None:
        raise HTTPException(422, "title may be changed but not removed")
    return update(session, await find_todo(session, todo_id, user), changes)


@router.delete("/{todo_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_todo(todo_id: int, session: AsyncSession = Depends(get_session),
                user: User = Depends(owner)):
    session.delete(await find_todo(session, todo_id, user, any_owner=True))


def update(session: AsyncSession, todo: Todo, changes: dict) -> Todo:
    for name, value in changes.items():
        setattr(todo, name, value)
    todo.updated_at = utc_now()
    session.add(todo)
    return todo
