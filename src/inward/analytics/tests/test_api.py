from __future__ import annotations

from typing import Any

import pytest

from inward.accounts.services import token_create
from inward.analytics.export import report_data
from inward.analytics.selectors import funnel_report
from inward.analytics.tests.funnel_fixtures import sales_and_support

pytestmark = pytest.mark.django_db


@pytest.fixture
def get_as(client: Any) -> Any:
    def get(user: Any, path: str) -> Any:
        secret = token_create(user=user, name="test").secret
        return client.get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")

    return get


def without_time(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "generated_at"}


def test_it_answers_the_funnel_cut_at_the_minimum_for_a_manager(
    get_as: Any, manager_user: Any
) -> None:
    built = sales_and_support([1] * 3 + [2] * 10, [3] * 2)
    answer = get_as(manager_user, "/api/v1/campaigns/spring/funnel")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["minimum_group_size"] == 5
    assert data["total"]["counts"] == [15, 15, None, None, 0, 0]  # 15 - 12: three
    assert without_time(data) == without_time(report_data(funnel_report(built.campaign, minimum=5)))


def test_it_gives_admins_exact_numbers_and_the_chosen_model_first(
    get_as: Any, admin_user: Any
) -> None:
    sales_and_support([1] * 3, [3] * 2)
    data = get_as(admin_user, "/api/v1/campaigns/spring/funnel?model=linear&breakdown=site").json()
    assert data["minimum_group_size"] == 1
    assert data["total"]["counts"] == [5, 5, 2, 2, 0, 0]
    assert [b["dimension"] for b in data["breakdowns"]] == ["site"]
    assert data["learning"][0]["model"] == "linear"


def test_it_refuses_employees_strangers_and_bad_parameters(
    get_as: Any, client: Any, employee_user: Any, channel_owner_user: Any
) -> None:
    sales_and_support([1], [])
    assert get_as(employee_user, "/api/v1/campaigns/spring/funnel").status_code == 403
    assert client.get("/api/v1/campaigns/spring/funnel").status_code == 401
    assert get_as(channel_owner_user, "/api/v1/campaigns/nope/funnel").status_code == 404
    bad = get_as(channel_owner_user, "/api/v1/campaigns/spring/funnel?model=best")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_model")
    bad = get_as(channel_owner_user, "/api/v1/campaigns/spring/funnel?breakdown=shoe")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_breakdown")
