import type { WritebackLimits } from '@writeback/domain';

export const DOMAIN_KEYS = Symbol('DomainKeys');
export const EXECUTOR_OPTIONS = Symbol('ExecutorOptions');

export interface ExecutorOptions extends WritebackLimits {
  /** LDAPS connections per domain. */
  ldapPoolSize: number;
  /** The domains this executor serves; empty for every domain whose key it holds. */
  domains: string[];
}
