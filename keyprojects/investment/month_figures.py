"""The project-month figures table (`ProjectMonthFigures`): how the database keeps it, rebuilds it and checks it.

Triggers on the planned months and the monthly reports recompute the one project-month a row touches, in the
statement's own transaction: on PostgreSQL a PL/pgSQL function, on SQLite the same statements inside each
trigger. A write that bypasses the services (an import, the admin, a console, a test's fixture) cannot leave
the figures stale, and none of the write paths has to remember them.

The figures are never written by the application. `rebuild` recomputes the whole table from plans and reports
(after a bulk load with the triggers off, or to repair); `differences` compares the table with a full
recomputation, which the tests and `manage.py check_month_figures` use.
"""

# ruff: noqa: S608 -- every statement here is built from this module's constants, never from input

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from django.db import connection, transaction

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


def _drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS kp_month_figures_report ON {REPORTS}",
            f"DROP TRIGGER IF EXISTS kp_month_figures_plan_month ON {PLAN_MONTHS}",
            "DROP FUNCTION IF EXISTS kp_month_figures_report()",
            "DROP FUNCTION IF EXISTS kp_month_figures_plan_month()",
            "DROP FUNCTION IF EXISTS kp_month_figures_refresh(bigint, integer, integer)",
        ]
    return [
        f"DROP TRIGGER IF EXISTS kp_month_figures_{name}_{event}"
        for name in ("report", "plan_month")
        for event in ("insert", "update", "delete")
    ]


def _create_statements(vendor: str) -> list[str]:
    return _postgresql_triggers() if vendor == "postgresql" else _sqlite_triggers()


def install_triggers(schema_editor) -> None:
    """Migration 0009: the triggers, and the table filled from the plans and reports already stored."""
    for statement in [*_create_statements(schema_editor.connection.vendor), f"DELETE FROM {TABLE}", REBUILD]:
        schema_editor.execute(statement, params=None)


def drop_triggers(schema_editor) -> None:
    for statement in _drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def rebuild() -> None:
    """Recompute the whole table from the plans and reports, in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(REBUILD)


@contextmanager
def triggers_off():
    """For a bulk load of plans and reports (the scale generator): the triggers are dropped for the load and
    the table rebuilt once at the end, all in one transaction — one statement instead of one per row."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in _drop_statements(connection.vendor):
                cursor.execute(statement)
        yield
        with connection.cursor() as cursor:
            for statement in _create_statements(connection.vendor):
                cursor.execute(statement)
        rebuild()


def differences(limit: int = 20) -> list[str]:
    """Project-months whose stored figures differ from a full recomputation (empty when the table is right)."""
    with connection.cursor() as cursor:
        cursor.execute(REBUILD.replace(f"INSERT INTO {TABLE} {COLUMNS}", ""))
        expected = {tuple(row[:3]): _normal(row[3:]) for row in cursor.fetchall()}
        cursor.execute(
            'SELECT project_id, "year", "month", planned, completed, completed_unverified, reported, approved '
            f"FROM {TABLE}"
        )
        stored = {tuple(row[:3]): _normal(row[3:]) for row in cursor.fetchall()}
    found = []
    for key in sorted(expected.keys() | stored.keys()):
        if expected.get(key) != stored.get(key):
            found.append(
                f"project {key[0]} {key[1]}-{key[2]:02d}: stored {stored.get(key)}, expected {expected.get(key)}"
            )
            if len(found) >= limit:
                break
    return found


def _normal(values) -> tuple:
    """Raw values of either database as (Decimal, Decimal, Decimal, bool, bool), to compare."""
    amounts = tuple(Decimal(str(v)).quantize(Decimal("0.01")) for v in values[:3])
    return amounts + tuple(bool(v) for v in values[3:])
