"""One router per resource: auth (tokens), users, todos."""
