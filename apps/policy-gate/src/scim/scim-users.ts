import { Inject, Injectable } from '@nestjs/common';
import {
  ObjectGuid,
  Target,
  type Caller,
  type DirectoryUser,
  type DomainConfigView,
  type Reason,
  type ScimPush,
} from '@writeback/contracts';
import { resolveTargetDomain, scimWritebackRequest } from '@writeback/domain';
import { ConfigServiceUnavailable, DOMAIN_CONFIG, DomainConfigClient } from '@writeback/platform';
import type { Secret } from '@writeback/sealing';
import { awaitOperation } from '../operations/await-operation';
import { AcceptWritebackHandler } from '../operations/handlers/accept-writeback.handler';
import { OperationChanges } from '../operations/operation-changes';
import { OperationViews } from '../operations/store/operation-views';
import { DirectoryLookups, type LookupAnswer } from './directory-lookups';
import { scimError, scimErrorForReason, scimStatusOf } from './scim-errors';
import { SCIM_OPTIONS, type ScimOptions } from './scim-options';
import { ScimIdentities } from './scim-identities.store';

/** A user as SCIM shows it, and the domain that holds it. */
export interface ScimSubject {
  domainId: string;
  objectGuid: string;
  userPrincipalName: string;
  /** What the directory said; null when the user was not asked about (the domain's push is off). */
  found: DirectoryUser | null;
}

const unavailable = (what: string) => scimError(503, null, `${what}; retry shortly`);

/**
 * SCIM's users (ADR 0023 §3): found in the routed domain through its executors, remembered by
 * objectGUID, and a password pushed to one of them accepted like any writeback and awaited.
 */
@Injectable()
export class ScimUsers {
  constructor(
    @Inject(DOMAIN_CONFIG) private readonly domains: DomainConfigClient,
    @Inject(SCIM_OPTIONS) private readonly options: ScimOptions,
    private readonly lookups: DirectoryLookups,
    private readonly identities: ScimIdentities,
    private readonly accept: AcceptWritebackHandler,
    private readonly views: OperationViews,
    private readonly changes: OperationChanges,
  ) {}

  /**
   * `userName eq "…"`: the user in the one domain its suffix routes to, if that domain takes
   * SCIM pushes. Any other case is "no match", and no DC is asked.
   */
  async byUserName(userName: string): Promise<ScimSubject | null> {
    if (!Target.shape.userPrincipalName.safeParse(userName).success) return null;
    const domain = await this.configured(async () => {
      // A domain an operator has just added or switched on is not missed on an older read (ADR 0019).
      const arrived = this.domains.mark();
      return routed(userName, await this.domains.list()) ?? routed(userName, await this.domains.readAfter(arrived));
    });
    if (!domain || domain.scimPush === 'off') return null;
    return this.found(domain.id, await this.lookups.lookup(domain.id, { userPrincipalName: userName }));
  }

  /**
   * `/Users/{id}`: asked of the domain that last held the id, or of every domain taking SCIM
   * pushes when none did. With the push off there, the user is shown as remembered, asking
   * no DC, so that the push that follows is refused by the policy and audited.
   */
  async byId(id: string): Promise<ScimSubject | null> {
    if (!ObjectGuid.safeParse(id).success) return null;
    const known = await this.identities.find(id);
    const domains = await this.configured(() => this.domains.list());
    const pushing = domains.filter((d) => d.scimPush !== 'off').map((d) => d.id);
    if (known) {
      const domain = domains.find((d) => d.id === known.domainId);
      if (domain?.scimPush === 'off') return { ...known, found: null };
      if (domain) return this.found(domain.id, await this.lookups.lookup(domain.id, { objectGuid: id }));
    }
    const answer = await this.lookups.lookupAnywhere(pushing, { objectGuid: id });
    return this.found(answer.domainId ?? '', answer);
  }

  /**
   * Accepts the push as a writeback on channel `scim` and waits (bounded) for its outcome:
   * resolves when it was applied, throws the SCIM error of its refusal or failure otherwise.
   */
  async push(subject: ScimSubject, password: Secret, caller: Caller): Promise<void> {
    const domain = await this.configured(() => this.domains.get(subject.domainId));
    const scimPush: ScimPush = domain?.scimPush ?? 'off';
    const request = scimWritebackRequest(subject, scimPush, caller);
    const accepted = await this.configured(() => this.accept.handle(request, caller, password));
    const view = await awaitOperation(
      this.views,
      this.changes,
      accepted.operationId,
      Date.now() + this.options.waitMs,
      accepted,
    );
    if (view?.status === 'applied') return;
    if (view?.reason && (view.status === 'rejected' || view.status === 'failed')) {
      throw scimErrorForReason(view.reason, accepted.operationId);
    }
    throw unavailable(`the password change is still in progress (operation ${accepted.operationId})`);
  }

  private async found(domainId: string, answer: LookupAnswer): Promise<ScimSubject | null> {
    switch (answer.outcome) {
      case 'found': {
        const { user } = answer;
        await this.identities.found({
          objectGuid: user.objectGuid,
          domainId,
          userPrincipalName: user.userPrincipalName,
        });
        return { domainId, objectGuid: user.objectGuid, userPrincipalName: user.userPrincipalName, found: user };
      }
      case 'absent':
        return null;
      case 'timeout':
        throw unavailable("the domain's executors did not answer the lookup in time");
      case 'failed':
        throw lookupFailure(answer.reason);
    }
  }

  private async configured<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof ConfigServiceUnavailable) throw unavailable('domain configuration is unavailable');
      throw error;
    }
  }
}

function routed(userName: string, domains: DomainConfigView[]): DomainConfigView | undefined {
  const resolution = resolveTargetDomain(userName, domains);
  return resolution.kind === 'resolved' ? domains.find((d) => d.id === resolution.domainId) : undefined;
}

/** A lookup the directory could not answer: no operation, so no operation id in the detail. */
function lookupFailure(reason: Reason) {
  const { status, scimType } = scimStatusOf(reason.code);
  return scimError(status, scimType ?? null, `${reason.code}: ${reason.message}`);
}
