#!/usr/bin/env python3
"""Seeds a provisioned, not yet running Samba AD DC directly in its sam.ldb.

One process and one transaction instead of one samba-tool process per object: samba-tool costs
~0.25 s of Python start-up per call, this whole seed about that once. It goes through the same
SamDB module stack samba-tool uses offline (-H sam.ldb), so passwords are hashed, RIDs allocated
and inherited ACEs propagated exactly as samba-tool would.

stdin:  {"smbConf", "samLdb", "minPwdAge", "ous": [rdn path, parents first],
         "users": [{"sam", "password", "ou": rdn path or null}],
         "bulkUsers": [{"sam", "password", "ou": rdn path}] (optional),
         "serviceAccount": {"sam", "password"}, "serviceAccountAces": ["(...;{SID})", ...]}
stdout: one JSON line {"users": [{"sam", "dn", "upn"}], "serviceAccount": {"sam", "dn", "upn", "sid"}}

"bulkUsers" are for thousands of accounts (the benchmark): each is one add carrying its
password, with no read-back, so it costs the password hashing and little else. They are not
listed in the output; their DN is CN=<sam>,<ou>,<domain DN> and their UPN <sam>@<DNS domain>.
"""
import json
import sys

import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.sd_utils import SDUtils


def open_samdb(spec):
    lp = LoadParm()
    lp.load(spec["smbConf"])
    return SamDB(url=spec["samLdb"], session_info=system_session(), lp=lp)


def create_user(samdb, sam, password, ou):
    samdb.newuser(sam, password, userou=ou)
    res = samdb.search(samdb.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                       expression="(sAMAccountName=%s)" % ldb.binary_encode(sam),
                       attrs=["userPrincipalName", "objectSid"])
    entry = res[0]
    return {
        "sam": sam,
        "dn": str(entry.dn),
        "upn": str(entry["userPrincipalName"][0]),
        "sid": str(ndr_unpack(security.dom_sid, entry["objectSid"][0])),
    }


def create_bulk_user(samdb, domain_dn, dns_domain, sam, password, ou):
    samdb.add({
        "dn": "CN=%s,%s,%s" % (sam, ou, domain_dn),
        "objectClass": "user",
        "sAMAccountName": sam,
        "userPrincipalName": "%s@%s" % (sam, dns_domain),
        "unicodePwd": ('"%s"' % password).encode("utf-16-le"),
        # A normal, enabled account, as newuser leaves it once its password is set.
        "userAccountControl": "512",
    })


def seed(samdb, spec):
    domain_dn = samdb.domain_dn()
    samdb.set_minPwdAge(str(spec["minPwdAge"]))
    for ou in spec["ous"]:
        samdb.create_ou("%s,%s" % (ou, domain_dn))
    users = [create_user(samdb, u["sam"], u["password"], u.get("ou"))
             for u in spec["users"]]
    dns_domain = samdb.domain_dns_name()
    for u in spec.get("bulkUsers", []):
        create_bulk_user(samdb, domain_dn, dns_domain, u["sam"], u["password"], u["ou"])
    svc = spec["serviceAccount"]
    account = create_user(samdb, svc["sam"], svc["password"], None)
    aces = "".join(ace.replace("{SID}", account["sid"]) for ace in spec["serviceAccountAces"])
    SDUtils(samdb).dacl_add_ace(domain_dn, aces)
    for user in users:
        del user["sid"]
    return {"users": users, "serviceAccount": account}


def main():
    spec = json.load(sys.stdin)
    samdb = open_samdb(spec)
    samdb.transaction_start()
    try:
        result = seed(samdb, spec)
    except Exception:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
