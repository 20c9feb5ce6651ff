"""Check a SCIM server with scim2-tester, as Writeback's SCIM endpoint is meant to pass it.

Usage (with the python that tools/harness/ensure-scim2-tester.sh prints):

    check.py BASE_URL TOKEN [--user-name NAME]... [--password-env VAR] [--trace]

BASE_URL is the SCIM root (e.g. http://127.0.0.1:8443/scim/v2). TOKEN names an environment variable
holding the bearer token, or else a file holding it: the token itself never goes on a command line.

1. scim2-tester's check_server runs the checks whose tags are in INCLUDED: discovery (the
   ServiceProviderConfig, ResourceTypes and Schemas endpoints, their 404s and 405s) and misc (a 404
   SCIM error for an unknown URL). Its other checks all create a resource first (POST) and delete it
   afterwards, which Writeback answers 501, so their tags are in EXCLUDED with the reason. They are
   left out through include_tags only: in 0.5.2 any exclude_tags also skips the three checks tagged
   '*' that read the discovery endpoints, and check_server then stops before the resource checks.
2. A tag of the installed scim2-tester that is neither in INCLUDED nor in EXCLUDED fails the run, and
   so does a tag of theirs that it no longer has: a new version gets reviewed.
3. A check gated on a feature the ServiceProviderConfig declares unsupported (FEATURE_TAGS) is run
   and must come back SKIPPED, by the tester's own reading of the configuration, not failed.
4. scim2-tester reads only users it created, so the lookups run on existing users (--user-name, may
   be repeated): the filter on userName, then the tester's own crud:read check object_query on the
   user found, then what Writeback's clients rely on in the representation; and an unknown userName
   (an empty list) and an unknown id (a 404 SCIM error).
5. With --password-env VAR, the password of each user is set to that variable's value, by a PATCH
   (replace, path "password") and then a PUT of the user as read with the password: scim2-tester has
   no password check (its patch and update checks write every writable attribute of a user it created).

Every executed check must be SUCCESS. One line per check, then `scim2-tester: N passed, N skipped,
N failed`. Exit 0 when nothing failed, 1 when a check failed, 2 when the run could not be made.
"""

import argparse
import os
import sys
import uuid
from typing import Any

import httpx2
from scim2_client import SCIMClientException
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Error
from scim2_models import ListResponse
from scim2_models import PatchOp
from scim2_models import PatchOperation
from scim2_models import SCIMException
from scim2_models import SearchRequest
from scim2_models import ServiceProviderConfig
from scim2_tester import CheckConfig
from scim2_tester import CheckResult
from scim2_tester import Status
from scim2_tester import check_server
from scim2_tester import get_all_available_tags
from scim2_tester.checkers import object_query
from scim2_tester.utils import CheckContext

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"

# Run by check_server.
INCLUDED = {"discovery", "service-provider-config", "resource-types", "schemas", "misc"}

# Not run, and why. Each of these checks creates its own resource first (POST /Users), deletes it at
# the end (DELETE), and the update ones write attributes other than the password.
EXCLUDED = {
    "crud:create": "POSTs a new resource, which Writeback answers 501",
    "crud:read": "reads only a resource it POSTed; object_query runs below on the --user-name users",
    "crud:read:attributes": "POSTs a resource with every writable attribute filled, then reads it",
    "crud:update": "POSTs a resource, then PUTs random values into every writable attribute",
    "crud:delete": "POSTs a resource, then DELETEs it, which Writeback answers 501",
    "patch:add": "POSTs a resource, then PATCH-adds every writable attribute",
    "patch:remove": "POSTs a resource, then PATCH-removes every writable attribute",
    "patch:replace": "POSTs a resource, then PATCH-replaces every writable attribute",
}

# The tags of the checks that the tester gates on a ServiceProviderConfig feature: when the server
# declares the feature unsupported, they are run (they stop before creating anything) and must come
# back SKIPPED. scim2-tester 0.5.2 gates only the PATCH checks; it has no bulk, sort, etag, filter
# or changePassword check.
FEATURE_TAGS = {
    "patch": {"patch:add", "patch:remove", "patch:replace"},
    "bulk": set(),
    "sort": set(),
    "etag": set(),
    "filter": set(),
    "changePassword": set(),
}

FILTERED_OUT = ("Skipped due to tag filtering", "Skipped due to tag exclusion")


def read_token(source: str) -> str:
    if source in os.environ:
        token = os.environ[source]
    elif os.path.isfile(source):
        with open(source, encoding="utf-8") as file:
            token = file.read()
    else:
        raise SystemExit(f"check.py: {source} is neither an environment variable nor a file")
    token = token.strip()
    if not token:
        raise SystemExit(f"check.py: the token in {source} is empty")
    return token


def tag_problems() -> list[str]:
    available = set(get_all_available_tags())
    known = INCLUDED | set(EXCLUDED)
    problems = [
        f"tag {tag!r} of scim2-tester is neither included nor excluded: review it" for tag in sorted(available - known)
    ]
    problems += [
        f"tag {tag!r} is no longer one of scim2-tester's: update check.py" for tag in sorted(known - available)
    ]
    return problems


def unsupported_features(client: SyncSCIMClient) -> set[str]:
    """The features the server declares unsupported (none when its configuration cannot be read:
    check_server's own checks then fail on it)."""
    try:
        config = client.query(ServiceProviderConfig)
    except (SCIMClientException, SCIMException):
        return set()
    if not isinstance(config, ServiceProviderConfig):
        return set()
    features = {name: getattr(config, name if name != "changePassword" else "change_password") for name in FEATURE_TAGS}
    return {name for name, feature in features.items() if feature is not None and not feature.supported}


def short(text: Any, limit: int = 200) -> str:
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Report:
    def __init__(self) -> None:
        self.passed = self.skipped = self.failed = 0

    def line(self, name: str, status: str, reason: Any) -> None:
        print(f"{name}: {status}: {short(reason)}", flush=True)

    def tester_result(self, result: CheckResult, gated: set[str]) -> None:
        name = result.title or "?"
        if result.resource_type:
            name = f"{name} [{result.resource_type}]"
        if result.tags & gated:
            if result.status == Status.SKIPPED and result.reason not in FILTERED_OUT:
                self.skipped += 1
                self.line(name, "SKIPPED", f"feature declared unsupported: {result.reason}")
            else:
                self.failed += 1
                self.line(
                    name,
                    f"FAILED ({result.status.name})",
                    f"must be SKIPPED, the feature is declared unsupported: {result.reason}",
                )
        elif result.status == Status.SKIPPED:
            self.skipped += 1
            excluded = [f"{tag}: {EXCLUDED[tag]}" for tag in sorted(result.tags) if tag in EXCLUDED]
            self.line(
                name, "SKIPPED", "; ".join(excluded) if result.reason in FILTERED_OUT and excluded else result.reason
            )
        elif result.status == Status.SUCCESS:
            self.passed += 1
            self.line(name, "SUCCESS", result.reason or "ok")
        else:
            self.failed += 1
            self.line(name, f"FAILED ({result.status.name})", result.reason)

    def own(self, name: str, problem: str | None, success: str) -> bool:
        if problem is None:
            self.passed += 1
            self.line(name, "SUCCESS", success)
            return True
        self.failed += 1
        self.line(name, "FAILED (ERROR)", problem)
        return False


class ExistingResources:
    """Stands for scim2-tester's ResourceManager: hands its checks an existing resource instead of
    creating one, and deletes nothing."""

    def __init__(self, resource: Any) -> None:
        self.resource = resource

    def create_and_register(self, model: Any, fill_all: bool = False) -> Any:
        return self.resource

    def cleanup(self) -> None:
        pass


def attempt(call: Any) -> tuple[Any, str | None]:
    try:
        return call(), None
    except (SCIMClientException, SCIMException) as exc:
        return None, f"{exc} {exc.__cause__}" if exc.__cause__ else str(exc)


def representation_problem(user: Any, user_id: str) -> str | None:
    dumped = user.model_dump()
    meta = dumped.get("meta") or {}
    if user.id != user_id:
        return f"id {user.id!r} instead of {user_id!r}"
    if USER_SCHEMA not in (dumped.get("schemas") or []):
        return f"schemas {dumped.get('schemas')!r} lack {USER_SCHEMA}"
    if meta.get("resourceType") != "User":
        return f"meta.resourceType is {meta.get('resourceType')!r}, not 'User'"
    location = str(meta.get("location") or "")
    if not location.startswith(("http://", "https://")) or not location.endswith(f"/Users/{user_id}"):
        return f"meta.location {location!r} is not the absolute URL of /Users/{user_id}"
    if "password" in dumped and dumped["password"] is not None:
        return "the password is returned"
    return None


def check_user(client: SyncSCIMClient, model: Any, report: Report, user_name: str, password: str | None) -> None:
    label = f"({user_name})"
    found, problem = attempt(
        lambda: client.query(
            model, query_parameters=SearchRequest(filter=f'userName eq "{user_name}"'), expected_status_codes=[200]
        )
    )
    if problem is None:
        resources = (found.resources or []) if isinstance(found, ListResponse) else None
        if resources is None:
            problem = f"not a ListResponse: {found!r}"
        elif found.total_results != 1 or len(resources) != 1:
            problem = f"totalResults {found.total_results} and {len(resources)} resources, not 1"
        elif (resources[0].user_name or "").lower() != user_name.lower() or not resources[0].id:
            problem = f"the user found is {resources[0].user_name!r} with id {resources[0].id!r}"
    if not report.own(
        f"lookup_user_by_user_name {label}", problem, f'GET /Users?filter=userName eq "{user_name}": one user'
    ):
        return
    user = found.resources[0]

    context = CheckContext(client, CheckConfig(raise_exceptions=False, include_tags={"crud:read"}))
    context.resource_manager = ExistingResources(user)  # type: ignore[assignment]
    queried = None
    for result in object_query(context, model):
        result.title = f"{result.title} {label}"
        report.tester_result(result, set())
        if result.status == Status.SUCCESS:
            queried = result.data
    if queried is not None:
        report.own(
            f"user_representation {label}",
            representation_problem(queried, user.id),
            "schemas, meta.resourceType, meta.location, no password",
        )

    if password is None:
        return
    patch = PatchOp[model](operations=[PatchOperation(op=PatchOperation.Op.replace_, path="password", value=password)])
    patched, problem = attempt(lambda: client.modify(model, user.id, patch, expected_status_codes=[200, 204]))
    if problem is None and patched is not None:
        problem = representation_problem(patched, user.id)
    report.own(f"patch_password {label}", problem, 'PATCH replace path "password": 200 or 204')

    current, problem = attempt(lambda: client.query(model, user.id, expected_status_codes=[200]))
    if problem is None:
        current.password = password
        replaced, problem = attempt(lambda: client.replace(current, expected_status_codes=[200]))
        if problem is None:
            problem = representation_problem(replaced, user.id)
    report.own(f"put_password {label}", problem, "PUT of the user as read, with a password: 200")


def check_unknown(client: SyncSCIMClient, model: Any, report: Report) -> None:
    name = f"nobody-{uuid.uuid4().hex}@nowhere.example.test"
    found, problem = attempt(
        lambda: client.query(
            model, query_parameters=SearchRequest(filter=f'userName eq "{name}"'), expected_status_codes=[200]
        )
    )
    if problem is None and not (isinstance(found, ListResponse) and found.total_results == 0 and not found.resources):
        problem = f"not an empty ListResponse: {found!r}"
    report.own("lookup_unknown_user_name", problem, "an unknown userName is an empty list")

    unknown_id = str(uuid.uuid4())
    answer, problem = attempt(
        lambda: client.query(model, unknown_id, raise_scim_errors=False, expected_status_codes=None)
    )
    if problem is None and not (isinstance(answer, Error) and answer.status == 404):
        problem = f"not a 404 SCIM error: {answer!r}"
    report.own("query_unknown_id", problem, f"GET /Users/{unknown_id}: a 404 SCIM error")


def trace(request: httpx2.Request) -> None:
    body = request.content.decode("utf-8", "replace") if request.content else ""
    print(
        f"  > {request.method} {request.url} accept={request.headers.get('accept')}"
        f" content-type={request.headers.get('content-type')} {body}",
        file=sys.stderr,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("base_url", help="the SCIM root, e.g. http://127.0.0.1:8443/scim/v2")
    parser.add_argument("token", help="an environment variable holding the bearer token, or a file holding it")
    parser.add_argument("--user-name", action="append", default=[], help="an existing user to look up (repeatable)")
    parser.add_argument("--password-env", help="set each user's password to this variable's value (PATCH, then PUT)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for each request")
    parser.add_argument("--trace", action="store_true", help="print each request to stderr")
    args = parser.parse_args()

    problems = tag_problems()
    if problems:
        for problem in problems:
            print(f"check.py: {problem}", file=sys.stderr)
        return 2
    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            print(f"check.py: {args.password_env} holds no password", file=sys.stderr)
            return 2

    http = httpx2.Client(
        base_url=args.base_url,
        headers={"Authorization": f"Bearer {read_token(args.token)}"},
        timeout=args.timeout,
        event_hooks={"request": [trace]} if args.trace else {},
    )
    client = SyncSCIMClient(http)
    report = Report()
    with http:
        unsupported = unsupported_features(client)
        gated = set().union(*(FEATURE_TAGS[name] for name in unsupported))
        for name in sorted(unsupported):
            tags = ", ".join(sorted(FEATURE_TAGS[name])) or "none: scim2-tester has no check for it"
            print(f"# {name} is declared unsupported; the checks that must be SKIPPED: {tags}")
        for result in check_server(client, raise_exceptions=False, include_tags=INCLUDED | gated):
            report.tester_result(result, gated)

        model = client.provider.model_for("User") if client.provider.config else None
        if model is None:
            report.own("user_resource_type", "the server describes no 'User' resource type", "")
        else:
            for user_name in args.user_name:
                check_user(client, model, report, user_name, password)
            check_unknown(client, model, report)

    print(f"scim2-tester: {report.passed} passed, {report.skipped} skipped, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
