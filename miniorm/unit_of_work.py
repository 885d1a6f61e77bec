"""The unit of work: what a session remembers, and what flush() must write. Pure.

A session collects changes in Python and writes them in one go (Fowler's
"Unit of Work" pattern, which SQLAlchemy's Session also follows):

- `add(obj)` of a new instance puts it in `new`; of a loaded one, does nothing
  more (it is already tracked);
- every tracked instance carries a snapshot of its row as last read or
  written (miniorm.model); a column whose value is neither the snapshot's
  object nor equal to it has been changed;
- `delete(obj)` puts it in `deleted`.

`plan_flush()` turns that into `FlushStep`s, in an order the foreign keys
accept: INSERTs in the order the objects were added, then UPDATEs of changed
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

import copy
import itertools
import operator
from collections.abc import Callable
from typing import Any

from .compiler import compile
from .dialects import Dialect
from .errors import SessionError
from .expressions import Parameter
from .query import Insert, Select

_new_object = object.__new__

# PostgreSQL's wire protocol counts parameters in 16 bits; SQLite allows 32766.
MAX_PARAMETERS = 32766

# Kinds whose values can be changed in place (`todo.tags.append("x")`): the
# snapshot keeps a copy of them, which such a change leaves behind.
MUTABLE_KINDS = frozenset({"json"})


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
        self.mutable_positions = tuple(
            position for position, column in enumerate(table.columns.values())
            if column.kind in MUTABLE_KINDS
        )
        marker = Parameter(None, self.key)
        self.get_sql, _ = compile(
            Select((model,)).where(self.key.__eq__(marker)), dialect
        )
        self.key_dumper = dialect.dumper_for(self.key)
        self.dumpers = {name: dialect.dumper_for(column) for name, column in table.columns.items()
                        if dialect.dumper_for(column) is not None}
        self.insert_sql: dict[Any, str] = {}
        functions = make_row_functions(self.names, self.mutable_positions)
        self.build = functions["build"]
        self.values_of = functions["values_of"]
        self.changed_among = functions["changed_among"]

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

    def load(self, rows: list[tuple], identity: IdentityMap,
             distinct_keys: bool = False) -> list[Any]:
        """Instances for `rows` (in the model's column order), through the identity map.

        A row whose key the session already tracks gives back the tracked instance
        (unchanged: call refresh() to re-read it); the other rows are built in one
        go and registered. Either way each key has exactly one instance.
        `distinct_keys` is the caller's promise that no key repeats in `rows` (a
        select of one model with no join): the map may then index them later.
        """
        if self.converters:
            rows = [self.convert(row) for row in rows]
        key_of = self.key_of
        if not identity.tracks(self.model):  # the common case
            instances = self.build(rows, _new_object, self.model, self.snapshot)
            if distinct_keys:
                identity.put_unindexed(self.model, rows, key_of, instances)
                return instances
            known = identity.of(self.model)
            known.update(zip(map(key_of, rows), instances, strict=True))
            if len(known) == len(instances):
                return instances
        else:
            known = identity.of(self.model)
            fresh = [row for row in rows if key_of(row) not in known]
            if fresh:
                known.update(zip(map(key_of, fresh),
                                 self.build(fresh, _new_object, self.model, self.snapshot),
                                 strict=True))
        # Duplicate keys (a join repeating a row) or rows already tracked: one instance each.
        return [known[key] for key in map(key_of, rows)]

    def convert(self, row: tuple) -> tuple:
        values = list(row)
        for position, convert in self.converters:
            if values[position] is not None:
                values[position] = convert(values[position])
        return tuple(values)

    def snapshot(self, values: tuple) -> tuple:
        """`values` (a row, in column order) as an instance's snapshot.

        The snapshot shares the row's values with the instance; JSON values alone
        are copied, so that a list or dict changed in place differs from its copy.
        """
        if not self.mutable_positions:
            return values
        copied = list(values)
        for position in self.mutable_positions:
            copied[position] = copy.deepcopy(copied[position])
        return tuple(copied)

    def changed_names(self, instance: Any) -> list[str]:
        """The columns of a tracked `instance` that differ from its snapshot, in table order.

        "Differ" as in `changed_among`'s tuple comparison: neither the same object
        nor equal.
        """
        now, loaded = self.values_of(instance), instance._orm_loaded
        return [name for name, value, old in zip(self.names, now, loaded, strict=True)
                if value is not old and value != old]


def make_row_functions(names: tuple[str, ...],
                       mutable_positions: tuple[int, ...]) -> dict[str, Callable[..., Any]]:
    """Write, for one model, the three functions that run once per row or instance.

    For a model with columns id, name, tags (tags JSON) the source is:

        def build(rows, new, model, snapshot):
            return [instance for instance, (instance.id, instance.name, instance.tags,),
                    instance._orm_loaded in zip(map(new, repeat(model)), rows, map(snapshot, rows))]

        def values_of(instance):
            return (instance.id, instance.name, instance.tags,)

        def changed_among(instances):
            return [instance for instance in instances
                    if (instance.id, instance.name, instance.tags,) != instance._orm_loaded]

    (a model without JSON columns keeps `rows` themselves as snapshots, where
    this one has `map(snapshot, rows)`). The names are the model's own
    identifiers, so no outside text reaches the generated source.

    `build` is one comprehension whose `for` target does all the work: for each
    row, a new instance from `new(model)` (object.__new__: no __init__), the
    row unpacked into its attributes, and the row, a tuple, kept as its
    snapshot. There is no loop body left to run. The attribute stores are
    plain ones, as in the __init__ that dataclasses and attrs generate, so
    CPython keeps the values in the compact layout it shares among a class's
    instances and never creates the instance's `__dict__` object.

    `changed_among` is what a flush (and every autoflush) runs over the tracked
    instances: one tuple comparison each, which tries identity before equality
    item by item, so an unchanged instance costs no `__eq__` call at all.

    Measured on 1,000 rows of 5 columns (Python 3.11, PostgreSQL; client CPU
    per fetch, raw psycopg's fetchall() ~550 us):

    - storing into `instance.__dict__`, which the tracking `__setattr__` of
      earlier versions forced: ~1,220 us per fetch in all;
    - plain attribute stores, with the model's Columns still in the class's
      __dict__: ~1,090 us (CPython 3.11 does not specialize attribute access on
      such a name: see ModelMeta.__getattr__ for where the Columns went);
    - plain stores and no Columns on the class: ~940 us; the comprehension
      here runs ~4% fewer instructions than the same stores in a `for` loop
      with `append`.

    Counted with callgrind (PYTHONHASHSEED=0, steadier than a clock on a shared
    machine): 8.2 million instructions per fetch before, 6.1 million now, raw
    psycopg 3.8 million.

    What remains is the price of an object per row, in instructions (callgrind):
    about a third is the cyclic garbage collector, which 1,000 new live objects
    wake up once per fetch (raw fetchall() reuses freed tuples and never wakes
    it), a third is creating and later freeing the instances, a third is the
    comprehension itself.

    Tried and not used, none faster than what is here:

    - a psycopg row factory that returns the instance: psycopg still builds
      each row's tuple first, then makes one Python call per row;
    - `object.__setattr__(instance, name, value)` per column (the way around
      a `__setattr__` hook): five C calls per row, a little slower than
      `__dict__` stores;
    - building on a subclass without the hook and then setting
      `instance.__class__ = model`: CPython turns the compact values into a
      `__dict__` when the class changes, so nothing is saved;
    - creating all the blank instances first (`list(map(new, ...))`), then
      filling them: ~80% more instructions than filling each one as it is made;
    - switching the cyclic garbage collector off while building: the objects
      still count towards its next run, and it is a process-wide switch that
      a library has no business flipping.
    """
    targets = ", ".join(f"instance.{name}" for name in names) + ","
    snapshots = "map(snapshot, rows)" if mutable_positions else "rows"
    source = (
        "def build(rows, new, model, snapshot):\n"
        f"    return [instance for instance, ({targets}), instance._orm_loaded\n"
        f"            in zip(map(new, repeat(model)), rows, {snapshots})]\n"
        "\n"
        "def values_of(instance):\n"
        f"    return ({targets})\n"
        "\n"
        "def changed_among(instances):\n"
        "    return [instance for instance in instances\n"
        f"            if ({targets}) != instance._orm_loaded]\n"
    )
    namespace: dict[str, Any] = {"repeat": itertools.repeat}
    exec(source, namespace)  # noqa: S102 - source built above from field names only
    return namespace


class IdentityMap:
    """One instance per (model, primary key): `{model: {key: instance}}`.

    The index costs ~70 us per 1,000 loaded rows to build, and a session that
    serves one web request seldom looks a row up by key after loading it. So
    the instances of a query whose keys are distinct and new to the session wait
    in `unindexed`, and join the index the first time anything asks about their
    model: another load, get(), add(), a flush that writes them. A flush that
    only looks for changes goes through them without indexing them.
    """

    def __init__(self) -> None:
        self.by_model: dict[type, dict[Any, Any]] = {}
        # model -> (rows, key_of, instances) batches: `key_of(row)` is each instance's key.
        self.unindexed: dict[type, list[tuple[list, Callable, list]]] = {}

    def tracks(self, model: type) -> bool:
        """Whether any instance of `model` is in the map."""
        return bool(self.by_model.get(model)) or model in self.unindexed

    def put_unindexed(self, model: type, rows: list, key_of: Callable, instances: list) -> None:
        """Track `instances`, built from `rows`; their keys must be distinct and untracked."""
        self.unindexed.setdefault(model, []).append((rows, key_of, instances))

    def of(self, model: type) -> dict[Any, Any]:
        """The `{key: instance}` index of `model` (built now if instances wait for it)."""
        known = self.by_model.get(model)
        if known is None:
            known = self.by_model[model] = {}
        batches = self.unindexed.pop(model, None)
        if batches:
            for rows, key_of, instances in batches:
                known.update(zip(map(key_of, rows), instances, strict=True))
        return known

    def get(self, model: type, key: Any) -> Any:
        if model in self.unindexed:
            return self.of(model).get(key)
        known = self.by_model.get(model)
        return None if known is None else known.get(key)

    def put(self, model: type, key: Any, instance: Any) -> None:
        self.of(model)[key] = instance

    def pop(self, model: type, key: Any) -> None:
        self.of(model).pop(key, None)

    def instances_by_model(self) -> list[tuple[type, list[Any]]]:
        """Every tracked instance, grouped by model, indexed or not."""
        groups = {model: list(known.values()) for model, known in self.by_model.items()}
        for model, batches in self.unindexed.items():
            group = groups.setdefault(model, [])
            for _, _, instances in batches:
                group.extend(instances)
        return list(groups.items())

    def clear(self) -> None:
        self.by_model.clear()
        self.unindexed.clear()


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

    def plan(self, model: Any) -> ModelPlan:
        plan = self.plans.get(model)
        if plan is None:
            plan = self.plans[model] = ModelPlan(model, self.dialect)
        return plan

    def add(self, instance: Any) -> None:
        if not hasattr(type(instance), "__table__"):
            raise SessionError(f"add() takes model instances, got {instance!r}")
        if getattr(instance, "_orm_loaded", None) is None:
            self.new[id(instance)] = instance
        else:  # stored before, perhaps by another session: its snapshot tells what changed
            key = getattr(instance, type(instance).__table__.primary_key.name)
            self.identity.put(type(instance), key, instance)

    def delete(self, instance: Any) -> None:
        if self.new.pop(id(instance), None) is None:
            self.deleted[id(instance)] = instance

    def has_changes(self) -> bool:
        """Whether a flush would write anything. Runs before every statement (autoflush).

        Nothing tells the session that a column was set, so it compares every
        tracked instance with its snapshot: ~0.1 us an instance, ~0.1 ms before
        each statement of a session that holds 1,000 of them.
        """
        if self.new or self.deleted:
            return True
        if not (self.identity.by_model or self.identity.unindexed):
            return False  # nothing tracked: the usual state of a fresh session
        for model, instances in self.identity.instances_by_model():
            if self.plan(model).changed_among(instances):
                return True
        return False

    # -- planning a flush -------------------------------------------------
    def plan_flush(self) -> list[FlushStep]:
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
        key = table.primary_key
        if key.autoincrement and getattr(instance, key.name, None) is None:
            return tuple(name for name in table.column_names if name != key.name)
        return table.column_names

    def _insert_step(self, batch: list[Any], signature: Any) -> FlushStep:
        model, names = signature
        plan = self.plan(model)
        dialect = self.dialect
        values_of = plan.values_of
        dumpers = [(plan.names.index(name), plan.dumpers.get(name)) for name in names]
        params_list = []
        for instance in batch:
            values = values_of(instance)
            params_list.append([
                values[position] if dump is None or values[position] is None
                else dump(values[position])
                for position, dump in dumpers
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
                setattr(instance, key_name, key)
                instance._orm_loaded = plan.snapshot(values_of(instance))
                self.identity.put(model, key, instance)
                self.inserted_log.append(instance)

        if dialect.multi_row_insert and len(batch) > 1:
            flat = [value for params in params_list for value in params]
            return FlushStep(plan.multi_row_insert_sql(names, len(batch), dialect), [flat], record)
        return FlushStep(plan.insert_sql_for(names, dialect), params_list, record)

    def _update_steps(self) -> list[FlushStep]:
        from .query import update

        steps = []
        for model, instances in self.identity.instances_by_model():
            plan = self.plan(model)
            key = plan.key
            for instance in plan.changed_among(instances):
                if id(instance) in self.deleted:
                    continue
                changed = plan.changed_names(instance)
                if key.name in changed:
                    raise SessionError(
                        f"{model.__name__}.{key.name} was changed on a stored row; a primary key "
                        "identifies the row and cannot be updated here: delete the row and add "
                        "a new one (or run update(...) yourself)"
                    )
                values = {name: getattr(instance, name) for name in changed}
                query = update(model).values(values).where(key == getattr(instance, key.name))
                sql, params = compile(query, self.dialect)
                steps.append(FlushStep(sql, [params], _renew_snapshot(plan, instance)))
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


def _renew_snapshot(plan: ModelPlan, instance: Any) -> Callable[[list[tuple]], None]:
    """After an UPDATE: the instance's values are now the row's."""
    def record(rows: list[tuple]) -> None:
        instance._orm_loaded = plan.snapshot(plan.values_of(instance))
    return record
