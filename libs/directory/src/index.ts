export * from './ldap-directory';
export { DirectoryError } from './directory-error';
export { LdapConnectionPool, type PoolOptions } from './connection-pool';
export { POLICY_HINTS_OIDS } from './policy-hints.control';
