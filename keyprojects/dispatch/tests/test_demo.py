"""The demo's dispatch tasks: Julu's, loaded once, the same every time."""

from __future__ import annotations

from datetime import date

from keyprojects.dispatch import demo
from keyprojects.dispatch.models import DispatchAnswer, DispatchTask

AS_OF = date(2026, 11, 30)


def snapshot():
    tasks = [(t.title, t.deadline, t.targets.count()) for t in DispatchTask.objects.order_by("deadline")]
    answered = [
        t.targets.filter(answered_at__isnull=False).count() for t in DispatchTask.objects.order_by("deadline")
    ]
    numbers = list(
        DispatchAnswer.objects.order_by("target__project__code", "field__order").values_list("number", "yes")
    )
    return tasks, answered, numbers


def test_it_loads_two_julu_tasks_once_and_the_same_each_time(db):
    DispatchTask.objects.all().delete()  # the session's demo may hold them already
    loaded = demo.load(7, AS_OF)
    assert [t.county.slug for t in loaded] == ["julu", "julu"]
    first = snapshot()
    (_, due_past, n_past), (_, due_open, n_open) = first[0]
    assert (due_past, due_open) == (date(2026, 11, 28), date(2026, 12, 5))
    assert n_past > 1 and first[1] == [(n_past + 1) // 2, min(3, n_open)]  # half answered; the first three
    assert demo.load(7, AS_OF) == [] and snapshot() == first
    DispatchTask.objects.all().delete()
    demo.load(7, AS_OF)
    assert snapshot() == first
