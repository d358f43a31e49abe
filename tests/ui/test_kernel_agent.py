"""The kernel's shared Agent: made once from get_agent()'s options, which it never ignores later."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

import stripe_nb_agent
from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.config import Settings, resolve_settings
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.ui.magics import StripeAgentMagics


@pytest.fixture
def settings() -> Settings:
    return resolve_settings(mode="sandbox", environ={})


@pytest.fixture
def no_shared_agent() -> Iterator[None]:
    """No shared agent before the test; the ones it makes are closed after it."""
    previous = stripe_nb_agent.set_agent(None)
    yield
    made = stripe_nb_agent.set_agent(previous)
    if made is not None:
        made.close()


@pytest.mark.usefixtures("no_shared_agent")
def test_the_first_call_creates_the_agent_and_the_same_options_return_it(settings: Settings) -> None:
    agent = stripe_nb_agent.get_agent(settings=settings, model="sandbox-brief", system_prompt="Be brief.")
    assert agent.model == "sandbox-brief"
    again = stripe_nb_agent.get_agent(settings=settings, model="sandbox-brief", system_prompt="Be brief.")
    assert again is agent
    assert stripe_nb_agent.get_agent() is agent
    # Options left at Agent's defaults, and None for model or policy, agree with any agent.
    assert stripe_nb_agent.get_agent(sandbox_profile="classic", model=None, policy=None) is agent


@pytest.mark.usefixtures("no_shared_agent")
def test_an_alias_of_the_current_model_is_the_same_model(settings: Settings) -> None:
    agent = stripe_nb_agent.get_agent(settings=settings, model="dat1/gpt-120-oss")
    assert stripe_nb_agent.get_agent(model="gpt-oss") is agent


@pytest.mark.usefixtures("no_shared_agent")
def test_another_model_is_refused_with_use_and_replace_as_the_fixes(settings: Settings) -> None:
    agent = stripe_nb_agent.get_agent(settings=settings)
    with pytest.raises(UsageError) as caught:
        stripe_nb_agent.get_agent(model="sandbox-brief")
    message = caught.value.message
    assert "model='sandbox-brief' (it uses 'sandbox')" in message
    assert "`stripe_nb_agent.get_agent().use('sandbox-brief')`" in message
    assert "`stripe_nb_agent.set_agent(None).close()`" in message
    assert agent.model == "sandbox"
    # After a switch, the model the agent uses now is what get_agent compares with.
    agent.use("sandbox-brief")
    assert stripe_nb_agent.get_agent(model="sandbox-brief") is agent
    with pytest.raises(UsageError, match="model='sandbox' \\(it uses 'sandbox-brief'\\)"):
        stripe_nb_agent.get_agent(model="sandbox")


@pytest.mark.usefixtures("no_shared_agent")
@pytest.mark.parametrize(
    ("option", "says"),
    [
        ({"policy": "confirm"}, "policy='confirm' (its default is 'auto')"),
        ({"system_prompt": "Be brief."}, "system_prompt= (it was made with another"),
        ({"settings": resolve_settings(mode="sandbox", environ={"STRIPE_ACCOUNT": "acct_1"})}, "settings="),
        ({"sandbox_profile": "generic"}, "sandbox_profile="),
    ],
)
def test_any_other_differing_option_is_refused_with_replace_as_the_fix(
    settings: Settings, option: dict[str, object], says: str
) -> None:
    agent = stripe_nb_agent.get_agent(settings=settings)
    with pytest.raises(UsageError) as caught:
        stripe_nb_agent.get_agent(**option)
    assert says in caught.value.message
    assert "set_agent(None).close()" in caught.value.message
    assert ".use(" not in caught.value.message
    assert stripe_nb_agent.get_agent() is agent


@pytest.mark.usefixtures("no_shared_agent")
def test_the_documented_replace_path_starts_over_with_the_new_options(settings: Settings) -> None:
    old = stripe_nb_agent.get_agent(settings=settings)
    closed = stripe_nb_agent.set_agent(None)
    assert closed is old
    closed.close()
    new = stripe_nb_agent.get_agent(settings=settings, policy="confirm")
    assert new is not old
    assert new.policy == "confirm"


@pytest.mark.usefixtures("no_shared_agent")
def test_an_installed_agent_is_compared_by_what_it_shows(settings: Settings) -> None:
    mine = Agent(settings, model="sandbox-brief")
    stripe_nb_agent.set_agent(mine)
    assert stripe_nb_agent.get_agent(settings=settings, model="sandbox-brief", policy="auto") is mine
    # Options it does not show can't be checked, so they are not assumed to agree.
    with pytest.raises(UsageError, match="installed by set_agent"):
        stripe_nb_agent.get_agent(system_prompt=None)


@pytest.mark.usefixtures("no_shared_agent")
def test_an_unknown_option_names_the_ones_there_are() -> None:
    with pytest.raises(UsageError) as caught:
        stripe_nb_agent.get_agent(modle="sandbox")
    assert "get_agent() has no option 'modle'" in caught.value.message
    assert "model" in caught.value.message


@pytest.mark.usefixtures("no_shared_agent")
def test_the_magic_follows_a_replaced_shared_agent(settings: Settings) -> None:
    magics = StripeAgentMagics(InteractiveShell.instance())
    first = stripe_nb_agent.get_agent(settings=settings)
    assert magics.agent is first
    stripe_nb_agent.set_agent(None)
    first.close()
    second = stripe_nb_agent.get_agent(settings=settings, model="sandbox-brief")
    assert magics.agent is second
