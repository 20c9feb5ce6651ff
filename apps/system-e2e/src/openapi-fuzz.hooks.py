"""Schemathesis hooks of the OpenAPI fuzz suite (openapi-fuzz.e2e.test.ts), loaded through
SCHEMATHESIS_HOOKS.

Every password the fuzzer submits (`newPassword` of an operation, `password` of a SCIM User or of a
SCIM PatchOp's operation) gets a unique tag in front and is recorded, one JSON string a
line, in the file WRITEBACK_FUZZ_PASSWORDS names: the suite then searches the services' logs and
database rows for each, and the check below fails any response that carries one. Without the tag
a generated password ("0", "aaaa") could not be told apart from other text.
"""

import functools
import json
import os
import re
import secrets
import sys
import threading
import unicodedata

import schemathesis

TAG_PREFIX = "wbfz"
TAG = re.compile(TAG_PREFIX + "[0-9a-f]{12}")
# The gate's limit on newPassword (CreateOperationRequest): a tagged password keeps a valid length
# valid and an invalid one invalid, so the fuzzer's positive and negative cases stay what they are.
MAX_LENGTH = 256

_ledger = os.environ["WRITEBACK_FUZZ_PASSWORDS"]
_lock = threading.Lock()


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def _tagged(password: str) -> str:
    tagged = f"{TAG_PREFIX}{secrets.token_hex(6)}{password}"
    if len(password) > MAX_LENGTH:
        return tagged
    tagged = tagged[:MAX_LENGTH]
    # The services count UTF-16 units, as AD does; the document counts code points.
    while _utf16_length(password) <= MAX_LENGTH < _utf16_length(tagged):
        tagged = tagged[:-1]
    return tagged


UNICODE_PROPERTY = re.compile(r"\\p\{(\w+)\}")
# ECMA-262's WhiteSpace and LineTerminator, what `\s` means to the services' regular expressions;
# the generator reads `\s` as ASCII whitespace only and would draw a no-break space for `[^\s]`.
ECMA_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@functools.cache
def _category_ranges(category: str) -> str:
    """A character class body for Unicode general category `category` ("L", "Cf", ...)."""
    # Surrogates: the validator's engine (Rust) cannot hold them, and the generator never draws one.
    if category == "Cs":
        return ""
    ranges, start = [], None
    for code in range(sys.maxunicode + 2):
        inside = code <= sys.maxunicode and unicodedata.category(chr(code)).startswith(category)
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append((start, code - 1))
            start = None
    escape = lambda code: f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return "".join(escape(a) if a == b else f"{escape(a)}-{escape(b)}" for a, b in ranges)


def _portable_pattern(pattern: str) -> str:
    """`pattern` with `\\p{...}`, `\\s` and `\\S` spelled as the ranges they stand for in ECMA-262."""
    out, i = [], 0
    klass = None  # the body of the class being read, after `[` and an optional `^`
    while i < len(pattern):
        char = pattern[i]
        target = out if klass is None else klass
        if char == "\\" and i + 1 < len(pattern):
            prop = UNICODE_PROPERTY.match(pattern, i)
            if prop or pattern[i + 1] == "s":
                body = _category_ranges(prop.group(1)) if prop else ECMA_SPACE
                target.append(body if klass is not None else f"[{body}]")
                i = prop.end() if prop else i + 2
            elif pattern[i + 1] == "S" and klass is None:
                out.append(f"[^{ECMA_SPACE}]")
                i += 2
            else:
                target.append(pattern[i : i + 2])
                i += 2
            continue
        if char == "[" and klass is None:
            negated = pattern.startswith("[^", i)
            klass = []
            i += 2 if negated else 1
            continue
        if char == "]" and klass is not None:
            body = "".join(klass)
            # A class left empty (it named only surrogates): ECMA's `[^]` is any character, `[]` none.
            if body:
                out.append(f"[^{body}]" if negated else f"[{body}]")
            else:
                out.append("(?s:.)" if negated else "(?!)")
            klass = None
            i += 1
            continue
        target.append(char)
        i += 1
    return "".join(out)


def _portable(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                node[key] = _portable_pattern(value)
            else:
                _portable(value)
    elif isinstance(node, list):
        for item in node:
            _portable(item)


@schemathesis.hook
def before_load_schema(context, raw_schema):
    """The documents' patterns are ECMA-262 (JSON Schema's dialect) with Unicode property classes
    (`\\p{L}`), which Python's `re`, the fuzzer's generator, lacks, and `\\s`, which it reads as
    ASCII only: spell both out, so that what it draws as valid the services take as valid."""
    _portable(raw_schema)


# SCIM clients send `application/scim+json` (RFC 7644 §3.1); the gate's document offers it on /scim/v2.
schemathesis.serializer.alias("application/scim+json", "application/json")


def _record(password: str) -> str:
    tagged = _tagged(password)
    with _lock, open(_ledger, "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(tagged) + "\n")
    return tagged


def _tag_key(holder: dict, names: tuple[str, ...]) -> None:
    """Tags each non-empty string under one of `names` (SCIM attribute names are case-insensitive)."""
    for key, value in holder.items():
        if key.lower() in names and isinstance(value, str) and value:
            holder[key] = _record(value)


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if not isinstance(body, dict):
        return
    # POST /v1/operations.
    _tag_key(body, ("newpassword",))
    # A SCIM User (PUT /scim/v2/Users/{id}).
    _tag_key(body, ("password",))
    # A SCIM PatchOp: `{"path": "password", "value": "…"}`, or `{"value": {"password": "…"}}`.
    operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
    for operation in operations if isinstance(operations, list) else []:
        if not isinstance(operation, dict):
            continue
        path = next((v for k, v in operation.items() if k.lower() == "path"), None)
        value = next((v for k, v in operation.items() if k.lower() == "value"), None)
        if isinstance(path, str) and path.strip().lower() == "password":
            _tag_key(operation, ("value",))
        elif isinstance(value, dict):
            _tag_key(value, ("password",))


@schemathesis.check
def no_submitted_password_in_response(ctx, response, case):
    """No response carries (the start of) a password any request submitted."""
    found = TAG.search(response.content.decode("utf-8", errors="replace"))
    if found:
        raise AssertionError(f"The response carries a submitted password (tagged {found.group()})")
