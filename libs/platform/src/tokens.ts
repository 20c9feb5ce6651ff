export const BUS = Symbol('MessageBus');
export const LOGGER = Symbol('Logger');
export const SERVICE_CONFIG = Symbol('ServiceConfig');
/** The service's `DomainConfigClient`: its one reader of domain configuration. */
export const DOMAIN_CONFIG = Symbol('DomainConfigClient');
