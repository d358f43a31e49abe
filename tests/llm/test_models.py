"""The model registry: names, aliases, typos, the table, missing keys and sandbox mode."""

from __future__ import annotations

from dataclasses import replace

import httpx2
import pytest

from stripe_nb_agent.config import Settings, resolve_settings
from stripe_nb_agent.errors import ConfigError, MissingKeyError, UsageError
from stripe_nb_agent.llm.model_info import Host, ModelInfo
from stripe_nb_agent.llm.model_table import model_table
from stripe_nb_agent.llm.models import ModelRegistry
from stripe_nb_agent.redaction import Secret
from tests.llm.streams import chunk, sse

DAT1_KEY = "dat1-registry-key-5b7c9d1e"
SANDBOX_ROOT = "http://127.0.0.1:54321/api/v1"


def settings(*, dat1_api_key: str | None = None, mode: str | None = None) -> Settings:
    return resolve_settings(dat1_api_key=dat1_api_key, mode=mode, environ={})


@pytest.fixture
def registry() -> ModelRegistry:
    return ModelRegistry(environ={"OLLAMA_KEY": "ollama-secret-123456"})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dat1/gpt-120-oss", "dat1/gpt-120-oss"),
        ("gpt-oss", "dat1/gpt-120-oss"),
        ("gpt-120-oss", "dat1/gpt-120-oss"),
        ("gemma", "dat1/gemma-3-12b"),
        ("dat1-openai/gpt-120-oss", "dat1-openai/gpt-120-oss"),
        ("sandbox", "sandbox"),
        ("sandbox-brief", "sandbox-brief"),
        ("  sandbox ", "sandbox"),
    ],
)
def test_names_and_aliases_resolve(registry: ModelRegistry, name: str, expected: str) -> None:
    assert registry.resolve(name).name == expected


def test_any_custom_deployment_name_resolves(registry: ModelRegistry) -> None:
    info = registry.resolve("dat1-custom/my-llama")
    assert (info.name, info.surface, info.target, info.key_env) == (
        "dat1-custom/my-llama",
        "dat1-custom",
        "my-llama",
        "DAT1_API_KEY",
    )


def test_typo_lists_close_matches_and_known_names(registry: ModelRegistry) -> None:
    with pytest.raises(UsageError) as info:
        registry.resolve("gpt-os")
    message = str(info.value)
    assert "Did you mean 'gpt-oss'" in message
    assert "sandbox-brief" in message
    assert "dat1-custom/<name>" in message
    assert "register_model" in message


def test_unrelated_name_has_no_guess(registry: ModelRegistry) -> None:
    with pytest.raises(UsageError, match="Unknown model 'zzz'") as info:
        registry.resolve("zzz")
    assert "Did you mean" not in str(info.value)


def test_default_is_gpt_oss_with_a_key_and_sandbox_without(registry: ModelRegistry) -> None:
    assert registry.default_name(settings(dat1_api_key=DAT1_KEY)) == "dat1/gpt-120-oss"
    assert registry.default_name(settings()) == "sandbox"
    assert registry.default_name(settings(dat1_api_key=DAT1_KEY, mode="sandbox")) == "sandbox"


def test_table_says_what_is_usable_and_why_not(registry: ModelRegistry) -> None:
    rows = {row.name: row for row in model_table(registry, settings())}
    assert rows["sandbox"].usable
    assert rows["sandbox"].default
    assert rows["sandbox-brief"].usable
    gpt = rows["dat1/gpt-120-oss"]
    assert not gpt.usable
    assert "DAT1_API_KEY is not set" in gpt.why_not
    assert gpt.aliases == ("gpt-oss", "gpt-120-oss")
    assert gpt.endpoint == "https://api.dat1.co/api/v1/collection/gpt-120-oss/invoke-chat"
    assert rows["dat1-openai/gpt-120-oss"].endpoint.endswith("/collection/open-ai/chat/completions")
    assert rows["dat1-custom/<name>"].surface == "dat1-custom"


def test_table_with_a_key_marks_dat1_usable_and_default(registry: ModelRegistry) -> None:
    rows = {row.name: row for row in model_table(registry, settings(dat1_api_key=DAT1_KEY))}
    assert rows["dat1/gpt-120-oss"].usable
    assert rows["dat1/gpt-120-oss"].default
    assert not rows["sandbox"].default
    assert all(DAT1_KEY not in str(row) for row in rows.values())


def test_sandbox_mode_turns_dat1_models_off_and_says_why(registry: ModelRegistry) -> None:
    current = settings(dat1_api_key=DAT1_KEY, mode="sandbox")
    rows = {row.name: row for row in model_table(registry, current)}
    assert not rows["dat1/gpt-120-oss"].usable
    assert "sandbox" in rows["dat1/gpt-120-oss"].why_not
    assert rows["sandbox"].usable
    with pytest.raises(ConfigError, match="DAT1 models are off"):
        registry.client("gpt-oss", current)


def test_live_model_without_key_raises_missing_key_naming_the_variable(registry: ModelRegistry) -> None:
    with pytest.raises(MissingKeyError) as info:
        registry.client("gpt-oss", settings())
    message = str(info.value)
    assert "DAT1_API_KEY" in message
    assert "https://dat1.co" in message
    assert "'sandbox'" in message


def test_dat1_client_gets_the_dat1_endpoint_and_key(registry: ModelRegistry) -> None:
    client = registry.client("gemma", settings(dat1_api_key=DAT1_KEY))
    endpoint = client.endpoint
    assert endpoint.url == "https://api.dat1.co/api/v1/collection/gemma-3-12b/invoke-chat"
    assert endpoint.headers()["X-API-Key"] == DAT1_KEY
    assert endpoint.key_env == "DAT1_API_KEY"
    openai = registry.endpoint("dat1-openai/gpt-120-oss", settings(dat1_api_key=DAT1_KEY))
    assert openai.url == "https://api.dat1.co/api/v1/collection/open-ai/chat/completions"
    assert openai.headers()["Authorization"] == f"Bearer {DAT1_KEY}"
    assert openai.model == "gpt-120-oss"


def test_sandbox_uses_the_dat1_collection_path_on_its_hosts_root(registry: ModelRegistry) -> None:
    calls: list[str] = []

    def root(settings: Settings) -> str:
        calls.append("called")
        return SANDBOX_ROOT

    registry.add_host(replace(registry.host("sandbox"), root=root))
    assert calls == []  # a host's root is found (its server started) only when a model is used
    endpoint = registry.endpoint("sandbox-brief", settings())
    assert endpoint.surface == "dat1-collection"
    assert endpoint.url == f"{SANDBOX_ROOT}/collection/sandbox-brief/invoke-chat"
    assert calls == ["called"]


@pytest.mark.anyio
async def test_sandbox_client_streams_from_its_hosts_root(registry: ModelRegistry) -> None:
    urls: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        urls.append(str(request.url))
        body = sse(chunk({"content": "[sandbox] hi"}, finish="stop"))
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    async with http:
        registry.add_host(replace(registry.host("sandbox"), root=SANDBOX_ROOT))
        client = registry.client("sandbox", settings(), http=http)
        response = await client.complete([{"role": "user", "content": "hi"}])
    assert response.text == "[sandbox] hi"
    assert urls == [f"{SANDBOX_ROOT}/collection/sandbox/invoke-chat"]


def test_registered_openai_model_with_key_from_its_variable(registry: ModelRegistry) -> None:
    registry.register_model(
        "ollama/llama3",
        base_url="http://127.0.0.1:11434/v1",
        model="llama3",
        key_env="OLLAMA_KEY",
        aliases=["l3"],
    )
    endpoint = registry.endpoint("l3", settings())
    assert endpoint.url == "http://127.0.0.1:11434/v1/chat/completions"
    assert endpoint.headers()["Authorization"] == "Bearer ollama-secret-123456"
    assert endpoint.model == "llama3"
    row = next(r for r in model_table(registry, settings()) if r.name == "ollama/llama3")
    assert row.usable
    assert row.aliases == ("l3",)


def test_registered_model_without_key_needs_none_and_works_in_sandbox_mode(registry: ModelRegistry) -> None:
    registry.register_model("local-llama", base_url="http://127.0.0.1:8080/v1", model="any")
    endpoint = registry.endpoint("local-llama", settings(mode="sandbox"))
    assert "Authorization" not in endpoint.headers()


def test_registered_model_with_missing_key_variable_raises_naming_it(registry: ModelRegistry) -> None:
    registry.register_model("vllm", base_url="http://gpu:8000/v1", model="m", key_env="VLLM_KEY")
    rows = {row.name: row for row in model_table(registry, settings())}
    assert rows["vllm"].why_not == "VLLM_KEY is not set: set it in the environment."
    with pytest.raises(MissingKeyError, match="VLLM_KEY"):
        registry.endpoint("vllm", settings())


def test_base_url_may_be_a_callable_for_servers_started_on_demand(registry: ModelRegistry) -> None:
    # What a future local/<file.gguf> family needs: no special path, just a lazy base URL.
    started: list[str] = []

    def start() -> str:
        started.append("llama-server")
        return "http://127.0.0.1:9999/v1"

    registry.add_prefix(
        "local/",
        lambda name: ModelInfo(f"local/{name}", "openai", None, name, base_url=start),
    )
    assert registry.resolve("local/qwen.gguf").target == "qwen.gguf"
    assert started == []
    endpoint = registry.endpoint("local/qwen.gguf", settings())
    assert endpoint.url == "http://127.0.0.1:9999/v1/chat/completions"
    assert started == ["llama-server"]


def test_re_registering_a_name_replaces_it_and_its_aliases(registry: ModelRegistry) -> None:
    registry.register_model("mine", base_url="http://a/v1", model="a", aliases=["m1"])
    registry.register_model("mine", base_url="http://b/v1", model="b", aliases=["m2"])
    assert registry.resolve("m2").target == "b"
    with pytest.raises(UsageError):
        registry.resolve("m1")


def test_reserved_prefix_and_alias_clashes_are_refused(registry: ModelRegistry) -> None:
    with pytest.raises(UsageError, match="reserved prefix"):
        registry.register_model("dat1-custom/x", base_url="http://a/v1", model="a")
    with pytest.raises(UsageError, match="already a model name"):
        registry.register_model("other", base_url="http://a/v1", model="a", aliases=["sandbox"])


def test_empty_registry_is_possible() -> None:
    assert ModelRegistry(defaults=False).names() == []


def test_family_rows_are_marked_so_pickers_can_leave_them_out() -> None:
    from stripe_nb_agent.config import resolve_settings
    from stripe_nb_agent.llm.models import ModelRegistry

    rows = model_table(ModelRegistry(), resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "sandbox"}))
    families = {row.name for row in rows if row.family}
    assert families
    assert all("<" in name for name in families)
    assert not any(row.family for row in rows if row.name in {"sandbox", "sandbox-brief"})


def test_an_empty_registry_knows_nothing_of_the_sandbox() -> None:
    registry = ModelRegistry(defaults=False)
    with pytest.raises(UsageError, match="Unknown host 'sandbox'"):
        registry.host("sandbox")


def test_the_sandbox_arrives_through_the_same_hook_as_any_plugin() -> None:
    from stripe_nb_agent import plugins

    registry = ModelRegistry(defaults=False)
    registry.add_host(Host("dat1", root="https://dat1.invalid/api/v1", live=True))
    plugins.register_models(registry)
    assert {"sandbox", "sandbox-brief"} <= set(registry.names())
    assert registry.host("sandbox").stands_in_for == "dat1"
    assert registry.default_name(settings()) == "sandbox"


def test_a_plugin_host_is_data_a_model_names(registry: ModelRegistry) -> None:
    registry.add_host(Host("gpu-box", root="http://gpu.test/api/v1", key=Secret("box-key-123456")))
    registry.add(ModelInfo("gpu-box/llama", "dat1-collection", "gpu-box", "llama"))
    endpoint = registry.endpoint("gpu-box/llama", settings())
    assert endpoint.url == "http://gpu.test/api/v1/collection/llama/invoke-chat"
    assert endpoint.headers()["X-API-Key"] == "box-key-123456"
    with pytest.raises(UsageError, match="not registered"):
        registry.add(ModelInfo("x", "openai", "nowhere", "x"))


def test_the_table_lists_every_kind(registry: ModelRegistry) -> None:
    rows = {(row.kind, row.name): row for row in model_table(registry, settings())}
    assert rows[("chat", "sandbox")].default
    minilm = rows[("embedding", "local/minilm")]
    assert minilm.default
    assert minilm.aliases == ("local", "minilm")
    qwen = rows[("embedding", "dat1/qwen3-embedding")]
    assert qwen.endpoint == "https://api.dat1.co/api/v1/collection/qwen3-embedding/invoke"
    assert not qwen.usable
    # The table says where rerank() really goes: the sandbox stands in for DAT1 without a key.
    reranker = rows[("deployment", "reranker")]
    assert reranker.usable
    assert reranker.endpoint.startswith("local sandbox server")
    live = {(row.kind, row.name): row for row in model_table(registry, settings(dat1_api_key=DAT1_KEY))}
    assert live[("deployment", "reranker")].endpoint == "https://api.dat1.co/api/v1/inference/reranker/invoke"
    kinds = [row.kind for row in model_table(registry, settings())]
    assert kinds == sorted(kinds, key=["chat", "embedding", "deployment"].index)


def test_names_are_per_kind(registry: ModelRegistry) -> None:
    assert registry.resolve("minilm", kind="embedding").name == "local/minilm"
    with pytest.raises(UsageError, match="an embedding model, not a chat model: use it with embed"):
        registry.resolve("minilm")
    with pytest.raises(UsageError, match="'reranker' is a deployment model, not a chat model"):
        registry.endpoint("reranker", settings(dat1_api_key=DAT1_KEY))


def test_deployments_go_to_dat1_live_and_to_the_stand_in_in_sandbox_mode(registry: ModelRegistry) -> None:
    registry.add_host(replace(registry.host("sandbox"), root=SANDBOX_ROOT))
    live = settings(dat1_api_key=DAT1_KEY)
    root, key = registry.deployment_route("reranker", live)
    assert (root, key) == ("https://api.dat1.co/api/v1", live.dat1_api_key)
    root, key = registry.deployment_route("any-name", settings(dat1_api_key=DAT1_KEY, mode="sandbox"))
    assert root == SANDBOX_ROOT
    assert key is not None
    assert key.reveal() == "sandbox"
