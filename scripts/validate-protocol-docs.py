#!/usr/bin/env python3
"""Validates the protocol documents the gateway serves: the OpenAPI 3.1 document with
openapi-spec-validator, the AsyncAPI 3 document with the asyncapi3 object model, and every
local $ref in both against the document it is in. Exits non-zero with the problems listed.

    pip install openapi-spec-validator asyncapi3 pyyaml
    python3 scripts/validate-protocol-docs.py
"""
import pathlib
import sys
import warnings

import yaml

warnings.filterwarnings("ignore")
ROOT = pathlib.Path(__file__).resolve().parent.parent / "Sources" / "Gateway" / "Resources" / "protocol"


def broken_refs(document, node, path="$"):
    """Every '#/…' reference that does not resolve inside the document."""
    problems = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target = document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    problems.append(f"{path}: $ref {ref} does not resolve")
                    break
                target = target[part]
        for key, value in node.items():
            problems += broken_refs(document, value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            problems += broken_refs(document, value, f"{path}[{index}]")
    return problems


def main():
    failures = []
    openapi_path = ROOT / "openapi.yaml"
    openapi = yaml.safe_load(openapi_path.read_text())
    try:
        from openapi_spec_validator import validate

        validate(openapi)
    except Exception as error:  # the validator's own exception types vary by version
        failures.append(f"{openapi_path}: {error}")
    failures += [f"{openapi_path}: {problem}" for problem in broken_refs(openapi, openapi)]

    asyncapi_path = ROOT / "asyncapi.yaml"
    asyncapi = yaml.safe_load(asyncapi_path.read_text())
    try:
        from asyncapi3 import AsyncAPI3

        AsyncAPI3.model_validate(asyncapi)
    except Exception as error:
        failures.append(f"{asyncapi_path}: {error}")
    if not str(asyncapi.get("asyncapi", "")).startswith("3."):
        failures.append(f"{asyncapi_path}: not an AsyncAPI 3 document")
    failures += [f"{asyncapi_path}: {problem}" for problem in broken_refs(asyncapi, asyncapi)]

    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{openapi_path.name}: valid OpenAPI {openapi['openapi']}; {asyncapi_path.name}: valid AsyncAPI {asyncapi['asyncapi']}")


if __name__ == "__main__":
    main()
