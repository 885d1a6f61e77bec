"""Tokens: log in with the OAuth2 password flow, refresh, and log out.

POST /token takes a form (RFC 6749 §4.3.2: username, password) and answers an
access token (short-lived) and a refresh token (long-lived, single use: each
refresh returns a new pair and retires the old refresh token, and reusing a
retired one revokes the whole login — RFC 9700 §4.14.2's rotation). POST
/logout revokes the login the refresh token belongs to, on every device that
shares it.
"""

from __future__ import annotations

from miniasgi import APIRouter, Depends, HTTPException, status
from miniasgi.concurrency import run_in_threadpool
from miniauth.errors import InvalidTokenError
from miniauth.passwords import hash_password, needs_rehash, verify_password
from miniauth.security import OAuth2PasswordRequestForm
from miniauth.tokens import TokenIssuer
from miniorm import AsyncSession, select

from ..database import get_session
from ..models import User
from ..schemas import RefreshRequest, TokenOut
from ..security import get_token_issuer

router = APIRouter(tags=["auth"])

# Verified against when the e-mail is unknown, so "no such user" and "wrong
# password" take the same time and an attacker cannot probe which e-mails exist.
DUMMY_HASH = hash_password("not a real password")


@router.post("/token", response_model=TokenOut)
async def log_in(
    form: OAuth2PasswordRequestForm = Depends(),
    session: AsyncSession = Depends(get_session),
    issuer: TokenIssuer = Depends(get_token_issuer),
):
    user = (await session.exec(select(User).where(User.email == form.username.lower()))).first()
    # scrypt is deliberately slow CPU work: run it in a thread, not on the event loop
    stored = user.password_hash if user else DUMMY_HASH
    if not await run_in_threadpool(verify_password, form.password, stored) or not user:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "incorrect e-mail or password",
                            headers={"WWW-Authenticate": "Bearer"})
    if needs_rehash(user.password_hash):  # parameters were raised since this hash was made
        user.password_hash = await run_in_threadpool(hash_password, form.password)
        session.add(user)
    return issuer.issue(str(user.id), claims={"roles": user.roles}).as_response()


@router.post("/token/refresh", response_model=TokenOut)
async def refresh(body: RefreshRequest, issuer: TokenIssuer = Depends(get_token_issuer)):
    try:
        return issuer.refresh(body.refresh_token).as_response()
    except InvalidTokenError as error:
        raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def log_out(body: RefreshRequest, issuer: TokenIssuer = Depends(get_token_issuer)):
    issuer.revoke(body.refresh_token, everywhere=True)
