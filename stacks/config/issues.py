"""How a configuration problem is reported: one `ConfigIssue` per problem (`key.path: value, what is allowed`), all
of them raised together as a `ConfigError` before anything is created."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from stacks.config.rules import Finding


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. A RunError, so Pulumi prints the message without a traceback."""

    def __init__(self, stack: str, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        plural = "s" if len(issues) != 1 else ""
        super().__init__(
            f"Invalid configuration for stack '{stack}' ({len(issues)} problem{plural}); nothing was created:\n{lines}"
        )


def quoted(options: object) -> str:
    return ", ".join(f"'{option}'" for option in options)  # type: ignore[attr-defined]


def as_issues(findings: list[Finding]) -> list[ConfigIssue]:
    return [ConfigIssue(*finding) for finding in findings]
