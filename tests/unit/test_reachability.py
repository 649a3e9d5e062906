"""The NetworkPolicy evaluator (tools/reachability.py) on small fixtures, each one rule of the API's semantics.

The first fixture is the example policy of the Kubernetes documentation (kubernetes/website
content/en/docs/concepts/services-networking/network-policies.md, "The NetworkPolicy resource"), with what the
page says it allows."""

from __future__ import annotations

from typing import Any

import pytest

from tools.reachability import Address, Network, Pod, selects


def policy(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "NetworkPolicy", "metadata": {"namespace": namespace, "name": name}, "spec": spec}


DOCS_EXAMPLE = policy(
    "default",
    "test-network-policy",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                    {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                    {"podSelector": {"matchLabels": {"role": "frontend"}}},
                ],
                "ports": [{"protocol": "TCP", "port": 6379}],
            }
        ],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5978}]}],
    },
)
DB = Pod(namespace="default", labels={"role": "db"})
FRONTEND = Pod(namespace="default", labels={"role": "frontend"})
DOCS = Network([DOCS_EXAMPLE], namespace_labels={"myproject-ns": {"project": "myproject"}})


def test_docs_example_admits_frontend_pods_of_its_namespace_on_the_port() -> None:
    assert DOCS.allows(FRONTEND, DB, 6379)
    assert not DOCS.allows(FRONTEND, DB, 6380)
    assert not DOCS.allows(FRONTEND, DB, 6379, "UDP")


def test_docs_example_admits_no_frontend_pod_of_another_namespace() -> None:
    assert not DOCS.allows(Pod(namespace="other", labels={"role": "frontend"}), DB, 6379)


def test_docs_example_admits_every_pod_of_a_namespace_its_labels_select() -> None:
    assert DOCS.allows(Pod(namespace="myproject-ns", labels={"app": "anything"}), DB, 6379)
    assert not DOCS.allows(Pod(namespace="unlabelled", labels={"app": "anything"}), DB, 6379)


def test_docs_example_admits_the_address_block_but_not_its_exception() -> None:
    assert DOCS.allows(Address("172.17.0.5"), DB, 6379)
    assert not DOCS.allows(Address("172.17.1.5"), DB, 6379)
    assert not DOCS.allows(Address("10.9.9.9"), DB, 6379)


def test_docs_example_lets_the_selected_pods_send_only_to_its_egress_block() -> None:
    assert DOCS.allows(DB, Address("10.0.0.7"), 5978)
    assert not DOCS.allows(DB, Address("10.0.1.7"), 5978)
    assert not DOCS.allows(DB, FRONTEND, 5978)


def test_pods_no_policy_selects_are_not_isolated() -> None:
    assert DOCS.allows(FRONTEND, Pod(namespace="default", labels={"role": "cache"}), 1)


def test_a_connection_needs_the_senders_egress_and_the_receivers_ingress() -> None:
    db_out = Network([DOCS_EXAMPLE])
    other_db = Pod(namespace="default", labels={"role": "db", "replica": "2"})
    assert not db_out.egress_allows(DB, other_db, 6379)
    assert db_out.ingress_allows(other_db, FRONTEND, 6379)
    assert not db_out.allows(DB, other_db, 6379)


def test_a_policy_without_rules_isolates_and_admits_nothing() -> None:
    deny = Network([policy("apps", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})])
    web = Pod(namespace="apps", labels={"app": "web"})
    assert not deny.allows(Pod(namespace="apps"), web, 80)
    assert not deny.egress_allows(web, Address("192.0.2.1"), 443)


def test_policies_in_another_namespace_do_not_apply() -> None:
    deny = Network([policy("apps", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})])
    assert deny.allows(Pod(namespace="apps"), Pod(namespace="tools"), 80)


def test_policy_types_default_to_ingress_plus_egress_when_an_egress_section_exists() -> None:
    egress_only = Network([policy("apps", "out", {"podSelector": {}, "egress": [{}]})])
    ingress_only = Network([policy("apps", "in", {"podSelector": {}, "ingress": []})])
    web = Pod(namespace="apps")
    assert not egress_only.ingress_allows(web, Pod(namespace="tools"), 80), "every policy affects ingress"
    assert egress_only.egress_allows(web, Pod(namespace="tools"), 80), "an empty rule allows all"
    assert ingress_only.egress_allows(web, Pod(namespace="tools"), 80), "no egress section: egress not isolated"


def test_rules_of_every_policy_selecting_a_pod_add_up() -> None:
    network = Network(
        [
            policy("apps", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
            policy(
                "apps", "web", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": 80}]}]}
            ),
        ]
    )
    assert network.allows(Pod(namespace="tools"), Pod(namespace="apps", labels={"app": "web"}), 80)
    assert not network.allows(Pod(namespace="tools"), Pod(namespace="apps", labels={"app": "db"}), 80)


@pytest.mark.parametrize("rule", [{}, {"from": []}, {"from": [], "ports": []}])
def test_a_rule_without_peers_or_ports_matches_every_source_and_port(rule: dict[str, Any]) -> None:
    network = Network([policy("apps", "open", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [rule]})])
    assert network.allows(Pod(namespace="anywhere"), Pod(namespace="apps"), 12345)
    assert network.allows(Address("198.51.100.1"), Pod(namespace="apps"), 1)


def test_a_pod_selector_alone_stays_in_the_policys_namespace() -> None:
    network = Network(
        [
            policy(
                "apps", "p", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}}}]}]}
            )
        ]
    )
    assert network.allows(Pod(namespace="apps", labels={"a": "b"}), Pod(namespace="apps"), 80)
    assert not network.allows(Pod(namespace="tools", labels={"a": "b"}), Pod(namespace="apps"), 80)


def test_namespace_and_pod_selectors_in_one_peer_must_both_hold_and_in_two_peers_either() -> None:
    both = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "tools"}},
        "podSelector": {"matchLabels": {"a": "b"}},
    }
    either = [{"namespaceSelector": both["namespaceSelector"]}, {"podSelector": both["podSelector"]}]
    one_peer = Network([policy("apps", "p", {"podSelector": {}, "ingress": [{"from": [both]}]})])
    two_peers = Network([policy("apps", "p", {"podSelector": {}, "ingress": [{"from": either}]})])
    target = Pod(namespace="apps")
    assert one_peer.allows(Pod(namespace="tools", labels={"a": "b"}), target, 80)
    assert not one_peer.allows(Pod(namespace="tools", labels={"a": "c"}), target, 80)
    assert not one_peer.allows(Pod(namespace="apps", labels={"a": "b"}), target, 80)
    assert two_peers.allows(Pod(namespace="tools", labels={"a": "c"}), target, 80)
    assert two_peers.allows(Pod(namespace="apps", labels={"a": "b"}), target, 80)


def test_every_namespace_carries_its_name_label_and_an_empty_namespace_selector_selects_all() -> None:
    by_name = Network(
        [
            policy(
                "apps",
                "p",
                {
                    "podSelector": {},
                    "ingress": [
                        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "x"}}}]}
                    ],
                },
            )
        ]
    )
    any_namespace = Network(
        [policy("apps", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]})]
    )
    assert by_name.allows(Pod(namespace="x"), Pod(namespace="apps"), 80)
    assert not by_name.allows(Pod(namespace="y"), Pod(namespace="apps"), 80)
    assert any_namespace.allows(Pod(namespace="y"), Pod(namespace="apps"), 80)
    assert not any_namespace.allows(Address("192.0.2.1"), Pod(namespace="apps"), 80), "pods only, no addresses"


def test_an_address_block_matches_addresses_never_pods() -> None:
    network = Network(
        [policy("apps", "p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})]
    )
    assert network.allows(Address("192.0.2.1"), Pod(namespace="apps"), 80)
    assert not network.allows(Pod(namespace="tools"), Pod(namespace="apps"), 80)


def test_a_named_port_is_resolved_on_the_pod_that_receives() -> None:
    named = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    network = Network(
        [
            policy("apps", "in", {**named, "ingress": [{"ports": [{"port": "http"}]}], "egress": []}),
            policy("tools", "out", {**named, "ingress": [], "egress": [{"ports": [{"port": "http"}]}]}),
        ]
    )
    server = Pod(namespace="apps", ports={"http": 8000})
    caller = Pod(namespace="tools", ports={"http": 9999})
    assert network.allows(caller, server, 8000)
    assert not network.allows(caller, server, 9999)
    assert not network.egress_allows(caller, Address("192.0.2.1"), 8000), "an address has no named ports"


def test_a_port_range_ends_at_end_port_and_the_protocol_defaults_to_tcp() -> None:
    network = Network(
        [policy("apps", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": 8000, "endPort": 8010}]}]})]
    )
    target = Pod(namespace="apps")
    assert network.allows(Pod(namespace="x"), target, 8000)
    assert network.allows(Pod(namespace="x"), target, 8010)
    assert not network.allows(Pod(namespace="x"), target, 8011)
    assert not network.allows(Pod(namespace="x"), target, 8005, "UDP")


@pytest.mark.parametrize(
    ("expression", "labels", "selected"),
    [
        ({"key": "tier", "operator": "In", "values": ["a", "b"]}, {"tier": "b"}, True),
        ({"key": "tier", "operator": "In", "values": ["a"]}, {}, False),
        ({"key": "tier", "operator": "NotIn", "values": ["a"]}, {}, True),
        ({"key": "tier", "operator": "NotIn", "values": ["a"]}, {"tier": "a"}, False),
        ({"key": "tier", "operator": "Exists"}, {"tier": ""}, True),
        ({"key": "tier", "operator": "DoesNotExist"}, {"tier": ""}, False),
    ],
)
def test_match_expressions(expression: dict[str, Any], labels: dict[str, str], selected: bool) -> None:
    assert selects({"matchExpressions": [expression]}, labels) is selected


def test_match_labels_and_expressions_are_anded_and_the_empty_selector_selects_all() -> None:
    selector = {"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]}
    assert selects(selector, {"a": "1", "b": "x"})
    assert not selects(selector, {"a": "1"})
    assert selects({}, {"anything": "at all"})


def test_the_rules_admitting_a_connection_are_named_by_policy_and_index() -> None:
    network = Network(
        [
            policy("apps", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
            policy(
                "apps",
                "web",
                {
                    "podSelector": {"matchLabels": {"app": "web"}},
                    "ingress": [{"ports": [{"port": 443}]}, {"ports": [{"port": 80}]}, {"ports": [{"port": 8080}]}],
                },
            ),
        ]
    )
    web = Pod(namespace="apps", labels={"app": "web"})
    assert network.admitting_rules(web, Pod(namespace="tools"), 80) == [("apps", "web", 1)]
    assert network.admitting_rules(web, Pod(namespace="tools"), 22) == []
