export * from './ldap-directory';
export { POLICY_HINTS_OIDS } from './policy-hints.control';
