"""playground/db.py's hand-written statements answer what the ORM answers, on the suite's database
(SQLite, or PostgreSQL in .ci/run's second pass)."""

from __future__ import annotations

import datetime as dt

from tests.conftest import SandboxInfo


def test_find_one_and_find_all_read_the_rows_the_orm_reads(sandbox: SandboxInfo, db_access: None) -> None:
    from django.db import transaction

    from playground.db import find_all, find_one
    from playground.live.models import LiveEvent
    from playground.sandboxes.models import Sandbox

    box = Sandbox.objects.get(pk=sandbox.id)
    made = ((7, "a"), (8, "b"), (9, "a"))
    LiveEvent.objects.bulk_create(
        [LiveEvent(sandbox=box, seq=seq, type=kind, payload={"seq": seq, "at": "x"}) for seq, kind in made]
    )
    expected = list(LiveEvent.objects.filter(sandbox=box, type="a").order_by("pk"))
    found = find_all(LiveEvent, sandbox=box, type="a")
    assert [(row.pk, row.seq, row.payload, row.sandbox_id) for row in found] == [
        (row.pk, row.seq, row.payload, row.sandbox_id) for row in expected
    ]
    assert find_all(LiveEvent, sandbox=box, type="none") == []
    first = find_one(LiveEvent, sandbox=box.pk, type="a")
    assert first is not None
    assert (first.pk, first.payload) == (expected[0].pk, {"seq": 7, "at": "x"})
    with transaction.atomic():  # FOR UPDATE where the database has it
        locked = find_one(Sandbox, lock=True, account_id=box.account_id)
    assert locked is not None
    assert (locked.pk, locked.created_at) == (box.pk, box.created_at)
    assert find_one(Sandbox, account_id="000000000000") is None


def test_insert_instances_stores_what_bulk_create_stores(sandbox: SandboxInfo, db_access: None) -> None:
    from playground.db import insert_instances
    from playground.live.models import LiveEvent
    from playground.sandboxes.models import Sandbox

    box = Sandbox.objects.get(pk=sandbox.id)
    made = [LiveEvent(sandbox=box, seq=seq, type="t", payload={"n": seq, "text": "é\n", "list": [1, None]})
            for seq in (1, 2, 3)]  # fmt: skip
    insert_instances(LiveEvent, made)
    insert_instances(LiveEvent, [LiveEvent(sandbox=box, seq=4, type="one", payload=[])])
    insert_instances(LiveEvent, [])
    rows = list(LiveEvent.objects.filter(sandbox=box).order_by("seq").values_list("seq", "type", "payload"))
    assert rows == [
        (1, "t", {"n": 1, "text": "é\n", "list": [1, None]}),
        (2, "t", {"n": 2, "text": "é\n", "list": [1, None]}),
        (3, "t", {"n": 3, "text": "é\n", "list": [1, None]}),
        (4, "one", []),
    ]
    assert all(not instance._state.adding for instance in made)
    # A field the ORM fills in before saving (auto_now_add) is filled in here too.
    other = Sandbox(name="inserted by hand")
    insert_instances(Sandbox, [other])
    stored = Sandbox.objects.get(account_id=other.account_id)
    stored.delete()  # the suite's database is shared: no stray sandbox for the other tests
    assert stored.name == "inserted by hand"
    assert abs(stored.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_select_values_reads_what_values_list_reads(sandbox: SandboxInfo, db_access: None) -> None:
    from django.db import connection, transaction

    from playground.db import select_values
    from playground.live.models import LiveEvent
    from playground.sandboxes.models import Sandbox

    box = Sandbox.objects.get(pk=sandbox.id)
    LiveEvent.objects.bulk_create(
        [LiveEvent(sandbox=box, seq=seq, type="v", payload={"seq": seq, "é": [seq, None]}) for seq in (3, 4, 5, 6)]
    )
    expected = list(LiveEvent.objects.filter(sandbox=box, seq__gt=3).order_by("-seq").values_list("seq", "payload")[:2])
    found = select_values(
        LiveEvent, ("seq", "payload"), "sandbox_id = %s AND seq > %s", [box.pk, 3, 2], tail="ORDER BY seq DESC LIMIT %s"
    )
    assert found == expected == [(6, {"seq": 6, "é": [6, None]}), (5, {"seq": 5, "é": [5, None]})]
    assert select_values(LiveEvent, ("seq",), "sandbox_id = %s AND seq > %s", [box.pk, 6]) == []
    with transaction.atomic():  # FOR UPDATE where the database has it
        locked = select_values(LiveEvent, ("seq",), "sandbox_id = %s", [box.pk], tail="ORDER BY seq", lock=True)
    assert locked == [(3,), (4,), (5,), (6,)]
    # Datetimes come back as the ORM gives them (aware), and are compared as the caller adapts them.
    since = connection.ops.adapt_datetimefield_value(box.created_at - dt.timedelta(seconds=1))
    made = select_values(Sandbox, ("account_id", "created_at"), "id = %s AND created_at > %s", [box.pk, since])
    assert made == list(Sandbox.objects.filter(pk=box.pk).values_list("account_id", "created_at"))
    assert made[0][1] == box.created_at
    assert made[0][1].tzinfo is not None
