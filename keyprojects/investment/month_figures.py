"""The figures tables (`ProjectMonthFigures`, `UnitMonthFigures`): how the database keeps them, rebuilds them
and checks them.

Triggers on the planned months and the monthly reports recompute the one project-month a row touches, in the
statement's own transaction: on PostgreSQL a PL/pgSQL function, on SQLite the same statements inside each
trigger. A write that bypasses the services (an import, the admin, a console, a test's fixture) cannot leave
the figures stale, and none of the write paths has to remember them.

A second layer rolls the project-months up per county-level unit, level and month: triggers on the
project-month figures add each change's difference to its unit-month (an upsert: one row, no rescan), and a
trigger on the projects moves a project's months when its unit or level changes.

The figures are never written by the application. `rebuild` recomputes both tables from plans and reports
(after a bulk load with the triggers off, or to repair); `differences` compares them with a full
recomputation, which the tests and `manage.py check_month_figures` use.
"""

# ruff: noqa: S608 -- every statement here is built from this module's constants, never from input

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from django.db import connection, connections, transaction

TABLE = "investment_projectmonthfigures"
PLAN_MONTHS = "investment_planmonth"
PLANS = "investment_annualplan"
REPORTS = "investment_monthlyreport"
COUNTED = "('submitted', 'verified', 'approved')"  # ReportStatus values that "including unverified" counts
COLUMNS = '(project_id, "year", "month", planned, completed, completed_unverified, reported, approved)'
UPDATE_ALL = (
    "planned = excluded.planned, completed = excluded.completed, "
    "completed_unverified = excluded.completed_unverified, reported = excluded.reported, "
    "approved = excluded.approved"
)


def refresh_statements(project: str, year: str, month: str) -> list[str]:
    """SQL that recomputes one project-month (SQL expressions for its key): an upsert of its figures while a
    planned month or a report of it exists, else the removal of its row."""
    key = f'project_id = {project} AND "year" = {year} AND "month" = {month}'
    plan_rows = (
        f"FROM {PLAN_MONTHS} pm JOIN {PLANS} ap ON ap.id = pm.plan_id "
        f'WHERE ap.project_id = {project} AND ap."year" = {year} AND pm."month" = {month}'
    )
    report_rows = (
        f'FROM {REPORTS} r WHERE r.project_id = {project} AND r."year" = {year} AND r."month" = {month}'
    )
    exists = f"(EXISTS (SELECT 1 {plan_rows}) OR EXISTS (SELECT 1 {report_rows}))"

    def of_report(expression: str) -> str:
        return f"COALESCE((SELECT {expression} {report_rows}), 0)"

    upsert = (
        f"INSERT INTO {TABLE} {COLUMNS} "
        f"SELECT {project}, {year}, {month}, COALESCE((SELECT SUM(pm.amount) {plan_rows}), 0), "
        + of_report("SUM(CASE WHEN r.status = 'approved' THEN r.completed_investment ELSE 0 END)")
        + ", "
        + of_report(f"SUM(CASE WHEN r.status IN {COUNTED} THEN r.completed_investment ELSE 0 END)")
        + ", "
        + of_report(f"MAX(CASE WHEN r.status IN {COUNTED} THEN 1 ELSE 0 END)")
        + " > 0, "
        + of_report("MAX(CASE WHEN r.status = 'approved' THEN 1 ELSE 0 END)")
        + f" > 0 WHERE {exists} "
        f'ON CONFLICT (project_id, "year", "month") DO UPDATE SET {UPDATE_ALL}'
    )
    remove = f"DELETE FROM {TABLE} WHERE {key} AND NOT {exists}"
    return [upsert, remove]


# Every project-month of the plans and reports, aggregated in one statement (both databases).
REBUILD = f"""
INSERT INTO {TABLE} {COLUMNS}
SELECT project_id, "year", "month", SUM(planned), SUM(completed), SUM(completed_unverified),
       MAX(reported) > 0, MAX(approved) > 0
FROM (
    SELECT ap.project_id, ap."year", pm."month", pm.amount AS planned, 0 AS completed,
           0 AS completed_unverified, 0 AS reported, 0 AS approved
    FROM {PLAN_MONTHS} pm JOIN {PLANS} ap ON ap.id = pm.plan_id
    UNION ALL
    SELECT r.project_id, r."year", r."month", 0,
           CASE WHEN r.status = 'approved' THEN r.completed_investment ELSE 0 END,
           CASE WHEN r.status IN {COUNTED} THEN r.completed_investment ELSE 0 END,
           CASE WHEN r.status IN {COUNTED} THEN 1 ELSE 0 END,
           CASE WHEN r.status = 'approved' THEN 1 ELSE 0 END
    FROM {REPORTS} r
) AS parts
GROUP BY project_id, "year", "month"
"""


UNITS = "investment_unitmonthfigures"
PROJECTS = "projects_project"
UNIT_COLUMNS = (
    '(unit_id, "level", "year", "month", planned, completed, completed_unverified, '
    "project_months, planned_months, reported_months, approved_months)"
)
UNIT_KEY = '(unit_id, "level", "year", "month")'
ADD_ALL = ", ".join(
    f"{column} = {UNITS}.{column} + excluded.{column}"
    for column in (
        "planned",
        "completed",
        "completed_unverified",
        "project_months",
        "planned_months",
        "reported_months",
        "approved_months",
    )
)


def _unit_amounts(row: str, sign: str = "", aggregate: bool = False) -> str:
    """The unit-month columns a project-month row (`row`, an alias or OLD/NEW) adds, times `sign`; with
    `aggregate`, summed over the rows of a group."""
    planned_month = f"{row}.planned > 0"
    parts = [
        f"{row}.planned",
        f"{row}.completed",
        f"{row}.completed_unverified",
        "1",
        f"CASE WHEN {planned_month} THEN 1 ELSE 0 END",
        f"CASE WHEN {planned_month} AND {row}.reported THEN 1 ELSE 0 END",
        f"CASE WHEN {planned_month} AND {row}.approved THEN 1 ELSE 0 END",
    ]
    if aggregate:
        parts = [f"SUM({part})" for part in parts]
    return ", ".join(f"{sign}{part}" for part in parts)


def _add_project_month(row: str, sign: str) -> list[str]:
    """Add (sign "") or take away (sign "-") one project-month row to its project's unit-month; a unit-month
    left with no project-month goes."""
    statements = [
        f"INSERT INTO {UNITS} {UNIT_COLUMNS} "
        f'SELECT p.county_id, p."level", {row}."year", {row}."month", {_unit_amounts(row, sign)} '
        f"FROM {PROJECTS} p WHERE p.id = {row}.project_id "
        f"ON CONFLICT {UNIT_KEY} DO UPDATE SET {ADD_ALL}"
    ]
    if sign:
        statements.append(
            f'DELETE FROM {UNITS} WHERE "year" = {row}."year" AND "month" = {row}."month" '
            f"AND project_months = 0 AND unit_id IN (SELECT county_id FROM {PROJECTS} WHERE id = {row}.project_id)"
        )
    return statements


def _move_project(row: str, sign: str) -> list[str]:
    """Add or take away all of a project's months (`row`: the project's OLD or NEW) to the unit-months of
    its unit and level: when the project changes unit or level, or goes."""
    statements = [
        f"INSERT INTO {UNITS} {UNIT_COLUMNS} "
        f'SELECT {row}.county_id, {row}."level", f."year", f."month", {_unit_amounts("f", sign, aggregate=True)} '
        f'FROM {TABLE} f WHERE f.project_id = {row}.id GROUP BY f."year", f."month" '
        f"ON CONFLICT {UNIT_KEY} DO UPDATE SET {ADD_ALL}"
    ]
    if sign:
        statements.append(
            f'DELETE FROM {UNITS} WHERE unit_id = {row}.county_id AND "level" = {row}."level" '
            "AND project_months = 0"
        )
    return statements


# Every unit-month, from the project-month figures (both databases).
REBUILD_UNITS = (
    f"INSERT INTO {UNITS} {UNIT_COLUMNS} "
    f'SELECT p.county_id, p."level", f."year", f."month", {_unit_amounts("f", aggregate=True)} '
    f"FROM {TABLE} f JOIN {PROJECTS} p ON p.id = f.project_id "
    f'GROUP BY p.county_id, p."level", f."year", f."month"'
)
UNIT_FIELDS = (
    'unit_id, "level", "year", "month", planned, completed, completed_unverified, '
    "project_months, planned_months, reported_months, approved_months"
)


def _postgresql_triggers() -> list[str]:
    refresh = "\n    ".join(s + ";" for s in refresh_statements("p_project", "p_year", "p_month"))
    return [
        f"""CREATE FUNCTION kp_month_figures_refresh(p_project bigint, p_year integer, p_month integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    {refresh}
END
$$""",
        """CREATE FUNCTION kp_month_figures_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM kp_month_figures_refresh(OLD.project_id, OLD."year", OLD."month");
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM kp_month_figures_refresh(NEW.project_id, NEW."year", NEW."month");
    END IF;
    RETURN NULL;
END
$$""",
        f"""CREATE FUNCTION kp_month_figures_plan_month() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plan record;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT project_id, "year" INTO plan FROM {PLANS} WHERE id = OLD.plan_id;
        IF FOUND THEN
            PERFORM kp_month_figures_refresh(plan.project_id, plan."year", OLD."month");
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT project_id, "year" INTO plan FROM {PLANS} WHERE id = NEW.plan_id;
        PERFORM kp_month_figures_refresh(plan.project_id, plan."year", NEW."month");
    END IF;
    RETURN NULL;
END
$$""",
        f"""CREATE TRIGGER kp_month_figures_report AFTER INSERT OR UPDATE OR DELETE ON {REPORTS}
    FOR EACH ROW EXECUTE FUNCTION kp_month_figures_report()""",
        f"""CREATE TRIGGER kp_month_figures_plan_month AFTER INSERT OR UPDATE OR DELETE ON {PLAN_MONTHS}
    FOR EACH ROW EXECUTE FUNCTION kp_month_figures_plan_month()""",
    ]


def _sqlite_triggers() -> list[str]:
    def plan_of(row: str, column: str) -> str:
        return f"(SELECT {column} FROM {PLANS} WHERE id = {row}.plan_id)"

    def body(rows: list[str], plan_month: bool) -> str:
        statements = []
        for row in rows:
            if plan_month:
                key = (plan_of(row, "project_id"), plan_of(row, '"year"'), f'{row}."month"')
            else:
                key = (f"{row}.project_id", f'{row}."year"', f'{row}."month"')
            statements += refresh_statements(*key)
        return " ".join(s + ";" for s in statements)

    triggers = []
    for table, name, plan_month in ((REPORTS, "report", False), (PLAN_MONTHS, "plan_month", True)):
        for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
            triggers.append(
                f"CREATE TRIGGER kp_month_figures_{name}_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {body(rows, plan_month)} END"
            )
    return triggers


# What makes a figures row differ (an update that changes none of these leaves its unit-month alone).
FIGURE_COLUMNS = (
    "project_id",
    "year",
    "month",
    "planned",
    "completed",
    "completed_unverified",
    "reported",
    "approved",
)


def _changed(columns, different: str) -> str:
    return " OR ".join(f'OLD."{column}" {different} NEW."{column}"' for column in columns)


def _unit_postgresql_triggers() -> list[str]:
    def block(statements: list[str]) -> str:
        return "\n        ".join(statement + ";" for statement in statements)

    return [
        f"""CREATE FUNCTION kp_unit_figures_month() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {block(_add_project_month("OLD", "-"))}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {block(_add_project_month("NEW", ""))}
    END IF;
    RETURN NULL;
END
$$""",
        f"""CREATE FUNCTION kp_unit_figures_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {block(_move_project("OLD", "-"))}
    IF TG_OP = 'UPDATE' THEN
        {block(_move_project("NEW", ""))}
    END IF;
    RETURN NULL;
END
$$""",
        f"""CREATE TRIGGER kp_unit_figures_month AFTER INSERT OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION kp_unit_figures_month()""",
        f"""CREATE TRIGGER kp_unit_figures_month_update AFTER UPDATE ON {TABLE}
    FOR EACH ROW WHEN ({_changed(FIGURE_COLUMNS, "IS DISTINCT FROM")})
    EXECUTE FUNCTION kp_unit_figures_month()""",
        f"""CREATE TRIGGER kp_unit_figures_project AFTER UPDATE OF county_id, "level" ON {PROJECTS}
    FOR EACH ROW WHEN ({_changed(("county_id", "level"), "IS DISTINCT FROM")})
    EXECUTE FUNCTION kp_unit_figures_project()""",
        f"""CREATE TRIGGER kp_unit_figures_project_delete AFTER DELETE ON {PROJECTS}
    FOR EACH ROW EXECUTE FUNCTION kp_unit_figures_project()""",
    ]


def _unit_sqlite_triggers() -> list[str]:
    def trigger(name: str, event: str, table: str, statements: list[str], when: str = "") -> str:
        condition = f" WHEN {when}" if when else ""
        body = " ".join(statement + ";" for statement in statements)
        return f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition} BEGIN {body} END"

    return [
        trigger("kp_unit_figures_month_insert", "INSERT", TABLE, _add_project_month("NEW", "")),
        trigger(
            "kp_unit_figures_month_update",
            "UPDATE",
            TABLE,
            _add_project_month("OLD", "-") + _add_project_month("NEW", ""),
            _changed(FIGURE_COLUMNS, "IS NOT"),
        ),
        trigger("kp_unit_figures_month_delete", "DELETE", TABLE, _add_project_month("OLD", "-")),
        trigger(
            "kp_unit_figures_project_update",
            'UPDATE OF county_id, "level"',
            PROJECTS,
            _move_project("OLD", "-") + _move_project("NEW", ""),
            _changed(("county_id", "level"), "IS NOT"),
        ),
        trigger("kp_unit_figures_project_delete", "DELETE", PROJECTS, _move_project("OLD", "-")),
    ]


def _drop_statements(vendor: str, units: bool = False) -> list[str]:
    """Drop the triggers of the project-month figures, or (`units`) of the unit-month roll-up."""
    if vendor == "postgresql":
        if units:
            return [
                f"DROP TRIGGER IF EXISTS kp_unit_figures_month ON {TABLE}",
                f"DROP TRIGGER IF EXISTS kp_unit_figures_month_update ON {TABLE}",
                f"DROP TRIGGER IF EXISTS kp_unit_figures_project ON {PROJECTS}",
                f"DROP TRIGGER IF EXISTS kp_unit_figures_project_delete ON {PROJECTS}",
                "DROP FUNCTION IF EXISTS kp_unit_figures_month()",
                "DROP FUNCTION IF EXISTS kp_unit_figures_project()",
            ]
        return [
            f"DROP TRIGGER IF EXISTS kp_month_figures_report ON {REPORTS}",
            f"DROP TRIGGER IF EXISTS kp_month_figures_plan_month ON {PLAN_MONTHS}",
            "DROP FUNCTION IF EXISTS kp_month_figures_report()",
            "DROP FUNCTION IF EXISTS kp_month_figures_plan_month()",
            "DROP FUNCTION IF EXISTS kp_month_figures_refresh(bigint, integer, integer)",
        ]
    if units:
        return [
            f"DROP TRIGGER IF EXISTS kp_unit_figures_{name}"
            for name in ("month_insert", "month_update", "month_delete", "project_update", "project_delete")
        ]
    return [
        f"DROP TRIGGER IF EXISTS kp_month_figures_{name}_{event}"
        for name in ("report", "plan_month")
        for event in ("insert", "update", "delete")
    ]


def _create_statements(vendor: str, units: bool = False) -> list[str]:
    if units:
        return _unit_postgresql_triggers() if vendor == "postgresql" else _unit_sqlite_triggers()
    return _postgresql_triggers() if vendor == "postgresql" else _sqlite_triggers()


def _at_migration(vendor: str, units: bool = False) -> list[str]:
    """The triggers a migration installs: none on SQLite, whose triggers wait for the end of `migrate`."""
    return [] if vendor == "sqlite" else _create_statements(vendor, units=units)


def _drop_all(vendor: str) -> list[str]:
    """Both layers' triggers, the roll-up's first (they fire on the project-month figures)."""
    return _drop_statements(vendor, units=True) + _drop_statements(vendor)


# Recompute a table from what it derives from: the project-month figures (False), the roll-up (True).
_FILL = {False: (f"DELETE FROM {TABLE}", REBUILD), True: (f"DELETE FROM {UNITS}", REBUILD_UNITS)}


def install_triggers(schema_editor) -> None:
    """Migration 0009: the triggers, and the table filled from the plans and reports already stored."""
    for statement in [*_at_migration(schema_editor.connection.vendor), *_FILL[False]]:
        schema_editor.execute(statement, params=None)


def drop_triggers(schema_editor) -> None:
    for statement in _drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def install_unit_triggers(schema_editor) -> None:
    """Migration 0010: the roll-up's triggers, and the roll-up filled from the project-month figures."""
    for statement in [*_at_migration(schema_editor.connection.vendor, units=True), *_FILL[True]]:
        schema_editor.execute(statement, params=None)


def drop_unit_triggers(schema_editor) -> None:
    for statement in _drop_statements(schema_editor.connection.vendor, units=True):
        schema_editor.execute(statement, params=None)


def _refill(cursor, layers=(False, True)) -> None:
    """Recompute the tables of `layers`, the project-month figures first (the roll-up's triggers must be off:
    they would add each row a second time)."""
    for units in layers:
        for statement in _FILL[units]:
            cursor.execute(statement)


# SQLite alters a table by copying it to a new one, dropping the old and renaming the new; the rename refuses
# while a trigger on another table names the dropped one (the roll-up's triggers name the projects, the
# plan-month triggers the reports). So on SQLite `migrate` runs without the figures' triggers: they go before
# the first migration and come back after the last, with both tables recomputed (a migration's writes were
# not followed). PostgreSQL alters tables in place and keeps its triggers throughout.
_TRIGGER_TABLES = {False: {TABLE, REPORTS, PLAN_MONTHS, PLANS}, True: {TABLE, UNITS, PROJECTS}}


def sqlite_before_migrate(*, using: str = "default", **kwargs) -> None:
    db = connections[using]
    if db.vendor != "sqlite":
        return
    with db.cursor() as cursor:
        for statement in _drop_all("sqlite"):
            cursor.execute(statement)


def sqlite_after_migrate(*, using: str = "default", **kwargs) -> None:
    db = connections[using]
    if db.vendor != "sqlite":
        return
    tables = set(db.introspection.table_names())
    layers = [units for units in (False, True) if _TRIGGER_TABLES[units] <= tables]
    with transaction.atomic(using=using), db.cursor() as cursor:
        for statement in _drop_all("sqlite"):
            cursor.execute(statement)
        _refill(cursor, layers)
        for units in layers:
            for statement in _create_statements("sqlite", units=units):
                cursor.execute(statement)


def rebuild() -> None:
    """Recompute both tables from the plans and reports, in one transaction."""
    vendor = connection.vendor
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in _drop_statements(vendor, units=True):
            cursor.execute(statement)
        _refill(cursor)
        for statement in _create_statements(vendor, units=True):
            cursor.execute(statement)


@contextmanager
def triggers_off():
    """For a bulk load of plans and reports (the scale generator): the triggers are dropped for the load and
    the tables rebuilt once at the end, all in one transaction — one statement instead of one per row."""
    vendor = connection.vendor
    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in _drop_all(vendor):
                cursor.execute(statement)
        yield
        with connection.cursor() as cursor:
            _refill(cursor)
            for statement in _create_statements(vendor) + _create_statements(vendor, units=True):
                cursor.execute(statement)


def differences(limit: int = 20) -> list[str]:
    """Project-months and unit-months whose stored figures differ from a full recomputation (empty when both
    tables are right)."""
    found = _compare(
        REBUILD.replace(f"INSERT INTO {TABLE} {COLUMNS}", ""),
        'SELECT project_id, "year", "month", planned, completed, completed_unverified, reported, approved '
        f"FROM {TABLE}",
        3,
        "project {} {}-{:02d}",
        limit,
    )
    found += _compare(
        REBUILD_UNITS.replace(f"INSERT INTO {UNITS} {UNIT_COLUMNS}", ""),
        f"SELECT {UNIT_FIELDS} FROM {UNITS}",
        4,
        "unit {} {} {}-{:02d}",
        limit - len(found),
    )
    return found


def _compare(expected_sql: str, stored_sql: str, key_length: int, label: str, limit: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(expected_sql)
        expected = {tuple(row[:key_length]): _normal(row[key_length:]) for row in cursor.fetchall()}
        cursor.execute(stored_sql)
        stored = {tuple(row[:key_length]): _normal(row[key_length:]) for row in cursor.fetchall()}
    found = []
    for key in sorted(expected.keys() | stored.keys()):
        if len(found) >= limit:
            break
        if expected.get(key) != stored.get(key):
            found.append(f"{label.format(*key)}: stored {stored.get(key)}, expected {expected.get(key)}")
    return found


def _normal(values) -> tuple:
    """Raw values of either database as three amounts (Decimal to the cent) and flags or counts (int)."""
    amounts = tuple(Decimal(str(v)).quantize(Decimal("0.01")) for v in values[:3])
    return amounts + tuple(int(v) for v in values[3:])
