"""The unit of work: what a session remembers, and what flush() must write. Pure.

A session collects changes in Python and writes them in one go (Fowler's
"Unit of Work" pattern, which SQLAlchemy's Session also follows):

- `add(obj)` of a new instance puts it in `new`; of a loaded one, does nothing
  more (it is already tracked);
- setting `obj.field = x` on a tracked instance records "field" in the
  instance's modified set (miniorm.model's `__setattr__`);
- `delete(obj)` puts it in `deleted`.

`plan_flush()` turns that into `FlushStep`s, in an order the foreign keys
accept: INSERTs in the order the objects were added, then UPDATEs of modified
columns, then DELETEs in reverse order of their call. Consecutive new objects of
one model become one batched step: on PostgreSQL a single multi-row
`INSERT ... VALUES (...), (...) RETURNING "id"` (one round trip for a thousand
rows), on SQLite one INSERT per row (in-process, no round trip to save). Each
step carries the function that records its outcome (a generated key lands on
its instance).

The **identity map** (`identity`) keeps one instance per (model, primary key)
inside a session: loading a row that is already there returns the same object,
so two queries never hand out two diverging copies of one row.

`SessionState` does no I/O: the blocking Session and the AsyncSession each run
its steps through their own connection. That is the sans-I/O core of the
sessions, as the compiler is the core of the queries.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .compiler import compile
from .dialects import Dialect
from .errors import SessionError
from .expressions import Parameter
from .model import MODIFICATION_COUNT
from .query import Insert, Select

_new_object = object.__new__

# PostgreSQL's wire protocol counts parameters in 16 bits; SQLite allows 32766.
MAX_PARAMETERS = 32766


class FlushStep:
    """One statement (run once per parameter row) and what to do with its result."""

    __slots__ = ("sql", "params_list", "record")

    def __init__(self, sql: str, params_list: list[list[Any]],
                 record: Callable[[list[tuple]], None]) -> None:
        self.sql, self.params_list, self.record = sql, params_list, record


class ModelPlan:
    """Per (model, dialect) facts computed once: SQL for get/insert and the row loader."""

    def __init__(self, model: Any, dialect: Dialect) -> None:
        table = model.__table__
        self.model = model
        self.key = table.primary_key
        self.names = table.column_names
        self.key_position = self.names.index(self.key.name)
        self.key_of = operator.itemgetter(self.key_position)
        self.converters = dialect.loader_converters(list(table.columns.values()))
        marker = Parameter(None, self.key)
        self.get_sql, _ = compile(
            Select((model,)).where(self.key.__eq__(marker)), dialect
        )
        self.key_dumper = dialect.dumper_for(self.key)
        self.dumpers = {name: dialect.dumper_for(column) for name, column in table.columns.items()
                        if dialect.dumper_for(column) is not None}
        self.insert_sql: dict[Any, str] = {}
        self.build = make_builder(self.names)

    def insert_sql_for(self, names: tuple[str, ...], dialect: Dialect) -> str:
        sql = self.insert_sql.get(names)
        if sql is None:
            query = Insert(self.model).returning(self.key)
            query.rows = ({name: None for name in names},)  # placeholders only: no defaults
            sql = compile(query, dialect)[0]
            self.insert_sql[names] = sql
        return sql

    def multi_row_insert_sql(self, names: tuple[str, ...], count: int, dialect: Dialect) -> str:
        """INSERT ... VALUES (...), (...) ... RETURNING key, for `count` rows."""
        key = (names, count)
        sql = self.insert_sql.get(key)
        if sql is None:
            head = self.insert_sql_for(names, dialect).partition(" VALUES ")[0]
            width = len(names)
            groups = ", ".join(
                "(" + ", ".join(dialect.placeholder(row * width + column + 1)
                                for column in range(width)) + ")"
                for row in range(count)
            )
            returning = dialect.quote(self.key.name)
            sql = self.insert_sql[key] = f"{head} VALUES {groups} RETURNING {returning}"
        return sql

    def load(self, rows: list[tuple], identity: IdentityMap) -> list[Any]:
        """Instances for `rows` (in the model's column order), through the identity map.

        A row whose key the session already tracks gives back the tracked instance
        (unchanged: call refresh() to re-read it); the other rows are built in one
        go and registered. Either way each key has exactly one instance.
        """
        if self.converters:
            rows = [self.convert(row) for row in rows]
        known = identity.of(self.model)
        key_of = self.key_of
        if not known:  # the common case: nothing of this model tracked yet
            instances = self.build(rows, _new_object, self.model)
            known.update(zip(map(key_of, rows), instances, strict=True))
            if len(known) == len(instances):
                return instances
        else:
            fresh = [row for row in rows if key_of(row) not in known]
            if fresh:
                known.update(zip(map(key_of, fresh), self.build(fresh, _new_object, self.model),
                                 strict=True))
        # Duplicate keys (a join repeating a row) or rows already tracked: one instance each.
        return [known[key] for key in map(key_of, rows)]

    def convert(self, row: tuple) -> list[Any]:
        values = list(row)
        for position, convert in self.converters:
            if values[position] is not None:
                values[position] = convert(values[position])
        return values


def make_builder(names: tuple[str, ...]) -> Callable[..., list[Any]]:
    """Write, for one model, a function that turns rows into instances quickly.

    The generated loop unpacks each row straight into the new instance's
    __dict__ (`state["id"], state["email"] = row`), about twice as fast as
    `__dict__.update(zip(names, row))`; dataclasses and attrs generate their
    __init__ the same way. The names are the model's own identifiers, quoted
    with repr(), so no outside text reaches the generated source.

    Tried and measured against this loop (1,000 rows of 5 columns, PostgreSQL,
    CPU time per fetch), none of them faster, so they are not used:

    - a psycopg row factory that returns the instance: psycopg still builds
      each row's tuple first, then makes one Python call per row to turn it
      into an instance, which costs what this loop's iteration saves (~700 us
      either way);
    - `object.__setattr__(instance, name, value)` per column, which skips
      creating the `__dict__` but pays five C calls per row (a little slower);
    - building on a subclass without the tracking `__setattr__` (plain attribute
      stores) and then setting `instance.__class__ = model`: no faster, and
      harder to read;
    - switching the cyclic garbage collector off while building: the objects
      still count towards its next run, which then has more to scan (slower:
      ~640 us against ~530 us per fetch).

    What remains is the price of an object per row: creating an instance and
    its `__dict__` (~150 us per 1,000) and the collector scanning 1,000
    instances that live on in the identity map, which tuples (untracked by
    the collector once it sees they hold only plain values) do not pay.
    """
    targets = ", ".join(f"state[{name!r}]" for name in names)
    source = (
        "def build(rows, new, model):\n"
        "    instances = []\n"
        "    append = instances.append\n"
        "    for row in rows:\n"
        "        instance = new(model)\n"
        "        state = instance.__dict__\n"
        f"        {targets}{',' if len(names) == 1 else ''} = row\n"
        "        append(instance)\n"
        "    return instances\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - source built above from field names only
    return namespace["build"]


class IdentityMap:
    """One instance per (model, primary key): `{model: {key: instance}}`."""

    def __init__(self) -> None:
        self.by_model: dict[type, dict[Any, Any]] = {}

    def of(self, model: type) -> dict[Any, Any]:
        known = self.by_model.get(model)
        if known is None:
            known = self.by_model[model] = {}
        return known

    def get(self, model: type, key: Any) -> Any:
        known = self.by_model.get(model)
        return None if known is None else known.get(key)

    def put(self, model: type, key: Any, instance: Any) -> None:
        self.of(model)[key] = instance

    def pop(self, model: type, key: Any) -> None:
        self.of(model).pop(key, None)

    def values(self) -> list[Any]:
        return [instance for known in self.by_model.values() for instance in known.values()]

    def clear(self) -> None:
        self.by_model.clear()


class SessionState:
    """Identity map, pending inserts and deletes; plans flushes. No connection."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.identity = IdentityMap()
        self.new: dict[int, Any] = {}  # id(instance) -> instance, in the order added
        self.deleted: dict[int, Any] = {}
        self.inserted_log: list[Any] = []  # for undoing inserts on a savepoint rollback
        # Plans hold no session state, so every session of one database shares them:
        # a per-request session then pays nothing to set them up again.
        self.plans: dict[type, ModelPlan] = dialect.model_plans
        self.seen_modifications = -1

    def plan(self, model: Any) -> ModelPlan:
        plan = self.plans.get(model)
        if plan is None:
            plan = self.plans[model] = ModelPlan(model, self.dialect)
        return plan

    def add(self, instance: Any) -> None:
        if not hasattr(type(instance), "__table__"):
            raise SessionError(f"add() takes model instances, got {instance!r}")
        if getattr(instance, "_orm_new", False):
            self.new[id(instance)] = instance
        else:
            key = instance.__dict__[type(instance).__table__.primary_key.name]
            self.identity.put(type(instance), key, instance)
            if getattr(instance, "_orm_modified", None):
                self.seen_modifications = -1  # changed before we tracked it: look again

    def delete(self, instance: Any) -> None:
        if self.new.pop(id(instance), None) is None:
            self.deleted[id(instance)] = instance

    def has_changes(self) -> bool:
        if self.new or self.deleted:
            return True
        if MODIFICATION_COUNT[0] == self.seen_modifications:
            return False  # no column was set anywhere since we last looked
        if any(getattr(instance, "_orm_modified", None) for instance in self.identity.values()):
            return True
        self.seen_modifications = MODIFICATION_COUNT[0]
        return False

    # -- planning a flush -------------------------------------------------
    def plan_flush(self) -> list[FlushStep]:
        self.seen_modifications = MODIFICATION_COUNT[0]
        steps = self._insert_steps()
        steps += self._update_steps()
        steps += self._delete_steps()
        return steps

    def _insert_steps(self) -> list[FlushStep]:
        steps: list[FlushStep] = []
        batch: list[Any] = []
        batch_signature: tuple | None = None
        for instance in self.new.values():
            signature = (type(instance), self._insert_names(instance))
            if batch and (signature != batch_signature
                          or len(batch) * len(signature[1]) >= MAX_PARAMETERS - len(signature[1])):
                steps.append(self._insert_step(batch, batch_signature))
                batch = []
            batch.append(instance)
            batch_signature = signature
        if batch:
            steps.append(self._insert_step(batch, batch_signature))
        self.new = {}
        return steps

    def _insert_names(self, instance: Any) -> tuple[str, ...]:
        table = type(instance).__table__
        state = instance.__dict__
        key = table.primary_key
        return tuple(name for name in table.column_names
                     if not (name == key.name and key.autoincrement and state.get(name) is None))

    def _insert_step(self, batch: list[Any], signature: Any) -> FlushStep:
        model, names = signature
        plan = self.plan(model)
        dialect = self.dialect
        dumpers = [plan.dumpers.get(name) for name in names]
        params_list = []
        for instance in batch:
            state = instance.__dict__
            params_list.append([
                state.get(name) if dump is None or state.get(name) is None
                else dump(state.get(name))
                for name, dump in zip(names, dumpers, strict=True)
            ])
        key_name = plan.key.name
        generated = plan.key.autoincrement and key_name not in names

        def record(rows: list[tuple]) -> None:
            keys = [row[0] for row in rows]
            if generated and len(keys) > 1:
                # One multi-row INSERT: the database draws identity values in the
                # order it inserts the VALUES rows, but RETURNING's order is not
                # promised; sorted keys line up with the rows as given.
                keys.sort()
            for instance, key in zip(batch, keys, strict=True):
                object.__setattr__(instance, "_orm_new", False)
                object.__setattr__(instance, "_orm_modified", None)
                instance.__dict__[key_name] = key
                self.identity.put(model, key, instance)
                self.inserted_log.append(instance)

        if dialect.multi_row_insert and len(batch) > 1:
            flat = [value for params in params_list for value in params]
            return FlushStep(plan.multi_row_insert_sql(names, len(batch), dialect), [flat], record)
        return FlushStep(plan.insert_sql_for(names, dialect), params_list, record)

    def _update_steps(self) -> list[FlushStep]:
        steps = []
        for instance in list(self.identity.values()):
            modified = getattr(instance, "_orm_modified", None)
            if not modified or id(instance) in self.deleted:
                continue
            from .query import update

            table = type(instance).__table__
            key = table.primary_key
            if key.name in modified:
                raise SessionError(
                    f"{type(instance).__name__}.{key.name} was changed on a stored row; a primary "
                    "key identifies the row and cannot be updated here: delete the row and add a "
                    "new one (or run update(...) yourself)"
                )
            values = {name: instance.__dict__.get(name) for name in table.column_names
                      if name in modified}
            query = update(type(instance)).values(values).where(
                key == instance.__dict__[key.name])
            sql, params = compile(query, self.dialect)
            steps.append(FlushStep(sql, [params], _clear_modified(instance)))
        return steps

    def _delete_steps(self) -> list[FlushStep]:
        from .query import delete

        steps = []
        for instance in reversed(list(self.deleted.values())):
            model = type(instance)
            key = model.__table__.primary_key
            key_value = instance.__dict__.get(key.name)
            sql, params = compile(delete(model).where(key == key_value), self.dialect)

            def record(rows: list[tuple], model=model, key_value=key_value) -> None:
                self.identity.pop(model, key_value)

            steps.append(FlushStep(sql, [params], record))
        self.deleted = {}
        return steps

    # -- transaction outcomes ---------------------------------------------
    def forget_everything(self) -> None:
        """After a rollback nothing the session knew is sure; start clean."""
        self.identity.clear()
        self.new.clear()
        self.deleted.clear()
        self.inserted_log.clear()

    def undo_inserts_since(self, mark: int) -> None:
        """A savepoint rolled back: rows inserted after it do not exist any more."""
        for instance in self.inserted_log[mark:]:
            key = instance.__dict__.get(type(instance).__table__.primary_key.name)
            self.identity.pop(type(instance), key)
        del self.inserted_log[mark:]


def _clear_modified(instance: Any) -> Callable[[list[tuple]], None]:
    def record(rows: list[tuple]) -> None:
        object.__setattr__(instance, "_orm_modified", None)
    return record
