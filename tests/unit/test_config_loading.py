"""Bad configuration never crashes, never passes silently, never echoes a secret: the stack file as the Pulumi CLI
reads it (tools/stack_file.py), and what the program accepts from Pulumi (stacks/config/inputs.py,
stacks/config/messages.py), with the exact messages a user sees."""

from __future__ import annotations

import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from stacks.config import ConfigError, load_config, parse_config
from stacks.config.schema import PATTERN_HINTS, GpuPool, ModelServing, RawConfig
from tests.support import record
from tools import plan
from tools.offline import ROOT
from tools.stack_file import StackFileError, read_stack_config


def stack_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def file_problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(StackFileError) as error:
        read_stack_config(stack_file(tmp_path, text))
    return error.value.problems


def problems(raw: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, stack="test", **kwargs)
    return [str(issue) for issue in error.value.issues]


# --- the stack file, as the CLI reads it ---------------------------------------------------------------


def test_an_unclosed_brace_names_the_line_where_yaml_stops_and_where_the_map_began(tmp_path: Path) -> None:
    text = """\
    config:
      llm-platform:target: existing
      llm-platform:models: {qwen: {huggingFaceId: Qwen/Qwen2.5-0.5B-Instruct}
    """
    assert file_problems(tmp_path, text) == [
        "line 4, column 1: not valid YAML: expected ',' or '}', but got '<stream end>' (while parsing a flow mapping "
        "that starts at line 3, column 24)"
    ]


def test_a_tab_in_the_indentation_is_a_yaml_error_with_its_line(tmp_path: Path) -> None:
    assert file_problems(tmp_path, "config:\n\tllm-platform:target: existing\n") == [
        "line 2, column 1: not valid YAML: found character '\\t' that cannot start any token"
    ]


def test_a_document_that_is_not_a_map_is_refused(tmp_path: Path) -> None:
    assert file_problems(tmp_path, "- llm-platform:target: existing\n") == [
        "line 1: the file must be a map with a 'config:' key, got a list"
    ]


def test_a_config_that_is_not_a_map_is_refused(tmp_path: Path) -> None:
    assert file_problems(tmp_path, "config: [llm-platform:target]\n") == [
        "line 1: config: must be a map of '<namespace>:<name>: value', got a list"
    ]


def test_repeated_keys_are_refused_at_the_top_level_and_inside_maps(tmp_path: Path) -> None:
    text = """\
    config:
      llm-platform:region: us-east-1
      llm-platform:region: us-west-2
      llm-platform:gpuPools:
        l4: {gpu: L4}
        l4: {gpu: T4, gpu: L4}
    """
    assert file_problems(tmp_path, text) == [
        "line 3: config.llm-platform:region: is defined twice (first at line 2); Pulumi refuses repeated keys, "
        "keep one",
        "line 6: config.llm-platform:gpuPools.l4: is defined twice (first at line 5); Pulumi refuses repeated keys, "
        "keep one",
    ]


def test_a_repeated_key_inside_a_repeated_entry_is_refused_too(tmp_path: Path) -> None:
    text = """\
    config:
      llm-platform:gpuPools:
        l4: {gpu: L4, gpu: T4}
    """
    assert file_problems(tmp_path, text) == [
        "line 3: config.llm-platform:gpuPools.l4.gpu: is defined twice (first at line 3); Pulumi refuses repeated "
        "keys, keep one"
    ]


def test_a_key_without_a_namespace_is_refused_as_the_cli_does(tmp_path: Path) -> None:
    assert file_problems(tmp_path, "config:\n  target: existing\n") == [
        "line 2: config.target: keys are '<namespace>:<name>', e.g. 'llm-platform:target' (Pulumi refuses any other "
        "form)"
    ]


def test_the_old_config_module_form_of_a_key_is_read_as_the_cli_reads_it(tmp_path: Path) -> None:
    values = read_stack_config(stack_file(tmp_path, "config:\n  llm-platform:config:target: existing\n"))
    assert values.config == {"llm-platform:target": "existing"}


def test_top_level_values_arrive_as_written_and_null_as_unset(tmp_path: Path) -> None:
    text = """\
    config:
      llm-platform:clusterName: ~
      llm-platform:namespace: null
      llm-platform:monitoring: yes
      llm-platform:systemNodes: 2.0
      llm-platform:region: .nan
    """
    assert read_stack_config(stack_file(tmp_path, text)).config == {
        "llm-platform:clusterName": "",
        "llm-platform:namespace": "",
        "llm-platform:monitoring": "yes",
        "llm-platform:systemNodes": "2.0",
        "llm-platform:region": ".nan",
    }


def test_objects_arrive_as_json_with_yaml_1_2_scalars(tmp_path: Path) -> None:
    text = """\
    config:
      llm-platform:gpuPools:
        l4: {gpu: L4, gpusPerNode: yes, minNodes: 0x2, labels: {a: ~, b: true, c: '1'}}
    """
    assert read_stack_config(stack_file(tmp_path, text)).config == {
        "llm-platform:gpuPools": '{"l4":{"gpu":"L4","gpusPerNode":"yes","labels":{"a":null,"b":true,"c":"1"},'
        '"minNodes":2}}'
    }


def test_a_number_json_cannot_carry_is_refused(tmp_path: Path) -> None:
    text = """\
    config:
      llm-platform:gpuPools:
        l4: {gpu: L4, gpusPerNode: .nan}
    """
    assert file_problems(tmp_path, text) == [
        "line 3: config.llm-platform:gpuPools.l4.gpusPerNode: .nan is not a number Pulumi can store (JSON has none); "
        "use a finite one"
    ]


def test_a_secure_value_nested_in_an_object_makes_the_key_secret(tmp_path: Path) -> None:
    text = """\
    config:
      llm-platform:target: existing
      llm-platform:gpuPools:
        l4: {gpu: L4, labels: {team: {secure: v1:abc}}}
    """
    values = read_stack_config(stack_file(tmp_path, text))
    assert values.secret_keys == ["llm-platform:gpuPools"]
    assert "v1:abc" not in values.config["llm-platform:gpuPools"]


def test_make_plan_prints_the_stack_file_error_without_a_traceback_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    stack_file(tmp_path, "config:\n  llm-platform:target: existing\n  llm-platform:target: aws\n")
    out = tmp_path / "out"
    assert plan.main(["--stack", "test", "--root", str(tmp_path), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "error: Pulumi.test.yaml cannot be read (1 problem); nothing was created:\n"
        "  - line 3: config.llm-platform:target: is defined twice (first at line 2); Pulumi refuses repeated keys, "
        "keep one\n"
    )
    assert not out.exists()


# --- secrets ---------------------------------------------------------------------------------------------


def test_a_secret_in_a_key_that_is_no_secret_is_refused_without_showing_it() -> None:
    secret = "us-east-1-from-the-vault"
    assert problems({"target": "aws", "region": secret}, secret_keys={"region": True}) == [
        "region: holds a Pulumi secret (a 'secure:' value), but it is not a secret setting, and the plan and its "
        "messages would show it in plain text; set it without --secret (`pulumi config set region <value>`); only "
        "hfToken, alertWebhookUrl, alertSlackWebhookUrl, alertTeamsWebhookUrl, alertPagerDutyRoutingKey may be a "
        "secret"
    ]


def test_a_secret_object_is_refused_before_any_rule_could_show_its_values() -> None:
    secret = "hunter2-label-value"
    pools = f'{{"l4": {{"gpu": "L4", "gpusPerNode": "{secret}"}}}}'
    issues = problems({"target": "existing", "gpuPools": pools}, secret_keys={"gpuPools": True})
    assert issues[0].startswith("gpuPools: holds a Pulumi secret")
    assert not any(secret in issue for issue in issues)


def test_an_empty_plain_text_token_is_refused_as_plain_text_and_does_not_count_as_a_token() -> None:
    gated = {"huggingFaceId": "meta-llama/Llama-3.1-8B-Instruct"}
    assert problems({"target": "existing", "hfToken": "", "models": {"chat": gated}}) == [
        "hfToken: must be a Pulumi secret, but is stored in plain text; run `pulumi config set --secret hfToken "
        "<value>`",
        "models.chat: meta-llama/Llama-3.1-8B-Instruct is gated on Hugging Face and needs a token; run "
        "`pulumi config set --secret hfToken <token>`",
    ]


def test_an_empty_secret_token_is_refused() -> None:
    assert problems({"target": "existing", "hfToken": " "}, secret_keys={"hfToken": True}) == [
        "hfToken: is empty; set the token with `pulumi config set --secret hfToken <token>`, or remove the key"
    ]


def test_load_config_refuses_a_secret_region_without_printing_it() -> None:
    secret = "eu-north-1-secretly"
    config = {"llm-platform:target": "aws", "llm-platform:region": secret}
    with pytest.raises(ConfigError) as error:
        record(load_config, config=config, secret_keys=["llm-platform:region"])
    assert str(error.value).startswith("Invalid configuration for stack 'test' (1 problem)")
    assert secret not in str(error.value)


# --- namespaces, shapes and types ------------------------------------------------------------------------


def test_a_near_miss_of_the_project_namespace_asks_did_you_mean_and_other_namespaces_pass() -> None:
    other_keys = ["llm-platfrom:monitoring", "aws:region", "kubernetes:context", "LLM-Platform:region"]
    assert problems({"target": "existing"}, other_keys=other_keys) == [
        "llm-platfrom:monitoring: namespace 'llm-platfrom' is not this project's; did you mean "
        "'llm-platform:monitoring'? (the program reads only 'llm-platform:' keys)",
        "LLM-Platform:region: namespace 'LLM-Platform' is not this project's; did you mean 'llm-platform:region'? "
        "(the program reads only 'llm-platform:' keys)",
    ]


def test_load_config_reads_the_other_namespaces_pulumi_passes() -> None:
    config = {"llm-platform:target": "existing", "llm-platfrom:monitoring": "true", "aws:region": "us-east-1"}
    with pytest.raises(ConfigError) as error:
        record(load_config, config=config)
    assert [issue.path for issue in error.value.issues] == ["llm-platfrom:monitoring"]


@pytest.mark.parametrize(
    ("where", "raw", "expected"),
    [
        ("top", {"systemNodes": "true"}, "systemNodes: 'true' is not a whole number; use a whole number from 1 to 10"),
        (
            "pool",
            {"gpuPools": {"p": {"gpu": "L4", "gpusPerNode": True}}},
            "gpuPools.p.gpusPerNode: 'true' is not a whole number; use a whole number from 1 to 16",
        ),
        (
            "model",
            {"models": {"m": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "maxReplicas": True}}},
            "models.m.maxReplicas: 'true' is not a whole number; use a whole number from 1 to 100",
        ),
        (
            "model",
            {"models": {"m": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "cpuCores": False}}},
            "models.m.cpuCores: 'false' is not a whole number; use a whole number from 1 to 256",
        ),
    ],
)
def test_a_boolean_is_never_a_number_at_any_depth(where: str, raw: dict[str, Any], expected: str) -> None:
    assert problems({"target": "existing", **raw}) == [expected]


def test_a_list_or_map_given_for_a_text_key_is_refused_as_such() -> None:
    assert problems({"target": "existing", "kubeconfigContext": '["a", "b"]', "clusterName": '{"a": 1}'}) == [
        "clusterName: must be text, got {\"a\": 1}; use lowercase letters, digits and '-', starting with a letter "
        "(a Kubernetes name)",
        'kubeconfigContext: must be text, got ["a", "b"]; use text of 1 to 253 characters',
    ]


def test_an_item_of_a_list_of_text_says_what_the_item_allows_not_the_list() -> None:
    pools = {"p": {"gpu": "L4", "zones": [1], "labels": {"team": 1}}}
    assert problems({"target": "existing", "gpuPools": pools}) == [
        "gpuPools.p.zones[0]: must be text, got 1; use a zone name such as 'us-central1-a'",
        "gpuPools.p.labels.team: must be text, got 1; use text (quote it in YAML)",
    ]


def test_yaml_null_for_a_text_key_is_unset() -> None:
    config = parse_config({"target": "existing", "clusterName": "", "namespace": ""}, stack="dev")
    assert (config.cluster_name, config.namespace) == ("llm-dev", "llm-serving")


# --- what each pattern allows ----------------------------------------------------------------------------


def test_keys_with_a_pattern_say_what_is_allowed() -> None:
    raw = {
        "target": "gcp",
        "region": "us-east1",
        "gcpProject": "X",
        "systemInstanceType": "a b",
        "prometheusUrl": "ftp://prometheus",
        "gpuPools": {"p": {"gpu": "L4", "instanceType": "a b"}},
        "models": {"m": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "host": "https://llm.example.com"}},
    }
    assert problems(raw) == [
        "gcpProject: 'X' is not valid; use a Google Cloud project id: 6 to 30 lowercase letters, digits and '-', "
        "starting with a letter, such as 'my-project-123'",
        "systemInstanceType: 'a b' is not valid; use the cloud's machine type name, such as 'g6.xlarge', "
        "'g2-standard-8' or 'Standard_NC4as_T4_v3'",
        "prometheusUrl: 'ftp://prometheus' is not valid; use an http(s) URL of host, port and path, such as "
        "'http://prometheus-operated.monitoring.svc:9090' (no query or credentials)",
        "gpuPools.p.instanceType: 'a b' is not valid; use the cloud's machine type name, such as 'g6.xlarge', "
        "'g2-standard-8' or 'Standard_NC4as_T4_v3'",
        "models.m.host: 'https://llm.example.com' is not valid; use a lowercase DNS name with at least one dot, such "
        "as 'llm.example.com' (no scheme, port or path)",
    ]


def test_a_list_key_given_text_says_how_to_write_a_list() -> None:
    model = {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "clients": "batch"}
    assert problems({"target": "existing", "models": {"m": model}}) == [
        "models.m.clients: must be a list, got 'batch'; write one item per line, each starting with '- '"
    ]


def _patterns(annotation: Any, seen: set[Any]) -> set[str]:
    """Every regular expression a model's fields, their items and their nested models carry."""
    found: set[str] = set()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return found
        seen.add(annotation)
        for field in annotation.model_fields.values():
            found |= {item.pattern for item in field.metadata if getattr(item, "pattern", None)}
            found |= _patterns(field.annotation, seen)
        return found
    for arg in typing.get_args(annotation):
        if isinstance(arg, FieldInfo):
            found |= {item.pattern for item in arg.metadata if getattr(item, "pattern", None)}
        else:
            found |= _patterns(arg, seen)
    return found


def test_every_pattern_a_key_carries_has_a_hint_saying_what_is_allowed() -> None:
    patterns = set().union(*(_patterns(model, set()) for model in (RawConfig, GpuPool, ModelServing)))
    assert len(patterns) >= 10
    assert patterns - set(PATTERN_HINTS) == set()


def test_a_value_outside_a_fixed_set_of_words_names_the_words_allowed() -> None:
    model = {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "kvCacheDtype": "fp4"}
    assert problems({"target": "existing", "models": {"m": model}}) == [
        "models.m.kvCacheDtype: 'fp4' is not allowed; use one of 'auto', 'fp8'"
    ]
