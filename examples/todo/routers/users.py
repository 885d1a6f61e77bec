"""Users: register, read yourself, and (admins) list everyone."""

from __future__ import annotations

from miniasgi import APIRouter, Depends, HTTPException, Query, Response, status
from miniasgi.concurrency import run_in_threadpool
from miniauth.passwords import hash_password
from miniorm import AsyncSession, IntegrityError, select

from ..database import get_session
from ..models import User
from ..schemas import UserCreate, UserOut
from ..security import access, current_user, may

router = APIRouter(tags=["users"])


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def register(body: UserCreate, response: Response,
                   session: AsyncSession = Depends(get_session)):
    password_hash = await run_in_threadpool(hash_password, body.password)  # slow on purpose
    user = User(email=body.email.lower(), full_name=body.full_name, password_hash=password_hash)
    session.add(user)
    try:
        await session.flush()  # INSERT now, so a duplicate e-mail is caught here, not at commit
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"a user with e-mail {body.email.lower()} already exists") from None
    response.headers["Location"] = f"/users/{user.id}"
    return user


@router.get("/me", response_model=UserOut)
async def read_me(user: User = Depends(current_user)):
    return user


@router.get("/users", response_model=list[UserOut])
async def list_users(
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
    session: AsyncSession = Depends(get_session),
    admin: User = Depends(access.requires("users:list")),
):
    return (await session.exec(select(User).order_by(User.id).limit(limit).offset(offset))).all()


@router.get("/users/{user_id}", response_model=UserOut)
async def read_user(user_id: int, session: AsyncSession = Depends(get_session),
              user: User = Depends(current_user)):
    if user_id != user.id and not may(user, "users:list"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you may read only your own user")
    found = await session.get(User, user_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    return found
